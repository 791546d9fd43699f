package fakeaws_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// govOrg is an organisation in AWS GovCloud (US): its buckets and keys are
// in us-gov-* regions.
const govOrg = `schema_version: 1
organization:
  id: o-g0vc10ud00
  management_account_id: "111111111111"
  root: {id: r-g0v1, accounts: ["111111111111", "222222222222"]}
accounts:
  - id: "111111111111"
    audit_role: {name: BucketAuditRole}
  - id: "222222222222"
    audit_role: {name: BucketAuditRole}
    buckets:
      - {name: gov-data, region: us-gov-west-1, encryption: {algorithm: "aws:kms"}}
    kms_keys:
      - {arn: "arn:aws-us-gov:kms:us-gov-west-1:222222222222:key/k-1", aliases: [alias/data]}
`

// TestPartitionOfFixture: the emulator serves a GovCloud organisation's
// ARNs in the aws-us-gov partition (caller identity, Organizations,
// assumed-role sessions, KMS keys and aliases), and refuses to assume a role
// named in another partition, as AWS does for an account that does not
// exist there.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
func TestPartitionOfFixture(t *testing.T) {
	doc, err := inventory.Parse([]byte(govOrg), "gov.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, u := fakeawstest.Start(t, doc)
	cfg := fakeawstest.Config(u, "us-gov-west-1", doc)
	cfg.RetryMaxAttempts = 1
	c := ctx(t)
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != "arn:aws-us-gov:iam::111111111111:root" {
		t.Errorf("GetCallerIdentity Arn = %s", *id.Arn)
	}
	o, err := organizations.NewFromConfig(cfg).DescribeOrganization(c, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *o.Organization.Arn != "arn:aws-us-gov:organizations::111111111111:organization/o-g0vc10ud00" ||
		*o.Organization.MasterAccountArn != "arn:aws-us-gov:organizations::111111111111:account/o-g0vc10ud00/111111111111" {
		t.Errorf("organization ARNs %s, %s", *o.Organization.Arn, *o.Organization.MasterAccountArn)
	}
	assume := func(arn string) (aws.Config, error) {
		s := cfg.Copy()
		s.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), arn))
		_, err := s.Credentials.Retrieve(c)
		return s, err
	}
	if _, err := assume("arn:aws:iam::222222222222:role/BucketAuditRole"); err == nil {
		t.Error("a role ARN of the aws partition was assumed in a GovCloud organisation")
	} else {
		wantCode(t, err, "AccessDenied")
	}
	sess, err := assume("arn:aws-us-gov:iam::222222222222:role/BucketAuditRole")
	if err != nil {
		t.Fatal(err)
	}
	me, err := sts.NewFromConfig(sess).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*me.Arn, "arn:aws-us-gov:sts::222222222222:assumed-role/BucketAuditRole/") {
		t.Errorf("session Arn = %s", *me.Arn)
	}
	k := kms.NewFromConfig(sess)
	al, err := k.ListAliases(c, &kms.ListAliasesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, a := range al.Aliases {
		arns = append(arns, *a.AliasArn)
	}
	if len(arns) != 2 || !strings.Contains(strings.Join(arns, " "), "arn:aws-us-gov:kms:us-gov-west-1:222222222222:alias/data") || strings.Contains(strings.Join(arns, " "), "arn:aws:") {
		t.Errorf("alias ARNs %v", arns)
	}
	// A bare key ID and the aws/s3 alias resolve to keys in the partition.
	for _, ref := range []string{"k-1", "alias/aws/s3"} {
		d, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
		if err != nil {
			t.Fatalf("DescribeKey %s: %v", ref, err)
		}
		if !strings.HasPrefix(*d.KeyMetadata.Arn, "arn:aws-us-gov:kms:us-gov-west-1:222222222222:key/") {
			t.Errorf("DescribeKey %s Arn = %s", ref, *d.KeyMetadata.Arn)
		}
	}
	if _, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String("arn:aws:kms:us-gov-west-1:222222222222:key/k-1")}); err == nil {
		t.Error("a key ARN of the aws partition was found in a GovCloud organisation")
	}
}

// TestFixtureSpanningPartitions: an organisation lives in one partition, so
// a fixture whose regions span two is refused with a clear error.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
func TestFixtureSpanningPartitions(t *testing.T) {
	mixed := strings.Replace(govOrg, "    kms_keys:\n", "      - {name: cn-data, region: cn-north-1}\n    kms_keys:\n", 1)
	doc, err := inventory.Parse([]byte(mixed), "mixed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = fakeaws.New(doc, fakeaws.Options{})
	if err == nil {
		t.Fatal("a fixture spanning partitions was served")
	}
	for _, want := range []string{"bucket cn-data (region cn-north-1)", "bucket gov-data (region us-gov-west-1)", "aws-cn", "aws-us-gov", "one partition"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
