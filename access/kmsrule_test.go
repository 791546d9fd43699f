package access

import (
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestKMSRuleFor checks the rule that decides S3's KMS call, in the order
// decideKMS (and explain's KMS row) apply them: no KMS action, unread
// encryption, not SSE-KMS, anonymous, the aws/s3 key of another account,
// the key's state, then the key policy.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
func TestKMSRuleFor(t *testing.T) {
	kms := inventory.Encryption{Algorithm: inventory.AlgorithmKMS}
	me := &Caller{Principal: "arn:aws:iam::111111111111:role/r", Account: "111111111111"}
	other := &Caller{Principal: "arn:aws:iam::222222222222:role/r", Account: "222222222222"}
	anon := &Caller{Principal: "anonymous"}
	awsKey := KeyRef{Account: "111111111111", AWSManaged: true}
	cmk := func(state string) KeyRef {
		return KeyRef{ARN: "arn:aws:kms:us-east-1:111111111111:key/k", Account: "111111111111", Key: &inventory.KMSKey{State: state}}
	}
	cases := []struct {
		name   string
		bl     BucketLayers
		c      *Caller
		action string
		want   KMSRule
	}{
		{"list makes no KMS call", BucketLayers{EncRead: true, Encryption: kms}, me, ActionList, KMSRuleNone},
		{"unread encryption", BucketLayers{}, me, ActionRead, KMSRuleEncUnread},
		{"SSE-S3", BucketLayers{EncRead: true, Encryption: inventory.Encryption{Algorithm: inventory.AlgorithmAES256}}, me, ActionRead, KMSRuleNotKMS},
		{"anonymous", BucketLayers{EncRead: true, Encryption: kms, Key: awsKey}, anon, ActionRead, KMSRuleAnonymous},
		{"aws/s3 of another account", BucketLayers{EncRead: true, Encryption: kms, Key: awsKey}, other, ActionWrite, KMSRuleAWSManaged},
		{"aws/s3 of its own account", BucketLayers{EncRead: true, Encryption: kms, Key: awsKey}, me, ActionWrite, KMSRuleKeyPolicy},
		{"disabled key", BucketLayers{EncRead: true, Encryption: kms, Key: cmk(KeyStateDisabled)}, me, ActionRead, KMSRuleKeyState},
		{"transient key state", BucketLayers{EncRead: true, Encryption: kms, Key: cmk("Creating")}, other, ActionRead, KMSRuleKeyState},
		{"updating key", BucketLayers{EncRead: true, Encryption: kms, Key: cmk(KeyStateUpdating)}, other, ActionRead, KMSRuleKeyPolicy},
		{"enabled key", BucketLayers{EncRead: true, Encryption: kms, Key: cmk(KeyStateEnabled)}, other, ActionRead, KMSRuleKeyPolicy},
	}
	for _, tc := range cases {
		if got := tc.bl.KMSRuleFor(tc.c, tc.action); got != tc.want {
			t.Errorf("%s: KMSRuleFor = %q, want %q", tc.name, got, tc.want)
		}
	}
}
