package inventory

import (
	"strings"
	"testing"
)

// The defaults of a fixture in AWS GovCloud (US) or China are in that
// partition: the implicit aws/s3 key's ARN, the root in its key policy and
// in a customer key's default policy, and S3's endpoint in kms:ViaService
// (s3.cn-north-1.amazonaws.com.cn in China).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
// https://docs.amazonaws.cn/en_us/aws/latest/userguide/ARNs.html
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
func TestDefaultsInPartition(t *testing.T) {
	for _, c := range []struct{ region, partition, endpoint string }{
		{"us-gov-west-1", "aws-us-gov", "s3.us-gov-west-1.amazonaws.com"},
		{"cn-north-1", "aws-cn", "s3.cn-north-1.amazonaws.com.cn"},
	} {
		doc, err := Parse([]byte(`{"schema_version":1,"accounts":[{"id":"111111111111",
			"buckets":[{"name":"b-1","region":"`+c.region+`","encryption":{"algorithm":"aws:kms"}}],
			"kms_keys":[{"arn":"arn:`+c.partition+`:kms:`+c.region+`:111111111111:key/k1"}]}]}`), c.region)
		if err != nil {
			t.Fatal(err)
		}
		a := Normalize(doc).Accounts[0]
		root := `"arn:` + c.partition + `:iam::111111111111:root"`
		var managed, custom *KMSKey
		for i := range a.KMSKeys {
			switch k := &a.KMSKeys[i]; {
			case k.Manager == KeyManagerAWS:
				managed = k
			default:
				custom = k
			}
		}
		if managed == nil || !strings.HasPrefix(managed.ARN, "arn:"+c.partition+":kms:"+c.region+":111111111111:key/") || managed.ARN != AWSManagedS3KeyARN("111111111111", c.region) {
			t.Fatalf("%s: implicit aws/s3 key %+v", c.region, managed)
		}
		if p := managed.Policy.String(); !strings.Contains(p, root) || !strings.Contains(p, `"kms:ViaService":"`+c.endpoint+`"`) || strings.Contains(p, "arn:aws:") {
			t.Errorf("%s: aws/s3 key policy %s", c.region, p)
		}
		if p := custom.Policy.String(); !strings.Contains(p, root) || strings.Contains(p, "arn:aws:") {
			t.Errorf("%s: default key policy %s", c.region, p)
		}
	}
}

// A KMS key ARN whose partition is not its region's cannot exist (an
// account and its resources live in one partition): it is a clear error.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
func TestValidateKeyPartition(t *testing.T) {
	_, err := Parse([]byte(`{"schema_version":1,"accounts":[{"id":"111111111111","kms_keys":[{"arn":"arn:aws:kms:us-gov-west-1:111111111111:key/k1"}]}]}`), "x")
	if err == nil || !strings.Contains(err.Error(), "accounts[0].kms_keys[0].arn") || !strings.Contains(err.Error(), "region us-gov-west-1 is in aws-us-gov") {
		t.Errorf("error = %v", err)
	}
}
