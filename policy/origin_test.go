package policy

import "testing"

// TestStatementRefOrigin: a deciding statement's ref carries its policy's
// Origin (nil when the policy has none), so that a fix names the policy by
// its ID rather than parsing the display name.
func TestStatementRefOrigin(t *testing.T) {
	scp := &Origin{Kind: "SCP", ID: "p-abc", Name: "Deny delete"}
	for _, tt := range []struct {
		name   string
		origin *Origin
	}{
		{"with origin", scp},
		{"without origin", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := pol(t, "identity", stmts(`{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`))
			p.Origin = tt.origin
			r := Evaluate(&Input{Principal: "arn:aws:iam::" + acct1 + ":user/alice", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
				ResourceAccount: acct1, Context: NewContext(), IdentityPolicies: []*Policy{p}})
			if r.Decision != Allow || len(r.Statements) != 1 {
				t.Fatalf("decision %v, statements %v", r.Decision, r.Statements)
			}
			if got := r.Statements[0].Origin; got != tt.origin {
				t.Errorf("ref origin %v, want %v", got, tt.origin)
			}
		})
	}
}
