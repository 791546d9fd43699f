package access

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bucketaudit/bucketaudit/policy"
)

// oldReason is fromResult's reason of an allow or a deny as it was made
// before reasonCache (parts joined and concatenated; the layers' parts
// are implicitDenyParts, the loop of implicitDenyReason moved as it was):
// the reference the cached reasons must equal.
func oldReason(r *policy.Result, kind resourceKind, action, who string) string {
	describe := func(refs []policy.StatementRef, effect string, noGuards bool) string {
		var parts []string
		more := 0
		for rank := 0; rank < 3; rank++ {
			for i, x := range refs {
				if statementRank(x.Layer) != rank || (noGuards && rank == 2) || (effect != "" && !strings.EqualFold(x.Effect, effect)) || seenBefore(refs[:i], x, effect, noGuards) {
					continue
				}
				if len(parts) == 4 {
					more++
					continue
				}
				name := "#" + strconv.Itoa(x.Index)
				if x.Sid != "" {
					name = strconv.Quote(x.Sid)
				}
				parts = append(parts, x.Policy+" statement "+name)
			}
		}
		s := strings.Join(parts, ", ")
		if more > 0 {
			s += " and " + strconv.Itoa(more) + " more"
		}
		return s
	}
	switch r.Decision {
	case policy.Allow:
		if s := describe(r.Statements, "Allow", dropsGuards(r.Statements)); s != "" {
			return action + " allowed for " + who + " by " + s
		}
		return action + " allowed for " + who
	case policy.ExplicitDeny:
		return action + " explicitly denied for " + who + " by " + describe(r.Statements, "Deny", false)
	}
	parts := implicitDenyParts(r.DecidedBy, kind, nil) // moved from implicitDenyReason as it was
	if s := describe(r.Statements, "", false); s != "" {
		parts = append(parts, "see "+s)
	}
	if len(parts) == 0 {
		return action + " implicitly denied for " + who + ": nothing allows it"
	}
	return action + " implicitly denied for " + who + ": " + strings.Join(parts, "; ")
}

// reasonResults are results that differ in each thing a reason is made
// of: the decision, its layers (their order, repeats, more than a key
// holds), and the statements named (their policy, Sid or index, effect,
// layer, duplicates, more than are named, Sids that need escaping).
func reasonResults() []policy.Result {
	stmts := []policy.StatementRef{
		{Layer: policy.LayerResource, Policy: "the bucket policy", Sid: "PublicRead", Effect: "Allow"},
		{Layer: policy.LayerResource, Policy: "the bucket policy", Index: 3, Effect: "Allow"},
		{Layer: policy.LayerResource, Policy: "the bucket policy", Index: 3, Effect: "Allow"}, // the same again
		{Layer: policy.LayerIdentity, Policy: "the caller's identity policy (assumed)", Sid: "AssumedIdentityGrant", Effect: "Allow"},
		{Layer: policy.LayerSCP, Policy: "SCP p-1 (FullAccess)", Index: 0, Effect: "Allow"},
		{Layer: policy.LayerSCP, Policy: "SCP p-2 (DenyDelete)", Sid: `No "Delete"\`, Effect: "Deny"},
		{Layer: policy.LayerResource, Policy: "the bucket policy", Sid: "Dény\n", Effect: "deny"},
		{Layer: policy.LayerGrant, Policy: "the bucket ACL", Index: 12, Effect: "Allow"},
		{Layer: policy.LayerVPCE, Policy: "the VPC endpoint policy of vpce-1", Index: -1, Effect: "Allow"},
		{Layer: policy.LayerBoundary, Policy: "the permission boundary", Index: 105, Effect: "Allow"},
	}
	lists := [][]policy.StatementRef{nil, stmts[:1], stmts[1:2], stmts[1:3], stmts[3:5], stmts[4:5], stmts[4:6], stmts[5:7], stmts}
	for i := range stmts { // each statement alone, and all but it
		lists = append(lists, stmts[i:i+1], append(append([]policy.StatementRef(nil), stmts[:i]...), stmts[i+1:]...))
	}
	many := make([]policy.Layer, 17)
	for i := range many {
		many[i] = policy.LayerSCP
	}
	layers := [][]policy.Layer{nil, {policy.LayerResource}, {policy.LayerGrant}, {policy.LayerResource, policy.LayerGrant},
		{policy.LayerSCP, policy.LayerIdentity}, {policy.LayerIdentity, policy.LayerSCP}, {policy.LayerSCP, policy.LayerSCP},
		{policy.LayerRCP, policy.LayerVPCE, policy.LayerBPA, policy.LayerBoundary, policy.LayerSession}, many[:16], many}
	var out []policy.Result
	for _, d := range []policy.Decision{policy.Allow, policy.ExplicitDeny, policy.ImplicitDeny} {
		for _, l := range layers {
			for _, s := range lists {
				out = append(out, policy.Result{Decision: d, DecidedBy: l, Statements: s})
			}
		}
	}
	return out
}

// TestReasonCache: the reasons of allows and denies, made once each in one
// cache shared by every result, action, caller and kind of resource (as a
// worker's is by its buckets' evaluations), are those made afresh, and
// equal the reasons as they were made before the cache (oldReason).
func TestReasonCache(t *testing.T) {
	rc := reasonCache{on: true}
	results := reasonResults()
	for pass := 0; pass < 2; pass++ { // the second hits
		for _, kind := range []resourceKind{resourceBucket, resourceKey} {
			for _, action := range []string{"s3:GetObject", "kms:Decrypt"} {
				for _, who := range []string{"anonymous callers", "principals of account 111122223333"} {
					for i := range results {
						r := &results[i]
						got, ok := rc.reason(r, kind, action, who)
						if !ok {
							t.Fatalf("no reason for %v", r.Decision)
						}
						if want := oldReason(r, kind, action, who); got != want {
							t.Errorf("pass %d, result %d (%v, %v, %d statements): reason\n%q, want\n%q", pass, i, r.Decision, r.DecidedBy, len(r.Statements), got, want)
						}
					}
				}
			}
		}
	}
	if len(rc.m) < 100 {
		t.Errorf("%d reasons cached", len(rc.m))
	}
	for _, d := range []policy.Decision{policy.Conditional, policy.Unknown} {
		if s, ok := rc.reason(&policy.Result{Decision: d}, resourceBucket, "s3:GetObject", "anonymous callers"); ok {
			t.Errorf("a reason for %v: %q", d, s)
		}
	}
}

// TestReasonCacheCheck: with checkMemos, a cached reason that is not the
// one its key makes counts as a fault.
func TestReasonCacheCheck(t *testing.T) {
	var faults atomic.Int64
	rc := reasonCache{on: true, check: true, faults: &faults}
	r := &policy.Result{Decision: policy.ImplicitDeny, DecidedBy: []policy.Layer{policy.LayerResource}}
	want, _ := rc.reason(r, resourceBucket, "s3:GetObject", "anonymous callers")
	if got, _ := rc.reason(r, resourceBucket, "s3:GetObject", "anonymous callers"); got != want || faults.Load() != 0 {
		t.Fatalf("hit %q (%d faults), want %q", got, faults.Load(), want)
	}
	for k := range rc.m {
		rc.m[k] = "another reason"
	}
	rc.reason(r, resourceBucket, "s3:GetObject", "anonymous callers")
	if n := faults.Load(); n != 1 {
		t.Errorf("%d faults, want 1", n)
	}
}

// TestReasonCacheBounded: the cache holds at most maxReasons reasons.
func TestReasonCacheBounded(t *testing.T) {
	rc := reasonCache{on: true}
	r := &policy.Result{Decision: policy.ImplicitDeny, DecidedBy: []policy.Layer{policy.LayerResource}}
	for i := 0; i < maxReasons+10; i++ {
		rc.reason(r, resourceBucket, "s3:GetObject", fmt.Sprint("principals of account ", i))
	}
	if len(rc.m) > maxReasons {
		t.Errorf("%d reasons cached, want at most %d", len(rc.m), maxReasons)
	}
}

// TestRefCacheShares: a refCache returns one list for equal lists, kept
// across the evaluations of a worker's buckets, and never one for a list
// that differs from it in any field (Origin included, which refsHash does
// not hash), nor a list modified by the caller.
func TestRefCacheShares(t *testing.T) {
	var rc refCache
	base := policy.StatementRef{Layer: policy.LayerResource, Level: 1, Policy: "the bucket policy", Sid: "Read", Index: 2, Effect: "Allow"}
	variants := []policy.StatementRef{base}
	for _, f := range []func(*policy.StatementRef){
		func(r *policy.StatementRef) { r.Layer = policy.LayerIdentity },
		func(r *policy.StatementRef) { r.Level = 2 },
		func(r *policy.StatementRef) { r.Policy = "another policy" },
		func(r *policy.StatementRef) { r.Sid = "" },
		func(r *policy.StatementRef) { r.Index = 3 },
		func(r *policy.StatementRef) { r.Effect = "Deny" },
		func(r *policy.StatementRef) { r.Origin = &policy.Origin{} },
	} {
		v := base
		f(&v)
		variants = append(variants, v)
	}
	lists := [][]policy.StatementRef{nil, {base, base}}
	for _, v := range variants {
		lists = append(lists, []policy.StatementRef{v}, []policy.StatementRef{base, v})
	}
	for pass := 0; pass < 2; pass++ {
		for _, l := range lists {
			in := slices.Clone(l)
			got := rc.share(in)
			if !slices.Equal(got, l) {
				t.Fatalf("share(%v) = %v", l, got)
			}
			if len(in) > 0 && &got[0] == &in[0] {
				t.Fatalf("share(%v) returned the list given, not a copy", l)
			}
			if again := rc.share(slices.Clone(l)); len(l) > 0 && &again[0] != &got[0] {
				t.Errorf("pass %d: two lists %v shared as two", pass, l)
			}
			for i := range in {
				in[i].Policy = "modified"
			}
			if !slices.Equal(got, l) {
				t.Errorf("a list kept changed with the list given")
			}
		}
	}
}

// TestConcatInterned: refCache.concat is the concatenation of its parts,
// one string for the same parts (a worker's), made afresh for parts that
// differ, and beyond maxJoined parts or without a cache.
func TestConcatInterned(t *testing.T) {
	rc := &refCache{reasons: reasonCache{on: true}}
	parts := [][]string{{"a", "; ", "b"}, {"a", "; ", "c"}, {"a;", " ", "b"}, {"b", "; ", "a"}, {"", "", ""}, {"1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	for pass := 0; pass < 2; pass++ {
		for _, p := range parts {
			want := strings.Join(p, "")
			if got := rc.concat(p...); got != want {
				t.Errorf("concat(%q) = %q, want %q", p, got, want)
			}
			if got := (*refCache)(nil).concat(p...); got != want {
				t.Errorf("nil concat(%q) = %q, want %q", p, got, want)
			}
		}
	}
	if n := len(rc.reasons.joined); n != len(parts)-1 {
		t.Errorf("%d strings interned, want %d", n, len(parts)-1)
	}
	for i := 0; i < maxReasons+10; i++ {
		rc.concat("a", strconv.Itoa(i))
	}
	if n := len(rc.reasons.joined); n > maxReasons {
		t.Errorf("%d strings interned, want at most %d", n, maxReasons)
	}
}

// TestCondCache: refCache.cond is reqCond of its requirement, for
// requirements that differ in each field, hit or not, and a requirement
// whose values change after its cond was made (a result's scratch) gets
// the cond of its new values.
func TestCondCache(t *testing.T) {
	rc := &refCache{reasons: reasonCache{on: true}}
	base := policy.Requirement{Key: "aws:SourceIp", Operator: "IpAddress", Values: []string{"203.0.113.0/24"}}
	reqs := []policy.Requirement{base,
		{Key: "aws:SourceVpce", Operator: "IpAddress", Values: []string{"203.0.113.0/24"}},
		{Key: "aws:SourceIp", Operator: "NotIpAddress", Values: []string{"203.0.113.0/24"}},
		{Key: "aws:SourceIp", Operator: "IpAddress", Values: []string{"198.51.100.0/24"}},
		{Key: "aws:SourceIp", Operator: "IpAddress", Values: []string{"203.0.113.0/24", "198.51.100.0/24"}},
		{Key: "aws:SourceIp", Operator: "IpAddress", Values: []string{"203.0.113.0/24"}, Negated: true},
		{Key: "aws:SourceIp", Operator: "IpAddress"},
		{Key: "aws:PrincipalTag/team", Operator: "StringEquals", Values: []string{"a"}},
	}
	for pass := 0; pass < 2; pass++ {
		for _, q := range reqs {
			if got, want := rc.cond(q), reqCond(q); got != want {
				t.Errorf("pass %d: cond(%+v) = %+v, want %+v", pass, q, got, want)
			}
		}
	}
	vals := []string{"192.0.2.0/24"}
	q := policy.Requirement{Key: "aws:SourceIp", Operator: "IpAddress", Values: vals}
	rc.cond(q)
	vals[0] = "192.0.2.128/25"
	if got, want := rc.cond(q), reqCond(q); got != want {
		t.Errorf("after its values changed: cond = %+v, want %+v", got, want)
	}
}

// TestViaPerEndpoint: refCache.via is the condition of a request through
// its endpoint, one per endpoint, as resolveEndpoints made it (or of the
// endpoint's cond alone).
func TestViaPerEndpoint(t *testing.T) {
	rc := &refCache{reasons: reasonCache{on: true}}
	a := &endpointInfo{cond: reqCond(policy.Requirement{Key: "aws:SourceVpce", Operator: "StringEquals", Values: []string{"vpce-a"}})}
	b := &endpointInfo{cond: reqCond(policy.Requirement{Key: "aws:SourceVpce", Operator: "StringEquals", Values: []string{"vpce-b"}})}
	for pass := 0; pass < 2; pass++ {
		for _, info := range []*endpointInfo{a, b} {
			got, want := rc.via(info), dnf(nil).or(dnf{{info.cond}})
			if got.String() != want.String() || len(got) != 1 || len(got[0]) != 1 || got[0][0] != info.cond {
				t.Errorf("via(%s) = %v, want %v", info.cond.text, got, want)
			}
		}
	}
	if rc.via(a)[0][0] == rc.via(b)[0][0] {
		t.Error("two endpoints have one condition")
	}
}

// TestAlternativesCache: refCache.alternatives is the dnf a fresh
// alternativesOf makes, for results that differ in the kind of
// evaluation, in how their requirements are split into alternatives, and
// in each field of a requirement, hit or not, and after the result's
// requirements are overwritten (a result is scratch).
func TestAlternativesCache(t *testing.T) {
	ip := policy.Requirement{Key: "aws:SourceIp", Operator: "IpAddress", Values: []string{"203.0.113.0/24"}}
	vpce := policy.Requirement{Key: "aws:SourceVpce", Operator: "StringEquals", Values: []string{"vpce-1"}}
	arn := policy.Requirement{Key: "aws:PrincipalArn", Operator: "ArnLike", Values: []string{"arn:aws:iam::*:role/a"}}
	neg := ip
	neg.Negated = true
	other := ip
	other.Values = []string{"198.51.100.0/24"}
	op := ip
	op.Operator = "NotIpAddress"
	alts := [][][]policy.Requirement{
		{{ip}}, {{neg}}, {{other}}, {{op}}, {{vpce}}, {{ip, vpce}}, {{ip}, {vpce}}, {{vpce}, {ip}}, {{ip, arn}, {vpce}}, {{arn}, {ip, vpce}},
	}
	rc := &refCache{reasons: reasonCache{on: true}}
	for pass := 0; pass < 2; pass++ {
		for _, kind := range []resourceKind{resourceBucket, resourceKey} {
			for _, a := range alts {
				r := &policy.Result{Decision: policy.Conditional, Alternatives: copyAlternatives(a)}
				got, want := alternativesOf(r, kind, rc), alternativesOf(r, kind, nil)
				if !sameDNF(got, want) {
					t.Errorf("pass %d, kind %d: alternatives of %v = %v, want %v", pass, kind, a, got, want)
				}
				for _, alt := range r.Alternatives { // the scratch reused
					for i := range alt {
						for j := range alt[i].Values {
							alt[i].Values[j] = "overwritten"
						}
						alt[i] = policy.Requirement{Key: "overwritten"}
					}
				}
			}
		}
	}
}
