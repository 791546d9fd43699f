package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/internal/golden"
	"github.com/bucketaudit/bucketaudit/model"
)

func loadDiffInputs(t *testing.T) (*model.Report, *model.Report) {
	t.Helper()
	old, err := LoadReport("testdata/diff/old.json")
	if err != nil {
		t.Fatal(err)
	}
	nw, err := LoadReport("testdata/diff/new.json")
	if err != nil {
		t.Fatal(err)
	}
	return old, nw
}

// The two inputs differ in known ways: account 111111111111 (and its
// bucket logs, and its account-bpa-off finding) left, 333333333333 with
// new-data arrived; public-site's public write went from conditional to
// allow (public-write is new) and its ACLs were disabled (acls-enabled is
// resolved); partner-share's vendor 444455556666 was replaced by
// 777788889999; locked became readable (unknown → deny, assessment
// finding resolved).
func TestDiffKnownChanges(t *testing.T) {
	old, nw := loadDiffInputs(t)
	d := Compare(old, nw)
	ids := func(fs []model.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, string(f.Severity)+" "+f.ID+" "+location(f.AccountID, f.Bucket))
		}
		return out
	}
	if diff := cmp.Diff([]string{
		"critical public-write 222222222222/public-site",
		"high external-account-access 222222222222/partner-share",
	}, ids(d.NewFindings)); diff != "" {
		t.Errorf("new findings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{
		"high account-bpa-off 111111111111",
		"high external-account-access 222222222222/partner-share",
		"low acls-enabled 222222222222/public-site",
		"info assessment-incomplete 222222222222/locked",
	}, ids(d.ResolvedFindings)); diff != "" {
		t.Errorf("resolved findings (-want +got):\n%s", diff)
	}
	var cells []string
	for _, c := range d.ChangedCells {
		cells = append(cells, strings.TrimSpace(c.Bucket+" "+c.Class+" "+c.External)+" "+c.Action+" "+string(c.Old)+">"+string(c.New))
	}
	want := []string{
		"locked public read unknown>deny", "locked public list unknown>deny", "locked public write unknown>deny", "locked public delete unknown>deny", "locked public manage unknown>deny",
		"locked any_aws read unknown>deny", "locked any_aws list unknown>deny", "locked any_aws write unknown>deny", "locked any_aws delete unknown>deny", "locked any_aws manage unknown>deny",
		"locked org read unknown>deny", "locked org list unknown>deny", "locked org write unknown>deny", "locked org delete unknown>deny", "locked org manage unknown>deny",
		"partner-share external 444455556666 read unknown>", "partner-share external 444455556666 list conditional>",
		"partner-share external 777788889999 read >allow",
		"public-site public write conditional>allow",
	}
	if diff := cmp.Diff(want, cells); diff != "" {
		t.Errorf("changed cells (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]BucketRef{{AccountID: "333333333333", Name: "new-data", Region: "eu-central-1", Exposure: "private"}}, d.BucketsAdded); diff != "" {
		t.Errorf("buckets added (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]BucketRef{{AccountID: "111111111111", Name: "logs", Region: "us-east-1", Exposure: "private"}}, d.BucketsRemoved); diff != "" {
		t.Errorf("buckets removed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]AccountRef{{ID: "333333333333", Name: "analytics", OUPath: "Root/Workloads/Analytics"}}, d.AccountsAdded); diff != "" {
		t.Errorf("accounts added (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]AccountRef{{ID: "111111111111", Name: "management", OUPath: "Root"}}, d.AccountsRemoved); diff != "" {
		t.Errorf("accounts removed (-want +got):\n%s", diff)
	}
	for sev, want := range map[string]int{"critical": 1, "high": 2, "medium": 2, "info": 2} {
		if got := d.NewAtOrAbove(sev); got != want {
			t.Errorf("NewAtOrAbove(%s) = %d, want %d", sev, got, want)
		}
	}
}

func TestDiffGolden(t *testing.T) {
	old, nw := loadDiffInputs(t)
	d := Compare(old, nw)
	d.Old.Name, d.New.Name = "old.json", "new.json"
	var text, js bytes.Buffer
	if err := d.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "diff/diff.txt", text.Bytes())
	golden.Check(t, "diff/diff.json", js.Bytes())
}

func TestDiffIdentical(t *testing.T) {
	old, _ := loadDiffInputs(t)
	d := Compare(old, old)
	if !d.Empty() {
		t.Errorf("a report differs from itself: %+v", d)
	}
	var js bytes.Buffer
	if err := d.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	// Empty lists are [] (not null) so that consumers can iterate them.
	if strings.Contains(js.String(), "null") {
		t.Errorf("empty diff JSON has null lists:\n%s", js.String())
	}
}

// A finding that occurs twice in the new run and once in the old one is
// new once.
func TestDiffDuplicateFindings(t *testing.T) {
	old := sampleReport()
	nw := sampleReport()
	b := &nw.Buckets[1]
	b.Findings = append(b.Findings, b.Findings[0])
	d := Compare(old, nw)
	if len(d.NewFindings) != 1 || d.NewFindings[0].ID != "public-read" || len(d.ResolvedFindings) != 0 {
		t.Errorf("new %v resolved %v, want one public-read", d.NewFindings, d.ResolvedFindings)
	}
}

func TestCheckSeverity(t *testing.T) {
	for _, s := range []string{"critical", "high", "medium", "low", "info"} {
		if err := CheckSeverity(s); err != nil {
			t.Errorf("CheckSeverity(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "HIGH", "severe"} {
		if err := CheckSeverity(s); err == nil {
			t.Errorf("CheckSeverity(%q) accepted", s)
		}
	}
	d := &Diff{NewFindings: []model.Finding{{Severity: "weird"}, {Severity: model.SeverityLow}}}
	if got := d.NewAtOrAbove("info"); got != 1 {
		t.Errorf("NewAtOrAbove(info) = %d, want 1 (an unknown severity is below every threshold)", got)
	}
	d.NewFindings = append(d.NewFindings, model.Finding{Severity: model.SeverityCritical, Muted: true, MuteReason: "accepted"})
	if got := d.NewAtOrAbove("info"); got != 1 {
		t.Errorf("NewAtOrAbove(info) = %d, want 1 (a muted finding does not count)", got)
	}
}

func TestReadReportErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"syntax", "{\n  \"schema_version\": 1,\n  \"buckets\": [}\n", "r.json:3:15: invalid character '}'"},
		{"type", "{\"schema_version\": \"one\", \"generated_at\": \"2026-01-01T00:00:00Z\", \"accounts\": [], \"buckets\": []}", "r.json:1:24: schema_version: string where int is expected"},
		{"snapshot", `{"schema_version": 1, "accounts": [{"id": "111111111111"}]}`, "r.json: not a bucketaudit report.json (missing generated_at, buckets)"},
		{"version", `{"schema_version": 2, "generated_at": "2026-01-01T00:00:00Z", "accounts": [], "buckets": []}`, "r.json: report schema_version 2, this bucketaudit reads 1"},
		{"not an object", `[1, 2]`, "r.json:1:1: a report.json is a JSON object, not array"},
		{"empty", ``, "r.json:1:1: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadReport(strings.NewReader(tt.doc), "r.json")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := LoadReport(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("loading a missing file succeeded")
	}
}

func FuzzReadReport(f *testing.F) {
	// A compact report with one bucket of each kind (large seeds make the
	// coverage-guided fuzzer crawl).
	r := sampleReport()
	r.Buckets = r.Buckets[2:3]
	seed, err := json.Marshal(r)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"schema_version":1,"generated_at":"2026-01-01T00:00:00Z","accounts":null,"buckets":[{"access":{"external":{"1":{}}}}]}`))
	f.Add([]byte(`{"schema_version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadReport(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			return
		}
		if r.SchemaVersion != model.SchemaVersion {
			t.Fatalf("accepted schema_version %d", r.SchemaVersion)
		}
		// What was accepted writes back and reads back the same, and
		// compares with itself as unchanged.
		buf := bytes.NewBuffer(writeFormat(t, FormatJSON, r))
		back, err := ReadReport(buf, "rewritten.json")
		if err != nil {
			t.Fatalf("rewritten report does not read: %v\n%s", err, buf.String())
		}
		a, _ := json.Marshal(r)
		b, _ := json.Marshal(back)
		if !bytes.Equal(a, b) {
			t.Fatalf("round trip changed the report:\n%s\n%s", a, b)
		}
		if d := Compare(r, back); !d.Empty() {
			t.Fatalf("a report differs from its round trip: %+v", d)
		}
	})
}

// TestDiffSideCompleteness: a side is complete only when its scan says so,
// was not interrupted, and every account and bucket was fully assessed; a
// report without a scan section (analysed fixture) counts its summary.
func TestDiffSideCompleteness(t *testing.T) {
	_, nw := loadDiffInputs(t)
	tests := []struct {
		name        string
		edit        func(r *model.Report)
		complete    bool
		interrupted bool
	}{
		{"complete", func(*model.Report) {}, true, false},
		{"scan incomplete", func(r *model.Report) { r.Scan.Complete = false }, false, false},
		{"interrupted", func(r *model.Report) { r.Scan.Interrupted = true }, false, true},
		{"unassessed bucket", func(r *model.Report) { r.Summary.Incomplete = 2 }, false, false},
		{"no scan section", func(r *model.Report) { r.Scan = nil }, true, false},
		{"no scan section, unassessed account", func(r *model.Report) { r.Scan, r.Summary.Incomplete = nil, 1 }, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := *nw
			scan := *nw.Scan
			r.Scan = &scan
			tt.edit(&r)
			d := Compare(nw, &r)
			if d.New.Complete != tt.complete || d.New.Interrupted != tt.interrupted || d.Incomplete() == tt.complete {
				t.Errorf("new side %+v (diff incomplete: %v), want complete %v, interrupted %v", d.New, d.Incomplete(), tt.complete, tt.interrupted)
			}
			if got := len(d.Warnings()); got != map[bool]int{true: 0, false: 1}[tt.complete] {
				t.Errorf("%d warnings: %q", got, d.Warnings())
			}
		})
	}
}
