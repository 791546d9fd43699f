package access

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/policy"
)

// MatrixActions returns the matrix's columns (S3 actions), in report order.
func MatrixActions() [5]string {
	return [5]string{ActionRead, ActionList, ActionWrite, ActionDelete, ActionManage}
}

// ActionNames returns the columns' keys in report.json, in report order.
func ActionNames() [5]string { return [5]string{"read", "list", "write", "delete", "manage"} }

// row is one class's outcomes, one per matrix action.
type row [5]outcome

func (r *row) actions() Actions {
	return Actions{Read: r[0].cell(), List: r[1].cell(), Write: r[2].cell(), Delete: r[3].cell(), Manage: r[4].cell()}
}

// orgGroup is a set of member accounts governed by the same SCP chain.
type orgGroup struct {
	key      string
	chain    Chain
	accounts []string // sorted
	orgPath  string   // common aws:PrincipalOrgPaths, "" when they differ
}

// matrixer computes bucket matrices; it holds what every bucket shares.
type matrixer struct {
	ix      *Index
	trusted map[string]string
	members []string // active member accounts, sorted
	groups  []orgGroup
}

func newMatrixer(ix *Index, trusted map[string]string) *matrixer {
	m := &matrixer{ix: ix, trusted: trusted}
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
	return m
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
}

// orgCell aggregates the org class over the member accounts.
type orgCell struct {
	out      outcome
	allowed  []string // accounts allowed (or conditionally allowed, for a conditional cell)
	total    int
	blocked  []orgPart // parts denied by an SCP or RCP that the bucket policy grants
	accounts []string  // set when fewer than all are allowed
}

// orgPart is one group's (or account's) outcome.
type orgPart struct {
	accounts []string
	out      outcome
	caller   *Caller
}

// compute fills every row of the bucket's matrix.
func (m *matrixer) compute(bl *BucketLayers) *bucketMatrix {
	bm := &bucketMatrix{bl: bl, external: map[string]row{}, callers: map[string]*Caller{}}
	owner := bl.Account.ID
	names := m.namedAccounts(bl)
	var externals, namedMembers []string
	for _, id := range names {
		switch {
		case id == owner:
		case strings.HasPrefix(id, "canonical:"):
			externals = append(externals, id)
		case m.ix.InOrg(id):
			namedMembers = append(namedMembers, id)
		default:
			externals = append(externals, id)
		}
	}
	known := append(append(append([]string(nil), m.members...), externals...), owner)
	notKnown := make([]string, 0, len(known))
	for _, id := range known {
		if !strings.HasPrefix(id, "canonical:") {
			notKnown = append(notKnown, id)
		}
	}

	public := &Caller{Principal: "anonymous", InOrg: TriFalse, Label: "anonymous callers"}
	bm.public = m.row(bl, public)
	anyAWS := &Caller{NotAccounts: notKnown, InOrg: TriFalse, Label: "principals of any other AWS account"}
	bm.anyAWS = m.row(bl, anyAWS)

	for _, id := range externals {
		c := &Caller{Account: id, InOrg: TriFalse, Label: "principals of account " + id}
		if strings.HasPrefix(id, "canonical:") {
			c = &Caller{Canonical: strings.TrimPrefix(id, "canonical:"), NotAccounts: notKnown, InOrg: TriFalse,
				Label: "the account of canonical user " + shortID(strings.TrimPrefix(id, "canonical:"))}
		}
		bm.external[id] = m.row(bl, c)
		bm.callers[id] = c
		bm.extOrder = append(bm.extOrder, id)
	}

	inOrg := triOf(m.ix.InOrg(owner))
	bm.sameC = &Caller{Account: owner, InOrg: inOrg, OrgPath: m.ix.OrgPath(owner), SCPs: m.ix.SCPs(owner), Label: "principals of the owning account"}
	bm.same = m.row(bl, bm.sameC)

	bm.org = m.orgRow(bl, owner, externals, namedMembers)
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

// accountKeys are the context keys whose value differs between member
// accounts: a group conditional on them is evaluated account by account.
func accountSpecific(o outcome) bool {
	for _, k := range o.condKeys {
		switch k {
		case "aws:principalaccount", "aws:principalorgpaths", "kms:calleraccount", "aws:principalarn":
			return true
		}
	}
	return false
}

// orgRow evaluates the org class: each group of member accounts sharing an
// SCP chain, account by account where the bucket names the accounts or a
// decision depends on which account calls.
func (m *matrixer) orgRow(bl *BucketLayers, owner string, externals, namedMembers []string) [5]orgCell {
	named := map[string]bool{}
	for _, id := range namedMembers {
		named[id] = true
	}
	var parts [5][]orgPart
	total := 0
	for gi := range m.groups {
		g := &m.groups[gi]
		var accts []string
		perAccount := false
		for _, id := range g.accounts {
			if id == owner {
				continue
			}
			accts = append(accts, id)
			if named[id] {
				perAccount = true
			}
		}
		if len(accts) == 0 {
			continue
		}
		total += len(accts)
		var groupRow row
		if !perAccount {
			not := append(append([]string{owner}, externals...), m.outside(accts)...)
			c := &Caller{NotAccounts: not, InOrg: TriTrue, OrgPath: g.orgPath, SCPs: g.chain,
				Label: fmt.Sprintf("principals of the %d other member accounts under %s", len(accts), m.chainLabel(g, accts))}
			if len(accts) == 1 {
				c = m.memberCaller(g, accts[0])
			}
			groupRow = m.row(bl, c)
			for i := range groupRow {
				if len(accts) > 1 && groupRow[i].verdict == VerdictConditional && accountSpecific(groupRow[i]) {
					perAccount = true
				}
			}
			if !perAccount {
				for i := range groupRow {
					parts[i] = append(parts[i], orgPart{accounts: accts, out: groupRow[i], caller: c})
				}
				continue
			}
		}
		for _, id := range accts {
			c := m.memberCaller(g, id)
			r := m.row(bl, c)
			for i := range r {
				parts[i] = append(parts[i], orgPart{accounts: []string{id}, out: r[i], caller: c})
			}
		}
	}
	var cells [5]orgCell
	for i := range cells {
		cells[i] = aggregateOrg(parts[i], total)
	}
	return cells
}

func (m *matrixer) memberCaller(g *orgGroup, id string) *Caller {
	return &Caller{Account: id, InOrg: TriTrue, OrgPath: m.ix.OrgPath(id), SCPs: g.chain,
		Label: "principals of member account " + id}
}

// outside returns the members not in accts.
func (m *matrixer) outside(accts []string) []string {
	in := make(map[string]bool, len(accts))
	for _, id := range accts {
		in[id] = true
	}
	var out []string
	for _, id := range m.members {
		if !in[id] {
			out = append(out, id)
		}
	}
	return out
}

// chainLabel names a group by the OU paths of its accounts.
func (m *matrixer) chainLabel(g *orgGroup, accts []string) string {
	var paths []string
	for _, id := range accts {
		paths = addConds(paths, m.ix.OUPath(id))
	}
	sort.Strings(paths)
	return joinLimited(paths, 3)
}

// aggregateOrg combines the parts of the org class into one cell: allowed
// if at least one other member account is allowed (the cell counts them).
func aggregateOrg(parts []orgPart, total int) orgCell {
	oc := orgCell{total: total}
	if total == 0 {
		oc.out = outcome{verdict: VerdictDeny, reason: "the organisation has no other active member account"}
		return oc
	}
	by := map[Verdict][]orgPart{}
	count := map[Verdict]int{}
	for _, p := range parts {
		by[p.out.verdict] = append(by[p.out.verdict], p)
		count[p.out.verdict] += len(p.accounts)
		if p.out.orgBlocked != "" {
			oc.blocked = append(oc.blocked, p)
		}
	}
	var v Verdict
	switch {
	case count[VerdictAllow] > 0:
		v = VerdictAllow
	case count[VerdictConditional] > 0:
		v = VerdictConditional
	case count[VerdictUnknown] > 0:
		v = VerdictUnknown
	default:
		v = VerdictDeny
	}
	o := outcome{verdict: v}
	for _, p := range by[v] {
		o.layers = addLayers(o.layers, p.out.layers...)
		o.alts = o.alts.or(p.out.alts)
		oc.allowed = append(oc.allowed, p.accounts...)
	}
	sort.Strings(oc.allowed)
	first := by[v][0].out.reason
	switch v {
	case VerdictAllow, VerdictConditional:
		o.reason = fmt.Sprintf("%s for %d of %d other member accounts: %s", map[Verdict]string{VerdictAllow: "allowed", VerdictConditional: "conditionally allowed"}[v], len(oc.allowed), total, first)
		if len(oc.allowed) < total {
			oc.accounts = oc.allowed
		}
	case VerdictUnknown:
		o.reason = fmt.Sprintf("unknown for %d of %d other member accounts: %s", len(oc.allowed), total, first)
	default:
		o.reason = first
		if len(by[VerdictDeny]) > 1 {
			o.reason = fmt.Sprintf("denied for all %d other member accounts: %s", total, first)
		}
	}
	// Say what happens to the others.
	for _, other := range []Verdict{VerdictConditional, VerdictUnknown, VerdictDeny} {
		if other == v || count[other] == 0 || v == VerdictDeny {
			continue
		}
		o.reason += fmt.Sprintf("; %s for %d (%s)", other, count[other], by[other][0].out.reason)
	}
	oc.out = o
	return oc
}

func (oc *orgCell) cell() Cell {
	c := oc.out.cell()
	if oc.total > 0 && (oc.out.verdict == VerdictAllow || oc.out.verdict == VerdictConditional) {
		n := len(oc.allowed)
		c.AllowedAccounts = &n
		c.Accounts = oc.accounts
	} else if oc.total > 0 {
		n := 0
		c.AllowedAccounts = &n
	}
	return c
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
		for _, pr := range []*policy.Principals{s.Principal, s.NotPrincipal} {
			if pr == nil {
				continue
			}
			for _, v := range pr.AWS {
				if id := accountOf(v); id != "" {
					set[id] = true
				}
			}
		}
		for _, c := range s.Conditions {
			switch strings.ToLower(c.Key) {
			case "aws:principalaccount", "kms:calleraccount":
				for _, v := range c.Values {
					if isAccountID(v) {
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
	if isAccountID(v) {
		return v
	}
	if strings.HasPrefix(v, "arn:") {
		if id := arnAccount(v); isAccountID(id) {
			return id
		}
	}
	return ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
