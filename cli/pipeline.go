package cli

import (
	"context"
	"fmt"
	"io"
	"os"
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
// mostly the analysis. Measured on the analysis of fakeaws.Synthetic(100,
// 1000) (101,000 buckets; 413 MB live heap, 738 MB the runtime keeps in
// use): writing xlsx, json and csv peaks at 1.46 GB of RSS in 31 s
// uncapped, and at 1.03 GB in 40 s with the cap below.
const (
	// largeReport is the number of buckets from which the cap applies.
	largeReport = 10000
	// writeHeadroom is what the writers may use above the live data; they
	// need about 170 MB at 100,000 buckets.
	writeHeadroom = 256 << 20
)

// boundHeapWhileWriting sets Go's soft memory limit to the memory the
// runtime cannot give back (in use after a collection: live objects and the
// free space inside their spans, stacks, metadata) plus headroom, when the
// report has at least largeReport buckets and no lower limit is in force
// (GOMEMLIMIT). It returns the function that restores the previous limit.
// (A limit computed from the live heap alone can sit below what a
// fragmented heap can shrink to, and the collector then runs non-stop.)
func boundHeapWhileWriting(buckets int, headroom int64) (restore func()) {
	if buckets < largeReport {
		return func() {}
	}
	debug.FreeOSMemory() // collect, and return the free spans to the OS
	samples := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(samples)
	for _, s := range samples {
		if s.Value.Kind() != metrics.KindUint64 {
			return func() {}
		}
	}
	inUse := int64(samples[0].Value.Uint64() - samples[1].Value.Uint64() - samples[2].Value.Uint64())
	limit := inUse + headroom
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
