// Package report writes an access.Report in the formats auditors and
// machines read (one file per format behind Writer) and compares two
// reports (diff).
package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/internal/fileutil"
)

// Writer writes a report in one format.
type Writer interface {
	// Write writes r to w.
	Write(w io.Writer, r *access.Report) error
}

// Format names accepted by --format.
const (
	FormatXLSX = "xlsx"
	FormatJSON = "json"
	FormatCSV  = "csv"
)

// ErrUnknownFormat is returned (wrapped) for a format name that is not one
// of Formats.
var ErrUnknownFormat = errors.New("unknown report format")

// Formats returns the format names --format accepts, in the order reports
// are written.
func Formats() []string { return []string{FormatXLSX, FormatJSON, FormatCSV} }

// FileName returns the file a format is written to ("report.xlsx").
func FileName(format string) string { return "report." + format }

// WriterFor returns the writer of a format.
func WriterFor(format string) (Writer, error) {
	switch format {
	case FormatXLSX:
		return XLSX{}, nil
	case FormatJSON:
		return JSON{}, nil
	case FormatCSV:
		return CSV{}, nil
	}
	return nil, fmt.Errorf("%w %q (want %s)", ErrUnknownFormat, format, strings.Join(Formats(), ", "))
}

// CheckFormats reports the first format name that no writer handles, so
// that a command can reject a bad --format before it scans anything.
func CheckFormats(formats []string) error {
	if len(formats) == 0 {
		return fmt.Errorf("%w: no format given (want %s)", ErrUnknownFormat, strings.Join(Formats(), ", "))
	}
	for _, f := range formats {
		if _, err := WriterFor(f); err != nil {
			return err
		}
	}
	return nil
}

// WriteAll writes r into dir as report.<format> for each format, atomically
// with mode 0600, and returns the paths written, in the order of formats.
// A format named twice is written once. The formats are written one after
// the other (at 100,000 buckets, writing them concurrently costs more peak
// memory than it saves time); the first failure stops, and leaves no
// partial file behind.
func WriteAll(dir string, formats []string, r *access.Report) ([]string, error) {
	if r == nil {
		return nil, errors.New("write reports: no report")
	}
	if err := CheckFormats(formats); err != nil {
		return nil, err
	}
	var paths []string
	for i, format := range formats {
		if slices.Contains(formats[:i], format) {
			continue
		}
		wr, _ := WriterFor(format) // checked above
		path := filepath.Join(dir, FileName(format))
		if err := fileutil.WriteAtomic(path, func(f *os.File) error { return wr.Write(f, r) }); err != nil {
			return paths, fmt.Errorf("write %s report: %w", format, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}
