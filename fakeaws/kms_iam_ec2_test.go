package fakeaws_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/bucketaudit/bucketaudit/inventory"
)

const prodKey = "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// TestKMS checks key resolution (ID, ARN, alias, alias ARN), the AWS
// managed aws/s3 key, scoping and the errors.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
func TestKMS(t *testing.T) {
	e := start(t, loadOrg(t))
	c := ctx(t)
	k := kms.NewFromConfig(e.assumed(t, prodAccount, "eu-west-1"))
	for _, ref := range []string{prodKey, "1234abcd-12ab-34cd-56ef-1234567890ab", "alias/prod-data", "arn:aws:kms:eu-west-1:222222222222:alias/prod-reports"} {
		out, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
		if err != nil {
			t.Fatalf("DescribeKey(%s): %v", ref, err)
		}
		if *out.KeyMetadata.Arn != prodKey || out.KeyMetadata.KeyManager != "CUSTOMER" || !out.KeyMetadata.Enabled {
			t.Errorf("DescribeKey(%s) = %+v", ref, out.KeyMetadata)
		}
	}
	// The aws/s3 key exists because a bucket uses SSE-KMS without a key.
	managed, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/s3")})
	if err != nil {
		t.Fatal(err)
	}
	if managed.KeyMetadata.KeyManager != "AWS" || *managed.KeyMetadata.Arn != inventory.AWSManagedS3KeyARN(prodAccount, "eu-west-1") {
		t.Errorf("aws/s3 key = %+v", managed.KeyMetadata)
	}
	pol, err := k.GetKeyPolicy(c, &kms.GetKeyPolicyInput{KeyId: managed.KeyMetadata.KeyId})
	if err != nil || !strings.Contains(*pol.Policy, `"kms:ViaService":"s3.eu-west-1.amazonaws.com"`) {
		t.Errorf("aws/s3 key policy = %v, %v", pol, err)
	}
	// A key with no policy in the fixture has AWS's default key policy.
	dflt, err := k.GetKeyPolicy(c, &kms.GetKeyPolicyInput{KeyId: aws.String(prodKey), PolicyName: aws.String("default")})
	if err != nil || *dflt.Policy != inventory.DefaultKeyPolicy("aws", prodAccount).String() {
		t.Errorf("default key policy = %v, %v", dflt, err)
	}
	// ListGrants pages: 4 grants, pages of at most 3.
	g1, err := k.ListGrants(c, &kms.ListGrantsInput{KeyId: aws.String(prodKey)})
	if err != nil || len(g1.Grants) != 3 || !g1.Truncated || g1.NextMarker == nil {
		t.Fatalf("ListGrants first page = %+v, %v", g1, err)
	}
	g2, err := k.ListGrants(c, &kms.ListGrantsInput{KeyId: aws.String(prodKey), Marker: g1.NextMarker})
	if err != nil || len(g2.Grants) != 1 || g2.Truncated || *g2.Grants[0].GrantId != "g-4" {
		t.Fatalf("ListGrants last page = %+v, %v", g2, err)
	}
	cases := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown key id", func() error {
			_, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String("99999999-0000-0000-0000-000000000000")})
			return err
		}, "NotFoundException"},
		{"unknown alias", func() error {
			_, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String("alias/nope")})
			return err
		}, "NotFoundException"},
		{"another account's key", func() error {
			_, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String("arn:aws:kms:eu-west-1:333333333333:key/abc")})
			return err
		}, "AccessDeniedException"},
		{"key in another region", func() error {
			_, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String("arn:aws:kms:us-west-2:222222222222:key/abc")})
			return err
		}, "NotFoundException"},
		{"malformed arn", func() error {
			_, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String("arn:aws:s3:::bucket")})
			return err
		}, "InvalidArnException"},
		{"GetKeyPolicy takes no alias", func() error {
			_, err := k.GetKeyPolicy(c, &kms.GetKeyPolicyInput{KeyId: aws.String("alias/prod-data")})
			return err
		}, "NotFoundException"},
		{"unknown policy name", func() error {
			_, err := k.GetKeyPolicy(c, &kms.GetKeyPolicyInput{KeyId: aws.String(prodKey), PolicyName: aws.String("other")})
			return err
		}, "NotFoundException"},
		{"fixture error", func() error {
			_, err := k.GetKeyPolicy(c, &kms.GetKeyPolicyInput{KeyId: aws.String("00000000-1111-2222-3333-444444444444")})
			return err
		}, "AccessDeniedException"},
		{"bad marker", func() error {
			_, err := k.ListGrants(c, &kms.ListGrantsInput{KeyId: aws.String(prodKey), Marker: aws.String("nope")})
			return err
		}, "InvalidMarkerException"},
		{"limit too large", func() error {
			_, err := k.ListAliases(c, &kms.ListAliasesInput{Limit: aws.Int32(1001)})
			return err
		}, "ValidationException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), tc.code) })
	}
}

// TestIAMAuthorizationDetails checks pagination, filters, the URL
// encoding of policy documents and the errors.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
func TestIAMAuthorizationDetails(t *testing.T) {
	e := start(t, loadOrg(t))
	c := ctx(t)
	client := iam.NewFromConfig(e.assumed(t, prodAccount, "us-east-1"))
	// 1 user + 1 group + 2 roles + 3 policies = 7 entities: pages of 3, 3, 1.
	p := iam.NewGetAccountAuthorizationDetailsPaginator(client, &iam.GetAccountAuthorizationDetailsInput{})
	var pages, entities int
	for p.HasMorePages() {
		out, err := p.NextPage(c)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		entities += len(out.UserDetailList) + len(out.GroupDetailList) + len(out.RoleDetailList) + len(out.Policies)
	}
	if pages != 3 || entities != 7 {
		t.Errorf("pages = %d, entities = %d; want 3 and 7", pages, entities)
	}
	roles, err := client.GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeRole}})
	if err != nil || len(roles.RoleDetailList) != 2 || len(roles.Policies)+len(roles.UserDetailList) != 0 {
		t.Fatalf("Filter=Role: %+v, %v", roles, err)
	}
	r := roles.RoleDetailList[1]
	if *r.RoleName != "loader" || *r.Path != "/service-role/" {
		t.Errorf("role name/path = %s %s", *r.RoleName, *r.Path)
	}
	// Documents arrive URL-encoded, as AWS sends them.
	raw := *r.AssumeRolePolicyDocument
	if strings.ContainsAny(raw, `{}":`) {
		t.Errorf("AssumeRolePolicyDocument is not URL-encoded: %s", raw)
	}
	if dec, err := url.QueryUnescape(raw); err != nil || !strings.Contains(dec, `"AWS":"arn:aws:iam::333333333333:root"`) {
		t.Errorf("decoded trust policy = %s, %v", dec, err)
	}
	managed, err := client.GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeAWSManagedPolicy}})
	if err != nil || len(managed.Policies) != 1 || *managed.Policies[0].PolicyName != "AmazonS3ReadOnlyAccess" || *managed.Policies[0].AttachmentCount != 1 {
		t.Fatalf("Filter=AWSManagedPolicy: %+v, %v", managed, err)
	}
	_, err = client.GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{"Bogus"}})
	wantCode(t, err, "ValidationError")
	_, err = client.GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1001)})
	wantCode(t, err, "ValidationError")
	_, err = client.GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{Marker: aws.String("bogus")})
	wantCode(t, err, "ValidationError")
	dev := iam.NewFromConfig(e.assumed(t, devAccount, "us-east-1"))
	_, err = dev.GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{})
	wantCode(t, err, "AccessDenied") // the fixture's errors.iam
}

func TestEC2VpcEndpoints(t *testing.T) {
	e := start(t, loadOrg(t))
	c := ctx(t)
	client := ec2.NewFromConfig(e.assumed(t, prodAccount, "eu-west-1"))
	all, err := client.DescribeVpcEndpoints(c, &ec2.DescribeVpcEndpointsInput{})
	if err != nil || len(all.VpcEndpoints) != 3 || all.NextToken == nil {
		t.Fatalf("first page = %+v, %v; want 3 endpoints and a token", all, err)
	}
	rest, err := client.DescribeVpcEndpoints(c, &ec2.DescribeVpcEndpointsInput{NextToken: all.NextToken})
	if err != nil || len(rest.VpcEndpoints) != 1 || rest.NextToken != nil {
		t.Fatalf("second page = %+v, %v", rest, err)
	}
	s3only, err := client.DescribeVpcEndpoints(c, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{
		{Name: aws.String("service-name"), Values: []string{"com.amazonaws.eu-west-1.s3"}},
		{Name: aws.String("vpc-endpoint-type"), Values: []string{"Gateway"}},
	}})
	if err != nil || len(s3only.VpcEndpoints) != 2 {
		t.Fatalf("filtered = %+v, %v", s3only, err)
	}
	one, err := client.DescribeVpcEndpoints(c, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-0def5678"}})
	if err != nil || len(one.VpcEndpoints) != 1 || one.VpcEndpoints[0].VpcEndpointType != ec2types.VpcEndpointTypeInterface ||
		*one.VpcEndpoints[0].PolicyDocument != inventory.DefaultVPCEndpointPolicy().String() || *one.VpcEndpoints[0].OwnerId != prodAccount {
		t.Fatalf("by id = %+v, %v", one, err)
	}
	_, err = client.DescribeVpcEndpoints(c, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-0bbb0001"}}) // us-west-2
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")
	_, err = client.DescribeVpcEndpoints(c, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{{Name: aws.String("owner"), Values: []string{"x"}}}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = client.DescribeVpcEndpoints(c, &ec2.DescribeVpcEndpointsInput{NextToken: aws.String("bogus")})
	wantCode(t, err, "InvalidPaginationToken")
	dev := ec2.NewFromConfig(e.assumed(t, devAccount, "eu-west-1"))
	_, err = dev.DescribeVpcEndpoints(c, &ec2.DescribeVpcEndpointsInput{})
	wantCode(t, err, "UnauthorizedOperation") // the fixture's errors["vpc_endpoints:eu-west-1"]
}
