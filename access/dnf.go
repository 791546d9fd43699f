package access

import (
	"sort"
	"strings"
)

// dnf is a condition in disjunctive normal form: the request is allowed
// when every condition of at least one alternative holds. The empty dnf
// (and an alternative with no condition) is "always".
type dnf [][]string

// maxAlternatives bounds a condition's size; beyond it alternatives are
// merged into one (stricter reading: all conditions listed).
const maxAlternatives = 16

func normConj(c []string) []string {
	c = append([]string(nil), c...)
	sort.Strings(c)
	out := c[:0]
	for i, s := range c {
		if i == 0 || s != c[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// or adds the alternatives of e.
func (d dnf) or(e dnf) dnf {
	out := append(dnf(nil), d...)
	for _, alt := range e {
		alt = normConj(alt)
		dup := false
		for _, have := range out {
			if strings.Join(have, "\x00") == strings.Join(alt, "\x00") {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, alt)
		}
	}
	return out.bounded()
}

// and requires both: every pair of alternatives, conjoined.
func (d dnf) and(e dnf) dnf {
	if len(d) == 0 {
		return append(dnf(nil), e...)
	}
	if len(e) == 0 {
		return append(dnf(nil), d...)
	}
	var out dnf
	for _, a := range d {
		for _, b := range e {
			out = out.or(dnf{append(append([]string(nil), a...), b...)})
		}
	}
	return out.bounded()
}

func (d dnf) bounded() dnf {
	if len(d) <= maxAlternatives {
		return d
	}
	var all []string
	for _, alt := range d {
		all = append(all, alt...)
	}
	return dnf{normConj(all)}
}

// String renders "a and b", or "(a and b) or (c)".
func (d dnf) String() string {
	switch len(d) {
	case 0:
		return "always"
	case 1:
		return strings.Join(d[0], " and ")
	}
	parts := make([]string, len(d))
	for i, alt := range d {
		parts[i] = "(" + strings.Join(alt, " and ") + ")"
	}
	return strings.Join(parts, " or ")
}

// cellConditions renders the condition for a cell: the conditions that
// must all hold, or (anyOf) one "a and b" string per alternative.
func (d dnf) cellConditions() ([]string, bool) {
	switch len(d) {
	case 0:
		return nil, false
	case 1:
		return append([]string(nil), d[0]...), false
	}
	out := make([]string, len(d))
	for i, alt := range d {
		out[i] = strings.Join(alt, " and ")
	}
	return out, true
}
