package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Three-valued evaluation: keys may be unknown, or unknown except for some
// values; nothing is guessed.
func TestUnknownExcept(t *testing.T) {
	org := "o-a1b2c3d4e5"
	for _, tc := range []struct {
		cond string
		want Decision
	}{
		{`{"StringEquals":{"aws:PrincipalOrgID":"` + org + `"}}`, ImplicitDeny},
		{`{"StringEqualsIfExists":{"aws:PrincipalOrgID":"` + org + `"}}`, Conditional},
		{`{"StringNotEquals":{"aws:PrincipalOrgID":"` + org + `"}}`, Allow},
		{`{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"` + org + `"}}`, Allow},
		{`{"StringEquals":{"aws:PrincipalOrgID":"o-other"}}`, Conditional},
		{`{"StringLike":{"aws:PrincipalOrgID":"o-*"}}`, Conditional},
		{`{"ForAnyValue:StringEquals":{"aws:PrincipalOrgID":"` + org + `"}}`, ImplicitDeny},
		{`{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"` + org + `"}}`, Conditional},
		{`{"ForAllValues:StringNotEquals":{"aws:PrincipalOrgID":"` + org + `"}}`, Allow},
		{`{"ForAnyValue:StringNotEquals":{"aws:PrincipalOrgID":"` + org + `"}}`, Conditional},
		{`{"Null":{"aws:PrincipalOrgID":"true"}}`, Conditional},
		{`{"StringEqualsIgnoreCase":{"aws:PrincipalOrgID":"` + org + `"}}`, Conditional},
	} {
		p := pol(t, "identity", stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":`+tc.cond+`}`))
		in := getObj("arn:aws:iam::"+acct1+":user/a", acct1)
		in.Context = NewContext().SetUnknownExcept("aws:PrincipalOrgID", org)
		in.IdentityPolicies = []*Policy{p}
		if r := Evaluate(in); r.Decision != tc.want {
			t.Errorf("%s: %v %v, want %v", tc.cond, r.Decision, r.ConditionStrings(), tc.want)
		}
	}
}

func TestOpenWorldAndPrefixes(t *testing.T) {
	p := pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"},"Bool":{"aws:SecureTransport":"true"}}}`))
	in := getObj("anonymous", acct1)
	in.ResourcePolicy = p
	in.Context = NewContext().Set("aws:SecureTransport", "true").SetUnknownPrefix("aws:PrincipalTag/")
	r := Evaluate(in)
	if r.Decision != Conditional || strings.Join(r.ConditionStrings(), ";") != "aws:PrincipalTag/team StringEquals red" {
		t.Errorf("prefix: %v %v", r.Decision, r.ConditionStrings())
	}
	in.Context = NewContext().Set("aws:SecureTransport", "true")
	if r := Evaluate(in); r.Decision != ImplicitDeny {
		t.Errorf("closed world: %v", r.Decision)
	}
	in.Context = NewOpenContext().Set("aws:SecureTransport", "false")
	if r := Evaluate(in); r.Decision != ImplicitDeny {
		t.Errorf("open world with a known false key: %v", r.Decision)
	}
	// Derived keys win over the open world when the principal is known.
	in = getObj("arn:aws:iam::"+acct1+":user/a", acct1)
	in.Context = NewOpenContext()
	in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"`+acct1+`"}}}`))
	if r := Evaluate(in); r.Decision != Allow {
		t.Errorf("derived aws:PrincipalAccount: %v %v", r.Decision, r.ConditionStrings())
	}
}

func TestPrincipalByContextKeys(t *testing.T) {
	role := "arn:aws:iam::" + acct2 + ":role/ingest"
	bp := pol(t, "bucket policy", stmts(`{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"`+role+`"},"Action":"s3:PutObject","Resource":"*"}`))
	put := func(ctx *Context) Result {
		in := &Input{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: acct1, Context: ctx, ResourcePolicy: bp,
			IdentityPolicies: []*Policy{allowAll(t, "their policy")}}
		return Evaluate(in)
	}
	if r := put(NewContext().Set("aws:PrincipalAccount", acct2).Set("aws:PrincipalArn", role)); r.Decision != Allow {
		t.Errorf("known role: %v", r.Decision)
	}
	if r := put(NewContext().Set("aws:PrincipalAccount", acct2).Set("aws:PrincipalArn", "arn:aws:iam::"+acct2+":role/other")); r.Decision != ImplicitDeny {
		t.Errorf("other role: %v", r.Decision)
	}
	r := put(NewOpenContext().Set("aws:PrincipalAccount", acct2))
	if r.Decision != Conditional || r.ConditionStrings()[0] != "aws:PrincipalArn StringEquals "+role {
		t.Errorf("unknown role: %v %v", r.Decision, r.ConditionStrings())
	}
	// Same-account decided from the known account; unknown-except excludes the owner.
	r = put(NewOpenContext().SetUnknownExcept("aws:PrincipalAccount", acct1))
	if r.Decision != Conditional {
		t.Errorf("account unknown except owner: %v", r.Decision)
	}
	for _, q := range r.Conditions {
		if q.Key == "aws:PrincipalAccount" && q.Values[0] == acct1 {
			t.Errorf("condition on the owner account although excluded: %v", r.ConditionStrings())
		}
	}
}

func TestUnreadableLayers(t *testing.T) {
	in := getObj("arn:aws:iam::"+acct2+":user/u", acct1)
	in.IdentityPolicies = []*Policy{Unreadable("identity policy")}
	in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:GetObject","Resource":"*"}`))
	r := Evaluate(in)
	if r.Decision != Unknown || len(r.DecidedBy) != 1 || r.DecidedBy[0] != LayerIdentity {
		t.Errorf("unreadable identity: %v %v", r.Decision, r.DecidedBy)
	}
	// Cross-account without any grant: denied whatever the unreadable policy says.
	in.ResourcePolicy = nil
	if r := Evaluate(in); r.Decision != ImplicitDeny {
		t.Errorf("no resource grant: %v", r.Decision)
	}
}

func TestRequirementString(t *testing.T) {
	q := Requirement{Key: "aws:SecureTransport", Operator: "Bool", Values: []string{"false"}, Negated: true}
	if q.String() != "not (aws:SecureTransport Bool false)" {
		t.Error(q.String())
	}
	q = Requirement{Key: "aws:SourceVpce", Operator: "StringEquals", Values: []string{"vpce-1", "vpce-2"}}
	if q.String() != "aws:SourceVpce StringEquals vpce-1, vpce-2" {
		t.Error(q.String())
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
		"arn:aws:sts::111122223333:assumed-role/r/s", "s3:GetObject", "arn:aws:s3:::b/alice/k", "aws:username", "alice", true)
	f.Add(`{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"NotAction":"*","NotResource":"*","Condition":{"ForAllValues:DateLessThanIfExists":{"aws:CurrentTime":"2020"}}}}`,
		"", "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k", "aws:CurrentTime", "1700000000", false)
	f.Fuzz(func(t *testing.T, policy, principal, action, resource, key, value string, open bool) {
		p, err := Parse([]byte(policy))
		if err != nil {
			return
		}
		ctx := NewContext()
		if open {
			ctx = NewOpenContext().SetUnknownExcept("aws:PrincipalOrgID", value)
		}
		if key != "" {
			ctx.Set(key, value)
		}
		in := &Input{Principal: principal, Action: action, Resource: resource, Context: ctx, Trace: true,
			IdentityPolicies: []*Policy{p, nil}, ResourcePolicy: p, SCPs: [][]*Policy{{p}, {}}, RCPs: [][]*Policy{{}, {p}}, VPCEndpointPolicies: []*Policy{p, nil}, Grants: p}
		r := Evaluate(in)
		if r.Decision > Unknown {
			t.Fatalf("invalid decision %d", r.Decision)
		}
		if r.Decision == Conditional && len(r.Alternatives) == 0 && len(r.Conditions) == 0 {
			t.Fatalf("conditional without conditions")
		}
		var ev Evaluator
		var r2 Result
		ev.Evaluate(in, &r2)
		if r2.Decision != r.Decision {
			t.Fatalf("reused evaluator disagrees: %v vs %v", r2.Decision, r.Decision)
		}
	})
}

// A caller known by its account cannot be named by an ARN of another
// account (an ARN's account field is the principal's account).
func TestARNAccountField(t *testing.T) {
	other := "536472961304"
	bp := pol(t, "bucket policy", stmts(`{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+other+`:role/x"},"Action":"s3:GetObject","Resource":"*"},
		{"Sid":"Cond","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::`+other+`:role/*"}}}`))
	get := func(ctx *Context) Result {
		in := getObj("", acct1)
		in.Context = ctx
		in.ResourcePolicy = bp
		in.IdentityPolicies = []*Policy{allowAll(t, "their policy")}
		return Evaluate(in)
	}
	if r := get(NewOpenContext().Set("aws:PrincipalAccount", "888877776666")); r.Decision != ImplicitDeny {
		t.Errorf("known other account: %v %v", r.Decision, r.ConditionStrings())
	}
	if r := get(NewOpenContext().SetUnknownExcept("aws:PrincipalAccount", other, acct1)); r.Decision != ImplicitDeny {
		t.Errorf("account excluded: %v %v", r.Decision, r.ConditionStrings())
	}
	r := get(NewOpenContext().Set("aws:PrincipalAccount", other))
	if r.Decision != Conditional || len(r.Alternatives) != 2 {
		t.Errorf("same account as the ARN: %v %v", r.Decision, r.ConditionStrings())
	}
	// Negated: an ArnNotLike on another account's ARNs holds.
	deny := pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},
		{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::`+other+`:role/*"}}}`))
	in := getObj("", acct1)
	in.Context = NewOpenContext().Set("aws:PrincipalAccount", acct1)
	in.ResourcePolicy = deny
	if r := Evaluate(in); r.Decision != ExplicitDeny {
		t.Errorf("ArnNotLike another account: %v %v", r.Decision, r.ConditionStrings())
	}
}

func TestGrants(t *testing.T) {
	// An ACL grant to another account: a resource-side allow not cut by
	// RestrictPublicBuckets; the public bucket policy's grant is.
	acl := pol(t, "bucket ACL", stmts(`{"Sid":"READ","Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:ListBucket","Resource":"*"}`))
	in := &Input{Principal: "arn:aws:iam::" + acct2 + ":user/u", Action: "s3:ListBucket", Resource: "arn:aws:s3:::b", ResourceAccount: acct1,
		Context: NewContext(), IdentityPolicies: []*Policy{allowAll(t, "admin")}, Grants: acl, RestrictPublicBuckets: true,
		ResourcePolicy: pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`))}
	r := Evaluate(in)
	if r.Decision != Allow || len(r.DecidedBy) != 2 || r.DecidedBy[1] != LayerGrant || r.Statements[1].Sid != "READ" {
		t.Errorf("ACL grant: %v %v %v", r.Decision, r.DecidedBy, r.Statements)
	}
	in.Grants = nil
	if r := Evaluate(in); r.Decision != ImplicitDeny {
		t.Errorf("without the grant: %v", r.Decision)
	}
	// A KMS grant satisfies the key-policy requirement.
	kin := &Input{Principal: "arn:aws:iam::" + acct1 + ":role/app", Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acct1 + ":key/k", Context: NewContext(),
		IdentityPolicies: []*Policy{allowAll(t, "admin")}, ResourcePolicy: pol(t, "key policy", stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct1+`:role/admin"},"Action":"kms:*","Resource":"*"}`))}
	if r := Evaluate(kin); r.Decision != ImplicitDeny {
		t.Errorf("no key policy grant: %v", r.Decision)
	}
	kin.Grants = pol(t, "KMS grant", stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct1+`:role/app"},"Action":"kms:Decrypt","Resource":"*"}`))
	if r := Evaluate(kin); r.Decision != Allow {
		t.Errorf("KMS grant: %v %v", r.Decision, r.DecidedBy)
	}
	// RequireResourcePolicy on another resource type.
	sin := getObj("arn:aws:iam::"+acct1+":user/u", acct1)
	sin.IdentityPolicies = []*Policy{allowAll(t, "admin")}
	sin.RequireResourcePolicy = true
	if r := Evaluate(sin); r.Decision != ImplicitDeny {
		t.Errorf("RequireResourcePolicy: %v", r.Decision)
	}
}

// TestGrantsWithoutResourcePolicy: an S3 bucket without a bucket policy is
// reached through its ACL alone; the allow must name the grant that decided
// it (requests/policy.md, "Input.Grants not reported when there is no
// resource policy"). Bucket ACL grants are a resource-based permission of
// their own: https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
// and S3 authorizes a request when the bucket policy or the ACL allows it
// (with the identity side across accounts):
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html
func TestGrantsWithoutResourcePolicy(t *testing.T) {
	grant := func(principal string) *Policy {
		return pol(t, "bucket ACL", stmts(`{"Sid":"ACL grant READ","Effect":"Allow","Principal":`+principal+`,"Action":"s3:ListBucket","Resource":"*"}`))
	}
	list := func(principal string) *Input {
		return &Input{Principal: principal, Action: "s3:ListBucket", Resource: "arn:aws:s3:::amzn-s3-demo-bucket", ResourceAccount: acct1, Context: NewContext()}
	}
	for _, tc := range []struct {
		name string
		in   *Input
		want []Layer
	}{
		{"anonymous", func() *Input { in := list("anonymous"); in.Grants = grant(`"*"`); return in }(), []Layer{LayerGrant}},
		{"cross account", func() *Input {
			in := list("arn:aws:iam::" + acct2 + ":user/u")
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.Grants = grant(`{"AWS":"` + acct2 + `"}`)
			return in
		}(), []Layer{LayerIdentity, LayerGrant}},
		{"same account, a grant to everyone (AuthenticatedUsers)", func() *Input {
			in := list("arn:aws:iam::" + acct1 + ":user/u")
			in.Grants = grant(`"*"`)
			return in
		}(), []Layer{LayerGrant}},
	} {
		for _, trace := range []bool{false, true} {
			tc.in.Trace = trace
			r := Evaluate(tc.in)
			if r.Decision != Allow || !slicesEqual(r.DecidedBy, tc.want) {
				t.Errorf("%s (trace %v): %v decided by %v, want allow by %v", tc.name, trace, r.Decision, r.DecidedBy, tc.want)
				continue
			}
			found := 0
			for _, s := range r.Statements {
				if s.Layer == LayerGrant && s.Sid == "ACL grant READ" {
					found++
				}
			}
			if found != 1 {
				t.Errorf("%s (trace %v): statements %v name the grant %d times, want once", tc.name, trace, r.Statements, found)
			}
		}
	}
}

// TestGrantsOfConditionalAllow: when grants alone allow and a condition
// elsewhere is uncertain, the Conditional result names the grants too (they
// are what allows), not only the uncertain layer.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
func TestGrantsOfConditionalAllow(t *testing.T) {
	in := &Input{Principal: "anonymous", Action: "s3:ListBucket", Resource: "arn:aws:s3:::amzn-s3-demo-bucket", ResourceAccount: acct1,
		Context:        NewOpenContext(),
		Grants:         pol(t, "bucket ACL", stmts(`{"Sid":"ACL grant AllUsers READ","Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"*"}`)),
		ResourcePolicy: pol(t, "bucket policy", stmts(`{"Sid":"OnlyOffice","Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}`))}
	r := Evaluate(in)
	if r.Decision != Conditional || !slicesEqual(r.DecidedBy, []Layer{LayerResource, LayerGrant}) {
		t.Fatalf("%v decided by %v, want conditional by [resource grant]", r.Decision, r.DecidedBy)
	}
	n := 0
	for _, s := range r.Statements {
		if s.Layer == LayerGrant && s.Sid == "ACL grant AllUsers READ" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("statements %v name the grant %d times, want once", r.Statements, n)
	}
	// A resource policy that allows too: the grant is not what decides.
	in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}`))
	in.Grants = pol(t, "bucket ACL", stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`))
	if r := Evaluate(in); r.Decision != Conditional || slices.Contains(r.DecidedBy, LayerGrant) && !slices.Contains(r.DecidedBy, LayerResource) {
		t.Errorf("%v decided by %v", r.Decision, r.DecidedBy)
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTraceEmptyLevels(t *testing.T) {
	in := getObj("arn:aws:iam::"+acct1+":user/u", acct1)
	in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
	in.SCPs = [][]*Policy{{}, {}, {allowAll(t, "FullAWSAccess")}}
	in.RCPs = [][]*Policy{{}, {}}
	in.VPCEndpointPolicies = []*Policy{nil, allowAll(t, "endpoint")}
	in.Trace = true
	r := Evaluate(in)
	if r.Decision != ImplicitDeny || r.DecidedBy[0] != LayerSCP {
		t.Errorf("%v %v", r.Decision, r.DecidedBy)
	}
	scpRows := 0
	for _, l := range r.Layers {
		if l.Layer == LayerSCP {
			scpRows++
		}
	}
	if scpRows != 3 {
		t.Errorf("%d SCP rows in the trace, want 3: %+v", scpRows, r.Layers)
	}
}

// TestEvaluatorResetsResult: a Result reused across evaluations (the
// zero-allocation API) carries nothing over from the previous decision, so
// a decision never depends on what was evaluated before it.
func TestEvaluatorResetsResult(t *testing.T) {
	// Cross account, both sides conditional on one of 17 keys each: 289
	// alternatives, more than the engine lists (Complex).
	var id, res []string
	for i := 0; i < 17; i++ {
		id = append(id, fmt.Sprintf(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/k%d":"v"}}}`, i))
		res = append(res, fmt.Sprintf(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/k%d":"v"}}}`, i))
	}
	complexIn := getObj("arn:aws:iam::"+acct2+":user/u", acct1)
	complexIn.Context = NewOpenContext()
	complexIn.IdentityPolicies = []*Policy{pol(t, "identity", stmts(strings.Join(id, ",")))}
	complexIn.ResourcePolicy = pol(t, "bucket policy", stmts(strings.Join(res, ",")))
	simpleIn := getObj("anonymous", acct1)
	simpleIn.Context = NewOpenContext()
	simpleIn.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}`))
	unreadableIn := getObj("anonymous", acct1)
	unreadableIn.ResourcePolicy = Unreadable("the bucket policy (not read)")

	ev := NewEvaluator()
	var r Result
	ev.Evaluate(complexIn, &r)
	if r.Decision != Conditional || !r.Complex {
		t.Fatalf("setup: %v complex=%v, want a Complex conditional", r.Decision, r.Complex)
	}
	ev.Evaluate(unreadableIn, &r)
	if r.Decision != Unknown || len(r.Unreadable) != 1 || r.Unreadable[0] != "the bucket policy (not read)" {
		t.Errorf("unreadable: %v unreadable %q, want unknown naming the bucket policy", r.Decision, r.Unreadable)
	}
	ev.Evaluate(simpleIn, &r)
	want := Evaluate(simpleIn)
	if r.Complex || len(r.Unreadable) != 0 || len(r.Alternatives) != 1 || strings.Join(r.ConditionStrings(), ";") != strings.Join(want.ConditionStrings(), ";") {
		t.Errorf("after other decisions: complex=%v unreadable=%q %q, want %q", r.Complex, r.Unreadable, r.ConditionStrings(), want.ConditionStrings())
	}
}

// TestResourcePattern: Resource values match resource ARNs as in an
// evaluation (wildcards stay inside their ARN segment, except in the
// resource segment): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
func TestResourcePattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, resource string
		want              bool
	}{
		{"*", "arn:aws:s3:::b", true},
		{"arn:aws:s3:::syn-1-*/*", "arn:aws:s3:::syn-1-00001/k/x", true},
		{"arn:aws:s3:::syn-1-*/*", "arn:aws:s3:::syn-1-00001", false},
		{"arn:aws:s3:::syn-1-*", "arn:aws:s3:::syn-1-00001/k", true}, // the resource segment's * crosses '/'
		{"arn:aws:s3:*:*:b", "arn:aws:s3:::b", true},
		{"arn:aws:s*:::b", "arn:aws:sqs:::b", true},
		{"arn:aws:s3:::B", "arn:aws:s3:::b", false}, // case-sensitive
		{"arn:aws:kms:*:*:key/*", "arn:aws:s3:::b", false},
	} {
		p, ok := CompileResourcePattern(tc.pattern)
		if !ok {
			t.Errorf("%s: not compiled", tc.pattern)
			continue
		}
		if got := p.Matches(tc.resource); got != tc.want {
			t.Errorf("%s matches %s = %v, want %v", tc.pattern, tc.resource, got, tc.want)
		}
		// The same as the engine's decision on a statement with that Resource.
		in := &Input{Principal: "arn:aws:iam::" + acct1 + ":user/u", Action: "s3:GetObject", Resource: tc.resource, ResourceAccount: acct1, Context: NewContext(),
			IdentityPolicies: []*Policy{pol(t, "identity", stmts(`{"Effect":"Allow","Action":"*","Resource":"`+tc.pattern+`"}`))}}
		if got := Evaluate(in).Decision == Allow; got != tc.want {
			t.Errorf("%s on %s: the engine says %v, Matches %v", tc.pattern, tc.resource, got, tc.want)
		}
	}
	if _, ok := CompileResourcePattern("arn:aws:s3:::home/${aws:username}/*"); ok {
		t.Error("a pattern with a policy variable compiled")
	}
}

// TestContradictoryConditions: an allow whose condition a deny repeats
// allows in no context. With the key unknown the request is denied, never
// conditional (and never a panic, as it was): explicitly, by the deny that
// applies wherever the allow does. An explicit deny overrides any allow:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func TestContradictoryConditions(t *testing.T) {
	cond := `{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`
	for _, tc := range []struct {
		name, stmts string
		want        Decision
	}{
		{"allow and deny on the same condition",
			`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `},` +
				`{"Sid":"NoVpce","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `}`, ExplicitDeny},
		{"an allow that a deny with more conditions repeats",
			`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `},` +
				`{"Sid":"NoVpce","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"},"Bool":{"aws:SecureTransport":"true"}}}`, Conditional},
		{"the deny on another endpoint leaves a way",
			`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `},` +
				`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-99999999"}}}`, Conditional},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := getObj("anonymous", acct1)
			in.ResourcePolicy = pol(t, "bucket policy", stmts(tc.stmts))
			in.Context = NewOpenContext()
			r := Evaluate(in)
			if r.Decision != tc.want {
				t.Fatalf("decision %v %v, want %v", r.Decision, r.ConditionStrings(), tc.want)
			}
			if tc.want == ExplicitDeny && (len(r.Statements) != 1 || r.Statements[0].Sid != "NoVpce") {
				t.Errorf("deciding statements %+v, want the deny NoVpce", r.Statements)
			}
			if tc.want != Conditional && len(r.Alternatives)+len(r.Conditions) > 0 {
				t.Errorf("a deny with conditions %v", r.ConditionStrings())
			}
		})
	}
}
