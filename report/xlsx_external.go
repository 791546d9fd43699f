package report

import (
	"maps"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
)

func externalTable() table {
	return table{sheet: SheetExternal, freezeCols: 1,
		header: []string{"External account", "Label", "Trusted", "Bucket account ID", "Bucket account", "Bucket",
			"Action", "Verdict", "Decided by", "Conditions", "Narrowed to", "Reason"},
		widths: []float64{16, 18, 9, 16, 18, 30, 10, 12, 22, 40, 40, 70}, wrap: []int{10, 11, 12}}
}

// externalRows writes the bucket's External access rows: one per external
// account and action allowed or conditional.
func (b *workbook) externalRows(bk *model.Bucket) error {
	for _, id := range slices.Sorted(maps.Keys(bk.Access.External)) {
		ea := bk.Access.External[id]
		trusted := "no"
		if ea.Trusted {
			trusted = "yes"
		}
		for _, action := range matrixActions() {
			c := cellOf(&ea.Actions, action)
			if c.Verdict != model.VerdictAllow && c.Verdict != model.VerdictConditional {
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
