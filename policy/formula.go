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
	// opaque: the atom's Requirement is not a policy condition (its values
	// name keys, not values): it is only equal to itself.
	opaque bool
	// flip: the atom is the complement of the condition its id names
	// (canonical, see complementForm); set with idc.
	flip bool
	// excl groups the atoms of which at most one holds in any context
	// (Bool "true" and "false" on a single-valued key); "" for none. Set
	// with idc.
	excl string
}

// id returns the atom's canonical identity: atoms with the same id hold in
// the same contexts, and, when complementForm applies, an atom whose flip
// is set holds exactly where the one its id names does not.
func (a *atom) id() string {
	if a.idc == "" {
		a.idc = a.makeID()
	}
	return a.idc
}

// literal returns the identity of a literal over the atom: its canonical id
// and its sign, with the atom's flip applied.
func (a *atom) literal(neg bool) litKey {
	id := a.id()
	return litKey{id: id, neg: neg != a.flip}
}

// makeID builds id's string in one allocation, and sets flip and excl.
func (a *atom) makeID() string {
	var b strings.Builder
	if a.unreadable == "" && !a.opaque {
		if op, vals, flip, excl, ok := complementForm(a.req); ok {
			a.flip, a.excl = flip, excl
			return condID(a.req.Key, op, vals)
		}
	}
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

// fnode is a formula over atoms, in its evaluation's arenas
// (Evaluator.nodes): an atom of Evaluator.atoms, or an operator over the
// nodes kids[kid0:kid0+nk] of Evaluator.kids. Indices instead of pointers:
// the arenas are reused from one evaluation to the next, and hold nothing
// the garbage collector scans but the atoms. Constants never appear inside
// a formula: fv carries them.
type fnode struct {
	op   fop
	atom int32
	kid0 int32
	nk   int32
}

// fv is a three-valued value with, when unknown, the formula that decides
// it (f, an index in Evaluator.nodes).
type fv struct {
	t tri
	f int32
}

var (
	fvTrue  = fv{t: tTrue}
	fvFalse = fv{t: tFalse}
)

// resetFormulas empties the arenas of formulas for a new evaluation (the
// atoms left are overwritten as new ones are made).
func (e *Evaluator) resetFormulas() {
	if len(e.nodes)+len(e.dnfLits.buf)+len(e.dnfClauses.buf)+len(e.dnfKeys.buf)+len(e.dnfKept.buf) == 0 {
		return // nothing made (a decided request): no slice to write
	}
	e.atoms, e.nodes, e.kids = e.atoms[:0], e.nodes[:0], e.kids[:0]
	e.dnfLits.reset()
	e.dnfClauses.reset()
	e.dnfKeys.reset()
	e.dnfKept.reset()
}

// fvAtom returns the unknown value of atom a, which it copies.
func (e *Evaluator) fvAtom(a atom) fv {
	e.atoms = append(e.atoms, a)
	e.nodes = append(e.nodes, fnode{op: fAtom, atom: int32(len(e.atoms) - 1)})
	return fv{t: tUnknown, f: int32(len(e.nodes) - 1)}
}

// kidsOf returns the kids of node n (valid until the next node is made).
func (e *Evaluator) kidsOf(n int32) []int32 {
	nd := &e.nodes[n]
	return e.kids[nd.kid0 : nd.kid0+nd.nk]
}

// and2 and or2 are fvAnd and fvOr of two values, with a fast path for
// known values.
func (e *Evaluator) and2(a, b fv) fv {
	switch {
	case a.t == tFalse || b.t == tTrue:
		return a
	case b.t == tFalse || a.t == tTrue:
		return b
	}
	return e.fvAnd(a, b)
}

func (e *Evaluator) or2(a, b fv) fv {
	switch {
	case a.t == tTrue || b.t == tFalse:
		return a
	case b.t == tTrue || a.t == tFalse:
		return b
	}
	return e.fvOr(a, b)
}

func (e *Evaluator) fvAnd(xs ...fv) fv { return e.combine(fAnd, xs) }

func (e *Evaluator) fvOr(xs ...fv) fv { return e.combine(fOr, xs) }

// combine is the conjunction (fAnd) or disjunction (fOr) of xs: a value
// that decides it (false, true) returns it, the known others drop out, and
// a node is made only for two unknown values or more.
func (e *Evaluator) combine(op fop, xs []fv) fv {
	decides, neutral := fvFalse, fvTrue
	if op == fOr {
		decides, neutral = fvTrue, fvFalse
	}
	n := 0
	var one int32
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
	kid0 := int32(len(e.kids))
	for _, x := range xs {
		if x.t == tUnknown {
			e.kids = append(e.kids, x.f)
		}
	}
	e.nodes = append(e.nodes, fnode{op: op, kid0: kid0, nk: int32(n)})
	return fv{t: tUnknown, f: int32(len(e.nodes) - 1)}
}

func (e *Evaluator) fvNot(x fv) fv {
	switch x.t {
	case tTrue:
		return fvFalse
	case tFalse:
		return fvTrue
	}
	if e.nodes[x.f].op == fNot {
		return fv{t: tUnknown, f: e.kidsOf(x.f)[0]}
	}
	e.kids = append(e.kids, x.f)
	e.nodes = append(e.nodes, fnode{op: fNot, kid0: int32(len(e.kids) - 1), nk: 1})
	return fv{t: tUnknown, f: int32(len(e.nodes) - 1)}
}

// hasUnreadable reports whether formula n depends on an unreadable policy.
func (e *Evaluator) hasUnreadable(n int32) bool {
	if nd := e.nodes[n]; nd.op == fAtom {
		return e.atoms[nd.atom].unreadable != ""
	}
	for _, k := range e.kidsOf(n) {
		if e.hasUnreadable(k) {
			return true
		}
	}
	return false
}

// atomsOf appends every atom of formula n (indices in e.atoms).
func (e *Evaluator) atomsOf(n int32, out []int32) []int32 {
	if nd := e.nodes[n]; nd.op == fAtom {
		return append(out, nd.atom)
	}
	for _, k := range e.kidsOf(n) {
		out = e.atomsOf(k, out)
	}
	return out
}

// lit is a possibly negated atom (an index in Evaluator.atoms) in a DNF
// clause.
type lit struct {
	a   int32
	neg bool
}

// maxClauses bounds the DNF expansion.
const maxClauses = 256

// dnf converts formula n to disjunctive normal form: the formula holds
// iff every literal of at least one clause holds. ok is false when the
// expansion exceeds maxClauses. Contradictory clauses (x and not x) are
// dropped, duplicate literals and clauses merged, and subsumed clauses
// removed.
func (e *Evaluator) dnf(n int32, neg bool) ([][]lit, bool) {
	nd := e.nodes[n]
	switch nd.op {
	case fAtom:
		l := append(e.dnfLits.take(1), lit{a: nd.atom, neg: neg})
		return append(e.dnfClauses.take(1), l), true
	case fNot:
		return e.dnf(e.kidsOf(n)[0], !neg)
	}
	conj := nd.op == fAnd
	if neg {
		conj = !conj
	}
	// The kids: dnf makes no node, so the slice stays valid.
	kids := e.kids[nd.kid0 : nd.kid0+nd.nk]
	if !conj { // OR: union of the kids' clauses
		var out [][]lit
		for _, k := range kids {
			c, ok := e.dnf(k, neg)
			if !ok {
				return nil, false
			}
			if len(out)+len(c) > cap(out) {
				out = append(e.dnfClauses.take(max(2*cap(out), len(out)+len(c))), out...)
			}
			out = append(out, c...)
			if len(out) > maxClauses {
				return nil, false
			}
		}
		return e.simplifyDNF(out), true
	}
	// AND: cross product.
	out := append(e.dnfClauses.take(1), nil)
	for _, k := range kids {
		c, ok := e.dnf(k, neg)
		if !ok {
			return nil, false
		}
		if len(out)*len(c) > maxClauses {
			return nil, false
		}
		next := e.dnfClauses.take(len(out) * len(c))
		for _, a := range out {
			for _, b := range c {
				cl := append(append(e.dnfLits.take(len(a)+len(b)), a...), b...)
				next = append(next, cl)
			}
		}
		out = e.simplifyDNF(next)
	}
	return out, true
}

// bump hands out slices of a buffer kept across evaluations (the DNF's
// clauses and literals, which do not outlive explainUncertain): reset
// makes it all available again.
type bump[T any] struct{ buf []T }

// take returns an empty slice with room for n elements (appending more
// copies it).
func (b *bump[T]) take(n int) []T {
	if cap(b.buf)-len(b.buf) < n {
		// The slices taken keep the buffer they were taken from.
		b.buf = make([]T, 0, max(2*cap(b.buf), n, 64))
	}
	l := len(b.buf)
	b.buf = b.buf[:l+n]
	return b.buf[l : l : l+n]
}

func (b *bump[T]) reset() { b.buf = b.buf[:0] }

// keyed is a clause of simplifyDNF with its set of literals, sorted.
type keyed struct {
	lits []lit
	keys []litKey
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
func (e *Evaluator) simplifyDNF(clauses [][]lit) [][]lit {
	kept := e.dnfKept.take(len(clauses))
	// One backing array for every clause's literals and keys.
	total := 0
	for _, cl := range clauses {
		total += len(cl)
	}
	litBuf := e.dnfLits.take(total)
	keyBuf := e.dnfKeys.take(total)
outer:
	for _, cl := range clauses {
		l0, k0 := len(litBuf), len(keyBuf)
		for _, l := range cl {
			a := &e.atoms[l.a]
			k := a.literal(l.neg)
			if a.excl != "" && !k.neg && e.excluded(a, k.id, litBuf[l0:]) {
				litBuf, keyBuf = litBuf[:l0], keyBuf[:k0]
				continue outer // two conditions of which at most one holds
			}
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
	out := e.dnfClauses.take(len(kept))
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

// excluded reports whether a positive literal over a (canonical id) and
// one of the positive literals lits cannot hold together: two atoms of the
// same exclusion group with different ids.
func (e *Evaluator) excluded(a *atom, id string, lits []lit) bool {
	for _, l := range lits {
		if b := &e.atoms[l.a]; !l.neg && b.excl == a.excl && b.id() != id {
			return true
		}
	}
	return false
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
