package policy

import (
	"strings"
	"testing"
)

// TestContextOn checks that a context started on a base sees the base's
// keys and prefixes, overrides them with its own (case-insensitively),
// checks prefixes after every explicit key, and leaves the base unchanged; and
// that SetUnknownExceptShared excludes its values as SetUnknownExcept does.
func TestContextOn(t *testing.T) {
	base := NewOpenContext().Set("aws:SecureTransport", "true").SetAbsent("aws:SourceArn").Set("aws:PrincipalTag/team", "web")
	ctx := NewContextOn(base).Set("AWS:securetransport", "false").SetAbsentPrefix("aws:PrincipalTag/")
	ctx.SetUnknownExceptShared("aws:PrincipalAccount", []string{"111122223333"})
	check := func(c *Context, key string, want keyState, wantVals ...string) {
		t.Helper()
		st, vals, _ := c.lookup(key)
		if st != want || len(vals) != len(wantVals) || (len(vals) > 0 && vals[0] != wantVals[0]) {
			t.Errorf("%s: %v %v, want %v %v", key, st, vals, want, wantVals)
		}
	}
	check(ctx, "aws:securetransport", keyPresent, "false")
	check(base, "aws:securetransport", keyPresent, "true")
	check(ctx, "aws:sourcearn", keyAbsent)
	check(ctx, "aws:principaltag/team", keyPresent, "web") // an explicit key wins over a prefix
	check(ctx, "aws:principaltag/env", keyAbsent)
	check(base, "aws:principaltag/env", keyUnknown)
	onCtx := NewContextOn(ctx).Set("aws:RequestedRegion", "eu-west-1")
	check(onCtx, "aws:principaltag/env", keyAbsent) // the base's prefixes count
	check(onCtx, "aws:principaltag/team", keyPresent, "web")
	check(onCtx, "aws:securetransport", keyPresent, "false")
	check(ctx, "aws:requestedregion", keyUnknown)
	check(ctx, "aws:principalaccount", keyUnknownExcept, "111122223333")
	check(ctx, "aws:requestedregion", keyUnknown) // open, as its base
	shared := NewContextOn(base).SetUnknownExceptShared("aws:PrincipalAccount", []string{"111122223333"}, nil, []string{"222233334444", "444455556666", "555566667777"})
	for v, want := range map[string]bool{"111122223333": true, "444455556666": true, "555566667777": true, "777788889999": false, "333344445555": false} {
		if got := shared.excepts("aws:principalaccount", v); got != want {
			t.Errorf("excepts %s: %v, want %v", v, got, want)
		}
	}
	if ctx.excepts("aws:securetransport", "true") {
		t.Error("a present key excepts nothing")
	}
	clone := ctx.Clone()
	check(clone, "aws:sourcearn", keyAbsent)
	check(clone, "aws:securetransport", keyPresent, "false")
}

// TestContextLayered checks that a layered context sees its own keys, then
// each layer's own keys and prefixes in order (not the layers' bases),
// then its base's, exactly as the chain of contexts set in that order
// would; and that a clone keeps the layers.
func TestContextLayered(t *testing.T) {
	common := NewOpenContext().Set("aws:SecureTransport", "true").Set("aws:ViaAWSService", "false")
	owner := NewContextOn(common).Set("aws:ResourceAccount", "111122223333")
	caller := NewContext().Set("aws:PrincipalTag/team", "web").SetAbsentPrefix("aws:PrincipalTag/").
		SetUnknownExceptShared("aws:PrincipalAccount", nil, []string{"111122223333", "222233334444"})
	svc := NewContextOn(NewOpenContext().Set("aws:SourceArn", "a base of a layer: not seen")).
		Set("aws:SecureTransport", "false").Set("aws:RequestedRegion", "eu-west-1")
	layered := NewContextLayered(owner, svc, caller)
	// The same context built as one chain: owner, caller's keys, service's.
	chain := NewContextOn(owner).Set("aws:PrincipalTag/team", "web").SetAbsentPrefix("aws:PrincipalTag/").
		SetUnknownExceptShared("aws:PrincipalAccount", nil, []string{"111122223333", "222233334444"})
	chain = NewContextOn(chain).Set("aws:SecureTransport", "false").Set("aws:RequestedRegion", "eu-west-1")
	on := NewContextOn(layered).Set("aws:ViaAWSService", "true")
	onChain := NewContextOn(chain).Set("aws:ViaAWSService", "true")
	for _, tc := range []struct {
		name      string
		got, want *Context
	}{{"layered", layered, chain}, {"on layered", on, onChain}, {"clone", on.Clone(), onChain}} {
		for _, key := range []string{"aws:securetransport", "aws:viaawsservice", "aws:resourceaccount", "aws:requestedregion",
			"aws:principaltag/team", "aws:principaltag/env", "aws:principalaccount", "aws:sourcearn"} {
			st, vals, set := tc.got.lookup(key)
			wst, wvals, wset := tc.want.lookup(key)
			if st != wst || set != wset || len(vals) != len(wvals) || (len(vals) > 0 && vals[0] != wvals[0]) {
				t.Errorf("%s %s: %v %v %v, want %v %v %v", tc.name, key, st, vals, set, wst, wvals, wset)
			}
		}
		for _, v := range []string{"111122223333", "222233334444", "333344445555"} {
			if got, want := tc.got.excepts("aws:principalaccount", v), tc.want.excepts("aws:principalaccount", v); got != want {
				t.Errorf("%s excepts %s: %v, want %v", tc.name, v, got, want)
			}
		}
	}
}

// TestLowerKey checks that lowerKey lowers as strings.ToLower does, for
// the keys it knows and for others.
func TestLowerKey(t *testing.T) {
	for _, k := range []string{"aws:SecureTransport", "aws:RequestedRegion", "aws:ViaAWSService", "aws:PrincipalAccount", "aws:PrincipalOrgID",
		"aws:PrincipalOrgPaths", "aws:PrincipalType", "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths", "aws:SourceVpce",
		"aws:SourceVpc", "aws:SourceIp", "kms:CallerAccount", "kms:ViaService", "aws:PrincipalTag/Team", "s3:x-amz-acl", "aws:prİncipalaccount"} {
		if got, want := lowerKey(k), strings.ToLower(k); got != want {
			t.Errorf("lowerKey(%q) = %q, want %q", k, got, want)
		}
	}
}

// TestBaseContext checks that an input's Context over its BaseContext
// reads as the chain of Context's keys set over BaseContext would
// (lookupEntryOn): Context's keys first, then BaseContext's, the prefixes
// of both (absent ones before unknown ones, whichever context declares
// them), and BaseContext's world for keys neither sets; and that an
// Evaluator's memo of lookups serves one pair of contexts only: the same
// Context over the bases of two owners, in turn, decides by each owner's
// aws:ResourceAccount and aws:ResourceOrgPaths
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgpaths).
func TestBaseContext(t *testing.T) {
	type op struct {
		kind int
		key  string
	}
	keys := []string{"aws:ResourceAccount", "aws:SecureTransport", "aws:PrincipalTag/team", "aws:PrincipalTag/env", "aws:RequestTag/a", "aws:userid"}
	prefixes := []string{"aws:PrincipalTag/", "aws:RequestTag/"}
	apply := func(c *Context, ops []op) *Context {
		for _, o := range ops {
			switch o.kind {
			case 0:
				c.Set(o.key, "v-"+o.key)
			case 1:
				c.SetAbsent(o.key)
			case 2:
				c.SetUnknown(o.key)
			case 3:
				c.SetUnknownPrefix(o.key)
			case 4:
				c.SetAbsentPrefix(o.key)
			}
		}
		return c
	}
	seed := uint64(1)
	next := func(n int) int {
		seed = seed*6364136223846793005 + 1442695040888963407
		return int(seed>>33) % n
	}
	randOps := func() []op {
		var ops []op
		for range next(4) {
			if k := next(5); k >= 3 {
				ops = append(ops, op{k, prefixes[next(len(prefixes))]})
			} else {
				ops = append(ops, op{k, keys[next(len(keys))]})
			}
		}
		return ops
	}
	lookups := []string{"aws:resourceaccount", "aws:securetransport", "aws:principaltag/team", "aws:principaltag/env", "aws:principaltag/x",
		"aws:requesttag/a", "aws:requesttag/b", "aws:userid", "aws:sourcearn"}
	for i := range 3000 {
		open := next(2) == 0
		common := NewContext()
		if open {
			common = NewOpenContext()
		}
		baseOps, b2Ops, c1Ops, c2Ops := randOps(), randOps(), randOps(), randOps()
		base := apply(NewContextOn(apply(common, baseOps)), b2Ops)
		var c *Context
		if next(2) == 0 {
			c = apply(NewContextOn(apply(NewContext(), c1Ops)), c2Ops)
		} else { // the caller's keys as a layer, as Caller.context's
			c = apply(NewContextLayered(nil, apply(NewContext(), c1Ops)), c2Ops)
		}
		// The same keys as one chain over base.
		chain := apply(NewContextOn(apply(NewContextOn(base), c1Ops)), c2Ops)
		for _, k := range lookups {
			st, vals, set, _ := lookupEntryOn(c, base, k)
			wst, wvals, wset := chain.lookup(k)
			if st != wst || set != wset || len(vals) != len(wvals) || (len(vals) > 0 && vals[0] != wvals[0]) {
				t.Fatalf("case %d (open %v, base %v %v, caller %v %v) %s: %v %v %v, want %v %v %v", i, open, baseOps, b2Ops, c1Ops, c2Ops, k, st, vals, set, wst, wvals, wset)
			}
		}
	}

	p := pol(t, "identity", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:ResourceOrgPaths":"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}}},
		{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:ResourceAccount":"444455556666"},"StringEqualsIfExists":{"aws:PrincipalTag/team":"web"}}}]}`)
	common := NewOpenContext().Set("aws:SecureTransport", "true")
	prod := NewContextOn(common).Set("aws:ResourceAccount", "222233334444").Set("aws:ResourceOrgPaths", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/")
	dev := NewContextOn(common).Set("aws:ResourceAccount", "444455556666").Set("aws:ResourceOrgPaths", "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/")
	caller := NewContext().Set("aws:PrincipalTag/team", "web").SetAbsentPrefix("aws:PrincipalTag/")
	bucket := pol(t, "bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct1+`:role/app"},"Action":"s3:*","Resource":"*"}]}`)
	want := map[*Context][2]Decision{prod: {Allow, ImplicitDeny}, dev: {ImplicitDeny, Allow}}
	owner := map[*Context]string{prod: "222233334444", dev: "444455556666"}
	var e Evaluator
	var r Result
	for i, base := range []*Context{prod, dev, dev, prod, dev, prod, prod} {
		for j, action := range []string{"s3:GetObject", "s3:PutObject"} {
			in := &Input{Principal: "arn:aws:iam::" + acct1 + ":role/app", Action: action, Resource: "arn:aws:s3:::b/k",
				ResourceAccount: owner[base], Context: caller, BaseContext: base, IdentityPolicies: []*Policy{p}, ResourcePolicy: bucket}
			e.Evaluate(in, &r)
			if r.Decision != want[base][j] {
				t.Errorf("step %d %s: %v, want %v", i, action, r.Decision, want[base][j])
			}
		}
	}
}

// TestContextReserve checks that the keys set in a context's reserved room
// (Reserve) are each their own, beyond the room too, and stay as set when
// the room is replaced or the key set again, in the context and in one
// that adopted them.
func TestContextReserve(t *testing.T) {
	ctx := NewContext().Reserve(2)
	ctx.Set("aws:userid", "AIDAEXAMPLE").SetAbsent("aws:username").SetPrefixed("aws:SourceArn", "arn:aws:s3:::b")
	adopted := NewContext().Adopt(ctx)
	ctx.Reserve(3).Set("aws:PrincipalType", "User").Set("aws:userid", "AIDAOTHER")
	for _, tc := range []struct {
		c         *Context
		key       string
		st        keyState
		wantValue string
	}{
		{ctx, "aws:userid", keyPresent, "AIDAOTHER"}, {adopted, "aws:userid", keyPresent, "AIDAEXAMPLE"},
		{ctx, "aws:username", keyAbsent, ""}, {adopted, "aws:username", keyAbsent, ""},
		{ctx, "aws:sourcearn", keyPrefixed, "arn:aws:s3:::b"}, {adopted, "aws:sourcearn", keyPrefixed, "arn:aws:s3:::b"},
		{ctx, "aws:principaltype", keyPresent, "User"}, {adopted, "aws:principaltype", keyAbsent, ""},
	} {
		st, vals, _ := tc.c.lookup(tc.key)
		got := ""
		if len(vals) > 0 {
			got = vals[0]
		}
		if st != tc.st || got != tc.wantValue || len(vals) > 1 {
			t.Errorf("%s: %v %v, want %v %q", tc.key, st, vals, tc.st, tc.wantValue)
		}
	}
}
