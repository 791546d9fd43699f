package report

import (
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// BenchmarkAnalyzeSnapshot100k is `bucketaudit analyze` of a snapshot file
// of 101,000 buckets (fakeaws.Synthetic(100, 1000), saved first) writing
// report.xlsx, report.json and report.csv: inventory.Load, then cli's
// analyzeAndWrite pipeline (access.Stream into Files). peak-RSS-MB is the
// process's peak resident memory from loading the snapshot to the last
// file written (VmHWM reset once the saved document is freed); the README
// quotes it.
//
//	go test -run '^$' -bench AnalyzeSnapshot100k -benchtime 1x ./report/
func BenchmarkAnalyzeSnapshot100k(b *testing.B) {
	dir := b.TempDir()
	snapshot := filepath.Join(dir, "snapshot.json")
	if err := inventory.Save(snapshot, fakeaws.Synthetic(100, 1000)); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	var rep *model.Report
	for b.Loop() {
		doc, err := inventory.Load(snapshot)
		if err != nil {
			b.Fatal(err)
		}
		rep = streamReports(b, dir, doc, access.Options{})
	}
	b.StopTimer()
	b.ReportMetric(float64(procStatusKB("VmHWM"))/1024, "peak-RSS-MB")
	b.ReportMetric(float64(rep.Summary.Buckets), "buckets/op")
	reportSizes(b, dir)
}
