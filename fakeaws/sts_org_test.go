package fakeaws_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestAssumeRole checks the audit role rules: the role name and path, the
// ExternalId, the caller's account and the session limits.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
func TestAssumeRole(t *testing.T) {
	doc := loadOrg(t)
	// A suspended account whose errors do not say why: the status decides.
	doc.Accounts = append(doc.Accounts, inventory.Account{ID: "555555555555", Status: inventory.AccountSuspended, AuditRole: &inventory.AuditRole{Name: "BucketAuditRole"}})
	doc.Organization.Root.Accounts = append(doc.Organization.Root.Accounts, "555555555555")
	e := start(t, doc)
	c := ctx(t)
	stsc := sts.NewFromConfig(e.cfg)
	assume := func(arn, session, ext string, dur int32) (*sts.AssumeRoleOutput, error) {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String(session)}
		if ext != "" {
			in.ExternalId = aws.String(ext)
		}
		if dur != 0 {
			in.DurationSeconds = aws.Int32(dur)
		}
		return stsc.AssumeRole(c, in)
	}
	out, err := assume(roleARN(prodAccount), "audit", prodExternalID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *out.AssumedRoleUser.Arn, "arn:aws:sts::222222222222:assumed-role/BucketAuditRole/audit"; got != want {
		t.Errorf("AssumedRoleUser.Arn = %s, want %s", got, want)
	}
	// The session is scoped to its account.
	sess := e.cfg.Copy()
	sess.Credentials = credentials.NewStaticCredentialsProvider(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	id, err := sts.NewFromConfig(sess).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Account != prodAccount || *id.Arn != *out.AssumedRoleUser.Arn || *id.UserId != *out.AssumedRoleUser.AssumedRoleId {
		t.Errorf("GetCallerIdentity with the session = %s %s %s", *id.Account, *id.Arn, *id.UserId)
	}
	// The management account can assume its own audit role too.
	if _, err := assume(roleARN(mgmtAccount), "audit", "", 0); err != nil {
		t.Errorf("management account audit role: %v", err)
	}
	cases := []struct {
		name, arn, session, ext string
		dur                     int32
		code                    string
	}{
		{"wrong external id", roleARN(prodAccount), "audit", "nope", 0, "AccessDenied"},
		{"missing external id", roleARN(prodAccount), "audit", "", 0, "AccessDenied"},
		{"wrong role path", "arn:aws:iam::222222222222:role/BucketAuditRole", "audit", prodExternalID, 0, "AccessDenied"},
		{"wrong role name", "arn:aws:iam::333333333333:role/Admin", "audit", "", 0, "AccessDenied"},
		{"unknown account", "arn:aws:iam::999999999999:role/BucketAuditRole", "audit", "", 0, "AccessDenied"},
		{"fixture error", roleARN(suspendAccount), "audit", "", 0, "AccessDenied"},
		{"suspended account", "arn:aws:iam::555555555555:role/BucketAuditRole", "audit", "", 0, "AccessDenied"},
		{"malformed arn", "arn:aws:iam::3333:role/x", "audit", "", 0, "ValidationError"},
		{"short session name", roleARN(devAccount), "a", "", 0, "ValidationError"},
		{"bad session name", roleARN(devAccount), "a b", "", 0, "ValidationError"},
		{"duration too short", roleARN(devAccount), "audit", "", 899, "ValidationError"},
		{"duration above the role maximum", roleARN(devAccount), "audit", "", 7200, "ValidationError"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := assume(tc.arn, tc.session, tc.ext, tc.dur)
			ae := wantCode(t, err, tc.code)
			if tc.name == "fixture error" && ae.ErrorMessage() != "the account is suspended" {
				t.Errorf("fixture error message = %q", ae.ErrorMessage())
			}
		})
	}
	// A member account's session cannot assume roles in other accounts.
	_, err = sts.NewFromConfig(sess).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(devAccount)), RoleSessionName: aws.String("hop")})
	wantCode(t, err, "AccessDenied")
}

func TestOrganizationsErrorsAndPagination(t *testing.T) {
	e := start(t, loadOrg(t))
	c := ctx(t)
	orgs := organizations.NewFromConfig(e.cfg)
	// Small pages: 4 accounts in pages of at most 3 (the server's cap) even when 20 are asked.
	out, err := orgs.ListAccounts(c, &organizations.ListAccountsInput{MaxResults: aws.Int32(20)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Accounts) != 3 || out.NextToken == nil {
		t.Fatalf("first ListAccounts page: %d accounts, token %v; want 3 and a token", len(out.Accounts), out.NextToken)
	}
	last, err := orgs.ListAccounts(c, &organizations.ListAccountsInput{NextToken: out.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(last.Accounts) != 1 || last.NextToken != nil || *last.Accounts[0].Id != suspendAccount || last.Accounts[0].Status != orgtypes.AccountStatusSuspended {
		t.Fatalf("last ListAccounts page: %+v", last)
	}
	// ListTagsForResource: 4 tags in pages of 3.
	tags := organizations.NewListTagsForResourcePaginator(orgs, &organizations.ListTagsForResourceInput{ResourceId: aws.String(prodAccount)})
	pages := 0
	for tags.HasMorePages() {
		if _, err := tags.NextPage(c); err != nil {
			t.Fatal(err)
		}
		pages++
	}
	if pages != 2 {
		t.Errorf("ListTagsForResource pages = %d, want 2", pages)
	}
	// ListParents of an account under the root and under an OU.
	for child, want := range map[string]orgtypes.ParentType{mgmtAccount: orgtypes.ParentTypeRoot, prodAccount: orgtypes.ParentTypeOrganizationalUnit} {
		p, err := orgs.ListParents(c, &organizations.ListParentsInput{ChildId: aws.String(child)})
		if err != nil || len(p.Parents) != 1 || p.Parents[0].Type != want {
			t.Errorf("ListParents(%s) = %+v, %v; want one %s", child, p, err, want)
		}
	}

	cases := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown parent", func() error {
			_, err := orgs.ListAccountsForParent(c, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-a1b2-99999999")})
			return err
		}, "ParentNotFoundException"},
		{"malformed parent", func() error {
			_, err := orgs.ListOrganizationalUnitsForParent(c, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("222222222222")})
			return err
		}, "InvalidInputException"},
		{"fixture OU error", func() error {
			_, err := orgs.ListAccountsForParent(c, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-a1b2-55555555")})
			return err
		}, "AccessDeniedException"},
		{"MaxResults above 20", func() error {
			_, err := orgs.ListAccounts(c, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
			return err
		}, "InvalidInputException"},
		{"token of another listing", func() error {
			_, err := orgs.ListRoots(c, &organizations.ListRootsInput{NextToken: out.NextToken})
			return err
		}, "InvalidInputException"},
		{"garbage token", func() error {
			_, err := orgs.ListAccounts(c, &organizations.ListAccountsInput{NextToken: aws.String("!!")})
			return err
		}, "InvalidInputException"},
		{"unknown target", func() error {
			_, err := orgs.ListPoliciesForTarget(c, &organizations.ListPoliciesForTargetInput{TargetId: aws.String("999999999999"), Filter: orgtypes.PolicyTypeServiceControlPolicy})
			return err
		}, "TargetNotFoundException"},
		{"unknown filter", func() error {
			_, err := orgs.ListPoliciesForTarget(c, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(prodAccount), Filter: "NOT_A_TYPE"})
			return err
		}, "InvalidInputException"},
		{"unknown policy", func() error {
			_, err := orgs.DescribePolicy(c, &organizations.DescribePolicyInput{PolicyId: aws.String("p-nothere1")})
			return err
		}, "PolicyNotFoundException"},
		{"unknown child", func() error {
			_, err := orgs.ListParents(c, &organizations.ListParentsInput{ChildId: aws.String("999999999999")})
			return err
		}, "ChildNotFoundException"},
		{"unknown tag resource", func() error {
			_, err := orgs.ListTagsForResource(c, &organizations.ListTagsForResourceInput{ResourceId: aws.String("999999999999")})
			return err
		}, "TargetNotFoundException"},
		{"unknown account", func() error {
			_, err := orgs.DescribeAccount(c, &organizations.DescribeAccountInput{AccountId: aws.String("999999999999")})
			return err
		}, "AccountNotFoundException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), tc.code) })
	}

	// A member account may describe its organisation but not list it.
	member := organizations.NewFromConfig(e.assumed(t, devAccount, "us-east-1"))
	if _, err := member.DescribeOrganization(c, &organizations.DescribeOrganizationInput{}); err != nil {
		t.Errorf("DescribeOrganization from a member account: %v", err)
	}
	_, err = member.ListRoots(c, &organizations.ListRootsInput{})
	wantCode(t, err, "AccessDeniedException")

	// Without an organisation every call says so.
	solo := &inventory.Document{SchemaVersion: 1, Accounts: []inventory.Account{{ID: "123456789012"}}}
	e2 := start(t, solo)
	_, err = organizations.NewFromConfig(e2.cfg).DescribeOrganization(c, &organizations.DescribeOrganizationInput{})
	wantCode(t, err, "AWSOrganizationsNotInUseException")
	id, err := sts.NewFromConfig(e2.cfg).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	if err != nil || *id.Account != "123456789012" {
		t.Errorf("without an organisation the base credentials belong to the first account: %v %v", id, err)
	}
}
