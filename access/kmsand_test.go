package access

import (
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// kmsAndKey is the SSE-KMS key of TestCombinedS3AndKMSConditions.
const kmsAndKey = "arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000000"

// kmsAndFixture is an organisation whose bucket bkt (account 222222222222)
// is SSE-KMS encrypted with kmsAndKey: the bucket policy grants partner
// 888877776666 s3:GetObject under bucketCond (statements, when several
// alternatives), the key policy grants it kms:Decrypt under keyCond.
func kmsAndFixture(bucketConds []string, keyCond string) string {
	var stmts []string
	for i, c := range bucketConds {
		stmts = append(stmts, `{Sid: P`+string(rune('0'+i))+`, Effect: Allow, Principal: {AWS: "888877776666"}, Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*", Condition: `+c+`}`)
	}
	bucket := "name: bkt\nregion: eu-west-1\nencryption: {algorithm: \"aws:kms\", kms_key_id: \"" + kmsAndKey + "\"}\n" +
		`policy: {Version: "2012-10-17", Statement: [` + strings.Join(stmts, ", ") + `]}`
	key := "kms_keys:\n  - arn: " + kmsAndKey + "\n    state: Enabled\n" +
		`    policy: {Version: "2012-10-17", Statement: [{Sid: Root, Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: "kms:*", Resource: "*"}, {Sid: Partner, Effect: Allow, Principal: {AWS: "arn:aws:iam::888877776666:root"}, Action: kms:Decrypt, Resource: "*", Condition: ` + keyCond + `}]}`
	return testOrg(bucket, key)
}

// TestCombinedS3AndKMSConditions checks how a read of an SSE-KMS bucket
// combines the S3 request's conditions with those of the KMS call S3
// makes for it (kms:Decrypt; both must allow:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html):
// on a key of the principal, the same in both (S3 forwards the caller's
// identity, https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html),
// a condition and its complement, one in each layer, are an implicit deny
// decided by both layers; a condition in both is one condition; X and
// XIfExists are not complements (IfExists makes an absent key true); and
// a condition on a key of the request (aws:SourceVpce) is not the KMS
// call's, which S3 makes. Operator rules:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// Each cell is checked against concrete requests of partner principals
// (Decide with the keys known): a certain deny must deny every one, a
// conditional cell must have one that is allowed and one that is not.
func TestCombinedS3AndKMSConditions(t *testing.T) {
	const (
		roleA = "arn:aws:iam::888877776666:role/a"
		roleB = "arn:aws:iam::888877776666:role/b"
		tag   = "aws:PrincipalTag/team"
	)
	// request is one concrete request: its principal and its known keys
	// (an empty list: known absent).
	type request struct {
		principal string
		ctx       map[string][]string
	}
	tags := func(v ...string) request { return request{roleA, map[string][]string{tag: v}} }
	paths := func(v ...string) request { return request{roleA, map[string][]string{"aws:PrincipalOrgPaths": v}} }
	arnReqs := []request{{roleA, nil}, {roleB, nil}}
	tagReqs := []request{tags("data"), tags("ops"), tags("x"), tags()}
	pathReqs := []request{paths("o-x/r-1/ou-a/"), paths("o-x/r-1/ou-b/"), paths("o-x/r-1/ou-a/", "o-x/r-1/ou-b/"), paths()}
	cases := []struct {
		name      string
		bucket    []string // the bucket policy's statements' conditions
		key       string   // the key policy's partner statement's condition
		verdict   model.Verdict
		conds     []string // the cell's conditions (conditional), or its narrowing (allow)
		anyOf     bool
		requests  []request
		allowedBy request // conditional: a concrete request that is allowed
		// notDenied: a concrete request that is not denied (the KMS call's
		// keys left unknown)
		notDenied request
	}{{
		name:    "complements on the principal's ARN",
		bucket:  []string{`{StringEquals: {"aws:PrincipalArn": "` + roleA + `"}}`},
		key:     `{StringNotEquals: {"aws:PrincipalArn": "` + roleA + `"}}`,
		verdict: model.VerdictDeny, requests: arnReqs,
	}, {
		name:    "StringNotEqualsIfExists is StringNotEquals",
		bucket:  []string{`{StringEquals: {"aws:PrincipalArn": "` + roleA + `"}}`},
		key:     `{StringNotEqualsIfExists: {"aws:PrincipalArn": "` + roleA + `"}}`,
		verdict: model.VerdictDeny, requests: arnReqs,
	}, {
		name:    "Null true and false",
		bucket:  []string{`{"Null": {"` + tag + `": "true"}}`},
		key:     `{"Null": {"` + tag + `": "false"}}`,
		verdict: model.VerdictDeny, requests: tagReqs,
	}, {
		name:    "ForAnyValue and ForAllValues:Not",
		bucket:  []string{`{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-x/r-1/ou-a/*"}}`},
		key:     `{"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": "o-x/r-1/ou-a/*"}}`,
		verdict: model.VerdictDeny, requests: pathReqs,
	}, {
		name:    "a condition in both is one",
		bucket:  []string{`{StringEquals: {"` + tag + `": [data, ops]}}`},
		key:     `{StringEquals: {"` + tag + `": [ops, data]}}`,
		verdict: model.VerdictConditional, conds: []string{tag + " in [data, ops]"},
		requests: tagReqs, allowedBy: tags("ops"),
	}, {
		name:    "X and XIfExists are not complements",
		bucket:  []string{`{StringEqualsIfExists: {"` + tag + `": data}}`},
		key:     `{StringNotEquals: {"` + tag + `": data}}`,
		verdict: model.VerdictConditional, conds: []string{tag + " != data", tag + " = data"},
		requests: tagReqs, allowedBy: tags(),
	}, {
		name:    "the alternative that contradicts the key policy is dropped",
		bucket:  []string{`{StringEquals: {"` + tag + `": data}}`, `{StringEquals: {"` + tag + `": ops}}`},
		key:     `{StringNotEquals: {"` + tag + `": data}}`,
		verdict: model.VerdictConditional, conds: []string{tag + " != data", tag + " = ops"},
		requests: tagReqs, allowedBy: tags("ops"),
	}, {
		// The KMS call is S3's, not made through the caller's endpoint.
		name:    "the request's endpoint is not the KMS call's",
		bucket:  []string{`{StringEquals: {"aws:SourceVpce": vpce-1}}`},
		key:     `{StringNotEquals: {"aws:SourceVpce": vpce-1}}`,
		verdict: model.VerdictConditional, conds: []string{"aws:SourceVpce != vpce-1", "aws:SourceVpce = vpce-1"},
		notDenied: request{roleA, map[string][]string{"aws:SourceVpce": {"vpce-1"}}},
	}, {
		name:    "one ARN in both layers narrows to it once",
		bucket:  []string{`{StringEquals: {"aws:PrincipalArn": "` + roleA + `"}}`},
		key:     `{StringEquals: {"aws:PrincipalArn": "` + roleA + `"}}`,
		verdict: model.VerdictAllow, conds: []string{"aws:PrincipalArn = " + roleA},
		requests: arnReqs, allowedBy: request{roleA, nil},
	}}
	readAll := parsePolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","kms:*"],"Resource":"*"}]}`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := kmsAndFixture(tc.bucket, tc.key)
			b := bucketNamed(t, analyzeYAML(t, text, nil), "bkt")
			c := cellAt(t, b, "external.888877776666.read")
			got := c.Conditions
			if tc.verdict == model.VerdictAllow {
				got = c.NarrowedTo
			}
			if c.Verdict != tc.verdict || strings.Join(got, "|") != strings.Join(tc.conds, "|") || c.AnyOf != tc.anyOf {
				t.Fatalf("cell = %s %q (any of %t, narrowed to %q): %s; want %s %q", c.Verdict, c.Conditions, c.AnyOf, c.NarrowedTo, c.Reason, tc.verdict, tc.conds)
			}
			if tc.verdict == model.VerdictDeny {
				// Decided by both layers, and the reason names both.
				if by := strings.Join(c.DecidedBy, ","); !strings.Contains(by, model.LayerBucketPolicy) || !strings.Contains(by, model.LayerKMS) {
					t.Errorf("decided_by %v, want both %s and %s", c.DecidedBy, model.LayerBucketPolicy, model.LayerKMS)
				}
				for _, s := range []string{"no request meets", "bucket policy", "kms:Decrypt on KMS key " + kmsAndKey, `"Partner"`} {
					if !strings.Contains(c.Reason, s) {
						t.Errorf("reason %q lacks %q", c.Reason, s)
					}
				}
			}
			// The concrete requests agree.
			doc, err := inventory.Parse([]byte(text), t.Name())
			if err != nil {
				t.Fatal(err)
			}
			ix := NewIndex(doc)
			a := &doc.Accounts[1]
			bl := ix.NewBucketLayers(a, &a.Buckets[0])
			decide := func(r request) model.Verdict {
				caller := &Caller{Principal: r.principal, Account: "888877776666", InOrg: TriFalse,
					Identity: []*policy.Policy{readAll}, Context: r.ctx}
				return bl.Decide(caller, ActionRead, "").Verdict
			}
			for _, r := range tc.requests {
				got := decide(r)
				if tc.verdict == model.VerdictDeny && got != model.VerdictDeny {
					t.Errorf("%s with %v: %s, but the cell is a certain deny", r.principal, r.ctx, got)
				}
				if got == model.VerdictConditional || got == model.VerdictUnknown {
					t.Errorf("%s with %v: %s, want a decision", r.principal, r.ctx, got)
				}
			}
			if tc.notDenied.principal != "" {
				if got := decide(tc.notDenied); got == model.VerdictDeny {
					t.Errorf("%s with %v: denied", tc.notDenied.principal, tc.notDenied.ctx)
				}
			}
			if tc.verdict != model.VerdictDeny && tc.requests != nil {
				if got := decide(tc.allowedBy); got != model.VerdictAllow {
					t.Errorf("%s with %v: %s, want allow", tc.allowedBy.principal, tc.allowedBy.ctx, got)
				}
				denied := false
				for _, r := range tc.requests {
					denied = denied || decide(r) == model.VerdictDeny
				}
				if !denied {
					t.Errorf("no concrete request is denied: the cell would be allow")
				}
			}
		})
	}
}

// TestDNFStructured checks dnf.and on conditions of engine results
// (reqCond): complements and exclusive pairs (Bool "true" and "false" on a
// single-valued key) leave no alternative (never); X and XIfExists stay
// two conditions, though they read alike (shown once); a condition in both
// is one; loose conditions (a stricter reading) and the KMS call's own
// conditions prove no contradiction; and conditions access makes are
// equal only to the same text. Operator rules:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
func TestDNFStructured(t *testing.T) {
	q := func(key, op string, neg bool, vals ...string) cond {
		return reqCond(policy.Requirement{Key: key, Operator: op, Values: vals, Negated: neg})
	}
	one := func(cs ...cond) dnf { return dnf{cs} }
	eq := q("aws:PrincipalArn", "StringEquals", false, "arn:a")
	ne := q("aws:PrincipalArn", "StringNotEquals", false, "arn:a")
	eqIfExists := q("aws:PrincipalArn", "StringEqualsIfExists", false, "arn:a")
	notNe := q("aws:PrincipalArn", "StringNotEquals", true, "arn:a") // a Deny's: not (!=)
	mfaTrue := q("aws:MultiFactorAuthPresent", "Bool", false, "true")
	mfaFalse := q("aws:MultiFactorAuthPresent", "Bool", false, "false")
	loose := ne
	loose.loose = true
	kmsOwn := ne
	kmsOwn.kms = true
	other := q("aws:SourceIp", "IpAddress", false, "10.0.0.0/8")
	for _, tc := range []struct {
		name  string
		a, b  dnf
		never bool
		conds int    // conditions of the one alternative left
		text  string // its rendering
	}{
		{"complements", one(eq), one(ne), true, 0, ""},
		{"exclusive Bool values", one(mfaTrue), one(mfaFalse), true, 0, ""},
		{"a Deny's negation is the other operator", one(eq), one(notNe), false, 1, "aws:PrincipalArn = arn:a"},
		{"X and XIfExists", one(eq), one(eqIfExists), false, 2, "aws:PrincipalArn = arn:a"},
		{"XIfExists and its complement", one(eqIfExists), one(ne), false, 2, "aws:PrincipalArn != arn:a and aws:PrincipalArn = arn:a"},
		{"loose", one(eq), one(loose), false, 2, "aws:PrincipalArn != arn:a and aws:PrincipalArn = arn:a"},
		{"the KMS call's own key", one(eq), one(kmsOwn), false, 2, "aws:PrincipalArn != arn:a and aws:PrincipalArn = arn:a"},
		{"one alternative of two left", dnf{{eq}, {other}}, one(ne), false, 2, "aws:PrincipalArn != arn:a and aws:SourceIp in 10.0.0.0/8"},
		{"texts", textDNF([]string{"object key like \"a/*\""}), textDNF([]string{"object key like \"a/*\""}), false, 1, `object key like "a/*"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, never := tc.a.and(tc.b)
			if never != tc.never {
				t.Fatalf("never = %t (%v), want %t", never, got, tc.never)
			}
			if never {
				if got != nil {
					t.Errorf("never with alternatives %v", got)
				}
				return
			}
			if len(got) != 1 || len(got[0]) != tc.conds || got.String() != tc.text {
				t.Errorf("and = %d alternatives, %q; want one of %d conditions, %q", len(got), got.String(), tc.conds, tc.text)
			}
			if conds, anyOf := got.cellConditions(); anyOf || strings.Join(conds, " and ") != tc.text {
				t.Errorf("cellConditions = %q (%t), want %q", conds, anyOf, tc.text)
			}
		})
	}
	// or: alternatives that are one are merged; two that read alike but
	// are not one are kept and rendered once.
	if got := one(eq).or(one(notNe)); len(got) != 1 {
		t.Errorf("or of one condition twice: %d alternatives", len(got))
	}
	if got := one(eq).or(one(eqIfExists)); len(got) != 2 || got.String() != "aws:PrincipalArn = arn:a" {
		t.Errorf("or of X and XIfExists: %d alternatives, %q", len(got), got.String())
	}
	// bounded's merge is loose: it proves no contradiction.
	var many dnf
	for i := 0; i <= maxAlternatives; i++ {
		many = many.or(one(q("aws:PrincipalTag/n", "StringEquals", false, string(rune('a'+i)))))
	}
	if len(many) != 1 || !many[0][0].loose {
		t.Fatalf("bounded: %d alternatives", len(many))
	}
	if _, never := many.and(one(q("aws:PrincipalTag/n", "StringNotEquals", false, "a"))); never {
		t.Errorf("a loose merge proved a contradiction")
	}
}
