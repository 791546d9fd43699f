package access

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// scanLike is a synthetic organisation as a scan's snapshot (a scan
// section: no fixture defaults), with canonical IDs of its own, as AWS's
// are (not the fixture default an account without one gets).
func scanLike(accounts, buckets int) *inventory.Document {
	doc := fakeaws.Synthetic(accounts, buckets)
	doc.Scan = &inventory.ScanInfo{Complete: true, TrustedAccounts: map[string]string{fakeaws.SyntheticPartnerAccount: "Partner"}}
	canonical := map[string]string{}
	for i := range doc.Accounts {
		a := &doc.Accounts[i]
		canonical[inventory.DefaultCanonicalID(a.ID)] = fmt.Sprintf("%064x", i+1)
	}
	for i := range doc.Accounts {
		a := &doc.Accounts[i]
		a.CanonicalID = canonical[inventory.DefaultCanonicalID(a.ID)]
		for j := range a.Buckets {
			if acl := a.Buckets[j].ACL; acl != nil {
				if c, ok := canonical[acl.OwnerID]; ok {
					acl.OwnerID = c
				}
				for k := range acl.Grants {
					if c, ok := canonical[acl.Grants[k].Grantee.ID]; ok {
						acl.Grants[k].Grantee.ID = c
					}
				}
			}
		}
	}
	return doc
}

// skeletonOf is what a scan hands over once the organisation is walked.
func skeletonOf(doc *inventory.Document) *inventory.Document {
	sk := &inventory.Document{SchemaVersion: doc.SchemaVersion, Organization: doc.Organization, Scan: &inventory.ScanInfo{TrustedAccounts: doc.Scan.TrustedAccounts}}
	for _, a := range doc.Accounts {
		stub := inventory.Account{ID: a.ID, Name: a.Name, Email: a.Email, Status: a.Status, OUPath: a.OUPath, Policies: a.Policies, Tags: a.Tags}
		for _, k := range []string{"policies", "tags"} {
			if e, ok := a.Errors.Get(k); ok {
				if stub.Errors == nil {
					stub.Errors = inventory.Errors{}
				}
				stub.Errors[k] = e
			}
		}
		sk.Accounts = append(sk.Accounts, stub)
	}
	return sk
}

// overlapped streams doc as a scan's overlapping analysis does: the
// accounts are added in the order of collected (indexes into
// doc.Accounts), streaming what can be after each, then the rest from the
// finished document. It returns the buckets streamed, the report, how many
// accounts were streamed before Finish and why the rest waited.
func overlapped(t *testing.T, doc *inventory.Document, opts Options, collected []int) ([]model.Bucket, *model.Report, int, string) {
	t.Helper()
	return overlappedAhead(t, doc, opts, nil, collected)
}

// overlappedAhead is overlapped with the IAM of the accounts of ahead
// (indexes into doc.Accounts) read ahead of their buckets, as a scan that
// collects IAM hands it over (AddIAM), before the accounts are collected.
func overlappedAhead(t testing.TB, doc *inventory.Document, opts Options, ahead, collected []int) ([]model.Bucket, *model.Report, int, string) {
	t.Helper()
	inventory.ApplyDefaults(doc) // a no-op on a scan's snapshot: what the scan collected
	var got []model.Bucket
	sink := func(b *model.Bucket) error { got = append(got, *b); return nil }
	ov, err := NewOverlap(skeletonOf(doc), opts, sink)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ahead {
		a := doc.Accounts[i]
		var in *inventory.IAM
		if a.IAM != nil {
			cp := *a.IAM
			in = &cp
		}
		if err := ov.AddIAM(a.ID, in, a.Errors[fieldIAM]); err != nil {
			t.Fatal(err)
		}
		if err := ov.Stream(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, i := range collected {
		if err := ov.Add(&doc.Accounts[i]); err != nil {
			t.Fatal(err)
		}
		if err := ov.Stream(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	early := ov.Streamed()
	rep, err := ov.Finish(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	return got, rep, early, ov.Deferred()
}

// TestOverlapEqualsStream: the buckets an overlapping analysis streams,
// account by account as the scan collects them (in an order that is not
// the report's), are those (same order, same content) Stream gives on the
// finished document, and so is the rest of the report. Accounts whose
// ACLs grant another account's canonical user wait for it; the first
// bucket encrypted with another account's KMS key makes the rest wait for
// the finished document.
func TestOverlapEqualsStream(t *testing.T) {
	at := func() time.Time { return time.Unix(0, 0) }
	opts := Options{Now: at, Workers: 3}
	// withoutIAM drops the accounts' IAM: with it, a bucket's cells list
	// the principals of every member account and its findings who can
	// assume its roles, so no account is streamed before all are collected.
	withoutIAM := func(d *inventory.Document) *inventory.Document {
		for i := range d.Accounts {
			d.Accounts[i].IAM = nil
		}
		return d
	}
	same := func(d *inventory.Document) *inventory.Document { return d }
	// iamGaps: one account's IAM could not be read, another's audit role
	// not assumed (no IAM, no IAM error): their principals are unlisted.
	iamGaps := func(d *inventory.Document) *inventory.Document {
		d.Accounts[2].IAM = nil
		d.Accounts[2].Errors = inventory.Errors{fieldIAM: {Code: "AccessDenied", Message: "not authorized to perform iam:GetAccountAuthorizationDetails"}}
		d.Accounts[5].IAM = nil
		return d
	}
	all := []int{9, 3, 0, 8, 1, 2, 5, 4, 7, 6}
	for _, tc := range []struct {
		name      string
		ahead     []int // accounts whose IAM is read ahead (AddIAM)
		collected []int
		doc       func(*inventory.Document) *inventory.Document
		early     bool // some account is streamed before Finish
	}{
		{"partly with IAM read ahead", all, []int{1, 0, 2, 4, 3}, same, true},
		{"with IAM read ahead, partly", []int{0, 1, 2}, []int{0, 1, 2, 3}, same, false},
		{"IAM gaps read ahead", all, []int{0, 1, 2, 3, 4, 5, 6}, iamGaps, true},
		{"report order", nil, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, same, true},
		{"scan order", nil, []int{3, 0, 8, 1, 2, 9, 5, 4, 7, 6}, same, true},
		{"partly", nil, []int{1, 0, 2, 4, 3}, withoutIAM, true}, // Finish has the rest
		{"partly with IAM", nil, []int{1, 0, 2, 4, 3}, same, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []model.Bucket
			wantRep, err := Stream(context.Background(), tc.doc(scanLike(9, 14)), opts, func(b *model.Bucket) error { want = append(want, *b); return nil })
			if err != nil {
				t.Fatal(err)
			}
			got, rep, early, why := overlappedAhead(t, tc.doc(scanLike(9, 14)), opts, tc.ahead, tc.collected)
			t.Logf("%d of 10 accounts streamed before Finish; then: %s", early, why)
			if (early > 0) != tc.early {
				t.Fatalf("%d accounts streamed before Finish (%s), want early streaming %v", early, why, tc.early)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("overlapped buckets differ from Stream's (-stream +overlap):\n%s", diff)
			}
			wj, _ := json.Marshal(wantRep)
			gj, _ := json.Marshal(rep)
			if string(wj) != string(gj) {
				t.Errorf("overlapped report differs from Stream's:\n%s\n%s", wj, gj)
			}
		})
	}
}

// TestOverlapWaitsForOtherAccountsKeys: a bucket encrypted with a KMS key
// of another account (which a scan reads last) makes its account, and
// every one after it, wait for the finished document; the report is still
// Stream's.
func TestOverlapWaitsForOtherAccountsKeys(t *testing.T) {
	at := func() time.Time { return time.Unix(0, 0) }
	opts := Options{Now: at, Workers: 2}
	doc := func() *inventory.Document {
		d := scanLike(6, 6)
		for _, a := range d.Accounts[4:] {
			if len(a.KMSKeys) > 0 {
				d.Accounts[3].Buckets[0].Encryption = &inventory.Encryption{Algorithm: "aws:kms", KMSKeyID: a.KMSKeys[0].ARN}
				return d
			}
		}
		t.Fatal("no account after the fourth has a KMS key")
		return nil
	}
	var want []model.Bucket
	wantRep, err := Stream(context.Background(), doc(), opts, func(b *model.Bucket) error { want = append(want, *b); return nil })
	if err != nil {
		t.Fatal(err)
	}
	got, rep, early, why := overlapped(t, doc(), opts, []int{0, 1, 2, 3, 4, 5, 6})
	if early != 3 || !strings.Contains(why, "account "+doc().Accounts[3].ID+": bucket") || !strings.Contains(why, "KMS key of another account") {
		t.Errorf("%d accounts streamed before Finish, then %q; want 3, then the fourth waiting for another account's key", early, why)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("overlapped buckets differ from Stream's (-stream +overlap):\n%s", diff)
	}
	wj, _ := json.Marshal(wantRep)
	gj, _ := json.Marshal(rep)
	if string(wj) != string(gj) {
		t.Error("overlapped report differs from Stream's")
	}
}

// TestOverlapKeepsAssumeGraph: an account added with the IAM read ahead
// keeps the assume-role graph built (it is of the accounts' IAM, which
// Add does not change), and the analysis keeps one worker across accounts;
// an account whose IAM comes only with Add makes the graph be built again.
func TestOverlapKeepsAssumeGraph(t *testing.T) {
	for _, lastAhead := range []bool{true, false} {
		doc := scanLike(4, 2)
		inventory.ApplyDefaults(doc)
		ov, err := NewOverlap(skeletonOf(doc), Options{Now: epoch}, func(*model.Bucket) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		last := len(doc.Accounts) - 1
		for i, a := range doc.Accounts {
			if i == last && !lastAhead {
				break // its IAM comes with the account
			}
			cp := *a.IAM
			if err := ov.AddIAM(a.ID, &cp, inventory.FetchError{}); err != nil {
				t.Fatalf("account %d: %v", i, err)
			}
		}
		var w *worker
		for i := range doc.Accounts {
			g := ov.ix.AssumeGraph()
			if err := ov.Add(&doc.Accounts[i]); err != nil {
				t.Fatal(err)
			}
			ahead := lastAhead || i < last
			if kept := ov.ix.AssumeGraph() == g; kept != ahead {
				t.Errorf("account %d (IAM ahead %v): graph kept %v", i, ahead, kept)
			}
			if err := ov.Stream(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			if lastAhead {
				if ov.Streamed() != i+1 {
					t.Fatalf("account %d: %d accounts streamed: %s", i, ov.Streamed(), ov.Deferred())
				}
				if w != nil && ov.w != w {
					t.Errorf("account %d: a new worker", i)
				}
				w = ov.w
			}
		}
	}
}
