package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/internal/golden"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// fixedNow is the injected clock of the golden report.
func fixedNow() time.Time { return time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC) }

func analyzeDemo(t *testing.T) (*model.Report, []byte) {
	t.Helper()
	doc, err := inventory.Parse(Fixture(), "demo/org.yaml")
	if err != nil {
		t.Fatalf("the demo organisation does not load: %v", err)
	}
	rep, err := access.Analyze(context.Background(), doc, access.Options{
		Now: fixedNow, ToolVersion: "test", Sources: []string{"demo/org.yaml"}, TrustedAccounts: TrustedAccounts(),
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return rep, append(data, '\n')
}

// TestDemoGolden compares the demo organisation's report.json with
// testdata/report.json (go test ./demo -update rewrites it) and validates
// it against the JSON Schema.
func TestDemoGolden(t *testing.T) {
	_, got := analyzeDemo(t)
	if err := model.ValidateJSON(got); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "report.json", got)
	// Deterministic: a second run gives the same bytes.
	if _, again := analyzeDemo(t); !bytes.Equal(got, again) {
		t.Error("two analyses of the demo organisation differ")
	}
}

// TestDemoCoversCatalogue checks the demo's promise: every finding of the
// catalogue and every deciding layer of the matrix occurs at least once.
func TestDemoCoversCatalogue(t *testing.T) {
	rep, _ := analyzeDemo(t)
	findings := map[string]int{}
	for _, a := range rep.Accounts {
		for _, f := range a.Findings {
			findings[f.ID]++
		}
	}
	layers := map[string]int{}
	verdicts := map[model.Verdict]int{}
	count := func(c model.Cell) {
		verdicts[c.Verdict]++
		for _, l := range c.DecidedBy {
			layers[l]++
		}
	}
	each := func(x model.Actions) {
		for _, c := range []model.Cell{x.Read, x.List, x.Write, x.Delete, x.Manage} {
			count(c)
		}
	}
	for _, b := range rep.Buckets {
		for _, f := range b.Findings {
			findings[f.ID]++
		}
		each(b.Access.Public)
		each(b.Access.AnyAWS)
		each(b.Access.Org)
		each(b.Access.SameAccount)
		for _, e := range b.Access.External {
			each(e.Actions)
		}
	}
	var missing []string
	for _, e := range model.Catalog() {
		if findings[e.ID] == 0 {
			missing = append(missing, "finding "+e.ID)
		}
	}
	for _, l := range model.Layers() {
		if layers[l] == 0 {
			missing = append(missing, "layer "+l)
		}
	}
	for _, v := range []model.Verdict{model.VerdictAllow, model.VerdictDeny, model.VerdictConditional, model.VerdictUnknown} {
		if verdicts[v] == 0 {
			missing = append(missing, "verdict "+string(v))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the demo organisation lacks: %s", strings.Join(missing, ", "))
	}
}

// TestDemoScanAgrees analyses the snapshot a complete scan of the demo
// organisation through fakeaws must produce (fakeaws.Expected) and checks
// it gives the fixture's matrix and findings: the fixture is the snapshot.
func TestDemoScanAgrees(t *testing.T) {
	fixture, err := inventory.Parse(Fixture(), "demo/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opts := access.Options{Now: fixedNow, ToolVersion: "test", TrustedAccounts: TrustedAccounts()}
	snapshot := fakeaws.Expected(fixture)
	want, err := access.Analyze(context.Background(), fixture, opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := access.Analyze(context.Background(), snapshot, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Buckets) != len(want.Buckets) {
		t.Fatalf("%d buckets from the snapshot, %d from the fixture", len(got.Buckets), len(want.Buckets))
	}
	for i := range want.Buckets {
		w, g := want.Buckets[i], got.Buckets[i]
		if d := cmp.Diff(w.Access, g.Access); d != "" {
			t.Errorf("%s: access differs (-fixture +snapshot):\n%s", w.Name, d)
		}
		if d := cmp.Diff(w.Findings, g.Findings); d != "" {
			t.Errorf("%s: findings differ (-fixture +snapshot):\n%s", w.Name, d)
		}
	}
	if d := cmp.Diff(want.Summary, got.Summary); d != "" {
		t.Errorf("summary differs (-fixture +snapshot):\n%s", d)
	}
}
