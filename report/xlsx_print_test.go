package report

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/model"
	"github.com/xuri/excelize/v2"
)

func TestPaperForLocale(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want Paper
	}{
		{nil, PaperA4},
		{map[string]string{"LANG": "C.UTF-8"}, PaperA4},
		{map[string]string{"LANG": "POSIX"}, PaperA4},
		{map[string]string{"LANG": "en_US.UTF-8"}, PaperLetter},
		{map[string]string{"LANG": "en_CA"}, PaperLetter},
		{map[string]string{"LANG": "es_MX.UTF-8"}, PaperLetter},
		{map[string]string{"LANG": "fr_CA.UTF-8@euro"}, PaperLetter},
		{map[string]string{"LANG": "en_GB.UTF-8"}, PaperA4},
		{map[string]string{"LANG": "de_DE.UTF-8"}, PaperA4},
		{map[string]string{"LANG": "es_ES.UTF-8"}, PaperA4},
		// LC_PAPER decides over LANG, LC_ALL over both (POSIX order).
		{map[string]string{"LANG": "en_US.UTF-8", "LC_PAPER": "de_DE.UTF-8"}, PaperA4},
		{map[string]string{"LANG": "de_DE.UTF-8", "LC_PAPER": "en_US.UTF-8"}, PaperLetter},
		{map[string]string{"LC_PAPER": "en_US.UTF-8", "LC_ALL": "en_GB.UTF-8"}, PaperA4},
		{map[string]string{"LC_PAPER": "de_DE", "LC_ALL": "en_PH.UTF-8"}, PaperLetter},
		// An empty variable is not set.
		{map[string]string{"LC_ALL": "", "LC_PAPER": "", "LANG": "en_US"}, PaperLetter},
	}
	for _, tt := range tests {
		got := PaperForLocale(func(k string) string { return tt.env[k] })
		if got != tt.want {
			t.Errorf("PaperForLocale(%v) = %v, want %v", tt.env, got, tt.want)
		}
	}
}

// writeXLSXLayout writes r as report.xlsx with a layout.
func writeXLSXLayout(t *testing.T, r *model.Report, layout Layout) (*excelize.File, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewLayoutWriter(FormatXLSX, &buf, t.TempDir(), layout)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range r.Buckets {
		if err := w.Bucket(&r.Buckets[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, buf.Bytes()
}

// TestXLSXPageSetup checks every sheet's print settings as Excel reads
// them (ECMA-376 Part 1: pageSetup 18.3.1.63, pageSetUpPr 18.3.1.65,
// headerFooter 18.3.1.46, the _xlnm.Print_Titles defined name 18.2.5).
func TestXLSXPageSetup(t *testing.T) {
	r := sampleReport()
	r.GeneratedAt = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, paper := range []Paper{PaperA4, PaperLetter} {
		t.Run(paper.String(), func(t *testing.T) {
			f, data := writeXLSXLayout(t, r, Layout{Paper: paper})
			titles := map[string]string{}
			for _, dn := range f.GetDefinedName() {
				if dn.Name == "_xlnm.Print_Titles" {
					titles[dn.Scope] = dn.RefersTo
				}
			}
			for _, sheet := range Sheets() {
				pl, err := f.GetPageLayout(sheet)
				if err != nil {
					t.Fatal(err)
				}
				wide := 1
				if sheet == SheetMatrix {
					wide = 4
				}
				if *pl.Orientation != "landscape" || *pl.Size != int(paper) || pl.FitToWidth == nil || *pl.FitToWidth != wide ||
					pl.FitToHeight == nil || *pl.FitToHeight != 0 {
					t.Errorf("%s: page layout orientation %v size %v fit %v×%v, want landscape, %d, %d wide × automatic",
						sheet, *pl.Orientation, *pl.Size, deref(pl.FitToWidth), deref(pl.FitToHeight), int(paper), wide)
				}
				props, err := f.GetSheetProps(sheet)
				if err != nil {
					t.Fatal(err)
				}
				if props.FitToPage == nil || !*props.FitToPage {
					t.Errorf("%s: Fit to Page is off: fitToWidth is ignored", sheet)
				}
				hf, err := f.GetHeaderFooter(sheet)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(hf.OddHeader, "&A") || !strings.Contains(hf.OddHeader, "report of 2026-03-04 05:06 UTC") ||
					!strings.Contains(hf.OddFooter, "Page &P of &N") {
					t.Errorf("%s: header %q footer %q, want the sheet, the report's date and the page number", sheet, hf.OddHeader, hf.OddFooter)
				}
				// Every worksheet lists its columns in ascending order.
				xml := zipEntry(t, data, sheetPart(t, f, sheet))
				last := 0
				for _, m := range regexp.MustCompile(`<col min="(\d+)"`).FindAllStringSubmatch(xml, -1) {
					n, _ := strconv.Atoi(m[1])
					if n <= last {
						t.Errorf("%s: col %d after col %d: the cols element must ascend", sheet, n, last)
					}
					last = n
				}
			}
			want := map[string]string{
				SheetHeatmap:  "'Heatmap'!$1:$2",
				SheetMatrix:   "'Matrix'!$A:$C,'Matrix'!$1:$1",
				SheetFindings: "'Findings'!$1:$1",
				SheetExternal: "'External access'!$1:$1",
			}
			for sheet, ref := range want {
				if titles[sheet] != ref {
					t.Errorf("%s: print titles %q, want %q (have %v)", sheet, titles[sheet], ref, titles)
				}
			}
		})
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestXLSXMatrixWhyFolded checks that the Matrix's why columns start
// folded (hidden, one outline level down, the button on the verdict column
// left of them) and its verdict columns visible.
func TestXLSXMatrixWhyFolded(t *testing.T) {
	f, _ := writeXLSX(t, sampleReport())
	for col := identColumns + 1; col <= len(matrixHeader()); col++ {
		name, _ := excelize.ColumnNumberToName(col)
		visible, err := f.GetColVisible(SheetMatrix, name)
		if err != nil {
			t.Fatal(err)
		}
		level, err := f.GetColOutlineLevel(SheetMatrix, name)
		if err != nil {
			t.Fatal(err)
		}
		why := strings.HasSuffix(matrixHeader()[col-1], " why")
		if visible == why || (level == 1) != why {
			t.Errorf("Matrix column %s (%s): visible %v, outline level %d", name, matrixHeader()[col-1], visible, level)
		}
	}
	props, err := f.GetSheetProps(SheetMatrix)
	if err != nil {
		t.Fatal(err)
	}
	if props.OutlineSummaryRight == nil || *props.OutlineSummaryRight {
		t.Errorf("Matrix outline summary right = %v, want false (the verdict left of its why)", deref2(props.OutlineSummaryRight))
	}
}

func deref2(p *bool) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestXLSXWrappedRowHeights checks that a row of long text is as high as
// its wrapped lines need, and that the long columns wrap.
func TestXLSXWrappedRowHeights(t *testing.T) {
	r := sampleReport()
	long := strings.Repeat("word ", 60) // 300 characters
	r.Buckets[0].Findings = append(r.Buckets[0].Findings, model.Finding{Severity: model.SeverityCritical, ID: "long-detail",
		AccountID: r.Buckets[0].AccountID, Bucket: r.Buckets[0].Name, Title: "t", Detail: long})
	f, _ := writeXLSX(t, r)
	rs := rows(t, f, SheetFindings)
	row := 0
	for i, cols := range rs {
		if len(cols) > 1 && cols[1] == "long-detail" {
			row = i + 1
		}
	}
	if row == 0 {
		t.Fatal("finding long-detail not in the Findings sheet")
	}
	h, err := f.GetRowHeight(SheetFindings, row)
	if err != nil {
		t.Fatal(err)
	}
	// Detail is 56 wide: 300 characters take 5 lines at 67 a line.
	if want := 5 * lineHeight; h != want {
		t.Errorf("row height %v, want %v", h, want)
	}
	id, err := f.GetCellStyle(SheetFindings, "G"+strconv.Itoa(row))
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Alignment == nil || !st.Alignment.WrapText {
		t.Errorf("Detail cell style %+v does not wrap", st.Alignment)
	}
}

func TestTextLines(t *testing.T) {
	tests := []struct {
		text  string
		width int
		want  int
	}{
		{"", 10, 1},
		{"short", 10, 1},
		{"exactly 10", 10, 1},
		{"one two three", 10, 2},         // "one two" / "three"
		{"a\nb\nc", 10, 3},               // explicit lines
		{strings.Repeat("x", 25), 10, 3}, // a long word is broken
		{"ab " + strings.Repeat("x", 20), 10, 3},
	}
	for _, tt := range tests {
		if got := textLines(tt.text, tt.width); got != tt.want {
			t.Errorf("textLines(%q, %d) = %d, want %d", tt.text, tt.width, got, tt.want)
		}
	}
}

// TestXLSXHeatmap checks the Heatmap: second sheet, one row per bucket in
// report order, a letter per class × action that agrees with the Matrix's
// verdict, on the Matrix's colour for that verdict, the header frozen.
func TestXLSXHeatmap(t *testing.T) {
	r := sampleReport()
	f, _ := writeXLSX(t, r)
	if got := f.GetSheetList(); len(got) < 2 || got[1] != SheetHeatmap {
		t.Fatalf("sheets %v, want Heatmap second", got)
	}
	heat, matrix := rows(t, f, SheetHeatmap), rows(t, f, SheetMatrix)
	if heat[0][0] != "Account" || heat[0][1] != "Bucket" || heat[0][3] != "public" || heat[0][8] != "any_aws" || heat[1][3] != "read" || heat[1][27] != "manage" {
		t.Errorf("header rows %q / %q", heat[0], heat[1])
	}
	letters := map[string]string{"allow": "A", "conditional": "C", "unknown": "?", "deny": ".", "": "-"}
	seen := map[string]bool{}
	for i, b := range r.Buckets {
		row, mrow := heat[heatmapHeaderRows+i], matrix[1+i]
		if row[0] != b.AccountName || row[1] != b.Name || row[2] != b.Exposure {
			t.Errorf("Heatmap row %d = %q, want %s %s %s", heatmapHeaderRows+i+1, row[:3], b.AccountName, b.Name, b.Exposure)
		}
		for k := range 25 {
			col := len(heatmapIdent()) + k
			verdict := ""
			if mc := identColumns + 2*k; mc < len(mrow) {
				verdict = mrow[mc]
			}
			got := ""
			if col < len(row) {
				got = row[col]
			}
			if got != letters[verdict] {
				t.Errorf("%s %s = %q, want %q (Matrix says %q)", b.Name, matrix[0][identColumns+2*k], got, letters[verdict], verdict)
			}
			ref, _ := excelize.CoordinatesToCellName(col+1, heatmapHeaderRows+i+1)
			mref, _ := excelize.CoordinatesToCellName(identColumns+2*k+1, 2+i)
			if hf, mf := fillOf(t, f, SheetHeatmap, ref), fillOf(t, f, SheetMatrix, mref); hf != mf {
				t.Errorf("%s %s: fill %q, the Matrix's %q", b.Name, matrix[0][identColumns+2*k], hf, mf)
			}
			seen[got] = true
		}
	}
	if len(seen) != 5 {
		t.Errorf("letters seen %v, want A C ? . and -", seen)
	}
	panes, err := f.GetPanes(SheetHeatmap)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.XSplit != 3 || panes.YSplit != 2 || panes.TopLeftCell != "D3" {
		t.Errorf("Heatmap panes %+v, want the two header rows and the three identifying columns frozen", panes)
	}
	// The legend follows the rows.
	if legend := heat[heatmapHeaderRows+len(r.Buckets)+1]; len(legend) < 3 || legend[2] != "Legend" {
		t.Errorf("row after the buckets = %q, want the legend", legend)
	}
}
