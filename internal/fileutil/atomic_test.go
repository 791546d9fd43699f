package fileutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestAtomicFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	a, err := CreateAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteString("{}\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the file exists before Commit: %v", err)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	a.Abort() // after Commit: nothing
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != Mode {
		t.Errorf("mode %v, want %v", fi.Mode().Perm(), Mode)
	}
	if got := names(t, dir); len(got) != 1 {
		t.Errorf("directory holds %v, want the file alone", got)
	}

	b, err := CreateAtomic(filepath.Join(dir, "other.json"))
	if err != nil {
		t.Fatal(err)
	}
	b.Abort()
	if got := names(t, dir); len(got) != 1 {
		t.Errorf("after Abort the directory holds %v, want no temporary file", got)
	}
	if err := b.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}

	// A rename that fails (a directory in the way) removes the temporary file.
	if err := os.Mkdir(filepath.Join(dir, "busy"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "busy"), []byte("x")); err == nil {
		t.Error("renaming over a directory succeeded")
	}
	if got := names(t, dir); len(got) != 2 {
		t.Errorf("after a failed rename the directory holds %v", got)
	}
}

// TestCommitAllRestoreFails: when a rename fails and the previous file of
// a file already put in place cannot be renamed back either, the error
// names the hidden backup that still holds it (nothing is lost), and a
// second CommitAll of the same files is refused.
func TestCommitAllRestoreFails(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := WriteFileAtomic(a, []byte("old a")); err != nil {
		t.Fatal(err)
	}
	fa, err := CreateAtomic(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := CreateAtomic(b)
	if err != nil {
		t.Fatal(err)
	}
	fa.WriteString("new a")
	fb.WriteString("new b")
	var backup string
	rename := func(oldpath, newpath string) error {
		switch {
		case newpath == b:
			return os.ErrPermission // b cannot be put in place
		case newpath == a && oldpath == backup:
			return os.ErrPermission // nor a's previous file put back
		case oldpath == a:
			backup = newpath
		}
		return os.Rename(oldpath, newpath)
	}
	err = CommitAll([]*AtomicFile{fa, fb}, rename)
	if err == nil || backup == "" || !strings.Contains(err.Error(), "kept at "+backup) {
		t.Fatalf("err = %v, want it to name the backup %q", err, backup)
	}
	if data, err := os.ReadFile(backup); err != nil || string(data) != "old a" {
		t.Errorf("backup holds %q (%v), want the previous file", data, err)
	}
	if err := CommitAll([]*AtomicFile{fa, fb}, nil); err == nil {
		t.Error("a second CommitAll of the same files succeeded")
	}
	// No temporary file is left: the new a (in place), the backup.
	if got := names(t, dir); len(got) != 2 {
		t.Errorf("directory holds %v, want a.json and its backup", got)
	}
}
