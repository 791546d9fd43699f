package policy

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// BenchmarkSimulateLines feeds JSON lines through Simulator.Run, the path of
// `bucketaudit simulate`, with the GC setting of that command, and reports
// requests/s and the peak heap in use. The lines are SIMBENCH_FILE (e.g. the
// file written by `DIFF_N=20000 DIFF_SEED=9 DIFF_DUMP=/tmp/r.jsonl go test
// -run TestDifferentialExplore ./policy`) or 5,000 generated requests:
//
//	go test -run '^$' -bench SimulateLines -benchtime 3x ./policy
func BenchmarkSimulateLines(b *testing.B) {
	var input []byte
	if path := os.Getenv("SIMBENCH_FILE"); path != "" {
		var err error
		if input, err = os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
	} else {
		input = append(bytes.Join(genRequests(9, 5000), []byte("\n")), '\n')
	}
	n := bytes.Count(input, []byte("\n"))
	defer debug.SetGCPercent(debug.SetGCPercent(simulateGCPercent))
	runtime.GC()
	before := heapInUse()
	peak := heapPeak(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		if err := NewSimulator().Run(bytes.NewReader(input), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(float64(peak()-before)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(len(input))/(1<<20), "input-MB")
}

// heapInUse returns the bytes of heap spans in use (live and not yet
// swept objects), read without stopping the world.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// heapPeak samples heapInUse until the returned function is called, which
// returns the largest value seen.
func heapPeak(tb testing.TB) func() uint64 {
	var mu sync.Mutex
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	sample := func() {
		v := heapInUse()
		mu.Lock()
		peak = max(peak, v)
		mu.Unlock()
	}
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		sample()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
