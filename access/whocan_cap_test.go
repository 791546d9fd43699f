package access

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// capCells truncates every cell's principal list of rep to n entries as
// Options.PrincipalsPerCell does (the first n, PrincipalsTotal the whole
// length), every org cell's list of allowed accounts to its first n
// (AllowedAccounts counting them all), and a same_account or narrowed
// org cell's Principals to those of its first n entries (PrincipalsMore
// counting the others); it returns the principal lists and the account
// lists truncated.
func capCells(rep *model.Report, n int) (truncated, accounts int) {
	capPrincipals := func(c *model.Cell) {
		if n > 0 && len(c.PrincipalAccess) > n {
			// Principals are the roles and users allowed or
			// conditional of the entries (not through roles), in order.
			k := 0
			for _, pa := range c.PrincipalAccess[:n] {
				if pa.Type != model.PrincipalRoot && len(pa.Via) == 0 && (pa.Verdict == model.VerdictAllow || pa.Verdict == model.VerdictConditional) {
					k++
				}
			}
			c.PrincipalsMore = int32(len(c.Principals) - k)
			c.Principals = c.Principals[:k]
		}
	}
	for bi := range rep.Buckets {
		for _, c := range rep.Buckets[bi].Access.Org.Cells() {
			if n > 0 && len(c.Accounts) > n {
				c.Accounts = c.Accounts[:n]
				accounts++
			}
			if len(c.NarrowedTo) > 0 {
				capPrincipals(c)
			}
		}
		for _, c := range rep.Buckets[bi].Access.SameAccount.Cells() {
			capPrincipals(c)
		}
	}
	for bi := range rep.Buckets {
		a := &rep.Buckets[bi].Access
		rows := []*model.Actions{&a.Public, &a.AnyAWS, &a.Org, &a.SameAccount}
		ext := map[string]*model.ExternalActions{}
		for id, e := range a.External {
			ext[id] = &e
			rows = append(rows, &e.Actions)
		}
		for _, r := range rows {
			for _, c := range r.Cells() {
				if n > 0 && len(c.PrincipalAccess) > n {
					c.PrincipalsTotal = len(c.PrincipalAccess)
					c.PrincipalAccess = c.PrincipalAccess[:n]
					truncated++
				}
			}
		}
		for id, e := range ext {
			a.External[id] = *e
		}
	}
	return truncated, accounts
}

// TestPrincipalsPerCell checks the cap: a capped cell lists the prefix of
// the uncapped list and counts all of it, an uncapped one has no total,
// 0 is no limit, and nothing else of the report changes (the principals
// through roles, the unlisted accounts and the findings are decided from
// the whole lists). An org cell's allowed
// accounts are capped alike: the first of them, AllowedAccounts counting
// all; and a same_account or narrowed org cell's Principals: those of its
// first entries, PrincipalsMore counting the others. The findings that
// read those Principals (external-via-role, federated-subject-unpinned)
// are those of the whole lists: a role the cap leaves out that an outside
// principal, a service or an identity provider can assume still reaches
// the bucket.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html
func TestPrincipalsPerCell(t *testing.T) {
	docs := map[string]func() *inventory.Document{
		"synthetic 40x3": func() *inventory.Document { return fakeaws.Synthetic(40, 3) },
		"oracle 1":       func() *inventory.Document { return oracleDoc(1) },
		"oracle 4":       func() *inventory.Document { return oracleDoc(4) },
		"roles":          func() *inventory.Document { return withRoles(6, 8, 4) },
		"via":            func() *inventory.Document { return viaDoc(t) },
		"narrowed":       narrowedOrgDoc,
		"federated": func() *inventory.Document {
			return fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 4, Buckets: 2, Roles: 4, Federated: 3})
		},
	}
	for name, mk := range docs {
		doc := mk()
		full, fullRep := analyzeJSON(t, doc, Options{Now: epoch})
		if filtered := unlistedOfAllowed(t, doc, fullRep); name == "narrowed" && filtered == 0 {
			t.Error("narrowed: no org cell left out an account it does not allow from principals_unlisted: the case proves nothing")
		}
		// The plan's unlisted accounts are every member's, filtered by cell
		// (the account-by-account lists visit only the accounts allowed).
		_, planRep := analyzeJSON(t, mk(), Options{Now: epoch, orgListing: orgListingPlan})
		unlistedOfAllowed(t, doc, planRep)
		for _, n := range []int{0, 1, 3, 10, 25, 1 << 20} {
			// The org row's lists account by account (auto, for these
			// few accounts) and from the plan cap alike.
			for _, l := range []orgListing{orgListingAuto, orgListingPlan} {
				t.Run(fmt.Sprintf("%s/cap %d/listing %d", name, n, l), func(t *testing.T) {
					capped, rep := analyzeJSON(t, mk(), Options{Now: epoch, PrincipalsPerCell: n, orgListing: l})
					if err := model.ValidateJSON(capped); err != nil {
						t.Fatalf("capped report invalid: %v", err)
					}
					var want model.Report
					if err := json.Unmarshal(full, &want); err != nil {
						t.Fatal(err)
					}
					truncated, accts := capCells(&want, n)
					wantJSON, err := json.MarshalIndent(&want, "", "  ")
					if err != nil {
						t.Fatal(err)
					}
					gotJSON, err := json.MarshalIndent(rep, "", "  ")
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(gotJSON, wantJSON) {
						a, b := firstDiff(gotJSON, wantJSON)
						t.Fatalf("capped at %d (%d cells truncated), the report differs from the uncapped one truncated:\n got %s\nwant %s", n, truncated, a, b)
					}
					if n == 0 && bytes.Contains(capped, []byte(`"principals_total"`)) {
						t.Error("no cap, yet principals_total")
					}
					if n == 1 && truncated == 0 {
						t.Error("no cell truncated at 1: the case proves nothing")
					}
					if (name == "synthetic 40x3" || name == "narrowed") && n == 1 && accts == 0 {
						t.Error("no org cell's accounts truncated at 1: the case proves nothing")
					}
					if name == "narrowed" && n == 1 && !bytes.Contains(capped, []byte(`"principals_more"`)) {
						t.Error("narrowed: no org cell's principals capped at 1: the case proves nothing")
					}
					if name != "via" && n == 1 {
						same, found := rolesBeyondCap(rep)
						if same == 0 {
							t.Error("no same_account cell's principals capped at 1: the case proves nothing")
						}
						if (name == "federated" || name == "roles") && found[model.FindingExternalViaRole]+found[model.FindingFederatedSubjectUnpinned] == 0 {
							t.Errorf("%v: no finding through a role only beyond the cap: the case proves nothing", found)
						}
						if name == "federated" && found[model.FindingFederatedSubjectUnpinned] == 0 {
							t.Errorf("%v: no federated-subject-unpinned through a role only beyond the cap: the case proves nothing", found)
						}
					}
				})
			}
		}
	}
}

// rolesBeyondCap returns how many same_account cells of rep the cap left
// principals out of (PrincipalsMore), and by finding ID how many
// external-via-role and federated-subject-unpinned findings show a path
// through a role ("through role R") that no same_account or org cell of
// the bucket lists in Principals: found only from the roles the cap left
// out.
func rolesBeyondCap(rep *model.Report) (same int, found map[string]int) {
	found = map[string]int{}
	for bi := range rep.Buckets {
		b := &rep.Buckets[bi]
		listed := map[string]bool{}
		for _, cells := range [2][5]*model.Cell{b.Access.SameAccount.Cells(), b.Access.Org.Cells()} {
			for _, c := range cells {
				for _, p := range c.Principals {
					arn, _ := strings.CutSuffix(p, " (conditional)")
					listed[arn] = true
				}
			}
		}
		for _, c := range b.Access.SameAccount.Cells() {
			if c.PrincipalsMore > 0 {
				same++
			}
		}
		for _, f := range b.Findings {
			if f.ID != model.FindingExternalViaRole && f.ID != model.FindingFederatedSubjectUnpinned {
				continue
			}
			_, rest, ok := strings.Cut(f.Detail, " through role ")
			role, _, _ := strings.Cut(rest, ":")
			if ok && !listed[role] {
				found[f.ID]++
			}
		}
	}
	return same, found
}

// TestOverlapPrincipalsPerCell: the analysis during a scan (Overlap) caps
// the lists as Stream does.
func TestOverlapPrincipalsPerCell(t *testing.T) {
	opts := Options{Now: epoch, Workers: 2, PrincipalsPerCell: 2}
	var want []model.Bucket
	if _, err := Stream(context.Background(), scanLike(9, 14), opts, func(b *model.Bucket) error { want = append(want, *b); return nil }); err != nil {
		t.Fatal(err)
	}
	got, _, _, _ := overlappedAhead(t, scanLike(9, 14), opts, nil, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("overlapped buckets differ from Stream's (-stream +overlap):\n%s", diff)
	}
	capped := 0
	for i := range got {
		if got[i].Access.Org.Read.PrincipalsTotal > 0 || got[i].Access.SameAccount.Read.PrincipalsTotal > 0 {
			capped++
		}
	}
	if capped == 0 {
		t.Error("no cell capped: the comparison proves nothing")
	}
}

// narrowedOrgDoc is a synthetic organisation whose buckets grant the
// organisation's data-pipeline roles only (org cells narrowed to named
// principals, whose Principals come from their principal_access) and
// whose last member accounts' IAM was not collected, and one's of the
// Sandbox OU (named in the org cells' PrincipalsUnlisted only where its
// SCPs let it in): both of the whole list of allowed accounts, of which a
// capped cell lists only the first.
func narrowedOrgDoc() *inventory.Document {
	doc := fakeaws.Synthetic(12, 3)
	for ai := range doc.Accounts {
		a := &doc.Accounts[ai]
		if ai >= len(doc.Accounts)-3 || ai == 9 { // 9: in the Sandbox OU, whose SCP denies some regions
			a.IAM = nil
		}
		for bi := range a.Buckets {
			b := &a.Buckets[bi]
			arn := "arn:aws:s3:::" + b.Name
			b.Policy = inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Pipelines","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"` + arn + `/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-synthetic0"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/data-pipeline"}}}]}`))
		}
	}
	return doc
}

// unlistedOfAllowed checks that an org cell allowing only some member
// accounts names among those whose principals could not be listed only
// accounts it allows (the class answer stands for the others: denied); it
// returns how many cells left out for that reason an account of doc whose
// IAM was not collected.
func unlistedOfAllowed(t *testing.T, doc *inventory.Document, rep *model.Report) int {
	t.Helper()
	var uncollected []string
	for _, a := range doc.Accounts {
		if a.IAM == nil {
			uncollected = append(uncollected, a.ID)
		}
	}
	filtered := 0
	for bi := range rep.Buckets {
		b := &rep.Buckets[bi]
		for _, c := range b.Access.Org.Cells() {
			if len(c.Accounts) == 0 {
				continue
			}
			for _, id := range c.PrincipalsUnlisted {
				if !slices.Contains(c.Accounts, id) {
					t.Errorf("%s org: %s unlisted, yet not among the accounts allowed %v", b.Name, id, c.Accounts)
				}
			}
			for _, id := range uncollected {
				if id != b.AccountID && !slices.Contains(c.PrincipalsUnlisted, id) {
					filtered++
					break
				}
			}
		}
	}
	return filtered
}

// pipelineOrgDoc is a synthetic organisation whose buckets (SSE-S3: no key
// policy to narrow the accounts) let the organisation's data-pipeline
// roles read: org read cells narrowed to named principals, the roles of
// every member account, each of which glue.amazonaws.com can assume.
func pipelineOrgDoc(accounts, buckets int) *inventory.Document {
	doc := fakeaws.Synthetic(accounts, buckets)
	for ai := range doc.Accounts {
		for bi := range doc.Accounts[ai].Buckets {
			b := &doc.Accounts[ai].Buckets[bi]
			arn := "arn:aws:s3:::" + b.Name
			b.Encryption = &inventory.Encryption{Algorithm: inventory.AlgorithmAES256}
			b.Policy = inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Pipelines","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + arn + `/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-synthetic0"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/data-pipeline"}}}]}`))
		}
	}
	return doc
}

// TestNarrowedOrgCellTooManyPrincipals: an org cell narrowed to named
// principals (a bucket policy granting aws:PrincipalArn like
// role/data-pipeline to the organisation) lists in Principals the
// data-pipeline roles of the other member accounts that can, however many
// the accounts: capped at principals_per_cell as principal_access is, the
// first of the uncapped list, PrincipalsMore counting the others, and its
// reason says nothing of a bound. Each allowed account's data-pipeline
// role can (AmazonS3ReadOnlyAccess grants s3:GetObject on every bucket),
// so the list and PrincipalsMore count every allowed account.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
func TestNarrowedOrgCellTooManyPrincipals(t *testing.T) {
	for _, tc := range []struct {
		accounts int
		capped   bool
	}{{266, true}, {12, false}} {
		analyze := func(n int) *model.Report {
			rep, err := Analyze(context.Background(), pipelineOrgDoc(tc.accounts, 1), Options{Now: func() time.Time { return time.Unix(0, 0) }, PrincipalsPerCell: n})
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		rep, whole := analyze(DefaultPrincipalsPerCell), analyze(0)
		checked, capped := 0, 0
		for bi, b := range rep.Buckets {
			c, w := b.Access.Org.Read, whole.Buckets[bi].Access.Org.Read
			if len(c.NarrowedTo) == 0 || (c.Verdict != model.VerdictAllow && c.Verdict != model.VerdictConditional) {
				continue
			}
			checked++
			if strings.Contains(c.Reason, "principals is not filled in") {
				t.Errorf("%d accounts, %s: reason %q still speaks of a bound", tc.accounts, b.Name, c.Reason)
			}
			seen := map[string]bool{}
			for _, p := range c.Principals {
				arn, _ := strings.CutSuffix(p, " (conditional)")
				id := arnAccount(arn)
				if arn != "arn:aws:iam::"+id+":role/data-pipeline" || id == b.AccountID || seen[id] {
					t.Errorf("%d accounts, %s: principal %q: want one data-pipeline role of each other allowed member account", tc.accounts, b.Name, p)
				}
				seen[id] = true
			}
			if len(c.Principals) == 0 || len(c.Principals) > DefaultPrincipalsPerCell {
				t.Errorf("%d accounts, %s: %d principals, want 1 to %d", tc.accounts, b.Name, len(c.Principals), DefaultPrincipalsPerCell)
			}
			if c.AllowedAccounts == nil || len(c.Principals)+int(c.PrincipalsMore) != *c.AllowedAccounts {
				t.Errorf("%d accounts, %s: %d principals and %d more, want those of the %v allowed accounts", tc.accounts, b.Name, len(c.Principals), c.PrincipalsMore, c.AllowedAccounts)
			}
			if w.PrincipalsMore != 0 || len(w.Principals) != len(c.Principals)+int(c.PrincipalsMore) || !slices.Equal(w.Principals[:len(c.Principals)], c.Principals) {
				t.Errorf("%d accounts, %s: capped %d principals (%d more), uncapped %d (%d more): want the first of the uncapped list",
					tc.accounts, b.Name, len(c.Principals), c.PrincipalsMore, len(w.Principals), w.PrincipalsMore)
			}
			if c.PrincipalsMore > 0 {
				capped++
			}
		}
		if checked == 0 {
			t.Fatalf("%d accounts: no narrowed org read cell: the test proves nothing", tc.accounts)
		}
		if tc.capped != (capped > 0) {
			t.Errorf("%d accounts: %d of %d cells capped, want capped %v", tc.accounts, capped, checked, tc.capped)
		}
	}
}
