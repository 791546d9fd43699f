// Package report writes a model.Report in the formats auditors and
// machines read (one file per format behind Writer) and compares two
// reports (diff).
package report

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/bucketaudit/bucketaudit/internal/fileutil"
	"github.com/bucketaudit/bucketaudit/model"
)

// Writer writes one report file from a stream of buckets: NewWriter
// begins the file, Bucket writes the buckets one at a time in report order,
// End writes the rest of the report and finishes the file. What a format
// can only place at the end (report.json's buckets, which follow the
// accounts; the workbook's findings, sorted by severity) is spooled to
// temporary files, so memory does not grow with the number of buckets.
type Writer interface {
	// Bucket writes one bucket. The writer does not keep b.
	Bucket(b *model.Bucket) error
	// End writes the rest of the report r and finishes the file. r's
	// buckets are those given to Bucket: r.Buckets is not written (except
	// that report.json writes its value, null or [], when no bucket was
	// given).
	End(r *model.Report) error
	// Close removes the writer's temporary files; call it on every path,
	// after End too.
	Close() error
}

// Format names accepted by --format.
const (
	FormatXLSX = "xlsx"
	FormatJSON = "json"
	FormatCSV  = "csv"
	// FormatOCSF is OCSF 1.6.0 IAM Analysis Finding events, one JSON object
	// a line (report.ocsf.jsonl).
	FormatOCSF = "ocsf"
)

// ErrUnknownFormat is returned (wrapped) for a format name that is not one
// of Formats.
var ErrUnknownFormat = errors.New("unknown report format")

// Formats returns the format names --format accepts, in the order reports
// are written.
func Formats() []string { return []string{FormatXLSX, FormatJSON, FormatCSV, FormatOCSF} }

// FileName returns the file a format is written to ("report.xlsx";
// "report.ocsf.jsonl" for OCSF).
func FileName(format string) string {
	if format == FormatOCSF {
		return "report.ocsf.jsonl"
	}
	return "report." + format
}

// NewWriter begins writing a report of format to w, with its temporary
// files (spools) in spoolDir.
func NewWriter(format string, w io.Writer, spoolDir string) (Writer, error) {
	return NewLayoutWriter(format, w, spoolDir, Layout{})
}

// NewLayoutWriter is NewWriter with the layout report.xlsx prints with.
func NewLayoutWriter(format string, w io.Writer, spoolDir string, layout Layout) (Writer, error) {
	switch format {
	case FormatXLSX:
		return newXLSXWriter(w, spoolDir, layout)
	case FormatJSON:
		return newJSONWriter(w, spoolDir), nil
	case FormatCSV:
		return newCSVWriter(w), nil
	case FormatOCSF:
		return newOCSFWriter(w, spoolDir), nil
	}
	return nil, unknownFormat(format)
}

func unknownFormat(format string) error {
	return fmt.Errorf("%w %q (want %s)", ErrUnknownFormat, format, strings.Join(Formats(), ", "))
}

// CheckFormats reports the first format name that no writer handles, so
// that a command can reject a bad --format before it scans anything.
func CheckFormats(formats []string) error {
	if len(formats) == 0 {
		return fmt.Errorf("%w: no format given (want %s)", ErrUnknownFormat, strings.Join(Formats(), ", "))
	}
	for _, f := range formats {
		if !slices.Contains(Formats(), f) {
			return unknownFormat(f)
		}
	}
	return nil
}

// Files writes the report files of several formats into one directory
// from one stream of buckets: Create, then Bucket for every bucket in
// report order, then End. Each format is written by its own goroutine (a
// few buckets queued for each), so the formats are written side by side.
// Each file is written to a temporary file with mode 0600, and End puts
// them all in place or none; Close removes whatever End did not put in place — temporary
// files and spools — and must be called on every path.
type Files struct {
	outs []*fileOutput
	// final is the report End finishes the files with; it is set before
	// the writers' queues are closed, which publishes it to them.
	final   *model.Report
	stopped bool
	// rename puts the files in place (os.Rename when nil; tests inject
	// failures).
	rename fileutil.RenameFunc
}

// fileOutput is one format being written by its goroutine (run).
type fileOutput struct {
	format  string
	file    *fileutil.AtomicFile
	w       Writer
	buckets chan *model.Bucket
	done    chan struct{} // closed when run has returned
	failed  atomic.Bool   // err is set (err is read after done)
	err     error
}

// queuedBuckets is how many buckets may wait for each format's writer.
const queuedBuckets = 64

// Create begins report.<format> in dir for each format (a format named
// twice is written once). dir must exist.
func Create(dir string, formats []string) (*Files, error) {
	return CreateLayout(dir, formats, Layout{})
}

// CreateLayout is Create with the layout report.xlsx prints with.
func CreateLayout(dir string, formats []string, layout Layout) (*Files, error) {
	if err := CheckFormats(formats); err != nil {
		return nil, err
	}
	fs := &Files{}
	for i, format := range formats {
		if slices.Contains(formats[:i], format) {
			continue
		}
		file, err := fileutil.CreateAtomic(filepath.Join(dir, FileName(format)))
		if err != nil {
			fs.Close()
			return nil, fmt.Errorf("write %s report: %w", format, err)
		}
		w, err := NewLayoutWriter(format, file.File, dir, layout)
		if err != nil {
			file.Abort()
			fs.Close()
			return nil, fmt.Errorf("write %s report: %w", format, err)
		}
		o := &fileOutput{format: format, file: file, w: w,
			buckets: make(chan *model.Bucket, queuedBuckets), done: make(chan struct{})}
		fs.outs = append(fs.outs, o)
		go o.run(fs)
	}
	return fs, nil
}

// run writes the queued buckets, then, when Files.End has set the final
// report, ends the file. After an error it drains the queue.
func (o *fileOutput) run(fs *Files) {
	defer close(o.done)
	for b := range o.buckets {
		if o.err != nil {
			continue
		}
		if err := o.w.Bucket(b); err != nil {
			o.err = fmt.Errorf("bucket %q: %w", b.Name, err)
			o.failed.Store(true)
		}
	}
	if o.err == nil && fs.final != nil {
		o.err = o.w.End(fs.final)
	}
}

// Bucket queues one bucket for every file; b must not change afterwards.
// It returns the error of a writer that failed (on a later call, possibly).
func (fs *Files) Bucket(b *model.Bucket) error {
	if fs.stopped {
		return errors.New("write reports: a bucket after End or Close")
	}
	for _, o := range fs.outs {
		if o.failed.Load() {
			fs.stop()
			return fmt.Errorf("write %s report: %w", o.format, o.err)
		}
		o.buckets <- b
	}
	return nil
}

// stop closes the queues and waits for the writers.
func (fs *Files) stop() {
	if fs.stopped {
		return
	}
	fs.stopped = true
	for _, o := range fs.outs {
		close(o.buckets)
	}
	for _, o := range fs.outs {
		<-o.done
	}
}

// End finishes the files with r (see Writer.End), side by side, then puts
// them in place all or none (fileutil.CommitAll): only when every format
// was written whole and synced are they renamed over the previous reports,
// and a rename that fails puts the previous reports back, so the
// directory never holds a mix of two runs. It returns the paths in the
// order of the formats.
func (fs *Files) End(r *model.Report) ([]string, error) {
	if fs.stopped {
		return nil, errors.New("write reports: End after End or Close")
	}
	fs.final = r
	fs.stop()
	files := make([]*fileutil.AtomicFile, 0, len(fs.outs))
	paths := make([]string, 0, len(fs.outs))
	for _, o := range fs.outs {
		if o.err != nil {
			return nil, fmt.Errorf("write %s report: %w", o.format, o.err)
		}
		files = append(files, o.file)
		paths = append(paths, o.file.Path())
	}
	if err := fileutil.CommitAll(files, fs.rename); err != nil {
		return nil, fmt.Errorf("write reports (the previous reports are left in place): %w", err)
	}
	return paths, nil
}

// Close stops the writers and removes the spools and the temporary files
// of the reports End did not put in place.
func (fs *Files) Close() error {
	fs.stop()
	var errs []error
	for _, o := range fs.outs {
		errs = append(errs, o.w.Close())
		o.file.Abort()
	}
	return errors.Join(errs...)
}

// WriteAll writes r, held in memory, into dir as report.<format> for each
// format, through the same streaming writers as Files (one bucket after
// the other), atomically with mode 0600, and returns the paths written, in
// the order of formats. A format named twice is written once. The first
// failure stops, and leaves no partial or temporary file behind.
func WriteAll(dir string, formats []string, r *model.Report) (paths []string, err error) {
	if r == nil {
		return nil, errors.New("write reports: no report")
	}
	fs, err := Create(dir, formats)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := fs.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	for i := range r.Buckets {
		if err := fs.Bucket(&r.Buckets[i]); err != nil {
			return nil, err
		}
	}
	return fs.End(r)
}
