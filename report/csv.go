package report

import (
	"bufio"
	"encoding/csv"
	"io"

	"github.com/bucketaudit/bucketaudit/access"
)

// csvWriter writes report.csv: the access matrix, one row per bucket, with
// the Matrix sheet's columns. A value that a spreadsheet would run as a
// formula (it starts with =, +, -, @, a tab or a carriage return) is
// prefixed with a single quote, as OWASP advises against CSV injection.
type csvWriter struct {
	out    *bufio.Writer
	cw     *csv.Writer
	record []string
	err    error // of the header
}

func newCSVWriter(w io.Writer) *csvWriter {
	out := bufio.NewWriterSize(w, 64<<10)
	c := &csvWriter{out: out, cw: csv.NewWriter(out), record: make([]string, 0, len(matrixHeader()))}
	c.err = c.cw.Write(matrixHeader())
	return c
}

// Bucket writes the bucket's row.
func (c *csvWriter) Bucket(b *access.Bucket) error {
	if c.err != nil {
		return c.err
	}
	c.record = c.record[:0]
	for _, v := range matrixRow(b) {
		c.record = append(c.record, csvSafe(v.text))
	}
	return c.cw.Write(c.record)
}

// End flushes the rows (report.csv holds nothing but the matrix).
func (c *csvWriter) End(*access.Report) error {
	if c.err != nil {
		return c.err
	}
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.out.Flush()
}

// Close does nothing: report.csv needs no temporary file.
func (c *csvWriter) Close() error { return nil }

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
