package access

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// BenchmarkAnalyzeSynthetic50k analyses a synthetic organisation of 50
// member accounts with 1,000 buckets each (50,000 buckets). The budget is
// 10 s and 1 GB peak RSS on a 2-core machine:
//
//	go test ./access -run '^$' -bench Synthetic50k -benchtime 1x -benchmem
func BenchmarkAnalyzeSynthetic50k(b *testing.B) {
	benchmarkSynthetic(b, 50, 1000)
}

// BenchmarkAnalyzeSynthetic2k is the same mix at 2,000 buckets, for quick
// profiling.
func BenchmarkAnalyzeSynthetic2k(b *testing.B) {
	benchmarkSynthetic(b, 20, 100)
}

// BenchmarkAnalyzeSynthetic5kAccounts is the organisation of the scan
// benchmark (make bench-scan): 200 accounts of 25 buckets. Many accounts
// with few buckets each is where what is kept per account weighs most;
// peak-heap-MB must stay well inside the scan command's 300 MB.
func BenchmarkAnalyzeSynthetic5kAccounts(b *testing.B) {
	benchmarkSynthetic(b, 199, 25)
}

// BenchmarkAnalyzeSyntheticRoles is the 2,000-bucket mix with 30 extra
// IAM roles per account (trust chains, external and service trust,
// boundaries): the assume-role graph and the external-via-role findings.
func BenchmarkAnalyzeSyntheticRoles(b *testing.B) {
	benchmarkSyntheticWith(b, fakeaws.SyntheticOptions{Accounts: 20, Buckets: 100, Roles: 30})
}

func benchmarkSynthetic(b *testing.B, accounts, buckets int) {
	benchmarkSyntheticWith(b, fakeaws.SyntheticOptions{Accounts: accounts, Buckets: buckets})
}

func benchmarkSyntheticWith(b *testing.B, o fakeaws.SyntheticOptions) {
	accounts, buckets := o.Accounts, o.Buckets
	var peak atomic.Uint64
	for b.Loop() {
		rep := measureAnalyze(b, func() *inventory.Document { return fakeaws.SyntheticWith(o) }, &peak)
		if len(rep.Buckets) < accounts*buckets {
			b.Fatalf("%d buckets analysed, want %d", len(rep.Buckets), accounts*buckets)
		}
	}
	b.ReportMetric(float64(accounts*buckets), "buckets/op")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
}

// measureAnalyze analyses the document mk makes (not timed), timed and
// with its peak heap recorded in peak.
func measureAnalyze(b *testing.B, mk func() *inventory.Document, peak *atomic.Uint64) *Report {
	b.StopTimer()
	doc := mk()
	runtime.GC()
	done := make(chan struct{})
	go samplePeakHeap(peak, done)
	b.StartTimer()
	rep, err := Analyze(context.Background(), doc, Options{Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		b.Fatal(err)
	}
	close(done)
	return rep
}

// samplePeakHeap records the largest heap in use (sampled every 20 ms, the
// document and the report included) until done is closed.
func samplePeakHeap(peak *atomic.Uint64, done <-chan struct{}) {
	var m runtime.MemStats
	for {
		runtime.ReadMemStats(&m)
		if m.HeapInuse > peak.Load() {
			peak.Store(m.HeapInuse)
		}
		select {
		case <-done:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}
