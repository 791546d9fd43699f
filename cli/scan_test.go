package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// scanEnv points the SDK's default credential chain at the emulator's
// management credentials and away from any real profile.
func scanEnv(t *testing.T) {
	fakeawstest.ChainEnv(t, nil)
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScanCommand(t *testing.T) {
	scanEnv(t)
	t.Setenv("RT_EXTERNAL_ID", "rt-external-id")
	fixture, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, url := fakeawstest.Start(t, fixture)
	code, out, snap, stdout, stderr := runScan(t, url, "audit_role:\n  external_id: ${RT_EXTERNAL_ID}\noutputs:\n  formats: [json]\n")
	// The fixture records unreadable fields, so the scan is incomplete: 3.
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, ExitIncomplete, stdout.String(), stderr.String())
	}
	st, err := os.Stat(snap)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("snapshot mode %v, want 0600", st.Mode().Perm())
	}
	got, err := inventory.Load(snap)
	if err != nil {
		t.Fatalf("saved snapshot does not load: %v", err)
	}
	if diff := cmp.Diff(fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{}), inventory.Canonical(got)); diff != "" {
		t.Errorf("saved snapshot differs from the fixture:\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(out, "report.json")); err != nil {
		t.Errorf("report not written: %v\nstdout: %s", err, stdout.String())
	}
	if strings.Contains(stderr.String(), "rt-external-id") {
		t.Error("the external ID was logged")
	}
}

func TestScanCommandUsageErrors(t *testing.T) {
	scanEnv(t)
	t.Setenv(EnvJobCompletionIndex, "")
	t.Setenv(EnvBatchArrayIndex, "")
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "region: eu-west-1\naudit_role:\n  nam: x\nconcurrency: {requests: 0}\n")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"config problems, all with lines", []string{"scan", "--config", bad}, []string{"bad.yaml:3: audit_role.nam: unknown key", "bad.yaml:4: concurrency.requests"}},
		{"no config", []string{"scan"}, []string{"--config is required"}},
		{"bad severity", []string{"scan", "--config", bad, "--fail-on", "severe"}, []string{"--fail-on"}},
		{"bad format flag", []string{"scan", "--config", writeFile(t, dir, "ok.yaml", ""), "--format", "pdf"}, []string{"flag --format: outputs.formats[0]"}},
		{"shard without a snapshot", []string{"scan", "--config", filepath.Join(dir, "ok.yaml"), "--shard", "1/2"}, []string{"give --save-snapshot FILE"}},
		{"shard out of range", []string{"scan", "--config", filepath.Join(dir, "ok.yaml"), "--shard", "3/2", "--save-snapshot", "s.json"}, []string{`--shard "3/2": the shard "3" is not an integer from 1 to 2`}},
		{"auto shard without an index", []string{"scan", "--config", filepath.Join(dir, "ok.yaml"), "--shard", "auto/2", "--save-snapshot", "s.json"}, []string{"neither JOB_COMPLETION_INDEX"}},
		{"org-only with a shard", []string{"scan", "--config", filepath.Join(dir, "ok.yaml"), "--org-only", "--shard", "1/2", "--save-snapshot", "s.json"}, []string{"--org-only walks the organisation for the shards"}},
		{"org snapshot that is not a walk", []string{"scan", "--config", filepath.Join(dir, "ok.yaml"), "--org-snapshot", writeFile(t, dir, "plain.json", `{"schema_version":1,"accounts":[]}`)}, []string{"not an organisation walk (save one with scan --org-only"}},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), tt.args, nil, &stdout, &stderr)
		if code != ExitUsage {
			t.Errorf("%s: exit %d, want %d (stderr %s)", tt.name, code, ExitUsage, stderr.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tt.name, w, stderr.String())
			}
		}
	}
}

// TestScanCommandInterrupted: Ctrl-C (the context ends) mid-scan still
// writes the snapshot and the reports of what was collected, marked
// interrupted, and exits 3.
func TestScanCommandInterrupted(t *testing.T) {
	scanEnv(t)
	fixture, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fixture.Faults = &inventory.Faults{Latency: inventory.Duration(40 * time.Millisecond)}
	srv, url := fakeawstest.Start(t, fixture)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", "audit_role:\n  external_id: rt-external-id\nconcurrency: {accounts: 1, buckets: 1, requests: 2}\noutputs:\n  formats: [json]\n")
	snap := filepath.Join(dir, "snapshot.json")
	// Interrupted once the first bucket call is served: after the preflight
	// and a first account's role and bucket list (a scan that assessed no
	// account fails: exit 4), well before the whole scan (~3.4 s). Decided
	// on what the emulator served, not on a clock, so a slow machine
	// (-race, CI) interrupts at the same point.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if srv.Stats().ByOperation["s3:GetBucketPolicy"] > 0 {
				cancel()
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	var stdout, stderr bytes.Buffer
	code := Run(ctx, []string{"scan", "--config", cfg, "--endpoint-url", url, "--output-dir", filepath.Join(dir, "out"), "--save-snapshot", snap, "--log-format", "json"}, nil, &stdout, &stderr)
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d\nstderr: %s", code, ExitIncomplete, stderr.String())
	}
	got, err := inventory.Load(snap)
	if err != nil {
		t.Fatalf("snapshot of the interrupted scan: %v", err)
	}
	if got.Scan == nil || !got.Scan.Interrupted || got.Scan.Complete {
		t.Errorf("scan info %+v: want interrupted, incomplete", got.Scan)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "report.json")); err != nil {
		t.Fatalf("no report after the interruption: %v", err)
	}
	if rep := readReportJSON(t, filepath.Join(dir, "out")); rep.Scan == nil || !rep.Scan.Interrupted || rep.Scan.Complete {
		t.Errorf("report.json scan %+v: want it marked interrupted and incomplete", rep.Scan)
	}
}

// roundTripEmulator serves the scanner's round-trip fixture (with the
// emulator's credentials in the environment) and returns its URL.
func roundTripEmulator(t *testing.T) string {
	t.Helper()
	_, url := roundTripServer(t)
	return url
}

// roundTripServer is roundTripEmulator with the server and its options.
func roundTripServer(t *testing.T, opts ...fakeaws.Options) (*fakeaws.Server, string) {
	t.Helper()
	scanEnv(t)
	fixture, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return fakeawstest.Start(t, fixture, opts...)
}

// readReportJSON reads and validates dir/report.json.
func readReportJSON(t *testing.T, dir string) *model.Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := model.ValidateJSON(data); err != nil {
		t.Fatal(err)
	}
	var rep model.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// TestScopedScanThenAnalyze: a scan limited by its scope saves a snapshot
// that `analyze` loads back (the OU tree names accounts the scope left
// out); those accounts stay members of the organisation, never external
// accounts. Snapshots of complementary scopes, analysed together, give the
// report of the whole organisation.
func TestScopedScanThenAnalyze(t *testing.T) {
	url := roundTripEmulator(t)
	dir := t.TempDir()
	scan := func(name, scope string) string {
		t.Helper()
		cfg := writeFile(t, dir, name+".yaml", "audit_role:\n  external_id: rt-external-id\noutputs:\n  formats: [json]\n"+scope)
		snap := filepath.Join(dir, name+".json")
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), []string{"scan", "--config", cfg, "--endpoint-url", url, "--output-dir", filepath.Join(dir, name), "--save-snapshot", snap, "--log-format", "json"}, nil, &stdout, &stderr)
		if code != ExitIncomplete && code != ExitOK { // the fixture records unreadable fields
			t.Fatalf("scan %s: exit %d\nstderr: %s", name, code, stderr.String())
		}
		return snap
	}
	analyze := func(name string, snaps ...string) *model.Report {
		t.Helper()
		out := filepath.Join(dir, "analyze-"+name)
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), append(append([]string{"analyze"}, snaps...), "--output-dir", out, "--format", "json", "--log-format", "json"), nil, &stdout, &stderr)
		if code != ExitIncomplete && code != ExitOK {
			t.Fatalf("analyze %s: exit %d\nstderr: %s", name, code, stderr.String())
		}
		return readReportJSON(t, out)
	}

	withoutDev := scan("without-dev", "scope:\n  exclude_accounts: [\"333333333333\"]\n")
	rep := analyze("without-dev", withoutDev)
	if rep.Scan == nil || strings.Join(rep.Scan.ExcludedAccounts, ",") != "333333333333" {
		t.Errorf("report scan section %+v: want excluded_accounts [333333333333]", rep.Scan)
	}
	for _, b := range rep.Buckets {
		if b.AccountID == "333333333333" {
			t.Errorf("bucket %s of the excluded account is in the report", b.Name)
		}
		if _, ok := b.Access.External["333333333333"]; ok {
			t.Errorf("bucket %s: the excluded member 333333333333 is reported as an external account", b.Name)
		}
	}

	onlyDev := scan("only-dev", "scope:\n  include_accounts: [\"333333333333\"]\n")
	whole := scan("whole", "")
	merged, full := analyze("merged", withoutDev, onlyDev), analyze("whole", whole)
	if merged.Scan == nil || len(merged.Scan.ExcludedAccounts) != 0 {
		t.Errorf("merged scan section %+v: nothing is excluded from both", merged.Scan)
	}
	// The buckets of the first scope are assessed exactly as by the whole
	// scan. (The second scope cannot read a key of 222222222222 that a
	// bucket of 333333333333 uses: that key stays unknown, honestly.)
	byName := func(r *model.Report) map[string]model.Bucket {
		m := map[string]model.Bucket{}
		for _, b := range r.Buckets {
			m[b.Name] = b
		}
		return m
	}
	fullBuckets, mergedBuckets := byName(full), byName(merged)
	if len(fullBuckets) != len(mergedBuckets) {
		t.Errorf("%d buckets merged, %d in the whole scan", len(mergedBuckets), len(fullBuckets))
	}
	for name, b := range fullBuckets {
		if b.AccountID == "333333333333" {
			continue
		}
		if diff := cmp.Diff(b, mergedBuckets[name]); diff != "" {
			t.Errorf("bucket %s differs between the whole scan and the merged scopes (-whole +merged):\n%s", name, diff)
		}
	}
}

// TestAccountsListScanIsHonestAboutSCPs: a scan of an accounts: list does
// not read the organisation; a member account's SCPs and RCPs are then
// unknown, so the report does not allow what an SCP may deny, and the run is
// incomplete (exit 3).
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
func TestAccountsListScanIsHonestAboutSCPs(t *testing.T) {
	url := roundTripEmulator(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", "audit_role:\n  external_id: rt-external-id\noutputs:\n  formats: [json]\naccounts:\n  - {id: \"222222222222\"}\n")
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"scan", "--config", cfg, "--endpoint-url", url, "--output-dir", out, "--save-snapshot", filepath.Join(dir, "snap.json"), "--log-format", "json"}, nil, &stdout, &stderr)
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d\nstderr: %s", code, ExitIncomplete, stderr.String())
	}
	rep := readReportJSON(t, out)
	found := false
	for _, b := range rep.Buckets {
		if b.Name != "prod-public" {
			continue
		}
		found = true
		if c := b.Access.SameAccount.List; c.Verdict != model.VerdictUnknown || !strings.Contains(c.Reason, "SCPs of account 222222222222") {
			t.Errorf("prod-public same_account.list: %s (%s), want unknown: the account's SCPs were not read", c.Verdict, c.Reason)
		}
	}
	if !found {
		t.Fatal("bucket prod-public not in the report")
	}
}
