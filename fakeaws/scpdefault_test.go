package fakeaws_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestListPoliciesForTargetDefaultsFullAWSAccess: a root, OU or account of
// the fixture that lists no policies answers ListPoliciesForTarget with the
// AWS managed FullAWSAccess (Organizations attaches it to every new target
// once SCPs are enabled and never lets the last SCP go), and DescribePolicy
// serves its document even though the fixture does not define it. RCPs are
// not defaulted (RCPFullAWSAccess is implicit in the analysis).
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListPoliciesForTarget.html
func TestListPoliciesForTargetDefaultsFullAWSAccess(t *testing.T) {
	doc := loadOrg(t)
	// The fixture defines FullAWSAccess; drop it (its explicit attachments
	// become p-account-scp) to check the emulator serves it anyway.
	var drop func(ou *inventory.OU)
	without := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			if id == inventory.FullAWSAccessID {
				id = "p-account-scp"
			}
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
		return out
	}
	drop = func(ou *inventory.OU) {
		if ou.Policies != nil {
			ou.Policies = without(ou.Policies)
		}
		for i := range ou.OUs {
			drop(&ou.OUs[i])
		}
	}
	drop(&doc.Organization.Root)
	for i := range doc.Accounts {
		if doc.Accounts[i].Policies != nil {
			doc.Accounts[i].Policies = without(doc.Accounts[i].Policies)
		}
	}
	pols := doc.Organization.Policies[:0]
	for _, p := range doc.Organization.Policies {
		if p.ID != inventory.FullAWSAccessID {
			pols = append(pols, p)
		}
	}
	doc.Organization.Policies = pols
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	e := start(t, doc)
	c := ctx(t)
	orgs := organizations.NewFromConfig(e.cfg)
	list := func(target string, filter orgtypes.PolicyType) []string {
		t.Helper()
		out, err := orgs.ListPoliciesForTarget(c, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(target), Filter: filter})
		if err != nil {
			t.Fatalf("ListPoliciesForTarget(%s, %s): %v", target, filter, err)
		}
		var ids []string
		for _, p := range out.Policies {
			ids = append(ids, aws.ToString(p.Id))
		}
		return ids
	}
	for _, target := range []string{"ou-a1b2-44444444", devAccount, mgmtAccount} { // no policies in the fixture
		got := list(target, orgtypes.PolicyTypeServiceControlPolicy)
		if len(got) != 1 || got[0] != inventory.FullAWSAccessID {
			t.Errorf("SCPs of %s = %v, want [p-FullAWSAccess]", target, got)
		}
		if got := list(target, orgtypes.PolicyTypeResourceControlPolicy); len(got) != 0 {
			t.Errorf("RCPs of %s = %v, want none", target, got)
		}
	}
	if got := list(prodAccount, orgtypes.PolicyTypeServiceControlPolicy); len(got) != 1 || got[0] != "p-account-scp" {
		t.Errorf("SCPs of %s = %v, want its listed [p-account-scp] only", prodAccount, got)
	}
	d, err := orgs.DescribePolicy(c, &organizations.DescribePolicyInput{PolicyId: aws.String(inventory.FullAWSAccessID)})
	if err != nil {
		t.Fatal(err)
	}
	want := inventory.FullAWSAccessPolicy()
	if aws.ToString(d.Policy.Content) != want.Document.String() || !d.Policy.PolicySummary.AwsManaged ||
		aws.ToString(d.Policy.PolicySummary.Arn) != "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess" {
		t.Errorf("DescribePolicy(p-FullAWSAccess) = %s %+v", aws.ToString(d.Policy.Content), d.Policy.PolicySummary)
	}
}
