package report

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/internal/procstat"
	"github.com/bucketaudit/bucketaudit/model"
)

// procStatusKB reads a field of /proc/self/status ("VmHWM", "VmRSS") in kB.
func procStatusKB(field string) int { return procstat.StatusKB(field) }

// resetPeakRSS resets the process's VmHWM to its current RSS (Linux).
func resetPeakRSS() { procstat.ResetPeak() }

// BenchmarkWriteAll writes report.xlsx, report.json and report.csv of a
// synthetic report held in memory (WriteAll: the streaming writers fed
// from the report). Metrics: peak-RSS-MB is the process's peak resident
// memory while writing (the report itself included, VmHWM reset before
// the first write); report-RSS-MB is the resident memory with the report
// built, before writing. Run the 100,000-bucket case alone:
//
//	go test -run '^$' -bench 'WriteAll/buckets=100000' -benchtime 1x ./report/
func BenchmarkWriteAll(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("buckets=%d", n), func(b *testing.B) {
			r := syntheticReport(n)
			dir := b.TempDir()
			runtime.GC()
			base := procStatusKB("VmRSS")
			resetPeakRSS()
			for b.Loop() {
				if _, err := WriteAll(dir, Formats(), r); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(procStatusKB("VmHWM"))/1024, "peak-RSS-MB")
			b.ReportMetric(float64(base)/1024, "report-RSS-MB")
			reportSizes(b, dir)
			runtime.KeepAlive(r)
		})
	}
}

// BenchmarkStreamSynthetic100k is the pipeline of scan, analyze and demo
// (cli's analyzeAndWrite) on a synthetic organisation of 100 member
// accounts with 1,000 buckets each (101,000 buckets with the management
// account's): access.Stream hands each bucket to Files, which writes
// report.xlsx, report.json and report.csv. Issue 5's budget is 500 MB of
// peak RSS. Metrics: peak-RSS-MB is the process's peak resident memory
// during analysis and writing (VmHWM reset after the document is built;
// the document included); doc-RSS-MB the resident memory with the document
// alone; buckets/op the buckets written.
//
//	go test -run '^$' -bench StreamSynthetic100k -benchtime 1x ./report/
func BenchmarkStreamSynthetic100k(b *testing.B) {
	doc := fakeaws.Synthetic(100, 1000)
	dir := b.TempDir()
	runtime.GC()
	base := procStatusKB("VmRSS")
	resetPeakRSS()
	var rep *model.Report
	for b.Loop() {
		rep = streamReports(b, dir, doc, access.Options{})
	}
	b.StopTimer()
	b.ReportMetric(float64(procStatusKB("VmHWM"))/1024, "peak-RSS-MB")
	b.ReportMetric(float64(base)/1024, "doc-RSS-MB")
	b.ReportMetric(float64(rep.Summary.Buckets), "buckets/op")
	reportSizes(b, dir)
}

// reportSizes reports the size of each report file in dir.
func reportSizes(b *testing.B, dir string) {
	for _, format := range Formats() {
		if fi, err := os.Stat(filepath.Join(dir, FileName(format))); err == nil {
			b.ReportMetric(float64(fi.Size())/(1<<20), format+"-MB")
		}
	}
}

// BenchmarkCompare diffs two synthetic reports of 10,000 buckets that
// differ in one bucket in ten (a verdict and a finding each).
func BenchmarkCompare(b *testing.B) {
	old := syntheticReport(10000)
	nw := syntheticReport(10000)
	for i := 0; i < len(nw.Buckets); i += 10 {
		nw.Buckets[i].Access.Public.Read.Verdict = "allow"
		nw.Buckets[i].Findings[0].Detail += " (changed)"
	}
	var d *Diff
	for b.Loop() {
		d = Compare(old, nw)
	}
	if len(d.ChangedCells) != 1000 || len(d.NewFindings) != 1000 || len(d.ResolvedFindings) != 1000 {
		b.Fatalf("changed %d, new %d, resolved %d; want 1000 each", len(d.ChangedCells), len(d.NewFindings), len(d.ResolvedFindings))
	}
}
