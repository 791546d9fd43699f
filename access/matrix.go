package access

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// MatrixActions returns the matrix's columns (S3 actions), in report order.
func MatrixActions() [5]string {
	return [5]string{ActionRead, ActionList, ActionWrite, ActionDelete, ActionManage}
}

// row is one class's outcomes, one per matrix action.
type row [5]outcome

func (r *row) actions() model.Actions {
	return model.Actions{Read: r[0].cell(), List: r[1].cell(), Write: r[2].cell(), Delete: r[3].cell(), Manage: r[4].cell()}
}

// orgGroup is a set of member accounts governed by the same SCP chain.
type orgGroup struct {
	key      string
	chain    Chain
	accounts []string // sorted
	orgPath  string   // common aws:PrincipalOrgPaths, "" when they differ
	shared   *orgShared
}

// matrixer computes bucket matrices; it holds what every bucket shares.
type matrixer struct {
	ix *Index
	// shared holds what workers compute once for all: matrices of bucket
	// shapes and lint warnings.
	shared  sharedCache
	catalog map[string]model.CatalogEntry
	// nameMatters: some SCP, RCP, key or endpoint policy names specific
	// buckets, so buckets alike in every other way may still differ.
	nameMatters bool
	trusted     map[string]string
	members     []string // active member accounts, sorted
	groups      []orgGroup
	groupOf     map[string]int // active member → its group's index

	// noPrincipalGroups: every principal is decided on its own (whocan.go).
	noPrincipalGroups bool
	// principalsPerCell caps the cells' principal lists (Options.PrincipalsPerCell).
	principalsPerCell int
	orgListing        orgListing
	// checkMemos (Options.checkMemos): memoFaults counts the memoised
	// values that no longer match the list they were made of.
	checkMemos bool
	memoFaults atomic.Int64
	// crossHits (Options.crossHits) counts the buckets whose rows were
	// another account's.
	crossHits *atomic.Int64
}

// newMatrixer prepares the matrices of ix's buckets with the options that
// concern them (shape reuse, principal groups, the cap of the principal
// lists).
func newMatrixer(ix *Index, trusted map[string]string, opts Options) *matrixer {
	m := &matrixer{ix: ix, trusted: trusted, catalog: catalogIndex(), nameMatters: policiesNameBucket(ix) || opts.noShapes,
		noPrincipalGroups: opts.noPrincipalGroups, principalsPerCell: max(opts.PrincipalsPerCell, 0), orgListing: opts.orgListing,
		checkMemos: opts.checkMemos, crossHits: opts.crossHits}
	if ix.OrgID == "" {
		return m
	}
	seen := map[string]bool{}
	var ids []string
	for id := range ix.placement {
		ids = append(ids, id)
	}
	if ix.ManagementAccount != "" {
		ids = append(ids, ix.ManagementAccount)
	}
	sort.Strings(ids)
	byKey := map[string]*orgGroup{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if a := ix.Account(id); a != nil && a.Status == inventory.AccountSuspended {
			continue // suspended accounts cannot sign requests
		}
		m.members = append(m.members, id)
		chain := ix.SCPs(id)
		g := byKey[chain.Key]
		if g == nil {
			g = &orgGroup{key: chain.Key, chain: chain, orgPath: ix.OrgPath(id)}
			byKey[chain.Key] = g
		}
		g.accounts = append(g.accounts, id)
		if g.orgPath != ix.OrgPath(id) {
			g.orgPath = ""
		}
	}
	for _, g := range byKey {
		m.groups = append(m.groups, *g)
	}
	sort.Slice(m.groups, func(i, j int) bool { return m.groups[i].accounts[0] < m.groups[j].accounts[0] })
	m.shareGroups()
	return m
}

// worker analyses buckets on one goroutine: its own evaluator, and callers
// (with their request contexts) reused across buckets.
type worker struct {
	*matrixer
	ev      *policy.Evaluator
	scratch [2]policy.Result
	refs    refCache // the deciding statements and reasons of its buckets' outcomes
	// callers are the callers built for the account in progress (account);
	// their request contexts are per resource account.
	account string
	callers map[string]*Caller
	// kept are the callers that serve every account's buckets alike
	// (ownerFree), kept across accounts.
	kept map[string]*Caller
	// pgroups are the principal groups decided for the account's buckets,
	// by shapeGroupKey (whocan.go).
	pgroups map[pgroupKey]*principalGroup
	gslab   groupSlab // every principal group of the account's buckets
	// pstatic and chainVals are the principals' and SCP chains'
	// bucket-independent parts of group keys; roots are the account roots
	// as principals, by partition and account (whocan.go).
	pstatic   map[*IAMPrincipal]*principalStatic
	chainVals map[string]*chainValues
	roots     map[[2]string]*IAMPrincipal
	who       whoScratch // the principal lists' scratch and caches (whocan.go)
	callerBuf []byte     // scratch of callers' keys (callerBytes)
	listBuf   []byte     // scratch of lists' keys (internList)
	// chainsNoAccount memoises chainNamesNoAccount, by chain key.
	chainsNoAccount map[string]bool
	// strings and lists shared by the cells this worker produced: reasons
	// repeat across buckets with the same policies, so a report of many
	// buckets holds each once. At most maxInterned of each are kept (a
	// streamed report holds none of its buckets).
	strs    map[string]string
	lists   map[string][]string
	layers  map[layerSet][]string
	bpaMaps map[BPA]map[string]string
	// orgLists are the org cells' lists of allowed accounts (orgcache.go).
	orgLists orgLists
	// refNames are the statement names of groups' deciding statements
	// (worker.ownNames), at most maxRefNames.
	refNames map[string][]string
	refKey   []byte // scratch of refNames' keys
	// reachRoles is assumeFindings' scratch: the roles listed per start.
	reachRoles map[[2]string]struct{}
}

func (m *matrixer) newWorker() *worker {
	return &worker{matrixer: m, ev: policy.NewEvaluator(), callers: map[string]*Caller{}, kept: map[string]*Caller{}, pgroups: map[pgroupKey]*principalGroup{},
		pstatic: map[*IAMPrincipal]*principalStatic{}, chainVals: map[string]*chainValues{}, roots: map[[2]string]*IAMPrincipal{},
		strs: map[string]string{}, lists: map[string][]string{}, layers: map[layerSet][]string{}, bpaMaps: map[BPA]map[string]string{},
		orgLists: orgLists{limit: m.principalsPerCell},
	}
}

// bpaMap returns the report's map of an effective BPA, one per distinct
// configuration (at most 81): buckets alike share it.
func (w *worker) bpaMap(b BPA) map[string]string {
	if m, ok := w.bpaMaps[b]; ok {
		return m
	}
	m := b.Map()
	w.bpaMaps[b] = m
	return m
}

// startAccount prepares the worker for a bucket of account: the callers
// built for another account's buckets that name that account (not
// ownerFree) are dropped, and so are its principal groups (their slab is
// reused).
func (w *worker) startAccount(account string) {
	if account != w.account {
		w.account = account
		clear(w.callers)
		clear(w.pgroups)
		w.gslab.reset()
	}
}

// maxInterned bounds the strings (and the lists) a worker interns; when
// full, it starts afresh.
const maxInterned = 1 << 14

// intern returns the worker's copy of s.
func (w *worker) intern(s string) string {
	if v, ok := w.strs[s]; ok {
		return v
	}
	if len(w.strs) >= maxInterned {
		clear(w.strs)
	}
	w.strs[s] = s
	return s
}

// internCell makes a cell share its strings and lists with equal ones.
func (w *worker) internCell(c *model.Cell) {
	c.Reason = w.intern(c.Reason)
	set := layersOf(c.DecidedBy...)
	if l, ok := w.layers[set]; ok {
		c.DecidedBy = l
	} else {
		w.layers[set] = c.DecidedBy
	}
	c.Conditions = w.internList("c", c.Conditions)
	// c.Accounts (org cells) are shared already (orgLists).
	c.NarrowedTo = w.internList("n", c.NarrowedTo)
}

// internList returns the worker's copy of a list of strings (kind keeps
// lists of different meanings apart).
func (w *worker) internList(kind string, l []string) []string {
	if len(l) == 0 {
		return l
	}
	// The key in the worker's scratch: looked up without a string of its
	// own.
	b := append(append(w.listBuf[:0], kind...), 0)
	for i, s := range l {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, s...)
	}
	w.listBuf = b
	if have, ok := w.lists[string(b)]; ok {
		return have
	}
	if len(w.lists) >= maxInterned {
		clear(w.lists)
	}
	w.lists[string(b)] = l
	return l
}

// internActions interns the five cells of a row.
func (w *worker) internActions(a *model.Actions) {
	for _, c := range []*model.Cell{&a.Read, &a.List, &a.Write, &a.Delete, &a.Manage} {
		w.internCell(c)
	}
}

// caller returns the cached caller for key, building it with mk. The
// callers whose keys name no bucket owner (ownerFree) are kept across
// accounts, with the keys of their request contexts (Caller.context); the
// others are dropped when the worker starts another account's buckets.
// The workers share them (sharedCache.caller): each keeps those it used,
// and asks the others' first.
func (w *worker) caller(key string, mk func() *Caller) *Caller {
	free := ownerFree(key)
	cache := w.callers
	if free {
		cache = w.kept
	}
	if c := cache[key]; c != nil {
		return c
	}
	c := w.shared.caller(w.account, key, free, mk)
	if free && len(w.kept) >= maxKeptCallers {
		clear(w.kept)
	}
	cache[key] = c
	return c
}

// callerBytes is caller for the key in key (scratch; free is
// ownerFree's answer for it): a caller the worker keeps is found without
// making the key a string.
func (w *worker) callerBytes(key []byte, free bool, mk func() *Caller) *Caller {
	cache := w.callers
	if free {
		cache = w.kept
	}
	if c := cache[string(key)]; c != nil {
		return c
	}
	return w.caller(string(key), mk)
}

// maxKeptCallers bounds the callers a worker (and the workers' shared
// cache) keeps across accounts; when full, it starts afresh.
const maxKeptCallers = 1 << 12

// ownerFree reports whether the caller cached under key is the same for
// the buckets of every owner: anonymous callers ("public"), an external
// account's principals ("ext|"), a member account's ("mem|", of its SCP
// group), and one IAM principal ("pa|" and "iam|", built from its account
// alone: principalCaller's InOrg and OrgID are its account's whatever the
// row, as the rows list members with InOrg true and, in an organisation,
// non-members with InOrg false; callers without one use the document's
// MemberOf), and those of the accounts but the owner that an owner which
// is an active member leaves out anyway ("anym|", "canonanym|", "grpo|":
// it is among their NotMembers). The others ("any|", "canonany|", "same|",
// "grp|", "orgunread|") name the owner in their keys and exclude it from
// the accounts they stand for.
func ownerFree(key string) bool {
	for _, p := range [...]string{"public", "ext|", "mem|", "pa|", "iam|", "anym|", "canonanym|", "grpo|"} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// bucketMatrix is one bucket's computed rows.
type bucketMatrix struct {
	bl       *BucketLayers
	public   row
	anyAWS   row
	org      [5]orgCell
	external map[string]row
	extOrder []string
	same     row
	callers  map[string]*Caller // external rows' callers, for findings
	sameC    *Caller
	tls      Tri // a bucket statement or an RCP denies requests without TLS
	// arn is, in a shape (sharedCache), the ARN of the bucket whose
	// matrix it is (bl is nil there); owner, in a shape across accounts
	// (crossKey), its account.
	arn, owner string
}

// matrix returns the bucket's matrix, reusing the matrix of a bucket of
// the same shape (key, from shapeKey; "" computes it on its own) when there
// is one.
//
// The first bucket of a shape stores its own matrix, which is never
// changed once computed: a bucket of the same shape renames it from that
// bucket's ARN to its own (as from the ARN to bucketToken and back: the
// token occurs in no policy). Renaming only on a hit spares the copy of
// the matrices no other bucket takes (at a few buckets per account, most);
// the shape is a shallow copy without its bucket's layers.
func (w *worker) matrix(bl *BucketLayers, key string) *bucketMatrix {
	if key == "" {
		return w.compute(bl)
	}
	owner := bl.Account.ID
	if shape := w.shared.shape(owner, key); shape != nil {
		bm := shape.rename(renamer{from: shape.arn, to: bl.ARN})
		bm.bl, bm.arn, bm.owner = bl, "", ""
		return bm
	}
	var bm *bucketMatrix
	xkey := w.crossKey(bl, key)
	if shape := w.shared.crossShape(xkey); shape != nil {
		// Another account's bucket of the shape: its rows but the org
		// row's, renamed to this account (crossKey).
		bm = shape.rename(renamer{from: shape.arn, to: bl.ARN, acctFrom: shape.owner, acctTo: owner})
		mc := w.matrixCallers(bl)
		bm.bl, bm.arn, bm.owner = bl, "", ""
		bm.sameC = mc.same
		bm.org = w.orgRow(bl, owner, mc.externals, mc.namedMembers)
		bm.tls = bl.tlsEnforced(bm.sameC)
		if w.crossHits != nil {
			w.crossHits.Add(1)
		}
	} else {
		bm = w.compute(bl)
		if xkey != "" && !bm.refsName(owner) {
			shape := *bm
			shape.bl, shape.arn, shape.owner = nil, bl.ARN, owner
			shape.org = [5]orgCell{} // computed for every bucket
			w.shared.storeCrossShape(xkey, &shape)
		}
	}
	// The shape holds a shallow copy that keeps no bucket's layers (its
	// parsed policies) alive.
	shape := *bm
	shape.bl, shape.arn = nil, bl.ARN
	w.shared.storeShape(owner, key, &shape)
	return bm
}

// orgCell aggregates the org class over the member accounts.
type orgCell struct {
	out      outcome
	nallowed int // accounts allowed (or conditionally allowed, for a conditional cell)
	total    int
	blocked  []orgPart // parts denied by an SCP or RCP that the bucket policy grants
	// accounts are set when fewer than all are allowed: the first
	// principalsPerCell of them (orgLists.limit), sorted; parts are every
	// part (allows, allowed, liveOrgAccounts).
	accounts []string
	parts    []orgPart
}

// orgPart is one group's (or account's) outcome.
type orgPart struct {
	accounts []string // but drop (sorted, all in accounts)
	drop     []string
	// group is 1 + the index of the group whose accounts these are (but
	// drop), 0 for one account: what orgLists keys its lists by.
	group  int
	out    outcome
	caller *Caller
	// reasoned: out was decided with its reason (orgRow), not quiet.
	reasoned bool
}

// matrixCallers are the callers of a bucket's rows but the org row's, and
// the accounts the bucket names: externals (outside the organisation, or
// canonical users) and namedMembers (other member accounts), sorted.
type matrixCallers struct {
	owner                   string
	externals, namedMembers []string
	public, anyAWS, same    *Caller
	ext                     []*Caller // externals'
}

// matrixCallers returns the callers of bl's rows but the org row's.
func (w *worker) matrixCallers(bl *BucketLayers) matrixCallers {
	m := w.matrixer
	owner := bl.Account.ID
	mc := matrixCallers{owner: owner}
	for _, id := range m.namedAccounts(bl) {
		switch {
		case id == owner:
		case strings.HasPrefix(id, "canonical:"):
			mc.externals = append(mc.externals, id)
		case m.ix.InOrg(id):
			mc.namedMembers = append(mc.namedMembers, id)
		default:
			mc.externals = append(mc.externals, id)
		}
	}
	externals := mc.externals
	// The callers of other accounts are known not to belong to the owner;
	// an owner that is an active member is among NotMembers already, so
	// naming it changes nothing and the caller serves every such owner
	// (ownerFree: "anym|", "canonm|").
	anyKey, notKnownOwner := "any|"+owner+"|", owner
	if _, member := m.groupOf[owner]; member {
		anyKey, notKnownOwner = "anym|", ""
	}
	extKey := anyKey + strings.Join(externals, ",")
	mc.public = w.caller("public", publicCaller)
	mc.anyAWS = w.caller(extKey, func() *Caller {
		return &Caller{NotAccounts: m.notKnown(notKnownOwner, externals), NotMembers: m.members, InOrg: TriFalse, Label: "principals of any other AWS account"}
	})
	for _, id := range externals {
		var c *Caller
		if strings.HasPrefix(id, "canonical:") {
			c = w.caller("canon"+extKey+"|"+id, func() *Caller {
				return &Caller{Canonical: strings.TrimPrefix(id, "canonical:"), NotAccounts: m.notKnown(notKnownOwner, externals), NotMembers: m.members, InOrg: TriFalse,
					Label: "the account of canonical user " + shortID(strings.TrimPrefix(id, "canonical:"))}
			})
		} else {
			c = w.caller("ext|"+id, func() *Caller {
				c := &Caller{Account: id, InOrg: TriFalse, Label: "principals of account " + id, TagsKnown: m.ix.iamCollected(id)}
				if m.ix.OrgID == "" {
					// Without an organisation in the document, an account of it
					// may still have said which one it belongs to, and the SCPs
					// that govern it are then unknown.
					c.OrgID, c.InOrg = m.ix.MemberOf(id)
					c.SCPs = m.ix.SCPs(id)
				}
				return c
			})
		}
		mc.ext = append(mc.ext, c)
	}
	w.callerBuf = append(append(w.callerBuf[:0], "same|"...), owner...)
	mc.same = w.callerBytes(w.callerBuf, false, func() *Caller {
		orgID, in := m.ix.MemberOf(owner)
		if orgID == m.ix.OrgID {
			orgID = ""
		}
		return &Caller{Account: owner, InOrg: in, OrgID: orgID, OrgPath: m.ix.OrgPath(owner), SCPs: m.ix.SCPs(owner), Label: "principals of the owning account",
			TagsKnown: m.ix.iamCollected(owner)}
	})
	return mc
}

// compute fills every row of the bucket's matrix.
func (w *worker) compute(bl *BucketLayers) *bucketMatrix {
	m := w.matrixer
	bm := &bucketMatrix{bl: bl}
	mc := w.matrixCallers(bl)
	bm.public = m.row(bl, mc.public)
	bm.anyAWS = m.row(bl, mc.anyAWS)
	if len(mc.externals) > 0 { // nil without (most buckets name none)
		bm.external, bm.callers = make(map[string]row, len(mc.externals)), make(map[string]*Caller, len(mc.externals))
	}
	for i, id := range mc.externals {
		bm.external[id] = m.row(bl, mc.ext[i])
		bm.callers[id] = mc.ext[i]
		bm.extOrder = append(bm.extOrder, id)
	}
	bm.sameC = mc.same
	bm.same = m.row(bl, bm.sameC)
	bm.org = w.orgRow(bl, mc.owner, mc.externals, mc.namedMembers)
	bm.tls = bl.tlsEnforced(bm.sameC)
	return bm
}

// row decides the five actions for one caller.
func (m *matrixer) row(bl *BucketLayers, c *Caller) row {
	var r row
	for i, a := range MatrixActions() {
		r[i] = bl.decide(c, a, "")
	}
	return r
}

// orgRow evaluates the org class: each group of member accounts sharing an
// SCP chain, account by account where the bucket names the accounts or a
// decision depends on which account calls.
func (w *worker) orgRow(bl *BucketLayers, owner string, externals, namedMembers []string) [5]orgCell {
	m := w.matrixer
	if why := m.ix.othersUnknown(owner); why != "" {
		return w.unreadOrgRow(bl, owner, externals, why)
	}
	var parts [5][]orgPart
	n := len(m.groups) + len(namedMembers)
	room := make([]orgPart, 5*n) // each cell's parts in its fifth (capped: more moves out)
	for i := range parts {
		parts[i] = room[i*n : i*n : (i+1)*n]
	}
	defer func() { bl.quiet = false }()
	// decide decides c's row; the first part of every cell is decided with
	// its reason (reasoned), which orgCells would decide again otherwise:
	// the first part of a cell is the first of its verdict.
	decide := func(c *Caller) (r row, reasoned bool) {
		reasoned = len(parts[0]) == 0
		bl.quiet = !reasoned
		return m.row(bl, c), reasoned
	}
	add := func(accts, drop []string, group int, c *Caller, r *row, reasoned bool) {
		for i := range r {
			parts[i] = append(parts[i], orgPart{accounts: accts, drop: drop, group: group, out: r[i], caller: c, reasoned: reasoned})
		}
	}
	total := 0
	for gi := range m.groups {
		g := &m.groups[gi]
		// The accounts the bucket names are evaluated one by one; the rest
		// of the group together, unless a decision turns out to depend on
		// which of them calls. What does not depend on the bucket is built
		// once per group (orgShared); the rest is the group's accounts but
		// drop (the owner and single), listed only when needed.
		single, drop, nrest := m.orgGroupSplit(gi, owner, namedMembers)
		total += nrest + len(single)
		if nrest > 1 {
			c := w.groupCaller(gi, owner, single, externals, nrest)
			r, reasoned := decide(c)
			split := false
			for i := range r {
				split = split || ((r[i].verdict == model.VerdictConditional || len(r[i].narrow) > 0) && r[i].acctSpecific)
			}
			if !split {
				add(g.accounts, drop, gi+1, c, &r, reasoned)
				nrest = 0
			}
		}
		each := single
		switch {
		case nrest > 0 && len(single) == 0:
			each = without(g.accounts, drop) // read only: the group's own when it drops none
		case nrest > 0:
			each = append(slices.Clone(single), without(g.accounts, drop)...)
		}
		for _, id := range each {
			c := w.memberCaller(g, id)
			r, reasoned := decide(c)
			add(oneAccount(g.accounts, id), nil, 0, c, &r, reasoned)
		}
	}
	bl.quiet = false
	return orgCells(bl, &parts, total, &w.orgLists)
}

// oneAccount returns the list of account id alone: a one-element slice
// of accts (sorted) when it holds id (without room to append to), or a new
// list.
func oneAccount(accts []string, id string) []string {
	if k, ok := slices.BinarySearch(accts, id); ok {
		return accts[k : k+1 : k+1]
	}
	return []string{id}
}

// orgGroupSplit returns how the org row treats group gi for a bucket of
// owner that names namedMembers: the accounts it decides one by one
// (single), those its group part leaves out (drop: single and the owner),
// and how many accounts the group part stands for (nrest).
func (m *matrixer) orgGroupSplit(gi int, owner string, namedMembers []string) (single, drop []string, nrest int) {
	for _, id := range namedMembers {
		if m.inGroup(id, gi) {
			single = append(single, id)
		}
	}
	drop = single
	if m.inGroup(owner, gi) {
		i, _ := slices.BinarySearch(single, owner)
		drop = slices.Insert(slices.Clone(single), i, owner)
	}
	return single, drop, len(m.groups[gi].accounts) - len(drop)
}

// groupCaller returns the caller of group gi's part of the org row: its
// nrest accounts but the owner and single. Its key is built in the
// worker's scratch (callerBuf) and looked up without a string of its own:
// a bucket's matrix asks for every group's, and most are kept already.
func (w *worker) groupCaller(gi int, owner string, single, externals []string, nrest int) *Caller {
	m := w.matrixer
	g := &m.groups[gi]
	// An owner that is an active member of another group is among
	// NotMembers (the group's outside) already: the caller serves every
	// such owner (ownerFree: "grpo|").
	og, member := m.groupOf[owner]
	free := member && og != gi
	b := w.callerBuf[:0]
	if free {
		b = append(append(append(b, "grpo|"...), g.key...), '|')
	} else {
		b = append(append(append(append(append(b, "grp|"...), g.key...), '|'), owner...), '|')
	}
	// The accounts it excludes besides the owner: single, then externals.
	for k, id := range single {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, id...)
	}
	for k, id := range externals {
		if k > 0 || len(single) > 0 {
			b = append(b, ',')
		}
		b = append(b, id...)
	}
	w.callerBuf = b
	return w.callerBytes(b, free, func() *Caller {
		// NotAccounts: the owner (unless free), single, externals; the
		// accounts removed from the group are its first ones.
		var not []string
		if n := len(single) + len(externals); n > 0 || !free {
			not = make([]string, 0, n+1)
		}
		if !free {
			not = append(not, owner)
		}
		not = append(not, single...)
		removed := not[:len(not):len(not)]
		not = append(not, externals...)
		return &Caller{NotAccounts: not, NotMembers: m.groups[gi].shared.outside, InOrg: TriTrue, OrgPath: g.orgPath, SCPs: g.chain,
			TagsKnown: m.restCollected(gi, removed),
			Label:     "principals of the " + strconv.Itoa(nrest) + " other member accounts under " + m.restLabel(gi, removed)}
	})
}

// orgCells aggregates the parts of the org class into its cells. The parts
// were decided without reasons; it decides again, with its reason, the
// first part of each verdict (the one a cell's reason cites). The cells'
// lists of accounts come from lists (nil: each built on its own).
func orgCells(bl *BucketLayers, parts *[5][]orgPart, total int, lists *orgLists) [5]orgCell {
	for i, action := range MatrixActions() {
		var seen [4]bool
		for j := range parts[i] {
			p := &parts[i][j]
			if r := verdictRank(p.out.verdict); !seen[r] {
				seen[r] = true
				if !p.reasoned {
					p.out = bl.decide(p.caller, action, "")
				}
			}
		}
	}
	var cells [5]orgCell
	for i := range cells {
		cells[i] = aggregateOrg(parts[i], total, lists)
	}
	// The cells' blocked parts, one list for the five.
	n := 0
	for i := range parts {
		for j := range parts[i] {
			if parts[i][j].out.orgBlocked != "" {
				n++
			}
		}
	}
	if n == 0 {
		return cells
	}
	room := make([]orgPart, 0, n)
	for i := range parts {
		start := len(room)
		for j := range parts[i] {
			if parts[i][j].out.orgBlocked != "" {
				room = append(room, parts[i][j])
			}
		}
		if len(room) > start {
			cells[i].blocked = room[start:len(room):len(room)]
		}
	}
	return cells
}

// unreadOrgRow evaluates the org class when the owner's organisation was
// not read: its other member accounts, and the SCPs that govern them, are
// unknown. A cell is decided only where the other layers decide for certain
// (nothing in the bucket's policies lets another account in); otherwise it
// is unknown. How many accounts it concerns is unknown too.
func (w *worker) unreadOrgRow(bl *BucketLayers, owner string, externals []string, why string) [5]orgCell {
	orgID, _ := w.ix.MemberOf(owner)
	c := w.caller("orgunread|"+owner+"|"+strings.Join(externals, ","), func() *Caller {
		c := &Caller{NotAccounts: append([]string{owner}, externals...), InOrg: TriUnknown,
			SCPs:  unknownChain("SCPs of the organization's other member accounts (" + why + ")"),
			Label: "principals of the organization's other member accounts"}
		if orgID != "" {
			c.InOrg, c.OrgID = TriTrue, orgID
		}
		return c
	})
	r := w.row(bl, c)
	var cells [5]orgCell
	for i := range cells {
		cells[i] = orgCell{out: r[i]}
	}
	return cells
}

func (w *worker) memberCaller(g *orgGroup, id string) *Caller {
	w.callerBuf = append(append(w.callerBuf[:0], "mem|"...), id...)
	return w.callerBytes(w.callerBuf, true, func() *Caller { // ownerFree
		return &Caller{Account: id, InOrg: TriTrue, OrgPath: w.ix.OrgPath(id), SCPs: g.chain, TagsKnown: w.ix.iamCollected(id),
			Label: "principals of member account " + id}
	})
}

// aggregateOrg combines the parts of the org class into one cell: allowed
// if at least one other member account is allowed (the cell counts them).
// The list of the allowed accounts comes from lists (nil: built here); its
// blocked parts are orgCells'.
func aggregateOrg(parts []orgPart, total int, lists *orgLists) orgCell {
	oc := orgCell{total: total}
	if total == 0 {
		oc.out = outcome{verdict: model.VerdictDeny, reason: "the organisation has no other active member account"}
		return oc
	}
	// Counts and first part per verdict, indexed by verdictRank (deny 0,
	// unknown 1, conditional 2, allow 3).
	var count [4]int
	first := [4]int{-1, -1, -1, -1}
	for i := range parts {
		p := &parts[i]
		r := verdictRank(p.out.verdict)
		count[r] += p.count()
		if first[r] < 0 {
			first[r] = i
		}
	}
	best := 0
	for r := 3; r >= 0; r-- {
		if count[r] > 0 {
			best = r
			break
		}
	}
	v := parts[first[best]].out.verdict
	o := outcome{verdict: v}
	oc.parts = parts
	// The allowed accounts are listed only when fewer than all are allowed.
	if (v == model.VerdictAllow || v == model.VerdictConditional) && count[best] < total {
		oc.accounts = lists.accounts(parts, v, count[best])
	}
	narrowed := true // every part of the verdict is narrowed to named principals
	for i := range parts {
		p := &parts[i]
		if p.out.verdict != v {
			continue
		}
		o.layers |= p.out.layers
		if len(p.out.alts) > 0 {
			o.alts = o.alts.or(p.out.alts)
		}
		narrowed = narrowed && len(p.out.narrow) > 0
		o.narrow = o.narrow.or(p.out.narrow)
	}
	if !narrowed {
		o.narrow = nil // some accounts' principals are allowed whoever they are
	}
	oc.nallowed = count[best]
	f := &parts[first[best]]
	// The reason is the first part's after what it says of the class, "for
	// example" when that part is one account of several.
	o.reason = lists.orgReason(orgReasonKey{v, oc.nallowed, total, len(parts) > 1, len(parts) > 1 && len(f.accounts) == 1, f.out.reason})
	// Say what happens to the others.
	if v != model.VerdictDeny {
		for r := best - 1; r >= 0; r-- {
			if count[r] == 0 {
				continue
			}
			other := &parts[first[r]]
			o.reason += "; " + string(other.out.verdict) + " for " + strconv.Itoa(count[r]) + " (" + other.out.reason + ")"
		}
	}
	oc.out = o
	return oc
}

// orgReasonKey is what an org cell's reason says before the other
// verdicts' counts: its verdict, the accounts it counts of total, whether
// it has several parts (a denied one says so), whether its example is one
// account's (ex), and the example's reason.
type orgReasonKey struct {
	v        model.Verdict
	n, total int
	parts    bool
	ex       bool
	example  string
}

// maxOrgReasons bounds the reasons an orgLists keeps.
const maxOrgReasons = 1 << 10

// orgReason returns the reason of key, the worker's for the cells alike
// (l nil: made on its own): most buckets' cells say the same of the class,
// and a denied cell's reason was a new string each.
func (l *orgLists) orgReason(k orgReasonKey) string {
	if l == nil {
		return orgReasonOf(k)
	}
	if r, ok := l.reasons[k]; ok {
		return r
	}
	r := orgReasonOf(k)
	if l.reasons == nil || len(l.reasons) >= maxOrgReasons {
		l.reasons = map[orgReasonKey]string{}
	}
	l.reasons[k] = r
	return r
}

// orgReasonOf makes the reason of key (orgReason).
func orgReasonOf(k orgReasonKey) string {
	ex := ""
	if k.ex {
		ex = "for example "
	}
	// The counts in buffers of their own: the concatenations copy them
	// (Itoa allocates from 100 on, and total is every member).
	var nb, ab [20]byte
	n, all := strconv.AppendInt(nb[:0], int64(k.n), 10), strconv.AppendInt(ab[:0], int64(k.total), 10)
	switch k.v {
	case model.VerdictAllow:
		return "allowed for " + string(n) + " of " + string(all) + " other member accounts: " + ex + k.example
	case model.VerdictConditional:
		return "conditionally allowed for " + string(n) + " of " + string(all) + " other member accounts: " + ex + k.example
	case model.VerdictUnknown:
		return "unknown for " + string(n) + " of " + string(all) + " other member accounts: " + ex + k.example
	}
	if k.parts {
		return "denied for all " + string(all) + " other member accounts: " + ex + k.example
	}
	return k.example // one part: ex is ""
}

// cell is the org cell's report cell; its AllowedAccounts is n, set here
// (a bucket's org cells take theirs from one array: orgActions).
func (oc *orgCell) cell(n *int) model.Cell {
	c := oc.out.cell()
	if oc.total > 0 && (oc.out.verdict == model.VerdictAllow || oc.out.verdict == model.VerdictConditional) {
		*n = oc.nallowed
		c.AllowedAccounts = n
		c.Accounts = oc.accounts
	} else if oc.total > 0 {
		*n = 0
		c.AllowedAccounts = n
	}
	return c
}

// orgActions returns the org row's report cells, their counts of allowed
// accounts in one array (none when no cell counts accounts).
func orgActions(org *[5]orgCell) model.Actions {
	var n *[5]int
	for i := range org {
		if org[i].total > 0 {
			n = new([5]int)
			break
		}
	}
	at := func(i int) *int {
		if n == nil {
			return nil // cell sets no count
		}
		return &n[i]
	}
	return model.Actions{Read: org[0].cell(at(0)), List: org[1].cell(at(1)), Write: org[2].cell(at(2)), Delete: org[3].cell(at(3)), Manage: org[4].cell(at(4))}
}

// namedAccounts returns every account a bucket's policy, ACL or KMS key
// policy names (12-digit IDs and "canonical:<id>"), sorted.
func (m *matrixer) namedAccounts(bl *BucketLayers) []string {
	set := map[string]bool{}
	collectPolicyAccounts(bl.Policy, set)
	if bl.KeyPolicy != nil && !bl.Key.AWSManaged {
		collectPolicyAccounts(bl.KeyPolicy, set)
	}
	if bl.ACLs != TriFalse {
		for _, g := range bl.Grants {
			if g.Kind == GranteeAccount || g.Kind == GranteeCanonical {
				set[g.Account] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// collectPolicyAccounts adds the accounts a policy's principals and
// principal-account conditions name.
func collectPolicyAccounts(p *policy.Policy, set map[string]bool) {
	if p == nil || p.IsUnreadable() {
		return
	}
	for i := range p.Statements {
		s := &p.Statements[i]
		principalAWS(s, func(v string) {
			if id := accountOf(v); id != "" {
				set[id] = true
			}
		})
		for _, c := range s.Conditions {
			switch lowerOf(c.Key, "aws:principalaccount", "kms:calleraccount", "aws:principalarn") {
			case "aws:principalaccount", "kms:calleraccount":
				for _, v := range c.Values {
					if awsid.IsAccountID(v) {
						set[v] = true
					}
				}
			case "aws:principalarn":
				for _, v := range c.Values {
					if id := accountOf(v); id != "" {
						set[id] = true
					}
				}
			}
		}
	}
}

// accountOf returns the account of a principal value: a 12-digit ID or an
// ARN with a literal account field.
func accountOf(v string) string {
	if awsid.IsAccountID(v) {
		return v
	}
	if strings.HasPrefix(v, "arn:") {
		if id := arnAccount(v); awsid.IsAccountID(id) {
			return id
		}
	}
	return ""
}
