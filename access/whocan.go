package access

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/maphash"
	"iter"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// Who can reach each bucket, principal by principal.
//
// A cell's class answer (same_account, org, an external account) assumes
// the caller's identity policy grants the action. With IAM collected every
// role, user and account root of the class's accounts is decided with its
// real caller: its own identity policies (inline, attached, its groups'),
// its permissions boundary and its account's SCP chain, with the bucket's
// every layer (RCPs, BPA, bucket policy, ACL, KMS key policy and grants,
// VPC endpoint policies); across accounts both the identity side and the
// resource side must allow.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
//
// An account root is listed too: it has every permission of its account
// (as the class answer assumes of its callers), is governed by the SCPs of
// a member account (not of the management account), and needs the
// resource side across accounts.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
//
// Principals decided alike are decided once per bucket: those with the
// same policies (by content), tags, type, SCP chain and OU path, whose ARN
// and account every principal-naming value of the policies involved
// (Principal elements, aws:PrincipalArn, aws:PrincipalAccount… conditions)
// matches alike (principalKey). A policy of a principal whose statements
// all name other buckets (policySlot.limited) decides nothing for this
// one: it counts in the group key as a mark (deadSlots), so that roles
// alike but for the buckets of their own account are one group on the
// buckets of another. TestPrincipalAccessMatchesOracle checks that every
// shortcut lists what deciding each principal on its own does.

// principalCand is one principal a row's cells may list.
type principalCand struct {
	p       *IAMPrincipal
	account string
	typ     string
	gk      string // its grantee key (granteeKey)
	key     string // its group (principalKey)
	ckey    string // its caller's key (worker.caller)
	dead    uint64 // its policies out of the bucket's reach (deadSlots)
	// kept is what overflowed keeps of it beyond a cap (keptBits), 0
	// until known: a plan's candidates have theirs from the start (the
	// workers share a plan: none writes it).
	kept uint8
}

// principalGroup is the principals decided alike, decided once per action.
type principalGroup struct {
	rep     principalCand // a copy: candidates are scratch
	arn     string        // the bucket decided (a group reused for a bucket of the same shape names another)
	caller  *Caller
	decided [5]bool
	out     [5]outcome
	conds   [5][]string // the outcome's alternatives, shared by the group
	// stmts are the deciding statements named for rep, shared by the
	// group's principals when none is one of their own (personal false).
	stmts    [5][]string
	personal [5]bool
}

// principalRow lists the principals of a row's cells.
type principalRow struct {
	w         *worker
	bl        *BucketLayers
	bm        *bucketMatrix // its matrix (the org cells' allowed accounts)
	vals      []string      // the bucket side's principal-naming values
	byName    bool          // a principal-naming value holds a policy variable
	lvals     []string      // vals lowered (once lowered is set, lower)
	lowered   bool          // lvals and valsID are set
	partition string        // the bucket's partition ("" until needed)
	// resources are the resources the matrix asks about (shapeGroupKey),
	// once resSet is set (res).
	resources []string
	resSet    bool
	buf       []byte // scratch of the keys
	// cands are the candidates of the list in progress (worker scratch);
	// valsID is vals' ID (whoScratch.valsID).
	cands  []principalCand
	valsID int
	// renamed are the conditions of groups decided for another bucket of
	// the shape, with this bucket's ARN (renamedConds).
	renamed map[*principalGroup]*[5][]string
	groups  map[string]*principalGroup
	// over is what the capped cells leave unlisted that viaAccess needs.
	over overflow
	// shape is the bucket's shape key ("" when its matrix is its own):
	// buckets of one shape decide the groups alike, up to the Resource
	// values of the groups' policies that name buckets (shapeGroupKey).
	shape string
}

// newPrincipalRow returns the worker's principal row, set for bucket bl
// of shape shape: its maps and slices are reused from bucket to bucket (a
// row lives while its bucket's lists are made, principalAccess).
func (w *worker) newPrincipalRow(bl *BucketLayers, shape string) *principalRow {
	pr := &w.who.row
	groups, renamed := pr.groups, pr.renamed
	if len(groups) > maxRowGroups {
		groups = nil // clearing it would cost its size at every bucket
	}
	if groups == nil {
		groups = map[string]*principalGroup{}
	}
	clear(groups)
	clear(renamed)
	*pr = principalRow{w: w, bl: bl, groups: groups, renamed: renamed, shape: shape,
		vals: pr.vals[:0], lvals: pr.lvals[:0], resources: pr.resources[:0], buf: pr.buf[:0]}
	set := map[string]bool{}
	add := func(p *policy.Policy) {
		if principalValues(p, set) {
			pr.byName = true
		}
	}
	add(bl.Policy)
	add(bl.KeyPolicy)
	add(w.ix.keyGrants[bl.Key.ARN])
	for _, c := range []Chain{bl.RCPs, w.ix.RCPs(bl.Key.Account)} {
		for _, lvl := range c.Levels {
			for _, p := range lvl {
				add(p)
			}
		}
	}
	// Endpoints the bucket side names: their policies apply to the
	// requests made through them.
	for v := range set {
		if strings.HasPrefix(v, "vpce-") {
			if _, p, ok := w.ix.Endpoint(v); ok {
				add(p)
			}
		}
	}
	for _, id := range w.namedAccounts(bl) {
		set[id] = true
	}
	set[bl.Account.ID] = true
	if bl.Key.Account != "" {
		set[bl.Key.Account] = true
	}
	for v := range set {
		pr.vals = append(pr.vals, v)
	}
	sort.Strings(pr.vals)
	return pr
}

// lowerOf returns strings.ToLower(key) when it is one of lowers (lower-case
// ASCII keys), or a string that is none of them, without allocating for an
// ASCII key.
func lowerOf(key string, lowers ...string) string {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return strings.ToLower(key)
		}
	}
	for _, l := range lowers {
		if strings.EqualFold(key, l) { // ASCII both: ToLower(key) == l
			return l
		}
	}
	return key // ASCII, and none of lowers whatever its case
}

// principalValues adds the values of a policy that can name a principal
// or its account (Principal and NotPrincipal AWS values, the values of
// conditions on principal keys, aws:SourceVpce endpoints); true when one
// holds a policy variable.
func principalValues(p *policy.Policy, set map[string]bool) (byName bool) {
	if p == nil || p.IsUnreadable() {
		return false
	}
	for i := range p.Statements {
		s := &p.Statements[i]
		principalAWS(s, func(v string) { set[v] = true })
		for _, c := range s.Conditions {
			switch lowerOf(c.Key, "aws:principalarn", "aws:principalaccount", "kms:calleraccount", "aws:sourcevpce", "aws:userid", "aws:username") {
			case "aws:principalarn", "aws:principalaccount", "kms:calleraccount", "aws:sourcevpce":
				for _, v := range c.Values {
					set[v] = true
					byName = byName || strings.Contains(v, "${")
				}
			case "aws:userid", "aws:username":
				byName = idValues(&c, set) || byName
			}
		}
	}
	return byName
}

// principalAWS calls f with each AWS value of a statement's Principal and
// NotPrincipal elements.
func principalAWS(s *policy.Statement, f func(string)) {
	for _, pr := range []*policy.Principals{s.Principal, s.NotPrincipal} {
		if pr == nil {
			continue
		}
		for _, v := range pr.AWS {
			f(v)
		}
	}
}

// signature appends how each value matches a principal (lvals: the
// values lowered): its ARN (exactly, case-insensitively, as a pattern, by
// role name), its account and its account's canonical ID, one byte (0x80
// and seven bits) a value; an aws:userid or aws:username value (idMark)
// how it matches the principal's (principalIDs.bits).
func (w *worker) signature(b []byte, vals, lvals []string, ps *principalStatic, account, canonicalVal string) []byte {
	for j, v := range vals {
		if v != "" && v[0] == idMark { // an aws:userid or aws:username value
			b = append(b, ps.ids.bits(v[1] == 'n', w.idValue(v)))
			continue
		}
		lv := lvals[j]
		bits := byte(0x80)
		var gARN, gGK, gAcct bool
		if strings.ContainsAny(v, "*?") {
			gARN, gGK, gAcct = globMatch(lv, ps.larn), globMatch(lv, ps.lgk), globMatch(v, account)
		} else { // a pattern without wildcards matches itself only
			gARN, gGK, gAcct = lv == ps.larn, lv == ps.lgk, v == account
		}
		for k, x := range [...]bool{v == ps.arn, lv == ps.larn, gARN, gGK, v == account,
			gAcct, canonicalVal != "" && v == canonicalVal} {
			if x {
				bits |= 1 << k
			}
		}
		b = append(b, bits)
	}
	return append(b, '|')
}

// lower sets the row's values lowered and their ID (once).
func (pr *principalRow) lower() {
	if !pr.lowered {
		pr.lowered = true
		for _, v := range pr.vals {
			pr.lvals = append(pr.lvals, strings.ToLower(v))
		}
		pr.valsID = pr.w.shared.valsID(pr.vals)
	}
}

// maxRowGroups bounds the groups' map a worker's principal row keeps for
// the next bucket.
const maxRowGroups = 1 << 10

// lowerAll returns the values lowered.
func lowerAll(vals []string) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.ToLower(v)
	}
	return out
}

// principalStatic is what a worker keeps of a principal across buckets:
// the bucket-independent part of its group key.
type principalStatic struct {
	arn, larn, lgk string // its ARN, lowered, and its lowered grantee key
	gk             string // its grantee key
	// own is the key's bucket-independent part when the principal's group
	// is decided by the signature: its policies, SCP chain, OU path and how
	// its chain's and its own principal-naming values match it.
	own string
	// alone is the key when it is decided on its own (by its ARN).
	alone string
	ckey  string // its caller's key (worker.caller)
	// ids are its aws:userid and aws:username (signature).
	ids *principalIDs
	// memo is what the workers learn of it as they go: the statics of a
	// member account's principals are shared by the workers
	// (sharedCache.whoAccount).
	memo staticMemo
}

// staticMemo is a principalStatic's memo, for any worker.
type staticMemo struct {
	mu sync.Mutex
	// masked are the keys of the principal for buckets out of reach of
	// some of its policies, by deadSlots mask.
	masked map[uint64]*principalStatic
	sigs   [4]sigEntry // its last group keys (sig)
	reach  int8        // mayReach's answer for every bucket: 1 yes, 2 no, 0 not yet known
}

// chainValues is a chain's principal-naming values, lowered, and whether
// one holds a policy variable.
type chainValues struct {
	vals, lvals []string
	byName      bool
}

// chainValues returns the principal-naming values of an SCP chain (kept
// by the worker, by chain key).
func (w *worker) chainValues(chain Chain) *chainValues {
	if cv := w.chainVals[chain.Key]; cv != nil {
		return cv
	}
	cv := &chainValues{}
	set := map[string]bool{}
	for _, lvl := range chain.Levels {
		for _, p := range lvl {
			if principalValues(p, set) {
				cv.byName = true
			}
		}
	}
	for v := range set {
		cv.vals = append(cv.vals, v)
	}
	sort.Strings(cv.vals)
	cv.lvals = lowerAll(cv.vals)
	w.chainVals[chain.Key] = cv
	return cv
}

// principalStatic returns the worker's principalStatic of principal p of
// account id (it keeps at most ix.internBound()).
func (w *worker) principalStatic(p *IAMPrincipal, id string, chain Chain, cv *chainValues, canonical string) *principalStatic {
	if ps := w.pstatic[p]; ps != nil {
		return ps
	}
	ps := w.newPrincipalStatic(p, id, chain, cv, canonical)
	if len(w.pstatic) >= maxInterned && len(w.pstatic) >= w.ix.internBound() { // many principals: start afresh
		clear(w.pstatic)
	}
	w.pstatic[p] = ps
	return ps
}

// newPrincipalStatic makes the principalStatic of principal p of account
// id.
func (w *worker) newPrincipalStatic(p *IAMPrincipal, id string, chain Chain, cv *chainValues, canonical string) *principalStatic {
	ps := &principalStatic{}
	w.initPrincipalStatic(ps, p, id, chain, cv, canonical)
	return ps
}

// initPrincipalStatic sets ps, new, to the principalStatic of principal p
// of account id. Its caller's key, lowered ARN and grantee key are one
// string, its keys another (keys).
func (w *worker) initPrincipalStatic(ps *principalStatic, p *IAMPrincipal, id string, chain Chain, cv *chainValues, canonical string) {
	ps.arn, ps.gk, ps.ids = p.ARN, granteeKey(p.ARN), w.ix.callerIDs(p.ARN)
	b := append(append(w.who.staticBuf[:0], "pa|"...), p.ARN...)
	n := len(b)
	b = appendLower(b, p.ARN)
	nl := len(b)
	b = appendLower(b, ps.gk)
	w.who.staticBuf = b
	all := string(b)
	ps.ckey, ps.larn, ps.lgk = all[:n], all[n:nl], all[nl:]
	ps.keys(w, p, p.fp, id, chain, cv, canonical)
}

// appendLower appends s lowered (strings.ToLower) to b.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return append(b, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// keys sets ps's alone and own keys for a principal whose policies' key
// is fp: both are of one string.
func (ps *principalStatic) keys(w *worker, p *IAMPrincipal, fp, id string, chain Chain, cv *chainValues, canonical string) {
	// b holds the head (the policies', chain's and OU path's part) with
	// the ARN (alone), then the head again with the signatures (own).
	org := w.ix.OrgPath(id)
	b := append(append(append(append(append(append(w.who.staticBuf[:0], fp...), 0), chain.Key...), 0), org...), 0)
	head := len(b)
	b = append(b, p.ARN...)
	na := len(b)
	b = append(b, b[:head]...)
	b = w.signature(b, cv.vals, cv.lvals, ps, id, canonical)
	b = w.signature(b, p.vals, lowerAll(p.vals), ps, id, canonical)
	w.who.staticBuf = b
	all := string(b)
	ps.alone, ps.own = all[:na], all[na:]
}

// maskedStatic returns ps for a bucket out of reach of the policies of p
// that dead marks (deadSlots): its policies' key has those policies'
// texts replaced by a mark, as they decide nothing there, so principals
// that differ only in policies limited to other buckets are decided alike.
func (w *worker) maskedStatic(ps *principalStatic, p *IAMPrincipal, dead uint64, id string, chain Chain, cv *chainValues, canonical string) *principalStatic {
	if dead == 0 {
		return ps
	}
	ps.memo.mu.Lock()
	m := ps.memo.masked[dead]
	ps.memo.mu.Unlock()
	if m != nil {
		return m
	}
	texts := w.who.texts[:0]
	for k, t := range p.texts {
		if dead&(1<<k) != 0 {
			t = "\x00out of reach" // no policy text starts with NUL
		}
		texts = append(texts, t)
	}
	var fp string
	w.who.fpBuf, fp = appendFingerprint(w.who.fpBuf[:0], p.ARN, texts, p.Tags)
	if cap(w.who.fpBuf) > 1<<16 {
		w.who.fpBuf = nil // a principal of large policies: keep no copy of them
	}
	clear(texts) // keep no policy's text alive
	w.who.texts = texts[:0]
	m = &principalStatic{arn: ps.arn, larn: ps.larn, lgk: ps.lgk, gk: ps.gk, ckey: ps.ckey, ids: ps.ids}
	m.keys(w, p, fp, id, chain, cv, canonical)
	ps.memo.mu.Lock()
	defer ps.memo.mu.Unlock()
	if have := ps.memo.masked[dead]; have != nil {
		return have
	}
	if ps.memo.masked == nil || len(ps.memo.masked) >= 64 {
		ps.memo.masked = map[uint64]*principalStatic{}
	}
	ps.memo.masked[dead] = m
	return m
}

// candidates adds to pr.cands the principals of account id the row may list: its
// IAM roles and users that could be allowed (sameAccount: also those the
// bucket's own policy or ACL could grant), and its root.
func (pr *principalRow) candidates(id string, sameAccount bool) {
	bl, w := pr.bl, pr.w
	var direct func(gk string) bool
	if sameAccount {
		all, named := bl.directGrantees()
		direct = func(gk string) bool { return all || named[gk] }
	}
	wa := w.whoAccount(id)
	pr.byName = pr.byName || wa.cv.byName
	if pr.partition == "" {
		pr.partition = partitionOf(bl.ARN)
	}
	pr.lower()
	alone := pr.byName || w.noPrincipalGroups
	w.eachCandidate(wa, id, bl.Bucket.Name, pr.res, pr.partition, direct, func(c principalCand, st *principalStatic) {
		pr.buf = w.candKey(&c, st, alone, pr.vals, pr.lvals, pr.valsID, pr.buf, id, wa.canonical)
		pr.cands = append(pr.cands, c)
	})
}

// eachCandidate calls f with each principal of account id (wa) a row of
// the bucket named bucket may list, and its static (masked for the
// bucket): its IAM roles and users whose identity policies may reach the
// bucket, or that direct (nil: none) says the bucket's own policy or ACL
// could grant (by grantee key), and its root (of partition). res makes the
// resources the matrix asks about (deadSlots).
func (w *worker) eachCandidate(wa *whoAccount, id, bucket string, res func() []string, partition string, direct func(gk string) bool, f func(principalCand, *principalStatic)) {
	for i := range wa.ps {
		p := &wa.ps[i]
		st := &wa.statics[i]
		if (direct != nil && direct(st.gk)) || (p.s3 && st.mayReach(p, bucket)) {
			dead := uint64(0)
			if !w.noPrincipalGroups {
				dead = p.deadSlots(bucket, res)
			}
			f(principalCand{p: p, account: id, typ: principalType(p.ARN), dead: dead}, w.maskedStatic(st, p, dead, id, wa.chain, wa.cv, wa.canonical))
		}
	}
	if partition == wa.rootPartition {
		f(principalCand{p: wa.root, account: id, typ: model.PrincipalRoot}, wa.rootStatic)
		return
	}
	root := w.root(partition, id)
	f(principalCand{p: root, account: id, typ: model.PrincipalRoot}, w.principalStatic(root, id, wa.chain, wa.cv, wa.canonical))
}

// candKey sets candidate c's caller and grantee keys, and its group key
// (principalKey) for the row values vals (lvals lowered, valsID their ID)
// from its static st: its own ARN's when alone, or when its policies hold
// a variable. buf is scratch, returned.
func (w *worker) candKey(c *principalCand, st *principalStatic, alone bool, vals, lvals []string, valsID int, buf []byte, id, canonical string) []byte {
	c.ckey, c.gk = st.ckey, st.gk
	if alone || c.p.byPrincipal {
		c.key = st.alone // decided on its own
		return buf
	}
	if key, ok := st.sig(valsID); ok {
		c.key = key
		return buf
	}
	buf = w.signature(append(buf[:0], st.own...), vals, lvals, st, id, canonical)
	c.key = w.who.key(buf)
	st.storeSig(valsID, c.key)
	return buf
}

// partitionOf returns the partition of an ARN ("aws" when it does not
// parse).
func partitionOf(arn string) string {
	if a, err := awsid.Parse(arn); err == nil {
		return a.Partition
	}
	return "aws"
}

// whoAccount is what a worker keeps of a member account for the principal
// lists.
type whoAccount struct {
	chain     Chain
	cv        *chainValues
	canonical string // the value naming its canonical ID ("" when not known)
	ps        []IAMPrincipal
	statics   []principalStatic // ps's
	// root is its root user as a principal in the index's partition
	// (rootPartition, rootP), and its static.
	rootPartition string
	rootP         IAMPrincipal
	root          *IAMPrincipal
	rootStatic    *principalStatic
}

// whoAccount returns the whoAccount of account id, made once for all the
// workers (sharedCache.whoAccount): every worker's org rows and plans visit
// every member account, so a whoAccount each would make the work per
// account grow with the workers.
func (w *worker) whoAccount(id string) *whoAccount {
	if wa := w.shared.whoAccount(id); wa != nil {
		return wa
	}
	return w.shared.storeWhoAccount(id, w.makeWhoAccount(id), w.ix.internBound())
}

// makeWhoAccount makes the whoAccount of account id.
func (w *worker) makeWhoAccount(id string) *whoAccount {
	ix := w.ix
	wa := &whoAccount{chain: ix.SCPs(id), ps: ix.Principals(id)}
	wa.cv = w.chainValues(wa.chain)
	// Its canonical ID as the index knows it (the accounts an overlapping
	// analysis has not added yet bring theirs later: until then none, so
	// a worker kept across accounts holds no stale one). A grant to a
	// canonical ID the index knows names its account (its ID), so an
	// unknown one matches no principal either way.
	if a := ix.Account(id); a != nil && a.CanonicalID != "" && ix.canonical[a.CanonicalID] == id {
		wa.canonical = "canonical:" + a.CanonicalID
	}
	// The statics of its principals and root in one array.
	statics := make([]principalStatic, len(wa.ps)+1)
	wa.statics = statics[:len(wa.ps)]
	for i := range wa.ps {
		w.initPrincipalStatic(&wa.statics[i], &wa.ps[i], id, wa.chain, wa.cv, wa.canonical)
	}
	wa.rootPartition = ix.partition
	wa.rootP = rootPrincipal(ix.partition, id)
	wa.root = &wa.rootP
	wa.rootStatic = &statics[len(wa.ps)]
	w.initPrincipalStatic(wa.rootStatic, wa.root, id, wa.chain, wa.cv, wa.canonical)
	return wa
}

// sig returns the group key kept for the row values vals (valsID).
func (ps *principalStatic) sig(vals int) (string, bool) {
	ps.memo.mu.Lock()
	defer ps.memo.mu.Unlock()
	for _, s := range ps.memo.sigs {
		if s.vals == vals && s.key != "" {
			return s.key, true
		}
	}
	return "", false
}

// storeSig keeps the group key for the row values vals (of the last few).
func (ps *principalStatic) storeSig(vals int, key string) {
	ps.memo.mu.Lock()
	defer ps.memo.mu.Unlock()
	sigs := &ps.memo.sigs
	copy(sigs[1:], sigs[:len(sigs)-1])
	sigs[0] = sigEntry{vals, key}
}

// whoScratch is what a worker keeps for the principal lists across
// buckets.
type whoScratch struct {
	keys  map[string]string // the group keys, interned
	cands []principalCand
	list  []model.PrincipalAccess
	// lists are the cells' lists, by hash (intern): cells alike, of one
	// bucket or of several, share one.
	lists  map[uint64][]model.PrincipalAccess
	more   map[uint64][][]model.PrincipalAccess // the others of a hash lists has
	nlists int                                  // the entries of lists and more
	chunk  []model.PrincipalAccess              // where lists take their room (room)
	seed   maphash.Seed
	// idVals are the compiled aws:userid and aws:username values of the
	// rows (idValue), by marked value.
	idVals map[string]*policy.StringValue
	// plans are the org rows' plans by template, specials the accounts a
	// bucket concerns (orgplan.go; both shared by the workers); the rest
	// is their scratch.
	plans      map[string]*orgPlan
	specials   *orgSpecials
	planBuf    []byte
	specialIdx []int32
	planSkip   [][2]int32
	planAt     []int32
	planCnt    []int32
	planGroups []*principalGroup
	staticBuf  []byte // scratch of principalStatic's strings
	// texts and fpBuf are maskedStatic's scratch (its policies' texts and
	// what their fingerprint hashes).
	texts []string
	fpBuf []byte
	merge planMerge
	row   principalRow // the principal row of the bucket in progress (newPrincipalRow)
	// live and liveAccts are listOrg's scratch (liveOrgAccounts).
	live      map[string]bool
	liveAccts []string
	// principals are the cells' Principals by whom they name
	// (cellPrincipals), principalsBuf the scratch of their keys.
	principals    map[string][]string
	principalsBuf []byte
	// outside is the scratch of a principal row's overflow.outside.
	outside [2][5][]string
}

// idValue returns the compiled value of a marked aws:userid or
// aws:username value (idValues), compiled once per worker.
func (w *worker) idValue(marked string) *policy.StringValue {
	if v, ok := w.who.idVals[marked]; ok {
		return v
	}
	if w.who.idVals == nil {
		w.who.idVals = map[string]*policy.StringValue{}
	}
	v := policy.CompileStringValue(marked[2:])
	w.who.idVals[marked] = v
	return v
}

// sigEntry is a group key for a row's values (their valsID).
type sigEntry struct {
	vals int
	key  string
}

// key returns the interned group key b.
func (ws *whoScratch) key(b []byte) string {
	if k, ok := ws.keys[string(b)]; ok {
		return k
	}
	if ws.keys == nil || len(ws.keys) >= maxInterned {
		ws.keys = map[string]string{}
	}
	k := string(b)
	ws.keys[k] = k
	return k
}

// mayReach reports whether p's identity policies may reach the bucket
// (mayReachBucket), once for all buckets when no Resource value of them
// names specific buckets.
func (ps *principalStatic) mayReach(p *IAMPrincipal, bucket string) bool {
	if len(p.named) > 0 || p.byName {
		return mayReachBucket(p.Identity, bucket)
	}
	ps.memo.mu.Lock()
	reach := ps.memo.reach
	ps.memo.mu.Unlock()
	if reach == 0 {
		reach = 2
		if mayReachBucket(p.Identity, bucket) {
			reach = 1
		}
		ps.memo.mu.Lock()
		ps.memo.reach = reach
		ps.memo.mu.Unlock()
	}
	return reach == 1
}

// principalType returns the PrincipalAccess type of an IAM ARN.
func principalType(arn string) string {
	if strings.Contains(arn, ":user/") {
		return model.PrincipalUser
	}
	return model.PrincipalRole
}

// root returns account id's root user as a principal (the worker's, one
// per partition and account): no identity policy (a root has every
// permission of its account), no boundary, no tags.
func (w *worker) root(partition, id string) *IAMPrincipal {
	k := [2]string{partition, id}
	if p := w.roots[k]; p != nil {
		return p
	}
	p := newRoot(partition, id)
	w.roots[k] = p
	return p
}

// newRoot returns account id's root user in partition as a principal.
func newRoot(partition, id string) *IAMPrincipal {
	p := rootPrincipal(partition, id)
	return &p
}

// rootPrincipal is account id's root user in partition as a principal.
func rootPrincipal(partition, id string) IAMPrincipal {
	return IAMPrincipal{ARN: "arn:" + partition + ":iam::" + id + ":root", fp: "root"}
}

// overflow is what the cells of a bucket capped at principalsPerCell
// leave unlisted that viaAccess needs to list the principals reaching the
// bucket through roles as it would from the whole lists, and
// assumeFindings to find who outside reaches it through roles.
type overflow struct {
	// direct are, by action, the grantee keys of the unlisted principals
	// that can assume a role (they reach the bucket themselves, not
	// through roles).
	direct [5][]string
	// roles are, by row ("same", "org" or the external account) and
	// action, the unlisted roles allowed or conditional that a role or
	// user can assume, in list order: ARN, type and verdict only, as the
	// principals through them come after the cap of their cell, counted,
	// not built.
	roles map[cellRef][]model.PrincipalAccess
	// outside are, by row (outsideSame, outsideOrg) and action, the
	// roles allowed or conditional that the cap left out of a
	// same_account cell's or a narrowed org cell's Principals and that an
	// outside principal or a service can assume (AssumeGraph.reachFrom),
	// in list order and as Principals names them: assumeFindings takes
	// them after the cell's Principals. nil when there are none (a row
	// per bucket: most have none).
	outside *[2][5][]string
}

// The rows of overflow.outside.
const (
	outsideSame = iota
	outsideOrg
)

// cellRef names a cell of the rows principal lists are made for.
type cellRef struct {
	row    string
	action int
}

// list fills the cells' principal lists for the principals of accounts
// (sameAccount: the bucket's own) of row (a cellRef's); base makes the
// caller of a principal. Cells that are denied list none; accounts whose
// IAM was not collected are named in PrincipalsUnlisted and the cell's
// reason. With a cap (principalsPerCell) a cell lists its first entries
// and counts the others in PrincipalsTotal: every principal is decided,
// the entries beyond the cap are not built, but for what viaAccess needs
// of them (pr.over).
func (pr *principalRow) list(row string, cells []*model.Cell, accounts []string, sameAccount bool, base func(id string, p *IAMPrincipal) *Caller) {
	var room [5]int
	todo := listedCells(cells, room[:0])
	if len(todo) == 0 {
		return
	}
	pr.cands = pr.w.who.cands[:0]
	defer func() { pr.w.who.cands = pr.cands[:0] }()
	var unlisted, why []string
	for _, id := range accounts {
		if y := pr.w.ix.unlisted(id); y != "" {
			unlisted, why = append(unlisted, id), append(why, y)
			continue
		}
		pr.candidates(id, sameAccount)
	}
	bl := pr.bl
	defer func() { bl.quiet = false }()
	limit := pr.w.principalsPerCell
	var graph *AssumeGraph
	if limit > 0 {
		if g := pr.w.ix.AssumeGraph(); len(g.in) > 0 {
			graph = g
		}
	}
	for _, i := range todo {
		c := cells[i]
		list := pr.w.who.list[:0]
		total, named := 0, 0
		// The cell's Principals are made of its entries (finishCell).
		names := row == "same" || (row == "org" && len(c.NarrowedTo) > 0)
		for ci := range pr.cands {
			cand := &pr.cands[ci]
			g := pr.groups[cand.key]
			if g == nil {
				g = pr.group(cand, base)
			}
			v := pr.decideGroup(g, i)
			if v == model.VerdictDeny {
				continue
			}
			total++
			if namesPrincipal(cand.typ, v) {
				named++
			}
			if limit > 0 && total > limit {
				if graph != nil {
					pr.overflowed(graph, cellRef{row, i}, cand, g, names)
				}
				continue
			}
			list = append(list, pr.entry(cand, g, i))
		}
		var org *orgCell
		if row == "org" {
			org = &pr.bm.org[i]
		}
		pr.finishCell(c, org, list, total, named, unlisted, why, names)
	}
}

// decideGroup decides group g for action i (once) and returns its verdict.
func (pr *principalRow) decideGroup(g *principalGroup, i int) model.Verdict {
	if !g.decided[i] {
		g.decided[i] = true
		// Decided once, with its reason (the engine's work is the same
		// quiet or not); the statements only of those listed.
		bl := pr.bl
		bl.quiet, bl.refsOnly = false, true
		g.out[i] = bl.decide(g.caller, MatrixActions()[i], "")
		bl.refsOnly = false
		if g.out[i].verdict == model.VerdictUnknown {
			// Its entries give its reason (which may join those of the
			// layers that did decide).
			g.out[i] = bl.decide(g.caller, MatrixActions()[i], "")
		}
		if g.out[i].verdict == model.VerdictDeny {
			g.out[i] = outcome{verdict: model.VerdictDeny} // nothing of it is listed
			return model.VerdictDeny
		}
		if g.out[i].verdict == model.VerdictConditional {
			g.conds[i], _ = g.out[i].alts.cellConditions()
		}
		g.stmts[i] = pr.w.ownNames(g.out[i].refs, g.rep.p)
		for _, r := range g.out[i].refs {
			// A root's own permissions are every root's.
			g.personal[i] = g.personal[i] || (g.rep.p.fp != "root" && (r.Layer == policy.LayerIdentity || r.Layer == policy.LayerBoundary))
		}
	}
	return g.out[i].verdict
}

// finishCell sets cell c's principal list (list, scratch: interned here)
// of total principals allowed, and says which accounts' principals could
// not be listed (unlisted, for the reasons why; of an org cell, org, those
// it allows). With names (a same_account cell, an org cell narrowed to
// named principals) it also gets its Principals from the list
// (cellPrincipals), named of them in all.
func (pr *principalRow) finishCell(c *model.Cell, org *orgCell, list []model.PrincipalAccess, total, named int, unlisted, why []string, names bool) {
	if names {
		c.Principals, c.PrincipalsMore = pr.w.cellPrincipals(list, named)
	}
	pr.w.who.list = list
	list = pr.w.who.intern(list) // nil when empty
	clear(pr.w.who.list)         // keep no cell's strings alive
	c.PrincipalAccess = list
	c.PrincipalsTotal = 0
	if total > len(list) {
		c.PrincipalsTotal = total
	}
	ids, whys := unlisted, why
	if org != nil && org.some() { // only some of the class are allowed
		ids, whys = nil, nil
		for j, id := range unlisted {
			if org.allows(id) {
				ids, whys = append(ids, id), append(whys, why[j])
			}
		}
	}
	switch {
	case len(ids) > 0:
		c.PrincipalsUnlisted = pr.w.internList("u", ids)
		c.Reason += "; " + unlistedReason(ids, whys)
	case total == 0:
		// The class answer assumes an identity grant none of them has.
		c.Reason += "; yet no role, user or root of the scanned accounts can, each decided with its own policies"
	}
}

// namesPrincipal reports whether an entry of type typ and verdict v is
// one of a same_account or narrowed org cell's Principals: an IAM role or
// user (not a root) that can or may (not unknown).
func namesPrincipal(typ string, v model.Verdict) bool {
	return typ != model.PrincipalRoot && (v == model.VerdictAllow || v == model.VerdictConditional)
}

// cellPrincipals returns the Principals of a same_account or narrowed org
// cell whose own entries (capped at principalsPerCell, none through roles
// yet) are list, of named such principals in all (namesPrincipal): the
// roles and users allowed, those conditionally allowed marked
// " (conditional)", in list order, and how many the cap left out.
// The lists are the worker's, shared by the cells that name the same
// principals alike (they are read only): most of an account's buckets'
// cells name its same few roles.
func (w *worker) cellPrincipals(list []model.PrincipalAccess, named int) ([]string, int32) {
	ws := &w.who
	// The key: each principal named, its ARN's length first, then c when
	// conditional or a.
	b, n := ws.principalsBuf[:0], 0
	for i := range list {
		if pa := &list[i]; namesPrincipal(pa.Type, pa.Verdict) {
			b = append(binary.AppendUvarint(b, uint64(len(pa.ARN))), pa.ARN...)
			if pa.Verdict == model.VerdictConditional {
				b = append(b, 'c')
			} else {
				b = append(b, 'a')
			}
			n++
		}
	}
	ws.principalsBuf = b
	more := int32(min(named-n, math.MaxInt32))
	if n == 0 {
		return nil, more
	}
	if out, ok := ws.principals[string(b)]; ok {
		if w.checkMemos && !slices.Equal(out, principalNames(list, n)) {
			w.memoFaults.Add(1) // the list handed out was modified
		}
		return out, more
	}
	out := principalNames(list, n)
	if ws.principals == nil || len(ws.principals) >= maxInterned {
		ws.principals = map[string][]string{}
	}
	ws.principals[string(b)] = out
	return out, more
}

// principalNames returns the Principals of a cell's entries list, n of
// them (cellPrincipals).
func principalNames(list []model.PrincipalAccess, n int) []string {
	out := make([]string, 0, n)
	for i := range list {
		switch pa := &list[i]; {
		case !namesPrincipal(pa.Type, pa.Verdict):
		case pa.Verdict == model.VerdictConditional:
			out = append(out, pa.ARN+" (conditional)")
		default:
			out = append(out, pa.ARN)
		}
	}
	return out
}

// listedCells returns the indices of the cells that list principals: those
// allowed or conditional, appended to todo (the caller's room: a row has
// five cells).
func listedCells(cells []*model.Cell, todo []int) []int {
	for i, c := range cells {
		if c.Verdict == model.VerdictAllow || c.Verdict == model.VerdictConditional {
			todo = append(todo, i)
		}
	}
	return todo
}

// unlisted says why the principals of account id cannot be listed ("" when
// they can: its IAM was collected).
func (ix *Index) unlisted(id string) string {
	a := ix.Account(id)
	switch {
	case a == nil:
		return "not scanned"
	case a.IAM == nil && a.Errors.Has(fieldIAM):
		return "IAM not read: " + errorCode(a.Errors[fieldIAM])
	case a.IAM == nil:
		return "IAM not collected"
	}
	return ""
}

// entry is the list entry of candidate cand of group g for action i.
func (pr *principalRow) entry(cand *principalCand, g *principalGroup, i int) model.PrincipalAccess {
	o := &g.out[i]
	pa := model.PrincipalAccess{ARN: cand.p.ARN, Account: cand.account, Type: cand.typ, Verdict: o.verdict,
		Statements: g.stmts[i], Conditions: g.conds[i]}
	if g.personal[i] && cand.p != g.rep.p && !sameNames(o.refs, g.rep.p, cand.p) {
		pa.Statements = renameRefs(o.refs, g.rep.p, cand.p)
	}
	if o.verdict == model.VerdictUnknown {
		pa.Reason = renamePrincipal(o.reason, g.rep.p, cand.p)
	}
	if g.arn != pr.bl.ARN { // decided for another bucket of the shape
		pa.Reason = strings.ReplaceAll(pa.Reason, g.arn, pr.bl.ARN)
		if len(pa.Conditions) > 0 {
			pa.Conditions = pr.renamedConds(g, i)
		}
	}
	return pa
}

// overflowed keeps of an entry beyond the cap of cell ref what viaAccess
// needs: whether the principal can assume a role (then it reaches the
// bucket itself, not through roles), and of an allowed or conditional
// role that a role or user can assume its ARN, type and verdict; of a
// cell whose Principals are made of its entries (names: a same_account
// or a narrowed org cell), what assumeFindings needs: an allowed or
// conditional role that an outside principal or a service can assume.
func (pr *principalRow) overflowed(graph *AssumeGraph, ref cellRef, cand *principalCand, g *principalGroup, names bool) {
	if cand.kept == 0 {
		cand.kept = keptBits(graph, cand)
	}
	o := &pr.over
	if cand.kept&keptDirect != 0 {
		o.direct[ref.action] = append(o.direct[ref.action], cand.gk)
	}
	v := g.out[ref.action].verdict
	if v != model.VerdictAllow && v != model.VerdictConditional {
		return
	}
	if cand.kept&keptRole != 0 {
		if o.roles == nil {
			o.roles = map[cellRef][]model.PrincipalAccess{}
		}
		o.roles[ref] = append(o.roles[ref], model.PrincipalAccess{ARN: cand.p.ARN, Type: cand.typ, Verdict: v})
	}
	if names && cand.kept&keptOutside != 0 {
		name := cand.p.ARN
		if v == model.VerdictConditional {
			name += " (conditional)"
		}
		if o.outside == nil { // the worker's, emptied for this bucket (principalAccess)
			o.outside = &pr.w.who.outside
		}
		r := outsideSame
		if ref.row == "org" {
			r = outsideOrg
		}
		o.outside[r][ref.action] = append(o.outside[r][ref.action], name)
	}
}

// What overflowed keeps of a candidate beyond a cell's cap (keptBits).
const (
	// keptDirect: it can assume a role (it reaches the bucket itself,
	// not through roles).
	keptDirect uint8 = 1 << iota
	// keptRole: it is a role a role or user can assume (kept when allowed
	// or conditional).
	keptRole
	// keptOutside: it is a role an outside principal or a service can
	// assume (AssumeGraph.reachFrom; kept of a same_account or narrowed
	// org cell when allowed or conditional).
	keptOutside
	// keptKnown marks the bits known (principalCand.kept).
	keptKnown
)

// keptBits says what overflowed keeps of a candidate beyond a cell's cap
// (keptDirect, keptRole, keptOutside; keptKnown set). A root is none of
// them.
func keptBits(graph *AssumeGraph, cand *principalCand) uint8 {
	k := keptKnown
	if cand.typ == model.PrincipalRoot || len(graph.in) == 0 {
		return k
	}
	if len(graph.out[cand.gk]) > 0 {
		k |= keptDirect
	}
	if cand.typ == model.PrincipalRole && len(graph.in[cand.gk]) > 0 {
		if graph.assumableRole(cand.gk) {
			k |= keptRole
		}
		if len(graph.reachFrom(cand.p.ARN)) > 0 {
			k |= keptOutside
		}
	}
	return k
}

// renamedConds returns the conditions of g (decided for another bucket of
// the shape) for action i, with the row's bucket's ARN.
func (pr *principalRow) renamedConds(g *principalGroup, i int) []string {
	if pr.renamed == nil {
		pr.renamed = map[*principalGroup]*[5][]string{}
	}
	r := pr.renamed[g]
	if r == nil {
		r = &[5][]string{}
		pr.renamed[g] = r
	}
	if r[i] == nil {
		r[i] = make([]string, len(g.conds[i]))
		for j, c := range g.conds[i] {
			r[i][j] = strings.ReplaceAll(c, g.arn, pr.bl.ARN)
		}
	}
	return r[i]
}

// intern returns a list equal to l that the cells of this worker share
// (l itself is scratch), of its length and capacity: cells append to
// their lists (viaAccess) without writing into another's. nil when l is
// empty.
func (ws *whoScratch) intern(l []model.PrincipalAccess) []model.PrincipalAccess {
	if len(l) == 0 {
		return nil
	}
	if ws.lists == nil || ws.nlists >= maxInternedAccess {
		ws.lists, ws.more, ws.nlists = map[uint64][]model.PrincipalAccess{}, nil, 0
		if ws.seed == (maphash.Seed{}) {
			ws.seed = maphash.MakeSeed()
		}
	}
	var h maphash.Hash
	h.SetSeed(ws.seed)
	for i := range l { // some of each entry: equal tells
		pa := &l[i]
		h.WriteString(pa.ARN)
		h.WriteString(string(pa.Verdict))
		h.WriteByte(byte(len(pa.Via)))
		h.WriteByte(byte(len(pa.Statements)))
		h.WriteByte(byte(len(pa.Conditions)))
		h.WriteByte(byte(len(pa.Reason)))
	}
	sum := h.Sum64()
	first, ok := ws.lists[sum]
	if ok && slices.EqualFunc(first, l, equalAccess) {
		return first
	}
	for _, have := range ws.more[sum] {
		if slices.EqualFunc(have, l, equalAccess) {
			return have
		}
	}
	own := ws.room(len(l))
	copy(own, l)
	if !ok {
		ws.lists[sum] = own
	} else { // another list of the hash
		if ws.more == nil {
			ws.more = map[uint64][][]model.PrincipalAccess{}
		}
		ws.more[sum] = append(ws.more[sum], own)
	}
	ws.nlists += len(own)
	return own
}

// accessChunk is how many entries intern's lists take their room from at
// once (a list of more has its own).
const accessChunk = 32

// room returns room for an interned list of n entries, of length and
// capacity n: a part of the chunk in use (no list's append writes into
// another's).
func (ws *whoScratch) room(n int) []model.PrincipalAccess {
	if n > accessChunk/2 {
		return make([]model.PrincipalAccess, n)
	}
	if len(ws.chunk)+n > cap(ws.chunk) {
		ws.chunk = make([]model.PrincipalAccess, 0, accessChunk)
	}
	at := len(ws.chunk)
	ws.chunk = ws.chunk[:at+n]
	return ws.chunk[at : at+n : at+n]
}

// maxInternedAccess bounds the entries of the lists a worker interns (a
// streamed report holds none of its buckets).
const maxInternedAccess = 1 << 17

// equalAccess reports whether two principals' entries are equal.
func equalAccess(a, b model.PrincipalAccess) bool {
	return a.ARN == b.ARN && a.Account == b.Account && a.Type == b.Type && a.Verdict == b.Verdict && a.Reason == b.Reason &&
		slices.Equal(a.Via, b.Via) && slices.Equal(a.Statements, b.Statements) && slices.Equal(a.Conditions, b.Conditions)
}

// group returns the group of a candidate: the one decided for a bucket of
// the same shape when its policies' bucket-naming Resource values match
// this bucket alike, or a new one.
func (pr *principalRow) group(cand *principalCand, base func(id string, p *IAMPrincipal) *Caller) *principalGroup {
	w, bl := pr.w, pr.bl
	var key pgroupKey
	if pr.shape != "" && !cand.p.byName && !w.noPrincipalGroups {
		key = pr.shapeGroupKey(cand)
		if g := w.pgroups[key]; g != nil {
			pr.groups[cand.key] = g
			return g
		}
	}
	g := w.gslab.next()
	*g = principalGroup{rep: *cand, arn: bl.ARN, caller: w.caller(cand.ckey, func() *Caller { return base(cand.account, cand.p) })}
	pr.groups[cand.key] = g
	if key.shape != "" {
		if len(w.pgroups) >= maxInterned {
			clear(w.pgroups)
		}
		w.pgroups[key] = g
	}
	return g
}

// groupSlab hands out a worker's principal groups from chunks it reuses
// from one account to the next (a group is 1.2 KB, a few per bucket: made
// new, they were a tenth of the bytes an analysis allocates). No group
// outlives its account's buckets: a row's groups are its own, and those
// kept for the buckets of a shape (worker.pgroups) are dropped with the
// account (worker.startAccount, which resets the slab). Past maxSlabGroups
// groups in one account, the next are allocated on their own.
type groupSlab struct {
	chunks [][]principalGroup
	n      int // the groups handed out since the last reset
}

// groupChunk is the groups of one chunk of a groupSlab, maxSlabGroups the
// most it hands out between resets.
const (
	groupChunk    = 64
	maxSlabGroups = 4096
)

// next returns a group for the caller to set (it may hold another's
// fields).
func (s *groupSlab) next() *principalGroup {
	c, i := s.n/groupChunk, s.n%groupChunk
	if c == len(s.chunks) {
		if c*groupChunk >= maxSlabGroups {
			return new(principalGroup)
		}
		s.chunks = append(s.chunks, make([]principalGroup, groupChunk))
	}
	s.n++
	return &s.chunks[c][i]
}

// reset takes back every group handed out (cleared: they keep nothing
// alive), when none is referenced any more.
func (s *groupSlab) reset() {
	for c := 0; c*groupChunk < s.n; c++ {
		clear(s.chunks[c][:min(groupChunk, s.n-c*groupChunk)])
	}
	s.n = 0
}

// pgroupKey is the key of a group across the buckets of a shape
// (shapeGroupKey).
type pgroupKey struct {
	shape, group string
	named        string // which bucket-naming Resource values match
}

// shapeGroupKey is the key of a group across the buckets of a shape: the
// shape, the group, and which of its policies' bucket-naming Resource
// values match the resources the matrix asks about: the bucket, any
// object of it, an object of each key pattern of its policy (res).
func (pr *principalRow) shapeGroupKey(cand *principalCand) pgroupKey {
	k := pgroupKey{shape: pr.shape, group: cand.key}
	if len(cand.p.named) == 0 {
		return k
	}
	res := pr.res()
	b := pr.buf[:0]
	bits := func(named []*policy.ResourcePattern) {
		for _, q := range named {
			for _, r := range res {
				if q.Matches(r) {
					b = append(b, '+')
				} else {
					b = append(b, '-')
				}
			}
		}
	}
	if cand.dead == 0 {
		bits(cand.p.named)
	} else {
		// The group's principals differ in the policies out of reach: the
		// others' values, policy by policy (those of equal texts alike).
		for j := range cand.p.slots {
			if cand.dead&(1<<j) != 0 {
				b = append(b, 'x')
			} else {
				bits(cand.p.slots[j].named)
			}
			b = append(b, '|')
		}
	}
	k.named = string(b)
	pr.buf = b
	return k
}

// res returns the resources the matrix asks about: the bucket, any object
// of it, and an object of each key pattern of its policy (decideKeys).
func (pr *principalRow) res() []string {
	if !pr.resSet {
		pr.resSet = true
		bl := pr.bl
		pr.resources = append(pr.resources, bl.ARN, bl.anyObject)
		for _, k := range bl.keyPatterns() {
			pr.resources = append(pr.resources, bl.ARN+"/"+exampleKey(k))
		}
	}
	return pr.resources
}

// unlistedReason says which accounts' principals could not be listed.
func unlistedReason(ids, why []string) string {
	byWhy := map[string][]string{}
	var order []string
	for i, id := range ids {
		if byWhy[why[i]] == nil {
			order = append(order, why[i])
		}
		byWhy[why[i]] = append(byWhy[why[i]], id)
	}
	parts := make([]string, 0, len(order))
	for _, y := range order {
		word := "account "
		if len(byWhy[y]) > 1 {
			word = strconv.Itoa(len(byWhy[y])) + " accounts "
		}
		parts = append(parts, word+joinLimited(byWhy[y], 3)+" ("+y+")")
	}
	return "the principals could not be listed for " + strings.Join(parts, ", ")
}

// refString names one statement as reasons do.
func refString(r policy.StatementRef) string {
	if r.Index < 0 {
		return r.Policy
	}
	if r.Sid != "" {
		if plainQuoted(r.Sid) { // strconv.Quote adds the quotes only
			return r.Policy + " statement \"" + r.Sid + "\""
		}
		return r.Policy + " statement " + strconv.Quote(r.Sid)
	}
	return r.Policy + " statement #" + strconv.Itoa(r.Index)
}

// plainQuoted reports whether strconv.Quote(s) is s between double quotes:
// s is printable ASCII without a double quote or a backslash.
func plainQuoted(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// renameRefs names a group's deciding statements for one of its
// principals: the representative's identity policies are the principal's
// own (the group's principals have the same policies by content).
func renameRefs(refs []policy.StatementRef, rep, p *IAMPrincipal) []string {
	if len(refs) == 0 {
		return nil
	}
	out := make([]string, 0, len(refs))
	seen := map[string]bool{}
	for _, r := range refs {
		switch {
		case p.fp == "root" && r.Layer == policy.LayerIdentity:
			// The assumed identity grant is what a root has.
			r = policy.StatementRef{Policy: "the account root's own permissions", Index: -1, Layer: r.Layer}
		case rep != p:
			r.Policy = renamePolicy(r.Policy, rep, p)
		}
		s := refString(r)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// maxRefNames bounds worker.refNames: the lists that repeat are those of
// one bucket's groups and actions, and, as their statements are named
// alike, of the other buckets' (the bucket policy is "the bucket policy",
// an org plan's groups are decided for the same representatives).
const maxRefNames = 1 << 12

// ownNames is renameRefs(refs, rep, rep), made once per list of refs by
// what renameRefs reads of it (refNamesKey): a bucket's groups and actions
// are often decided by the same statements, and so are the other
// buckets'.
func (w *worker) ownNames(refs []policy.StatementRef, rep *IAMPrincipal) []string {
	if len(refs) == 0 {
		return nil
	}
	w.refKey = refNamesKey(w.refKey[:0], refs, rep.fp == "root")
	if l, ok := w.refNames[string(w.refKey)]; ok {
		if w.checkMemos && !slices.Equal(l, renameRefs(refs, rep, rep)) {
			w.memoFaults.Add(1) // the list handed out was modified
		}
		return l
	}
	l := renameRefs(refs, rep, rep)
	if w.refNames == nil || len(w.refNames) >= maxRefNames {
		w.refNames = map[string][]string{}
	}
	w.refNames[string(w.refKey)] = l
	return l
}

// refNamesKey appends to b the key of renameRefs(refs, rep, rep) for a
// root (root) or another principal: of each statement, what renameRefs
// reads (its layer, index, policy and Sid), the strings with their
// lengths.
func refNamesKey(b []byte, refs []policy.StatementRef, root bool) []byte {
	if root {
		b = append(b, 'r')
	}
	for i := range refs {
		r := &refs[i]
		b = append(b, byte(r.Layer))
		b = binary.AppendVarint(b, int64(r.Index))
		b = binary.AppendUvarint(b, uint64(len(r.Policy)))
		b = append(b, r.Policy...)
		b = binary.AppendUvarint(b, uint64(len(r.Sid)))
		b = append(b, r.Sid...)
	}
	return b
}

// sameNames reports whether renameRefs(refs, rep, p) names the statements
// as renameRefs(refs, rep, rep) does: every policy they name is p's too
// (a managed policy both have), and neither is a root.
func sameNames(refs []policy.StatementRef, rep, p *IAMPrincipal) bool {
	if p.fp == "root" || rep.fp == "root" {
		return false
	}
	for _, r := range refs {
		if renamePolicy(r.Policy, rep, p) != r.Policy {
			return false
		}
	}
	return true
}

// renamePolicy maps a policy name of rep to p's policy at the same place.
func renamePolicy(name string, rep, p *IAMPrincipal) string {
	for i, ip := range rep.Identity {
		if ip.Name == name && i < len(p.Identity) {
			return p.Identity[i].Name
		}
	}
	if rep.Boundary != nil && rep.Boundary.Name == name && p.Boundary != nil {
		return p.Boundary.Name
	}
	return name
}

// renamePrincipal rewrites a reason of rep for p.
func renamePrincipal(s string, rep, p *IAMPrincipal) string {
	if rep == p {
		return s
	}
	for i, ip := range rep.Identity {
		if i < len(p.Identity) {
			s = strings.ReplaceAll(s, ip.Name, p.Identity[i].Name)
		}
	}
	return strings.ReplaceAll(s, rep.ARN, p.ARN)
}

// principalCaller is the caller of an IAM principal (or root) of account
// id: its own policies (a root's nil: every permission of its account).
func (w *worker) principalCaller(id string, p *IAMPrincipal, inOrg Tri, orgID string) *Caller {
	c := &Caller{Principal: p.ARN, Account: id, InOrg: inOrg, OrgID: orgID, OrgPath: w.ix.OrgPath(id), SCPs: w.ix.SCPs(id),
		Boundary: p.Boundary, Label: p.ARN, TagsKnown: true, PrincipalTags: p.Tags}
	if p.fp != "root" {
		// Non-nil: its own policies (the principal's list, read only, no
		// room to append to).
		c.Identity = p.Identity[:len(p.Identity):len(p.Identity)]
		if c.Identity == nil {
			c.Identity = []*policy.Policy{}
		}
	}
	return c
}

// principalAccess fills the principal lists of a bucket's same_account,
// org and external rows, and the Principals of its same_account cells and
// of its org cells narrowed to named principals (finishCell). It returns,
// by row (outsideSame, outsideOrg) and action, the roles the cap left out
// of those Principals that assumeFindings needs (overflow.outside; nil
// when none).
//
// A same_account cell that lists no principals has no Principals: one
// denied or unknown (listedCells), or one of an owner whose IAM was not
// collected or could not be read (its PrincipalsUnlisted and reason name
// the owner, Index.unlisted).
//
// Without the other member accounts of the owner's organisation
// (othersUnknown) no org cell is listed: none is allowed or conditional
// then (the unread SCPs of the others leave it unknown at best), so none
// lacks its Principals.
func (w *worker) principalAccess(bl *BucketLayers, shape string, bm *bucketMatrix, acc *model.Access) *[2][5][]string {
	pr := w.newPrincipalRow(bl, shape)
	pr.bm = bm
	defer func() { pr.bl, pr.bm, pr.over = nil, nil, overflow{} }() // keep no bucket's layers alive
	for r := range w.who.outside {
		for i := range w.who.outside[r] {
			clear(w.who.outside[r][i]) // keep no bucket's strings alive
			w.who.outside[r][i] = w.who.outside[r][i][:0]
		}
	}
	owner := bl.Account.ID
	cellsOf := func(a *model.Actions) []*model.Cell {
		return []*model.Cell{&a.Read, &a.List, &a.Write, &a.Delete, &a.Manage}
	}
	pr.list("same", cellsOf(&acc.SameAccount), []string{owner}, true, func(id string, p *IAMPrincipal) *Caller {
		return w.principalCaller(id, p, bm.sameC.InOrg, bm.sameC.OrgID)
	})
	if w.ix.othersUnknown(owner) == "" {
		pr.listOrg(cellsOf(&acc.Org), bm, func(id string, p *IAMPrincipal) *Caller {
			return w.principalCaller(id, p, TriTrue, "")
		})
	}
	for _, id := range bm.extOrder {
		if strings.HasPrefix(id, "canonical:") {
			continue
		}
		e := acc.External[id]
		pr.list(id, cellsOf(&e.Actions), []string{id}, false, func(id string, p *IAMPrincipal) *Caller {
			inOrg, orgID := TriFalse, ""
			if w.ix.OrgID == "" {
				orgID, inOrg = w.ix.MemberOf(id)
			}
			return w.principalCaller(id, p, inOrg, orgID)
		})
		acc.External[id] = e
	}
	w.viaAccess(acc, &pr.over)
	return pr.over.outside
}

// maxViaPerCell bounds the principals a cell lists through roles; the
// cell's reason counts those left out.
const maxViaPerCell = 50

// viaAccess adds to the cells' principal lists the IAM roles and users of
// the scanned accounts that do not reach the bucket themselves (for the
// action, in any class) but can assume, in at most MaxAssumeHops hops of
// the assume-role graph, a role a cell lists as allowed or conditional:
// the request is then the role's, so the principal is listed in that
// role's cell with Via the roles hopped through (the last is the role that
// acts) and the weakest verdict along the path (a conditional hop makes it
// conditional; one whose path has an unknown hop is not listed but named
// in the cell's reason as unknown). A principal is listed once per
// action: through the first role (cells in class order, roles in list
// order, paths shortest first) that gives its strongest verdict.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage-assume.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles.html#iam-term-role-chaining
//
// Cells capped at principalsPerCell are decided as the whole lists would
// be, from what over keeps of their unlisted entries; the principals
// through roles come after the cell's own, so beyond the cap they are
// counted in PrincipalsTotal.
func (w *worker) viaAccess(acc *model.Access, over *overflow) {
	g := w.ix.AssumeGraph()
	if len(g.in) == 0 {
		return
	}
	rows := []*model.Actions{&acc.SameAccount, &acc.Org}
	refs := []string{"same", "org"}
	ext := make([]string, 0, len(acc.External))
	for id := range acc.External {
		ext = append(ext, id)
	}
	sort.Strings(ext)
	exts := make([]model.ExternalActions, len(ext))
	for j, id := range ext {
		exts[j] = acc.External[id]
		rows = append(rows, &exts[j].Actions)
		refs = append(refs, id)
	}
	arns := map[string]string{} // node key → ARN
	// An action's cells and each cell's unlisted roles (every entry set
	// for each action).
	// (Room for a few rows on the stack: most buckets name no external
	// account, or one or two.)
	var cellRoom [4]*model.Cell
	var roleRoom [4][]model.PrincipalAccess
	cells, roles := cellRoom[:], roleRoom[:]
	if len(rows) > len(cellRoom) {
		cells, roles = make([]*model.Cell, len(rows)), make([][]model.PrincipalAccess, len(rows))
	}
	cells, roles = cells[:len(rows)], roles[:len(rows)]
	for i := range MatrixActions() {
		for r, a := range rows {
			cells[r] = a.Cells()[i]
			roles[r] = over.roles[cellRef{refs[r], i}]
		}
		if !g.assumable(cells, roles) {
			continue // nobody reaches a listed role
		}
		direct := map[string]bool{}
		for _, c := range cells {
			for _, p := range c.PrincipalAccess {
				direct[granteeKey(p.ARN)] = true
			}
		}
		for _, k := range over.direct[i] {
			direct[k] = true
		}
		// The best path of each principal; its entry is built only when listed.
		type viaEntry struct {
			cell    *model.Cell
			path    AssumePath
			role    model.PrincipalAccess
			verdict model.Verdict
		}
		best := map[string]*viaEntry{}
		var order []string
		for r, c := range cells {
			for _, role := range concatIter(c.PrincipalAccess, roles[r]) {
				if role.Type != model.PrincipalRole || (role.Verdict != model.VerdictAllow && role.Verdict != model.VerdictConditional) {
					continue
				}
				key := granteeKey(role.ARN)
				ps := g.pathsTo(key)
				for _, p := range ps {
					n := g.nodes[p.Start()]
					if (n.Kind != NodeRole && n.Kind != NodeUser && n.Kind != NodeFederated) || direct[n.ID] {
						continue
					}
					v := p.Verdict
					if verdictRank(role.Verdict) < verdictRank(v) {
						v = role.Verdict
					}
					if e := best[n.ID]; e == nil {
						best[n.ID] = &viaEntry{cell: c, path: p, role: role, verdict: v}
						order = append(order, n.ID)
					} else if verdictRank(v) > verdictRank(e.verdict) {
						e.cell, e.path, e.role, e.verdict = c, p, role, v
					}
				}
			}
		}
		added, left := map[*model.Cell]int{}, map[*model.Cell]int{}
		unknown := map[*model.Cell][]string{}
		for _, id := range order {
			e := best[id]
			if e.verdict == model.VerdictUnknown {
				// Not listed: the cell's reason names them as unknown.
				unknown[e.cell] = append(unknown[e.cell], w.nodeARN(g.nodes[id], arns))
				continue
			}
			if added[e.cell] == maxViaPerCell {
				left[e.cell]++
				continue
			}
			added[e.cell]++
			if c := e.cell; w.principalsPerCell > 0 && len(c.PrincipalAccess) >= w.principalsPerCell {
				// Beyond the cap: counted only.
				c.PrincipalsTotal = max(c.PrincipalsTotal, len(c.PrincipalAccess)) + 1
				continue
			}
			e.cell.PrincipalAccess = append(e.cell.PrincipalAccess, w.viaPrincipal(g, e.path, &e.role, arns))
		}
		for _, c := range cells {
			if n := left[c]; n > 0 {
				c.Reason += "; " + strconv.Itoa(n) + " more principals reach it through roles (not listed)"
			}
			if u := unknown[c]; len(u) > 0 {
				c.Reason += "; unknown whether " + strconv.Itoa(len(u)) + " more principals reach it through roles (" +
					joinLimited(u, 3) + "): a trust or identity policy on the way could not be read"
			}
		}
	}
	for j, id := range ext {
		acc.External[id] = exts[j]
	}
}

// assumable reports whether an IAM role or user of the scanned accounts,
// or a federated identity provider, can assume (in at most MaxAssumeHops
// hops) a role a cell lists as allowed or conditional (or would list but
// for the cap: roles, by cell): the principals viaAccess lists.
func (g *AssumeGraph) assumable(cells []*model.Cell, roles [][]model.PrincipalAccess) bool {
	for r, c := range cells {
		for _, role := range concatIter(c.PrincipalAccess, roles[r]) {
			if role.Type != model.PrincipalRole || (role.Verdict != model.VerdictAllow && role.Verdict != model.VerdictConditional) {
				continue
			}
			if g.assumableRole(granteeKey(role.ARN)) {
				return true
			}
		}
	}
	return false
}

// assumableRole reports whether an IAM role or user of the scanned
// accounts, or a federated identity provider, can assume (in at most
// MaxAssumeHops hops) the role of key.
func (g *AssumeGraph) assumableRole(key string) bool {
	for _, p := range g.pathsTo(key) {
		if n := g.nodes[p.Start()]; n.Kind == NodeRole || n.Kind == NodeUser || n.Kind == NodeFederated {
			return true
		}
	}
	return false
}

// concatIter yields the entries of a, then those of b (without copying
// them).
func concatIter(a, b []model.PrincipalAccess) iter.Seq2[int, model.PrincipalAccess] {
	return func(yield func(int, model.PrincipalAccess) bool) {
		for i, p := range a {
			if !yield(i, p) {
				return
			}
		}
		for i, p := range b {
			if !yield(len(a)+i, p) {
				return
			}
		}
	}
}

// viaPrincipal is the entry of the principal starting path p, which ends
// at the listed role: the role's statements and conditions with the trust
// policies and conditions of the hops.
func (w *worker) viaPrincipal(g *AssumeGraph, p AssumePath, role *model.PrincipalAccess, arns map[string]string) model.PrincipalAccess {
	start := w.nodeARN(g.nodes[p.Start()], arns)
	pa := model.PrincipalAccess{ARN: start, Account: arnAccount(start), Type: principalType(start),
		Verdict: weakest(append(append([]AssumeEdge(nil), p.Hops...), AssumeEdge{Verdict: role.Verdict}))}
	if g.nodes[p.Start()].Kind == NodeFederated {
		pa.Type = model.PrincipalFederated // federated.go
	}
	for k, h := range p.Hops {
		to := role.ARN
		if k < len(p.Hops)-1 {
			to = w.nodeARN(g.nodes[h.To], arns)
		}
		pa.Via = append(pa.Via, to)
		pa.Statements = append(pa.Statements, "trust policy of "+to)
	}
	pa.Statements = append(pa.Statements, role.Statements...)
	// Every hop's conditions must hold, and one of the role's alternatives.
	var hops []string
	for k, h := range p.Hops {
		if len(h.Conditions) > 0 {
			hops = append(hops, "assuming "+pa.Via[k]+" ("+strings.Join(h.Conditions, "; ")+")")
		}
	}
	switch {
	case len(role.Conditions) > 0:
		for _, a := range role.Conditions {
			pa.Conditions = append(pa.Conditions, strings.Join(append(hops[:len(hops):len(hops)], a), " and "))
		}
	case len(hops) > 0:
		pa.Conditions = []string{strings.Join(hops, " and ")}
	}
	return pa
}

// nodeARN returns the ARN of a graph node of the scanned accounts (a
// role's key drops its path).
func (w *worker) nodeARN(n *AssumeNode, arns map[string]string) string {
	if n.Kind != NodeRole {
		return n.ID
	}
	if a, ok := arns[n.ID]; ok {
		return a
	}
	a := n.ID
	for _, q := range w.ix.Principals(n.Account) {
		if granteeKey(q.ARN) == n.ID {
			a = q.ARN
			break
		}
	}
	arns[n.ID] = a
	return a
}

// fingerprint is the key of a principal's policies by content, its tags
// and type.
func fingerprint(arn string, raws []string, tags map[string]string) string {
	var room [1024]byte // most principals' policies are short
	_, fp := appendFingerprint(room[:0], arn, raws, tags)
	return fp
}

// appendFingerprint returns fingerprint(arn, raws, tags), and b (scratch,
// grown once to what is hashed) holding what it hashed: a hash.Hash's
// Write copied every string to the heap.
func appendFingerprint(b []byte, arn string, raws []string, tags map[string]string) ([]byte, string) {
	typ := principalType(arn)
	n := len(typ)
	for _, r := range raws {
		n += 1 + len(r)
	}
	for k, v := range tags {
		n += 2 + len(k) + len(v)
	}
	b = append(slices.Grow(b[:0], n), typ...)
	for _, r := range raws {
		b = append(append(b, 0), r...)
	}
	for _, k := range sortedKeys(tags) {
		b = append(append(append(append(b, 1), k...), 2), tags[k]...)
	}
	sum := sha256.Sum256(b)
	return b, string(sum[:])
}

// fieldIAM is the Account.Errors key of IAM that could not be read.
const fieldIAM = "iam"
