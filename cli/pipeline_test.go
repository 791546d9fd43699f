package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/report"
)

// analyzeAndWrite streams the analysis into the reports: the files hold
// every bucket, the returned report (without buckets) counts them, and the
// terminal summary shows the first rows. An interrupted analysis (Ctrl-C
// in analyze cancels the context) writes nothing and leaves no temporary
// file or spool behind.
func TestAnalyzeAndWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	doc := fakeaws.Synthetic(3, 20)
	out, err := analyzeAndWrite(context.Background(), doc, []string{"synthetic"}, dir, report.Formats(), analysis{}, report.Layout{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.report.Buckets) != 0 || out.report.Summary.Buckets != 4*20 {
		t.Errorf("report holds %d buckets and counts %d, want none held and %d counted", len(out.report.Buckets), out.report.Summary.Buckets, 4*20)
	}
	if len(out.paths) != len(report.Formats()) {
		t.Errorf("paths %v, want a report of every format", out.paths)
	}
	rep := readReportJSON(t, dir)
	if len(rep.Buckets) != 4*20 || rep.Summary.Buckets != len(rep.Buckets) {
		t.Errorf("report.json holds %d buckets, its summary %d", len(rep.Buckets), rep.Summary.Buckets)
	}
	var buf bytes.Buffer
	if err := printRunSummary(&buf, out); err != nil {
		t.Fatal(err)
	}
	// The summary's first row is the first of the most exposed buckets.
	var first string
	for _, e := range []string{model.ExposurePublic, model.ExposureExternal, model.ExposureOrg, model.ExposureUnknown, model.ExposurePrivate} {
		for _, b := range rep.Buckets {
			if first == "" && b.Exposure == e {
				first = b.Name
			}
		}
	}
	if m := regexp.MustCompile(`(?m)^  \S+\s+(\S+)\s+[AC?.-]{5} `).FindStringSubmatch(buf.String()); m == nil || m[1] != first ||
		!strings.Contains(buf.String(), "… and 55 less exposed") {
		t.Errorf("summary does not begin with the most exposed bucket %s, or lacks the count of the others:\n%s", first, buf.String())
	}

	interrupted := filepath.Join(t.TempDir(), "interrupted")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := analyzeAndWrite(ctx, doc, nil, interrupted, report.Formats(), analysis{}, report.Layout{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	entries, err := os.ReadDir(interrupted)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("an interrupted analysis left %d files (first %s)", len(entries), entries[0].Name())
	}
}

// TestScanOverlapReport: the scan path analyses accounts while it
// collects the others (overlapRun); the report.json it writes is byte for
// byte the one analyzeAndWrite writes from the finished snapshot (but for
// when it was generated), and accounts were analysed during the scan.
func TestScanOverlapReport(t *testing.T) {
	scanEnv(t)
	doc := fakeaws.Synthetic(8, 6)
	// With latency, the scan's accounts end one after the other, the walk
	// long before the last.
	_, url := fakeawstest.Start(t, doc, fakeaws.Options{Latency: 10 * time.Millisecond, Log: zerolog.Nop()})
	// Accounts are analysed while the scan goes on, with IAM (the default)
	// too: a bucket's cells list the principals of every member account
	// and its findings who can assume its roles, so the scan reads every
	// account's IAM ahead of the buckets. The report is the same.
	for _, tc := range []struct {
		name, collect string
		iam           bool
	}{{"no-iam", "collect:\n  iam: false\n", false}, {"iam", "", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg, err := config.Load(writeFile(t, dir, "scan.yaml", "concurrency:\n  accounts: 1\n  requests: 4\noutputs:\n  formats: [json]\n"+tc.collect),
				config.Overrides{EndpointURL: url, OutputDir: filepath.Join(dir, "overlap")}, os.LookupEnv)
			if err != nil {
				t.Fatal(err)
			}
			e := &env{stdout: io.Discard, stderr: io.Discard, log: zerolog.Nop()}
			overlap := newOverlapRun([]string{"scan.yaml"}, cfg.Outputs.Dir, cfg.Outputs.Formats, analysis{}, report.Layout{}, cfg.Collect.IAM, zerolog.Nop())
			snap, _, err := e.runScan(context.Background(), cfg, scanOptions{NoProgress: true, Overlap: overlap})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := overlap.finish(snap); err != nil {
				t.Fatal(err)
			}
			if n := overlap.ov.Streamed(); n == 0 {
				t.Errorf("no account analysed while scanning (then: %s)", overlap.ov.Deferred())
			}
			// With IAM, the IAM of every account came before the last
			// account did: the accounts could be analysed while the scan
			// read others (TestOverlapEqualsStream shows they are).
			if accounts := len(snap.Accounts); tc.iam && overlap.iamsAtLast != accounts {
				t.Errorf("the IAM of %d of %d accounts was in when the last account was collected", overlap.iamsAtLast, accounts)
			}
			plain := filepath.Join(dir, "plain")
			if _, err := analyzeAndWrite(context.Background(), snap, []string{"scan.yaml"}, plain, cfg.Outputs.Formats, analysis{}, report.Layout{}); err != nil {
				t.Fatal(err)
			}
			normalised := func(path string) string {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				return regexp.MustCompile(`"generated_at": "[^"]*"`).ReplaceAllString(string(data), `"generated_at": "-"`)
			}
			got, want := normalised(filepath.Join(cfg.Outputs.Dir, "report.json")), normalised(filepath.Join(plain, "report.json"))
			if got != want {
				t.Errorf("report.json of the overlapped analysis differs from analyzeAndWrite's:\n%s", cmp.Diff(want, got))
			}
		})
	}
}
