package access

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
)

// orgShared is what the org class of every bucket shares about one SCP
// group, built once (newMatrixer): the org class's cost per bucket must not
// grow with the number of member accounts.
type orgShared struct {
	// outside are the active members not in the group, sorted: the
	// accounts its callers are known not to belong to.
	outside []string
	// paths counts the group's accounts per OU path; pathKeys are its
	// keys, sorted.
	paths    map[string]int
	pathKeys []string
	// uncollected counts the group's accounts whose IAM was not collected.
	uncollected int
}

// shareGroups fills the groups' shared parts and the index of the group
// of every active member.
func (m *matrixer) shareGroups() {
	m.members = slices.Clip(m.members) // shared by callers: appends copy
	m.groupOf = make(map[string]int, len(m.members))
	for gi := range m.groups {
		for _, id := range m.groups[gi].accounts {
			m.groupOf[id] = gi
		}
	}
	for gi := range m.groups {
		g := &m.groups[gi]
		sh := &orgShared{paths: map[string]int{}}
		sh.outside = make([]string, 0, len(m.members)-len(g.accounts))
		for _, id := range m.members {
			if m.groupOf[id] != gi {
				sh.outside = append(sh.outside, id)
			}
		}
		for _, id := range g.accounts {
			p := m.ix.OUPath(id)
			if sh.paths[p] == 0 {
				sh.pathKeys = append(sh.pathKeys, p)
			}
			sh.paths[p]++
			if !m.ix.iamCollected(id) {
				sh.uncollected++
			}
		}
		sort.Strings(sh.pathKeys)
		g.shared = sh
	}
}

// inGroup reports whether id is an active member of group gi.
func (m *matrixer) inGroup(id string, gi int) bool {
	g, ok := m.groupOf[id]
	return ok && g == gi
}

// count returns the number of the part's accounts.
func (p *orgPart) count() int { return len(p.accounts) - len(p.drop) }

// appendTo appends the part's accounts to out.
func (p *orgPart) appendTo(out []string) []string {
	if len(p.drop) == 0 {
		return append(out, p.accounts...)
	}
	// Both sorted: copy the runs between the dropped (few) accounts.
	lo := 0
	for _, id := range p.drop {
		i, found := slices.BinarySearch(p.accounts[lo:], id)
		if !found {
			continue
		}
		out = append(out, p.accounts[lo:lo+i]...)
		lo += i + 1
	}
	return append(out, p.accounts[lo:]...)
}

// orgLists keeps the lists of allowed accounts of a worker's org cells by
// the parts they are made of (key): a list is as long as the organisation,
// and the cells of an owner's buckets, and of owners outside the groups a
// list is made of, share it instead of building it cell by cell.
type orgLists struct {
	byKey map[string][]string
	held  int    // accounts held in byKey, at most maxOrgListed
	buf   []byte // scratch of the keys
	// limit caps a list (principalsPerCell; 0: none): its first limit
	// accounts, the cell's AllowedAccounts counting them all.
	limit int
	// reasons are the cells' reasons by what they say (orgReason), at
	// most maxOrgReasons.
	reasons map[orgReasonKey]string
}

// maxOrgListed bounds the accounts an orgLists holds; when full, it starts
// afresh.
const maxOrgListed = 1 << 20

// accounts returns the sorted accounts of the parts with verdict v, n of
// them: the list of an org cell (l nil: built on its own).
func (l *orgLists) accounts(parts []orgPart, v model.Verdict, n int) []string {
	if l == nil {
		return orgAccounts(parts, v, n, 0)
	}
	// The key names each part of v: a group's index and the accounts it
	// drops, or the one account; a matrixer's groups never change.
	b := l.buf[:0]
	for i := range parts {
		p := &parts[i]
		if p.out.verdict != v {
			continue
		}
		if p.group == 0 {
			b = append(append(append(b, 'a'), p.accounts[0]...), ';')
			continue
		}
		b = strconv.AppendInt(append(b, 'g'), int64(p.group), 10)
		for _, id := range p.drop {
			b = append(append(b, '-'), id...)
		}
		b = append(b, ';')
	}
	l.buf = b
	if have, ok := l.byKey[string(b)]; ok {
		return have
	}
	out := orgAccounts(parts, v, n, l.limit)
	if l.byKey == nil || l.held+len(out) > maxOrgListed {
		l.byKey, l.held = map[string][]string{}, 0
	}
	l.byKey[string(b)] = out
	l.held += len(out)
	return out
}

// orgAccounts returns the sorted accounts of the parts with verdict v, n of
// them; with a limit (> 0) only the first limit.
func orgAccounts(parts []orgPart, v model.Verdict, n, limit int) []string {
	if limit <= 0 || n <= limit {
		out := make([]string, 0, n)
		for i := range parts {
			if parts[i].out.verdict == v {
				out = mergeSorted(out, &parts[i])
			}
		}
		return out
	}
	// The first limit of each part hold the first limit of all.
	var out []string
	for i := range parts {
		if p := &parts[i]; p.out.verdict == v {
			head := *p
			head.accounts = p.accounts[:min(len(p.accounts), limit+len(p.drop))]
			out = mergeSorted(out, &head)
			out = out[:min(len(out), limit):min(len(out), limit)]
		}
	}
	return slices.Clip(out)
}

// some reports whether the cell allows fewer than all the other member
// accounts.
func (oc *orgCell) some() bool { return oc.nallowed < oc.total }

// allows reports whether the cell allows member account id: the part that
// holds it has the cell's verdict.
func (oc *orgCell) allows(id string) bool {
	if !oc.some() {
		return true // every member is
	}
	for i := range oc.parts {
		p := &oc.parts[i]
		if _, ok := slices.BinarySearch(p.accounts, id); ok {
			if _, dropped := slices.BinarySearch(p.drop, id); !dropped {
				return p.out.verdict == oc.out.verdict
			}
		}
	}
	return false
}

// allowed returns the member accounts the cell allows (nil: all), sorted:
// its whole list, uncapped.
func (oc *orgCell) allowed() []string {
	if !oc.some() {
		return nil
	}
	if len(oc.accounts) == oc.nallowed {
		return oc.accounts
	}
	return orgAccounts(oc.parts, oc.out.verdict, oc.nallowed, 0)
}

// mergeSorted returns the sorted accounts of into and of the part (each
// sorted, disjoint): a cell lists its accounts without sorting a list as
// long as the organisation per bucket.
func mergeSorted(into []string, p *orgPart) []string {
	if len(into) == 0 || len(p.accounts) == 0 || into[len(into)-1] < p.accounts[0] {
		return p.appendTo(into)
	}
	add := p.appendTo(nil)
	out := make([]string, 0, max(cap(into), len(into)+len(add)))
	i, j := 0, 0
	for i < len(into) && j < len(add) {
		if into[i] < add[j] {
			out = append(out, into[i])
			i++
		} else {
			out = append(out, add[j])
			j++
		}
	}
	return append(append(out, into[i:]...), add[j:]...)
}

// without returns accts (sorted) without the sorted accounts of drop.
func without(accts, drop []string) []string {
	if len(drop) == 0 {
		return accts
	}
	out := make([]string, 0, len(accts))
	for _, id := range accts {
		if _, found := slices.BinarySearch(drop, id); !found {
			out = append(out, id)
		}
	}
	return out
}

// restLabel names group gi's accounts but removed (the owner and the
// accounts evaluated one by one) by their OU paths, as chainLabel does.
func (m *matrixer) restLabel(gi int, removed []string) string {
	sh := m.groups[gi].shared
	less := map[string]int{}
	for _, id := range removed {
		if m.inGroup(id, gi) {
			less[m.ix.OUPath(id)]++
		}
	}
	paths := make([]string, 0, len(sh.pathKeys))
	for _, p := range sh.pathKeys {
		if sh.paths[p] > less[p] {
			paths = append(paths, p)
		}
	}
	return joinLimited(paths, 3)
}

// restCollected reports whether the IAM of every account of group gi but
// removed was collected (iamCollected of them, rest not empty).
func (m *matrixer) restCollected(gi int, removed []string) bool {
	un := m.groups[gi].shared.uncollected
	for _, id := range removed {
		if m.inGroup(id, gi) && !m.ix.iamCollected(id) {
			un--
		}
	}
	return un == 0
}

// notKnown returns the accounts but the members that the callers of "any
// other AWS account" are known not to belong to (with the members,
// NotMembers): the accounts the bucket names (externals, but canonical
// users) and the owner (none: "", for an owner among the members).
func (m *matrixer) notKnown(owner string, externals []string) []string {
	out := make([]string, 0, len(externals)+1)
	for _, id := range externals {
		if !strings.HasPrefix(id, "canonical:") {
			out = append(out, id)
		}
	}
	if owner == "" { // known not to belong to it otherwise (NotMembers)
		return out
	}
	return append(out, owner)
}
