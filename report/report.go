// Package report writes an access.Report in the formats auditors and
// machines read (one file per format behind Writer) and compares two
// reports (diff).
package report

// NOTE(skeleton): signatures are the contract for cli; the reports issue
// implements them.

import (
	"errors"
	"io"

	"github.com/bucketaudit/bucketaudit/access"
)

// Writer writes a report in one format.
type Writer interface {
	// Write writes r to w.
	Write(w io.Writer, r *access.Report) error
}

// Formats are the format names --format accepts, with their file names.
var formatFiles = map[string]string{"xlsx": "report.xlsx", "json": "report.json", "csv": "report.csv"}

// WriteAll writes r into dir as report.<format> for each format, atomically
// with mode 0600, and returns the paths written.
func WriteAll(dir string, formats []string, r *access.Report) ([]string, error) {
	_ = formatFiles
	return nil, errors.New("report: not implemented yet")
}
