package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/report"
)

// scanArgs is `scan` of cfgText (written to dir) against url, JSON report
// and logs, then extra.
func scanArgs(t *testing.T, dir, url, cfgText string, extra ...string) []string {
	t.Helper()
	cfg := writeFile(t, dir, "scan.yaml", "audit_role:\n  external_id: rt-external-id\noutputs:\n  formats: [json]\n"+cfgText)
	return append([]string{"scan", "--config", cfg, "--endpoint-url", url, "--output-dir", filepath.Join(dir, "out"), "--log-format", "json"}, extra...)
}

func runScanCLI(t *testing.T, args []string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestScanScopeFlags: --accounts and --regions replace the file's
// scope.include_accounts and scope.regions, --exclude-accounts adds to
// scope.exclude_accounts; bad values are usage errors naming the flag.
func TestScanScopeFlags(t *testing.T) {
	url := roundTripEmulator(t)
	bucketsOf := func(t *testing.T, cfgText string, flags ...string) []string {
		t.Helper()
		dir := t.TempDir()
		code, _, stderr := runScanCLI(t, scanArgs(t, dir, url, cfgText, flags...))
		if code != ExitOK && code != ExitIncomplete {
			t.Fatalf("exit %d\nstderr: %s", code, stderr)
		}
		var out []string
		for _, b := range readReportJSON(t, filepath.Join(dir, "out")).Buckets {
			out = append(out, b.AccountID+"/"+b.Region+"/"+b.Name)
		}
		sort.Strings(out)
		return out
	}
	all := bucketsOf(t, "")
	only := func(keep func(string) bool) []string {
		var out []string
		for _, b := range all {
			if keep(b) {
				out = append(out, b)
			}
		}
		return out
	}
	tests := []struct {
		name, cfg string
		flags     []string
		want      []string
	}{
		{"--accounts replaces include_accounts", "scope:\n  include_accounts: [\"333333333333\"]\n", []string{"--accounts", "222222222222"},
			only(func(b string) bool { return strings.HasPrefix(b, "222222222222/") })},
		{"--exclude-accounts adds to exclude_accounts", "scope:\n  exclude_accounts: [\"333333333333\"]\n", []string{"--exclude-accounts", "111111111111"},
			only(func(b string) bool { return strings.HasPrefix(b, "222222222222/") })},
		{"--regions replaces regions", "scope:\n  regions: [us-east-1]\n", []string{"--regions", "eu-west-1"},
			only(func(b string) bool { return strings.Contains(b, "/eu-west-1/") })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.want) == 0 || len(tt.want) == len(all) {
				t.Fatalf("the fixture does not tell this scope apart: %v of %v", tt.want, all)
			}
			got := bucketsOf(t, tt.cfg, tt.flags...)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("buckets %v, want %v", got, tt.want)
			}
		})
	}

	for _, bad := range []struct{ flag, value, want string }{
		{"--accounts", "12345", `flag --accounts: scope.include_accounts[0]: "12345" is not an account ID`},
		{"--exclude-accounts", "1111111111112", `flag --exclude-accounts: scope.exclude_accounts[0]: "1111111111112" is not an account ID`},
		{"--regions", "eu-west-1,Frankfurt", `flag --regions: scope.regions[1]: "Frankfurt" is not a region name`},
	} {
		code, _, stderr := runScanCLI(t, scanArgs(t, t.TempDir(), url, "", bad.flag, bad.value))
		if code != ExitUsage || !strings.Contains(stderr, bad.want) {
			t.Errorf("%s %s: exit %d, stderr %q; want %d and %q", bad.flag, bad.value, code, stderr, ExitUsage, bad.want)
		}
	}
}

// TestScanHomeRegionFromEnvironment: without region in the configuration,
// the scan's home region is AWS_REGION's
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html);
// --region wins over it.
func TestScanHomeRegionFromEnvironment(t *testing.T) {
	url := roundTripEmulator(t)
	t.Setenv("AWS_REGION", "eu-central-1")
	for _, tt := range []struct {
		flags []string
		want  string
	}{
		{nil, `"region":"eu-central-1"`},
		{[]string{"--region", "eu-west-1"}, `"region":"eu-west-1"`},
	} {
		code, _, stderr := runScanCLI(t, scanArgs(t, t.TempDir(), url, "", tt.flags...))
		if code != ExitIncomplete || !strings.Contains(stderr, `"message":"scan started"`) {
			t.Fatalf("%v: exit %d\nstderr: %s", tt.flags, code, stderr)
		}
		if started := logLine(stderr, "scan started"); !strings.Contains(started, tt.want) {
			t.Errorf("%v: scan started with %s, want %s", tt.flags, started, tt.want)
		}
	}
}

// logLine returns the JSON log line with message msg.
func logLine(log, msg string) string {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, `"message":"`+msg+`"`) {
			return l
		}
	}
	return ""
}

// TestScanMFAProfile: --profile of a role with mfa_serial, assumed through
// --endpoint-url with --mfa-token-code; without a code (no terminal) the
// scan stops before it starts, saying how to give one.
// https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-role.html#cli-configure-role-mfa
func TestScanMFAProfile(t *testing.T) {
	fixture, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	scanEnv(t)
	srv, url := fakeawstest.Start(t, fixture)
	dir := t.TempDir()
	id, secret := fakeaws.ManagementKeys(fixture)
	t.Setenv("AWS_CONFIG_FILE", writeFile(t, dir, "config", "[profile audit]\nrole_arn = arn:aws:iam::111111111111:role/BucketAuditRole\nexternal_id = rt-external-id\nsource_profile = base\nmfa_serial = arn:aws:iam::111111111111:mfa/alice\n"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", writeFile(t, dir, "credentials", "[base]\naws_access_key_id = "+id+"\naws_secret_access_key = "+secret+"\n"))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")

	code, _, stderr := runScanCLI(t, scanArgs(t, t.TempDir(), url, "", "--profile", "audit"))
	if code != ExitUsage || !strings.Contains(stderr, "--mfa-token-code") || strings.Contains(stderr, "scan started") {
		t.Errorf("without a code: exit %d, stderr %s; want %d before the scan, naming --mfa-token-code", code, stderr, ExitUsage)
	}
	code, _, stderr = runScanCLI(t, scanArgs(t, t.TempDir(), url, "", "--profile", "audit", "--mfa-token-code", "12345"))
	if code != ExitUsage || !strings.Contains(stderr, "--mfa-token-code: want the six digits") {
		t.Errorf("a 5-digit code: exit %d, stderr %s", code, stderr)
	}
	before := srv.Stats().Requests
	code, _, stderr = runScanCLI(t, scanArgs(t, t.TempDir(), url, "", "--profile", "audit", "--mfa-token-code", "123456"))
	if !strings.Contains(stderr, "scan started") {
		t.Fatalf("with --mfa-token-code: exit %d, the scan did not start\nstderr: %s", code, stderr)
	}
	if srv.Stats().Requests == before {
		t.Error("no request reached the emulator")
	}
}

// TestScanCABundle: a scan of the emulator behind a private CA works with
// AWS_CA_BUNDLE
// (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html#envvars-list-AWS_CA_BUNDLE)
// and, without it, fails without retrying the certificate error.
func TestScanCABundle(t *testing.T) {
	fixture, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	scanEnv(t)
	srv := fakeawstest.StartTLS(t, fixture)

	code, _, stderr := runScanCLI(t, scanArgs(t, t.TempDir(), srv.URL, "", "--accounts", "222222222222"))
	if code == ExitOK || !strings.Contains(stderr, "certificate") {
		t.Errorf("without the bundle: exit %d, stderr %s; want a certificate error", code, stderr)
	}
	failed := srv.Handshakes()
	t.Logf("without the bundle: exit %d, %d handshakes", code, failed)
	if failed == 0 || failed > 4 {
		t.Errorf("%d TLS handshakes without the bundle: want a few calls tried once each, not retried", failed)
	}

	t.Setenv("AWS_CA_BUNDLE", srv.CABundle)
	dir := t.TempDir()
	code, _, stderr = runScanCLI(t, scanArgs(t, dir, srv.URL, "", "--accounts", "222222222222"))
	if code != ExitOK && code != ExitIncomplete {
		t.Fatalf("with AWS_CA_BUNDLE: exit %d\nstderr: %s", code, stderr)
	}
	if rep := readReportJSON(t, filepath.Join(dir, "out")); len(rep.Buckets) == 0 {
		t.Error("no bucket scanned over TLS")
	}
}

// TestQuiet: --quiet prints no summary and logs only errors.
func TestQuiet(t *testing.T) {
	url := roundTripEmulator(t)
	code, stdout, stderr := runScanCLI(t, scanArgs(t, t.TempDir(), url, "", "--quiet"))
	if code != ExitIncomplete {
		t.Fatalf("exit %d\nstderr: %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if l != "" && !strings.Contains(l, `"level":"error"`) {
			t.Errorf("logged %s, want only errors", l)
		}
	}
}

// TestMutelist: findings accepted by a mutelist (config key mutelist, or
// analyze --mutelist) stay in report.json and the workbook, marked with
// their reason, and do not count for --fail-on; an expired entry counts
// again, with a warning; a bad entry is a usage error with its line.
func TestMutelist(t *testing.T) {
	url := roundTripEmulator(t)
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.json")
	code, _, stderr := runScanCLI(t, scanArgs(t, dir, url, "", "--save-snapshot", snap, "--fail-on", "high"))
	if code != ExitFindings {
		t.Fatalf("scan without a mutelist: exit %d, want %d\nstderr: %s", code, ExitFindings, stderr)
	}
	muteAll := writeFile(t, dir, "all.yaml", "mutes:\n  - account: \"*\"\n    finding: \"*\"\n    reason: accepted for the test\n    expires: 2999-12-31\n")

	scanDir := t.TempDir()
	code, _, stderr = runScanCLI(t, scanArgs(t, scanDir, url, "mutelist: "+muteAll+"\n", "--format", "json,xlsx", "--fail-on", "high"))
	// Everything but assessment-incomplete is muted: the run is only
	// incomplete.
	if code != ExitIncomplete {
		t.Fatalf("scan with mutelist: exit %d, want %d\nstderr: %s", code, ExitIncomplete, stderr)
	}
	rep := readReportJSON(t, filepath.Join(scanDir, "out"))
	muted, total := 0, 0
	for _, b := range rep.Buckets {
		for _, f := range b.Findings {
			total++
			if f.Muted && f.MuteReason == "accepted for the test" {
				muted++
			}
		}
	}
	if muted == 0 || muted == total {
		t.Errorf("%d of %d bucket findings muted: want all but assessment-incomplete", muted, total)
	}
	f, err := excelize.OpenFile(filepath.Join(scanDir, "out", "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetFindings)
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	for _, r := range rows[1:] {
		if len(r) == len(rows[0]) && r[len(r)-1] == "muted: accepted for the test" {
			marked++
		}
	}
	if rows[0][len(rows[0])-1] != "Muted" || marked == 0 {
		t.Errorf("Findings sheet: header %v, %d rows marked muted", rows[0], marked)
	}

	// analyze --mutelist: an expired entry counts again.
	expired := writeFile(t, dir, "expired.yaml", "mutes:\n  - account: \"*\"\n    finding: \"*\"\n    reason: old\n    expires: 2020-01-31\n")
	var stdout, stderrBuf bytes.Buffer
	code = Run(context.Background(), []string{"analyze", snap, "--output-dir", t.TempDir(), "--format", "json", "--fail-on", "high", "--mutelist", expired, "--log-format", "json"}, nil, &stdout, &stderrBuf)
	if code != ExitFindings || !strings.Contains(stderrBuf.String(), "expired.yaml:5: mutes[0]: expired on 2020-01-31") {
		t.Errorf("analyze with an expired entry: exit %d, want %d with a warning\nstderr: %s", code, ExitFindings, stderrBuf.String())
	}
	stdout.Reset()
	stderrBuf.Reset()
	code = Run(context.Background(), []string{"analyze", snap, "--output-dir", t.TempDir(), "--format", "json", "--fail-on", "high", "--mutelist", muteAll, "--log-format", "json"}, nil, &stdout, &stderrBuf)
	if code != ExitIncomplete {
		t.Errorf("analyze --mutelist: exit %d, want %d\nstderr: %s", code, ExitIncomplete, stderrBuf.String())
	}
	if !strings.Contains(stdout.String(), " of these findings are muted by the mutelist") {
		t.Errorf("analyze --mutelist does not say how many findings are muted:\n%s", stdout.String())
	}

	bad := writeFile(t, dir, "bad.yaml", "mutes:\n  - account: \"*\"\n    finding: assessment-incomplete\n    reason: hide it\n")
	code, _, stderr = runScanCLI(t, scanArgs(t, t.TempDir(), url, "", "--mutelist", bad))
	if code != ExitUsage || !strings.Contains(stderr, `bad.yaml:3: mutes[0].finding: "assessment-incomplete" is not a finding ID that can be muted`) {
		t.Errorf("bad mutelist: exit %d, stderr %s", code, stderr)
	}
}

// TestMFAPrompt: the prompt goes to stderr and the code is the line typed.
func TestMFAPrompt(t *testing.T) {
	var out bytes.Buffer
	code, err := mfaPrompt(strings.NewReader(" 123456 \nrest\n"), &out)()
	if err != nil || code != "123456" {
		t.Errorf("code %q, err %v; want 123456", code, err)
	}
	if out.String() != "MFA code: " {
		t.Errorf("prompt %q", out.String())
	}
	if _, err := mfaPrompt(strings.NewReader(""), &out)(); err == nil {
		t.Error("no error for no input")
	}
}
