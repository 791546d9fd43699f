// Command gen writes the generated deployment files (go generate ./deploy,
// run from the deploy directory).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/bucketaudit/bucketaudit/deploy"
)

func main() {
	files := deploy.Files()
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(p, files[p], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Println("wrote deploy/" + p)
	}
}
