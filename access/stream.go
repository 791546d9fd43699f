package access

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// Stream analyses every bucket of doc, as Analyze does, and hands each
// bucket's report to sink as soon as it and the buckets before it are done:
// one at a time, from the calling goroutine, in the report's order (by
// account ID, then bucket name). Nothing of a bucket is kept once sink has
// returned, so the memory Stream needs does not grow with the number of
// buckets (the document itself aside); sink may keep b.
//
// It returns the report without its buckets (Buckets is empty, not nil):
// the accounts and the summary count the buckets streamed. An error of
// sink stops the analysis and is returned as it is. Stream fills in the
// fixture defaults in doc (inventory.ApplyDefaults; a no-op on a scan's
// snapshot).
func Stream(ctx context.Context, doc *inventory.Document, opts Options, sink func(b *model.Bucket) error) (*model.Report, error) {
	return streamRest(ctx, doc, opts, sink, nil, newTally(), nil)
}

// trustedAccounts are the labels of the trusted accounts: the document's,
// then opts'.
func trustedAccounts(doc *inventory.Document, opts Options) map[string]string {
	trusted := map[string]string{}
	if doc.Scan != nil {
		for id, l := range doc.Scan.TrustedAccounts {
			trusted[id] = l
		}
	}
	for id, l := range opts.TrustedAccounts {
		trusted[id] = l
	}
	return trusted
}

// streamRest is Stream, less the buckets of the accounts done names (they
// were streamed before, and t counted them). The i-th bucket streamed is
// built in into[i] when into has room for it (Analyze), in a new
// model.Bucket otherwise.
func streamRest(ctx context.Context, doc *inventory.Document, opts Options, sink func(b *model.Bucket) error, done map[string]bool, t *tally, into []model.Bucket) (*model.Report, error) {
	if doc == nil {
		return nil, errors.New("analyze: no inventory document")
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	ix := opts.index
	if ix == nil {
		ix = NewIndex(doc)
	}
	trusted := trustedAccounts(doc, opts)
	m := newMatrixer(ix, trusted, opts)

	type job struct{ a, b int }
	var jobs []job
	for ai := range doc.Accounts {
		if done[doc.Accounts[ai].ID] {
			continue
		}
		for bi := range doc.Accounts[ai].Buckets {
			jobs = append(jobs, job{ai, bi})
		}
	}
	sort.Slice(jobs, func(i, j int) bool {
		ai, aj := &doc.Accounts[jobs[i].a], &doc.Accounts[jobs[j].a]
		if ai.ID != aj.ID {
			return ai.ID < aj.ID
		}
		return ai.Buckets[jobs[i].b].Name < aj.Buckets[jobs[j].b].Name
	})
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// The buckets are taken account after account; what is kept for an
	// account's buckets (shapes, the callers that name it) is dropped when
	// they are done, so the working set is that of the few accounts in
	// progress (and of a bounded set of callers that serve every account,
	// worker.caller).
	remaining := make([]atomic.Int32, len(doc.Accounts))
	for _, j := range jobs {
		remaining[j.a].Add(1)
	}
	analyse := func() func(i int) *model.Bucket {
		w := m.newWorker()
		return func(i int) *model.Bucket {
			a := &doc.Accounts[jobs[i].a]
			w.startAccount(a.ID)
			var out *model.Bucket
			if i < len(into) {
				out = &into[i]
			} else {
				out = new(model.Bucket) // not before: Analyze's 4.8 KB per bucket would be garbage
			}
			w.bucketReport(out, a, &a.Buckets[jobs[i].b])
			if remaining[jobs[i].a].Add(-1) == 0 {
				m.shared.dropAccount(a.ID)
			}
			return out
		}
	}
	// A worker takes up to maxRun buckets of one account at a time: what it
	// builds for an account (its principals' statics and groups, whoAccount;
	// its callers) is then built by one worker, not by each (at 5 buckets
	// per account, twice with two workers).
	groupEnd := func(i int) int {
		j := i + 1
		for j < len(jobs) && j-i < maxRun && jobs[j].a == jobs[i].a {
			j++
		}
		return j
	}
	var sinkErr error
	emit := func(b **model.Bucket) error {
		muteFindings(opts.Mutes, (*b).Findings)
		t.bucket(*b)
		sinkErr = sink(*b)
		return sinkErr
	}
	if err := inOrder(ctx, len(jobs), workers, reorderWindow*workers, groupEnd, analyse, emit); err != nil {
		if sinkErr != nil {
			return nil, sinkErr
		}
		return nil, fmt.Errorf("analyze: %w", err)
	}
	if n := m.memoFaults.Load(); n > 0 {
		return nil, fmt.Errorf("analyze: %d memoised statement names or cell principals differ from what they were made of (a shared list was modified after it was memoised)", n)
	}

	rep := &model.Report{
		SchemaVersion: model.SchemaVersion,
		GeneratedAt:   now().UTC(),
		ToolVersion:   opts.ToolVersion,
		Assumptions:   append(Assumptions(), scopeAssumptions(doc)...),
		Scan:          scanInfo(doc, opts.Sources, trusted),
		Organization:  organization(ix),
		Buckets:       []model.Bucket{},
	}
	if rep.ToolVersion == "" {
		rep.ToolVersion = "dev"
	}
	rep.Accounts = accounts(ix, t)
	for i := range rep.Accounts {
		muteFindings(opts.Mutes, rep.Accounts[i].Findings)
	}
	rep.Summary = t.summary(rep.Accounts)
	return rep, nil
}

// reorderWindow is how many buckets per worker may be analysed ahead of
// the one sink waits for (a few KB each).
const reorderWindow = 32

// maxRun is the most buckets (of one account) a worker takes at a time: at
// most reorderWindow, so that the other workers keep busy.
const maxRun = reorderWindow / 2

// inOrder runs jobs 0..n-1 on workers goroutines (newWorker gives each its
// own function) and calls emit with the results in job order, from the
// calling goroutine. At most window jobs are in progress or waiting for
// emit: a worker takes the next job only when it is less than window ahead
// of the next result to emit. An error of emit stops the workers and is
// returned; so does ctx, or a worker's error.
//
// A worker takes a run of jobs at a time: groupEnd(i) is the end
// (exclusive, above i and at most i+window) of the run that starts at job
// i; nil takes one job at a time. The runs keep what a worker builds for
// an account's buckets to one worker (streamRest).
func inOrder[T any](ctx context.Context, n, workers, window int, groupEnd func(i int) int, newWorker func() func(i int) T, emit func(*T) error) error {
	window = max(min(window, n), 1) // no more slots than jobs (an account of few buckets)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	// slots[i%window] carries job i's result; tokens holds one unit per job
	// taken and not yet emitted, so the jobs in flight are a run of at most
	// window indexes and their slots are free. A worker takes a run's
	// tokens before the run, all at once (under mu, so two workers never
	// wait for the last tokens each holding part of them): the job emit
	// waits for is always one whose worker holds its token.
	slots := make([]chan T, window)
	for i := range slots {
		slots[i] = make(chan T, 1)
	}
	tokens := semaphore.NewWeighted(int64(window))
	var mu sync.Mutex
	next := 0
	take := func() (lo, hi int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if next >= n {
			return n, n, nil
		}
		lo, hi = next, next+1
		if groupEnd != nil {
			hi = min(max(groupEnd(lo), lo+1), lo+window, n)
		}
		if err := tokens.Acquire(gctx, int64(hi-lo)); err != nil {
			return 0, 0, err
		}
		next = hi
		return lo, hi, nil
	}
	for range workers {
		g.Go(func() error {
			do := newWorker()
			for {
				lo, hi, err := take()
				if err != nil {
					return err
				}
				if lo >= n {
					return nil
				}
				for i := lo; i < hi; i++ {
					if err := gctx.Err(); err != nil {
						return err
					}
					slots[i%window] <- do(i)
				}
			}
		})
	}
	var emitErr error
	for i := 0; i < n && emitErr == nil; i++ {
		select {
		case v := <-slots[i%window]:
			if emitErr = emit(&v); emitErr != nil {
				cancel()
			}
			tokens.Release(1)
		case <-gctx.Done():
			i = n // a worker's error (or ctx's) is what g.Wait returns
		}
	}
	werr := g.Wait()
	if emitErr != nil {
		return emitErr
	}
	return werr
}

// tally counts the buckets as they are streamed: the buckets of each
// account, whether some of them could not be fully read, and the summary.
type tally struct {
	perAccount map[string]int
	partial    map[string]bool
	s          model.Summary
}

func newTally() *tally {
	s := model.Summary{
		BucketsByExposure:  map[string]int{},
		FindingsBySeverity: map[model.Severity]int{},
		FindingsByAccount:  map[string]map[model.Severity]int{},
	}
	for _, e := range model.Exposures() {
		s.BucketsByExposure[e] = 0
	}
	for _, sev := range model.Severities() {
		s.FindingsBySeverity[sev] = 0
	}
	return &tally{perAccount: map[string]int{}, partial: map[string]bool{}, s: s}
}

func (t *tally) finding(f *model.Finding) {
	t.s.FindingsBySeverity[f.Severity]++
	m := t.s.FindingsByAccount[f.AccountID]
	if m == nil {
		m = map[model.Severity]int{}
		for _, sev := range model.Severities() {
			m[sev] = 0
		}
		t.s.FindingsByAccount[f.AccountID] = m
	}
	m[f.Severity]++
	if f.Muted {
		if t.s.MutedBySeverity == nil {
			t.s.MutedBySeverity = map[model.Severity]int{}
			for _, sev := range model.Severities() {
				t.s.MutedBySeverity[sev] = 0
			}
		}
		t.s.MutedBySeverity[f.Severity]++
	}
}

// bucket counts one bucket.
func (t *tally) bucket(b *model.Bucket) {
	t.perAccount[b.AccountID]++
	if len(b.Errors) > 0 {
		t.partial[b.AccountID] = true
	}
	t.s.Buckets++
	t.s.BucketsByExposure[b.Exposure]++
	for i := range b.Findings {
		t.finding(&b.Findings[i])
		if b.Findings[i].ID == model.FindingAssessmentIncomplete {
			t.s.Incomplete++
		}
	}
}

// summary adds the accounts to the buckets counted and returns the summary.
func (t *tally) summary(accounts []model.Account) model.Summary {
	t.s.Accounts = len(accounts)
	for i := range accounts {
		for j := range accounts[i].Findings {
			t.finding(&accounts[i].Findings[j])
		}
		if accounts[i].Status == model.StatusFailed {
			t.s.Incomplete++
		}
	}
	return t.s
}
