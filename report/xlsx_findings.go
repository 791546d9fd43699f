package report

import (
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
)

// mutedCell is the Findings sheet's Muted column: "muted: REASON" for a
// finding a mutelist accepts, empty otherwise.
func mutedCell(f *model.Finding) string {
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
	row := func(emit func([]any) error, f *model.Finding) error {
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
				return row(emit, &model.Finding{Severity: model.Severity(v[0]), ID: v[1], AccountID: v[2], Bucket: v[3], Title: v[4], Detail: v[5], Remediation: v[6], CIS: v[7], Muted: v[8] != "", MuteReason: strings.TrimPrefix(v[8], mutedPrefix)})
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}
