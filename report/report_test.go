package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/internal/golden"
	"github.com/bucketaudit/bucketaudit/model"
)

// writeFormat writes r in one format through its streaming writer, one
// bucket after the other, with its spools in a temporary directory.
func writeFormat(t testing.TB, format string, r *model.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(format, &buf, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range r.Buckets {
		if err := w.Bucket(&r.Buckets[i]); err != nil {
			t.Fatalf("write %s: %v", format, err)
		}
	}
	if err := w.End(r); err != nil {
		t.Fatalf("write %s: %v", format, err)
	}
	return buf.Bytes()
}

func TestJSONEqualsMarshalIndent(t *testing.T) {
	empty := &model.Report{SchemaVersion: 1}
	emptyLists := &model.Report{SchemaVersion: 1, Accounts: []model.Account{}, Buckets: []model.Bucket{}, Assumptions: []string{}}
	tests := map[string]*model.Report{
		"sample":      sampleReport(),
		"nil lists":   empty,
		"empty lists": emptyLists,
		"synthetic":   syntheticReport(30),
	}
	for name, r := range tests {
		t.Run(name, func(t *testing.T) {
			buf := bytes.NewBuffer(writeFormat(t, FormatJSON, r))
			want, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("streamed JSON differs from json.MarshalIndent (-want +got):\n%s", diff)
			}
			var back model.Report
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatalf("report.json does not decode: %v", err)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	back, err := ReadReport(bytes.NewReader(writeFormat(t, FormatJSON, r)), "report.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestCSVMatrix(t *testing.T) {
	r := sampleReport()
	// OU and account names are chosen by whoever runs the organisation.
	r.Buckets[0].OUPath = "=HYPERLINK(\"http://evil\")"
	r.Buckets[0].AccountName = "@SUM(1+1)"
	data := writeFormat(t, FormatCSV, r)
	if !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		t.Errorf("report.csv does not begin with the UTF-8 byte order mark: %q", data[:min(len(data), 8)])
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(utf8BOM)))).ReadAll()
	if err != nil {
		t.Fatalf("report.csv does not parse: %v", err)
	}
	if diff := cmp.Diff(matrixHeader(), recs[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(recs)-1 != len(r.Buckets) {
		t.Fatalf("%d rows, want one per bucket (%d)", len(recs)-1, len(r.Buckets))
	}
	for i, b := range r.Buckets {
		if recs[i+1][2] != b.Name {
			t.Errorf("row %d bucket = %q, want %q", i+1, recs[i+1][2], b.Name)
		}
		if len(recs[i+1]) != len(recs[0]) {
			t.Errorf("row %d has %d fields, header %d", i+1, len(recs[i+1]), len(recs[0]))
		}
	}
	if got := recs[1][3]; got != "'=HYPERLINK(\"http://evil\")" {
		t.Errorf("formula-like OU path written as %q", got)
	}
	if got := recs[1][1]; got != "'@SUM(1+1)" {
		t.Errorf("formula-like account name written as %q", got)
	}
	if got := recs[2][identColumns]; got != "allow" {
		t.Errorf("public-site public read = %q, want allow", got)
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	r := sampleReport()
	paths, err := WriteAll(dir, []string{"xlsx", "json", "csv", "json"}, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "report.xlsx"), filepath.Join(dir, "report.json"), filepath.Join(dir, "report.csv")}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
		}
		if fi.Size() == 0 {
			t.Errorf("%s is empty", p)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only the three reports (no temporary files)", names)
	}
}

func TestWriteAllBadFormat(t *testing.T) {
	dir := t.TempDir()
	_, err := WriteAll(dir, []string{"json", "pdf"}, sampleReport())
	if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), `"pdf"`) {
		t.Fatalf("err = %v, want unknown format naming pdf", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a report was written before the bad format was rejected")
	}
	if err := CheckFormats(nil); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("CheckFormats(nil) = %v", err)
	}
	if err := CheckFormats(Formats()); err != nil {
		t.Errorf("CheckFormats(Formats()) = %v", err)
	}
}

// A write that fails leaves no partial report behind.
func TestWriteAllMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	if _, err := WriteAll(dir, []string{"json"}, sampleReport()); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}

func TestWriteSummary(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, sampleReport(), 3); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "summary.txt", buf.Bytes())
	if strings.Contains(buf.String(), " \n") {
		t.Error("trailing spaces")
	}
}

// When one format cannot be put in place the error names its file, and
// no report of the run is put in place (all or none) and no temporary
// file is left behind.
func TestWriteAllOneFormatFails(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "report.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	paths, err := WriteAll(dir, []string{"xlsx", "json", "csv"}, sampleReport())
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "report.json")) {
		t.Fatalf("err = %v, want the json report's failure", err)
	}
	if paths != nil {
		t.Errorf("paths = %v after a failure, want none", paths)
	}
	if diff := cmp.Diff([]string{"report.json"}, dirNames(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
}

// dirFiles reads every file in dir, hidden ones too: name → bytes.
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range dirNames(t, dir) {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
		out[name] = string(b)
	}
	return out
}

// writeFiles writes r through Files with rename putting the files in
// place (nil: os.Rename).
func writeFiles(t *testing.T, dir string, formats []string, r *model.Report, rename func(string, string) error) error {
	t.Helper()
	fs, err := Create(dir, formats)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	fs.rename = rename
	for i := range r.Buckets {
		if err := fs.Bucket(&r.Buckets[i]); err != nil {
			return err
		}
	}
	_, err = fs.End(r)
	return err
}

// A rename that fails after others succeeded puts the previous run's
// reports back: the directory holds exactly the previous run's files
// (no mix of two runs, no backup or temporary file); a run that succeeds
// replaces them all.
func TestFilesEndAllOrNothing(t *testing.T) {
	formats := []string{"json", "csv", "ocsf"}
	prev := sampleReport()
	next := sampleReport()
	next.GeneratedAt = prev.GeneratedAt.Add(time.Hour)
	next.Buckets = next.Buckets[:1]
	for _, failing := range []string{"report.json", "report.csv", "report.ocsf.jsonl"} {
		t.Run(failing, func(t *testing.T) {
			dir := t.TempDir()
			if err := writeFiles(t, dir, formats, prev, nil); err != nil {
				t.Fatal(err)
			}
			before := dirFiles(t, dir)
			if len(before) != 3 {
				t.Fatalf("previous run wrote %v", dirNames(t, dir))
			}
			var placed int
			injected := errors.New("injected rename failure")
			rename := func(oldpath, newpath string) error {
				// Fail putting the new file in place (not a backup's rename).
				if filepath.Base(newpath) == failing && strings.Contains(oldpath, ".tmp-") {
					return injected
				}
				if strings.Contains(oldpath, ".tmp-") {
					placed++
				}
				return os.Rename(oldpath, newpath)
			}
			err := writeFiles(t, dir, formats, next, rename)
			if !errors.Is(err, injected) {
				t.Fatalf("err = %v, want the injected failure", err)
			}
			if want := slices.Index([]string{"report.json", "report.csv", "report.ocsf.jsonl"}, failing); placed != want {
				t.Errorf("%d files were put in place before the failure, want %d", placed, want)
			}
			if diff := cmp.Diff(before, dirFiles(t, dir)); diff != "" {
				t.Errorf("after the failure the directory is not the previous run's (-want +got):\n%s", diff)
			}

			// Without a previous run, a failure leaves nothing.
			empty := t.TempDir()
			if err := writeFiles(t, empty, formats, next, rename); !errors.Is(err, injected) {
				t.Fatalf("err = %v, want the injected failure", err)
			}
			if names := dirNames(t, empty); len(names) != 0 {
				t.Errorf("a failed first run left %v", names)
			}

			if err := writeFiles(t, dir, formats, next, nil); err != nil {
				t.Fatal(err)
			}
			fresh := t.TempDir()
			if err := writeFiles(t, fresh, formats, next, nil); err != nil {
				t.Fatal(err)
			}
			want := dirFiles(t, fresh)
			if want["report.json"] == before["report.json"] {
				t.Fatal("the two runs' reports are the same: the test proves nothing")
			}
			if diff := cmp.Diff(want, dirFiles(t, dir)); diff != "" {
				t.Errorf("after success the directory is not this run's (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCSVSpreadsheetSafe writes values a spreadsheet would change or run
// (leading zeros, long digit strings, numbers and dates, formulas, a
// leading quote) and reads report.csv back: every such field starts with
// a single quote, and dropping one leading quote gives every value back.
func TestCSVSpreadsheetSafe(t *testing.T) {
	r := sampleReport()
	tricky := []struct{ account, name, bucket, ou string }{
		{"012345678901", "0042", "0123", "Root/1.50"},
		{"123456789012", "1e5", "3-12", "12:30"},
		{"000000000001", "'quoted", "1.50", "-Root"},
		{"999999999999", "+cmd|' /C calc'!A0", "2024-logs", "=1+1"},
	}
	for i, tr := range tricky {
		b := &r.Buckets[i]
		b.AccountID, b.AccountName, b.Name, b.OUPath = tr.account, tr.name, tr.bucket, tr.ou
	}
	data := writeFormat(t, FormatCSV, r)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(utf8BOM)))).ReadAll()
	if err != nil {
		t.Fatalf("report.csv does not parse: %v", err)
	}
	quoted := map[string]bool{
		"012345678901": true, "0042": true, "0123": true, "Root/1.50": false,
		"123456789012": true, "1e5": true, "3-12": true, "12:30": true,
		"000000000001": true, "'quoted": true, "1.50": true, "-Root": true,
		"999999999999": true, "+cmd|' /C calc'!A0": true, "2024-logs": false, "=1+1": true,
	}
	for i, tr := range tricky {
		row := recs[i+1]
		for j, want := range []string{tr.account, tr.name, tr.bucket, tr.ou} {
			field := row[[]int{0, 1, 2, 3}[j]]
			if got := csvValue(field); got != want {
				t.Errorf("row %d column %d reads back as %q, want %q (field %q)", i+1, j+1, got, want, field)
			}
			if q := strings.HasPrefix(field, "'"); q != quoted[want] {
				t.Errorf("%q written as %q: quoted %v, want %v", want, field, q, quoted[want])
			}
		}
		// Every other field reads back as the Matrix has it.
		for k, v := range matrixRow(&r.Buckets[i]) {
			if got := csvValue(row[k]); got != v.text {
				t.Errorf("row %d field %d = %q, want %q", i+1, k+1, got, v.text)
			}
		}
	}
}
