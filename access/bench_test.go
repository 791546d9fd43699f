package access

import (
	"context"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/fakeaws"
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

func benchmarkSynthetic(b *testing.B, accounts, buckets int) {
	for b.Loop() {
		b.StopTimer()
		doc := fakeaws.Synthetic(accounts, buckets)
		b.StartTimer()
		rep, err := Analyze(context.Background(), doc, Options{Now: func() time.Time { return time.Unix(0, 0) }})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Buckets) < accounts*buckets {
			b.Fatalf("%d buckets analysed, want %d", len(rep.Buckets), accounts*buckets)
		}
	}
	b.ReportMetric(float64(accounts*buckets), "buckets/op")
}
