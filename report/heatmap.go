package report

import (
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/xuri/excelize/v2"
)

// SheetHeatmap is the compact view of the matrix: one row per bucket, one
// narrow coloured cell per principal class × action.
const SheetHeatmap = "Heatmap"

// heatmapHeaderRows is the Heatmap's header: the classes, then the actions.
const heatmapHeaderRows = 2

// heatmapIdent is the Heatmap's identifying columns, before the cells.
func heatmapIdent() []string { return []string{"Account", "Bucket", "Exposure"} }

// heatmap is the Heatmap sheet being streamed, a row per bucket as the
// buckets come.
type heatmap struct {
	sw   *excelize.StreamWriter
	rows int // written, header included
	// Styles: the class and action headers, a verdict cell per verdict,
	// and a cell without a verdict (no external account named).
	action, none int
	verdict      map[model.Verdict]int
	cells        []any // one row's cells, reused
	b            *workbook
}

// openHeatmap begins the Heatmap: styles, widths, frozen panes and the two
// header rows (each class over its five actions).
func (b *workbook) openHeatmap() (*heatmap, error) {
	h := &heatmap{b: b, verdict: map[model.Verdict]int{}}
	border := []excelize.Border{{Type: "left", Color: "FFFFFF", Style: 1}, {Type: "right", Color: "FFFFFF", Style: 1},
		{Type: "top", Color: "FFFFFF", Style: 1}, {Type: "bottom", Color: "FFFFFF", Style: 1}}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center"}
	var err error
	for _, v := range verdicts() {
		if h.verdict[v], err = b.f.NewStyle(&excelize.Style{Border: border, Alignment: center, Font: &excelize.Font{Bold: true},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{verdictColor(v)}}}); err != nil {
			return nil, err
		}
	}
	if h.none, err = b.f.NewStyle(&excelize.Style{Alignment: center, Font: &excelize.Font{Color: "808080"}}); err != nil {
		return nil, err
	}
	if h.action, err = b.f.NewStyle(&excelize.Style{
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F4E78"}},
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF", Size: 8},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "bottom", TextRotation: 90},
	}); err != nil {
		return nil, err
	}
	classHead, err := b.f.NewStyle(&excelize.Style{
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F4E78"}},
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Alignment: center,
		Border:    border,
	})
	if err != nil {
		return nil, err
	}
	if h.sw, err = b.f.NewStreamWriter(SheetHeatmap); err != nil {
		return nil, err
	}
	ident := heatmapIdent()
	cells := len(matrixClasses()) * len(matrixActions())
	// The narrow cells first: setColWidths puts the columns in order.
	if err := h.sw.SetColWidth(len(ident)+1, len(ident)+cells, 3.3); err != nil {
		return nil, err
	}
	if err := setColWidths(h.sw, []float64{20, 34, 10}); err != nil {
		return nil, err
	}
	topLeft, _ := excelize.CoordinatesToCellName(len(ident)+1, heatmapHeaderRows+1)
	if err := h.sw.SetPanes(&excelize.Panes{
		Freeze: true, XSplit: len(ident), YSplit: heatmapHeaderRows, TopLeftCell: topLeft, ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: topLeft, ActiveCell: topLeft, Pane: "bottomRight"}},
	}); err != nil {
		return nil, err
	}
	classes, actions := make([]any, 0, len(ident)+cells), make([]any, 0, len(ident)+cells)
	for _, s := range ident {
		classes = append(classes, styled(s, b.st.header))
		actions = append(actions, styled(nil, b.st.header))
	}
	for _, class := range matrixClasses() {
		for i, action := range matrixActions() {
			label := ""
			if i == 0 {
				label = class
			}
			classes = append(classes, styled(label, classHead))
			actions = append(actions, styled(action, h.action))
		}
	}
	if err := h.sw.SetRow("A1", classes, excelize.RowOpts{Height: 20}); err != nil {
		return nil, err
	}
	if err := h.sw.SetRow("A2", actions, excelize.RowOpts{Height: 44}); err != nil {
		return nil, err
	}
	// The identifying titles span both rows; each class spans its actions.
	for i := range ident {
		top, _ := excelize.CoordinatesToCellName(i+1, 1)
		bottom, _ := excelize.CoordinatesToCellName(i+1, heatmapHeaderRows)
		if err := h.sw.MergeCell(top, bottom); err != nil {
			return nil, err
		}
	}
	for c := range matrixClasses() {
		first := len(ident) + 1 + c*len(matrixActions())
		left, _ := excelize.CoordinatesToCellName(first, 1)
		right, _ := excelize.CoordinatesToCellName(first+len(matrixActions())-1, 1)
		if err := h.sw.MergeCell(left, right); err != nil {
			return nil, err
		}
	}
	h.rows = heatmapHeaderRows
	h.cells = make([]any, 0, len(ident)+cells)
	return h, nil
}

// heatmapVerdict is a bucket's verdict of one class and action: the
// external class is the widest verdict among the accounts outside the
// organisation that something names (as in the Matrix), "" when none is.
func heatmapVerdict(bk *model.Bucket, class, action string) model.Verdict {
	if class == classExternal {
		return externalTop(bk.Access.External, action)
	}
	return cellOf(classActions(&bk.Access, class), action).Verdict
}

// row writes the bucket's row: account, bucket, exposure, then a letter
// (verdictLetter, as on the terminal) on the verdict's colour per cell.
func (h *heatmap) row(bk *model.Bucket) error {
	account := bk.AccountName
	if account == "" {
		account = bk.AccountID
	}
	h.cells = append(h.cells[:0], account, bk.Name, styled(bk.Exposure, h.b.st.exposure[bk.Exposure]))
	for _, class := range matrixClasses() {
		for _, action := range matrixActions() {
			v := heatmapVerdict(bk, class, action)
			style, ok := h.verdict[v]
			if !ok {
				style = h.none
			}
			h.cells = append(h.cells, styled(verdictLetter(v), style))
		}
	}
	h.rows++
	cell, err := excelize.CoordinatesToCellName(1, h.rows)
	if err != nil {
		return err
	}
	return h.sw.SetRow(cell, h.cells)
}

// close writes the legend under the rows and ends the sheet.
func (h *heatmap) close() error {
	key := func(letter string, style int, text string) []any {
		return []any{nil, nil, nil, styled(letter, style), text}
	}
	note := func(label, text string) []any { return []any{nil, nil, styled(label, h.b.st.bold), nil, text} }
	legend := [][]any{
		{nil, nil, styled("Legend", h.b.st.label)},
		key("A", h.verdict[model.VerdictAllow], "allow"),
		key("C", h.verdict[model.VerdictConditional], "conditional: allowed only when request conditions hold (source IP, VPC endpoint …)"),
		key("?", h.verdict[model.VerdictUnknown], "unknown: a layer that could decide was not readable"),
		key(".", h.verdict[model.VerdictDeny], "deny"),
		key("-", h.none, "no account outside the organisation is named (external only)"),
		note("external", "the widest verdict among the accounts outside the organisation named for the bucket"),
		note("", "(the External access sheet has one row per account and action)"),
		note("why", "the "+SheetMatrix+" sheet says why for every cell, in its why columns"),
	}
	h.rows++ // a blank row
	for _, l := range legend {
		h.rows++
		cell, _ := excelize.CoordinatesToCellName(1, h.rows)
		if err := h.sw.SetRow(cell, l); err != nil {
			return err
		}
	}
	return h.sw.Flush()
}

// externalTop is the widest verdict of one action among the external
// accounts (externalSummary's, without its text); "" when none is named.
func externalTop(ext map[string]model.ExternalActions, action string) model.Verdict {
	var top model.Verdict
	for _, ea := range ext {
		if v := cellOf(&ea.Actions, action).Verdict; verdictRank(v) > verdictRank(top) {
			top = v
		}
	}
	return top
}
