package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/scanner"
)

// checkOutputs is the local part of a scan's preflight, before anything is
// collected: the output directory can be created and written, and the
// --save-snapshot path has a snapshot extension and a writable directory.
// A problem is a usage error naming the flag.
func checkOutputs(outDir, snapshot string) error {
	// s3:// locations are checked when written (the writer client's
	// credentials are not the scan's).
	if strings.HasPrefix(outDir, s3Scheme) {
		outDir = ""
	}
	if strings.HasPrefix(snapshot, s3Scheme) {
		snapshot = ""
	}
	if outDir != "" {
		if err := os.MkdirAll(outDir, 0o700); err != nil {
			return usageErr("--output-dir %s: cannot create it: %v", outDir, unwrapPath(err))
		}
		if err := probeDir(outDir); err != nil {
			return usageErr("--output-dir %s: not writable: %v", outDir, err)
		}
	}
	if snapshot == "" {
		return nil
	}
	switch strings.ToLower(filepath.Ext(snapshot)) {
	case ".json", ".yaml", ".yml":
	default:
		return usageErr("--save-snapshot %s: unknown extension (want .json, .yaml or .yml)", snapshot)
	}
	if st, err := os.Stat(snapshot); err == nil && st.IsDir() {
		return usageErr("--save-snapshot %s: is a directory", snapshot)
	}
	dir := filepath.Dir(snapshot)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return usageErr("--save-snapshot %s: its directory %s: %v", snapshot, dir, unwrapPath(err))
	case !st.IsDir():
		return usageErr("--save-snapshot %s: %s is not a directory", snapshot, dir)
	}
	if err := probeDir(dir); err != nil {
		return usageErr("--save-snapshot %s: its directory %s is not writable: %v", snapshot, dir, err)
	}
	return nil
}

// probeDir creates and removes a file in dir.
func probeDir(dir string) error {
	f, err := os.CreateTemp(dir, ".bucketaudit-probe-*")
	if err != nil {
		return unwrapPath(err)
	}
	name := f.Name()
	err = f.Close()
	if rmErr := os.Remove(name); err == nil {
		err = rmErr
	}
	return err
}

// unwrapPath drops the *os.PathError's repetition of the path.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// saveSnapshot writes the collected snapshot to path; when that fails
// (the disk filled, the directory went away), it writes it into outDir
// instead, so that what was collected is not lost, and says so. It
// returns where the snapshot is ("" if nowhere) and, when path could not
// be written, an error for the exit status (the reports are still written).
func saveSnapshot(log zerolog.Logger, doc *inventory.Document, path, outDir string) (string, error) {
	err := inventory.Save(path, doc)
	if err == nil {
		log.Info().Str("path", path).Msg("snapshot saved")
		return path, nil
	}
	if strings.HasPrefix(outDir, s3Scheme) {
		return "", fmt.Errorf("%w: save snapshot: %w", ErrFailed, err)
	}
	fallback := filepath.Join(outDir, filepath.Base(path))
	if abs, aerr := filepath.Abs(fallback); aerr == nil {
		if p, perr := filepath.Abs(path); perr == nil && p == abs {
			return "", fmt.Errorf("%w: save snapshot: %w", ErrFailed, err)
		}
	}
	if ferr := inventory.Save(fallback, doc); ferr != nil {
		log.Error().Err(err).Str("path", path).AnErr("fallback_error", ferr).Str("fallback", fallback).Msg("the snapshot could not be saved, neither at --save-snapshot nor in the output directory")
		return "", fmt.Errorf("%w: save snapshot: %w (and in the output directory: %w)", ErrFailed, err, ferr)
	}
	log.Warn().Err(err).Str("path", path).Str("saved_to", fallback).Msg("the snapshot could not be saved at --save-snapshot: saved it in the output directory instead")
	return fallback, fmt.Errorf("%w: save snapshot: %w; it was saved to %s instead", ErrFailed, err, fallback)
}

// saveEmergencySnapshot saves doc, a scan whose reports could not be
// written and whose snapshot was not saved, so that what was collected is
// not lost: as snapshot-<UTC time>.json in outDir (unless it is an s3://
// location), else in os.TempDir(), mode 0600. It returns the path, or the
// errors of every place tried.
func saveEmergencySnapshot(log zerolog.Logger, doc *inventory.Document, outDir string, now time.Time) (string, error) {
	stamp := "snapshot-" + now.UTC().Format("20060102T150405Z")
	var dirs []string
	if outDir != "" && !strings.HasPrefix(outDir, s3Scheme) {
		dirs = append(dirs, outDir)
	}
	dirs = append(dirs, os.TempDir())
	var errs []error
	for _, dir := range dirs {
		path := filepath.Join(dir, stamp+".json")
		for n := 2; fileExists(path); n++ {
			// A snapshot saved the same second is not replaced.
			path = filepath.Join(dir, fmt.Sprintf("%s-%d.json", stamp, n))
		}
		if err := inventory.Save(path, doc); err != nil {
			errs = append(errs, err)
			continue
		}
		log.Warn().Str("saved_to", path).Msg("the reports could not be written: saved the collected snapshot instead")
		return path, nil
	}
	return "", errors.Join(errs...)
}

// fileExists reports whether something is at path.
func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// saveScanSnapshot saves the snapshot of a scan at opts.SaveSnapshot: an
// s3:// location through opts.Store, a file with saveSnapshot's fallback
// to the output directory. Ctrl-C ends the scan, not the saving of what it
// collected.
func (e *env) saveScanSnapshot(ctx context.Context, doc *inventory.Document, opts scanOptions, outDir string) error {
	if opts.Store != nil && strings.HasPrefix(opts.SaveSnapshot, s3Scheme) {
		if err := opts.Store.saveSnapshot(context.WithoutCancel(ctx), opts.SaveSnapshot, doc); err != nil {
			return fmt.Errorf("%w: save snapshot: %w", ErrFailed, err)
		}
		e.log.Info().Str("path", opts.SaveSnapshot).Msg("snapshot saved")
		return nil
	}
	_, err := saveSnapshot(e.log, doc, opts.SaveSnapshot, outDir)
	return err
}

// writeFailure prints a failure and, for a scan that could not start or
// assessed nothing, what to do about it.
func writeFailure(w io.Writer, err error) {
	fmt.Fprintf(w, "error: %v\n", err)
	var f *scanner.Failure
	if errors.As(err, &f) && f.Fix != "" {
		fmt.Fprintf(w, "  fix: %s\n", f.Fix)
	}
}
