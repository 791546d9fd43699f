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
	"sync"

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
// A format named twice is written once. The formats are written
// concurrently (the writers only read r); on error, no partial file is
// left behind and the error names the first format that failed.
func WriteAll(dir string, formats []string, r *access.Report) ([]string, error) {
	if r == nil {
		return nil, errors.New("write reports: no report")
	}
	if err := CheckFormats(formats); err != nil {
		return nil, err
	}
	var todo []string
	for _, f := range formats {
		if !slices.Contains(todo, f) {
			todo = append(todo, f)
		}
	}
	paths := make([]string, len(todo))
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	for i, format := range todo {
		wr, _ := WriterFor(format) // checked above
		paths[i] = filepath.Join(dir, FileName(format))
		wg.Go(func() {
			if err := fileutil.WriteAtomic(paths[i], func(f *os.File) error { return wr.Write(f, r) }); err != nil {
				errs[i] = fmt.Errorf("write %s report: %w", format, err)
			}
		})
	}
	wg.Wait()
	var written []string
	for i := range todo {
		if errs[i] != nil {
			return written, errs[i]
		}
		written = append(written, paths[i])
	}
	return written, nil
}
