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
// length), and every org cell's list of allowed accounts to its first n
// (AllowedAccounts counting them all); it returns the principal lists and
// the account lists truncated.
func capCells(rep *model.Report, n int) (truncated, accounts int) {
	for bi := range rep.Buckets {
		for _, c := range rep.Buckets[bi].Access.Org.Cells() {
			if n > 0 && len(c.Accounts) > n {
				c.Accounts = c.Accounts[:n]
				accounts++
			}
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
// through roles, the same_account Principals, the narrowed org cells'
// Principals, the unlisted accounts and the findings are decided from the
// whole lists). An org cell's allowed accounts are capped alike: the first
// of them, AllowedAccounts counting all.
func TestPrincipalsPerCell(t *testing.T) {
	docs := map[string]func() *inventory.Document{
		"synthetic 40x3": func() *inventory.Document { return fakeaws.Synthetic(40, 3) },
		"oracle 1":       func() *inventory.Document { return oracleDoc(1) },
		"oracle 4":       func() *inventory.Document { return oracleDoc(4) },
		"roles":          func() *inventory.Document { return withRoles(6, 8, 4) },
		"via":            func() *inventory.Document { return viaDoc(t) },
		"narrowed":       narrowedOrgDoc,
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
			t.Run(fmt.Sprintf("%s/cap %d", name, n), func(t *testing.T) {
				capped, rep := analyzeJSON(t, mk(), Options{Now: epoch, PrincipalsPerCell: n})
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
			})
		}
	}
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
// principals, whose Principals orgPrincipalsWho decides) and whose last
// member accounts' IAM was not collected, and one's of the Sandbox OU
// (named in the org cells' PrincipalsUnlisted only where its SCPs let it
// in): both of the whole list of allowed accounts, of which a capped cell
// lists only the first.
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

// TestNarrowedOrgCellTooManyPrincipals: an org cell narrowed to named
// principals whose allowed member accounts hold more principals that match
// than orgPrincipalsWho evaluates lists none in Principals, and its reason
// says why (an empty list would read as "none of them can"); below the
// bound the list is filled in and the reason says nothing of it.
func TestNarrowedOrgCellTooManyPrincipals(t *testing.T) {
	for _, tc := range []struct {
		accounts int
		tooMany  bool
	}{{maxOrgPrincipalChecks + 10, true}, {12, false}} {
		doc := fakeaws.Synthetic(tc.accounts, 1)
		for ai := range doc.Accounts {
			for bi := range doc.Accounts[ai].Buckets {
				b := &doc.Accounts[ai].Buckets[bi]
				arn := "arn:aws:s3:::" + b.Name
				b.Encryption = &inventory.Encryption{Algorithm: inventory.AlgorithmAES256} // no key policy to narrow the accounts
				b.Policy = inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Pipelines","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + arn + `/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-synthetic0"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/data-pipeline"}}}]}`))
			}
		}
		rep, err := Analyze(context.Background(), doc, Options{Now: func() time.Time { return time.Unix(0, 0) }, PrincipalsPerCell: DefaultPrincipalsPerCell})
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, b := range rep.Buckets {
			c := b.Access.Org.Read
			if len(c.NarrowedTo) == 0 || (c.Verdict != model.VerdictAllow && c.Verdict != model.VerdictConditional) {
				continue
			}
			checked++
			said := strings.Contains(c.Reason, "principals is not filled in: more than")
			if tc.tooMany && (len(c.Principals) > 0 || !said) {
				t.Errorf("%d accounts, %s: principals %d, reason %q: want none listed and the reason saying why", tc.accounts, b.Name, len(c.Principals), c.Reason)
			}
			if !tc.tooMany && (len(c.Principals) == 0 || said) {
				t.Errorf("%d accounts, %s: principals %v, reason %q: want the data-pipeline roles listed", tc.accounts, b.Name, c.Principals, c.Reason)
			}
		}
		if checked == 0 {
			t.Fatalf("%d accounts: no narrowed org read cell: the test proves nothing", tc.accounts)
		}
	}
}
