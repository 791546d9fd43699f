package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// complementPair is a condition block and another one on the same key,
// with the request values that exercise them.
type complementPair struct {
	name string
	key  string
	a, b string // operator blocks: "Op":["v",...]
	// complement: a and b hold in exactly complementary contexts (their
	// disjunction always holds); exclusive: never both (their conjunction
	// never holds). Neither: both results stay conditional.
	complement, exclusive bool
	samples               [][]string // request values tried (nil: the key absent, always tried)
}

// complementPairs are the pairs of TestComplementaryConditions. The rules:
// a key absent from the request makes a condition false, except the "Not"
// operators, ...IfExists and Null "true"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html);
// ForAllValues is true and ForAnyValue false on an absent key, and plain
// operators are only exact on single-valued keys
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
func complementPairs() []complementPair {
	vpce := [][]string{{"vpce-1"}, {"vpce-2"}, {"VPCE-1"}}
	arn := "arn:aws:sns:us-east-1:111122223333:topic"
	arns := [][]string{{arn}, {"arn:aws:sns:us-east-1:444455556666:topic"}}
	return []complementPair{
		{"StringEquals", "aws:SourceVpce", `"StringEquals":["vpce-1"]`, `"StringNotEquals":["vpce-1"]`, true, true, vpce},
		{"values in another order", "aws:SourceVpce", `"StringEquals":["vpce-1","vpce-2"]`, `"StringNotEquals":["vpce-2","vpce-1","vpce-2"]`, true, true, append(vpce, []string{"vpce-3"})},
		{"StringNotEqualsIfExists is StringNotEquals", "aws:SourceVpce", `"StringEquals":["vpce-1"]`, `"StringNotEqualsIfExists":["vpce-1"]`, true, true, vpce},
		{"StringEqualsIgnoreCase", "aws:SourceVpce", `"StringEqualsIgnoreCase":["VPCE-1"]`, `"StringNotEqualsIgnoreCase":["VPCE-1"]`, true, true, vpce},
		{"StringLike", "aws:SourceVpce", `"StringLike":["vpce-*"]`, `"StringNotLike":["vpce-*"]`, true, true, append(vpce, []string{"x"})},
		{"ArnEquals", "aws:SourceArn", `"ArnEquals":["` + arn + `"]`, `"ArnNotEquals":["` + arn + `"]`, true, true, arns},
		{"ArnLike", "aws:SourceArn", `"ArnLike":["arn:aws:sns:*:111122223333:*"]`, `"ArnNotLike":["arn:aws:sns:*:111122223333:*"]`, true, true, arns},
		{"NumericEquals", "aws:MultiFactorAuthAge", `"NumericEquals":["3600"]`, `"NumericNotEquals":["3600"]`, true, true, [][]string{{"3600"}, {"5"}, {"x"}}},
		{"DateEquals", "aws:EpochTime", `"DateEquals":["2026-01-01T00:00:00Z"]`, `"DateNotEquals":["2026-01-01T00:00:00Z"]`, true, true, [][]string{{"2026-01-01T00:00:00Z"}, {"2025-01-01T00:00:00Z"}}},
		{"IpAddress", "aws:SourceIp", `"IpAddress":["10.0.0.0/8"]`, `"NotIpAddress":["10.0.0.0/8"]`, true, true, [][]string{{"10.1.2.3"}, {"192.0.2.1"}}},
		{"Null", "aws:SourceVpce", `"Null":["true"]`, `"Null":["false"]`, true, true, vpce},
		{"Null on a service key", "s3:x-amz-server-side-encryption", `"Null":["true"]`, `"Null":["false"]`, true, true, [][]string{{"AES256"}, {"aws:kms"}}},
		{"ForAnyValue against ForAllValues:Not", "aws:TagKeys", `"ForAnyValue:StringEquals":["a"]`, `"ForAllValues:StringNotEquals":["a"]`, true, true, [][]string{{"a"}, {"b"}, {"a", "b"}}},
		{"ForAllValues against ForAnyValue:Not", "aws:TagKeys", `"ForAllValues:StringLikeIfExists":["a*"]`, `"ForAnyValue:StringNotLike":["a*"]`, true, true, [][]string{{"a"}, {"b"}, {"a", "b"}}},
		// Exclusive but not complements: both false on an absent key.
		{"Bool true and false", "aws:SecureTransport", `"Bool":["true"]`, `"Bool":["false"]`, false, true, [][]string{{"true"}, {"false"}}},
		// Neither.
		{"StringEqualsIfExists", "aws:SourceVpce", `"StringEqualsIfExists":["vpce-1"]`, `"StringNotEquals":["vpce-1"]`, false, false, vpce},
		{"other values", "aws:SourceVpce", `"StringEquals":["vpce-1"]`, `"StringNotEquals":["vpce-1","vpce-2"]`, false, false, vpce},
		{"a multivalued key with plain operators", "aws:TagKeys", `"StringEquals":["a"]`, `"StringNotEquals":["a"]`, false, false, [][]string{{"a"}, {"b"}}},
		{"a service key", "s3:prefix", `"StringEquals":["a"]`, `"StringNotEquals":["a"]`, false, false, [][]string{{"a"}, {"b"}}},
		{"ForAnyValue:...IfExists", "aws:TagKeys", `"ForAnyValue:StringEqualsIfExists":["a"]`, `"ForAllValues:StringNotEquals":["a"]`, false, false, [][]string{{"a"}, {"b"}}},
		{"a policy variable", "aws:SourceVpce", `"StringEquals":["${aws:SourceVpc}"]`, `"StringNotEquals":["${aws:SourceVpc}"]`, false, false, vpce},
		{"NumericLessThan", "aws:MultiFactorAuthAge", `"NumericLessThan":["3600"]`, `"NumericGreaterThanEquals":["3600"]`, false, false, [][]string{{"3600"}, {"5"}}},
	}
}

// split returns an operator block's operator and values.
func split(block string) (op, vals string) {
	i := strings.Index(block, `":`)
	return block[1:i], block[i+2:]
}

// block renders an operator block on key as a Condition element's entry.
func (p complementPair) block(b string) string {
	op, vals := split(b)
	return `"` + op + `":{"` + p.key + `":` + vals + `}`
}

// both renders a Condition element with both blocks: when their operators
// are the same, as one block naming the key twice, in two cases (condition
// keys are case-insensitive).
func (p complementPair) both() string {
	aop, avals := split(p.a)
	bop, bvals := split(p.b)
	if aop == bop {
		return `{"` + aop + `":{"` + p.key + `":` + avals + `,"` + strings.ToUpper(p.key) + `":` + bvals + `}}`
	}
	return `{` + p.block(p.a) + `,` + p.block(p.b) + `}`
}

// TestComplementaryConditions checks that a condition and its complement
// on the same key decide for certain when the key is unknown: an Allow on
// both never applies (implicit deny), a Deny on both never denies, and two
// Allows, one on each, always allow; and that pairs that are not exact
// complements stay conditional. Each certain verdict is checked against
// every concrete request context the samples give (the key absent
// included): it must be that context's decision. Evaluation logic:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func TestComplementaryConditions(t *testing.T) {
	for _, p := range complementPairs() {
		both := p.both()
		allowOn := func(sid, cond string) string {
			return `{"Sid":"` + sid + `","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `}`
		}
		denyOn := func(sid, cond string) string {
			return `{"Sid":"` + sid + `","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `}`
		}
		one := func(op string) string { return `{` + p.block(op) + `}` }
		type scenario struct {
			name, stmts string
			certain     bool     // the pair's relation decides it
			want        Decision // when certain
		}
		scenarios := []scenario{
			{"allow on either", allowOn("A", one(p.a)) + `,` + allowOn("B", one(p.b)), p.complement, Allow},
		}
		scenarios = append(scenarios,
			scenario{"allow on both", allowOn("AB", both), p.exclusive, ImplicitDeny},
			scenario{"deny on both", allowOn("All", "{}") + `,` + denyOn("D", both), p.exclusive, Allow},
			// A Deny on each: denied in every context when complements.
			scenario{"deny on either", allowOn("All", "{}") + `,` + denyOn("DA", one(p.a)) + `,` + denyOn("DB", one(p.b)), p.complement, ExplicitDeny})
		for _, sc := range scenarios {
			t.Run(p.name+"/"+sc.name, func(t *testing.T) {
				in := getObj("anonymous", acct1)
				in.ResourcePolicy = pol(t, "bucket policy", stmts(sc.stmts))
				in.Context = NewOpenContext()
				r := Evaluate(in)
				if !sc.certain {
					if r.Decision != Conditional {
						t.Fatalf("%v %v, want Conditional", r.Decision, r.ConditionStrings())
					}
					return
				}
				if r.Decision != sc.want || len(r.Alternatives)+len(r.Conditions) > 0 {
					t.Fatalf("%v %v, want %v without conditions", r.Decision, r.ConditionStrings(), sc.want)
				}
				if sc.want == Allow && len(r.Statements) == 0 {
					t.Errorf("an allow without its statements: %+v", r)
				}
				// The concrete contexts agree.
				for _, vals := range append(p.samples, nil) {
					cin := *in
					cin.Context = NewContext().Set(p.key, vals...)
					if got := Evaluate(&cin).Decision; got != sc.want {
						t.Errorf("with %s = %v: %v, but %v with the key unknown", p.key, vals, got, sc.want)
					}
				}
			})
		}
	}
}

// TestComplementAtoms checks complementForm directly on spellings the
// evaluator accepts (case of the operator, IfExists) and on what it must
// leave alone.
func TestComplementAtoms(t *testing.T) {
	for _, tc := range []struct {
		op   string
		vals []string
		want string // "op|flip|excl", or "" for no canonical form
	}{
		{"StringNotEquals", []string{"b", "a"}, "StringEquals|true|"},
		{"stringnotequalsifexists", []string{"a"}, "StringEquals|true|"},
		{"StringEqualsIfExists", []string{"a"}, ""},
		{"ForAllValues:StringNotEqualsIfExists", []string{"a"}, "ForAnyValue:StringEquals|true|"},
		{"ForAnyValue:StringNotLike", []string{"a"}, "ForAllValues:StringLike|true|"},
		{"ForAnyValue:StringNotLikeIfExists", []string{"a"}, ""},
		{"ForAnyValue:Bool", []string{"true"}, ""},
		{"Null", []string{"TRUE"}, "Null|true|"},
		{"Null", []string{"true", "false"}, ""},
		{"Bool", []string{"False"}, "Bool|false|aws:securetransport\x00Bool"},
		{"BoolIfExists", []string{"true"}, ""},
		{"NumericGreaterThan", []string{"1"}, ""},
		{"BinaryEquals", []string{"QmluYXJ5"}, ""},
		{"StringEquals", nil, ""},
		{"NoSuchOperator", []string{"a"}, ""},
	} {
		key := "aws:SecureTransport"
		if strings.HasPrefix(tc.op, "For") {
			key = "aws:TagKeys"
		}
		op, _, flip, excl, ok := complementForm(Requirement{Key: key, Operator: tc.op, Values: tc.vals})
		got := ""
		if ok {
			got = fmt.Sprintf("%s|%v|%s", op, flip, excl)
		}
		if got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.op, tc.vals, got, tc.want)
		}
	}
}

// TestComplementsSoundProperty evaluates random bucket policies whose
// statements combine the conditions of complementPairs (complements,
// exclusive pairs and look-alikes that are neither) with their keys
// unknown, and checks every certain decision against each concrete request
// context built from the pairs' samples (each key absent or one of its
// samples): an Allow must allow in every one, a deny deny in every one.
// It also counts the undecided results whose concrete contexts all agree
// (inexact, not wrong). Evaluation logic:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func TestComplementsSoundProperty(t *testing.T) {
	type block struct{ key, op, vals string }
	var pool []block
	samples := map[string][][]string{}
	for _, p := range complementPairs() {
		for _, b := range []string{p.a, p.b} {
			op, vals := split(b)
			pool = append(pool, block{p.key, op, vals})
		}
		for _, s := range p.samples {
			if !slices.ContainsFunc(samples[p.key], func(x []string) bool { return slices.Equal(x, s) }) {
				samples[p.key] = append(samples[p.key], s)
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 11))
	n := 3000
	if testing.Short() {
		n = 500
	}
	certain, inexact := map[Decision]int{}, 0
	for i := 0; i < n; i++ {
		// Two keys at most, so that the concrete contexts stay few.
		k1, k2 := pool[rng.IntN(len(pool))].key, pool[rng.IntN(len(pool))].key
		var mine []block
		for _, b := range pool {
			if b.key == k1 || b.key == k2 {
				mine = append(mine, b)
			}
		}
		var sts []string
		for s := 1 + rng.IntN(3); s > 0; s-- {
			cond := map[string]map[string]json.RawMessage{}
			for c := rng.IntN(3); c > 0; c-- {
				b := mine[rng.IntN(len(mine))]
				if cond[b.op] == nil {
					cond[b.op] = map[string]json.RawMessage{}
				}
				if _, dup := cond[b.op][b.key]; dup {
					cond[b.op][strings.ToUpper(b.key)] = json.RawMessage(b.vals) // the same key, another spelling
				} else {
					cond[b.op][b.key] = json.RawMessage(b.vals)
				}
			}
			effect := "Allow"
			if rng.IntN(3) == 0 {
				effect = "Deny"
			}
			c, err := json.Marshal(cond)
			if err != nil {
				t.Fatal(err)
			}
			sts = append(sts, `{"Effect":"`+effect+`","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":`+string(c)+`}`)
		}
		src := stmts(strings.Join(sts, ","))
		in := getObj("anonymous", acct1)
		in.ResourcePolicy = pol(t, "bucket policy", src)
		in.Context = NewOpenContext()
		r := Evaluate(in)
		allowed, denied := 0, 0
		keys := []string{k1}
		if k2 != k1 {
			keys = append(keys, k2)
		}
		for _, v1 := range append(samples[keys[0]], nil) {
			second := [][]string{nil}
			if len(keys) == 2 {
				second = append(samples[keys[1]], nil)
			}
			for _, v2 := range second {
				ctx := NewContext().Set(keys[0], v1...)
				if len(keys) == 2 {
					ctx.Set(keys[1], v2...)
				}
				cin := *in
				cin.Context = ctx
				d := Evaluate(&cin).Decision
				if d == Allow {
					allowed++
				} else {
					denied++
				}
				certainAllow := r.Decision == Allow
				certainDeny := r.Decision == ExplicitDeny || r.Decision == ImplicitDeny
				if certainAllow && d != Allow || certainDeny && d == Allow {
					t.Fatalf("%s\nwith the keys unknown: %v, but %v with %s=%v %v", src, r.Decision, d, keys, v1, v2)
				}
			}
		}
		switch r.Decision {
		case Conditional:
			if allowed == 0 || denied == 0 {
				inexact++
			}
		default:
			certain[r.Decision]++
		}
	}
	if certain[Allow] == 0 || certain[ImplicitDeny] == 0 || certain[ExplicitDeny] == 0 {
		t.Errorf("the policies did not reach every certain decision: %v", certain)
	}
	t.Logf("certain decisions %v, conditional ones that the samples decide %d of %d", certain, inexact, n)
}

// TestAnonymousPrincipalKeys: the evaluator knows an anonymous caller's
// aws:userid ("anonymous"), aws:PrincipalType ("Anonymous") and that it
// has no aws:username, unless the request context says otherwise, so that
// simulate and explain decide a bucket policy on them for certain, in a
// closed or an open context (the principal key values table,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable,
// followed where the global condition keys page says anonymous requests
// have no aws:userid,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid).
func TestAnonymousPrincipalKeys(t *testing.T) {
	for _, tc := range []struct {
		cond string
		ctx  *Context // nil: a closed and an open context
		want Decision
	}{
		{`{"StringEquals":{"aws:userid":"anonymous"}}`, nil, ExplicitDeny},
		{`{"StringNotEquals":{"aws:PrincipalType":"Anonymous"}}`, nil, Allow},
		{`{"StringEquals":{"aws:PrincipalType":"Anonymous"}}`, nil, ExplicitDeny},
		{`{"Null":{"aws:userid":"true"}}`, nil, Allow},
		{`{"Null":{"aws:username":"false"}}`, nil, Allow},
		{`{"StringLike":{"aws:userid":"AROA*"}}`, nil, Allow},
		{`{"StringNotEquals":{"aws:userid":"${aws:userid}"}}`, nil, Allow},
		// What the request context says wins.
		{`{"StringEquals":{"aws:userid":"anonymous"}}`, NewContext().Set("aws:userid", "other"), Allow},
	} {
		ctxs := []*Context{NewContext(), NewOpenContext()}
		if tc.ctx != nil {
			ctxs = []*Context{tc.ctx}
		}
		for _, ctx := range ctxs {
			in := getObj("anonymous", acct1)
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},`+
				`{"Sid":"D","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":`+tc.cond+`}`))
			in.Context = ctx
			if r := Evaluate(in); r.Decision != tc.want {
				t.Errorf("%s (open %v): %v %v, want %v", tc.cond, ctx.open, r.Decision, r.ConditionStrings(), tc.want)
			}
		}
	}
}

// TestComplementsDecideTraceAndDenies: the evaluation checklist
// (Input.Trace) does not call a layer conditional when complementary
// conditions decide it, and Denies on a condition and on its complement
// deny explicitly even when nothing allows (an explicit deny is reported
// whenever a Deny applies:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
func TestComplementsDecideTraceAndDenies(t *testing.T) {
	eq := `"StringEquals":{"aws:SourceVpce":"vpce-1"}`
	ne := `"StringNotEquals":{"aws:SourceVpce":"vpce-1"}`
	st := func(effect, cond string) string {
		return `{"Effect":"` + effect + `","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{` + cond + `}}`
	}
	for _, tc := range []struct {
		name, stmts string
		want, layer Decision
	}{
		{"allow on both", st("Allow", eq+","+ne), ImplicitDeny, ImplicitDeny},
		{"allow on either", st("Allow", eq) + "," + st("Allow", ne), Allow, Allow},
		{"deny on either, no allow", st("Deny", eq) + "," + st("Deny", ne), ExplicitDeny, ExplicitDeny},
		{"deny on both", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},` + st("Deny", eq+","+ne), Allow, Allow},
	} {
		in := getObj("anonymous", acct1)
		in.ResourcePolicy = pol(t, "bucket policy", stmts(tc.stmts))
		in.Context = NewOpenContext()
		in.Trace = true
		r := Evaluate(in)
		if r.Decision != tc.want {
			t.Errorf("%s: %v %v, want %v", tc.name, r.Decision, r.ConditionStrings(), tc.want)
		}
		for _, l := range r.Layers {
			if l.Layer == LayerResource && (l.Outcome != tc.layer || len(l.Conditions) > 0) {
				t.Errorf("%s: bucket policy layer %v %v, want %v", tc.name, l.Outcome, l.Conditions, tc.layer)
			}
		}
	}
}

// TestSimulateAnonymousPrincipalKeys: `bucketaudit simulate` decides a
// request line from "anonymous" on aws:userid and aws:PrincipalType as
// the evaluator derives them (TestAnonymousPrincipalKeys), unless the
// line's context sets them.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable
func TestSimulateAnonymousPrincipalKeys(t *testing.T) {
	bp := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},` +
		`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:userid":"anonymous","aws:PrincipalType":"Anonymous"}}}]}`
	sim := NewSimulator()
	for _, tc := range []struct{ ctx, want string }{
		{``, "explicit_deny"},
		{`,"context":{"aws:userid":"someone"}`, "allow"},
	} {
		line := `{"id":"a","principal":"anonymous","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","resource_account":"111111111111","resource_policy":` + bp + tc.ctx + `}`
		if r := sim.Line([]byte(line), 1); r.Decision != tc.want {
			t.Errorf("context %q: %+v, want %s", tc.ctx, r, tc.want)
		}
	}
}

// TestSingleValuedKeyFolds checks that singleValuedKey, which folds an
// ASCII key in place of lowering it, says what it says of the lowered key,
// for keys in every case and non-ASCII ones (the Kelvin sign lowers to an
// ASCII k).
func TestSingleValuedKeyFolds(t *testing.T) {
	for _, k := range []string{"aws:PrincipalOrgID", "AWS:PRINCIPALORGPATHS", "aws:principalorgpaths", "aws:CalledVia", "aws:TagKeys",
		"Aws:SourceOrgPaths", "aws:SourceVpce", "s3:prefix", "aws", "", "aws:tag\u212Ceys", "\u212Ams:CallerAccount", "aws:TagKeyS2",
		"aws:PrincipalServiceNamesList", "aws:ResourceOrgPaths", "aws:ResourceOrgID"} {
		if got, want := singleValuedKey(k), singleValuedLower(strings.ToLower(k)); got != want {
			t.Errorf("singleValuedKey(%q) = %v, want %v", k, got, want)
		}
	}
	if singleValuedKey("aws:CalledVia") || !singleValuedKey("aws:PrincipalOrgID") {
		t.Error("aws:CalledVia is multivalued and aws:PrincipalOrgID single-valued")
	}
}

// TestRequirementLiteral checks Requirement.Literal on the requirements
// the engine returns (an Allow on each condition of complementPairs, the
// key unknown): complements share an id with opposite signs, the
// exclusive pairs (Bool) share an exclusion group with different ids, and
// the others have different ids; a Negated requirement (from a Deny) is
// the opposite literal. Operator rules:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
func TestRequirementLiteral(t *testing.T) {
	req := func(t *testing.T, key, b string, deny bool) Requirement {
		t.Helper()
		op, vals := split(b)
		st := `{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"` + op + `":{"` + key + `":` + vals + `}}}`
		if deny {
			st = `{"Sid":"All","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},` + strings.Replace(st, `"Allow"`, `"Deny"`, 1)
		}
		in := getObj("anonymous", acct1)
		in.ResourcePolicy = pol(t, "bucket policy", stmts(st))
		in.Context = NewOpenContext()
		r := Evaluate(in)
		if r.Decision != Conditional || len(r.Alternatives) != 1 || len(r.Alternatives[0]) != 1 {
			t.Fatalf("%s: %v %v, want one condition", b, r.Decision, r.ConditionStrings())
		}
		return r.Alternatives[0][0]
	}
	for _, p := range complementPairs() {
		t.Run(p.name, func(t *testing.T) {
			qa, qb := req(t, p.key, p.a, false), req(t, p.key, p.b, false)
			ida, nega, excla := qa.Literal()
			idb, negb, exclb := qb.Literal()
			if got := ida == idb && nega != negb; got != p.complement {
				t.Errorf("complements = %t (%q %t, %q %t), want %t", got, ida, nega, idb, negb, p.complement)
			}
			exclusive := p.exclusive && !p.complement
			if got := excla != "" && excla == exclb && ida != idb; got != exclusive {
				t.Errorf("exclusive = %t (%q, %q), want %t", got, excla, exclb, exclusive)
			}
			if !p.complement && !exclusive && ida == idb {
				t.Errorf("same id %q for %s and %s", ida, p.a, p.b)
			}
			// A Deny's requirement is the negated literal of the Allow's.
			idn, negn, _ := req(t, p.key, p.a, true).Literal()
			if idn != ida || negn == nega {
				t.Errorf("negated: %q %t, want %q %t", idn, negn, ida, !nega)
			}
		})
	}
}
