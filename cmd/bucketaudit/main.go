// Command bucketaudit audits S3 access across an AWS Organization.
//
// With BUCKETAUDIT_CPUPROFILE set to a file path, the command writes a CPU
// profile of the whole run there (go tool pprof), e.g. of a scan under
// `make bench-scan`; it is a diagnostic, not an interface.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/bucketaudit/bucketaudit/cli"
)

func main() {
	stopProfile := startCPUProfile(os.Getenv("BUCKETAUDIT_CPUPROFILE"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	stopProfile()
	os.Exit(code)
}

// startCPUProfile starts a CPU profile written to path (none when path is
// empty) and returns the function that ends it.
func startCPUProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "BUCKETAUDIT_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "BUCKETAUDIT_CPUPROFILE: %v\n", err)
		}
	}
}
