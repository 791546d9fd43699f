package access

import (
	"slices"
	"sort"
	"strings"
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
	d := 0 // both sorted: skip the dropped in one pass
	for _, id := range p.accounts {
		if d < len(p.drop) && p.drop[d] == id {
			d++
			continue
		}
		out = append(out, id)
	}
	return out
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
// users) and the owner.
func (m *matrixer) notKnown(owner string, externals []string) []string {
	out := make([]string, 0, len(externals)+1)
	for _, id := range externals {
		if !strings.HasPrefix(id, "canonical:") {
			out = append(out, id)
		}
	}
	return append(out, owner)
}
