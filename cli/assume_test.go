package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/demo"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/report"
)

// TestScanExternalViaRoleE2E scans a synthetic organisation with IAM roles
// (trust chains across member accounts, a partner account with and without
// sts:ExternalId, AWS services) through the emulator with the real SDK:
// report.json holds the external-via-role findings the analysis of the
// fixture itself gives, among them a path of two hops from the partner
// account.
func TestScanExternalViaRoleE2E(t *testing.T) {
	fixture := fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 2, Buckets: 3, Roles: 12})
	rep, _ := scanFixture(t, fixture)
	want, err := access.Analyze(context.Background(), fixture, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	viaRole := func(r *model.Report) []string {
		var out []string
		for _, b := range r.Buckets {
			for _, f := range b.Findings {
				if f.ID == model.FindingExternalViaRole {
					out = append(out, b.Name+" "+string(f.Severity)+" "+f.Detail)
				}
			}
		}
		return out
	}
	got := viaRole(rep)
	if d := cmp.Diff(viaRole(want), got); d != "" {
		t.Errorf("external-via-role findings of the scan differ from the fixture's (-fixture +scan):\n%s", d)
	}
	twoHops := false
	for _, f := range got {
		if strings.Contains(f, "account "+fakeaws.SyntheticPartnerAccount+" → arn:aws:iam::") && strings.Count(f[strings.Index(f, ": account "):], " → ") == 2 {
			twoHops = true
		}
	}
	if !twoHops {
		t.Errorf("no two-hop path from the partner account among:\n%s", strings.Join(got, "\n"))
	}
}

// TestAnalyzeOCSF: `analyze --format ocsf,json` writes report.ocsf.jsonl:
// one IAM Analysis Finding event (class 2008) per finding of the report,
// among them the demo's external-via-role.
func TestAnalyzeOCSF(t *testing.T) {
	dir := t.TempDir()
	fixture := writeFile(t, dir, "org.yaml", string(demo.Fixture()))
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "analyze", fixture, "--output-dir", out, "--format", "ocsf,json", "--log-format", "json")
	if code != ExitOK && code != ExitIncomplete {
		t.Fatalf("analyze exit %d: %s", code, stderr)
	}
	rep := readReportJSON(t, out)
	n := 0
	for _, a := range rep.Accounts {
		n += len(a.Findings)
	}
	for _, b := range rep.Buckets {
		n += len(b.Findings)
	}
	data, err := os.ReadFile(filepath.Join(out, "report.ocsf.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d OCSF events, want %d (one per finding)", len(lines), n)
	}
	via := 0
	for i, l := range lines {
		var ev report.OCSFEvent
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if ev.ClassUID != 2008 || ev.TypeUID != 200801 {
			t.Errorf("line %d: class_uid %d type_uid %d", i+1, ev.ClassUID, ev.TypeUID)
		}
		if ev.FindingInfo.Types[0] == model.FindingExternalViaRole {
			via++
		}
	}
	if via == 0 {
		t.Error("no external-via-role event")
	}
}
