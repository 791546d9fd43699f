// Package fileutil writes output files safely.
package fileutil

import (
	"errors"
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

// RenameFunc renames oldpath to newpath, replacing newpath (os.Rename).
type RenameFunc func(oldpath, newpath string) error

// CommitAll puts the files in place all or none, as far as the file
// system allows: it syncs and closes every temporary file first, then
// moves each previous file aside as a hidden backup in its directory
// (".<name>.prev-*") and renames the new file over the path. When a rename
// fails, the files already put in place are taken back — their backups
// renamed back over them, or removed where there was no previous file —
// so the paths hold the previous files again; the backups are removed only
// after every rename succeeded. rename is os.Rename when nil (tests inject
// failures). On failure the temporary files are removed; a backup that
// could not be restored is kept and named in the error.
func CommitAll(files []*AtomicFile, rename RenameFunc) error {
	if rename == nil {
		rename = os.Rename
	}
	for _, a := range files {
		if a.done {
			return fmt.Errorf("commit %s: already committed or aborted", a.path)
		}
	}
	abort := func() {
		for _, a := range files {
			a.Abort()
		}
	}
	for _, a := range files {
		if err := a.Sync(); err != nil {
			abort()
			return fmt.Errorf("sync %s: %w", a.path, err)
		}
		if err := a.Close(); err != nil {
			abort()
			return fmt.Errorf("close %s: %w", a.path, err)
		}
	}
	// backups[i] is the previous file of files[i], which is in place
	// ("" when there was none).
	backups := make([]string, 0, len(files))
	rollback := func(cause error) error {
		errs := []error{cause}
		for i := len(backups) - 1; i >= 0; i-- {
			path := files[i].path
			if backups[i] == "" {
				if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
					errs = append(errs, fmt.Errorf("take back %s: %w", path, err))
				}
				continue
			}
			if err := rename(backups[i], path); err != nil {
				errs = append(errs, fmt.Errorf("restore %s (the previous file is kept at %s): %w", path, backups[i], err))
			}
		}
		abort()
		return errors.Join(errs...)
	}
	for _, a := range files {
		bak, err := moveAside(a.path, rename)
		if err != nil {
			return rollback(err)
		}
		if err := rename(a.Name(), a.path); err != nil {
			err = fmt.Errorf("rename to %s: %w", a.path, err)
			if bak != "" {
				if rerr := rename(bak, a.path); rerr != nil {
					err = errors.Join(err, fmt.Errorf("restore %s (the previous file is kept at %s): %w", a.path, bak, rerr))
				}
			}
			return rollback(err)
		}
		backups = append(backups, bak)
		a.done = true
	}
	var errs []error
	for _, bak := range backups {
		if bak == "" {
			continue
		}
		if err := os.Remove(bak); err != nil && !os.IsNotExist(err) {
			errs = append(errs, fmt.Errorf("remove backup %s: %w", bak, err))
		}
	}
	return errors.Join(errs...)
}

// moveAside renames the file at path, if there is one, to a new hidden
// name in its directory and returns that name ("" when path did not exist).
func moveAside(path string, rename RenameFunc) (string, error) {
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("back up %s: %w", path, err)
	}
	if fi.IsDir() {
		return "", fmt.Errorf("rename to %s: a directory is in the way", path)
	}
	// A placeholder reserves the name; the rename replaces it.
	ph, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".prev-*")
	if err != nil {
		return "", fmt.Errorf("back up %s: %w", path, err)
	}
	ph.Close()
	if err := rename(path, ph.Name()); err != nil {
		os.Remove(ph.Name())
		return "", fmt.Errorf("back up %s: %w", path, err)
	}
	return ph.Name(), nil
}
