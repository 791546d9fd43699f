package access

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// oracleOrgRow is orgRow before its caches (commit 674c851): it evaluates the org class: each group of member accounts sharing an
// SCP chain, account by account where the bucket names the accounts or a
// decision depends on which account calls.
func (w *worker) oracleOrgRow(bl *BucketLayers, owner string, externals, namedMembers []string) [5]orgCell {
	m := w.matrixer
	if why := m.ix.othersUnknown(owner); why != "" {
		return w.unreadOrgRow(bl, owner, externals, why)
	}
	named := map[string]bool{}
	for _, id := range namedMembers {
		named[id] = true
	}
	var parts [5][]orgPart
	for i := range parts {
		parts[i] = make([]orgPart, 0, len(m.groups)+len(namedMembers))
	}
	bl.quiet = true
	defer func() { bl.quiet = false }()
	add := func(accts []string, c *Caller, r *row) {
		for i := range r {
			parts[i] = append(parts[i], orgPart{accounts: accts, out: r[i], caller: c})
		}
	}
	total := 0
	for gi := range m.groups {
		g := &m.groups[gi]
		// The accounts the bucket names are evaluated one by one; the rest
		// of the group together, unless a decision turns out to depend on
		// which of them calls.
		var rest, single []string
		for _, id := range g.accounts {
			switch {
			case id == owner:
			case named[id]:
				single = append(single, id)
			default:
				rest = append(rest, id)
			}
		}
		total += len(rest) + len(single)
		if len(rest) > 1 {
			exclude := append(append([]string(nil), single...), externals...)
			c := w.caller("grp|"+g.key+"|"+owner+"|"+strings.Join(exclude, ","), func() *Caller {
				not := append(append([]string{owner}, exclude...), oracleOutside(m, g.accounts)...)
				return &Caller{NotAccounts: not, InOrg: TriTrue, OrgPath: g.orgPath, SCPs: g.chain, TagsKnown: m.ix.iamCollected(rest...),
					Label: fmt.Sprintf("principals of the %d other member accounts under %s", len(rest), oracleChainLabel(m, g, rest))}
			})
			r := m.row(bl, c)
			split := false
			for i := range r {
				split = split || ((r[i].verdict == model.VerdictConditional || len(r[i].narrow) > 0) && r[i].acctSpecific)
			}
			if !split {
				add(rest, c, &r)
				rest = nil
			}
		}
		for _, id := range append(single, rest...) {
			c := w.memberCaller(g, id)
			r := m.row(bl, c)
			add([]string{id}, c, &r)
		}
	}
	bl.quiet = false
	return orgCells(bl, &parts, total, nil)
}

// oracleOutside returns the members not in accts.
func oracleOutside(m *matrixer, accts []string) []string {
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

// oracleChainLabel names a group by the OU paths of its accounts.
func oracleChainLabel(m *matrixer, g *orgGroup, accts []string) string {
	var paths []string
	for _, id := range accts {
		paths = addConds(paths, m.ix.OUPath(id))
	}
	sort.Strings(paths)
	return joinLimited(paths, 3)
}

// orgRowDocs are synthetic organisations whose buckets' policies name
// member accounts (principals, aws:PrincipalAccount, aws:PrincipalArn),
// match OU paths (aws:PrincipalOrgPaths) and whose accounts sit under
// different SCP chains (and one chain under different OUs); one member
// account is suspended.
func orgRowDocs() []*inventory.Document {
	small := fakeaws.Synthetic(4, 3)
	doc := fakeaws.Synthetic(24, 6)
	id := fakeaws.SyntheticAccountID
	doc.Accounts[7].Status = inventory.AccountSuspended
	// Account 13 alone under OU Lab, in the group of NonProd and Security
	// (their SCPs allow everything): the label of the group without it
	// leaves its path out.
	sec := &doc.Organization.Root.OUs[1]
	sec.Accounts = slices.DeleteFunc(sec.Accounts, func(a string) bool { return a == id(13) })
	doc.Organization.Root.OUs = append(doc.Organization.Root.OUs, inventory.OU{ID: "ou-synt-lab00000", Name: "Lab", Policies: []string{"p-FullAWSAccess"}, Accounts: []string{id(13)}})
	arn := func(b string) string { return `"arn:aws:s3:::` + b + `","arn:aws:s3:::` + b + `/*"` }
	policies := []func(b string) string{
		// aws:PrincipalOrgPaths: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths
		func(b string) string {
			return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket","s3:PutObject"],"Resource":[` + arn(b) + `],"Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-synthetic0/r-synt/ou-synt-workload/*"}}}]}`
		},
		// aws:PrincipalAccount: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount
		func(b string) string {
			return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:DeleteObject"],"Resource":[` + arn(b) + `],"Condition":{"StringEquals":{"aws:PrincipalAccount":["` + id(3) + `","` + id(4) + `","` + id(5) + `"]}}}]}`
		},
		func(b string) string {
			return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":[` + arn(b) + `],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-synthetic0"}}},{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":[` + arn(b) + `],"Condition":{"StringEquals":{"aws:PrincipalAccount":"` + id(2) + `"}}}]}`
		},
		// Principals named by account and by role: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
		func(b string) string {
			return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + id(1) + `:root","arn:aws:iam::` + id(8) + `:role/data-pipeline","` + id(7) + `","111122223333"]},"Action":["s3:GetObject","s3:PutObject"],"Resource":[` + arn(b) + `]}]}`
		},
		// aws:PrincipalArn patterns narrow the org cells to named principals.
		func(b string) string {
			return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":[` + arn(b) + `],"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/data-pipeline"},"StringEquals":{"aws:PrincipalOrgID":"o-synthetic0"}}}]}`
		},
		func(b string) string {
			return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":[` + arn(b) + `],"Condition":{"StringNotEquals":{"aws:PrincipalAccount":"` + id(9) + `"},"StringEquals":{"aws:PrincipalOrgID":"o-synthetic0"}}}]}`
		},
	}
	for i, ai := range []int{0, 1, 2, 3, 5, 8, 13, 20} {
		a := &doc.Accounts[ai]
		for j, p := range policies {
			name := fmt.Sprintf("named-%s-%d", a.ID, j)
			b := inventory.Bucket{Name: name, Region: "us-east-1", Created: inventory.DefaultBucketCreated(), Policy: inventory.NewPolicyDocument([]byte(p(name)))}
			if (i+j)%3 == 0 {
				b.Region = "ap-southeast-2" // denied by the Sandbox SCP
			}
			a.Buckets = append(a.Buckets, b)
		}
	}
	return []*inventory.Document{small, doc}
}

// splitNamed splits the accounts a bucket names as compute does.
func splitNamed(m *matrixer, bl *BucketLayers) (externals, namedMembers []string) {
	for _, id := range m.namedAccounts(bl) {
		switch {
		case id == bl.Account.ID:
		case strings.HasPrefix(id, "canonical:") || !m.ix.InOrg(id):
			externals = append(externals, id)
		default:
			namedMembers = append(namedMembers, id)
		}
	}
	return externals, namedMembers
}

// TestOrgRowMatchesOracle compares the org cells of every bucket of
// synthetic organisations, computed with the caches of orgcache.go (callers
// reused across an owner's buckets), with oracleOrgRow, which builds
// everything per bucket, and with the verdicts of each member account
// evaluated on its own: the caches must not change a cell.
func TestOrgRowMatchesOracle(t *testing.T) {
	checked, named, listed, shared := 0, 0, 0, 0
	for di, doc := range orgRowDocs() {
		firstOwner := map[*string]string{} // a list's first account → the owner of the first cell that listed it
		ix := NewIndex(doc)
		m := newMatrixer(ix, nil, Options{})
		// The oracle's own matrixer: workers of one share their callers.
		w, oracle := m.newWorker(), newMatrixer(ix, nil, Options{}).newWorker()
		for ai := range doc.Accounts {
			a := &doc.Accounts[ai]
			w.startAccount(a.ID)
			oracle.startAccount(a.ID)
			for bi := range a.Buckets {
				b := &a.Buckets[bi]
				bl := ix.NewBucketLayers(a, b)
				bl.ev, bl.scratch = w.ev, &w.scratch
				got := w.compute(bl).org
				obl := ix.NewBucketLayers(a, b)
				obl.ev, obl.scratch = oracle.ev, &oracle.scratch
				externals, members := splitNamed(m, obl)
				if len(members) > 0 {
					named++
				}
				want := oracle.oracleOrgRow(obl, a.ID, externals, members)
				checkCallers(t, b.Name, w, oracle)
				if got, want := sortedSet(append(m.notKnown(a.ID, externals), m.members...)), sortedSet(oracleNotKnown(m, a.ID, externals)); !reflect.DeepEqual(got, want) {
					t.Errorf("bucket %s: any other account is not %v, want %v", b.Name, got, want)
				}
				for i, action := range MatrixActions() {
					where := fmt.Sprintf("doc %d, bucket %s, %s", di, b.Name, action)
					if g, o := got[i].cell(new(int)), want[i].cell(new(int)); !reflect.DeepEqual(g, o) {
						t.Errorf("%s: cell\n got %+v\nwant %+v", where, g, o)
					}
					if len(got[i].blocked) != len(want[i].blocked) {
						t.Errorf("%s: %d blocked parts, want %d", where, len(got[i].blocked), len(want[i].blocked))
					} else {
						for j := range got[i].blocked {
							g, o := got[i].blocked[j], want[i].blocked[j]
							if !reflect.DeepEqual(g.appendTo(nil), o.appendTo(nil)) || !reflect.DeepEqual(g.out.cell(), o.out.cell()) || g.caller.Label != o.caller.Label {
								t.Errorf("%s: blocked part %d: %v %+v, want %v %+v", where, j, g.appendTo(nil), g.out.cell(), o.appendTo(nil), o.out.cell())
							}
						}
					}
					checkPerAccount(t, where, oracle, obl, action, &got[i])
					if l := got[i].accounts; len(l) > 0 {
						listed++
						if o, ok := firstOwner[&l[0]]; !ok {
							firstOwner[&l[0]] = a.ID
						} else if o != a.ID {
							shared++ // orgLists: another owner's list
						}
					}
					checked++
				}
			}
		}
	}
	if named < 20 {
		t.Fatalf("only %d buckets name member accounts", named)
	}
	if shared == 0 {
		t.Fatalf("no org cell's list of accounts is shared with another owner's (%d listed)", listed)
	}
	t.Logf("%d org cells compared (%d buckets name member accounts; %d of %d lists of accounts another owner's)", checked, named, shared, listed)
}

// checkPerAccount checks an org cell against each other active member
// account evaluated on its own: the cell's verdict is the best of theirs,
// allowed_accounts counts the accounts with that verdict and the cell lists
// them when they are not all.
func checkPerAccount(t *testing.T, where string, w *worker, bl *BucketLayers, action string, oc *orgCell) {
	t.Helper()
	var count [4]int
	var accts [4][]string
	total := 0
	for gi := range w.groups {
		g := &w.groups[gi]
		for _, id := range g.accounts {
			if id == bl.Account.ID {
				continue
			}
			total++
			r := verdictRank(bl.decide(w.memberCaller(g, id), action, "").verdict)
			count[r]++
			accts[r] = append(accts[r], id)
		}
	}
	if total != oc.total {
		t.Errorf("%s: %d other members, the cell counts %d", where, total, oc.total)
	}
	if total == 0 {
		return
	}
	best := 0
	for r := 3; r >= 0; r-- {
		if count[r] > 0 {
			best = r
			break
		}
	}
	if got := verdictRank(oc.out.verdict); got != best {
		t.Errorf("%s: verdict %s, each account on its own gives best rank %d (counts %v)", where, oc.out.verdict, best, count)
		return
	}
	if best >= 2 {
		if oc.nallowed != count[best] {
			t.Errorf("%s: %d allowed, each account on its own gives %d", where, oc.nallowed, count[best])
		}
		want := accts[best]
		if count[best] == total {
			want = nil
		}
		sort.Strings(want)
		if !reflect.DeepEqual(oc.accounts, want) {
			t.Errorf("%s: accounts %v, each account on its own gives %v", where, oc.accounts, want)
		}
	}
}

// checkCallers compares the org class's callers that w built with the oracle's of the same key.
func checkCallers(t *testing.T, bucket string, w, oracle *worker) {
	t.Helper()
	for key, c := range w.callers {
		o := oracle.callers[key]
		if !strings.HasPrefix(key, "grp|") {
			continue
		}
		if o == nil {
			t.Errorf("bucket %s: caller %q not built by the oracle", bucket, key)
			continue
		}
		if c.Label != o.Label || c.TagsKnown != o.TagsKnown || c.OrgPath != o.OrgPath || c.SCPs.Key != o.SCPs.Key || !reflect.DeepEqual(sortedSet(slices.Concat(c.NotMembers, c.NotAccounts)), sortedSet(o.NotAccounts)) {
			t.Errorf("bucket %s: caller %q:\n got %q tags %v path %q not %v\nwant %q tags %v path %q not %v", bucket, key,
				c.Label, c.TagsKnown, c.OrgPath, sortedSet(slices.Concat(c.NotMembers, c.NotAccounts)), o.Label, o.TagsKnown, o.OrgPath, sortedSet(o.NotAccounts))
		}
	}
}

// sortedSet returns the distinct strings of l, sorted.
func sortedSet(l []string) []string {
	l = append([]string(nil), l...)
	sort.Strings(l)
	return slices.Compact(l)
}

// oracleNotKnown is compute's list of the accounts "any other AWS account"
// is not, before orgcache.go (commit 674c851).
func oracleNotKnown(m *matrixer, owner string, externals []string) []string {
	known := append(append(append([]string(nil), m.members...), externals...), owner)
	notKnown := make([]string, 0, len(known))
	for _, id := range known {
		if !strings.HasPrefix(id, "canonical:") {
			notKnown = append(notKnown, id)
		}
	}
	return notKnown
}
