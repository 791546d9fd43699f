package access

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// indexParses returns every parsed policy ix holds (those made so far), by
// what it is: the IAM principals' identity policies and boundaries, the
// KMS keys' policies and grants, the VPC endpoints' and the organisation's
// policies.
func indexParses(ix *Index) map[string]*policy.Policy {
	out := map[string]*policy.Policy{}
	for _, id := range ix.accountIDs {
		for _, p := range ix.Principals(id) {
			for i, pol := range p.Identity {
				out[fmt.Sprintf("identity %d of %s", i, p.ARN)] = pol
			}
			if p.Boundary != nil {
				out["boundary of "+p.ARN] = p.Boundary
			}
		}
	}
	for arn, p := range ix.keyParsed {
		out["key policy of "+arn] = p
	}
	for arn, p := range ix.keyGrants {
		out["grants of "+arn] = p
	}
	for id, e := range ix.endpoints {
		out["endpoint policy of "+id] = e.policy
	}
	for id, o := range ix.orgPolicies {
		out["org policy "+id] = o.parsed
	}
	return out
}

// diffParses compares the parses of two indexes of the same document:
// their exported contents (statements, principals, actions, resources,
// conditions, names), not the compiled programs.
func diffParses(t *testing.T, used, fresh *Index) []string {
	t.Helper()
	a, b := indexParses(used), indexParses(fresh)
	var keys []string
	for k := range b {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(a) != len(b) {
		return []string{fmt.Sprintf("%d parses after the analysis, %d in a fresh index", len(a), len(b))}
	}
	var diffs []string
	for _, k := range keys {
		if d := cmp.Diff(b[k], a[k], cmpopts.IgnoreUnexported(policy.Policy{}), cmpopts.EquateEmpty()); d != "" {
			diffs = append(diffs, k+": "+d)
		}
	}
	return diffs
}

// TestAnalysisLeavesSharedListsUnchanged: the analysis shares lists,
// relying on no list being modified once made. A worker hands out the
// statement names of a principal group's deciding statements (ownNames)
// and the cells' Principals (cellPrincipals) from memos kept by content,
// and a parsed policy's string lists share one block per policy (each
// capped, so an append copies) and are shared by text (managed and trust
// policies); the cells' decided_by lists are rows of one table
// (layerNameLists). A modification in place would give later buckets the names,
// the principals or the statements of another list, silently. Every memo
// hit is checked against a fresh computation here (checkMemos), and every
// parse the index holds after the analysis against a fresh parse of the
// same text.
func TestAnalysisLeavesSharedListsUnchanged(t *testing.T) {
	roundtrip := func() *inventory.Document {
		doc, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	for name, load := range map[string]func() *inventory.Document{
		"synthetic with roles": func() *inventory.Document {
			return fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 24, Buckets: 6, Roles: 12})
		},
		"synthetic": func() *inventory.Document { return fakeaws.Synthetic(6, 40) },
		"roundtrip": roundtrip,
	} {
		t.Run(name, func(t *testing.T) {
			doc := load()
			used := NewIndex(doc)
			for _, workers := range []int{1, 2} {
				_, err := Analyze(context.Background(), doc, Options{Now: func() time.Time { return time.Unix(0, 0) },
					Workers: workers, PrincipalsPerCell: DefaultPrincipalsPerCell, index: used, checkMemos: true})
				if err != nil {
					t.Fatal(err)
				}
			}
			fresh := NewIndex(load())
			if n := len(indexParses(fresh)); n < 5 {
				t.Fatalf("%d parses to compare", n)
			}
			for _, d := range diffParses(t, used, fresh) {
				t.Error(d)
			}
			// The cells' decided_by lists are shared rows of one table.
			for i, l := range layerNameLists {
				if want := layerSet(i).makeNames(); !slices.Equal(l, want) {
					t.Errorf("layerNameLists[%d] = %v after the analysis, want %v", i, l, want)
				}
			}
		})
	}
}

// TestSharedListChecksFail: the checks of TestAnalysisLeavesSharedListsUnchanged
// see a list modified in place (they could fail).
func TestSharedListChecksFail(t *testing.T) {
	t.Run("memoised names", func(t *testing.T) {
		doc := fakeaws.Synthetic(2, 1)
		m := newMatrixer(NewIndex(doc), nil, Options{checkMemos: true})
		w := m.newWorker()
		rep := &IAMPrincipal{ARN: "arn:aws:iam::111122223333:role/r", fp: "x"}
		refs := []policy.StatementRef{{Policy: "identity policy a", Index: 0, Layer: policy.LayerIdentity}}
		names := w.ownNames(refs, rep)
		w.ownNames(refs, rep)
		if n := m.memoFaults.Load(); n != 0 {
			t.Fatalf("%d faults on an unmodified list", n)
		}
		// The names are kept by the statements' content: a list of refs
		// modified in place is another key, and the names handed out are
		// what could be modified.
		refs[0].Policy = "identity policy b"
		if got := w.ownNames(refs, rep); !slices.Equal(got, []string{"identity policy b statement #0"}) {
			t.Errorf("names of the modified refs = %q", got)
		}
		names[0] = "modified in place"
		refs[0].Policy = "identity policy a"
		w.ownNames(refs, rep)
		if n := m.memoFaults.Load(); n != 1 {
			t.Errorf("%d faults after the names were modified, want 1", n)
		}
	})
	t.Run("memoised principals", func(t *testing.T) {
		m := newMatrixer(NewIndex(fakeaws.Synthetic(2, 1)), nil, Options{checkMemos: true})
		w := m.newWorker()
		list := []model.PrincipalAccess{{ARN: "arn:aws:iam::111122223333:role/r", Type: model.PrincipalRole, Verdict: model.VerdictAllow}}
		names, _ := w.cellPrincipals(list, 1)
		w.cellPrincipals(list, 1)
		if n := m.memoFaults.Load(); n != 0 {
			t.Fatalf("%d faults on an unmodified list", n)
		}
		names[0] = "modified in place"
		w.cellPrincipals(list, 1)
		if n := m.memoFaults.Load(); n != 1 {
			t.Errorf("%d faults after the principals were modified, want 1", n)
		}
	})
	t.Run("parses", func(t *testing.T) {
		load := func() *inventory.Document { return fakeaws.Synthetic(3, 4) }
		used, fresh := NewIndex(load()), NewIndex(load())
		if d := diffParses(t, used, fresh); len(d) != 0 {
			t.Fatalf("unmodified parses differ: %v", d)
		}
		ps := used.Principals(used.accountIDs[1])
		ps[0].Identity[0].Statements[0].Action[0] = "s3:PutObject"
		if d := diffParses(t, used, fresh); len(d) == 0 {
			t.Error("a parse modified in place compares equal to a fresh one")
		}
	})
}

// TestWorkersChangeNothing: the workers share the member accounts'
// principal statics, plans and orgSpecials (made by whichever worker
// needs them first, their memos filled by all), and each hands out its
// principal groups from a slab it resets at every account (groupSlab):
// the report is the same with one worker as with three or eight, whose
// runs of accounts differ, for organisations whose buckets' principal
// lists visit every member's roles and users, and of many accounts of
// few buckets.
func TestWorkersChangeNothing(t *testing.T) {
	for name, load := range map[string]func() *inventory.Document{
		"40x4, 10 roles each": func() *inventory.Document {
			return fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 40, Buckets: 4, Roles: 10})
		},
		"40x3": func() *inventory.Document { return fakeaws.Synthetic(40, 3) },
	} {
		run := func(workers int) *model.Report {
			rep, err := Analyze(context.Background(), load(), Options{Now: func() time.Time { return time.Unix(0, 0) },
				Workers: workers, PrincipalsPerCell: DefaultPrincipalsPerCell})
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		want := run(1)
		for _, workers := range []int{3, 8} {
			if diff := cmp.Diff(want, run(workers)); diff != "" {
				t.Errorf("%s: report with %d workers differs from 1's (-1 +%d):\n%s", name, workers, workers, diff)
			}
		}
	}
}

// TestOwnNamesKeptByContent: worker.ownNames keeps the names of deciding
// statements by what renameRefs reads of them, so lists that name
// statements differently never share names: a root's identity grant is
// its own permissions, another principal's its policy; statements that
// differ in one field, or whose policy and Sid split one text differently,
// are named apart; equal lists of other buckets share theirs.
func TestOwnNamesKeptByContent(t *testing.T) {
	m := newMatrixer(NewIndex(fakeaws.Synthetic(2, 1)), nil, Options{checkMemos: true})
	w := m.newWorker()
	role := &IAMPrincipal{ARN: "arn:aws:iam::111122223333:role/r", fp: "x"}
	root := newRoot("aws", "111122223333")
	ref := func(layer policy.Layer, pol, sid string, index int) []policy.StatementRef {
		return []policy.StatementRef{{Layer: layer, Policy: pol, Sid: sid, Index: index}}
	}
	cases := []struct {
		refs []policy.StatementRef
		rep  *IAMPrincipal
	}{
		{ref(policy.LayerIdentity, "identity policy a", "", 0), role},
		{ref(policy.LayerIdentity, "identity policy a", "", 0), root},
		{ref(policy.LayerIdentity, "identity policy a", "", 1), role},
		{ref(policy.LayerIdentity, "identity policy a", "", -1), role},
		{ref(policy.LayerIdentity, "identity policy a", "S", 0), role},
		{ref(policy.LayerResource, "identity policy a", "", 0), root},
		{ref(policy.LayerIdentity, "ab", "c", 0), role},
		{ref(policy.LayerIdentity, "a", "bc", 0), role},
		{append(ref(policy.LayerIdentity, "a", "", 0), ref(policy.LayerIdentity, "b", "", 0)...), role},
		{append(ref(policy.LayerIdentity, "b", "", 0), ref(policy.LayerIdentity, "a", "", 0)...), role},
	}
	for _, pass := range []string{"first", "kept"} {
		for i, c := range cases {
			refs := slices.Clone(c.refs) // another list, as another bucket's
			if got, want := w.ownNames(refs, c.rep), renameRefs(c.refs, c.rep, c.rep); !slices.Equal(got, want) {
				t.Errorf("%s pass, case %d: ownNames = %q, want %q", pass, i, got, want)
			}
		}
	}
	if n := len(w.refNames); n != len(cases) {
		t.Errorf("%d lists of names kept for %d different lists", n, len(cases))
	}
	if n := m.memoFaults.Load(); n != 0 {
		t.Errorf("%d memo faults", n)
	}
}

// TestOrgReasonKeptByWhatItSays: the org cells' reasons a worker keeps
// (orgLists.orgReason) are those made on their own, and cells that say
// different things of the class (verdict, counts, parts, example) get
// different reasons.
func TestOrgReasonKeptByWhatItSays(t *testing.T) {
	var l orgLists
	keys := []orgReasonKey{
		{model.VerdictDeny, 0, 40, true, false, "denied by SCP x"},
		{model.VerdictDeny, 0, 41, true, false, "denied by SCP x"},
		{model.VerdictDeny, 0, 40, false, false, "denied by SCP x"},
		{model.VerdictDeny, 0, 40, true, true, "denied by SCP x"},
		{model.VerdictDeny, 0, 40, true, false, "denied by SCP y"},
		{model.VerdictAllow, 3, 40, true, false, "denied by SCP x"},
		{model.VerdictAllow, 4, 40, true, false, "denied by SCP x"},
		{model.VerdictConditional, 3, 40, true, false, "denied by SCP x"},
		{model.VerdictUnknown, 3, 40, true, false, "denied by SCP x"},
	}
	seen := map[string]int{}
	for _, pass := range []string{"first", "kept"} {
		for i, k := range keys {
			got := l.orgReason(k)
			if want := (*orgLists)(nil).orgReason(k); got != want {
				t.Errorf("%s pass: orgReason(%v) = %q, want %q", pass, k, got, want)
			}
			if j, ok := seen[got]; ok && j != i {
				t.Errorf("keys %v and %v give one reason %q", keys[j], k, got)
			}
			seen[got] = i
		}
	}
	if got, want := l.orgReason(keys[0]), "denied for all 40 other member accounts: denied by SCP x"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
}

// TestCellPrincipalsKeptByWhomTheyName: the cells' Principals a worker
// keeps (cellPrincipals) are those made of each list, and lists that name
// different principals, or the same ones in another order or with another
// verdict, get different Principals; a root, a denied or an unknown entry
// names none.
func TestCellPrincipalsKeptByWhomTheyName(t *testing.T) {
	w := newMatrixer(NewIndex(fakeaws.Synthetic(2, 1)), nil, Options{checkMemos: true}).newWorker()
	pa := func(arn, typ string, v model.Verdict) model.PrincipalAccess {
		return model.PrincipalAccess{ARN: arn, Type: typ, Verdict: v}
	}
	const a, b = "arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:user/b"
	allow, cond := model.VerdictAllow, model.VerdictConditional
	cases := []struct {
		list []model.PrincipalAccess
		want []string
	}{
		{[]model.PrincipalAccess{pa(a, model.PrincipalRole, allow)}, []string{a}},
		{[]model.PrincipalAccess{pa(a, model.PrincipalRole, cond)}, []string{a + " (conditional)"}},
		{[]model.PrincipalAccess{pa(a, model.PrincipalRole, allow), pa(b, model.PrincipalUser, allow)}, []string{a, b}},
		{[]model.PrincipalAccess{pa(b, model.PrincipalUser, allow), pa(a, model.PrincipalRole, allow)}, []string{b, a}},
		{[]model.PrincipalAccess{pa(a, model.PrincipalRole, allow), pa(b, model.PrincipalUser, cond)}, []string{a, b + " (conditional)"}},
		{[]model.PrincipalAccess{pa(a, model.PrincipalRoot, allow), pa(b, model.PrincipalUser, model.VerdictUnknown)}, nil},
		{[]model.PrincipalAccess{pa(a+"\x00", model.PrincipalRole, allow)}, []string{a + "\x00"}},
		{[]model.PrincipalAccess{pa(a+"c", model.PrincipalRole, allow)}, []string{a + "c"}},
		{[]model.PrincipalAccess{pa(a+"\x00a"+b, model.PrincipalRole, allow)}, []string{a + "\x00a" + b}},
	}
	for _, pass := range []string{"first", "kept"} {
		for i, c := range cases {
			got, more := w.cellPrincipals(slices.Clone(c.list), len(c.want)+2)
			if !slices.Equal(got, c.want) || more != 2 {
				t.Errorf("%s pass, case %d: cellPrincipals = %q, %d more; want %q, 2 more", pass, i, got, more, c.want)
			}
		}
	}
}
