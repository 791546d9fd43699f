package report

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/demo"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// dirNames lists a directory's entries.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// zipParts returns every part of an xlsx package by name (the content
// types sorted).
func zipParts(t *testing.T, path string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	parts := map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		parts[zf.Name] = string(data)
	}
	// excelize lists the content types in map order.
	if ct, ok := parts["[Content_Types].xml"]; ok {
		elems := strings.Split(ct, "><")
		slices.Sort(elems)
		parts["[Content_Types].xml"] = strings.Join(elems, "><")
	}
	return parts
}

// streamReports analyses doc with access.Stream into Files (the pipeline
// of cli's analyzeAndWrite) and returns the report without its buckets.
func streamReports(tb testing.TB, dir string, doc *inventory.Document, opts access.Options) *model.Report {
	tb.Helper()
	files, err := Create(dir, Formats())
	if err != nil {
		tb.Fatal(err)
	}
	defer files.Close()
	rep, err := access.Stream(context.Background(), doc, opts, files.Bucket)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := files.End(rep); err != nil {
		tb.Fatal(err)
	}
	if err := files.Close(); err != nil {
		tb.Fatal(err)
	}
	return rep
}

// Streaming the analysis into the writers (access.Stream → Files) gives
// the files that writing the analysis held in memory gives (access.Analyze
// → WriteAll): report.json and report.csv byte for byte, report.json equal
// to json.MarshalIndent of the report, and a workbook with the same parts
// (every sheet, style, pane, autofilter and the chart). No spool or
// temporary file is left.
func TestStreamingEqualsInMemory(t *testing.T) {
	fixture, err := inventory.Parse(demo.Fixture(), "demo/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]func() *inventory.Document{
		"demo":      func() *inventory.Document { return fakeaws.Expected(fixture) },
		"synthetic": func() *inventory.Document { return fakeaws.Synthetic(4, 30) },
		"empty":     func() *inventory.Document { return &inventory.Document{SchemaVersion: inventory.SchemaVersion} },
	}
	opts := access.Options{Now: func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) },
		ToolVersion: "test", Sources: []string{"test"}, TrustedAccounts: demo.TrustedAccounts()}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			memDir, streamDir := t.TempDir(), t.TempDir()
			rep, err := access.Analyze(context.Background(), doc(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := WriteAll(memDir, Formats(), rep); err != nil {
				t.Fatal(err)
			}

			streamReports(t, streamDir, doc(), opts)
			if diff := cmp.Diff([]string{"report.csv", "report.json", "report.ocsf.jsonl", "report.xlsx"}, dirNames(t, streamDir)); diff != "" {
				t.Errorf("output directory (-want +got):\n%s", diff)
			}

			read := func(dir, file string) []byte {
				data, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				return data
			}
			want, err := json.MarshalIndent(rep, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want)+"\n", string(read(streamDir, "report.json"))); diff != "" {
				t.Errorf("streamed report.json differs from json.MarshalIndent of the analysis (-want +got):\n%s", diff)
			}
			if !bytes.Equal(read(memDir, "report.json"), read(streamDir, "report.json")) {
				t.Error("report.json: streamed and in-memory writing differ")
			}
			if !bytes.Equal(read(memDir, "report.csv"), read(streamDir, "report.csv")) {
				t.Error("report.csv: streamed and in-memory writing differ")
			}
			if !bytes.Equal(read(memDir, "report.ocsf.jsonl"), read(streamDir, "report.ocsf.jsonl")) {
				t.Error("report.ocsf.jsonl: streamed and in-memory writing differ")
			}
			memParts, streamParts := zipParts(t, filepath.Join(memDir, "report.xlsx")), zipParts(t, filepath.Join(streamDir, "report.xlsx"))
			if _, ok := streamParts["xl/worksheets/sheet2.xml"]; !ok {
				t.Fatalf("workbook parts %v: no Matrix sheet", slices.Sorted(maps.Keys(streamParts)))
			}
			if diff := cmp.Diff(memParts, streamParts); diff != "" {
				t.Errorf("report.xlsx parts differ (-in memory +streamed):\n%s", diff)
			}
		})
	}
}

// Whatever stops a stream — an error, a cancelled analysis — Close leaves
// the output directory as it was: no report, no temporary report file, no
// spool, no temporary file of excelize's. The stream used them all.
func TestFilesCloseRemovesSpools(t *testing.T) {
	dir := t.TempDir()
	files, err := Create(dir, Formats())
	if err != nil {
		t.Fatal(err)
	}
	// Enough Matrix rows for excelize to move its buffer (16 MB) to a
	// temporary file; findings and failed reads for the workbook's spools.
	r := syntheticReport(4000)
	for i := range r.Buckets {
		if err := files.Bucket(&r.Buckets[i]); err != nil {
			t.Fatal(err)
		}
	}
	var spools, excelize, temps int
	for _, n := range dirNames(t, dir) {
		switch {
		case strings.HasPrefix(n, ".bucketaudit-spool-"):
			spools++
		case strings.HasPrefix(n, "excelize-"):
			excelize++
		case strings.Contains(n, ".tmp-"):
			temps++
		}
	}
	// report.json's buckets, the findings of three severities, the failed
	// reads, the OCSF events.
	if spools != 6 || excelize == 0 || temps != 4 {
		t.Fatalf("while streaming the directory holds %v: want 6 spools, excelize's temporary files and 4 temporary reports", dirNames(t, dir))
	}
	if err := files.Close(); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("after Close the directory holds %v, want nothing", got)
	}

	// A cancelled analysis: Stream stops, the files are closed unfinished.
	ctx, cancel := context.WithCancel(context.Background())
	files, err = Create(dir, Formats())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	_, err = access.Stream(ctx, fakeaws.Synthetic(3, 40), access.Options{}, func(b *model.Bucket) error {
		if n++; n == 50 {
			cancel()
		}
		return files.Bucket(b)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if err := files.Close(); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("after a cancelled stream the directory holds %v, want nothing", got)
	}
}
