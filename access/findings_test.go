package access

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// The catalogue holds exactly the finding ids the issue lists.
func TestCatalogIDs(t *testing.T) {
	want := []string{
		"policy-object-action-on-bucket-arn", "policy-bucket-action-on-object-arn", "public-read",
		"public-list", "public-write", "any-authenticated-access", "external-account-access",
		"bpa-blocks-granted-access", "account-bpa-off", "bucket-bpa-off", "acls-enabled",
		"public-acl-grant", "aws-managed-key-cross-account", "kms-key-policy-missing-grant",
		"org-policy-denies-granted-access", "no-tls-enforcement", "allow-with-notprincipal",
		"assessment-incomplete", "policy-status-disagreement", "kms-key-unusable", "external-via-role",
		"federated-subject-unpinned",
	}
	var got []string
	for _, e := range model.Catalog() {
		got = append(got, e.ID)
		if !e.Severity.Valid() || e.Title == "" || (e.Scope != "bucket" && e.Scope != "account") {
			t.Errorf("catalogue entry %+v is incomplete", e)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("catalogue ids (-want +got):\n%s", d)
	}
	cat := catalogIndex()
	for _, id := range []string{model.FindingNoTLSEnforcement, model.FindingAccountBPAOff, model.FindingBucketBPAOff} {
		if !strings.HasPrefix(cat[id].CIS, "CIS AWS Foundations") {
			t.Errorf("%s has no CIS control", id)
		}
	}
}

// Conditions render the way AWS evaluates them; a negated plain operator
// is its opposite, because AWS evaluates StringEquals on an absent key as
// false and StringNotEquals as true.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
func TestFormatRequirement(t *testing.T) {
	tests := []struct {
		q    policy.Requirement
		want string
	}{
		{policy.Requirement{Key: "aws:SourceVpce", Operator: "StringEquals", Values: []string{"vpce-1"}}, "aws:SourceVpce = vpce-1"},
		{policy.Requirement{Key: "aws:SourceVpce", Operator: "StringNotEquals", Values: []string{"vpce-1"}, Negated: true}, "aws:SourceVpce = vpce-1"},
		{policy.Requirement{Key: "aws:SourceIp", Operator: "IpAddress", Values: []string{"10.0.0.0/8", "192.0.2.0/24"}}, "aws:SourceIp in [10.0.0.0/8, 192.0.2.0/24]"},
		{policy.Requirement{Key: "aws:PrincipalArn", Operator: "ArnNotLike", Values: []string{"arn:aws:iam::*:role/x"}, Negated: true}, "aws:PrincipalArn like arn:aws:iam::*:role/x"},
		{policy.Requirement{Key: "aws:PrincipalTag/team", Operator: "StringEqualsIfExists", Values: []string{"data"}, Negated: true}, "not (aws:PrincipalTag/team = data)"},
		{policy.Requirement{Key: "aws:MultiFactorAuthPresent", Operator: "Null", Values: []string{"false"}}, "aws:MultiFactorAuthPresent is present"},
		{policy.Requirement{Key: "aws:TagKeys", Operator: "ForAnyValue:StringLike", Values: []string{"env*"}}, "ForAnyValue: aws:TagKeys like env*"},
	}
	for _, tt := range tests {
		if got := FormatRequirement(tt.q); got != tt.want {
			t.Errorf("FormatRequirement(%+v) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestDNF(t *testing.T) {
	a := textDNF([]string{"x"}).or(textDNF([]string{"y", "z"})) // x or (y and z)
	if got := a.String(); got != "(x) or (y and z)" {
		t.Errorf("or = %q", got)
	}
	b, never := a.and(textDNF([]string{"w"})) // (x and w) or (y and z and w)
	if never {
		t.Errorf("and of conditions access makes: never")
	}
	if got := b.String(); got != "(w and x) or (w and y and z)" {
		t.Errorf("and = %q", got)
	}
	conds, anyOf := b.cellConditions()
	if !anyOf || len(conds) != 2 {
		t.Errorf("cellConditions = %v, %t", conds, anyOf)
	}
	if conds, anyOf := (textDNF([]string{"a", "b"})).cellConditions(); anyOf || len(conds) != 2 {
		t.Errorf("single alternative = %v, %t", conds, anyOf)
	}
	if got := (textDNF([]string{"x"})).or(textDNF([]string{"x"})); len(got) != 1 {
		t.Errorf("duplicate alternative kept: %v", got)
	}
}
