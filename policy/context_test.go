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
