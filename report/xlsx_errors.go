package report

import "github.com/bucketaudit/bucketaudit/model"

// writeErrors lists the report's failed reads: scan-wide, organisation and
// account ones, then the buckets' (spooled).
func (b *workbook) writeErrors() error {
	t := table{sheet: SheetErrors, freezeCols: 0,
		header: []string{"Account ID", "Account", "Bucket", "Field", "Operation", "Code", "Message"},
		widths: []float64{14, 18, 30, 20, 32, 24, 80}, wrap: []int{7}}
	return b.stream(t, func(emit func([]any) error) error {
		row := func(e model.Error) error {
			return emit([]any{e.AccountID, b.accountNames[e.AccountID], e.Bucket, e.Field, e.Operation, e.Code, e.Message})
		}
		if err := forEachReportError(b.r, row); err != nil {
			return err
		}
		return b.errors.records(6, func(v []string) error {
			return row(model.Error{AccountID: v[0], Bucket: v[1], Field: v[2], Operation: v[3], Code: v[4], Message: v[5]})
		})
	})
}

// forEachReportError calls fn with every failed read of the report but the
// buckets': scan-wide, organisation and account errors, in that order.
func forEachReportError(r *model.Report, fn func(model.Error) error) error {
	var lists [][]model.Error
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
