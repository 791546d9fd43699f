package awsid

import "testing"

// TestPrincipalOf checks the classification of principal ARNs' resource
// fields, shared by the policy engine and explain.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
func TestPrincipalOf(t *testing.T) {
	cases := []struct {
		service, resource string
		want              PrincipalName
	}{
		{"iam", "root", PrincipalName{Kind: PrincipalRoot}},
		{"iam", "user/alice", PrincipalName{Kind: PrincipalUser, Path: "/", Name: "alice"}},
		{"iam", "role/a/b/deploy", PrincipalName{Kind: PrincipalRole, Path: "/a/b/", Name: "deploy"}},
		{"sts", "assumed-role/deploy/s1", PrincipalName{Kind: PrincipalSession, Name: "deploy", Session: "s1"}},
		{"sts", "assumed-role/deploy/", PrincipalName{Kind: PrincipalSession, Name: "deploy"}},
		{"sts", "assumed-role//s1", PrincipalName{Kind: PrincipalOther}},
		{"sts", "assumed-role/deploy", PrincipalName{Kind: PrincipalOther}},
		{"sts", "federated-user/bob", PrincipalName{Kind: PrincipalFederated, Name: "bob"}},
		{"iam", "group/admins", PrincipalName{Kind: PrincipalOther}},
		{"sts", "root", PrincipalName{Kind: PrincipalOther}},
		{"s3", "role/x", PrincipalName{Kind: PrincipalOther}},
	}
	for _, tc := range cases {
		if got := PrincipalOf(tc.service, tc.resource); got != tc.want {
			t.Errorf("PrincipalOf(%q, %q) = %+v, want %+v", tc.service, tc.resource, got, tc.want)
		}
	}
}

// TestPrincipalOfAllocs: the policy engine parses every request's caller
// with PrincipalOf, so it must not allocate, even for a role with a path.
func TestPrincipalOfAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = PrincipalOf("iam", "role/a/b/deploy") }); n != 0 {
		t.Errorf("PrincipalOf allocates %v times, want 0", n)
	}
}
