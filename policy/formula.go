package policy

import (
	"slices"
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
	idc        string // id, once computed (an atom belongs to one evaluation)
}

func (a *atom) id() string {
	if a.idc == "" {
		a.idc = a.makeID()
	}
	return a.idc
}

// makeID builds id's string in one allocation.
func (a *atom) makeID() string {
	var b strings.Builder
	if a.unreadable != "" {
		b.Grow(len("unreadable\x00") + len(a.unreadable) + 1 + len(a.req.Operator))
		b.WriteString("unreadable\x00")
		b.WriteString(a.unreadable)
		b.WriteByte(0)
		b.WriteString(a.req.Operator)
		return b.String()
	}
	n := len(a.req.Key) + 1 + len(a.req.Operator) + 1
	for i, v := range a.req.Values {
		if i > 0 {
			n++
		}
		n += len(v)
	}
	b.Grow(n)
	lowerInto(&b, a.req.Key)
	b.WriteByte(0)
	b.WriteString(a.req.Operator)
	b.WriteByte(0)
	for i, v := range a.req.Values {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(v)
	}
	return b.String()
}

// lowerInto writes strings.ToLower(s) to b (without its copy for ASCII).
func lowerInto(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			b.WriteString(strings.ToLower(s[i:]))
			return
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
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

// fvAtom returns the unknown value of atom a, which it copies: the atom
// and its node are one allocation.
func fvAtom(a atom) fv {
	x := &struct {
		n fnode
		a atom
	}{a: a}
	x.n = fnode{op: fAtom, atom: &x.a}
	return fv{t: tUnknown, f: &x.n}
}

// newNode returns a node of op with room for n kids, in one allocation
// when they are few.
func newNode(op fop, n int) *fnode {
	if n > 3 {
		return &fnode{op: op, kids: make([]*fnode, 0, n)}
	}
	x := &struct {
		n fnode
		k [3]*fnode
	}{}
	x.n = fnode{op: op, kids: x.k[:0:n]}
	return &x.n
}

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

func fvAnd(xs ...fv) fv { return combine(fAnd, xs) }

func fvOr(xs ...fv) fv { return combine(fOr, xs) }

// combine is the conjunction (fAnd) or disjunction (fOr) of xs: a value
// that decides it (false, true) returns it, the known others drop out, and
// a node is made only for two unknown values or more.
func combine(op fop, xs []fv) fv {
	decides, neutral := fvFalse, fvTrue
	if op == fOr {
		decides, neutral = fvTrue, fvFalse
	}
	n := 0
	var one *fnode
	for _, x := range xs {
		switch x.t {
		case decides.t:
			return decides
		case tUnknown:
			n++
			one = x.f
		}
	}
	switch n {
	case 0:
		return neutral
	case 1:
		return fv{t: tUnknown, f: one}
	}
	nd := newNode(op, n)
	for _, x := range xs {
		if x.t == tUnknown {
			nd.kids = append(nd.kids, x.f)
		}
	}
	return fv{t: tUnknown, f: nd}
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
	nd := newNode(fNot, 1)
	nd.kids = append(nd.kids, x.f)
	return fv{t: tUnknown, f: nd}
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
		x := &struct {
			cl [1][]lit
			l  [1]lit
		}{}
		x.l[0] = lit{a: n.atom, neg: neg}
		x.cl[0] = x.l[:]
		return x.cl[:], true
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
		if len(out)*len(c) > maxClauses {
			return nil, false
		}
		next := make([][]lit, 0, len(out)*len(c))
		for _, a := range out {
			for _, b := range c {
				cl := make([]lit, 0, len(a)+len(b))
				cl = append(append(cl, a...), b...)
				next = append(next, cl)
			}
		}
		out = simplifyDNF(next)
	}
	return out, true
}

// litKey identifies a literal: its atom's id and its sign.
type litKey struct {
	id  string
	neg bool
}

func compareLitKeys(a, b litKey) int {
	if c := strings.Compare(a.id, b.id); c != 0 {
		return c
	}
	switch {
	case a.neg == b.neg:
		return 0
	case a.neg:
		return -1
	}
	return 1
}

// simplifyDNF drops the contradictory clauses of a DNF (x and not x), the
// duplicate literals of a clause, the duplicate clauses (the first is
// kept) and the clauses subsumed by a smaller one (a or (a and b) = a),
// keeping the order of the rest and of their literals.
func simplifyDNF(clauses [][]lit) [][]lit {
	type keyed struct {
		lits []lit
		keys []litKey // the set of lits, sorted
	}
	kept := make([]keyed, 0, len(clauses))
	// One backing array for every clause's literals and keys.
	total := 0
	for _, cl := range clauses {
		total += len(cl)
	}
	litBuf := make([]lit, 0, total)
	keyBuf := make([]litKey, 0, total)
outer:
	for _, cl := range clauses {
		l0, k0 := len(litBuf), len(keyBuf)
		for _, l := range cl {
			k := litKey{id: l.a.id(), neg: l.neg}
			dup := false
			for _, x := range keyBuf[k0:] {
				if x.id == k.id {
					if x.neg != k.neg {
						litBuf, keyBuf = litBuf[:l0], keyBuf[:k0]
						continue outer // x and not x
					}
					dup = true
					break
				}
			}
			if !dup {
				litBuf = append(litBuf, l)
				keyBuf = append(keyBuf, k)
			}
		}
		keys := keyBuf[k0:len(keyBuf):len(keyBuf)]
		slices.SortFunc(keys, compareLitKeys)
		for _, d := range kept {
			if slices.Equal(d.keys, keys) {
				litBuf, keyBuf = litBuf[:l0], keyBuf[:k0]
				continue outer // a duplicate
			}
		}
		var lits []lit // nil for the empty clause
		if len(litBuf) > l0 {
			lits = litBuf[l0:len(litBuf):len(litBuf)]
		}
		kept = append(kept, keyed{lits: lits, keys: keys})
	}
	if len(kept) == 0 {
		return nil
	}
	out := make([][]lit, 0, len(kept))
	for i, c := range kept {
		subsumed := false
		for j, d := range kept {
			if i != j && len(d.keys) < len(c.keys) && sortedSubset(d.keys, c.keys) {
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

// sortedSubset reports whether every key of a is in b, both sorted.
func sortedSubset(a, b []litKey) bool {
	j := 0
	for _, k := range a {
		for j < len(b) && compareLitKeys(b[j], k) < 0 {
			j++
		}
		if j == len(b) || b[j] != k {
			return false
		}
		j++
	}
	return true
}
