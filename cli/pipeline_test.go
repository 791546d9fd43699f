package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/fakeaws"
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
	out, err := analyzeAndWrite(context.Background(), doc, []string{"synthetic"}, dir, report.Formats(), nil, report.Layout{})
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
	for _, e := range []string{access.ExposurePublic, access.ExposureExternal, access.ExposureOrg, access.ExposureUnknown, access.ExposurePrivate} {
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
	if _, err := analyzeAndWrite(ctx, doc, nil, interrupted, report.Formats(), nil, report.Layout{}); !errors.Is(err, context.Canceled) {
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
