package access

import (
	"slices"
	"strings"
	"testing"
)

// TestNormConjShares: normConj returns a conjunction already in normal
// form as it is (without a copy), and any other as normInPlace makes it of
// a copy (its input left unchanged): lists in every order of conditions
// that are one (by id, or by text), complements, exclusive, loose, of the
// KMS call.
func TestNormConjShares(t *testing.T) {
	conds := []cond{
		{text: "a = 1", id: "a=1"},
		{text: "a = 1 again", id: "a=1"},              // one with the first
		{text: "a != 1", id: "a=1", neg: true},        // its complement
		{text: "b = true", id: "b=true", excl: "b"},   // exclusive with the next
		{text: "b = false", id: "b=false", excl: "b"}, //
		{text: "object key like x"},
		{text: "object key like x", loose: true},
		{text: "a = 1", id: "a=1", kms: true},
	}
	var lists [][]cond
	for i := range conds {
		for j := range conds {
			for k := range conds {
				lists = append(lists, []cond{conds[i]}, []cond{conds[i], conds[j]}, []cond{conds[i], conds[j], conds[k]})
			}
		}
	}
	shared := 0
	for _, l := range lists {
		in := slices.Clone(l)
		got, possible := normConj(in)
		want, wantPossible := normInPlace(slices.Clone(l))
		if !slices.Equal(got, want) || possible != wantPossible {
			t.Fatalf("normConj(%v) = %v, %v, want %v, %v", l, got, possible, want, wantPossible)
		}
		if !slices.Equal(in, l) {
			t.Fatalf("normConj(%v) changed its input to %v", l, in)
		}
		if cap(got) != len(got) {
			t.Fatalf("normConj(%v) has room to append to", l)
		}
		if len(got) > 0 && &got[0] == &in[0] {
			shared++
			if !slices.Equal(want, l) {
				t.Fatalf("normConj(%v) shared a list not in normal form", l)
			}
		} else if slices.Equal(want, l) {
			t.Errorf("normConj(%v) copied a list in normal form", l)
		}
	}
	if shared == 0 {
		t.Error("no list shared")
	}
}

// TestNarrowedReason: narrowedReason rewrites the first "only if <cond>"
// of a reason as strings.Replace does, and appends the narrowing to a
// reason that does not quote the condition so.
func TestNarrowedReason(t *testing.T) {
	narrow := textDNF([]string{"aws:PrincipalArn like arn:aws:iam::*:role/a"})
	old := func(reason, cond string) string {
		if o := "only if " + cond; strings.Contains(reason, o) {
			return strings.Replace(reason, o, "only for the principals with "+narrow.String(), 1)
		}
		return reason + "; allowed only for the principals with " + narrow.String()
	}
	for _, tc := range [][2]string{
		{"s3:GetObject allowed for x only if c (the bucket policy statement #0)", "c"},
		{"s3:GetObject allowed for x only if c and only if c", "c"},
		{"only if only if c", "c"},
		{"only if d; only if c", "c"},
		{"only if cd", "c"},
		{"allowed only if", "c"},
		{"no condition quoted", "c"},
		{"only if ", ""},
		{"", ""},
	} {
		if got, want := narrowedReason(tc[0], tc[1], narrow), old(tc[0], tc[1]); got != want {
			t.Errorf("narrowedReason(%q, %q) = %q, want %q", tc[0], tc[1], got, want)
		}
	}
}

// TestSplitConj: splitConj splits a conjunction into its conditions on the
// principal and the others, in their order, as lists that appending to
// does not make one.
func TestSplitConj(t *testing.T) {
	p1, p2 := textCond("aws:PrincipalArn = a"), textCond("aws:PrincipalAccount = 1")
	r1, r2 := textCond("aws:SourceIp in 1"), textCond("aws:SourceVpce = v")
	for _, tc := range []struct{ conj, prin, req []cond }{
		{nil, nil, nil},
		{[]cond{p1}, []cond{p1}, nil},
		{[]cond{r1, r2}, nil, []cond{r1, r2}},
		{[]cond{r1, p1, r2, p2}, []cond{p1, p2}, []cond{r1, r2}},
	} {
		prin, req := splitConj(tc.conj, false)
		if !slices.Equal(prin, tc.prin) || !slices.Equal(req, tc.req) || (prin == nil) != (tc.prin == nil) || (req == nil) != (tc.req == nil) {
			t.Errorf("splitConj(%v) = %v, %v, want %v, %v", tc.conj, prin, req, tc.prin, tc.req)
		}
		if cap(prin) != len(prin) || cap(req) != len(req) {
			t.Errorf("splitConj(%v) has room to append to", tc.conj)
		}
	}
}
