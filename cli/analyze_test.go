package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/demo"
)

func TestAnalyzeCommand(t *testing.T) {
	dir := t.TempDir()
	fixture := filepath.Join(dir, "demo.yaml")
	if err := os.WriteFile(fixture, demo.Fixture(), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"analyze", fixture, "--output-dir", out, "--format", "json", "--log-format", "json"}, nil, &stdout, &stderr)
	// The demo organisation has a bucket whose policy could not be read.
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d (incomplete); stderr:\n%s", code, ExitIncomplete, stderr.String())
	}
	path := filepath.Join(out, "report.json")
	if !strings.Contains(stdout.String(), path) {
		t.Errorf("stdout does not name %s:\n%s", path, stdout.String())
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("report.json mode %v, want 0600", info.Mode().Perm())
	}
	rep := readReportJSON(t, out)
	if rep.Summary.Buckets == 0 || rep.Scan == nil || len(rep.Scan.Sources) != 1 {
		t.Errorf("report summary %+v, scan %+v", rep.Summary, rep.Scan)
	}

	// --fail-on takes precedence over incompleteness.
	code = Run(context.Background(), []string{"analyze", fixture, "--output-dir", out, "--format", "json", "--fail-on", "critical"}, nil, &stdout, &stderr)
	if code != ExitFindings {
		t.Errorf("--fail-on critical: exit %d, want %d", code, ExitFindings)
	}
}

func TestAnalyzeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("schema_version: 1\naccounts:\n  - {id: \"12\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no snapshot", []string{"analyze"}, "at least one snapshot"},
		{"missing file", []string{"analyze", filepath.Join(dir, "nope.json")}, "nope.json"},
		{"invalid document", []string{"analyze", bad}, "accounts[0].id"},
		{"bad format", []string{"analyze", bad, "--format", "pdf"}, "--format"},
		{"bad fail-on", []string{"analyze", bad, "--fail-on", "urgent"}, "--fail-on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), append(tt.args, "--output-dir", dir), nil, &stdout, &stderr)
			if code != ExitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr.String(), ExitUsage, tt.want)
			}
		})
	}
}
