package report

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bucketaudit/bucketaudit/model"
	"github.com/xuri/excelize/v2"
)

// Paper is the paper size report.xlsx prints on, as the paperSize code of
// the worksheets' page setup (ECMA-376 Part 1, 18.3.1.63 pageSetup).
type Paper int

// Paper sizes.
const (
	PaperLetter Paper = 1 // US Letter, 8.5 × 11 in
	PaperA4     Paper = 9 // A4, 210 × 297 mm
)

// String names the paper.
func (p Paper) String() string {
	switch p {
	case PaperLetter:
		return "Letter"
	case PaperA4:
		return "A4"
	}
	return fmt.Sprintf("paper size %d", int(p))
}

// Layout is how report.xlsx is laid out on paper. The zero Layout prints
// on A4.
type Layout struct {
	Paper Paper
}

// paper returns the layout's paper, A4 when none is set.
func (l Layout) paper() Paper {
	if l.Paper == 0 {
		return PaperA4
	}
	return l.Paper
}

// letterTerritories returns the territories whose locales print on US
// Letter: those whose glibc locale (localedata/locales, LC_PAPER) is 279 mm
// high. Every other territory prints on A4.
func letterTerritories() []string {
	return []string{"BO", "CA", "CL", "CO", "CR", "GT", "MX", "NI", "PA", "PH", "PR", "SV", "US", "VE"}
}

// PaperForLocale returns the paper of the user's locale, read with getenv
// in POSIX order (LC_ALL, then LC_PAPER, then LANG; the first one set
// decides): Letter for a locale of a Letter territory (en_US.UTF-8,
// en_CA, es_MX …), A4 for every other one and when none is set (C, POSIX).
func PaperForLocale(getenv func(string) string) Paper {
	var locale string
	for _, name := range []string{"LC_ALL", "LC_PAPER", "LANG"} {
		if locale = getenv(name); locale != "" {
			break
		}
	}
	// language[_territory][.codeset][@modifier]
	if i := strings.IndexAny(locale, ".@"); i >= 0 {
		locale = locale[:i]
	}
	_, territory, ok := strings.Cut(locale, "_")
	if !ok {
		return PaperA4
	}
	for _, t := range letterTerritories() {
		if strings.EqualFold(territory, t) {
			return PaperLetter
		}
	}
	return PaperA4
}

// printSetup is how one sheet prints: landscape, fitted to pagesWide pages
// across (as many pages down as the rows need), the header rows repeated
// at the top of every page and, on a sheet more than one page wide, the
// identifying columns at the left of every page.
type printSetup struct {
	sheet     string
	pagesWide int
	// titleRows is the number of header rows repeated on every page.
	titleRows int
	// titleCols is the number of leading columns repeated on every page.
	titleCols int
}

// matrixPagesWide is how many pages across the Matrix prints on. Its 25
// verdict columns and identifying columns do not fit one page at a
// readable size; the why columns, folded by default, print only when the
// reader unfolds them (and then on more pages across, at the same size).
const matrixPagesWide = 4

// printSetups returns the page setup of every sheet.
func printSetups() []printSetup {
	return []printSetup{
		{sheet: SheetSummary, pagesWide: 1},
		{sheet: SheetHeatmap, pagesWide: 1, titleRows: heatmapHeaderRows},
		{sheet: SheetMatrix, pagesWide: matrixPagesWide, titleRows: 1, titleCols: frozenColumns},
		{sheet: SheetFindings, pagesWide: 1, titleRows: 1},
		{sheet: SheetAccounts, pagesWide: 1, titleRows: 1},
		{sheet: SheetExternal, pagesWide: 1, titleRows: 1},
		{sheet: SheetPrincipals, pagesWide: 1, titleRows: 1},
		{sheet: SheetErrors, pagesWide: 1, titleRows: 1},
		{sheet: SheetMethod, pagesWide: 1},
	}
}

// fitToPage turns on every sheet's Fit to Page print option, which
// fitToWidth and fitToHeight need. It must run before a sheet's stream
// writer is created: the stream writer writes the sheet properties
// (sheetPr) first, and the page setup only when it is flushed.
func (b *workbook) fitToPage() error {
	for _, p := range printSetups() {
		props := &excelize.SheetPropsOptions{FitToPage: new(true)}
		if p.sheet == SheetMatrix {
			// Each why column belongs to the verdict column left of it:
			// the outline button sits on the verdict column.
			props.OutlineSummaryRight = new(false)
		}
		if err := b.f.SetSheetProps(p.sheet, props); err != nil {
			return fmt.Errorf("sheet %q: %w", p.sheet, err)
		}
	}
	return nil
}

// pageSetup sets every sheet's paper, orientation, scaling, margins,
// print titles and header and footer (the report's date, the sheet, the
// page number). It runs before the streamed sheets are flushed.
func (b *workbook) pageSetup(r *model.Report) error {
	header, footer := headerFooter(r)
	for _, p := range printSetups() {
		size, zero := int(b.layout.paper()), 0
		if err := b.f.SetPageLayout(p.sheet, &excelize.PageLayoutOptions{
			Size: &size, Orientation: new("landscape"), FitToWidth: &p.pagesWide, FitToHeight: &zero,
			PageOrder: new("overThenDown"),
		}); err != nil {
			return fmt.Errorf("sheet %q: %w", p.sheet, err)
		}
		// Margins in inches: Excel's "Narrow", with room for the header and footer.
		if err := b.f.SetPageMargins(p.sheet, &excelize.PageLayoutMarginsOptions{
			Left: new(0.25), Right: new(0.25), Top: new(0.75), Bottom: new(0.75), Header: new(0.3), Footer: new(0.3),
		}); err != nil {
			return fmt.Errorf("sheet %q: %w", p.sheet, err)
		}
		if err := b.f.SetHeaderFooter(p.sheet, &excelize.HeaderFooterOptions{OddHeader: header, OddFooter: footer}); err != nil {
			return fmt.Errorf("sheet %q: %w", p.sheet, err)
		}
		if titles := printTitles(p); titles != "" {
			if err := b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: titles, Scope: p.sheet}); err != nil {
				return fmt.Errorf("sheet %q: print titles: %w", p.sheet, err)
			}
		}
	}
	return nil
}

// printTitles is the _xlnm.Print_Titles reference of a sheet: its title
// columns, then its title rows ("'Matrix'!$A:$C,'Matrix'!$1:$1").
func printTitles(p printSetup) string {
	sheet := "'" + strings.ReplaceAll(p.sheet, "'", "''") + "'!"
	var refs []string
	if p.titleCols > 0 {
		last, _ := excelize.ColumnNumberToName(p.titleCols)
		refs = append(refs, fmt.Sprintf("%s$A:$%s", sheet, last))
	}
	if p.titleRows > 0 {
		refs = append(refs, fmt.Sprintf("%s$1:$%d", sheet, p.titleRows))
	}
	return strings.Join(refs, ",")
}

// headerFooter returns the pages' header (the sheet's name; the report's
// date) and footer (organisation; page n of m; tool version), in the
// header and footer codes of ECMA-376 Part 1, 18.3.1.46: &L, &C and &R
// begin the sections, &A is the sheet's name, &P the page number, &N the
// number of pages, and && a literal ampersand.
func headerFooter(r *model.Report) (header, footer string) {
	esc := func(s string) string { return strings.ReplaceAll(s, "&", "&&") }
	date := "report date unknown"
	if !r.GeneratedAt.IsZero() {
		date = "report of " + r.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	org := "organisation not read"
	if r.Organization != nil && r.Organization.ID != "" {
		org = "organisation " + r.Organization.ID
	}
	header = "&Lbucketaudit: &A&R" + esc(date)
	footer = "&L" + esc(org) + "&CPage &P of &N&Rbucketaudit " + esc(r.ToolVersion)
	return header, footer
}

// setColWidths sets the widths of the first columns of a streamed sheet.
// excelize's stream writer lists the columns in the order they were last
// touched, the latest first, and a worksheet's col elements must ascend:
// setting the widths last, from the right, puts them in order.
func setColWidths(sw *excelize.StreamWriter, widths []float64) error {
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return err
		}
	}
	return nil
}

// Row heights of wrapped text, in points.
const (
	lineHeight   = 15.0
	maxRowHeight = 409.0 // Excel's limit
)

// charsPerWidth is how many characters of text a unit of column width
// holds, a little fewer than the default font fits (a unit is the width
// of its digit 0), so that a wrapped line is not cut.
const charsPerWidth = 1.2

// wrappedHeight is the height of a table row whose wrap columns hold long
// text: enough lines for the longest, at charsPerWidth. Neither Excel nor LibreOffice sizes a streamed row to its
// wrapped text when printing, so the row carries its height.
func wrappedHeight(t table, values []any) float64 {
	lines := 1
	for _, col := range t.wrap {
		if col > len(values) || col > len(t.widths) {
			continue
		}
		text, ok := values[col-1].(string)
		if c, isCell := values[col-1].(excelize.Cell); isCell {
			text, ok = c.Value.(string)
		}
		if !ok {
			continue
		}
		lines = max(lines, textLines(text, int(t.widths[col-1]*charsPerWidth)))
	}
	return min(maxRowHeight, float64(lines)*lineHeight)
}

// textLines counts the lines text takes wrapped at width characters
// (whole words moved to the next line, a longer word broken).
func textLines(text string, width int) int {
	width = max(width, 1)
	n := 0
	for para := range strings.SplitSeq(text, "\n") {
		n++
		col := 0
		for _, w := range strings.Fields(para) {
			l := utf8.RuneCountInString(w)
			switch {
			case col == 0:
				col = l
			case col+1+l <= width:
				col += 1 + l
			default:
				n++
				col = l
			}
			for col > width {
				n++
				col -= width
			}
		}
	}
	return n
}
