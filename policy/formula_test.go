package policy

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// simplifyDNFMaps is the map-based simplifyDNF that the slice-based one
// replaced (issue 16): the oracle of TestSimplifyDNFMatchesMaps.
func simplifyDNFMaps(e *Evaluator, clauses [][]lit) [][]lit {
	type keyed struct {
		lits []lit
		set  map[string]bool
	}
	var kept []keyed
	seen := map[string]bool{}
	sign := func(id string, neg bool) string {
		if neg {
			return "!" + id
		}
		return "+" + id
	}
outer:
	for _, cl := range clauses {
		set := map[string]bool{}
		var lits []lit
		for _, l := range cl {
			a := &e.atoms[l.a]
			id, neg := a.id(), l.neg != a.flip // an atom's complement has its id, flipped
			if set[sign(id, !neg)] {
				continue outer
			}
			if !neg && a.excl != "" {
				for _, m := range lits {
					if b := &e.atoms[m.a]; !m.neg && b.excl == a.excl && b.id() != id {
						continue outer // exclusive atoms (Bool true and false)
					}
				}
			}
			if k := sign(id, neg); !set[k] {
				set[k] = true
				lits = append(lits, l)
			}
		}
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		key := strings.Join(keys, "\x01")
		if seen[key] {
			continue
		}
		seen[key] = true
		kept = append(kept, keyed{lits: lits, set: set})
	}
	var out [][]lit
	for i, c := range kept {
		subsumed := false
		for j, d := range kept {
			if i != j && len(d.set) < len(c.set) && func() bool {
				for k := range d.set {
					if !c.set[k] {
						return false
					}
				}
				return true
			}() {
				subsumed = true
				break
			}
		}
		if !subsumed {
			out = append(out, c.lits)
		}
	}
	return out
}

// TestSimplifyDNFMatchesMaps checks that simplifyDNF keeps, drops and
// orders clauses and literals as the map-based version did, on random
// clause lists over a few atoms (some equal under id: same key in another
// case; some complements or exclusive, complementForm).
func TestSimplifyDNFMatchesMaps(t *testing.T) {
	e := &Evaluator{atoms: []atom{
		{req: Requirement{Key: "aws:SourceIp", Operator: "IpAddress", Values: []string{"10.0.0.0/8"}}},
		{req: Requirement{Key: "aws:sourceip", Operator: "IpAddress", Values: []string{"10.0.0.0/8"}}},
		{req: Requirement{Key: "aws:SourceVpce", Operator: "StringEquals", Values: []string{"vpce-1", "vpce-2"}}},
		{req: Requirement{Key: "aws:PrincipalArn", Operator: "ArnLike", Values: []string{"arn:aws:iam::1:role/*"}}},
		// Complements (the same id, flipped) and exclusive atoms.
		{req: Requirement{Key: "aws:SourceVpce", Operator: "StringNotEquals", Values: []string{"vpce-2", "vpce-1"}}},
		{req: Requirement{Key: "aws:SourceVpce", Operator: "Null", Values: []string{"true"}}},
		{req: Requirement{Key: "aws:SourceVpce", Operator: "Null", Values: []string{"false"}}},
		{req: Requirement{Key: "aws:SecureTransport", Operator: "Bool", Values: []string{"true"}}},
		{req: Requirement{Key: "aws:SecureTransport", Operator: "Bool", Values: []string{"false"}}},
		{unreadable: "p", req: Requirement{Operator: "allow"}},
		{unreadable: "p", req: Requirement{Operator: "deny"}},
	}}
	rng := rand.New(rand.NewSource(16))
	for n := 0; n < 5000; n++ {
		clauses := make([][]lit, rng.Intn(8))
		for i := range clauses {
			cl := make([]lit, rng.Intn(5))
			for j := range cl {
				cl[j] = lit{a: int32(rng.Intn(len(e.atoms))), neg: rng.Intn(3) == 0}
			}
			clauses[i] = cl
		}
		got, want := e.simplifyDNF(clauses), simplifyDNFMaps(e, clauses)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("simplifyDNF(%v) = %v, want %v", clauses, got, want)
		}
	}
}

// TestJWriterStrMatchesEncodingJSON checks that jwriter.str writes every
// string as encoding/json (without HTML escaping) does, its fast path for
// printable ASCII included: every single byte and rune class, and ARNs.
func TestJWriterStrMatchesEncodingJSON(t *testing.T) {
	cases := []string{"", "arn:aws:s3:::bucket/*", "s3:GetObject", "a\"b", `a\b`, "<&>", "tab\there", "\u2028", "é", "\xff", "\x7f", "~"}
	for b := 0; b < 256; b++ {
		cases = append(cases, string([]byte{byte(b)}), "x"+string([]byte{byte(b)})+"y")
	}
	for _, s := range cases {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(buf.String(), "\n")
		var w jwriter
		w.str(s)
		if got := w.b.String(); got != want {
			t.Errorf("str(%q) = %s, want %s", s, got, want)
		}
	}
}

// TestEvaluatorMemoSeesContextChanges checks that an Evaluator reused
// across requests sees a change to their context made between them: to
// the context itself, to its base, to one of its layers, and to a prefix
// (its memo of lookups holds only while no context of the chain changes).
func TestEvaluatorMemoSeesContextChanges(t *testing.T) {
	// Allows reads through one VPC endpoint
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html).
	p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		build  func() (*Context, func())
		before Decision
		after  Decision
	}{
		{"own key", func() (*Context, func()) {
			c := NewOpenContext()
			return c, func() { c.Set("aws:SourceVpce", "vpce-1") }
		}, Conditional, Allow},
		{"base key", func() (*Context, func()) {
			base := NewOpenContext().Set("aws:SourceVpce", "vpce-2")
			return NewContextOn(base), func() { base.Set("aws:SourceVpce", "vpce-1") }
		}, ImplicitDeny, Allow},
		{"layer key", func() (*Context, func()) {
			layer := NewContext()
			return NewContextLayered(NewOpenContext(), layer), func() { layer.SetAbsent("aws:SourceVpce") }
		}, Conditional, ImplicitDeny},
		{"absent prefix", func() (*Context, func()) {
			c := NewOpenContext()
			return c, func() { c.SetAbsentPrefix("aws:Source") }
		}, Conditional, ImplicitDeny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, change := tc.build()
			in := &Input{Principal: "arn:aws:iam::111122223333:role/r", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
				ResourceAccount: "444455556666", Context: ctx, ResourcePolicy: p, IdentityPolicies: []*Policy{mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}}
			var e Evaluator
			var r Result
			e.Evaluate(in, &r)
			if r.Decision != tc.before {
				t.Fatalf("before the change: %v, want %v", r.Decision, tc.before)
			}
			change()
			e.Evaluate(in, &r)
			if r.Decision != tc.after {
				t.Fatalf("after the change: %v, want %v", r.Decision, tc.after)
			}
		})
	}
}
