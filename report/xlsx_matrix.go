package report

import "github.com/bucketaudit/bucketaudit/model"

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
func (b *workbook) matrixRow(bk *model.Bucket) error {
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
