package report

import (
	"bufio"
	"encoding/csv"
	"io"
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
)

// csvWriter writes report.csv: the access matrix, one row per bucket, with
// the Matrix sheet's columns, in UTF-8 after a byte order mark (which tells
// Excel the encoding; without it Excel reads the file in the Windows code
// page and garbles every non-ASCII name). Some values are prefixed with a
// single quote (csvSafe); to read the file back, drop the BOM and one
// leading single quote of any value (csvValue).
type csvWriter struct {
	out    *bufio.Writer
	cw     *csv.Writer
	record []string
	err    error // of the header
}

func newCSVWriter(w io.Writer) *csvWriter {
	out := bufio.NewWriterSize(w, 64<<10)
	c := &csvWriter{out: out, cw: csv.NewWriter(out), record: make([]string, 0, len(matrixHeader()))}
	if _, c.err = out.WriteString(utf8BOM); c.err == nil {
		c.err = c.cw.Write(matrixHeader())
	}
	return c
}

// Bucket writes the bucket's row.
func (c *csvWriter) Bucket(b *model.Bucket) error {
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
func (c *csvWriter) End(*model.Report) error {
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

// utf8BOM is the byte order mark report.csv begins with.
const utf8BOM = "\uFEFF"

// csvSafe prefixes with a single quote a value that a spreadsheet opening
// the file would not keep as the text it is:
//   - one it would run as a formula: it starts with =, +, -, @, a tab or a
//     carriage return (CSV injection; OWASP's advice, the quote);
//   - one it would read as a number or a date: an account ID or a bucket
//     named 0123 would lose its leading zeros, a 12-digit ID would show as
//     1.23457E+11, "1.50" as 1.5, "3-12" as a date;
//   - one that starts with a single quote already, so that the rule to read
//     the file back has no exception (csvValue).
//
// Spreadsheets keep a quoted value as text, zeros intact: LibreOffice Calc
// shows the quote (TestDemoCSVImports), Excel keeps it or hides it as its
// text marker. The alternatives were worse: ="0123" is a formula (both
// evaluate it, but no program reading the CSV gets the value), and a
// leading tab keeps the zeros but is invisible and silently breaks exact
// matches.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		return "'" + s
	}
	if numberLike(s) {
		return "'" + s
	}
	return s
}

// numberLike says whether a spreadsheet may read s as a number, date or
// time: it starts with a digit and has nothing but digits and the
// characters of numbers, dates and times (. , - / : + e E % and spaces).
func numberLike(s string) bool {
	if s[0] < '0' || s[0] > '9' {
		return false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case strings.ContainsRune(".,-/:+eE% ", r):
		default:
			return false
		}
	}
	return true
}

// csvValue returns the value a field of report.csv stands for: the field
// without the single quote csvSafe put before it.
func csvValue(field string) string {
	return strings.TrimPrefix(field, "'")
}
