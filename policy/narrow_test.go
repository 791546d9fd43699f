package policy

import (
	"testing"

	"github.com/bucketaudit/bucketaudit/internal/testenv"
)

// TestAbsentPrefix: a principal whose tags are all known has no other
// aws:PrincipalTag/* key; a condition on a missing tag key is evaluated as
// on an absent key (false, true for negated operators and IfExists:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
// not left unknown; an explicit tag wins over the prefix.
func TestAbsentPrefix(t *testing.T) {
	for _, tc := range []struct {
		cond string
		tags map[string]string
		want Decision
	}{
		{`{"StringEquals":{"aws:PrincipalTag/team":"data"}}`, nil, ImplicitDeny},
		{`{"StringEquals":{"aws:PrincipalTag/team":"data"}}`, map[string]string{"team": "data"}, Allow},
		{`{"StringEquals":{"aws:PrincipalTag/team":"data"}}`, map[string]string{"team": "web"}, ImplicitDeny},
		{`{"StringNotEquals":{"aws:PrincipalTag/team":"data"}}`, nil, Allow},
		{`{"StringEqualsIfExists":{"aws:PrincipalTag/team":"data"}}`, nil, Allow},
		{`{"Null":{"aws:PrincipalTag/team":"true"}}`, nil, Allow},
	} {
		p := pol(t, "identity", stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":`+tc.cond+`}`))
		in := getObj("arn:aws:iam::"+acct1+":role/a", acct1)
		ctx := NewOpenContext().SetUnknownPrefix("aws:PrincipalTag/")
		for k, v := range tc.tags {
			ctx.Set("aws:PrincipalTag/"+k, v)
		}
		in.Context = ctx.SetAbsentPrefix("aws:PrincipalTag/")
		in.IdentityPolicies = []*Policy{p}
		if r := Evaluate(in); r.Decision != tc.want {
			t.Errorf("%s with tags %v: %v %v, want %v", tc.cond, tc.tags, r.Decision, r.ConditionStrings(), tc.want)
		}
		// Clone keeps the absent prefix.
		in.Context = in.Context.Clone()
		if r := Evaluate(in); r.Decision != tc.want {
			t.Errorf("%s (cloned context): %v, want %v", tc.cond, r.Decision, tc.want)
		}
	}
}

// TestPrincipalKey: the properties of the principal
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principal-properties)
// and the Requirement of an undecided Principal element are about who the
// caller is; request keys are not.
func TestPrincipalKey(t *testing.T) {
	for key, want := range map[string][2]bool{
		"aws:PrincipalArn": {true, false}, "AWS:PRINCIPALACCOUNT": {true, false}, "aws:PrincipalOrgID": {true, false},
		"aws:PrincipalOrgPaths": {true, false}, "aws:userid": {true, false}, "aws:username": {true, false},
		"aws:PrincipalType": {true, false}, "aws:PrincipalIsAWSService": {true, false}, "Principal": {true, false},
		"aws:PrincipalTag/team": {true, true},
		"aws:SourceVpce":        {}, "aws:SourceIp": {}, "aws:MultiFactorAuthPresent": {}, "aws:RequestTag/team": {},
		"aws:ResourceTag/team": {}, "s3:x-amz-server-side-encryption": {}, "aws:SecureTransport": {},
		// Keys are case-insensitive as strings.ToLower has them: the Kelvin
		// sign lowers to k, the long s stays itself.
		"\u212Ams:CallerAccount": {true, false}, "aws:u\u017Fername": {}, "AWS:PRINCIPALTAG/": {true, true}, "aws:PrincipalTag": {},
		"aws:Principal\u212Aey": {},
	} {
		if p, tag := PrincipalKey(key); p != want[0] || tag != want[1] {
			t.Errorf("PrincipalKey(%q) = %v, %v; want %v, %v", key, p, tag, want[0], want[1])
		}
	}
	if testenv.Race {
		return
	}
	if n := testing.AllocsPerRun(10, func() { PrincipalKey("aws:PrincipalTag/team") }); n != 0 {
		t.Errorf("PrincipalKey of an ASCII key allocates %.0f times", n)
	}
}
