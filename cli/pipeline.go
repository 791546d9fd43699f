package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/internal/version"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/report"
)

// analyzeAndWrite is the tail of the pipeline shared by scan, analyze and
// demo: snapshot → access matrix → report files in outDir.
func analyzeAndWrite(ctx context.Context, doc *inventory.Document, sources []string, outDir string, formats []string) (*access.Report, []string, error) {
	rep, err := access.Analyze(ctx, doc, access.Options{ToolVersion: version.String(), Sources: sources})
	if err != nil {
		return nil, nil, fmt.Errorf("analyze: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create output directory: %w", err)
	}
	restore := boundHeapWhileWriting(len(rep.Buckets), writeHeadroom)
	paths, err := report.WriteAll(outDir, formats, rep)
	restore()
	if err != nil {
		return nil, nil, fmt.Errorf("write reports: %w", err)
	}
	return rep, paths, nil
}

// Writing the reports allocates several times the report's size in
// short-lived garbage. With Go's default pacing (GOGC=100) the heap grows to
// twice the live data before a collection, and the live data is then
// mostly the report: BenchmarkWriteAll/buckets=100000 (a report of 480 MB
// of live heap, 550 MB of RSS) peaks at 1.2 GB of RSS. Capping the heap at
// the live data plus 256 MB during the writing (the same run with
// GOMEMLIMIT=700MiB) peaks at 0.72 GB, for about 10% more time.
const (
	// largeReport is the number of buckets from which the cap applies.
	largeReport = 10000
	// writeHeadroom is what the writers may use above the live data; they
	// need about 170 MB at 100,000 buckets.
	writeHeadroom = 256 << 20
)

// boundHeapWhileWriting sets Go's soft memory limit to the live heap plus
// headroom when the report has at least largeReport buckets and no lower
// limit is in force (GOMEMLIMIT), and returns the function that restores
// the previous limit.
func boundHeapWhileWriting(buckets int, headroom int64) (restore func()) {
	if buckets < largeReport {
		return func() {}
	}
	runtime.GC() // the live heap is measured by a collection
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return func() {}
	}
	limit := int64(sample[0].Value.Uint64()) + headroom
	prev := debug.SetMemoryLimit(-1)
	if limit >= prev {
		return func() {}
	}
	debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(prev) }
}

// summaryRows is how many buckets of the matrix a run prints on the
// terminal; report.xlsx has them all.
const summaryRows = 25

// printRunSummary prints what a run found (counts and an excerpt of the
// matrix) and the paths of the reports written.
func printRunSummary(w io.Writer, rep *access.Report, paths []string) error {
	if err := report.WriteSummary(w, rep, summaryRows); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(w, "\nReports:"); err != nil {
		return err
	}
	for _, p := range paths {
		if _, err := fmt.Fprintln(w, "  "+p); err != nil {
			return err
		}
	}
	return nil
}
