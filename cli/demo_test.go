package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/demo"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/internal/version"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/report"
)

// isolateAWS makes the AWS SDK's environment hostile: credentials that
// fakeaws rejects (a session it never minted), a profile that does not
// exist, unreadable shared files, a region the demo does not use. The demo
// must use the emulator's credentials and read none of it.
func isolateAWS(t *testing.T) {
	t.Helper()
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte("[profile broken\nthis is not ini"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", garbage)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", garbage)
	t.Setenv("AWS_PROFILE", "bucketaudit-demo-test-no-such-profile")
	t.Setenv("AWS_ACCESS_KEY_ID", "ASIAUSERSREALKEYNOTFORDEMO")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-for-the-demo")
	t.Setenv("AWS_SESSION_TOKEN", "not-for-the-demo")
	t.Setenv("AWS_REGION", "ap-south-1")
}

// runDemoCLI runs `bucketaudit demo` into a fresh directory.
func runDemoCLI(t *testing.T) (dir, stdout string) {
	t.Helper()
	isolateAWS(t)
	dir = filepath.Join(t.TempDir(), "demo-out")
	code, stdout, stderr := runCLI(t, "demo", "--output-dir", dir, "--log-format", "json")
	if code != ExitOK {
		t.Fatalf("demo exit %d, want 0; stderr:\n%s", code, stderr)
	}
	return dir, stdout
}

// TestDemoEndToEnd runs the demo through the real SDK against the embedded
// emulator and checks every output against the others: report.json against
// its schema and against the analysis of the fixture itself, report.xlsx
// against report.json, the printed summary against both.
func TestDemoEndToEnd(t *testing.T) {
	dir, stdout := runDemoCLI(t)
	jsonPath, xlsxPath := filepath.Join(dir, "report.json"), filepath.Join(dir, "report.xlsx")
	for _, p := range []string{jsonPath, xlsxPath} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, fi.Mode().Perm())
		}
		if !strings.Contains(stdout, p) {
			t.Errorf("stdout does not name %s", p)
		}
	}
	if m := regexp.MustCompile(`against fakeaws \((http://[^,]+), (\d+) API calls\)`).FindStringSubmatch(stdout); m == nil ||
		!strings.HasPrefix(m[1], "http://127.0.0.1:") || m[2] == "0" {
		t.Errorf("stdout does not say the emulator on 127.0.0.1 answered API calls:\n%s", stdout)
	}

	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := model.ValidateJSON(data); err != nil {
		t.Fatalf("report.json does not match its schema: %v", err)
	}
	rep, err := report.LoadReport(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Scan == nil || len(rep.Scan.Sources) != 1 || rep.Scan.Sources[0] != demoSource || rep.Scan.StartedAt.IsZero() {
		t.Errorf("scan info %+v, want the demo source and the scan times", rep.Scan)
	}
	if rep.Scan.TrustedAccounts == nil || len(rep.Scan.TrustedAccounts) != len(demo.TrustedAccounts()) {
		t.Errorf("trusted accounts %v, want the demo's %v", rep.Scan.TrustedAccounts, demo.TrustedAccounts())
	}

	// Scanning the emulator through the SDK finds what analysing the
	// fixture directly finds: the scan path loses and invents nothing.
	fixture, err := inventory.Parse(demo.Fixture(), "demo/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// fakeaws.ExpectedScan adds what the emulator computes (AWS's IsPublic)
	// and leaves out what the default scan does not collect (the ACL of a
	// bucket with ACLs disabled, versioning, tags).
	expected := fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{})
	for i := range expected.Accounts {
		// The demo scan collects IAM: the emulator answers an account the
		// fixture gives no iam: section with no roles and users.
		if a := &expected.Accounts[i]; a.IAM == nil && !a.Errors.Has("iam") && !a.Errors.Has("assume_role") {
			a.IAM = &inventory.IAM{}
		}
	}
	direct, err := access.Analyze(context.Background(), expected, access.Options{ToolVersion: version.String(), TrustedAccounts: demo.TrustedAccounts()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(direct.Buckets, rep.Buckets); diff != "" {
		t.Errorf("buckets scanned through fakeaws differ from the fixture's analysis (-fixture +demo):\n%s", diff)
	}
	if diff := cmp.Diff(direct.Accounts, rep.Accounts); diff != "" {
		t.Errorf("accounts scanned through fakeaws differ from the fixture's analysis (-fixture +demo):\n%s", diff)
	}
	if diff := cmp.Diff(direct.Summary, rep.Summary); diff != "" {
		t.Errorf("summary differs (-fixture +demo):\n%s", diff)
	}

	checkWorkbookAgainstJSON(t, xlsxPath, rep)

	// The printed matrix has one line per bucket.
	for _, b := range rep.Buckets {
		if !regexp.MustCompile(`(?m)^  \S+\s+` + regexp.QuoteMeta(b.Name) + `\s+[AaC?.-]{5}`).MatchString(stdout) {
			t.Errorf("stdout lacks the matrix line of %s", b.Name)
		}
	}
}

// checkWorkbookAgainstJSON reads report.xlsx back and compares it with
// report.json.
func checkWorkbookAgainstJSON(t *testing.T, path string, rep *model.Report) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if diff := cmp.Diff(report.Sheets(), f.GetSheetList()); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
	rows := func(sheet string) [][]string {
		rs, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	matrix := rows(report.SheetMatrix)
	if len(matrix)-1 != len(rep.Buckets) {
		t.Errorf("Matrix has %d rows, report.json %d buckets", len(matrix)-1, len(rep.Buckets))
	}
	for i, b := range rep.Buckets {
		if i+1 < len(matrix) && (matrix[i+1][0] != b.AccountID || matrix[i+1][2] != b.Name) {
			t.Errorf("Matrix row %d = %s/%s, want %s/%s", i+2, matrix[i+1][0], matrix[i+1][2], b.AccountID, b.Name)
		}
	}
	findings := 0
	for _, a := range rep.Accounts {
		findings += len(a.Findings)
	}
	for _, b := range rep.Buckets {
		findings += len(b.Findings)
	}
	if got := len(rows(report.SheetFindings)) - 1; got != findings || findings == 0 {
		t.Errorf("Findings sheet has %d rows, report.json %d findings", got, findings)
	}
	// The Summary sheet's counts (computed from the rows) equal access's.
	summary := map[string]string{}
	for _, r := range rows(report.SheetSummary) {
		if len(r) > 1 {
			if _, seen := summary[r[0]]; !seen {
				summary[r[0]] = r[1]
			}
		}
	}
	for _, e := range model.Exposures() {
		if want := strconv.Itoa(rep.Summary.BucketsByExposure[e]); summary[e] != want {
			t.Errorf("Summary: %d %s buckets in the sheet (%q), %s in report.json", len(summary[e]), e, summary[e], want)
		}
	}
	for _, s := range model.Severities() {
		if want := strconv.Itoa(rep.Summary.FindingsBySeverity[s]); summary[string(s)] != want {
			t.Errorf("Summary: %s findings %q in the sheet, %s in report.json", s, summary[string(s)], want)
		}
	}
	// The Principals sheet has a row per principal of report.json's cells
	// and per cell with accounts not listed.
	principals := 0
	for i := range rep.Buckets {
		rep.Buckets[i].PrincipalRows(func(model.PrincipalRow) { principals++ }, func(model.UnlistedRow) { principals++ })
	}
	if got := len(rows(report.SheetPrincipals)) - 1; got != principals || principals == 0 {
		t.Errorf("Principals sheet has %d rows, report.json %d principals and unlisted cells", got, principals)
	}
	// Every verdict the demo produces has its own fill.
	fills := map[string]string{}
	for r, row := range matrix[1:] {
		for c := 9; c < len(row); c += 2 {
			if row[c] == "" {
				continue
			}
			ref, _ := excelize.CoordinatesToCellName(c+1, r+2)
			id, err := f.GetCellStyle(report.SheetMatrix, ref)
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.GetStyle(id)
			if err != nil || len(st.Fill.Color) == 0 {
				t.Fatalf("%s (%s) has no fill", ref, row[c])
			}
			v, _, _ := strings.Cut(row[c], " · ") // "allow · 2 roles in 1 account"
			fills[v] = st.Fill.Color[0]
		}
	}
	if len(fills) != 4 {
		t.Errorf("verdicts in the demo Matrix: %v, want allow, deny, conditional and unknown", fills)
	}
}

func TestDemoUsage(t *testing.T) {
	code, _, stderr := runCLI(t, "demo", "extra")
	if code != ExitUsage || !strings.Contains(stderr, "demo takes no arguments") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestUncollectedFieldsChangeNoVerdict: on the demo organisation, leaving
// out what the default scan does not read (the ACL of every bucket with
// ACLs disabled, versioning, tags) changes no cell, finding or error of
// the analysis: with Object Ownership BucketOwnerEnforced, "ACLs no longer
// affect permissions".
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
func TestUncollectedFieldsChangeNoVerdict(t *testing.T) {
	fixture, err := inventory.Parse(demo.Fixture(), "demo/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opts := access.Options{ToolVersion: version.String(), TrustedAccounts: demo.TrustedAccounts()}
	full, err := access.Analyze(context.Background(), fakeaws.Expected(fixture), opts)
	if err != nil {
		t.Fatal(err)
	}
	lean := fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{})
	skipped := 0
	for _, a := range lean.Accounts {
		for _, b := range a.Buckets {
			if !b.Collected(inventory.FieldACL) {
				skipped++
			}
		}
	}
	if skipped == 0 {
		t.Fatal("no bucket of the demo has ACLs disabled: the test proves nothing")
	}
	got, err := access.Analyze(context.Background(), lean, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Everything but the versioning column (not collected by default) is the same.
	for i := range got.Buckets {
		if got.Buckets[i].Config.Versioning != model.VersioningNotCollected {
			t.Errorf("bucket %s: versioning %q, want %q", got.Buckets[i].Name, got.Buckets[i].Config.Versioning, model.VersioningNotCollected)
		}
		got.Buckets[i].Config.Versioning = ""
	}
	for i := range full.Buckets {
		full.Buckets[i].Config.Versioning = ""
	}
	if diff := cmp.Diff(full.Buckets, got.Buckets); diff != "" {
		t.Errorf("buckets differ without the uncollected fields (-all read +default scan):\n%s", diff)
	}
	if diff := cmp.Diff(full.Summary, got.Summary); diff != "" {
		t.Errorf("summary differs:\n%s", diff)
	}
}
