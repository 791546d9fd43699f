package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/internal/version"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/report"
)

// written is what analyzeAndWrite produced.
type written struct {
	// report is the analysis without its buckets: they went to the files
	// one by one (the accounts and summary count them).
	report *access.Report
	// excerpt is the terminal summary (counts, the first rows of the matrix).
	excerpt *report.Excerpt
	paths   []string
}

// analyzeAndWrite is the tail of the pipeline shared by scan, analyze and
// demo: snapshot → access matrix → report files in outDir. The analysis
// streams each bucket into the report writers as soon as it is done, so
// memory does not grow with the number of buckets (the snapshot aside);
// what a format can only write at the end is spooled to temporary files in
// outDir, removed on every path (errors and a cancelled ctx included).
// mutes, when not nil, marks the findings a mutelist accepts; layout is
// how report.xlsx prints (its paper: see (*env).layout).
func analyzeAndWrite(ctx context.Context, doc *inventory.Document, sources []string, outDir string, formats []string, mutes access.Muter, layout report.Layout) (*written, error) {
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	files, err := report.CreateLayout(outDir, formats, layout)
	if err != nil {
		return nil, fmt.Errorf("write reports: %w", err)
	}
	defer files.Close()
	excerpt := report.NewExcerpt(summaryRows)
	rep, err := access.Stream(ctx, doc, access.Options{ToolVersion: version.String(), Sources: sources, Mutes: mutes}, func(b *access.Bucket) error {
		excerpt.Bucket(b)
		return files.Bucket(b)
	})
	if err != nil {
		return nil, fmt.Errorf("analyze and write reports: %w", err)
	}
	excerpt.End(rep)
	paths, err := files.End(rep)
	if err != nil {
		return nil, fmt.Errorf("write reports: %w", err)
	}
	if err := files.Close(); err != nil {
		return nil, fmt.Errorf("write reports: %w", err)
	}
	return &written{report: rep, excerpt: excerpt, paths: paths}, nil
}

// loadMutelist reads the mutelist at path ("" : none), logging the entries
// that expired; a problem with it is a usage error.
func (e *env) loadMutelist(path string) (access.Muter, error) {
	if path == "" {
		return nil, nil
	}
	m, warnings, err := config.LoadMutelist(path, access.MutableFindingIDs(), time.Now())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	for _, w := range warnings {
		e.log.Warn().Str("mutelist", path).Msg(w)
	}
	return m, nil
}

// layout is how report.xlsx prints: on the paper of the user's locale
// (LC_ALL, LC_PAPER, LANG), A4 unless it is a Letter country's.
func (e *env) layout() report.Layout {
	getenv := e.getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return report.Layout{Paper: report.PaperForLocale(getenv)}
}

// summaryRows is how many buckets of the matrix a run prints on the
// terminal; report.xlsx has them all.
const summaryRows = 25

// printRunSummary prints what a run found (counts and an excerpt of the
// matrix) and the paths of the reports written.
func printRunSummary(w io.Writer, out *written) error {
	if err := out.excerpt.Write(w); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(w, "\nReports:"); err != nil {
		return err
	}
	for _, p := range out.paths {
		if _, err := fmt.Fprintln(w, "  "+p); err != nil {
			return err
		}
	}
	return nil
}
