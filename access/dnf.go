package access

import (
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/policy"
)

// cond is one condition of a dnf: its text, which reports show, and its
// identity, which decides when two conditions are one, complements or
// exclusive (policy.Requirement.Literal: the engine's own rules, so that
// conditions from two evaluations, the S3 request's and the KMS call's,
// combine as conditions of one evaluation would, on the keys the two
// requests share: cond.kms).
type cond struct {
	text string
	// id, neg and excl are Requirement.Literal's; id is "" for a condition
	// access makes ("object key like ..."), equal only to the same text.
	id, excl string
	neg      bool
	// kms: the condition is on a key of the KMS call S3 makes that is not
	// the S3 request's (sharedWithKMSCall): it is never one with, nor the
	// complement of, a condition of the S3 request.
	kms bool
	// loose: the condition is listed by a stricter reading (bounded's
	// merge, a Complex result's list of every condition involved), not as
	// a condition the request must meet: it proves no contradiction.
	loose bool
}

// reqCond returns the cond of a requirement of an engine result.
func reqCond(q policy.Requirement) cond {
	id, neg, excl := q.Literal()
	return cond{text: FormatRequirement(q), id: id, neg: neg, excl: excl}
}

// textCond returns a condition known only by its text.
func textCond(s string) cond { return cond{text: s} }

// textConj returns the conjunction of conditions known by their texts.
func textConj(texts ...string) []cond {
	out := make([]cond, len(texts))
	for i, s := range texts {
		out[i] = textCond(s)
	}
	return out
}

// same reports whether c and d are one condition.
func (c cond) same(d cond) bool {
	if c.kms != d.kms {
		return false
	}
	if c.id == "" || d.id == "" {
		return c.id == d.id && c.text == d.text
	}
	return c.id == d.id && c.neg == d.neg
}

// excludes reports whether c and d never hold together: complements (the
// same id, opposite signs), or two positive conditions of one exclusion
// group (Bool "true" and "false" on a single-valued key). Conditions made
// by access, and loose ones, exclude nothing.
func (c cond) excludes(d cond) bool {
	if c.id == "" || d.id == "" || c.loose || d.loose || c.kms != d.kms {
		return false
	}
	if c.id == d.id {
		return c.neg != d.neg
	}
	return !c.neg && !d.neg && c.excl != "" && c.excl == d.excl
}

// compareConds orders a conjunction's conditions by text (the order
// reports show), then identity.
func compareConds(a, b cond) int {
	if c := strings.Compare(a.text, b.text); c != 0 {
		return c
	}
	if c := strings.Compare(a.id, b.id); c != 0 {
		return c
	}
	if a.kms != b.kms {
		if a.kms {
			return 1
		}
		return -1
	}
	switch {
	case a.neg == b.neg:
		return 0
	case a.neg:
		return 1
	}
	return -1
}

// dnf is a condition in disjunctive normal form: the request is allowed
// when every condition of at least one alternative holds. The empty dnf
// (and an alternative with no condition) is "always".
type dnf [][]cond

// maxAlternatives bounds a condition's size; beyond it alternatives are
// merged into one (stricter reading: all conditions listed).
const maxAlternatives = 16

// normConj returns a copy of c sorted (compareConds) with each condition
// once (the first of those that are one, in that order). possible is false
// when two of its conditions exclude each other: no request meets c.
func normConj(c []cond) (out []cond, possible bool) {
	if possible, ok := normalised(c); ok {
		return c[:len(c):len(c)], possible // its own normal form: shared
	}
	return normInPlace(slices.Clone(c))
}

// normalised reports whether c is in normal form (normInPlace would leave
// it as it is: sorted, each condition once), and then whether it is
// possible.
func normalised(c []cond) (possible, ok bool) {
	possible = true
	for i := range c {
		if i > 0 && compareConds(c[i-1], c[i]) >= 0 {
			return false, false
		}
		for j := range c[:i] {
			if c[j].same(c[i]) {
				return false, false
			}
			if c[j].excludes(c[i]) {
				possible = false
			}
		}
	}
	return possible, true
}

// normInPlace is normConj of c, in c.
func normInPlace(c []cond) (out []cond, possible bool) {
	slices.SortFunc(c, compareConds)
	possible = true
	n := 0
outer:
	for _, x := range c {
		for j := range c[:n] {
			if c[j].same(x) {
				c[j].loose = c[j].loose && x.loose // required if either is
				continue outer
			}
			if c[j].excludes(x) {
				possible = false
			}
		}
		c[n] = x
		n++
	}
	return c[:n:n], possible
}

// sameConj reports whether two normalised conjunctions hold the same
// conditions.
func sameConj(a, b []cond) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, x.same) {
			return false
		}
	}
	return true
}

// or adds the alternatives of e.
func (d dnf) or(e dnf) dnf {
	if len(d)+len(e) == 0 {
		return nil
	}
	out := make(dnf, len(d), len(d)+len(e))
	copy(out, d)
	for _, alt := range e {
		alt, _ = normConj(alt)
		out = out.add(alt)
	}
	return out.bounded()
}

// orOwn is d.or(dnf{conj}) of a d the caller owns, appended to in place.
func (d dnf) orOwn(conj []cond) dnf {
	conj, _ = normConj(conj)
	return d.add(conj).bounded()
}

// add appends a normalised conjunction to d (the caller's own), unless d
// has it.
func (d dnf) add(alt []cond) dnf {
	if !slices.ContainsFunc(d, func(have []cond) bool { return sameConj(have, alt) }) {
		d = append(d, alt)
	}
	return d
}

// and requires both: every pair of alternatives, conjoined; a pair whose
// conditions exclude each other (cond.excludes) is no alternative. never
// is set when d and e both have alternatives and no pair is left: no
// request meets both (out is then nil, which is not "always"). Of d or e
// "always", out is the other, shared (no dnf is modified once made).
func (d dnf) and(e dnf) (out dnf, never bool) {
	if len(d) == 0 {
		return e[:len(e):len(e)], false
	}
	if len(e) == 0 {
		return d[:len(d):len(d)], false
	}
	for _, a := range d {
		for _, b := range e {
			conj, possible := normInPlace(append(append(make([]cond, 0, len(a)+len(b)), a...), b...))
			if !possible {
				continue
			}
			out = out.or(dnf{conj})
		}
	}
	if len(out) == 0 {
		return nil, true
	}
	return out.bounded(), false
}

func (d dnf) bounded() dnf {
	if len(d) <= maxAlternatives {
		return d
	}
	var all []cond
	for _, alt := range d {
		all = append(all, alt...)
	}
	all, _ = normConj(all)
	for i := range all {
		all[i].loose = true
	}
	return dnf{all}
}

// texts renders a conjunction's conditions, each text once.
func texts(conj []cond) []string {
	out := make([]string, 0, len(conj))
	for _, c := range conj {
		if !slices.Contains(out, c.text) {
			out = append(out, c.text)
		}
	}
	return out
}

// joinTexts is strings.Join(texts(conj), " and "), without texts' list.
func joinTexts(conj []cond) string {
	const sep = " and "
	switch len(conj) {
	case 0:
		return ""
	case 1:
		return conj[0].text
	}
	size, n := 0, 0
	for i, c := range conj {
		if !seenText(conj[:i], c.text) {
			size, n = size+len(c.text), n+1
		}
	}
	var b strings.Builder
	b.Grow(size + (n-1)*len(sep))
	n = 0
	for i, c := range conj {
		if seenText(conj[:i], c.text) {
			continue
		}
		if n > 0 {
			b.WriteString(sep)
		}
		b.WriteString(c.text)
		n++
	}
	return b.String()
}

// seenText reports whether a condition of conj reads s.
func seenText(conj []cond, s string) bool {
	for _, c := range conj {
		if c.text == s {
			return true
		}
	}
	return false
}

// rendered renders each alternative as "a and b", each rendering once
// (conditions that are not one may read alike: X and XIfExists).
func (d dnf) rendered() []string {
	out := make([]string, 0, len(d))
	for _, alt := range d {
		if s := joinTexts(alt); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// String renders "a and b", or "(a and b) or (c)".
func (d dnf) String() string {
	switch len(d) {
	case 0:
		return "always"
	case 1:
		return joinTexts(d[0])
	}
	alts := d.rendered()
	if len(alts) == 1 {
		return alts[0]
	}
	for i, s := range alts {
		alts[i] = "(" + s + ")"
	}
	return strings.Join(alts, " or ")
}

// cellConditions renders the condition for a cell: the conditions that
// must all hold, or (anyOf) one "a and b" string per alternative.
func (d dnf) cellConditions() ([]string, bool) {
	switch len(d) {
	case 0:
		return nil, false
	case 1:
		return texts(d[0]), false
	}
	alts := d.rendered()
	if len(alts) == 1 {
		return texts(d[0]), false
	}
	return alts, true
}
