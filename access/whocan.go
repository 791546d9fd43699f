package access

import (
	"crypto/sha256"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
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
// matches alike (principalKey).

// principalCand is one principal a row's cells may list.
type principalCand struct {
	p       *IAMPrincipal
	account string
	typ     string
	key     string // its group (principalKey)
	ckey    string // its caller's key (worker.caller)
}

// principalGroup is the principals decided alike, decided once per action.
type principalGroup struct {
	rep     *principalCand
	arn     string // the bucket decided (a group reused for a bucket of the same shape names another)
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
	w    *worker
	bl   *BucketLayers
	vals []string // the bucket side's principal-naming values
	// chainVals caches the SCP chains' principal-naming values by key.
	chainVals map[string][]string
	byName    bool     // a principal-naming value holds a policy variable
	lvals     []string // vals lowered
	partition string   // the bucket's partition ("" until needed)
	// resources are the resources the matrix asks about (shapeGroupKey).
	resources []string
	buf       []byte            // scratch of the keys
	scratch   []PrincipalAccess // scratch of a cell's list
	groups    map[string]*principalGroup
	// shape is the bucket's shape key ("" when its matrix is its own):
	// buckets of one shape decide the groups alike, up to the Resource
	// values of the groups' policies that name buckets (shapeGroupKey).
	shape string
}

func (w *worker) newPrincipalRow(bl *BucketLayers, shape string) *principalRow {
	pr := &principalRow{w: w, bl: bl, chainVals: map[string][]string{}, groups: map[string]*principalGroup{}, shape: shape}
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
			switch strings.ToLower(c.Key) {
			case "aws:principalarn", "aws:principalaccount", "kms:calleraccount", "aws:userid", "aws:username", "aws:sourcevpce":
				for _, v := range c.Values {
					set[v] = true
					byName = byName || strings.Contains(v, "${")
				}
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
// and seven bits) a value.
func signature(b []byte, vals, lvals []string, ps *principalStatic, account, canonicalVal string) []byte {
	for j, v := range vals {
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
// account id (it keeps at most maxInterned).
func (w *worker) principalStatic(p *IAMPrincipal, id string, chain Chain, cv *chainValues, canonical string) *principalStatic {
	if ps := w.pstatic[p]; ps != nil {
		return ps
	}
	ps := &principalStatic{arn: p.ARN, larn: strings.ToLower(p.ARN), gk: granteeKey(p.ARN)}
	ps.lgk = strings.ToLower(ps.gk)
	head := p.fp + "\x00" + chain.Key + "\x00" + w.ix.OrgPath(id) + "\x00"
	ps.alone = head + p.ARN
	ps.ckey = "pa|" + p.ARN
	b := []byte(head)
	b = signature(b, cv.vals, cv.lvals, ps, id, canonical)
	b = signature(b, p.vals, lowerAll(p.vals), ps, id, canonical)
	ps.own = string(b)
	if len(w.pstatic) >= maxInterned { // many principals: start afresh
		clear(w.pstatic)
	}
	w.pstatic[p] = ps
	return ps
}

// candidates returns the principals of account id the row may list: its
// IAM roles and users that could be allowed (sameAccount: also those the
// bucket's own policy or ACL could grant), and its root.
func (pr *principalRow) candidates(id string, sameAccount bool) []principalCand {
	bl, w := pr.bl, pr.w
	ix := w.ix
	all, named := false, map[string]bool(nil)
	if sameAccount {
		all, named = bl.directGrantees()
	}
	chain := ix.SCPs(id)
	cv := w.chainValues(chain)
	if _, ok := pr.chainVals[chain.Key]; !ok {
		pr.chainVals[chain.Key] = cv.vals
		pr.byName = pr.byName || cv.byName
	}
	canonical := "" // the value naming its canonical ID
	if a := ix.Account(id); a != nil && a.CanonicalID != "" {
		canonical = "canonical:" + a.CanonicalID
	}
	ps := ix.Principals(id)
	out := make([]principalCand, 0, len(ps)+1)
	statics := make([]*principalStatic, 0, len(ps)+1)
	for i := range ps {
		p := &ps[i]
		st := w.principalStatic(p, id, chain, cv, canonical)
		if all || named[st.gk] || (p.s3 && mayReachBucket(p.Identity, bl.Bucket.Name)) {
			out = append(out, principalCand{p: p, account: id, typ: principalType(p.ARN)})
			statics = append(statics, st)
		}
	}
	if pr.partition == "" {
		pr.partition = "aws"
		if a, err := awsid.Parse(bl.ARN); err == nil {
			pr.partition = a.Partition
		}
	}
	root := w.root(pr.partition, id)
	out = append(out, principalCand{p: root, account: id, typ: PrincipalRoot})
	statics = append(statics, w.principalStatic(root, id, chain, cv, canonical))
	if pr.lvals == nil {
		pr.lvals = lowerAll(pr.vals)
	}
	for i := range out {
		c, st := &out[i], statics[i]
		c.ckey = st.ckey
		if pr.byName || c.p.byPrincipal || w.noPrincipalGroups {
			c.key = st.alone // decided on its own
			continue
		}
		pr.buf = signature(append(pr.buf[:0], st.own...), pr.vals, pr.lvals, st, id, canonical)
		c.key = string(pr.buf)
	}
	return out
}

// principalType returns the PrincipalAccess type of an IAM ARN.
func principalType(arn string) string {
	if strings.Contains(arn, ":user/") {
		return PrincipalUser
	}
	return PrincipalRole
}

// root returns account id's root user as a principal (the worker's, one
// per partition and account): no identity policy (a root has every
// permission of its account), no boundary, no tags.
func (w *worker) root(partition, id string) *IAMPrincipal {
	k := [2]string{partition, id}
	if p := w.roots[k]; p != nil {
		return p
	}
	p := &IAMPrincipal{ARN: "arn:" + partition + ":iam::" + id + ":root", fp: "root"}
	w.roots[k] = p
	return p
}

// list fills the cells' principal lists for the principals of accounts
// (sameAccount: the bucket's own); base makes the caller of a principal.
// Cells that are denied list none; accounts whose IAM was not collected
// are named in PrincipalsUnlisted and the cell's reason.
func (pr *principalRow) list(cells []*Cell, accounts []string, sameAccount bool, base func(id string, p *IAMPrincipal) *Caller) {
	var todo []int
	for i, c := range cells {
		if c.Verdict == VerdictAllow || c.Verdict == VerdictConditional {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return
	}
	var cands []principalCand
	var unlisted, why []string
	for _, id := range accounts {
		a := pr.w.ix.Account(id)
		switch {
		case a == nil:
			unlisted, why = append(unlisted, id), append(why, "not scanned")
			continue
		case a.IAM == nil && a.Errors.Has(fieldIAM):
			unlisted, why = append(unlisted, id), append(why, "IAM not read: "+errorCode(a.Errors[fieldIAM]))
			continue
		case a.IAM == nil:
			unlisted, why = append(unlisted, id), append(why, "IAM not collected")
			continue
		}
		cands = append(cands, pr.candidates(id, sameAccount)...)
	}
	bl := pr.bl
	defer func() { bl.quiet = false }()
	actions := MatrixActions()
	for _, i := range todo {
		c := cells[i]
		list := pr.scratch[:0]
		for ci := range cands {
			cand := &cands[ci]
			g := pr.groups[cand.key]
			if g == nil {
				g = pr.group(cand, base)
			}
			if !g.decided[i] {
				g.decided[i] = true
				// Decided once, with its reason (the engine's work is the
				// same quiet or not); the statements only of those listed.
				bl.quiet = false
				if g.out[i] = bl.decide(g.caller, actions[i], ""); g.out[i].verdict == VerdictDeny {
					g.out[i] = outcome{verdict: VerdictDeny} // nothing of it is listed
					continue
				}
				if g.out[i].verdict == VerdictConditional {
					g.conds[i], _ = g.out[i].alts.cellConditions()
				}
				g.stmts[i] = renameRefs(g.out[i].refs, g.rep.p, g.rep.p)
				for _, r := range g.out[i].refs {
					// A root's own permissions are every root's.
					g.personal[i] = g.personal[i] || (g.rep.p.fp != "root" && (r.Layer == policy.LayerIdentity || r.Layer == policy.LayerBoundary))
				}
			}
			o := &g.out[i]
			if o.verdict == VerdictDeny {
				continue
			}
			pa := PrincipalAccess{ARN: cand.p.ARN, Account: cand.account, Type: cand.typ, Verdict: o.verdict,
				Statements: g.stmts[i], Conditions: g.conds[i]}
			if g.personal[i] && cand.p != g.rep.p {
				pa.Statements = renameRefs(o.refs, g.rep.p, cand.p)
			}
			if o.verdict == VerdictUnknown {
				pa.Reason = renamePrincipal(o.reason, g.rep.p, cand.p)
			}
			if g.arn != bl.ARN { // decided for another bucket of the shape
				pa.Reason = strings.ReplaceAll(pa.Reason, g.arn, bl.ARN)
				if len(pa.Conditions) > 0 {
					pa.Conditions = make([]string, len(g.conds[i]))
					for j, c := range g.conds[i] {
						pa.Conditions[j] = strings.ReplaceAll(c, g.arn, bl.ARN)
					}
				}
			}
			list = append(list, pa)
		}
		pr.scratch = list
		list = nil
		if len(pr.scratch) > 0 { // the cell's own, of its size
			list = slices.Clone(pr.scratch)
		}
		c.PrincipalAccess = list
		ids, whys := unlisted, why
		if len(c.Accounts) > 0 { // only these of the class are allowed
			ids, whys = nil, nil
			for j, id := range unlisted {
				if slices.Contains(c.Accounts, id) {
					ids, whys = append(ids, id), append(whys, why[j])
				}
			}
		}
		switch {
		case len(ids) > 0:
			c.PrincipalsUnlisted = pr.w.internList("u", ids)
			c.Reason += "; " + unlistedReason(ids, whys)
		case len(list) == 0:
			// The class answer assumes an identity grant none of them has.
			c.Reason += "; yet no role, user or root of the scanned accounts can, each decided with its own policies"
		}
	}
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
	g := &principalGroup{rep: cand, arn: bl.ARN, caller: w.caller(cand.ckey, func() *Caller { return base(cand.account, cand.p) })}
	pr.groups[cand.key] = g
	if key.shape != "" {
		if len(w.pgroups) >= maxInterned {
			clear(w.pgroups)
		}
		w.pgroups[key] = g
	}
	return g
}

// pgroupKey is the key of a group across the buckets of a shape
// (shapeGroupKey).
type pgroupKey struct {
	shape, group string
	named        string // which bucket-naming Resource values match
}

// shapeGroupKey is the key of a group across the buckets of a shape: the
// shape, the group, and which of its policies' bucket-naming Resource
// values match the resources the matrix asks about (as principalsKey).
func (pr *principalRow) shapeGroupKey(cand *principalCand) pgroupKey {
	k := pgroupKey{shape: pr.shape, group: cand.key}
	if len(cand.p.named) > 0 {
		bl := pr.bl
		if pr.resources == nil {
			pr.resources = []string{bl.ARN, bl.ARN + "/" + anyKey}
			for _, k := range bl.keyPatterns() {
				pr.resources = append(pr.resources, bl.ARN+"/"+exampleKey(k))
			}
		}
		b := pr.buf[:0]
		for _, q := range cand.p.named {
			for _, res := range pr.resources {
				if q.Matches(res) {
					b = append(b, '+')
				} else {
					b = append(b, '-')
				}
			}
		}
		k.named = string(b)
		pr.buf = b
	}
	return k
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
		return r.Policy + " statement " + strconv.Quote(r.Sid)
	}
	return r.Policy + " statement #" + strconv.Itoa(r.Index)
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
		c.Identity = append([]*policy.Policy{}, p.Identity...) // non-nil: its own policies
	}
	return c
}

// principalAccess fills the principal lists of a bucket's same_account,
// org and external rows.
func (w *worker) principalAccess(bl *BucketLayers, shape string, bm *bucketMatrix, acc *Access) {
	pr := w.newPrincipalRow(bl, shape)
	owner := bl.Account.ID
	cellsOf := func(a *Actions) []*Cell {
		return []*Cell{&a.Read, &a.List, &a.Write, &a.Delete, &a.Manage}
	}
	pr.list(cellsOf(&acc.SameAccount), []string{owner}, true, func(id string, p *IAMPrincipal) *Caller {
		return w.principalCaller(id, p, bm.sameC.InOrg, bm.sameC.OrgID)
	})
	if w.ix.othersUnknown(owner) == "" {
		others := make([]string, 0, len(w.members))
		for _, id := range w.members {
			if id != owner {
				others = append(others, id)
			}
		}
		pr.list(cellsOf(&acc.Org), others, false, func(id string, p *IAMPrincipal) *Caller {
			return w.principalCaller(id, p, TriTrue, "")
		})
	}
	for _, id := range bm.extOrder {
		if strings.HasPrefix(id, "canonical:") {
			continue
		}
		e := acc.External[id]
		pr.list(cellsOf(&e.Actions), []string{id}, false, func(id string, p *IAMPrincipal) *Caller {
			inOrg, orgID := TriFalse, ""
			if w.ix.OrgID == "" {
				orgID, inOrg = w.ix.MemberOf(id)
			}
			return w.principalCaller(id, p, inOrg, orgID)
		})
		acc.External[id] = e
	}
	w.viaAccess(acc)
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
func (w *worker) viaAccess(acc *Access) {
	g := w.ix.AssumeGraph()
	if len(g.in) == 0 {
		return
	}
	rows := []*Actions{&acc.SameAccount, &acc.Org}
	ext := make([]string, 0, len(acc.External))
	for id := range acc.External {
		ext = append(ext, id)
	}
	sort.Strings(ext)
	exts := make([]ExternalActions, len(ext))
	for j, id := range ext {
		exts[j] = acc.External[id]
		rows = append(rows, &exts[j].Actions)
	}
	paths := map[string][]AssumePath{} // by role key, for the bucket's actions
	arns := map[string]string{}        // node key → ARN
	for i := range MatrixActions() {
		cells := make([]*Cell, len(rows))
		direct := map[string]bool{}
		for r, a := range rows {
			cells[r] = a.cells()[i]
			for _, p := range cells[r].PrincipalAccess {
				direct[granteeKey(p.ARN)] = true
			}
		}
		// The best path of each principal; its entry is built only when listed.
		type viaEntry struct {
			cell    *Cell
			path    AssumePath
			role    PrincipalAccess
			verdict Verdict
		}
		best := map[string]*viaEntry{}
		var order []string
		for _, c := range cells {
			for _, role := range c.PrincipalAccess {
				if role.Type != PrincipalRole || (role.Verdict != VerdictAllow && role.Verdict != VerdictConditional) {
					continue
				}
				key := granteeKey(role.ARN)
				ps, ok := paths[key]
				if !ok {
					ps = g.Paths(key, MaxAssumeHops)
					paths[key] = ps
				}
				for _, p := range ps {
					n := g.nodes[p.Start()]
					if (n.Kind != NodeRole && n.Kind != NodeUser) || direct[n.ID] {
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
		added, left := map[*Cell]int{}, map[*Cell]int{}
		unknown := map[*Cell][]string{}
		for _, id := range order {
			e := best[id]
			if e.verdict == VerdictUnknown {
				// Not listed: the cell's reason names them as unknown.
				unknown[e.cell] = append(unknown[e.cell], w.nodeARN(g.nodes[id], arns))
				continue
			}
			if added[e.cell] == maxViaPerCell {
				left[e.cell]++
				continue
			}
			added[e.cell]++
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

// viaPrincipal is the entry of the principal starting path p, which ends
// at the listed role: the role's statements and conditions with the trust
// policies and conditions of the hops.
func (w *worker) viaPrincipal(g *AssumeGraph, p AssumePath, role *PrincipalAccess, arns map[string]string) PrincipalAccess {
	start := w.nodeARN(g.nodes[p.Start()], arns)
	pa := PrincipalAccess{ARN: start, Account: arnAccount(start), Type: principalType(start),
		Verdict: weakest(append(append([]AssumeEdge(nil), p.Hops...), AssumeEdge{Verdict: role.Verdict}))}
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
	h := sha256.New()
	h.Write([]byte(principalType(arn)))
	for _, r := range raws {
		h.Write([]byte{0})
		h.Write([]byte(r))
	}
	for _, k := range sortedKeys(tags) {
		h.Write([]byte{1})
		h.Write([]byte(k))
		h.Write([]byte{2})
		h.Write([]byte(tags[k]))
	}
	return string(h.Sum(nil))
}

// fieldIAM is the Account.Errors key of IAM that could not be read.
const fieldIAM = "iam"
