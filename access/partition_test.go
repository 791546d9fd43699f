package access

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
)

// A bucket lives in the partition of its region, and its ARN starts with
// that partition: arn:aws-us-gov:s3:::NAME in AWS GovCloud (US),
// arn:aws-cn:s3:::NAME in the China regions. A policy that names the
// bucket in another partition's ARN does not match it.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
// https://docs.amazonaws.cn/en_us/aws/latest/userguide/ARNs.html
func TestPartitionBucketARN(t *testing.T) {
	cases := []struct {
		name, region, partition string
		verdict                 model.Verdict
	}{
		{"gov grant in GovCloud", "us-gov-west-1", "aws-us-gov", model.VerdictAllow},
		{"cn grant in China", "cn-north-1", "aws-cn", model.VerdictAllow},
		{"aws grant in GovCloud", "us-gov-west-1", "aws", model.VerdictDeny},
		{"gov grant in a commercial region", "eu-west-1", "aws-us-gov", model.VerdictDeny},
		{"aws grant in China", "cn-northwest-1", "aws", model.VerdictDeny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bucket := fmt.Sprintf(`name: bkt
region: %s
policy: {Version: "2012-10-17", Statement: [{Sid: PublicRead, Effect: Allow, Principal: "*", Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["arn:%s:s3:::bkt", "arn:%s:s3:::bkt/*"]}]}`, tc.region, tc.partition, tc.partition)
			rep := analyzeYAML(t, testOrg(bucket, ""), nil)
			b := bucketNamed(t, rep, "bkt")
			for _, path := range []string{"public.read", "public.list", "any_aws.read"} {
				if c := cellAt(t, b, path); c.Verdict != tc.verdict {
					t.Errorf("%s = %s (%s), want %s", path, c.Verdict, c.Reason, tc.verdict)
				}
			}
			if tc.verdict == model.VerdictAllow {
				if c := cellAt(t, b, "public.read"); !strings.Contains(c.Reason, "PublicRead") {
					t.Errorf("public.read reason %q does not name the statement", c.Reason)
				}
			}
		})
	}
}

// A bucket's SSE-KMS key named by its bare ID is the key of the bucket's
// account and region, in that region's partition
// (arn:aws-us-gov:kms:us-gov-west-1:ACCOUNT:key/ID); its key policy is
// found and decides.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
func TestPartitionKMSKeyByID(t *testing.T) {
	bucket := `name: bkt
region: us-gov-west-1
encryption: {algorithm: "aws:kms", kms_key_id: "k-gov-1"}
policy: {Version: "2012-10-17", Statement: [{Sid: PeerRead, Effect: Allow, Principal: {AWS: "arn:aws-us-gov:iam::333333333333:root"}, Action: "s3:GetObject", Resource: "arn:aws-us-gov:s3:::bkt/*"}]}`
	extra := `kms_keys:
  - arn: arn:aws-us-gov:kms:us-gov-west-1:222222222222:key/k-gov-1
    policy: {Version: "2012-10-17", Statement: [{Sid: Owner, Effect: Allow, Principal: {AWS: "arn:aws-us-gov:iam::222222222222:root"}, Action: "kms:*", Resource: "*"}, {Sid: PeerDecrypt, Effect: Allow, Principal: {AWS: "arn:aws-us-gov:iam::333333333333:root"}, Action: "kms:Decrypt", Resource: "*"}]}`
	rep := analyzeYAML(t, testOrg(bucket, extra), nil)
	b := bucketNamed(t, rep, "bkt")
	if b.Config.KMSKeyARN != "arn:aws-us-gov:kms:us-gov-west-1:222222222222:key/k-gov-1" {
		t.Errorf("kms key ARN %q", b.Config.KMSKeyARN)
	}
	c := cellAt(t, b, "org.read")
	if c.Verdict != model.VerdictAllow {
		t.Errorf("org.read = %s (%s), want allow: the key policy lets 333333333333 decrypt", c.Verdict, c.Reason)
	}
}

// Two GovCloud buckets with the same policy text, a wildcard naming only
// one of them (arn:aws-us-gov:s3:::prod-*), get their own verdicts: the
// shape cache must see the GovCloud ARN as naming buckets.
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
func TestPartitionShapeSeesNamedBuckets(t *testing.T) {
	pol := `{Version: "2012-10-17", Statement: [{Sid: ProdRead, Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws-us-gov:s3:::prod-*/*"}]}`
	doc := `schema_version: 1
accounts:
  - id: "222222222222"
    buckets:
      - {name: prod-a, region: us-gov-west-1, policy: ` + pol + `}
      - {name: dev-a, region: us-gov-west-1, policy: ` + pol + `}
`
	rep := analyzeYAML(t, doc, nil)
	if c := cellAt(t, bucketNamed(t, rep, "prod-a"), "public.read"); c.Verdict != model.VerdictAllow {
		t.Errorf("prod-a public.read = %s (%s), want allow", c.Verdict, c.Reason)
	}
	if c := cellAt(t, bucketNamed(t, rep, "dev-a"), "public.read"); c.Verdict != model.VerdictDeny {
		t.Errorf("dev-a public.read = %s (%s), want deny", c.Verdict, c.Reason)
	}
}

// The remediation of a GovCloud bucket names its ARN in its partition.
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
func TestPartitionRemediation(t *testing.T) {
	rep := analyzeYAML(t, testOrg("name: bkt\nregion: us-gov-east-1", ""), nil)
	b := bucketNamed(t, rep, "bkt")
	found := false
	for _, f := range b.Findings {
		if f.ID == model.FindingNoTLSEnforcement {
			found = true
			if !strings.Contains(f.Remediation, `"arn:aws-us-gov:s3:::bkt","arn:aws-us-gov:s3:::bkt/*"`) {
				t.Errorf("TLS remediation %q does not name the GovCloud ARNs", f.Remediation)
			}
		}
	}
	if !found {
		t.Errorf("no %s finding", model.FindingNoTLSEnforcement)
	}
}

// A bucket whose region could not be read is in the partition of the
// organisation's other resources (an organisation lives in one
// partition), so a GovCloud bucket policy still names it: its verdicts are
// the ones the same organisation gets in the commercial partition.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
func TestPartitionOfBucketWithoutRegion(t *testing.T) {
	doc := func(partition, region string) string {
		return `schema_version: 1
accounts:
  - id: "222222222222"
    buckets:
      - {name: known, region: ` + region + `}
      - name: unlocated
        errors: {region: "AccessDenied: Access Denied"}
        policy: {Version: "2012-10-17", Statement: [{Sid: PublicRead, Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "arn:` + partition + `:s3:::unlocated/*"}]}
`
	}
	want := cellAt(t, bucketNamed(t, analyzeYAML(t, doc("aws", "eu-west-1"), nil), "unlocated"), "public.read")
	for _, c := range [][2]string{{"aws-us-gov", "us-gov-west-1"}, {"aws-cn", "cn-north-1"}} {
		got := cellAt(t, bucketNamed(t, analyzeYAML(t, doc(c[0], c[1]), nil), "unlocated"), "public.read")
		if got.Verdict != want.Verdict {
			t.Errorf("%s: public.read = %s (%s), want %s (%s) as in the aws partition", c[0], got.Verdict, got.Reason, want.Verdict, want.Reason)
		}
	}
	if want.Verdict == model.VerdictDeny {
		t.Errorf("aws: public.read = deny (%s): the policy grants it", want.Reason)
	}
}
