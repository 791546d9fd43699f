package fileutil

import (
	"os"
	"path/filepath"
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
