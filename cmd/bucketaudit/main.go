// Command bucketaudit audits S3 access across an AWS Organization.
//
// With BUCKETAUDIT_CPUPROFILE set to a file path, the command writes a CPU
// profile of the whole run there (go tool pprof), e.g. of a scan under
// `make bench-scan`; it is a diagnostic, not an interface.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bucketaudit/bucketaudit/cli"
	"github.com/bucketaudit/bucketaudit/internal/procstat"
)

func main() {
	stopProfile := procstat.StartCPUProfile(os.Getenv("BUCKETAUDIT_CPUPROFILE"), os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	stopProfile()
	os.Exit(code)
}
