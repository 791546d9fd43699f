package policy

import (
	"sort"
	"strings"
)

// tri is a three-valued truth value (Kleene logic).
type tri uint8

const (
	tFalse tri = iota
	tTrue
	tUnknown
)

func triOf(b bool) tri {
	if b {
		return tTrue
	}
	return tFalse
}

func (t tri) not() tri {
	switch t {
	case tTrue:
		return tFalse
	case tFalse:
		return tTrue
	}
	return tUnknown
}

func and3(a, b tri) tri {
	if a == tFalse || b == tFalse {
		return tFalse
	}
	if a == tTrue && b == tTrue {
		return tTrue
	}
	return tUnknown
}

func or3(a, b tri) tri {
	if a == tTrue || b == tTrue {
		return tTrue
	}
	if a == tFalse && b == tFalse {
		return tFalse
	}
	return tUnknown
}

// fop is the kind of a formula node.
type fop uint8

const (
	fAtom fop = iota
	fAnd
	fOr
	fNot
)

// atom is an undecided fact: a condition on unknown context keys (req), or
// "policy name may allow/deny" for a policy that could not be read.
type atom struct {
	req        Requirement
	unreadable string // the unreadable policy's name
	layer      Layer
	level      int
}

func (a *atom) id() string {
	if a.unreadable != "" {
		return "unreadable\x00" + a.unreadable + "\x00" + a.req.Operator
	}
	return strings.ToLower(a.req.Key) + "\x00" + a.req.Operator + "\x00" + strings.Join(a.req.Values, "\x00")
}

// fnode is a formula over atoms. Constants never appear inside a formula:
// fv carries them.
type fnode struct {
	op   fop
	atom *atom
	kids []*fnode
}

// fv is a three-valued value with, when unknown, the formula that decides it.
type fv struct {
	t tri
	f *fnode
}

var (
	fvTrue  = fv{t: tTrue}
	fvFalse = fv{t: tFalse}
)

func fvAtom(a *atom) fv { return fv{t: tUnknown, f: &fnode{op: fAtom, atom: a}} }

// and2 and or2 are fvAnd and fvOr of two values, with a fast path for
// known values.
func and2(a, b fv) fv {
	switch {
	case a.t == tFalse || b.t == tTrue:
		return a
	case b.t == tFalse || a.t == tTrue:
		return b
	}
	return fvAnd(a, b)
}

func or2(a, b fv) fv {
	switch {
	case a.t == tTrue || b.t == tFalse:
		return a
	case b.t == tTrue || a.t == tFalse:
		return b
	}
	return fvOr(a, b)
}

func fvAnd(xs ...fv) fv {
	var kids []*fnode
	for _, x := range xs {
		switch x.t {
		case tFalse:
			return fvFalse
		case tUnknown:
			kids = append(kids, x.f)
		}
	}
	switch len(kids) {
	case 0:
		return fvTrue
	case 1:
		return fv{t: tUnknown, f: kids[0]}
	}
	return fv{t: tUnknown, f: &fnode{op: fAnd, kids: kids}}
}

func fvOr(xs ...fv) fv {
	var kids []*fnode
	for _, x := range xs {
		switch x.t {
		case tTrue:
			return fvTrue
		case tUnknown:
			kids = append(kids, x.f)
		}
	}
	switch len(kids) {
	case 0:
		return fvFalse
	case 1:
		return fv{t: tUnknown, f: kids[0]}
	}
	return fv{t: tUnknown, f: &fnode{op: fOr, kids: kids}}
}

func fvNot(x fv) fv {
	switch x.t {
	case tTrue:
		return fvFalse
	case tFalse:
		return fvTrue
	}
	if x.f.op == fNot {
		return fv{t: tUnknown, f: x.f.kids[0]}
	}
	return fv{t: tUnknown, f: &fnode{op: fNot, kids: []*fnode{x.f}}}
}

// hasUnreadable reports whether the formula depends on an unreadable policy.
func (n *fnode) hasUnreadable() bool {
	if n.op == fAtom {
		return n.atom.unreadable != ""
	}
	for _, k := range n.kids {
		if k.hasUnreadable() {
			return true
		}
	}
	return false
}

// atoms appends every atom of the formula.
func (n *fnode) atoms(out []*atom) []*atom {
	if n.op == fAtom {
		return append(out, n.atom)
	}
	for _, k := range n.kids {
		out = k.atoms(out)
	}
	return out
}

// lit is a possibly negated atom in a DNF clause.
type lit struct {
	a   *atom
	neg bool
}

// maxClauses bounds the DNF expansion.
const maxClauses = 256

// dnf converts the formula to disjunctive normal form: the formula holds
// iff every literal of at least one clause holds. ok is false when the
// expansion exceeds maxClauses. Contradictory clauses (x and not x) are
// dropped, duplicate literals and clauses merged, and subsumed clauses
// removed.
func (n *fnode) dnf(neg bool) ([][]lit, bool) {
	switch n.op {
	case fAtom:
		return [][]lit{{{a: n.atom, neg: neg}}}, true
	case fNot:
		return n.kids[0].dnf(!neg)
	}
	conj := n.op == fAnd
	if neg {
		conj = !conj
	}
	if !conj { // OR: union of the kids' clauses
		var out [][]lit
		for _, k := range n.kids {
			c, ok := k.dnf(neg)
			if !ok {
				return nil, false
			}
			out = append(out, c...)
			if len(out) > maxClauses {
				return nil, false
			}
		}
		return simplifyDNF(out), true
	}
	// AND: cross product.
	out := [][]lit{{}}
	for _, k := range n.kids {
		c, ok := k.dnf(neg)
		if !ok {
			return nil, false
		}
		var next [][]lit
		for _, a := range out {
			for _, b := range c {
				cl := make([]lit, 0, len(a)+len(b))
				cl = append(append(cl, a...), b...)
				next = append(next, cl)
			}
		}
		if len(next) > maxClauses {
			return nil, false
		}
		out = simplifyDNF(next)
	}
	return out, true
}

func simplifyDNF(clauses [][]lit) [][]lit {
	type keyed struct {
		key  string
		lits []lit
		set  map[string]bool
	}
	var kept []keyed
	seen := map[string]bool{}
outer:
	for _, cl := range clauses {
		set := map[string]bool{}
		var lits []lit
		for _, l := range cl {
			id := l.a.id()
			if set[negKey(id, !l.neg)] {
				continue outer // x and not x
			}
			k := negKey(id, l.neg)
			if !set[k] {
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
		kept = append(kept, keyed{key: key, lits: lits, set: set})
	}
	// Drop clauses subsumed by a smaller one (a or (a and b) = a).
	var out [][]lit
	for i, c := range kept {
		subsumed := false
		for j, d := range kept {
			if i != j && len(d.set) < len(c.set) && subset(d.set, c.set) {
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

func subset(a, b map[string]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func negKey(id string, neg bool) string {
	if neg {
		return "!" + id
	}
	return "+" + id
}
