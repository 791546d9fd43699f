package report

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/bucketaudit/bucketaudit/model"
	"github.com/xuri/excelize/v2"
)

// Sheet names of report.xlsx, in workbook order.
const (
	SheetSummary  = "Summary"
	SheetMatrix   = "Matrix"
	SheetFindings = "Findings"
	SheetAccounts = "Accounts"
	SheetExternal = "External access"
	SheetErrors   = "Errors"
	SheetMethod   = "Method"
)

// SheetPrincipals lists, per bucket and action, the principals that can
// (xlsx_principals.go).
const SheetPrincipals = "Principals"

// Sheets returns report.xlsx's sheet names in workbook order.
func Sheets() []string {
	return []string{SheetSummary, SheetHeatmap, SheetMatrix, SheetFindings, SheetAccounts, SheetExternal, SheetPrincipals, SheetErrors, SheetMethod}
}

// workbook writes report.xlsx for auditors, every sheet with excelize's
// StreamWriter, so memory stays flat however many buckets the report has.
// Matrix and External access are written as the buckets come: several
// stream writers may be open at once (each keeps its own worksheet and
// buffer, which excelize moves to a temporary file beyond 16 MB). Findings,
// sorted by severity, and the bucket rows of Errors, which follow the
// account rows, are spooled and streamed into their sheets at the end.
type workbook struct {
	out    io.Writer
	f      *excelize.File
	st     styles
	layout Layout
	// r is the report, from End on.
	r *model.Report
	// accountNames maps account ID → name, for sheets that list IDs (End).
	accountNames map[string]string

	matrix, external *tableStream
	heatmap          *heatmap
	principals       *principalSheet
	matrixCells      []excelize.Cell // one row's cells, reused
	matrixValues     []any           // pointers to matrixCells
	// findings spools the bucket findings by Severity.Rank; errors the
	// buckets' failed reads.
	findings []*spool
	errors   *spool
	counts   counts
}

func newXLSXWriter(w io.Writer, spoolDir string, layout Layout) (*workbook, error) {
	b := &workbook{out: w, f: excelize.NewFile(excelize.Options{TmpDir: spoolDir}), counts: newCounts(), layout: layout,
		errors: newSpool(spoolDir, "report.xlsx errors")}
	for _, sev := range append(model.Severities(), "other") {
		b.findings = append(b.findings, newSpool(spoolDir, "report.xlsx findings "+string(sev)))
	}
	if err := b.begin(); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// begin creates the sheets and styles and opens the Matrix and External
// access sheets.
func (b *workbook) begin() error {
	sheets := Sheets()
	if err := b.f.SetSheetName("Sheet1", sheets[0]); err != nil {
		return err
	}
	for _, s := range sheets[1:] {
		if _, err := b.f.NewSheet(s); err != nil {
			return fmt.Errorf("create sheet %q: %w", s, err)
		}
	}
	var err error
	if b.st, err = newStyles(b.f); err != nil {
		return fmt.Errorf("create styles: %w", err)
	}
	if err := b.fitToPage(); err != nil {
		return err
	}
	if b.heatmap, err = b.openHeatmap(); err != nil {
		return fmt.Errorf("sheet %q: %w", SheetHeatmap, err)
	}
	if b.matrix, err = b.openTable(matrixTable()); err != nil {
		return fmt.Errorf("sheet %q: %w", SheetMatrix, err)
	}
	if b.external, err = b.openTable(externalTable()); err != nil {
		return fmt.Errorf("sheet %q: %w", SheetExternal, err)
	}
	if b.principals, err = b.openPrincipals(); err != nil {
		return fmt.Errorf("sheet %q: %w", SheetPrincipals, err)
	}
	n := len(matrixHeader())
	b.matrixCells, b.matrixValues = make([]excelize.Cell, n), make([]any, n)
	for j := range b.matrixCells {
		b.matrixValues[j] = &b.matrixCells[j]
	}
	return nil
}

// Bucket writes the bucket's Matrix and External access rows and spools
// its findings and errors.
func (b *workbook) Bucket(bk *model.Bucket) error {
	b.counts.bucket(bk)
	if err := b.heatmap.row(bk); err != nil {
		return fmt.Errorf("sheet %q: %w", SheetHeatmap, err)
	}
	if err := b.matrixRow(bk); err != nil {
		return fmt.Errorf("sheet %q: %w", SheetMatrix, err)
	}
	if err := b.externalRows(bk); err != nil {
		return fmt.Errorf("sheet %q: %w", SheetExternal, err)
	}
	if err := b.principals.rows(bk); err != nil {
		return fmt.Errorf("sheet %q: %w", SheetPrincipals, err)
	}
	for i := range bk.Findings {
		f := &bk.Findings[i]
		if err := b.findings[f.Severity.Rank()].record(string(f.Severity), f.ID, f.AccountID, f.Bucket, f.Title, f.Detail, f.Remediation, f.CIS, mutedCell(f)); err != nil {
			return err
		}
	}
	for _, e := range bk.Errors {
		if err := b.errors.record(e.AccountID, e.Bucket, e.Field, e.Operation, e.Code, e.Message); err != nil {
			return err
		}
	}
	return nil
}

// End writes the other sheets and the workbook.
func (b *workbook) End(r *model.Report) error {
	b.r = r
	b.counts.report(r)
	b.accountNames = make(map[string]string, len(r.Accounts))
	for _, a := range r.Accounts {
		b.accountNames[a.ID] = a.Name
	}
	if err := b.pageSetup(r); err != nil {
		return err
	}
	steps := []struct {
		sheet string
		write func() error
	}{
		{SheetSummary, b.writeSummary},
		{SheetHeatmap, b.heatmap.close},
		{SheetMatrix, b.matrix.close},
		{SheetFindings, b.writeFindings},
		{SheetAccounts, b.writeAccounts},
		{SheetExternal, b.external.close},
		{SheetPrincipals, b.principals.close},
		{SheetErrors, b.writeErrors},
		{SheetMethod, b.writeMethod},
	}
	for _, s := range steps {
		if err := s.write(); err != nil {
			return fmt.Errorf("sheet %q: %w", s.sheet, err)
		}
	}
	// Summary, the first sheet, is the active one already. (SetActiveSheet
	// would parse every streamed sheet back into memory.)
	//
	// The package goes straight to b.out: excelize's Write would build the
	// whole zip in a memory buffer first (WriteToBuffer), which then stays
	// empty. (That buffer is also where excelize marks a part over 4 GB as
	// zip64 in its local header: a sheet that large, over a million
	// buckets, is beyond Excel's 1,048,576 rows anyway.)
	zw := zip.NewWriter(b.out)
	registerFastDeflate(zw)
	b.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zw })
	if _, err := b.f.WriteToBuffer(); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// Close removes the spools and excelize's temporary files.
func (b *workbook) Close() error {
	errs := []error{b.f.Close(), b.errors.remove()}
	for _, s := range b.findings {
		errs = append(errs, s.remove())
	}
	return errors.Join(errs...)
}

// styles are the workbook's cell style IDs.
type styles struct {
	title, header, label, bold int
	// wrap wraps long text in its column, so that it does not run past
	// the table (and widen the printed page).
	wrap int
	// top aligns the other cells of a row with wrapped text at the top.
	top int
	// headerWrap is header on two lines.
	headerWrap int
	verdict    map[model.Verdict]int
	severity   map[model.Severity]int
	exposure   map[string]int
}

// Fill colours. Each verdict, severity and exposure class has its own.
func verdictColor(v model.Verdict) string {
	switch v {
	case model.VerdictAllow:
		return "F8CBAD" // salmon: access granted
	case model.VerdictDeny:
		return "C6EFCE" // green: no access
	case model.VerdictConditional:
		return "FFEB9C" // amber: depends on the request context
	case model.VerdictUnknown:
		return "BFBFBF" // grey: a deciding layer was not readable
	}
	return ""
}

func severityColor(s model.Severity) (fill, font string) {
	switch s {
	case model.SeverityCritical:
		return "C00000", "FFFFFF"
	case model.SeverityHigh:
		return "F4B084", "000000"
	case model.SeverityMedium:
		return "FFD966", "000000"
	case model.SeverityLow:
		return "DDEBF7", "000000"
	case model.SeverityInfo:
		return "EDEDED", "000000"
	}
	return "", ""
}

func exposureColor(e string) (fill, font string) {
	switch e {
	case model.ExposurePublic:
		return "C00000", "FFFFFF"
	case model.ExposureExternal:
		return "F4B084", "000000"
	case model.ExposureOrg:
		return "FFEB9C", "000000"
	case model.ExposurePrivate:
		return "C6EFCE", "000000"
	case model.ExposureUnknown:
		return "BFBFBF", "000000"
	}
	return "", ""
}

// verdicts returns the four verdicts.
func verdicts() []model.Verdict {
	return []model.Verdict{model.VerdictAllow, model.VerdictDeny, model.VerdictConditional, model.VerdictUnknown}
}

func newStyles(f *excelize.File) (styles, error) {
	st := styles{verdict: map[model.Verdict]int{}, severity: map[model.Severity]int{}, exposure: map[string]int{}}
	filled := func(fill, font string, bold bool) (int, error) {
		return f.NewStyle(&excelize.Style{
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}},
			Font: &excelize.Font{Color: font, Bold: bold},
		})
	}
	var err error
	if st.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}}); err != nil {
		return st, err
	}
	if st.header, err = f.NewStyle(&excelize.Style{
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F4E78"}},
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Alignment: &excelize.Alignment{Vertical: "center"},
	}); err != nil {
		return st, err
	}
	if st.headerWrap, err = f.NewStyle(&excelize.Style{
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F4E78"}},
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	}); err != nil {
		return st, err
	}
	if st.label, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "1F4E78"}}); err != nil {
		return st, err
	}
	if st.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return st, err
	}
	if st.wrap, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}); err != nil {
		return st, err
	}
	if st.top, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top"}}); err != nil {
		return st, err
	}
	for _, v := range verdicts() {
		if st.verdict[v], err = filled(verdictColor(v), "000000", false); err != nil {
			return st, err
		}
	}
	for _, s := range model.Severities() {
		fill, font := severityColor(s)
		if st.severity[s], err = filled(fill, font, true); err != nil {
			return st, err
		}
	}
	for _, e := range model.Exposures() {
		fill, font := exposureColor(e)
		if st.exposure[e], err = filled(fill, font, true); err != nil {
			return st, err
		}
	}
	return st, nil
}

// styled returns a value with a style (0 = default).
func styled(v any, style int) excelize.Cell { return excelize.Cell{Value: v, StyleID: style} }

// table describes a streamed sheet: a header row, column widths, and how
// many leading columns stay frozen with the header.
type table struct {
	sheet      string
	header     []string
	widths     []float64
	freezeCols int
	// outline lists columns (1-based) grouped one outline level down, so
	// that an auditor can fold them away; folded says they start folded
	// (hidden until unfolded).
	outline []int
	folded  bool
	// wrap lists columns (1-based) of long text, wrapped in their width.
	wrap []int
	// wrapHeader wraps the titles on two lines (narrow columns).
	wrapHeader bool
}

// tableStream is a table being streamed into its sheet.
type tableStream struct {
	f    *excelize.File
	t    table
	sw   *excelize.StreamWriter
	rows int // written, header included
}

// openTable begins a table: widths, outline, frozen panes and the header.
func (b *workbook) openTable(t table) (*tableStream, error) {
	sw, err := b.f.NewStreamWriter(t.sheet)
	if err != nil {
		return nil, err
	}
	for col := 1; col <= len(t.header) && len(t.wrap) > 0; col++ {
		style := b.st.top
		if slices.Contains(t.wrap, col) {
			style = b.st.wrap
		}
		if err := sw.SetColStyle(col, col, style); err != nil {
			return nil, err
		}
	}
	for _, col := range t.outline {
		if err := sw.SetColOutlineLevel(col, 1); err != nil {
			return nil, err
		}
		if t.folded {
			if err := sw.SetColVisible(col, col, false); err != nil {
				return nil, err
			}
		}
	}
	if err := setColWidths(sw, t.widths); err != nil {
		return nil, err
	}
	topLeft, _ := excelize.CoordinatesToCellName(t.freezeCols+1, 2)
	pane := "bottomLeft"
	if t.freezeCols > 0 {
		pane = "bottomRight"
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, XSplit: t.freezeCols, YSplit: 1, TopLeftCell: topLeft, ActivePane: pane,
		Selection: []excelize.Selection{{SQRef: topLeft, ActiveCell: topLeft, Pane: pane}},
	}); err != nil {
		return nil, err
	}
	head := make([]any, len(t.header))
	headStyle, height := b.st.header, 20.0
	if t.wrapHeader {
		headStyle, height = b.st.headerWrap, 2*lineHeight
	}
	for i, h := range t.header {
		head[i] = styled(h, headStyle)
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{Height: height}); err != nil {
		return nil, err
	}
	return &tableStream{f: b.f, t: t, sw: sw, rows: 1}, nil
}

// row writes the next row.
func (ts *tableStream) row(values []any) error {
	ts.rows++
	cell, err := excelize.CoordinatesToCellName(1, ts.rows)
	if err != nil {
		return err
	}
	if len(ts.t.wrap) > 0 {
		return ts.sw.SetRow(cell, values, excelize.RowOpts{Height: wrappedHeight(ts.t, values)})
	}
	return ts.sw.SetRow(cell, values)
}

// close sets the autofilter over the whole table and ends the sheet.
func (ts *tableStream) close() error {
	// The stream writer emits the worksheet's autoFilter element when it
	// flushes; AutoFilter also records the _FilterDatabase defined name
	// Excel expects.
	last, _ := excelize.CoordinatesToCellName(len(ts.t.header), ts.rows)
	if err := ts.f.AutoFilter(ts.t.sheet, "A1:"+last, nil); err != nil {
		return err
	}
	return ts.sw.Flush()
}

// stream writes a whole table: the rows emit receives.
func (b *workbook) stream(t table, rows func(emit func(values []any) error) error) error {
	ts, err := b.openTable(t)
	if err != nil {
		return err
	}
	if err := rows(ts.row); err != nil {
		return err
	}
	return ts.close()
}

// counts are the Summary sheet's figures (and the terminal summary's),
// counted from the buckets and accounts written, so that they agree with
// the other sheets.
type counts struct {
	buckets    int
	byExposure map[string]int
	bySeverity map[model.Severity]int
	// byAccount: account ID → severity → count.
	byAccount map[string]map[model.Severity]int
	findings  int
	errors    int
}

func newCounts() counts {
	return counts{byExposure: map[string]int{}, bySeverity: map[model.Severity]int{}, byAccount: map[string]map[model.Severity]int{}}
}

func (c *counts) finding(f *model.Finding) {
	c.findings++
	c.bySeverity[f.Severity]++
	if c.byAccount[f.AccountID] == nil {
		c.byAccount[f.AccountID] = map[model.Severity]int{}
	}
	c.byAccount[f.AccountID][f.Severity]++
}

// bucket counts one bucket, its findings and failed reads.
func (c *counts) bucket(b *model.Bucket) {
	c.buckets++
	c.byExposure[b.Exposure]++
	for i := range b.Findings {
		c.finding(&b.Findings[i])
	}
	c.errors += len(b.Errors)
}

// report counts the account findings and the failed reads outside buckets.
func (c *counts) report(r *model.Report) {
	for i := range r.Accounts {
		for j := range r.Accounts[i].Findings {
			c.finding(&r.Accounts[i].Findings[j])
		}
	}
	_ = forEachReportError(r, func(model.Error) error { c.errors++; return nil })
}

// sheetWriter writes a small sheet cell by cell (not streamed), row by row.
type sheetWriter struct {
	f     *excelize.File
	sheet string
	row   int
	err   error
}

// line writes values from column A on the next row; a value of type
// excelize.Cell carries its style.
func (s *sheetWriter) line(values ...any) {
	s.row++
	if s.err != nil {
		return
	}
	for i, v := range values {
		cell, _ := excelize.CoordinatesToCellName(i+1, s.row)
		style := 0
		if c, ok := v.(excelize.Cell); ok {
			v, style = c.Value, c.StyleID
		}
		if s.err = s.f.SetCellValue(s.sheet, cell, v); s.err != nil {
			return
		}
		if style != 0 {
			if s.err = s.f.SetCellStyle(s.sheet, cell, cell, style); s.err != nil {
				return
			}
		}
	}
}

func (s *sheetWriter) blank() { s.row++ }

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
