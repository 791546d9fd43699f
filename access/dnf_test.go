package access

import (
	"slices"
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
