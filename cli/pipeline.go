package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/pflag"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/internal/version"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/report"
)

// written is what analyzeAndWrite produced.
type written struct {
	// report is the analysis without its buckets: they went to the files
	// one by one (the accounts and summary count them).
	report *model.Report
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
// an is what the command chose of the analysis (the mutelist, the cap of
// the principal lists); layout is how report.xlsx prints (its paper: see
// (*env).layout).
func analyzeAndWrite(ctx context.Context, doc *inventory.Document, sources []string, outDir string, formats []string, an analysis, layout report.Layout) (*written, error) {
	w, err := newReportWriter(outDir, formats, layout)
	if err != nil {
		return nil, err
	}
	defer w.files.Close()
	rep, err := access.Stream(ctx, doc, an.options(sources), w.bucket)
	if err != nil {
		return nil, fmt.Errorf("analyze and write reports: %w", err)
	}
	return w.end(rep)
}

// analysis is what a command chose of the analysis behind its reports.
type analysis struct {
	// mutes, when not nil, marks the findings a mutelist accepts.
	mutes access.Muter
	// perCell caps the principals a cell lists (outputs.principals_per_cell,
	// --principals-per-cell; 0: all).
	perCell int
}

// principalsPerCellFlag adds --principals-per-cell to a command: it sets
// *n, access.DefaultPrincipalsPerCell unless given; also ends its help (what
// the flag overrides, for a command with a configuration).
func principalsPerCellFlag(f *pflag.FlagSet, n *int, also string) {
	f.IntVar(n, "principals-per-cell", access.DefaultPrincipalsPerCell,
		"list at most N principals per matrix cell in the reports (the rest counted; bucketaudit who-can lists them all); 0 lists all"+also)
}

// checkPrincipalsPerCell is the usage error of a negative --principals-per-cell.
func checkPrincipalsPerCell(n int) error {
	if n < 0 {
		return usageErr("--principals-per-cell: %d must not be negative (0 lists every principal)", n)
	}
	return nil
}

// options are the access options of the analysis of sources.
func (an analysis) options(sources []string) access.Options {
	return access.Options{ToolVersion: version.String(), Sources: sources, Mutes: an.mutes, PrincipalsPerCell: an.perCell}
}

// reportWriter writes the report files of one analysis: the buckets one by
// one (bucket), then the rest (end). Until end, nothing replaces the files
// of an earlier run; Close removes what end did not publish.
type reportWriter struct {
	files   *report.Files
	excerpt *report.Excerpt
}

func newReportWriter(outDir string, formats []string, layout report.Layout) (*reportWriter, error) {
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	files, err := report.CreateLayout(outDir, formats, layout)
	if err != nil {
		return nil, fmt.Errorf("write reports: %w", err)
	}
	return &reportWriter{files: files, excerpt: report.NewExcerpt(summaryRows)}, nil
}

func (w *reportWriter) bucket(b *model.Bucket) error {
	w.excerpt.Bucket(b)
	return w.files.Bucket(b)
}

func (w *reportWriter) end(rep *model.Report) (*written, error) {
	w.excerpt.End(rep)
	paths, err := w.files.End(rep)
	if err != nil {
		return nil, fmt.Errorf("write reports: %w", err)
	}
	if err := w.files.Close(); err != nil {
		return nil, fmt.Errorf("write reports: %w", err)
	}
	return &written{report: rep, excerpt: w.excerpt, paths: paths}, nil
}

// overlapRun analyses a scan while it goes on (access.Overlap): it is the
// scan's scanner.Collected, and one goroutine streams each account into the
// report files as soon as it and the accounts before it (by ID) are
// collected; finish streams the rest from the finished snapshot. The
// report is what analyzeAndWrite would write from the snapshot.
type overlapRun struct {
	sources []string
	outDir  string
	formats []string
	an      analysis
	layout  report.Layout
	// iam: the scan collects IAM (access.Overlap.ExpectIAM).
	iam   bool
	log   zerolog.Logger
	ctx   context.Context
	w     *reportWriter
	ended chan struct{}
	ov    *access.Overlap // set by run, read once it ended

	mu       sync.Mutex
	cond     *sync.Cond
	skeleton *inventory.Document
	// pending are the accounts collected and not handed to ov yet, and
	// iams the IAM read ahead of accounts (handed to ov first).
	pending []*inventory.Account
	iams    []aheadIAM
	closed  bool
	// iamsIn counts the IAM handed over, and iamsAtLast is iamsIn when
	// the last account so far was: all in before the last account was
	// collected lets ov analyse accounts while the scan reads others.
	iamsIn, iamsAtLast int
}

func newOverlapRun(sources []string, outDir string, formats []string, an analysis, layout report.Layout, iam bool, log zerolog.Logger) *overlapRun {
	r := &overlapRun{sources: sources, outDir: outDir, formats: formats, an: an, layout: layout, iam: iam, log: log}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *overlapRun) options() access.Options {
	return r.an.options(r.sources)
}

// start creates the report files and starts the analysis goroutine. ctx
// bounds the analysis (Ctrl-C ends the scan, not the writing of what it
// collected: pass a context without its cancellation).
func (r *overlapRun) start(ctx context.Context) error {
	w, err := newReportWriter(r.outDir, r.formats, r.layout)
	if err != nil {
		return err
	}
	r.ctx, r.w = ctx, w
	r.ended = make(chan struct{})
	go r.run()
	return nil
}

// Walked is scanner.Collected's.
func (r *overlapRun) Walked(skeleton *inventory.Document) {
	r.mu.Lock()
	r.skeleton = skeleton
	r.cond.Broadcast()
	r.mu.Unlock()
}

// aheadIAM is an account's IAM read ahead of its buckets.
type aheadIAM struct {
	id     string
	iam    *inventory.IAM
	iamErr inventory.FetchError
}

// IAM is scanner.Collected's.
func (r *overlapRun) IAM(id string, iam *inventory.IAM, iamErr inventory.FetchError) {
	r.mu.Lock()
	r.iams = append(r.iams, aheadIAM{id, iam, iamErr})
	r.iamsIn++
	r.cond.Broadcast()
	r.mu.Unlock()
}

// Account is scanner.Collected's.
func (r *overlapRun) Account(a inventory.Account) {
	r.mu.Lock()
	r.pending = append(r.pending, &a)
	r.iamsAtLast = r.iamsIn
	r.cond.Broadcast()
	r.mu.Unlock()
}

// run hands the accounts collected to the overlap and streams what it can,
// until the accounts left wait for the finished snapshot, a write fails,
// or stop is called.
func (r *overlapRun) run() {
	defer close(r.ended)
	r.mu.Lock()
	for r.skeleton == nil && !r.closed {
		r.cond.Wait()
	}
	skeleton := r.skeleton
	r.mu.Unlock()
	if skeleton == nil {
		return
	}
	ov, err := access.NewOverlap(skeleton, r.options(), r.w.bucket)
	if err != nil {
		r.log.Debug().Err(err).Msg("no analysis while scanning")
		return
	}
	if r.iam {
		ov.ExpectIAM()
	}
	r.ov = ov
	for ov.Deferred() == "" {
		r.mu.Lock()
		for len(r.pending) == 0 && len(r.iams) == 0 && !r.closed {
			r.cond.Wait()
		}
		iams, batch, closed := r.iams, r.pending, r.closed
		r.iams, r.pending = nil, nil
		r.mu.Unlock()
		if closed {
			// The scan ended: finish streams the rest, with every worker.
			return
		}
		for _, h := range iams {
			if err := ov.AddIAM(h.id, h.iam, h.iamErr); err != nil {
				r.log.Debug().Err(err).Msg("analysis while scanning stopped")
				return
			}
		}
		for _, a := range batch {
			if err := ov.Add(a); err != nil {
				r.log.Debug().Err(err).Msg("analysis while scanning stopped")
				return
			}
		}
		if err := ov.Stream(r.ctx, r.scanning); err != nil {
			return // finish returns it
		}
	}
}

// scanning reports whether the scan goes on (stop was not called).
func (r *overlapRun) scanning() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.closed
}

// stop ends the analysis goroutine (once the account in progress is
// streamed) and waits for it.
func (r *overlapRun) stop() {
	if r.ended == nil {
		return
	}
	r.mu.Lock()
	r.closed = true
	r.cond.Broadcast()
	r.mu.Unlock()
	<-r.ended
}

// abort stops the analysis and removes the report files it began: the
// reports of an earlier run stay as they were.
func (r *overlapRun) abort() {
	if r == nil || r.ended == nil {
		return
	}
	r.stop()
	r.w.files.Close()
}

// finish streams what the analysis did not from doc, the finished snapshot,
// and writes the reports.
func (r *overlapRun) finish(doc *inventory.Document) (*written, error) {
	if r.ended == nil {
		return analyzeAndWrite(context.Background(), doc, r.sources, r.outDir, r.formats, r.an, r.layout)
	}
	r.stop()
	defer r.w.files.Close()
	var (
		rep *model.Report
		err error
	)
	if r.ov != nil {
		ev := r.log.Debug().Int("accounts_analysed_while_scanning", r.ov.Streamed())
		if why := r.ov.Deferred(); why != "" {
			ev = ev.Str("then_waited", why)
		}
		ev.Msg("analysis overlapped the scan")
		rep, err = r.ov.Finish(r.ctx, doc)
	} else {
		rep, err = access.Stream(r.ctx, doc, r.options(), r.w.bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("analyze and write reports: %w", err)
	}
	return r.w.end(rep)
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
