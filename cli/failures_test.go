package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/internal/logging"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// failureScanConfig is a scan configuration of the round-trip fixture's
// audit role, with short retries (the preflight gives up after 3 attempts).
const failureScanConfig = "audit_role:\n  external_id: rt-external-id\nretry: {max_attempts: 3, max_backoff: 10ms}\noutputs:\n  formats: [json]\n"

// goodScan runs a scan of the round-trip fixture into out and returns its
// report.json.
func goodScan(t *testing.T, url, cfg, out string) []byte {
	t.Helper()
	code, _, stderr := runCLI(t, "scan", "--config", cfg, "--endpoint-url", url, "--output-dir", out, "--log-format", "json")
	if code != ExitIncomplete { // the fixture records unreadable fields
		t.Fatalf("good scan: exit %d\nstderr: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestScanFailureKeepsPreviousReports: the weekly job of the issue. A run
// that cannot assess anything — a dead endpoint, a TLS error, no
// credentials, an organisation it cannot read, an audit role it can
// assume nowhere — exits 4 with the real cause and the fix, and leaves the
// reports of the previous good run as they were.
func TestScanFailureKeepsPreviousReports(t *testing.T) {
	url := roundTripEmulator(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", failureScanConfig)
	out := filepath.Join(dir, "out")
	good := goodScan(t, url, cfg, out)

	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	tlsSrv.StartTLS()
	defer tlsSrv.Close()

	denyOrg, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	denyOrg.Faults = &inventory.Faults{Errors: []inventory.FaultError{{Service: "organizations", Operation: "DescribeOrganization", Code: "AccessDenied"}}}
	_, denyOrgURL := fakeawstest.Start(t, denyOrg)

	tests := []struct {
		name     string
		endpoint string
		cfg      string
		env      func(t *testing.T)
		cause    []string
		fix      string
	}{
		{name: "dead endpoint", endpoint: fakeawstest.DeadEndpoint(t), cause: []string{"scan failed", "sts:GetCallerIdentity", "does not answer", "connection refused"}, fix: "check --endpoint-url"},
		{name: "self-signed certificate", endpoint: tlsSrv.URL, cause: []string{"scan failed", "TLS certificate of " + tlsSrv.URL + " is not trusted", "x509"}, fix: "AWS_CA_BUNDLE"},
		{name: "no credentials", endpoint: url, env: func(t *testing.T) {
			t.Setenv("AWS_ACCESS_KEY_ID", "")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		}, cause: []string{"scan failed", "no AWS credentials found"}, fix: "--profile NAME"},
		{name: "organization unreadable", endpoint: denyOrgURL, cause: []string{"scan failed", "the organization could not be read: AccessDenied"}, fix: "accounts: in the configuration"},
		{name: "audit role nowhere assumable", endpoint: url, cfg: writeFile(t, dir, "wrong-id.yaml", strings.Replace(failureScanConfig, "rt-external-id", "wrong-id", 1)),
			cause: []string{"scan failed", "the audit role could not be assumed in any of the 3 accounts", "AccessDenied"}, fix: "audit_role.external_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != nil {
				tt.env(t)
			}
			c := cfg
			if tt.cfg != "" {
				c = tt.cfg
			}
			snap := filepath.Join(dir, "snap-"+strings.ReplaceAll(tt.name, " ", "-")+".json")
			code, stdout, stderr := runCLI(t, "scan", "--config", c, "--endpoint-url", tt.endpoint, "--output-dir", out, "--save-snapshot", snap, "--fail-on", "high", "--log-format", "json")
			if code != ExitFailed {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, ExitFailed, stdout, stderr)
			}
			for _, w := range tt.cause {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks the cause %q:\n%s", w, stderr)
				}
			}
			if !strings.Contains(stderr, "  fix: ") || !strings.Contains(stderr, tt.fix) {
				t.Errorf("stderr lacks the fix %q:\n%s", tt.fix, stderr)
			}
			now, err := os.ReadFile(filepath.Join(out, "report.json"))
			if err != nil || !bytes.Equal(now, good) {
				t.Errorf("the failed run replaced the previous report.json (err %v)", err)
			}
			if _, err := os.Stat(snap); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the failed run wrote a snapshot (stat: %v)", err)
			}
		})
	}
}

// TestScanOutputsCheckedBeforeScanning: an output directory or snapshot
// path that cannot be written is a usage error found before any AWS call.
func TestScanOutputsCheckedBeforeScanning(t *testing.T) {
	scanEnv(t)
	fixture, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, url := fakeawstest.Start(t, fixture)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", failureScanConfig)
	file := writeFile(t, dir, "a-file", "x")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"output dir under a file", []string{"--output-dir", filepath.Join(file, "out")}, "--output-dir " + filepath.Join(file, "out") + ": cannot create it: not a directory"},
		{"snapshot extension", []string{"--output-dir", filepath.Join(dir, "out"), "--save-snapshot", filepath.Join(dir, "snap.txt")}, "unknown extension"},
		{"snapshot directory missing", []string{"--output-dir", filepath.Join(dir, "out"), "--save-snapshot", filepath.Join(dir, "nope", "snap.json")}, "its directory " + filepath.Join(dir, "nope")},
		{"snapshot under a file", []string{"--output-dir", filepath.Join(dir, "out"), "--save-snapshot", filepath.Join(file, "snap.json")}, "is not a directory"},
		{"snapshot is a directory", []string{"--output-dir", filepath.Join(dir, "out"), "--save-snapshot", filepath.Join(dir, "d.json")}, "is a directory"},
	}
	if err := os.Mkdir(filepath.Join(dir, "d.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.Stats().Requests
			code, _, stderr := runCLI(t, append([]string{"scan", "--config", cfg, "--endpoint-url", url, "--log-format", "json"}, tt.args...)...)
			if code != ExitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q; stderr:\n%s", code, ExitUsage, tt.want, stderr)
			}
			if n := srv.Stats().Requests - before; n != 0 {
				t.Errorf("%d AWS calls were made before the outputs were checked", n)
			}
		})
	}
}

// scanBlockedReports scans the round-trip emulator into an output
// directory whose report.json is a directory, so that the reports cannot
// be written after the scan, with the extra flags; it checks the exit is
// 4 and returns the output directory and stderr.
func scanBlockedReports(t *testing.T, extra ...string) (out, stderr string) {
	t.Helper()
	url := roundTripEmulator(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", failureScanConfig)
	out = filepath.Join(dir, "out")
	if err := os.MkdirAll(filepath.Join(out, "report.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"scan", "--config", cfg, "--endpoint-url", url, "--output-dir", out, "--log-format", "json"}, extra...)
	code, _, stderr := runCLI(t, args...)
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d\nstderr: %s", code, ExitFailed, stderr)
	}
	return out, stderr
}

// TestScanReportWriteFailure: the reports cannot be written after the scan
// (here report.json is a directory; a full disk is the same path): exit 4,
// not 2, and the snapshot, saved first, says how to write them again.
func TestScanReportWriteFailure(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "snap.json")
	_, stderr := scanBlockedReports(t, "--save-snapshot", snap)
	if !strings.Contains(stderr, "write reports") || !strings.Contains(stderr, "bucketaudit analyze "+snap) {
		t.Errorf("stderr does not give the cause and the way back:\n%s", stderr)
	}
	if _, err := inventory.Load(snap); err != nil {
		t.Errorf("snapshot: %v", err)
	}
}

// TestScanReportWriteFailureEmergencySnapshot: without --save-snapshot,
// reports that cannot be written after the scan (report.json is a
// directory) lose nothing: exit 4, and the error names the snapshot of
// what was collected, saved in the output directory (mode 0600), and the
// command that writes the reports from it.
func TestScanReportWriteFailureEmergencySnapshot(t *testing.T) {
	out, stderr := scanBlockedReports(t)
	saved, err := filepath.Glob(filepath.Join(out, "snapshot-*.json"))
	if err != nil || len(saved) != 1 {
		t.Fatalf("emergency snapshots in the output directory: %v (%v)", saved, err)
	}
	if !strings.Contains(stderr, "write reports") || !strings.Contains(stderr, "bucketaudit analyze "+saved[0]+" --output-dir DIR") {
		t.Errorf("stderr does not name the emergency snapshot and the way back:\n%s", stderr)
	}
	if fi, err := os.Stat(saved[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("emergency snapshot: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	doc, err := inventory.Load(saved[0])
	if err != nil {
		t.Fatalf("emergency snapshot: %v", err)
	}
	fixture, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ids := func(d *inventory.Document) []string {
		var out []string
		for _, a := range d.Accounts {
			out = append(out, a.ID)
			for _, b := range a.Buckets {
				out = append(out, a.ID+"/"+b.Name)
			}
		}
		slices.Sort(out)
		return out
	}
	if got, want := ids(doc), ids(fixture); !slices.Equal(got, want) || len(want) == 0 {
		t.Errorf("emergency snapshot holds %v, want the scanned %v", got, want)
	}
}

// TestEmergencySnapshotPlaces: the emergency snapshot goes into the
// output directory, never over one saved the same second, and into
// os.TempDir() when the output directory cannot take it (or is s3://).
func TestEmergencySnapshotPlaces(t *testing.T) {
	doc, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	out := t.TempDir()
	now := time.Date(2026, 12, 3, 11, 4, 5, 0, time.FixedZone("CET", 3600))
	first, err := saveEmergencySnapshot(zerolog.Nop(), doc, out, now)
	if want := filepath.Join(out, "snapshot-20261203T100405Z.json"); err != nil || first != want {
		t.Fatalf("saved %q (%v), want %s", first, err, want)
	}
	second, err := saveEmergencySnapshot(zerolog.Nop(), doc, out, now)
	if want := filepath.Join(out, "snapshot-20261203T100405Z-2.json"); err != nil || second != want {
		t.Errorf("saved %q (%v), want %s beside the first", second, err, want)
	}
	for _, dir := range []string{filepath.Join(out, "gone"), "s3://bucket/prefix"} {
		p, err := saveEmergencySnapshot(zerolog.Nop(), doc, dir, now)
		if err != nil || filepath.Dir(p) != tmp {
			t.Errorf("output dir %s: saved %q (%v), want in %s", dir, p, err, tmp)
			continue
		}
		if _, err := inventory.Load(p); err != nil {
			t.Errorf("output dir %s: %v", dir, err)
		}
		os.Remove(p)
	}
	t.Setenv("TMPDIR", filepath.Join(tmp, "gone"))
	if p, err := saveEmergencySnapshot(zerolog.Nop(), doc, filepath.Join(out, "gone"), now); err == nil {
		t.Errorf("saved %q with nowhere to write", p)
	}
}

// TestSaveSnapshotFallback: a snapshot path that fails after the scan
// (its directory went away) loses nothing: the snapshot goes into the
// output directory, the log and the error say where, and the error is a
// failure (exit 4).
func TestSaveSnapshotFallback(t *testing.T) {
	dir := t.TempDir()
	doc, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	want := filepath.Join(dir, "out", "snap.yaml")
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o700); err != nil {
		t.Fatal(err)
	}
	saved, err := saveSnapshot(zerolog.New(&logs), doc, filepath.Join(dir, "gone", "snap.yaml"), filepath.Join(dir, "out"))
	if saved != want || !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "saved to "+want+" instead") {
		t.Fatalf("saved %q, err %v; want the fallback %s and a failure naming it", saved, err, want)
	}
	if exitCode(err, io.Discard) != ExitFailed {
		t.Errorf("exit %d, want %d", exitCode(err, io.Discard), ExitFailed)
	}
	if _, err := inventory.Load(want); err != nil {
		t.Errorf("fallback snapshot: %v", err)
	}
	if !strings.Contains(logs.String(), want) {
		t.Errorf("the log does not say where the snapshot went:\n%s", logs.String())
	}
	// Nowhere to write it: a failure, with both errors.
	if saved, err := saveSnapshot(zerolog.Nop(), doc, filepath.Join(dir, "gone", "snap.yaml"), filepath.Join(dir, "gone-too")); saved != "" || !errors.Is(err, ErrFailed) {
		t.Errorf("saved %q, err %v; want nothing saved and a failure", saved, err)
	}
}

// failingWriter fails every write as a full disk does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestExitCodesAcrossCommands: one mapping for every command — runtime
// failures are 4 (not 2), argument problems 2, lint's unreadable file 2
// and its unparsable file 1.
func TestExitCodesAcrossCommands(t *testing.T) {
	scanEnv(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", failureScanConfig)
	bad := writeFile(t, dir, "bad.json", `{"Statement": [}`)
	good := writeFile(t, dir, "good.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`)
	fixture := "../scanner/testdata/roundtrip.yaml"
	out := filepath.Join(dir, "analyze")
	if err := os.MkdirAll(filepath.Join(out, "report.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stdout io.Writer
		code   int
		want   string
	}{
		{"unknown command", []string{"scna"}, nil, ExitUsage, "unknown command"},
		{"extra argument", []string{"scan", "extra"}, nil, ExitUsage, "unknown command \"extra\""},
		{"lint without files", []string{"lint"}, nil, ExitUsage, "requires at least 1 arg"},
		{"lint missing file", []string{"lint", good, filepath.Join(dir, "missing.json")}, nil, ExitUsage, "1 of 2 files cannot be read"},
		{"lint missing and unparsable", []string{"lint", bad, filepath.Join(dir, "missing.json")}, nil, ExitUsage, "cannot be read"},
		{"lint unparsable", []string{"lint", bad, good}, nil, ExitFindings, ""},
		{"diff to a full disk", []string{"diff", diffOld, diffNew}, failingWriter{}, ExitFailed, "no space left on device"},
		{"lint to a full disk", []string{"lint", good}, failingWriter{}, ExitFailed, "no space left on device"},
		{"explain live, dead endpoint", []string{"explain", "--config", cfg, "--endpoint-url", fakeawstest.DeadEndpoint(t), "--principal", "arn:aws:iam::222222222222:role/analyst",
			"--action", "s3:GetObject", "--bucket", "prod-public", "--key", "k"}, nil, ExitFailed, "fix: check --endpoint-url"},
		{"analyze, reports cannot be written", []string{"analyze", fixture, "--output-dir", out, "--format", "json"}, nil, ExitFailed, "write reports"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			var w io.Writer = &stdout
			if tt.stdout != nil {
				w = tt.stdout
			}
			var stderr bytes.Buffer
			code := Run(context.Background(), append(tt.args, "--log-format", "json"), nil, w, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, want %d with %q; stderr:\n%s", code, tt.code, tt.want, stderr.String())
			}
		})
	}
}

// TestScanProgressCtrlC: Ctrl-C closes the progress container (its context
// ends) while the scan still logs its last events: every event reaches the
// terminal, and zerolog reports no "could not write event" (the ~20 lines
// of "*mpb.Progress instance can't be reused" of the issue).
func TestScanProgressCtrlC(t *testing.T) {
	var writeErrors atomic.Int64
	prev := zerolog.ErrorHandler
	zerolog.ErrorHandler = func(error) { writeErrors.Add(1) }
	defer func() { zerolog.ErrorHandler = prev }()

	var term syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	start := make(chan any)
	close(start)
	bars := newScanProgress(ctx, &term, start)
	log, err := logging.New(bars.logs, "console", "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("scan started")
	cancel()
	// Wait until the container refuses writes, as it does after Ctrl-C.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := bars.p.Write([]byte{}); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the progress container did not close when its context ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i := 0; i < 20; i++ {
		log.Warn().Int("account", i).Msg("scan stopped while this account was being read")
	}
	bars.stop()
	log.Warn().Msg("after stop")
	if n := writeErrors.Load(); n != 0 {
		t.Errorf("zerolog could not write %d events", n)
	}
	if n := strings.Count(term.String(), "scan stopped while this account was being read"); n != 20 {
		t.Errorf("%d of 20 events reached the terminal:\n%s", n, term.String())
	}
	if !strings.Contains(term.String(), "after stop") {
		t.Errorf("the event after stop is lost:\n%s", term.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the progress container's renderer
// and the logger at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
