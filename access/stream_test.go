package access

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/model"
)

// Stream hands every bucket to the sink in Analyze's order, with several
// workers and a reorder window much smaller than the organisation, and its
// report (accounts, summary) equals Analyze's.
func TestStreamEqualsAnalyze(t *testing.T) {
	at := func() time.Time { return time.Unix(0, 0) }
	want, err := Analyze(context.Background(), fakeaws.Synthetic(6, 40), Options{Now: at, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []model.Bucket
	rep, err := Stream(context.Background(), fakeaws.Synthetic(6, 40), Options{Now: at, Workers: 4}, func(b *model.Bucket) error {
		got = append(got, *b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Buckets == nil || len(rep.Buckets) != 0 {
		t.Errorf("Stream's report holds %d buckets (nil: %v), want an empty list", len(rep.Buckets), rep.Buckets == nil)
	}
	if len(got) != 7*40 {
		t.Fatalf("%d buckets streamed, want %d", len(got), 7*40)
	}
	if diff := cmp.Diff(want.Buckets, got); diff != "" {
		t.Errorf("streamed buckets differ from Analyze's (-analyze +stream):\n%s", diff)
	}
	rep.Buckets = want.Buckets
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report differs (-analyze +stream):\n%s", diff)
	}
}

// An error of the sink stops the analysis and is returned as it is; so is
// a cancelled context.
func TestStreamStops(t *testing.T) {
	doc := fakeaws.Synthetic(4, 50)
	stop := errors.New("disk full")
	calls := 0
	_, err := Stream(context.Background(), doc, Options{Workers: 2}, func(*model.Bucket) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("err = %v, want the sink's error itself", err)
	}
	if calls != 3 {
		t.Errorf("sink called %d times, want no call after its error", calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	_, err = Stream(ctx, doc, Options{Workers: 2}, func(*model.Bucket) error {
		calls++
		if calls == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if calls >= 4*50 {
		t.Errorf("every bucket was streamed after the cancellation")
	}
}

// inOrder emits results in job order however long each job takes, and
// never lets a job start window or more ahead of the next to emit; with
// runs (groupEnd), each run's jobs are done by one worker, in order.
func TestInOrder(t *testing.T) {
	const n, window = 500, 8
	// runs of 1 to 7 jobs (some longer than window/2, one of window)
	ends := map[int]int{}
	for i, k := 0, 0; i < n; k++ {
		e := min(i+1+(k*5)%7, n)
		if k == 3 {
			e = min(i+window, n)
		}
		ends[i] = e
		i = e
	}
	for _, tc := range []struct {
		name     string
		groupEnd func(int) int
	}{{"one at a time", nil}, {"runs", func(i int) int { return ends[i] }}} {
		t.Run(tc.name, func(t *testing.T) {
			var emitted atomic.Int64
			var ahead atomic.Int64 // the largest distance seen
			var workerOf [n]atomic.Int32
			var nworkers atomic.Int32
			work := func() func(int) int {
				id := nworkers.Add(1)
				last := -1
				return func(i int) int {
					d := int64(i) - emitted.Load()
					for a := ahead.Load(); d > a && !ahead.CompareAndSwap(a, d); a = ahead.Load() {
					}
					if i <= last {
						t.Errorf("job %d after job %d in one worker", i, last)
					}
					last = i
					workerOf[i].Store(id)
					if i%7 == 0 {
						time.Sleep(time.Duration(i%3) * 100 * time.Microsecond)
					}
					return i
				}
			}
			want := 0
			err := inOrder(context.Background(), n, 4, window, tc.groupEnd, work, func(v *int) error {
				if *v != want {
					t.Fatalf("emitted %d, want %d", *v, want)
				}
				want++
				emitted.Store(int64(want))
				return nil
			})
			if err != nil || want != n {
				t.Fatalf("err %v, %d emitted; want nil, %d", err, want, n)
			}
			if a := ahead.Load(); a >= window {
				t.Errorf("a job started %d ahead of the next to emit, window %d", a, window)
			}
			if tc.groupEnd != nil {
				for lo, hi := range ends {
					for i := lo + 1; i < hi; i++ {
						if workerOf[i].Load() != workerOf[lo].Load() {
							t.Errorf("run %d-%d: job %d by worker %d, job %d by %d", lo, hi, lo, workerOf[lo].Load(), i, workerOf[i].Load())
						}
					}
				}
			}
		})
	}

	work := func() func(int) int { return func(i int) int { return i } }
	calls := 0
	err := inOrder(context.Background(), 0, 2, window, nil, work, func(*int) error { calls++; return nil })
	if err != nil || calls != 0 {
		t.Errorf("no jobs: err = %v, %d emitted", err, calls)
	}
}

// Analyze and Stream refuse a nil document with an error (one check, in
// streamRest), never a panic or an empty report.
func TestNilDocument(t *testing.T) {
	if rep, err := Analyze(context.Background(), nil, Options{}); err == nil || rep != nil {
		t.Errorf("Analyze(nil) = %v, %v; want an error", rep, err)
	}
	if rep, err := Stream(context.Background(), nil, Options{}, func(*model.Bucket) error { return nil }); err == nil || rep != nil {
		t.Errorf("Stream(nil) = %v, %v; want an error", rep, err)
	}
}
