package policy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/internal/testenv"
)

// corpusDir is the shared corpus of real-world policies (../shared/corpus
// from the repository root).
const corpusDir = "../../shared/corpus"

func corpusFiles(t *testing.T) (valid, invalid []string) {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		testenv.Missing(t, "the shared corpus is absent (%s): %v", corpusDir, err)
	}
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, path)
		if d.IsDir() {
			if rel == "actions" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".json") || !strings.Contains(rel, string(filepath.Separator)) {
			return nil // top-level metadata (FEATURES.json, managed-index.json)
		}
		if strings.HasPrefix(rel, "invalid"+string(filepath.Separator)) {
			invalid = append(invalid, path)
		} else {
			valid = append(valid, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return valid, invalid
}

// Every real policy of the corpus parses, re-marshals stably and compiles;
// every file in invalid/ is refused with a position.
func TestCorpus(t *testing.T) {
	valid, invalid := corpusFiles(t)
	if len(valid) < 2000 || len(invalid) < 9 {
		t.Fatalf("corpus looks incomplete: %d valid, %d invalid files", len(valid), len(invalid))
	}
	lintCodes := map[string]int{}
	for _, path := range valid {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		out, err := p.MarshalJSON()
		if err != nil {
			t.Errorf("%s: marshal: %v", path, err)
			continue
		}
		p2, err := Parse(out)
		if err != nil {
			t.Errorf("%s: re-parse: %v", path, err)
			continue
		}
		if out2, _ := p2.MarshalJSON(); string(out2) != string(out) {
			t.Errorf("%s: marshal not stable", path)
		}
		for _, w := range Lint(p) {
			if w.Line < 1 || w.Column < 1 || w.Code == "" {
				t.Errorf("%s: warning without position or code: %+v", path, w)
			}
			lintCodes[w.Code]++
		}
	}
	t.Logf("lint warnings over the corpus: %v", lintCodes)
	for _, path := range invalid {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse(data)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line < 1 || pe.Column < 1 {
			t.Errorf("%s: want a *ParseError with a position, got %v", path, err)
		}
	}
}
