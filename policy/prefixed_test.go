package policy

import "testing"

// TestSetPrefixed checks conditions on aws:userid of an assumed-role
// session whose session name is unknown: AWS sets it to
// "role-id:caller-specified-role-name"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable;
// the key is in every request, single-valued:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid).
// The unique-ID patterns are those of reference_identifiers
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids):
// "AROA…:*" names every session of a role, "AROA…:name" one session.
// Where the session name decides, the statement is Conditional, never
// guessed.
func TestSetPrefixed(t *testing.T) {
	const role = "AROADBQP57FF2AEXAMPLE"
	for _, c := range []struct {
		name, cond string
		want       Decision
	}{
		{"like every session", `{"StringLike":{"aws:userid":"AROADBQP57FF2AEXAMPLE:*"}}`, Allow},
		{"like any role", `{"StringLike":{"aws:userid":"AROA*"}}`, Allow},
		{"like another role", `{"StringLike":{"aws:userid":["AROA1234567890EXAMPLE:*","AIDACKCEVSQ6C2EXAMPLE","111122223333"]}}`, ImplicitDeny},
		{"like one session", `{"StringLike":{"aws:userid":"AROADBQP57FF2AEXAMPLE:ci-*"}}`, Conditional},
		{"like a shorter head", `{"StringLike":{"aws:userid":"AROADB*:x"}}`, Conditional},
		{"not like every session", `{"StringNotLike":{"aws:userid":["AROADBQP57FF2AEXAMPLE:*","AIDACKCEVSQ6C2EXAMPLE"]}}`, ImplicitDeny},
		{"not like another role", `{"StringNotLike":{"aws:userid":"AROA1234567890EXAMPLE:*"}}`, Allow},
		{"equals a session", `{"StringEquals":{"aws:userid":"AROADBQP57FF2AEXAMPLE:alice"}}`, Conditional},
		{"equals the bare role ID", `{"StringEquals":{"aws:userid":"AROADBQP57FF2AEXAMPLE"}}`, ImplicitDeny},
		{"equals another role's session", `{"StringEquals":{"aws:userid":"AROA1234567890EXAMPLE:alice"}}`, ImplicitDeny},
		{"equals takes * literally", `{"StringEquals":{"aws:userid":"AROADBQP57FF2AEXAMPLE:*"}}`, Conditional},
		{"not equals a session", `{"StringNotEquals":{"aws:userid":"AROADBQP57FF2AEXAMPLE:alice"}}`, Conditional},
		{"equals ignore case", `{"StringEqualsIgnoreCase":{"aws:userid":"arodbqp57ff2aexample:alice"}}`, ImplicitDeny},
		{"equals ignore case a session", `{"StringEqualsIgnoreCase":{"aws:userid":"aroadbqp57ff2aexample:alice"}}`, Conditional},
		{"IfExists on a present key", `{"StringLikeIfExists":{"aws:userid":"AROA1234567890EXAMPLE:*"}}`, ImplicitDeny},
		{"set operator", `{"ForAnyValue:StringLike":{"aws:userid":"AROADBQP57FF2AEXAMPLE:*"}}`, Allow},
		{"Null false", `{"Null":{"aws:userid":"false"}}`, Allow},
		{"Null true", `{"Null":{"aws:userid":"true"}}`, ImplicitDeny},
		{"another operator", `{"ArnLike":{"aws:userid":"AROADBQP57FF2AEXAMPLE:*"}}`, Conditional},
		{"variable", `{"StringLike":{"aws:userid":"${aws:username}:*"}}`, Conditional},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := pol(t, "identity", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":`+c.cond+`}]}`)
			ctx := NewOpenContext().SetPrefixed("aws:userid", role+":")
			r := Evaluate(&Input{Principal: "arn:aws:iam::" + acct1 + ":role/app", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: acct1, Context: ctx, IdentityPolicies: []*Policy{p}})
			if r.Decision != c.want {
				t.Errorf("%s: %v, want %v", c.cond, r.Decision, c.want)
			}
		})
	}
}

// TestStringValueMatchBits checks that MatchBits tells apart the keys a
// value matches differently and puts alike those it matches alike.
func TestStringValueMatchBits(t *testing.T) {
	for _, c := range []struct {
		value        string
		a, b         string
		aPref, bPref bool
		same         bool
	}{
		{"AROAONE1234567890AB:*", "AROAONE1234567890AB:", "AROATWO1234567890AB:", true, true, false},
		{"AROA*", "AROAONE1234567890AB:", "AROATWO1234567890AB:", true, true, true},
		{"AIDAONE1234567890ABC", "AIDAONE1234567890ABC", "AIDATWO1234567890ABC", false, false, false},
		{"AIDAONE1*", "AIDAONE1234567890ABC", "AIDAONE1999999999ABC", false, false, true},
		{"AIDAONE1*", "AIDAONE1234567890ABC", "AIDATWO1234567890ABC", false, false, false},
		{"alice", "Alice", "bob", false, false, false}, // StringEqualsIgnoreCase matches Alice
		{"alice", "carol", "bob", false, false, true},
	} {
		v := CompileStringValue(c.value)
		if got := v.MatchBits(c.a, c.aPref) == v.MatchBits(c.b, c.bPref); got != c.same {
			t.Errorf("%q: %q and %q alike %v, want %v", c.value, c.a, c.b, got, c.same)
		}
	}
}

// TestAdopt: a context adopting another's keys sees them as its own, and
// setting one of them afterwards changes it alone.
func TestAdopt(t *testing.T) {
	src := NewContext().Set("aws:username", "alice").SetPrefixed("aws:userid", "AROADBQP57FF2AEXAMPLE:").SetAbsent("aws:PrincipalType")
	ctx := NewContextOn(NewOpenContext().Set("aws:SecureTransport", "true")).Adopt(src)
	ctx.Set("aws:username", "bob")
	for _, c := range []struct {
		c    *Context
		key  string
		st   keyState
		vals []string
	}{
		{ctx, "aws:username", keyPresent, []string{"bob"}},
		{src, "aws:username", keyPresent, []string{"alice"}},
		{ctx, "aws:userid", keyPrefixed, []string{"AROADBQP57FF2AEXAMPLE:"}},
		{ctx, "aws:principaltype", keyAbsent, nil},
		{ctx, "aws:securetransport", keyPresent, []string{"true"}},
	} {
		st, vals, _ := c.c.lookup(c.key)
		if st != c.st || len(vals) != len(c.vals) || (len(vals) > 0 && vals[0] != c.vals[0]) {
			t.Errorf("%s: %v %v, want %v %v", c.key, st, vals, c.st, c.vals)
		}
	}
}

// TestIsStringOrNull: the string operators and Null, as the condition
// operators page names them (with ForAnyValue/ForAllValues and IfExists),
// and nothing else — not a misspelt prefix:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
func TestIsStringOrNull(t *testing.T) {
	for op, want := range map[string]bool{
		"StringEquals": true, "stringnotlike": true, "ForAnyValue:StringLike": true, "StringEqualsIgnoreCaseIfExists": true,
		"StringNotEqualsIgnoreCase": true, "Null": true,
		"ArnLike": false, "NumericEquals": false, "Bool": false, "Foo:StringEquals": false, "NullIfExists": false, "": false,
	} {
		if got := IsStringOrNull(op); got != want {
			t.Errorf("IsStringOrNull(%q) = %v, want %v", op, got, want)
		}
	}
}
