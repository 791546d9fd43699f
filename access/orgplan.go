package access

import (
	"container/heap"
	"slices"
	"sort"
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
)

// The org row's principal lists without visiting every member account per
// bucket.
//
// A bucket's org cells list the principals of every other member account
// (principalRow.list). Deciding them account by account costs O(accounts)
// per bucket, O(accounts²) for an organisation. Yet for most principals
// nothing of their candidacy or group key depends on the bucket:
//
//   - whether their identity policies may reach the bucket, and which of
//     them are out of its reach (deadSlots), depends on the bucket's name
//     only through their Resource values that name specific buckets; a
//     bucket whose name agrees with none of those values' literal starts
//     (the part before the first wildcard) is decided as any other such
//     bucket (the "generic" bucket);
//   - their group key depends on the bucket's principal-naming values
//     (principalRow.vals) through how each matches them: a value without
//     wildcards matches only a principal of the account it names (its ID,
//     canonical ID, or an ARN of it), so for the others it reads as a value
//     that matches nothing.
//
// An orgPlan holds, once per worker and per template of the bucket-side
// values (the values with wildcards and aws:userid values kept, the others
// blanked), every member's candidates for the generic bucket, in list
// order, grouped by key. A bucket's org row takes the plan, decides its
// groups, and redoes the way list does only the accounts whose principals
// the bucket does concern (orgSpecials: its owner, the accounts its literal
// values name, those with a Resource value agreeing with its name): their
// plan candidates are left out and their own put in their place. A cell's
// total is then counted by group, and its first principalsPerCell entries
// (and what viaAccess needs of the rest) are taken by merging the allowed
// groups' candidates in order: O(groups + cap + concerned accounts) per
// bucket, not O(accounts). TestOrgPlanMatchesList checks it lists what the
// account-by-account way does.

// orgPlan is the org row's candidates of every member account for the
// generic bucket (a bucket none of their bucket-naming values names).
type orgPlan struct {
	graph *AssumeGraph // the index's assume-role graph it was made with
	cands []principalCand
	// rng is, by member index (matrixer.members), the range of its
	// candidates (empty when its principals cannot be listed).
	rng    [][2]int32
	gof    []int32 // the group of each candidate
	groups []planGroup
	// unlisted are the member accounts whose principals cannot be listed,
	// in member order, and why (Index.unlisted).
	unlisted, why []string
}

// planGroup is the candidates of a plan with one group key.
type planGroup struct {
	key string
	idx []int32 // its candidates, in list order
	// graph are those of idx of which overflowed keeps something beyond
	// the cap: a principal that can assume a role, or a role a role or
	// user can assume; narrowed those too and the roles an outside
	// principal or a service can assume, what it keeps beyond the cap of
	// a narrowed cell (keptBits).
	graph, narrowed []int32
}

// orgSpecials finds the member accounts whose principals a bucket concerns
// (orgSpecials.of).
type orgSpecials struct {
	graph *AssumeGraph // the index's assume-role graph it was made with
	// canonical are the member accounts by canonical-user value
	// ("canonical:ID").
	canonical map[string]int32
	// prefix and exact are the member accounts with a principal whose
	// Resource value starts, up to its first wildcard, with the key: a
	// bucket name's prefix (a literal start without "/") or the whole
	// bucket name (the literal start's bucket part, before "/").
	prefix, exact map[string][]int32
	// always are the member accounts with a principal that any bucket may
	// concern: a Resource value without a literal start, or with a
	// policy variable.
	always []int32
	// chainByName: some member's SCP chain holds a principal-naming value
	// with a policy variable (every principal is then decided on its own).
	chainByName bool
}

// planLiteral stands for a bucket-side value without wildcards in a
// plan's template: it matches no principal (principalStatic's values
// never hold it).
const planLiteral = "\x01"

// literalValue reports whether a principal-naming value is matched only
// as written (no wildcard, not an aws:userid or aws:username value).
func literalValue(v string) bool {
	return (v == "" || v[0] != idMark) && !strings.ContainsAny(v, "*?")
}

// memberIndex returns the index of account id in w.members (sorted).
func (w *worker) memberIndex(id string) (int, bool) {
	return slices.BinarySearch(w.members, id)
}

// orgSpecialsIndex returns the orgSpecials of the index's assume-role
// graph, made once for all the workers (once per index state).
func (w *worker) orgSpecialsIndex() *orgSpecials {
	g := w.ix.AssumeGraph()
	if s := w.who.specials; s != nil && s.graph == g {
		return s
	}
	w.who.specials = w.shared.orgSpecials(g, func() *orgSpecials { return w.makeOrgSpecials(g) })
	return w.who.specials
}

// makeOrgSpecials makes the orgSpecials of assume-role graph g.
func (w *worker) makeOrgSpecials(g *AssumeGraph) *orgSpecials {
	s := &orgSpecials{graph: g, canonical: map[string]int32{}, prefix: map[string][]int32{}, exact: map[string][]int32{}}
	add := func(m map[string][]int32, k string, mi int32) {
		if l := m[k]; len(l) == 0 || l[len(l)-1] != mi {
			m[k] = append(l, mi)
		}
	}
	for i, id := range w.members {
		mi := int32(i)
		if w.ix.unlisted(id) != "" {
			continue
		}
		wa := w.whoAccount(id)
		s.chainByName = s.chainByName || wa.cv.byName
		if wa.canonical != "" {
			s.canonical[wa.canonical] = mi
		}
		always := false
		for k := range wa.ps {
			p := &wa.ps[k]
			if p.byName {
				always = true
				continue
			}
			for r := range bucketNamingValues(append(slices.Clip(p.Identity), p.Boundary)) {
				pre := literalStart(r)
				switch slash := strings.IndexByte(pre, '/'); {
				case pre == "" || pre[0] == '\x00':
					always = true
				case slash >= 0:
					add(s.exact, pre[:slash], mi)
				default:
					add(s.prefix, pre, mi)
				}
			}
		}
		if always {
			s.always = append(s.always, mi)
		}
	}
	return s
}

// of returns the member indices (sorted, distinct) of the accounts whose
// principals bucket bl concerns: its owner, the accounts its literal
// principal-naming values name, and those with a principal whose Resource
// values may name it (out, scratch, is appended to).
func (s *orgSpecials) of(w *worker, pr *principalRow, out []int32) []int32 {
	addID := func(id string) {
		if mi, ok := w.memberIndex(id); ok {
			out = append(out, int32(mi))
		}
	}
	addID(pr.bl.Account.ID)
	for _, v := range pr.vals {
		if !literalValue(v) {
			continue
		}
		// A value without wildcards matches a principal's ARN or grantee
		// key (case-insensitively), its account or its canonical ID
		// (signature): an ARN names its account in its fifth field.
		addID(v)
		if mi, ok := s.canonical[v]; ok {
			out = append(out, mi)
		}
		if f, _, ok := arnFields(v); ok {
			addID(f[4])
		}
	}
	name := pr.bl.Bucket.Name
	for k := 1; k <= len(name); k++ {
		out = append(out, s.prefix[name[:k]]...)
	}
	out = append(out, s.exact[name]...)
	out = append(out, s.always...)
	slices.Sort(out)
	return slices.Compact(out)
}

// orgPlanFor returns the worker's plan for the template of the row's
// principal-naming values (pr.vals; pr.lower done and pr.partition set).
func (w *worker) orgPlanFor(pr *principalRow) *orgPlan {
	g := w.ix.AssumeGraph()
	tvals := make([]string, len(pr.vals))
	var b strings.Builder
	b.WriteString(pr.partition)
	for i, v := range pr.vals {
		tvals[i] = v
		if literalValue(v) {
			tvals[i] = planLiteral
		}
		b.WriteByte(0)
		b.WriteString(tvals[i])
	}
	key := b.String()
	if pl := w.who.plans[key]; pl != nil && pl.graph == g {
		return pl
	}
	// A plan is read only once made: the workers share them.
	pl := w.shared.plan(key, g, func() *orgPlan { return w.makeOrgPlan(pr, g, tvals) })
	w.keepPlan(key, pl)
	return pl
}

// makeOrgPlan makes the plan of graph g for the template tvals of the
// row's principal-naming values.
func (w *worker) makeOrgPlan(pr *principalRow, g *AssumeGraph, tvals []string) *orgPlan {
	tl, tid := lowerAll(tvals), w.shared.valsID(tvals)
	pl := &orgPlan{graph: g, rng: make([][2]int32, len(w.members))}
	// At most each member's principals and root: cands and gof sized once
	// (grown, the copies of a list of every member's candidates cost more
	// than making them at 10,000 accounts).
	n := 0
	for _, id := range w.members {
		if w.ix.unlisted(id) == "" {
			n += len(w.whoAccount(id).ps) + 1
		}
	}
	pl.cands, pl.gof = make([]principalCand, 0, n), make([]int32, 0, n)
	byKey := map[string]int32{}
	for mi, id := range w.members {
		lo := int32(len(pl.cands))
		pl.rng[mi] = [2]int32{lo, lo}
		if y := w.ix.unlisted(id); y != "" {
			pl.unlisted, pl.why = append(pl.unlisted, id), append(pl.why, y)
			continue
		}
		// As candidates does, for a bucket none of the principals'
		// bucket-naming values names ("\x00" starts no bucket name: its
		// resources are never asked for).
		wa := w.whoAccount(id)
		w.eachCandidate(wa, id, "\x00", func() []string { return nil }, pr.partition, nil, func(c principalCand, st *principalStatic) {
			w.who.planBuf = w.candKey(&c, st, false, tvals, tl, tid, w.who.planBuf, id, wa.canonical)
			gi, ok := byKey[c.key]
			if !ok {
				gi = int32(len(pl.groups))
				byKey[c.key] = gi
				pl.groups = append(pl.groups, planGroup{key: c.key})
			}
			n := int32(len(pl.cands))
			c.kept = keptBits(g, &c)
			pl.cands = append(pl.cands, c)
			pl.gof = append(pl.gof, gi)
			pg := &pl.groups[gi]
			pg.idx = append(pg.idx, n)
			if c.kept&(keptDirect|keptRole) != 0 {
				pg.graph = append(pg.graph, n)
			}
			if c.kept&(keptDirect|keptRole|keptOutside) != 0 {
				pg.narrowed = append(pg.narrowed, n)
			}
		})
		pl.rng[mi][1] = int32(len(pl.cands))
	}
	return pl
}

// keepPlan keeps plan pl of template key for the worker's next buckets.
func (w *worker) keepPlan(key string, pl *orgPlan) {
	if w.who.plans == nil || len(w.who.plans) >= maxPlans {
		w.who.plans = map[string]*orgPlan{}
	}
	w.who.plans[key] = pl
}

// maxPlans bounds the plans a worker keeps (each holds every member's
// candidates).
const maxPlans = 8

// maxLiveListed is how many member accounts allowed some action (their
// class cell not denied) the org row lists account by account rather than
// from the plan.
const maxLiveListed = 64

// listOrg fills the org cells' principal lists (of the accounts but the
// owner), as list does for them, from the worker's orgPlan when the bucket
// allows many member accounts.
func (pr *principalRow) listOrg(cells []*model.Cell, bm *bucketMatrix, base func(id string, p *IAMPrincipal) *Caller) {
	var room [5]int
	todo := listedCells(cells, room[:0])
	if len(todo) == 0 {
		return
	}
	w, owner := pr.w, pr.bl.Account.ID
	others := func() []string {
		out := make([]string, 0, len(w.members))
		for _, id := range w.members {
			if id != owner {
				out = append(out, id)
			}
		}
		return out
	}
	if w.noPrincipalGroups || pr.byName || w.orgListing == orgListingAccounts {
		pr.list("org", cells, others(), false, base)
		return
	}
	sp := w.orgSpecialsIndex()
	if sp.chainByName {
		pr.list("org", cells, others(), false, base)
		return
	}
	// A member account whose class answer is denied for every action
	// listed (its caller assumed any identity grant) has no principal
	// allowed: only the others' are listed.
	if live, ok := bm.liveOrgAccounts(todo, w.who.live); ok && len(live) <= maxLiveListed && w.orgListing != orgListingPlan {
		accts := w.who.liveAccts[:0]
		for id := range live {
			accts = append(accts, id) // never the owner: no part holds it
		}
		slices.Sort(accts) // in member order
		w.who.live, w.who.liveAccts = live, accts
		pr.list("org", cells, accts, false, base)
		return
	} else {
		w.who.live = live
	}
	pr.lower()
	if pr.partition == "" {
		pr.partition = partitionOf(pr.bl.ARN)
	}
	pl := w.orgPlanFor(pr)
	pr.planList(pl, sp.of(w, pr, w.who.specialIdx[:0]), cells, todo, base)
}

// liveOrgAccounts returns the member accounts whose class answer is not
// denied for some action of todo (stopping past maxLiveListed); false
// when no member's is denied. The set is live (scratch, emptied here;
// nil: a new one), returned either way.
func (bm *bucketMatrix) liveOrgAccounts(todo []int, live map[string]bool) (map[string]bool, bool) {
	if live == nil {
		live = map[string]bool{}
	}
	clear(live)
	for _, i := range todo {
		oc := &bm.org[i]
		if !slices.ContainsFunc(oc.parts, func(p orgPart) bool { return p.out.verdict == model.VerdictDeny }) {
			return live, false
		}
		for j := range oc.parts {
			p := &oc.parts[j]
			if p.out.verdict == model.VerdictDeny {
				continue
			}
			for _, id := range p.accounts {
				if _, dropped := slices.BinarySearch(p.drop, id); !dropped {
					live[id] = true
				}
				if len(live) > maxLiveListed {
					return live, true
				}
			}
		}
	}
	return live, true
}

// planList fills the cells of todo from plan pl, the accounts of special
// (member indices, sorted: the owner among them) decided the way list
// does.
func (pr *principalRow) planList(pl *orgPlan, special []int32, cells []*model.Cell, todo []int, base func(id string, p *IAMPrincipal) *Caller) {
	w, owner := pr.w, pr.bl.Account.ID
	pr.cands = w.who.cands[:0]
	defer func() { pr.cands = pr.cands[:0]; w.who.cands = pr.cands }()
	// The special accounts' plan ranges, left out, and their own
	// candidates (pr.cands[at[k]:at[k+1]]), put in their place.
	skip := w.who.planSkip[:0]
	at := w.who.planAt[:0]
	for _, mi := range special {
		r := pl.rng[mi]
		if r[0] == r[1] {
			continue // not listed (or no candidate)
		}
		skip = append(skip, r)
		at = append(at, int32(len(pr.cands)))
		if id := w.members[mi]; id != owner {
			pr.candidates(id, false)
		}
	}
	at = append(at, int32(len(pr.cands)))
	w.who.planSkip, w.who.planAt = skip, at
	unlisted, why := pl.unlisted, pl.why
	if i := slices.Index(unlisted, owner); i >= 0 {
		unlisted = slices.Delete(slices.Clone(unlisted), i, i+1)
		why = slices.Delete(slices.Clone(why), i, i+1)
	}
	m := &w.who.merge // its lists' room reused from bucket to bucket
	m.pl, m.skip, m.at = pl, skip, at
	defer m.reset()
	// The groups' counts without the special accounts, and a
	// representative each of the others.
	cnt := append(w.who.planCnt[:0], make([]int32, len(pl.groups))...)
	for gi := range pl.groups {
		cnt[gi] = int32(len(pl.groups[gi].idx))
	}
	for _, r := range skip {
		for x := r[0]; x < r[1]; x++ {
			cnt[pl.gof[x]]--
		}
	}
	w.who.planCnt = cnt
	groups := slices.Grow(w.who.planGroups[:0], len(pl.groups))[:len(pl.groups)]
	clear(groups) // a group without candidates stays nil
	w.who.planGroups = groups
	defer clear(groups) // keep no bucket's groups alive
	for gi := range pl.groups {
		if cnt[gi] == 0 {
			continue
		}
		pg := &pl.groups[gi]
		if g := pr.groups[pg.key]; g != nil {
			groups[gi] = g
			continue
		}
		for _, x := range pg.idx {
			if m.skipped(x) < 0 {
				groups[gi] = pr.group(&pl.cands[x], base)
				break
			}
		}
	}
	specialGroups := slices.Grow(m.specialGroups[:0], len(pr.cands))[:len(pr.cands)]
	for ci := range pr.cands {
		c := &pr.cands[ci]
		if specialGroups[ci] = pr.groups[c.key]; specialGroups[ci] == nil {
			specialGroups[ci] = pr.group(c, base)
		}
	}
	limit := w.principalsPerCell
	var graph *AssumeGraph
	if limit > 0 && len(pl.graph.in) > 0 {
		graph = pl.graph
	}
	bl := pr.bl
	defer func() { bl.quiet = false }()
	m.cands, m.specialGroups = pr.cands, specialGroups
	for _, i := range todo {
		total, named := 0, 0
		m.lists, m.groups, m.gis = m.lists[:0], m.groups[:0], m.gis[:0]
		for gi, g := range groups {
			if g == nil {
				continue
			}
			if v := pr.decideGroup(g, i); v != model.VerdictDeny {
				total += int(cnt[gi])
				if namesPrincipal(g.rep.typ, v) { // a group's principals are all roots or none (fingerprint)
					named += int(cnt[gi])
				}
				m.lists = append(m.lists, pl.groups[gi].idx)
				m.groups = append(m.groups, g)
				m.gis = append(m.gis, int32(gi))
			}
		}
		m.specials = m.specials[:0]
		for ci := range pr.cands {
			if v := pr.decideGroup(specialGroups[ci], i); v != model.VerdictDeny {
				total++
				if namesPrincipal(pr.cands[ci].typ, v) {
					named++
				}
				m.specials = append(m.specials, int32(ci))
			}
		}
		list := w.who.list[:0]
		last := int64(-1)
		m.walk(-1, func(pos int64, cand *principalCand, g *principalGroup) bool {
			if limit > 0 && len(list) >= limit {
				return false
			}
			list = append(list, pr.entry(cand, g, i))
			last = pos
			return true
		})
		if graph != nil && total > len(list) {
			// What viaAccess (and assumeFindings) needs of the entries
			// beyond the cap.
			ref, narrowed := cellRef{"org", i}, len(cells[i].NarrowedTo) > 0
			for k, gi := range m.gis {
				if m.lists[k] = pl.groups[gi].graph; narrowed {
					m.lists[k] = pl.groups[gi].narrowed
				}
			}
			m.walk(last, func(_ int64, cand *principalCand, g *principalGroup) bool {
				pr.overflowed(graph, ref, cand, g, narrowed)
				return true
			})
		}
		pr.finishCell(cells[i], &pr.bm.org[i], list, total, named, unlisted, why, len(cells[i].NarrowedTo) > 0)
	}
}

// planMerge merges, in list order, the candidates of a plan's allowed
// groups (lists, of groups) but those of the special accounts' ranges
// (skip), with the special accounts' own allowed candidates (specials,
// indices of cands, the row's, of groups specialGroups; at[k] is where
// those of skip[k] start).
type planMerge struct {
	pl            *orgPlan
	skip          [][2]int32
	at            []int32
	lists         [][]int32
	groups        []*principalGroup
	gis           []int32 // the plan groups of lists
	cands         []principalCand
	specialGroups []*principalGroup
	specials      []int32
	heap          mergeHeap
}

// reset keeps m's room for the next bucket, and nothing of this one's.
func (m *planMerge) reset() {
	clear(m.lists[:cap(m.lists)])
	clear(m.groups[:cap(m.groups)])
	clear(m.specialGroups[:cap(m.specialGroups)])
	*m = planMerge{lists: m.lists[:0], groups: m.groups[:0], gis: m.gis[:0], specialGroups: m.specialGroups[:0],
		specials: m.specials[:0], heap: m.heap[:0]}
}

// mergeHead is a list's next candidate in a merge: its position, the list
// (len(lists) for the specials) and its index in the list.
type mergeHead struct {
	pos  int64
	list int32
	at   int32
}

// mergeHeap orders the lists' next candidates by position (container/heap).
type mergeHeap []mergeHead

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return h[i].pos < h[j].pos }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(mergeHead)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// position is where a plan candidate x is in list order; a special
// account's k-th own candidate takes the place of its range's first
// (candidates are fewer than 1<<20 per account).
func planPos(x int32) int64 { return int64(x) << 20 }

// skipped returns the index of the special account's range that holds
// plan candidate x, -1 when none does.
func (m *planMerge) skipped(x int32) int {
	k := sort.Search(len(m.skip), func(k int) bool { return m.skip[k][1] > x })
	if k < len(m.skip) && m.skip[k][0] <= x {
		return k
	}
	return -1
}

// walk calls f with the merged candidates after position from, in order,
// while f returns true.
func (m *planMerge) walk(from int64, f func(pos int64, cand *principalCand, g *principalGroup) bool) {
	specialPos := func(ci int32) int64 {
		k := sort.Search(len(m.at)-1, func(k int) bool { return m.at[k+1] > ci })
		return planPos(m.skip[k][0]) | int64(ci-m.at[k])
	}
	// next returns list l's first entry at or after index j that is past
	// from and not in a special account's range.
	next := func(l int32, j int32) (mergeHead, bool) {
		if int(l) == len(m.lists) {
			for ; int(j) < len(m.specials); j++ {
				if p := specialPos(m.specials[j]); p > from {
					return mergeHead{p, l, j}, true
				}
			}
			return mergeHead{}, false
		}
		list := m.lists[l]
		if from >= 0 && j == 0 {
			j = int32(sort.Search(len(list), func(k int) bool { return planPos(list[k]) > from }))
		}
		for ; int(j) < len(list); j++ {
			x := list[j]
			if k := m.skipped(x); k >= 0 { // past the range
				j = int32(sort.Search(len(list), func(q int) bool { return list[q] >= m.skip[k][1] })) - 1
				continue
			}
			return mergeHead{planPos(x), l, j}, true
		}
		return mergeHead{}, false
	}
	h := &m.heap // not a variable of its own: its address would move it to the heap at every walk
	*h = (*h)[:0]
	for l := 0; l <= len(m.lists); l++ {
		if hd, ok := next(int32(l), 0); ok {
			*h = append(*h, hd)
		}
	}
	heap.Init(h)
	for len(*h) > 0 {
		hd := (*h)[0]
		var cand *principalCand
		var g *principalGroup
		if int(hd.list) == len(m.lists) {
			ci := m.specials[hd.at]
			cand, g = &m.cands[ci], m.specialGroups[ci]
		} else {
			cand, g = &m.pl.cands[m.lists[hd.list][hd.at]], m.groups[hd.list]
		}
		if !f(hd.pos, cand, g) {
			break
		}
		if nh, ok := next(hd.list, hd.at+1); ok {
			(*h)[0] = nh
			heap.Fix(h, 0)
		} else { // as heap.Pop, without boxing the head it returns
			last := len(*h) - 1
			(*h)[0] = (*h)[last]
			*h = (*h)[:last]
			if last > 0 {
				heap.Fix(h, 0)
			}
		}
	}
	*h = (*h)[:0]
}
