package access

// KMSRule names the rule that decides the KMS call S3 makes on a caller's
// behalf for a request, before (or instead of) the key policy: the rules
// decideKMS applies, exported so that explain renders them rather than
// re-checking them.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
type KMSRule string

// The KMS rules, in the order they are checked.
const (
	// KMSRuleNone: the action makes S3 call no KMS operation.
	KMSRuleNone KMSRule = ""
	// KMSRuleEncUnread: the bucket's default encryption could not be read.
	KMSRuleEncUnread KMSRule = "encryption-unread"
	// KMSRuleNotKMS: the bucket's default encryption is not SSE-KMS.
	KMSRuleNotKMS KMSRule = "not-kms"
	// KMSRuleAnonymous: anonymous requests cannot use KMS (deny).
	KMSRuleAnonymous KMSRule = "anonymous"
	// KMSRuleAWSManaged: the AWS managed key aws/s3 of another account
	// (deny).
	KMSRuleAWSManaged KMSRule = "aws-managed"
	// KMSRuleKeyState: the collected key's state is not usable (deny) or
	// transient (unknown).
	// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
	KMSRuleKeyState KMSRule = "key-state"
	// KMSRuleKeyPolicy: the key policy and grants decide.
	KMSRuleKeyPolicy KMSRule = "key-policy"
)

// KMSRuleFor returns the rule that decides the KMS call of caller c's
// action on the bucket.
func (bl *BucketLayers) KMSRuleFor(c *Caller, action string) KMSRule {
	switch {
	case KMSActionFor(action) == "":
		return KMSRuleNone
	case !bl.EncRead:
		return KMSRuleEncUnread
	case !UsesKMS(bl.Encryption.Algorithm):
		return KMSRuleNotKMS
	case c.anonymous():
		return KMSRuleAnonymous
	case bl.Key.AWSManaged && c.Account != bl.Key.Account:
		return KMSRuleAWSManaged
	}
	if k := bl.Key.Key; k != nil {
		if usable, _ := KeyUsable(k); usable != TriTrue {
			return KMSRuleKeyState
		}
	}
	return KMSRuleKeyPolicy
}
