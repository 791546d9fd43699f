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
		// The reverse direction has four new findings, none critical; its
		// new side (old.json) is incomplete: exit 3 unless allowed.
		{"reverse fail-on critical", []string{"diff", diffNew, diffOld, "--fail-on", "critical"}, ExitIncomplete, "diff/reverse.txt"},
		{"reverse fail-on critical, allow incomplete", []string{"diff", diffNew, diffOld, "--fail-on", "critical", "--allow-incomplete"}, ExitOK, "diff/reverse.txt"},
		{"reverse fail-on high", []string{"diff", diffNew, diffOld, "--fail-on", "high"}, ExitFindings, "diff/reverse.txt"},
		{"unchanged", []string{"diff", diffOld, diffOld, "--fail-on", "info", "--allow-incomplete"}, ExitOK, "diff/unchanged.txt"},
		{"unchanged, incomplete", []string{"diff", diffOld, diffOld, "--fail-on", "info"}, ExitIncomplete, "diff/unchanged.txt"},
		{"unchanged, complete", []string{"diff", diffNew, diffNew, "--fail-on", "info"}, ExitOK, "diff/unchanged-complete.txt"},
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
			if code == ExitIncomplete && !strings.Contains(stderr, "--allow-incomplete") {
				t.Errorf("stderr = %q, want the reason of exit 3", stderr)
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

// TestDiffIncompleteReport: the weekly job of the issue — last week's good
// report against the report of a run that read nothing (scan.complete
// false, no buckets) or was interrupted. diff --fail-on high must not go
// green on it: it warns on stderr and in its output and exits 3, and
// --allow-incomplete accepts it.
func TestDiffIncompleteReport(t *testing.T) {
	data, err := os.ReadFile(diffNew)
	if err != nil {
		t.Fatal(err)
	}
	variant := func(name string, edit func(r map[string]any)) string {
		var r map[string]any
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
		edit(r)
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, t.TempDir(), name, string(b))
	}
	broken := variant("broken.json", func(r map[string]any) {
		r["scan"].(map[string]any)["complete"] = false
		r["buckets"] = []any{}
		r["accounts"] = []any{}
	})
	interrupted := variant("interrupted.json", func(r map[string]any) {
		r["scan"].(map[string]any)["complete"] = false
		r["scan"].(map[string]any)["interrupted"] = true
	})
	for _, tt := range []struct {
		name, report, want string
	}{
		{"read nothing", broken, "could not read everything"},
		{"interrupted", interrupted, "was interrupted"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "diff", diffNew, tt.report, "--fail-on", "high")
			if code != ExitIncomplete {
				t.Errorf("exit %d, want %d\nstderr: %s", code, ExitIncomplete, stderr)
			}
			for name, out := range map[string]string{"stdout": stdout, "stderr": stderr} {
				if !strings.Contains(out, "WARNING: the new report "+tt.report+" is INCOMPLETE") || !strings.Contains(out, tt.want) {
					t.Errorf("%s does not say loudly that the new report is incomplete (%s):\n%s", name, tt.want, out)
				}
			}
			if code, _, stderr := runCLI(t, "diff", diffNew, tt.report, "--fail-on", "high", "--allow-incomplete"); code != ExitOK {
				t.Errorf("--allow-incomplete: exit %d, want 0\nstderr: %s", code, stderr)
			}
			// Without --fail-on, the diff is only shown (with the warning).
			if code, _, _ := runCLI(t, "diff", diffNew, tt.report); code != ExitOK {
				t.Errorf("without --fail-on: exit %d, want 0", code)
			}
			_, js, _ := runCLI(t, "diff", diffNew, tt.report, "--format", "json", "--allow-incomplete")
			var d struct {
				Old, New struct {
					Complete    bool `json:"complete"`
					Interrupted bool `json:"interrupted"`
				}
			}
			if err := json.Unmarshal([]byte(js), &d); err != nil {
				t.Fatal(err)
			}
			if !d.Old.Complete || d.New.Complete || d.New.Interrupted != (tt.report == interrupted) {
				t.Errorf("json sides %+v: want old complete, new incomplete (interrupted: %v)", d, tt.report == interrupted)
			}
		})
	}
}
