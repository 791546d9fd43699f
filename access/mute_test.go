package access

import (
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// muteFunc is a Muter from a function.
type muteFunc func(accountID, bucket, findingID string) (string, bool)

func (f muteFunc) Mute(accountID, bucket, findingID string) (string, bool) {
	return f(accountID, bucket, findingID)
}

// TestMutedFindings: a Muter marks findings, bucket and account ones, with
// its reason; they stay in the report and are counted apart; the
// assessment-incomplete finding is never muted.
func TestMutedFindings(t *testing.T) {
	analyze := func(m Muter) *model.Report {
		t.Helper()
		doc, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return analyzeValid(t, doc, Options{Mutes: m})
	}
	plain := analyze(nil)
	all := func(string, string, string) (string, bool) { return "accepted", true }
	muted := analyze(muteFunc(all))

	var findings, mutedCount, incomplete int
	check := func(where string, fs, before []model.Finding) {
		if len(fs) != len(before) {
			t.Errorf("%s: %d findings muted, %d without a mutelist: muting hides nothing", where, len(fs), len(before))
		}
		for _, f := range fs {
			findings++
			switch {
			case f.ID == model.FindingAssessmentIncomplete:
				incomplete++
				if f.Muted {
					t.Errorf("%s: assessment-incomplete muted", where)
				}
			case !f.Muted || f.MuteReason != "accepted":
				t.Errorf("%s: %s not muted (%v, %q)", where, f.ID, f.Muted, f.MuteReason)
			default:
				mutedCount++
			}
		}
	}
	for i := range muted.Accounts {
		check("account "+muted.Accounts[i].ID, muted.Accounts[i].Findings, plain.Accounts[i].Findings)
	}
	for i := range muted.Buckets {
		check("bucket "+muted.Buckets[i].Name, muted.Buckets[i].Findings, plain.Buckets[i].Findings)
	}
	if mutedCount == 0 || incomplete == 0 {
		t.Fatalf("fixture has %d muted and %d assessment-incomplete findings: want some of each", mutedCount, incomplete)
	}
	sum := 0
	for sev, n := range muted.Summary.MutedBySeverity {
		sum += n
		if n > muted.Summary.FindingsBySeverity[sev] {
			t.Errorf("%s: %d muted of %d", sev, n, muted.Summary.FindingsBySeverity[sev])
		}
	}
	if sum != mutedCount {
		t.Errorf("summary counts %d muted findings, the report has %d", sum, mutedCount)
	}
	if plain.Summary.MutedBySeverity != nil {
		t.Errorf("without a mutelist: muted_by_severity %v", plain.Summary.MutedBySeverity)
	}

	// Only what the muter names.
	one := analyze(muteFunc(func(_, bucket, id string) (string, bool) {
		return "one", bucket == plain.Buckets[0].Name && id == plain.Buckets[0].Findings[0].ID
	}))
	n := 0
	for _, b := range one.Buckets {
		for _, f := range b.Findings {
			if f.Muted {
				n++
			}
		}
	}
	if n != 1 {
		t.Errorf("%d findings muted, want 1", n)
	}
}

// TestMutableFindingIDs: every catalogued finding but assessment-incomplete.
func TestMutableFindingIDs(t *testing.T) {
	ids := MutableFindingIDs()
	if len(ids) != len(model.Catalog())-1 {
		t.Errorf("%d mutable IDs of %d", len(ids), len(model.Catalog()))
	}
	for _, id := range ids {
		if id == model.FindingAssessmentIncomplete {
			t.Error("assessment-incomplete is mutable")
		}
	}
}
