package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/demo"
	"github.com/bucketaudit/bucketaudit/inventory"
)

const orgHead = `schema_version: 1
organization:
  id: o-abcdefghij
  management_account_id: "111111111111"
  root:
    id: r-abcd
    policies: [p-FullAWSAccess]
    accounts: ["111111111111", "222222222222", "333333333333"]
  policies:
    - id: p-FullAWSAccess
      name: FullAWSAccess
      type: SERVICE_CONTROL_POLICY
      document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
`

func parseDoc(t *testing.T, text string) *inventory.Document {
	t.Helper()
	d, err := inventory.Parse([]byte(text), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMergeDocuments(t *testing.T) {
	accounts := `accounts:
  - {id: "111111111111", policies: [p-FullAWSAccess]}
  - {id: "222222222222", policies: [p-FullAWSAccess]}
  - {id: "333333333333", policies: [p-FullAWSAccess]}
`
	euWest := parseDoc(t, orgHead+accounts+`
scan: {started_at: 2026-01-01T10:00:00Z, finished_at: 2026-01-01T10:05:00Z, complete: true, regions: [eu-west-1], trusted_accounts: {"999999999999": partner}}
`)
	euWest.Accounts[1].Buckets = []inventory.Bucket{{Name: "eu-data", Region: "eu-west-1"}}
	usEast := parseDoc(t, orgHead+accounts+`
scan: {started_at: 2026-01-01T09:00:00Z, finished_at: 2026-01-01T10:06:00Z, complete: false, regions: [us-east-1]}
`)
	usEast.Accounts[1].Buckets = []inventory.Bucket{{Name: "us-data", Region: "us-east-1"}}
	usEast.Accounts[2].Errors = map[string]string{"iam": "AccessDenied: no"}

	got, err := mergeDocuments([]*inventory.Document{euWest, usEast}, []string{"eu.json", "us.json"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Accounts); n != 3 {
		t.Fatalf("merged accounts = %d, want 3", n)
	}
	var names []string
	for _, b := range got.Accounts[1].Buckets {
		names = append(names, b.Name)
	}
	if strings.Join(names, ",") != "eu-data,us-data" {
		t.Errorf("merged buckets = %v", names)
	}
	if got.Accounts[2].Errors["iam"] == "" {
		t.Error("errors of the second snapshot were lost")
	}
	s := got.Scan
	if s.Complete || !s.StartedAt.Equal(usEast.Scan.StartedAt) || !s.FinishedAt.Equal(usEast.Scan.FinishedAt) ||
		strings.Join(s.Regions, ",") != "eu-west-1,us-east-1" || s.TrustedAccounts["999999999999"] != "partner" {
		t.Errorf("merged scan info = %+v", s)
	}

	// The same bucket twice, differently: refused.
	dup := parseDoc(t, orgHead+accounts)
	dup.Accounts[1].Buckets = []inventory.Bucket{{Name: "eu-data", Region: "eu-west-2"}}
	if _, err := mergeDocuments([]*inventory.Document{euWest, dup}, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "bucket eu-data differs") {
		t.Errorf("conflicting bucket: err = %v", err)
	}
	// Another organisation: refused.
	other := parseDoc(t, strings.Replace(orgHead, "o-abcdefghij", "o-zzzzzzzzzz", 1)+accounts)
	if _, err := mergeDocuments([]*inventory.Document{euWest, other}, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "different organisations") {
		t.Errorf("different organisations: err = %v", err)
	}
}

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
