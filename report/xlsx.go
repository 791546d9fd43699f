package report

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bucketaudit/bucketaudit/access"
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

// maxChartAccounts caps the accounts drawn in the Summary chart (the table
// beside it lists them all).
const maxChartAccounts = 20

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
	r *access.Report
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
	for _, sev := range append(access.Severities(), "other") {
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
func (b *workbook) Bucket(bk *access.Bucket) error {
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
func (b *workbook) End(r *access.Report) error {
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
	verdict    map[access.Verdict]int
	severity   map[access.Severity]int
	exposure   map[string]int
}

// Fill colours. Each verdict, severity and exposure class has its own.
func verdictColor(v access.Verdict) string {
	switch v {
	case access.VerdictAllow:
		return "F8CBAD" // salmon: access granted
	case access.VerdictDeny:
		return "C6EFCE" // green: no access
	case access.VerdictConditional:
		return "FFEB9C" // amber: depends on the request context
	case access.VerdictUnknown:
		return "BFBFBF" // grey: a deciding layer was not readable
	}
	return ""
}

func severityColor(s access.Severity) (fill, font string) {
	switch s {
	case access.SeverityCritical:
		return "C00000", "FFFFFF"
	case access.SeverityHigh:
		return "F4B084", "000000"
	case access.SeverityMedium:
		return "FFD966", "000000"
	case access.SeverityLow:
		return "DDEBF7", "000000"
	case access.SeverityInfo:
		return "EDEDED", "000000"
	}
	return "", ""
}

func exposureColor(e string) (fill, font string) {
	switch e {
	case access.ExposurePublic:
		return "C00000", "FFFFFF"
	case access.ExposureExternal:
		return "F4B084", "000000"
	case access.ExposureOrg:
		return "FFEB9C", "000000"
	case access.ExposurePrivate:
		return "C6EFCE", "000000"
	case access.ExposureUnknown:
		return "BFBFBF", "000000"
	}
	return "", ""
}

// verdicts returns the four verdicts.
func verdicts() []access.Verdict {
	return []access.Verdict{access.VerdictAllow, access.VerdictDeny, access.VerdictConditional, access.VerdictUnknown}
}

func newStyles(f *excelize.File) (styles, error) {
	st := styles{verdict: map[access.Verdict]int{}, severity: map[access.Severity]int{}, exposure: map[string]int{}}
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
	for _, s := range access.Severities() {
		fill, font := severityColor(s)
		if st.severity[s], err = filled(fill, font, true); err != nil {
			return st, err
		}
	}
	for _, e := range access.Exposures() {
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

func matrixTable() table {
	header := matrixHeader()
	// The why columns start folded, so that the verdicts print on
	// matrixPagesWide pages across at a readable size (xlsx_print.go).
	t := table{sheet: SheetMatrix, header: header, freezeCols: frozenColumns, folded: true, wrapHeader: true,
		widths: []float64{14, 18, 30, 24, 12, 10, 22, 22, 22}}
	for col := identColumns + 1; col <= len(header); col += 2 {
		t.widths = append(t.widths, 11, 40)
		t.outline = append(t.outline, col+1)
	}
	return t
}

// matrixRow writes the bucket's Matrix row.
func (b *workbook) matrixRow(bk *access.Bucket) error {
	for j, v := range matrixRow(bk) {
		style := 0
		switch {
		case v.isCell:
			style = b.st.verdict[v.verdict]
			if v.count != "" {
				v.text += " · " + v.count
			}
		case j == 5: // Exposure
			style = b.st.exposure[v.text]
		}
		b.matrixCells[j] = styled(v.text, style)
	}
	// SetRow takes *Cell without copying each cell into an interface.
	return b.matrix.row(b.matrixValues)
}

// mutedCell is the Findings sheet's Muted column: "muted: REASON" for a
// finding a mutelist accepts, empty otherwise.
func mutedCell(f *access.Finding) string {
	if !f.Muted {
		return ""
	}
	return mutedPrefix + f.MuteReason
}

const mutedPrefix = "muted: "

func (b *workbook) writeFindings() error {
	t := table{sheet: SheetFindings, freezeCols: 2,
		header: []string{"Severity", "ID", "Account ID", "Account", "Bucket", "Title", "Detail", "Remediation", "CIS", "Muted"},
		widths: []float64{10, 28, 14, 18, 30, 36, 56, 56, 18, 30}, wrap: []int{6, 7, 8, 9, 10}}
	row := func(emit func([]any) error, f *access.Finding) error {
		return emit([]any{
			styled(string(f.Severity), b.st.severity[f.Severity]), f.ID, f.AccountID, b.accountNames[f.AccountID],
			f.Bucket, f.Title, f.Detail, f.Remediation, f.CIS, mutedCell(f),
		})
	}
	// Most severe first; within a severity, the account findings, then the
	// buckets' in report order.
	return b.stream(t, func(emit func([]any) error) error {
		for rank, sp := range b.findings {
			for i := range b.r.Accounts {
				for j := range b.r.Accounts[i].Findings {
					if f := &b.r.Accounts[i].Findings[j]; f.Severity.Rank() == rank {
						if err := row(emit, f); err != nil {
							return err
						}
					}
				}
			}
			err := sp.records(9, func(v []string) error {
				return row(emit, &access.Finding{Severity: access.Severity(v[0]), ID: v[1], AccountID: v[2], Bucket: v[3], Title: v[4], Detail: v[5], Remediation: v[6], CIS: v[7], Muted: v[8] != "", MuteReason: strings.TrimPrefix(v[8], mutedPrefix)})
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (b *workbook) writeAccounts() error {
	t := table{sheet: SheetAccounts, freezeCols: 2,
		header: []string{"Account ID", "Account", "OU path", "Management", "Scan status", "Buckets",
			"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets",
			"Findings", "Errors", "Error detail"},
		widths: []float64{14, 20, 30, 12, 12, 9, 16, 16, 18, 20, 9, 8, 70}, wrap: []int{13}}
	return b.stream(t, func(emit func([]any) error) error {
		for i := range b.r.Accounts {
			a := &b.r.Accounts[i]
			flags := accountBPA(a)
			var detail []string
			for _, e := range a.Errors {
				detail = append(detail, errorText(e))
			}
			mgmt := ""
			if a.Management {
				mgmt = "yes"
			}
			if err := emit([]any{a.ID, a.Name, a.OUPath, mgmt, a.Status, a.BucketCount,
				flags[0], flags[1], flags[2], flags[3], len(a.Findings), len(a.Errors), strings.Join(detail, "; ")}); err != nil {
				return err
			}
		}
		return nil
	})
}

// accountBPA returns an account's four BPA flags as "true"/"false", "not
// configured" when the account has none, or "unknown" when it could not be
// read.
func accountBPA(a *access.Account) [4]string {
	if p := a.PublicAccessBlock; p != nil {
		return [4]string{fmt.Sprint(p.BlockPublicACLs), fmt.Sprint(p.IgnorePublicACLs), fmt.Sprint(p.BlockPublicPolicy), fmt.Sprint(p.RestrictPublicBuckets)}
	}
	unread := a.Status == access.StatusFailed
	for _, e := range a.Errors {
		if e.Bucket == "" && (e.Field == "public_access_block" || strings.Contains(e.Operation, "PublicAccessBlock")) {
			unread = true
		}
	}
	v := "not configured"
	if unread {
		v = "unknown"
	}
	return [4]string{v, v, v, v}
}

// errorText is one failed read in a sentence fragment.
func errorText(e access.Error) string {
	s := e.Operation
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	s += ": " + e.Code
	if e.Message != "" {
		s += " " + e.Message
	}
	return s
}

func externalTable() table {
	return table{sheet: SheetExternal, freezeCols: 1,
		header: []string{"External account", "Label", "Trusted", "Bucket account ID", "Bucket account", "Bucket",
			"Action", "Verdict", "Decided by", "Conditions", "Narrowed to", "Reason"},
		widths: []float64{16, 18, 9, 16, 18, 30, 10, 12, 22, 40, 40, 70}, wrap: []int{10, 11, 12}}
}

// externalRows writes the bucket's External access rows: one per external
// account and action allowed or conditional.
func (b *workbook) externalRows(bk *access.Bucket) error {
	for _, id := range slices.Sorted(maps.Keys(bk.Access.External)) {
		ea := bk.Access.External[id]
		trusted := "no"
		if ea.Trusted {
			trusted = "yes"
		}
		for _, action := range matrixActions() {
			c := cellOf(&ea.Actions, action)
			if c.Verdict != access.VerdictAllow && c.Verdict != access.VerdictConditional {
				continue
			}
			if err := b.external.row([]any{id, ea.Label, trusted, bk.AccountID, bk.AccountName, bk.Name, action,
				styled(string(c.Verdict), b.st.verdict[c.Verdict]), strings.Join(c.DecidedBy, ", "),
				strings.Join(c.Conditions, "; "), strings.Join(c.NarrowedTo, " OR "), c.Reason}); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeErrors lists the report's failed reads: scan-wide, organisation and
// account ones, then the buckets' (spooled).
func (b *workbook) writeErrors() error {
	t := table{sheet: SheetErrors, freezeCols: 0,
		header: []string{"Account ID", "Account", "Bucket", "Field", "Operation", "Code", "Message"},
		widths: []float64{14, 18, 30, 20, 32, 24, 80}, wrap: []int{7}}
	return b.stream(t, func(emit func([]any) error) error {
		row := func(e access.Error) error {
			return emit([]any{e.AccountID, b.accountNames[e.AccountID], e.Bucket, e.Field, e.Operation, e.Code, e.Message})
		}
		if err := forEachReportError(b.r, row); err != nil {
			return err
		}
		return b.errors.records(6, func(v []string) error {
			return row(access.Error{AccountID: v[0], Bucket: v[1], Field: v[2], Operation: v[3], Code: v[4], Message: v[5]})
		})
	})
}

// forEachReportError calls fn with every failed read of the report but the
// buckets': scan-wide, organisation and account errors, in that order.
func forEachReportError(r *access.Report, fn func(access.Error) error) error {
	var lists [][]access.Error
	if r.Scan != nil {
		lists = append(lists, r.Scan.Errors)
	}
	if r.Organization != nil {
		lists = append(lists, r.Organization.Errors)
	}
	for i := range r.Accounts {
		lists = append(lists, r.Accounts[i].Errors)
	}
	for _, l := range lists {
		for _, e := range l {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// counts are the Summary sheet's figures (and the terminal summary's),
// counted from the buckets and accounts written, so that they agree with
// the other sheets.
type counts struct {
	buckets    int
	byExposure map[string]int
	bySeverity map[access.Severity]int
	// byAccount: account ID → severity → count.
	byAccount map[string]map[access.Severity]int
	findings  int
	errors    int
}

func newCounts() counts {
	return counts{byExposure: map[string]int{}, bySeverity: map[access.Severity]int{}, byAccount: map[string]map[access.Severity]int{}}
}

func (c *counts) finding(f *access.Finding) {
	c.findings++
	c.bySeverity[f.Severity]++
	if c.byAccount[f.AccountID] == nil {
		c.byAccount[f.AccountID] = map[access.Severity]int{}
	}
	c.byAccount[f.AccountID][f.Severity]++
}

// bucket counts one bucket, its findings and failed reads.
func (c *counts) bucket(b *access.Bucket) {
	c.buckets++
	c.byExposure[b.Exposure]++
	for i := range b.Findings {
		c.finding(&b.Findings[i])
	}
	c.errors += len(b.Errors)
}

// report counts the account findings and the failed reads outside buckets.
func (c *counts) report(r *access.Report) {
	for i := range r.Accounts {
		for j := range r.Accounts[i].Findings {
			c.finding(&r.Accounts[i].Findings[j])
		}
	}
	_ = forEachReportError(r, func(access.Error) error { c.errors++; return nil })
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

func (b *workbook) writeSummary() error {
	r := b.r
	c := b.counts
	s := &sheetWriter{f: b.f, sheet: SheetSummary}
	lbl := func(t string) excelize.Cell { return styled(t, b.st.label) }
	s.line(styled("bucketaudit — S3 access report", b.st.title))
	s.blank()
	s.line(lbl("Generated at"), timeText(r.GeneratedAt))
	s.line(lbl("Tool version"), r.ToolVersion)
	if o := r.Organization; o != nil {
		s.line(lbl("Organisation"), o.ID, "management account "+o.ManagementAccountID)
		s.line(lbl("SCPs / RCPs"), fmt.Sprintf("%d / %d", len(o.SCPs), len(o.RCPs)), policyNames(o))
	} else {
		s.line(lbl("Organisation"), "not read")
	}
	if sc := r.Scan; sc != nil {
		regions := "all regions"
		if len(sc.Regions) > 0 {
			regions = strings.Join(sc.Regions, ", ")
		}
		s.line(lbl("Scope"), fmt.Sprintf("%d accounts, %s", len(r.Accounts), regions))
		s.line(lbl("Source"), strings.Join(sc.Sources, ", "))
		if !sc.StartedAt.IsZero() {
			s.line(lbl("Scan time"), timeText(sc.StartedAt), timeText(sc.FinishedAt))
		}
		complete := "yes"
		switch {
		case sc.Interrupted:
			complete = "no — the scan was interrupted before it visited everything in scope"
		case !sc.Complete:
			complete = "no — see the Errors sheet and the unknown cells"
		}
		s.line(lbl("Scan complete"), complete)
		s.line(lbl("Config digest"), configDigestText(r))
	} else {
		s.line(lbl("Scope"), fmt.Sprintf("%d accounts", len(r.Accounts)))
	}
	s.line(lbl("Accounts"), len(r.Accounts))
	s.line(lbl("Buckets"), c.buckets)
	s.line(lbl("Findings"), c.findings)
	s.line(lbl("Failed reads"), c.errors)
	s.blank()

	s.line(styled("Buckets by verdict class", b.st.header), styled("Buckets", b.st.header), styled("Meaning", b.st.header))
	for _, e := range access.Exposures() {
		s.line(styled(e, b.st.exposure[e]), c.byExposure[e], access.Exposure(e).Description())
	}
	for _, e := range slices.Sorted(maps.Keys(c.byExposure)) {
		if _, known := b.st.exposure[e]; !known {
			s.line(e, c.byExposure[e], "")
		}
	}
	s.blank()

	s.line(styled("Findings by severity", b.st.header), styled("Findings", b.st.header))
	for _, sev := range access.Severities() {
		s.line(styled(string(sev), b.st.severity[sev]), c.bySeverity[sev])
	}
	for _, sev := range slices.Sorted(maps.Keys(c.bySeverity)) {
		if !sev.Valid() {
			s.line(string(sev), c.bySeverity[sev])
		}
	}
	s.blank()

	// Findings by account, most severe first; the chart draws the first rows.
	head := []any{styled("Findings by account", b.st.header), styled("Account", b.st.header)}
	for _, sev := range access.Severities() {
		head = append(head, styled(string(sev), b.st.severity[sev]))
	}
	head = append(head, styled("total", b.st.header))
	s.line(head...)
	tableRow := s.row
	ids := slices.Sorted(maps.Keys(c.byAccount))
	sort.SliceStable(ids, func(i, j int) bool { return accountOrder(c.byAccount[ids[i]], c.byAccount[ids[j]]) })
	for _, id := range ids {
		vals := []any{id, b.accountNames[id]}
		total := 0
		for _, sev := range access.Severities() {
			vals = append(vals, c.byAccount[id][sev])
		}
		for _, n := range c.byAccount[id] {
			total += n
		}
		s.line(append(vals, total)...)
	}
	if len(ids) == 0 {
		s.line("No findings.")
	}
	if s.err != nil {
		return s.err
	}
	for col, w := range []float64{26, 28, 12, 12, 12, 12, 12, 10} {
		name, _ := excelize.ColumnNumberToName(col + 1)
		if err := b.f.SetColWidth(SheetSummary, name, name, w); err != nil {
			return err
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return b.addFindingsChart(tableRow, min(len(ids), maxChartAccounts), s.row+2)
}

// policyNames lists the organisation's SCPs and RCPs by name, marking
// those whose document could not be read.
func policyNames(o *access.Organization) string {
	var names []string
	for _, group := range []struct {
		kind string
		ps   []access.OrgPolicy
	}{{"SCP", o.SCPs}, {"RCP", o.RCPs}} {
		for _, p := range group.ps {
			n := p.Name
			if n == "" {
				n = p.ID
			}
			if !p.Readable {
				n += " (unreadable)"
			}
			names = append(names, group.kind+" "+n)
		}
	}
	return strings.Join(names, ", ")
}

// configDigestText is the SHA-256 of the scan's configuration file.
func configDigestText(r *access.Report) string {
	if r.Scan == nil || r.Scan.ConfigDigest == "" {
		return "none (no configuration file was used)"
	}
	return r.Scan.ConfigDigest
}

// accountOrder sorts accounts by their findings, most severe first.
func accountOrder(a, b map[access.Severity]int) bool {
	for _, sev := range access.Severities() {
		if a[sev] != b[sev] {
			return a[sev] > b[sev]
		}
	}
	return false
}

// addFindingsChart draws findings by severity per account: a stacked bar
// per account (the n rows under headerRow), one colour per severity.
func (b *workbook) addFindingsChart(headerRow, n, atRow int) error {
	ref := func(col, from, to int) string {
		name, _ := excelize.ColumnNumberToName(col)
		if from == to {
			return fmt.Sprintf("'%s'!$%s$%d", SheetSummary, name, from)
		}
		return fmt.Sprintf("'%s'!$%s$%d:$%s$%d", SheetSummary, name, from, name, to)
	}
	var series []excelize.ChartSeries
	for i, sev := range access.Severities() {
		col := 3 + i
		fill, _ := severityColor(sev)
		series = append(series, excelize.ChartSeries{
			Name:       ref(col, headerRow, headerRow),
			Categories: ref(1, headerRow+1, headerRow+n),
			Values:     ref(col, headerRow+1, headerRow+n),
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}},
		})
	}
	title := "Findings by severity per account"
	if n == maxChartAccounts {
		title += fmt.Sprintf(" (the %d accounts with the most severe findings)", n)
	}
	cell, _ := excelize.CoordinatesToCellName(1, atRow)
	return b.f.AddChart(SheetSummary, cell, &excelize.Chart{
		Type:       excelize.BarStacked,
		Series:     series,
		VaryColors: new(false),
		Title:      excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title}}},
		Legend:     excelize.ChartLegend{Position: "bottom"},
		Dimension:  excelize.ChartDimension{Width: 720, Height: uint(180 + 24*n)},
		XAxis:      excelize.ChartAxis{ReverseOrder: true},
	})
}

func (b *workbook) writeMethod() error {
	r := b.r
	s := &sheetWriter{f: b.f, sheet: SheetMethod}
	hdr := func(t ...string) {
		vals := make([]any, len(t))
		for i, v := range t {
			vals[i] = styled(v, b.st.header)
		}
		s.line(vals...)
	}
	s.line(styled("How to read this workbook", b.st.title))
	s.line("For every bucket, the Matrix sheet says whether each class of caller can perform each action, and which layer decides.")
	s.line("Each verdict column is followed by a 'why' column, folded so that the verdicts print on few pages: unfold them with the + outline buttons above the verdict columns (or the 2 button at the top left): [deciding layers] reason | conditions.")
	s.line("The " + SheetHeatmap + " sheet shows the same verdicts compactly, one letter and colour per class and action.")
	s.blank()
	hdr("Verdict", "Meaning")
	for _, v := range verdicts() {
		s.line(styled(string(v), b.st.verdict[v]), v.Description())
	}
	s.blank()
	hdr("Principal class", "Who")
	for _, c := range matrixClasses() {
		s.line(styled(c, b.st.bold), access.Class(c).Description())
	}
	s.blank()
	hdr("Action", "S3 operation")
	for _, a := range matrixActions() {
		s.line(styled(a, b.st.bold), actionAPI(a))
	}
	s.blank()
	hdr("Layer (decided by)", "What it is")
	for _, l := range access.Layers() {
		s.line(styled(l, b.st.bold), access.Layer(l).Description())
	}
	s.blank()
	hdr("Assumptions", "")
	for _, a := range r.Assumptions {
		s.line("•", a)
	}
	if len(r.Assumptions) == 0 {
		s.line("•", "none stated in this report")
	}
	s.blank()
	hdr("Provenance", "")
	s.line(styled("Tool version", b.st.bold), r.ToolVersion)
	s.line(styled("Report schema", b.st.bold), fmt.Sprintf("report.json schema_version %d", r.SchemaVersion))
	s.line(styled("Generated at", b.st.bold), timeText(r.GeneratedAt))
	s.line(styled("Config digest", b.st.bold), configDigestText(r))
	if s.err != nil {
		return s.err
	}
	if err := b.f.SetColWidth(SheetMethod, "A", "A", 22); err != nil {
		return err
	}
	if err := b.f.SetColWidth(SheetMethod, "B", "B", 120); err != nil {
		return err
	}
	return b.f.SetColStyle(SheetMethod, "B", b.st.wrap)
}
