package report

import (
	"bufio"
	"encoding/csv"
	"io"

	"github.com/bucketaudit/bucketaudit/access"
)

// CSV writes report.csv: the access matrix, one row per bucket, with the
// Matrix sheet's columns. A value that a spreadsheet would run as a formula
// (it starts with =, +, -, @, a tab or a carriage return) is prefixed with
// a single quote, as OWASP advises against CSV injection.
type CSV struct{}

// Write writes r to w.
func (CSV) Write(w io.Writer, r *access.Report) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(matrixHeader()); err != nil {
		return err
	}
	record := make([]string, 0, len(matrixHeader()))
	for i := range r.Buckets {
		record = record[:0]
		for _, v := range matrixRow(&r.Buckets[i]) {
			record = append(record, csvSafe(v.text))
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// csvSafe neutralises a value a spreadsheet would evaluate as a formula.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
