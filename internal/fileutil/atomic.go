// Package fileutil writes output files safely.
package fileutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// Mode is the permission of every report and snapshot bucketaudit writes:
// they describe an organisation's security posture.
const Mode os.FileMode = 0o600

// WriteAtomic writes a file by calling write on a temporary file in the same
// directory, syncing it and renaming it over path, so a reader never sees a
// partial file. The file gets mode 0600.
func WriteAtomic(path string, write func(f *os.File) error) error {
	a, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	defer a.Abort()
	if err := write(a.File); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return a.Commit()
}

// WriteFileAtomic writes data to path atomically with mode 0600.
func WriteFileAtomic(path string, data []byte) error {
	return WriteAtomic(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// AtomicFile is a file being written atomically: a temporary file (mode
// 0600) in the directory of its path, which Commit renames over the path.
// For a file written over many calls; WriteAtomic is the one-call form.
type AtomicFile struct {
	*os.File
	path string
	done bool
}

// CreateAtomic creates the temporary file of path. Call Abort on every
// path (it does nothing after Commit).
func CreateAtomic(path string) (*AtomicFile, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	a := &AtomicFile{File: tmp, path: path}
	if err := tmp.Chmod(Mode); err != nil {
		a.Abort()
		return nil, fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	return a, nil
}

// Path is the path Commit writes.
func (a *AtomicFile) Path() string { return a.path }

// Commit syncs and closes the temporary file and renames it over the path.
// On failure the temporary file is removed.
func (a *AtomicFile) Commit() error {
	if a.done {
		return fmt.Errorf("commit %s: already committed or aborted", a.path)
	}
	defer a.Abort()
	if err := a.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", a.path, err)
	}
	if err := a.Close(); err != nil {
		return fmt.Errorf("close %s: %w", a.path, err)
	}
	if err := os.Rename(a.Name(), a.path); err != nil {
		return fmt.Errorf("rename to %s: %w", a.path, err)
	}
	a.done = true
	return nil
}

// Abort closes and removes the temporary file, unless Commit renamed it.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.Close()
	os.Remove(a.Name())
}
