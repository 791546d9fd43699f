package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bucketaudit/bucketaudit/report"
)

// printTool returns the path of a program the print test runs. In CI
// (CI set) a missing tool fails the test: .ci/run installs it.
func printTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI to render report.xlsx (.ci/run installs %s): %v", name, pkg, err)
		}
		t.Skipf("skipping: %s is not installed (apt-get install %s): %v", name, pkg, err)
	}
	return p
}

// printedPage is one page of a PDF: its text and its size in points.
type printedPage struct {
	text          string
	width, height float64
	sheet         string // from the page header ("bucketaudit: Matrix")
}

// renderPDF prints a workbook to PDF with LibreOffice (every sheet with its
// own page setup, as File › Print does) and returns its pages.
func renderPDF(t *testing.T, xlsx string) []printedPage {
	t.Helper()
	soffice := printTool(t, "soffice", "libreoffice-calc-nogui")
	pdftotext := printTool(t, "pdftotext", "poppler-utils")
	pdfinfo := printTool(t, "pdfinfo", "poppler-utils")
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// A profile of its own: no clash with a LibreOffice the user runs.
	profile := "file://" + filepath.Join(out, "profile")
	cmd := exec.CommandContext(ctx, soffice, "-env:UserInstallation="+profile, "--headless", "--norestore",
		"--convert-to", "pdf", "--outdir", out, xlsx)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice --convert-to pdf: %v\n%s", err, b)
	}
	pdf := filepath.Join(out, strings.TrimSuffix(filepath.Base(xlsx), ".xlsx")+".pdf")
	text, err := exec.CommandContext(ctx, pdftotext, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// pdftotext ends every page with a form feed.
	texts := strings.Split(strings.TrimSuffix(string(text), "\f"), "\f")
	info, err := exec.CommandContext(ctx, pdfinfo, "-f", "1", "-l", strconv.Itoa(len(texts)), pdf).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	sizes := regexp.MustCompile(`(?m)^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts`).FindAllStringSubmatch(string(info), -1)
	if len(sizes) != len(texts) {
		t.Fatalf("pdfinfo gives %d page sizes for %d pages:\n%s", len(sizes), len(texts), info)
	}
	header := regexp.MustCompile(`bucketaudit: ([A-Za-z ]+?)\s{2,}`)
	pages := make([]printedPage, len(texts))
	for i, tx := range texts {
		w, _ := strconv.ParseFloat(sizes[i][2], 64)
		h, _ := strconv.ParseFloat(sizes[i][3], 64)
		pages[i] = printedPage{text: tx, width: w, height: h}
		if m := header.FindStringSubmatch(tx); m != nil {
			pages[i].sheet = m[1]
		}
	}
	return pages
}

// TestDemoWorkbookPrints renders the demo's report.xlsx with LibreOffice
// and checks how it prints: every sheet landscape on the locale's paper,
// with the sheet, the report's date and the page number in its header and
// footer, in the workbook's order; the Matrix at most 4 pages wide (one
// page down: every page repeats the bucket column and shows every bucket),
// every other table one page wide (every page shows the header row whole).
// Before the page setup it printed 72 portrait pages, the Matrix 31 wide.
func TestDemoWorkbookPrints(t *testing.T) {
	printTool(t, "soffice", "libreoffice-calc-nogui")
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_PAPER", "de_DE.UTF-8") // A4
	dir, _ := runDemoCLI(t)
	rep, err := report.LoadReport(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	pages := renderPDF(t, filepath.Join(dir, "report.xlsx"))

	date := "report of " + rep.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")
	bySheet := map[string][]printedPage{}
	var order []string
	for i, p := range pages {
		// A4 landscape: 842 × 595 points.
		if p.width < 841 || p.width > 843 || p.height < 594 || p.height > 596 {
			t.Errorf("page %d is %.0f × %.0f pt, want A4 landscape (842 × 595)", i+1, p.width, p.height)
		}
		if p.sheet == "" {
			t.Errorf("page %d has no header naming its sheet:\n%s", i+1, p.text)
			continue
		}
		if !strings.Contains(p.text, date) {
			t.Errorf("page %d (%s) does not show %q", i+1, p.sheet, date)
		}
		if want := fmt.Sprintf("Page %d of %d", i+1, len(pages)); !strings.Contains(p.text, want) {
			t.Errorf("page %d (%s) lacks the footer %q", i+1, p.sheet, want)
		}
		if len(order) == 0 || order[len(order)-1] != p.sheet {
			order = append(order, p.sheet)
		}
		bySheet[p.sheet] = append(bySheet[p.sheet], p)
	}
	if got, want := strings.Join(order, ", "), strings.Join(report.Sheets(), ", "); got != want {
		t.Errorf("sheets print in the order %s, want %s", got, want)
	}
	if n := len(bySheet[report.SheetHeatmap]); n != 1 {
		t.Errorf("Heatmap prints on %d pages, want 1", n)
	}

	matrix := bySheet[report.SheetMatrix]
	for i, p := range matrix {
		for _, b := range rep.Buckets {
			if !strings.Contains(p.text, b.Name) {
				t.Errorf("Matrix page %d lacks bucket %s: the bucket column is not repeated, or the rows run onto a second page down", i+1, b.Name)
			}
		}
		if !strings.Contains(p.text, "Bucket") {
			t.Errorf("Matrix page %d lacks the header row", i+1)
		}
	}
	if len(matrix) == 0 || len(matrix) > 4 {
		t.Errorf("Matrix prints %d pages wide, want 1 to 4", len(matrix))
	}
	t.Logf("%d pages: %d of them the Matrix", len(pages), len(matrix))

	// One page wide: the header's first and last titles on every page.
	for sheet, titles := range map[string][2]string{
		report.SheetFindings: {"Severity", "CIS"},
		report.SheetAccounts: {"Account ID", "Error detail"},
		report.SheetExternal: {"External account", "Reason"},
		report.SheetErrors:   {"Account ID", "Message"},
	} {
		if len(bySheet[sheet]) == 0 {
			t.Errorf("%s prints no page", sheet)
		}
		for i, p := range bySheet[sheet] {
			for _, title := range titles {
				if !strings.Contains(p.text, title) {
					t.Errorf("%s page %d lacks the header %q: not one page wide, or the header row is not repeated", sheet, i+1, title)
				}
			}
		}
	}
}

// TestDemoCSVImports opens the demo's report.csv in LibreOffice Calc (as
// UTF-8, the encoding its byte order mark names) and reads the cells: the
// account IDs (one of them with a leading zero) stay text, digits intact,
// and no cell is a formula.
func TestDemoCSVImports(t *testing.T) {
	soffice := printTool(t, "soffice", "libreoffice-calc-nogui")
	dir, _ := runDemoCLI(t)
	rep, err := report.LoadReport(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep.Buckets[0].AccountID = "012345678901"
	rep.Buckets[1].AccountName = "=1+1"
	out := t.TempDir()
	if _, err := report.WriteAll(out, []string{report.FormatCSV}, rep); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// Filter options: comma, double quote, UTF-8 (76), from line 1.
	cmd := exec.CommandContext(ctx, soffice, "-env:UserInstallation=file://"+filepath.Join(out, "profile"), "--headless", "--norestore",
		"--infilter=Text - txt - csv (StarCalc):44,34,76,1", "--convert-to", "xlsx", "--outdir", filepath.Join(out, "xlsx"), filepath.Join(out, "report.csv"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice --convert-to xlsx: %v\n%s", err, b)
	}
	f, err := excelize.OpenFile(filepath.Join(out, "xlsx", "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	if head, _ := f.GetCellValue(sheet, "A1"); head != "Account ID" {
		t.Errorf("A1 = %q, want Account ID (the byte order mark read as UTF-8)", head)
	}
	for i, b := range rep.Buckets {
		for col, want := range map[string]string{"A": b.AccountID, "B": b.AccountName} {
			ref := fmt.Sprintf("%s%d", col, i+2)
			typ, err := f.GetCellType(sheet, ref)
			if err != nil {
				t.Fatal(err)
			}
			v, _ := f.GetCellValue(sheet, ref)
			if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
				t.Errorf("%s is a formula %q", ref, formula)
			}
			if typ == excelize.CellTypeNumber || strings.TrimPrefix(v, "'") != want {
				t.Errorf("%s = %q (type %v), want the text %q", ref, v, typ, want)
			}
		}
	}
}

// TestDemoPaperFollowsLocale: the demo's report.xlsx prints on Letter
// when the locale's paper is a Letter country's (LC_PAPER=en_US), on A4
// for another (LANG=en_GB), every sheet alike.
func TestDemoPaperFollowsLocale(t *testing.T) {
	for _, tt := range []struct {
		env   map[string]string
		paper report.Paper
	}{
		{map[string]string{"LC_ALL": "", "LC_PAPER": "en_US.UTF-8", "LANG": "en_GB.UTF-8"}, report.PaperLetter},
		{map[string]string{"LC_ALL": "", "LC_PAPER": "", "LANG": "en_GB.UTF-8"}, report.PaperA4},
	} {
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		dir, _ := runDemoCLI(t)
		f, err := excelize.OpenFile(filepath.Join(dir, "report.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		for _, sheet := range report.Sheets() {
			pl, err := f.GetPageLayout(sheet)
			if err != nil {
				t.Fatal(err)
			}
			if *pl.Size != int(tt.paper) {
				t.Errorf("%v: %s prints on paper size %d, want %d (%v)", tt.env, sheet, *pl.Size, int(tt.paper), tt.paper)
			}
		}
		f.Close()
	}
}
