package scanner

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
)

// BenchmarkScan5000Buckets scans a synthetic organisation of 5,000 buckets
// (200 accounts × 25) served in process by fakeaws without latency, and
// reports the API calls per bucket and the peak heap in use during the
// collection (sampled every 20 ms; the emulator's own heap included).
//
//	go test ./scanner -run '^$' -bench Scan5000 -benchtime 1x
func BenchmarkScan5000Buckets(b *testing.B) {
	doc := fakeaws.Synthetic(199, 25)
	_, url := fakeawstest.Start(b, doc)
	cfg := config.Default()
	cfg.EndpointURL = url
	for b.Loop() {
		opts := SessionOptionsFrom(cfg, zerolog.Nop())
		opts.Credentials = fakeawstest.ManagementCredentials(doc)
		sess, err := NewSession(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		var peak atomic.Uint64
		done := make(chan struct{})
		go func() {
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
		}()
		got := Scan(context.Background(), Options{Session: sess, Config: cfg, Log: zerolog.Nop()})
		close(done)
		sess.Close()
		buckets := 0
		for _, a := range got.Accounts {
			buckets += len(a.Buckets)
		}
		if buckets != 5000 || !got.Scan.Complete {
			b.Fatalf("scanned %d buckets, complete %v", buckets, got.Scan.Complete)
		}
		b.ReportMetric(float64(sess.TotalCalls())/float64(buckets), "calls/bucket")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	}
}
