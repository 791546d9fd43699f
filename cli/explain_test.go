package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/internal/golden"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/report"
)

const (
	explainFixture = "../explain/testdata/org.yaml"
	explainRecords = "../explain/testdata/cloudtrail/"
	explainReader  = "arn:aws:sts::333333333333:assumed-role/reader/alice"
)

func runExplain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), append([]string{"explain", "--log-format", "json"}, args...), nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// explainJSON is the part of `explain --format json` the tests read.
type explainJSON struct {
	Decision  string  `json:"decision"`
	BlockedBy *string `json:"blocked_by"`
	Layers    []struct {
		Layer   string `json:"layer"`
		Verdict string `json:"verdict"`
		Blocks  bool   `json:"blocks"`
		Fix     string `json:"fix"`
	} `json:"layers"`
	NoSuchKey *struct {
		Status int `json:"status"`
	} `json:"no_such_key"`
	Credentials *struct {
		Problem string `json:"problem"`
	} `json:"credentials"`
}

func decodeExplain(t *testing.T, out string) explainJSON {
	t.Helper()
	var x explainJSON
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	for _, k := range []string{"decision", "blocked_by", "layers"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON output lacks %q", k)
		}
	}
	if err := json.Unmarshal([]byte(out), &x); err != nil {
		t.Fatal(err)
	}
	return x
}

// TestExplainSnapshotText: the checklist of the missing-/* cause, as text.
func TestExplainSnapshotText(t *testing.T) {
	code, out, errOut := runExplain(t, "--snapshot", explainFixture, "--principal", explainReader,
		"--action", "s3:GetObject", "--bucket", "missing-slash", "--key", "reports/2024.csv",
		"--context", "aws:SourceIp=203.0.113.10", "--context", "aws:SourceVpce=")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden.Check(t, "explain/missing-slash.txt", []byte(out))
}

// TestExplainSnapshotJSON: the JSON contract (decision, blocked_by named as
// decided_by, layers in checklist order).
func TestExplainSnapshotJSON(t *testing.T) {
	code, out, errOut := runExplain(t, "--snapshot", explainFixture, "--principal", explainReader,
		"--action", "s3:GetObject", "--bucket", "ml-datasets", "--key", "train/part-0.parquet", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	x := decodeExplain(t, out)
	if x.Decision != "implicit_deny" || x.BlockedBy == nil || *x.BlockedBy != "kms" {
		t.Fatalf("decision %s blocked_by %v, want implicit_deny kms", x.Decision, x.BlockedBy)
	}
	var order []string
	for _, l := range x.Layers {
		order = append(order, l.Layer)
	}
	if got := strings.Join(order, ","); got != "caller,bucket_policy,identity,bpa,acl,kms,vpce,scp,rcp" {
		t.Errorf("layers in order %s", got)
	}
	golden.Check(t, "explain/ml-datasets.json", []byte(out))

	// Allowed: blocked_by is null.
	code, out, errOut = runExplain(t, "--snapshot", explainFixture, "--principal", "arn:aws:sts::222222222222:assumed-role/app/i-0abc",
		"--action", "s3:GetObject", "--bucket", "missing-key", "--key", "k", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"blocked_by": null`) {
		t.Errorf("an allowed request has a blocked_by:\n%s", out)
	}
	if x := decodeExplain(t, out); x.Decision != "allow" || x.NoSuchKey == nil || x.NoSuchKey.Status != 403 {
		t.Errorf("decision %s no_such_key %+v, want allow and a 403 for a missing key", x.Decision, x.NoSuchKey)
	}
}

// TestExplainCloudTrailEvent: the request read from a CloudTrail record.
func TestExplainCloudTrailEvent(t *testing.T) {
	code, out, errOut := runExplain(t, "--snapshot", explainFixture, "--cloudtrail-event", explainRecords+"getobject-accessdenied.json", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	x := decodeExplain(t, out)
	if x.Decision != "implicit_deny" || x.BlockedBy == nil || *x.BlockedBy != "bucket_policy" {
		t.Fatalf("decision %s blocked_by %v, want implicit_deny bucket_policy", x.Decision, x.BlockedBy)
	}
	// Flags override the record.
	code, out, errOut = runExplain(t, "--snapshot", explainFixture, "--cloudtrail-event", explainRecords+"getobject-accessdenied.json",
		"--bucket", "explicit-deny", "--key", "ledger.csv", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if x := decodeExplain(t, out); x.Decision != "explicit_deny" {
		t.Errorf("decision %s with --bucket overriding the record, want explicit_deny", x.Decision)
	}
	// Expired credentials are flagged.
	code, out, _ = runExplain(t, "--snapshot", explainFixture, "--cloudtrail-event", explainRecords+"expired-token.json", "--format", "json")
	if x := decodeExplain(t, out); code != ExitOK || x.Credentials == nil || x.Credentials.Problem != "expired" {
		t.Errorf("exit %d credentials %+v, want expired", code, x.Credentials)
	}
}

// TestExplainLive: --config collects live from fakeaws through the
// scanner's read-only clients and explains the same as the snapshot.
func TestExplainLive(t *testing.T) {
	scanEnv(t)
	fixture, err := inventory.Load(explainFixture)
	if err != nil {
		t.Fatal(err)
	}
	_, url := fakeawstest.Start(t, fixture)
	cfg := writeFile(t, t.TempDir(), "explain.yaml", "region: eu-west-1\naudit_role:\n  external_id: explain-test\n")
	args := []string{"--principal", explainReader, "--action", "s3:DeleteObject", "--bucket", "shared-data", "--key", "old/run-1.json", "--format", "json"}
	code, out, errOut := runExplain(t, append([]string{"--config", cfg, "--endpoint-url", url}, args...)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	live := decodeExplain(t, out)
	if live.Decision != "explicit_deny" || live.BlockedBy == nil || *live.BlockedBy != "scp" {
		t.Fatalf("live: decision %s blocked_by %v, want explicit_deny scp", live.Decision, live.BlockedBy)
	}
	_, out, _ = runExplain(t, append([]string{"--snapshot", explainFixture}, args...)...)
	snap := decodeExplain(t, out)
	if len(snap.Layers) != len(live.Layers) {
		t.Fatalf("%d rows live, %d from the snapshot", len(live.Layers), len(snap.Layers))
	}
	for i := range snap.Layers {
		if snap.Layers[i] != live.Layers[i] {
			t.Errorf("row %d: live %+v, snapshot %+v", i, live.Layers[i], snap.Layers[i])
		}
	}
}

func TestExplainUsageErrors(t *testing.T) {
	base := []string{"--principal", explainReader, "--action", "s3:GetObject", "--bucket", "missing-slash"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no source", base, "--config FILE (live) or --snapshot FILE (offline) is required"},
		{"both sources", append([]string{"--snapshot", explainFixture, "--config", "x.yaml"}, base...), "not both"},
		{"bad format", append([]string{"--snapshot", explainFixture, "--format", "xml"}, base...), `--format: "xml"`},
		{"bad context", append([]string{"--snapshot", explainFixture, "--context", "SourceIp"}, base...), "want KEY=VALUE"},
		{"bad action", []string{"--snapshot", explainFixture, "--principal", explainReader, "--action", "s3:Get", "--bucket", "b"}, `action "s3:Get" is not an S3 action`},
		{"missing everything", []string{"--snapshot", explainFixture}, "the principal is missing"},
		{"unknown bucket", []string{"--snapshot", explainFixture, "--principal", explainReader, "--action", "s3:GetObject", "--bucket", "nope"}, `"nope" is not in snapshot`},
		{"unreadable snapshot", append([]string{"--snapshot", "does-not-exist.yaml"}, base...), "does-not-exist.yaml"},
		{"bad record", append([]string{"--snapshot", explainFixture, "--cloudtrail-event", explainFixture}, base...), "--cloudtrail-event"},
		{"extra argument", append([]string{"--snapshot", explainFixture, "extra"}, base...), "unknown command"},
		{"malformed provider", []string{"--snapshot", explainFixture, "--principal", "arn:aws:iam::333333333333:oidc-provider/https://token.actions.githubusercontent.com", "--action", "s3:GetObject", "--bucket", "b"}, "without its scheme"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runExplain(t, tc.args...)
			if code != ExitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, ExitUsage, tc.want)
			}
		})
	}
}

// A report.json given where a snapshot is expected (explain --snapshot,
// analyze) is named as a report, with the way to get a snapshot, instead
// of a list of a snapshot's unknown keys; a broken snapshot still gets
// its problems.
func TestSnapshotIsAReport(t *testing.T) {
	dir := t.TempDir()
	if _, err := analyzeAndWrite(context.Background(), fakeaws.Synthetic(1, 2), []string{"synthetic"}, dir, []string{report.FormatJSON}, analysis{}, report.Layout{}); err != nil {
		t.Fatal(err)
	}
	reportJSON := filepath.Join(dir, "report.json")
	empty := filepath.Join(dir, "empty-report.json")
	if err := os.WriteFile(empty, []byte(`{"schema_version": 1, "buckets": [], "summary": {"accounts": 0}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"schema_version": 1, "accounts": [{"id": "111111111111", "bucket_count": 1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const want = "is a report (report.json), not a snapshot"
	for _, path := range []string{reportJSON, empty} {
		for _, args := range [][]string{
			{"explain", "--snapshot", path, "--principal", explainReader, "--action", "s3:GetObject", "--bucket", "b"},
			{"analyze", path, "--output-dir", t.TempDir()},
		} {
			code, _, stderr := runCLI(t, args...)
			if code != ExitUsage || !strings.Contains(stderr, want) || !strings.Contains(stderr, "scan --save-snapshot") || strings.Contains(stderr, "unknown key") {
				t.Errorf("%v: exit %d, stderr %q; want %d and %q", args[:2], code, stderr, ExitUsage, want)
			}
		}
	}
	code, _, stderr := runCLI(t, "explain", "--snapshot", broken, "--principal", explainReader, "--action", "s3:GetObject", "--bucket", "b")
	if code != ExitUsage || strings.Contains(stderr, want) || !strings.Contains(stderr, "bucket_count: unknown key") {
		t.Errorf("broken snapshot: exit %d, stderr %q; want its problems", code, stderr)
	}
}
