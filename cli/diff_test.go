package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/internal/golden"
)

// The inputs are the report package's: two report.json files that differ
// in known ways (see report.TestDiffKnownChanges): two new findings
// (critical public-write, high external-account-access), four resolved.
const (
	diffOld = "../report/testdata/diff/old.json"
	diffNew = "../report/testdata/diff/new.json"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDiffCommandGolden(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"text", []string{"diff", diffOld, diffNew}, ExitOK, "diff/diff.txt"},
		{"json", []string{"diff", diffOld, diffNew, "--format", "json"}, ExitOK, "diff/diff.json"},
		{"fail-on critical", []string{"diff", diffOld, diffNew, "--fail-on", "critical"}, ExitFindings, "diff/diff.txt"},
		{"fail-on high", []string{"diff", diffOld, diffNew, "--fail-on", "high"}, ExitFindings, "diff/diff.txt"},
		// The reverse direction has four new findings, none critical.
		{"reverse fail-on critical", []string{"diff", diffNew, diffOld, "--fail-on", "critical"}, ExitOK, "diff/reverse.txt"},
		{"reverse fail-on high", []string{"diff", diffNew, diffOld, "--fail-on", "high"}, ExitFindings, "diff/reverse.txt"},
		{"unchanged", []string{"diff", diffOld, diffOld, "--fail-on", "info"}, ExitOK, "diff/unchanged.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if code == ExitFindings && !strings.Contains(stderr, "new findings at or above") {
				t.Errorf("stderr = %q, want the reason of exit 1", stderr)
			}
			golden.Check(t, tt.golden, []byte(stdout))
		})
	}
}

func TestDiffCommandJSONShape(t *testing.T) {
	_, stdout, _ := runCLI(t, "diff", diffOld, diffNew, "--format", "json")
	var d struct {
		NewFindings []struct {
			ID, Severity string
		} `json:"new_findings"`
		ResolvedFindings []json.RawMessage `json:"resolved_findings"`
		ChangedCells     []json.RawMessage `json:"changed_cells"`
		BucketsAdded     []json.RawMessage `json:"buckets_added"`
		BucketsRemoved   []json.RawMessage `json:"buckets_removed"`
		AccountsAdded    []json.RawMessage `json:"accounts_added"`
		AccountsRemoved  []json.RawMessage `json:"accounts_removed"`
	}
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatal(err)
	}
	got := []int{len(d.NewFindings), len(d.ResolvedFindings), len(d.ChangedCells), len(d.BucketsAdded), len(d.BucketsRemoved), len(d.AccountsAdded), len(d.AccountsRemoved)}
	want := []int{2, 4, 19, 1, 1, 1, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("counts %v, want %v", got, want)
		}
	}
	if d.NewFindings[0].Severity != "critical" || d.NewFindings[0].ID != "public-write" {
		t.Errorf("first new finding %+v, want critical public-write", d.NewFindings[0])
	}
}

func TestDiffCommandUsageErrors(t *testing.T) {
	dir := t.TempDir()
	snapshot := filepath.Join(dir, "snapshot.json")
	if err := os.WriteFile(snapshot, []byte(`{"schema_version": 1, "accounts": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte("{\n  \"schema_version\": 1,\n  oops\n}"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"one file", []string{"diff", diffOld}, "two report.json files"},
		{"three files", []string{"diff", diffOld, diffNew, diffNew}, "two report.json files"},
		{"bad format", []string{"diff", diffOld, diffNew, "--format", "yaml"}, `--format: "yaml"`},
		{"bad severity", []string{"diff", diffOld, diffNew, "--fail-on", "urgent"}, `--fail-on: unknown severity "urgent"`},
		{"missing file", []string{"diff", filepath.Join(dir, "nope.json"), diffNew}, "nope.json"},
		{"not a report", []string{"diff", snapshot, diffNew}, "not a bucketaudit report.json"},
		{"syntax error", []string{"diff", diffOld, broken}, "broken.json:3:3"},
		{"unknown flag", []string{"diff", diffOld, diffNew, "--since", "x"}, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != ExitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, ExitUsage, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout not empty on a usage error: %q", stdout)
			}
		})
	}
}
