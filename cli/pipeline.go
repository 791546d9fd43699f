package cli

import (
	"context"
	"fmt"
	"io"
	"os"

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
	paths, err := report.WriteAll(outDir, formats, rep)
	if err != nil {
		return nil, nil, fmt.Errorf("write reports: %w", err)
	}
	return rep, paths, nil
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
