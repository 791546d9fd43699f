package access

import (
	"slices"
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// iamFixture is one account's IAM data with a policy of each kind a
// principal's policies can be read as: parsed, without a document, not
// parsing, not collected at all, and a group not collected.
func iamFixture() *inventory.Document {
	doc := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
	const allow = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	return &inventory.Document{Accounts: []inventory.Account{{ID: "111111111111", IAM: &inventory.IAM{
		Roles: []inventory.IAMRole{
			{ARN: "arn:aws:iam::111111111111:role/app", InlinePolicies: map[string]*inventory.PolicyDocument{"read": doc(allow)},
				PermissionsBoundary: "arn:aws:iam::111111111111:policy/Bound", Tags: map[string]string{"team": "a"}},
			{ARN: "arn:aws:iam::111111111111:role/svc/deep/etl", AttachedPolicies: []string{"arn:aws:iam::111111111111:policy/Read"}},
			{ARN: "arn:aws:iam::111111111111:role/broken", InlinePolicies: map[string]*inventory.PolicyDocument{"gone": nil, "bad": doc(`{"Statement":`)},
				AttachedPolicies: []string{"arn:aws:iam::111111111111:policy/NoDoc", "arn:aws:iam::111111111111:policy/Bad", "arn:aws:iam::111111111111:policy/Absent"}},
		},
		Users: []inventory.IAMUser{
			{ARN: "arn:aws:iam::111111111111:user/bob", Groups: []string{"readers", "ghosts"}},
		},
		Groups: []inventory.IAMGroup{
			{ARN: "arn:aws:iam::111111111111:group/readers", AttachedPolicies: []string{"arn:aws:iam::111111111111:policy/Read"}},
		},
		Policies: []inventory.IAMManagedPolicy{
			{ARN: "arn:aws:iam::111111111111:policy/Read", Document: doc(allow)},
			{ARN: "arn:aws:iam::111111111111:policy/Bound", Document: doc(allow)},
			{ARN: "arn:aws:iam::111111111111:policy/NoDoc"},
			{ARN: "arn:aws:iam::111111111111:policy/Bad", Document: doc(`[`)},
		},
	}}, {ID: "222222222222"}}}
}

// TestPrincipalResolution: the one resolution of a principal's identity
// policies (parsePrincipals, through PrincipalByARN and RoleNamed) that the
// access report and explain both use: how each policy is named, why one
// could not be read, and how a session's role (whose ARN has no path) is
// found by name.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
func TestPrincipalResolution(t *testing.T) {
	ix := NewIndex(iamFixture())
	names := func(p *IAMPrincipal) []string {
		var out []string
		for _, ip := range p.Identity {
			out = append(out, ip.Name)
		}
		return out
	}
	tests := []struct {
		name     string
		find     func() *IAMPrincipal
		wantARN  string
		policies []string
		boundary string
		unread   bool
	}{
		{"role by ARN", func() *IAMPrincipal { return ix.PrincipalByARN("111111111111", "arn:aws:iam::111111111111:role/app") },
			"arn:aws:iam::111111111111:role/app", []string{"inline policy read of arn:aws:iam::111111111111:role/app"},
			"arn:aws:iam::111111111111:policy/Bound", false},
		{"role with a path, by name", func() *IAMPrincipal { return ix.RoleNamed("111111111111", "etl") },
			"arn:aws:iam::111111111111:role/svc/deep/etl", []string{"managed policy arn:aws:iam::111111111111:policy/Read"}, "", false},
		{"user with groups", func() *IAMPrincipal { return ix.PrincipalByARN("111111111111", "arn:aws:iam::111111111111:user/bob") },
			"arn:aws:iam::111111111111:user/bob",
			[]string{"policies of group ghosts (not collected)", "managed policy arn:aws:iam::111111111111:policy/Read"}, "", true},
		{"policies that could not be read", func() *IAMPrincipal { return ix.RoleNamed("111111111111", "broken") },
			"arn:aws:iam::111111111111:role/broken", []string{
				"inline policy bad of arn:aws:iam::111111111111:role/broken (does not parse)",
				"inline policy gone of arn:aws:iam::111111111111:role/broken (no document)",
				"managed policy arn:aws:iam::111111111111:policy/NoDoc (no document)",
				"managed policy arn:aws:iam::111111111111:policy/Bad (does not parse)",
				"managed policy arn:aws:iam::111111111111:policy/Absent (not collected)",
			}, "", true},
		{"unknown ARN", func() *IAMPrincipal { return ix.PrincipalByARN("111111111111", "arn:aws:iam::111111111111:role/nope") }, "", nil, "", false},
		{"a path is not a name", func() *IAMPrincipal { return ix.RoleNamed("111111111111", "deep") }, "", nil, "", false},
		{"a user is not a role", func() *IAMPrincipal { return ix.RoleNamed("111111111111", "bob") }, "", nil, "", false},
		{"IAM not collected", func() *IAMPrincipal { return ix.RoleNamed("222222222222", "app") }, "", nil, "", false},
		{"account not in the document", func() *IAMPrincipal { return ix.PrincipalByARN("333333333333", "arn:aws:iam::333333333333:role/app") }, "", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.find()
			if tt.wantARN == "" {
				if p != nil {
					t.Fatalf("found %s, want none", p.ARN)
				}
				return
			}
			if p == nil {
				t.Fatalf("found none, want %s", tt.wantARN)
			}
			if p.ARN != tt.wantARN || !slices.Equal(names(p), tt.policies) || p.BoundaryARN != tt.boundary || p.Unread() != tt.unread {
				t.Errorf("got %s %q boundary %q unread %v; want %s %q boundary %q unread %v",
					p.ARN, names(p), p.BoundaryARN, p.Unread(), tt.wantARN, tt.policies, tt.boundary, tt.unread)
			}
			if tt.boundary != "" && (p.Boundary == nil || p.Boundary.Name != "managed policy "+tt.boundary) {
				t.Errorf("boundary policy %v, want managed policy %s", p.Boundary, tt.boundary)
			}
		})
	}
}
