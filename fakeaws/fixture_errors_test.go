package fakeaws_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3controltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestFixtureErrorsServed checks that every errors key of the document is
// answered with its error by the operation that reads the field.
func TestFixtureErrorsServed(t *testing.T) {
	doc := loadOrg(t)
	doc.Organization.Errors = inventory.Errors{"roots": {Code: "AccessDeniedException", Message: "roots hidden"}}
	doc.Organization.Policies[1].Errors = inventory.Errors{"document": {Code: "AccessDeniedException", Message: "policy hidden"}}
	doc.Organization.Policies[1].Document = nil
	doc.Organization.Root.OUs[0].Errors = inventory.Errors{"ous": {Code: "AccessDeniedException", Message: "ous hidden"}, "policies": {Code: "AccessDeniedException", Message: "policies hidden"}}
	prod := &doc.Accounts[1]
	prod.Errors = inventory.Errors{"tags": {Code: "AccessDeniedException", Message: "tags hidden"}, "buckets": {Code: "AccessDenied", Message: "cannot list"}}
	prod.KMSKeys[0].Errors = inventory.Errors{"describe_key": {Code: "AccessDeniedException", Message: "no describe"}, "grants": {Code: "AccessDeniedException", Message: "no grants"}, "aliases": {Code: "AccessDeniedException", Message: "no aliases"}}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	e := start(t, doc)
	c := ctx(t)
	orgs := organizations.NewFromConfig(e.cfg)
	k := kms.NewFromConfig(e.assumed(t, prodAccount, "eu-west-1"))
	s3c := s3.NewFromConfig(e.assumed(t, prodAccount, "eu-west-1"), func(o *s3.Options) { o.UsePathStyle = true })
	cases := []struct {
		name, code, msg string
		call            func() error
	}{
		{"organization roots", "AccessDeniedException", "roots hidden", func() error {
			_, err := orgs.ListRoots(c, &organizations.ListRootsInput{})
			return err
		}},
		{"policy document", "AccessDeniedException", "policy hidden", func() error {
			_, err := orgs.DescribePolicy(c, &organizations.DescribePolicyInput{PolicyId: aws.String("p-deny-s3-delete")})
			return err
		}},
		{"OU children", "AccessDeniedException", "ous hidden", func() error {
			_, err := orgs.ListOrganizationalUnitsForParent(c, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("ou-a1b2-11111111")})
			return err
		}},
		{"OU policies", "AccessDeniedException", "policies hidden", func() error {
			_, err := orgs.ListPoliciesForTarget(c, &organizations.ListPoliciesForTargetInput{TargetId: aws.String("ou-a1b2-11111111"), Filter: orgtypes.PolicyTypeServiceControlPolicy})
			return err
		}},
		{"account tags", "AccessDeniedException", "tags hidden", func() error {
			_, err := orgs.ListTagsForResource(c, &organizations.ListTagsForResourceInput{ResourceId: aws.String(prodAccount)})
			return err
		}},
		{"bucket list", "AccessDenied", "cannot list", func() error {
			_, err := s3c.ListBuckets(c, &s3.ListBucketsInput{})
			return err
		}},
		{"key metadata", "AccessDeniedException", "no describe", func() error {
			_, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String(prodKey)})
			return err
		}},
		{"key grants", "AccessDeniedException", "no grants", func() error {
			_, err := k.ListGrants(c, &kms.ListGrantsInput{KeyId: aws.String(prodKey)})
			return err
		}},
		{"key aliases", "AccessDeniedException", "no aliases", func() error {
			_, err := k.ListAliases(c, &kms.ListAliasesInput{KeyId: aws.String(prodKey)})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if ae := wantCode(t, tc.call(), tc.code); ae.ErrorMessage() != tc.msg {
				t.Errorf("message %q, want %q", ae.ErrorMessage(), tc.msg)
			}
		})
	}
}

// TestReadOnly checks that every mutating or unknown call is refused with
// the protocol's code and changes nothing.
func TestReadOnly(t *testing.T) {
	e := start(t, loadOrg(t))
	c := ctx(t)
	calls := []struct {
		name, code string
		call       func(context.Context) error
	}{
		{"sts GetSessionToken", "InvalidAction", func(c context.Context) error {
			_, err := sts.NewFromConfig(e.cfg).GetSessionToken(c, &sts.GetSessionTokenInput{})
			return err
		}},
		{"iam CreateUser", "InvalidAction", func(c context.Context) error {
			_, err := iam.NewFromConfig(e.cfg).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("x")})
			return err
		}},
		{"ec2 DeleteVpcEndpoints", "InvalidAction", func(c context.Context) error {
			_, err := ec2.NewFromConfig(e.cfg).DeleteVpcEndpoints(c, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{"vpce-0abc1234"}})
			return err
		}},
		{"organizations DetachPolicy", "UnknownOperationException", func(c context.Context) error {
			_, err := organizations.NewFromConfig(e.cfg).DetachPolicy(c, &organizations.DetachPolicyInput{PolicyId: aws.String("p-rcp-tls"), TargetId: aws.String("r-a1b2")})
			return err
		}},
		{"kms ScheduleKeyDeletion", "UnknownOperationException", func(c context.Context) error {
			_, err := kms.NewFromConfig(e.cfg).ScheduleKeyDeletion(c, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(prodKey)})
			return err
		}},
		{"s3control PutPublicAccessBlock", "NotImplemented", func(c context.Context) error {
			_, err := s3control.NewFromConfig(e.cfg, func(o *s3control.Options) { o.EndpointResolverV2 = fakeawstest.FixedEndpoint(e.url) }).PutPublicAccessBlock(c,
				&s3control.PutPublicAccessBlockInput{AccountId: aws.String(mgmtAccount), PublicAccessBlockConfiguration: &s3controltypes.PublicAccessBlockConfiguration{}})
			return err
		}},
		{"s3 DeleteBucket", "NotImplemented", func(c context.Context) error {
			_, err := s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true; o.Region = "us-east-1" }).DeleteBucket(c, &s3.DeleteBucketInput{Bucket: aws.String("mgmt-logs")})
			return err
		}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(c), tc.code) })
	}
}
