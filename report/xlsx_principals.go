package report

import (
	"fmt"
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
)

// maxSheetRows is Excel's row limit per sheet, the header row included.
// https://support.microsoft.com/en-us/office/excel-specifications-and-limits-1672b34d-7043-467e-8e27-269d656771c3
const maxSheetRows = 1 << 20

// principalSheet streams the Principals sheet: one row per bucket, action
// and principal that can (allow, conditional, or unknown), and one per
// cell whose class's principals of some accounts could not be listed.
// Past Excel's row limit the rows are counted, and a last row says how
// many report.json has beyond it.
type principalSheet struct {
	b       *workbook
	ts      *tableStream
	limit   int // data rows that fit, the closing note's row kept free
	dropped int
	err     error
}

func principalsTable() table {
	return table{sheet: SheetPrincipals, freezeCols: 0,
		header: []string{"Bucket account ID", "Bucket", "Action", "Principal", "Account", "Type", "Verdict", "Via", "Why"},
		widths: []float64{16, 30, 9, 60, 16, 8, 12, 40, 90}}
}

func (b *workbook) openPrincipals() (*principalSheet, error) {
	ts, err := b.openTable(principalsTable())
	if err != nil {
		return nil, err
	}
	return &principalSheet{b: b, ts: ts, limit: maxSheetRows - 2}, nil
}

// emit writes one row, or counts it past the limit.
func (ps *principalSheet) emit(values []any) {
	if ps.err != nil {
		return
	}
	if ps.ts.rows-1 >= ps.limit {
		ps.dropped++
		return
	}
	ps.err = ps.ts.row(values)
}

// rows writes the bucket's rows.
func (ps *principalSheet) rows(bk *model.Bucket) error {
	st := ps.b.st.verdict
	bk.PrincipalRowsMore(func(r model.PrincipalRow) {
		ps.emit([]any{r.BucketAccount, r.Bucket, r.Action, r.ARN, r.Account, r.Type,
			styled(string(r.Verdict), st[r.Verdict]), strings.Join(r.Via, " → "), r.Why()})
	}, func(u model.UnlistedRow) {
		ps.emit([]any{u.BucketAccount, u.Bucket, u.Action, "principals not listed (" + u.Class + "): " + listText(u.Accounts, 10), "", "",
			styled(string(u.Verdict), st[u.Verdict]), "", u.Reason})
	}, func(m model.MoreRow) {
		// A capped list (outputs.principals_per_cell): who-can lists the rest.
		ps.emit([]any{m.BucketAccount, m.Bucket, m.Action, m.Text(), "", "", "", "",
			fmt.Sprintf("%s: %d of %d principals listed (outputs.principals_per_cell)", m.Class, m.Listed, m.Total)})
	})
	return ps.err
}

// close writes the closing note, if rows were left out, and ends the sheet.
func (ps *principalSheet) close() error {
	if ps.err != nil {
		return ps.err
	}
	if ps.dropped > 0 {
		if err := ps.ts.row([]any{"", "", "", fmt.Sprintf("%d more rows beyond Excel's row limit: see report.json (principal_access)", ps.dropped)}); err != nil {
			return err
		}
	}
	return ps.ts.close()
}
