package fakeaws_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestSyntheticRolesDeterministic checks that roles=R is deterministic,
// validates, leaves the rest of the document as Synthetic gives it, and
// has the mix of identity policies, boundaries and trust policies asked for.
func TestSyntheticRolesDeterministic(t *testing.T) {
	if diff := cmp.Diff(fakeaws.Synthetic(5, 7), fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 5, Buckets: 7})); diff != "" {
		t.Fatalf("roles=0 differs from Synthetic:\n%s", diff)
	}
	o := fakeaws.SyntheticOptions{Accounts: 6, Buckets: 5, Roles: 24}
	doc := fakeaws.SyntheticWith(o)
	if err := doc.Validate(); err != nil {
		t.Fatalf("synthetic document with roles does not validate: %v", err)
	}
	if diff := cmp.Diff(doc, fakeaws.SyntheticWith(o)); diff != "" {
		t.Fatalf("SyntheticWith is not deterministic:\n%s", diff)
	}
	plain := fakeaws.Synthetic(6, 5)
	kinds := map[string]int{}
	for i, a := range doc.Accounts {
		if diff := cmp.Diff(plain.Accounts[i].Buckets, a.Buckets); diff != "" {
			t.Fatalf("account %s: roles changed the buckets:\n%s", a.ID, diff)
		}
		if got := len(a.IAM.Roles) - len(plain.Accounts[i].IAM.Roles); got != o.Roles {
			t.Fatalf("account %s: %d extra roles, want %d", a.ID, got, o.Roles)
		}
		if len(a.IAM.Users) == 0 || len(a.IAM.Groups) == 0 {
			t.Errorf("account %s: no users or groups", a.ID)
		}
		for _, r := range a.IAM.Roles {
			trust := r.TrustPolicy.String()
			switch {
			case strings.Contains(trust, "sts:ExternalId"):
				kinds["external with ExternalId"]++
			case strings.Contains(trust, fakeaws.SyntheticPartnerAccount):
				kinds["external without ExternalId"]++
			case strings.Contains(trust, `"Service"`):
				kinds["service"]++
			case strings.Contains(trust, ":root"):
				kinds["own account"]++
			case strings.Contains(trust, ":role/"):
				kinds["a role"]++
			}
			if r.PermissionsBoundary != "" {
				kinds["boundary"]++
			}
			switch {
			case len(r.AttachedPolicies) > 0 && strings.HasSuffix(r.AttachedPolicies[0], "AdministratorAccess"):
				kinds["admin"]++
			case r.InlinePolicies["rw"] != nil:
				kinds["read-write"]++
			case r.InlinePolicies["logs"] != nil:
				kinds["no s3"]++
			}
		}
	}
	for _, k := range []string{"external with ExternalId", "external without ExternalId", "service", "own account", "a role", "boundary", "admin", "read-write", "no s3"} {
		if kinds[k] == 0 {
			t.Errorf("no %s role in %+v", k, kinds)
		}
	}
}

// TestSyntheticRolesServed reads the generated roles back through the SDK
// (GetAccountAuthorizationDetails) from the emulator.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
func TestSyntheticRolesServed(t *testing.T) {
	doc := fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 2, Buckets: 1, Roles: 12})
	e := start(t, doc)
	acct := doc.Accounts[1]
	cfg, err := e.tryAssumeRole(ctx(t), "arn:aws:iam::"+acct.ID+":role/"+fakeaws.SyntheticAuditRole, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(iam.NewFromConfig(cfg), &iam.GetAccountAuthorizationDetailsInput{})
	trust := map[string]string{}
	var users, groups int
	boundaries := map[string]string{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.RoleDetailList {
			dec, err := url.QueryUnescape(*r.AssumeRolePolicyDocument)
			if err != nil {
				t.Fatal(err)
			}
			trust[*r.Arn] = dec
			if r.PermissionsBoundary != nil {
				boundaries[*r.Arn] = *r.PermissionsBoundary.PermissionsBoundaryArn
			}
		}
		users += len(out.UserDetailList)
		groups += len(out.GroupDetailList)
	}
	if len(trust) != len(acct.IAM.Roles) || users != len(acct.IAM.Users) || groups != len(acct.IAM.Groups) {
		t.Fatalf("served %d roles, %d users, %d groups; want %d, %d, %d", len(trust), users, groups, len(acct.IAM.Roles), len(acct.IAM.Users), len(acct.IAM.Groups))
	}
	for _, r := range acct.IAM.Roles {
		if served := inventory.NewPolicyDocument([]byte(trust[r.ARN])); !served.Equal(r.TrustPolicy) {
			t.Errorf("role %s: trust policy served %s, want %s", r.ARN, served, r.TrustPolicy)
		}
		if boundaries[r.ARN] != r.PermissionsBoundary {
			t.Errorf("role %s: boundary served %q, want %q", r.ARN, boundaries[r.ARN], r.PermissionsBoundary)
		}
	}
}
