package procstat

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// StartCPUProfile starts a CPU profile written to path (none when path is
// empty) and returns the function that ends it; problems are reported to
// stderr, never fatal: it is a diagnostic (BUCKETAUDIT_CPUPROFILE), not an
// interface.
func StartCPUProfile(path string, stderr io.Writer) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "BUCKETAUDIT_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "BUCKETAUDIT_CPUPROFILE: %v\n", err)
		}
	}
}
