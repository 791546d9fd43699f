// Package cli wires bucketaudit's commands. Run is the whole program minus
// process concerns, so tests call it directly.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/internal/logging"
	"github.com/bucketaudit/bucketaudit/internal/version"
)

// Exit codes (DESIGN.md, "CLI").
const (
	ExitOK         = 0 // done
	ExitFindings   = 1 // findings at or above --fail-on (diff: new ones); lint: a file does not parse
	ExitUsage      = 2 // usage or configuration error
	ExitIncomplete = 3 // scan finished but some account or bucket could not be assessed
)

// Sentinel errors that commands return (wrapped) to choose the exit code.
var (
	// ErrUsage marks bad flags, arguments or configuration.
	ErrUsage = errors.New("usage error")
	// ErrFindings marks findings at or above the --fail-on threshold.
	ErrFindings = errors.New("findings at or above the failure threshold")
	// ErrIncomplete marks a scan that finished without assessing everything.
	ErrIncomplete = errors.New("assessment incomplete")
)

// env is what every command gets from Run: the streams and the logger.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	logFormat      string
	logLevel       string
	log            zerolog.Logger
	// getenv reads the environment (os.Getenv; tests give their own): the
	// locale report.xlsx's paper size follows.
	getenv func(string) string
}

// Run executes bucketaudit with args (without the program name) and returns
// the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	return exitCode(err, stderr)
}

// exitCode maps an error to the exit code, printing it unless it is only a
// status (findings, incomplete) that the command already reported.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrFindings):
		return ExitFindings
	case errors.Is(err, ErrIncomplete):
		return ExitIncomplete
	case errors.Is(err, ErrUsage):
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitUsage
	}
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "bucketaudit",
		Short:         "Audit S3 access across an AWS Organization",
		Long:          "bucketaudit walks every account of an AWS Organization, collects every layer that can allow or deny S3 access, evaluates them the way AWS does and writes a per-bucket access matrix with findings.",
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			log, err := logging.New(e.stderr, e.logFormat, e.logLevel)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			e.log = log
			return nil
		},
	}
	root.PersistentFlags().StringVar(&e.logFormat, "log-format", "auto", "log format on stderr: auto (console on a TTY, JSON otherwise), console or json")
	root.PersistentFlags().StringVar(&e.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	})
	root.AddCommand(
		newScanCmd(e),
		newDemoCmd(e),
		newAnalyzeCmd(e),
		newExplainCmd(e),
		newSimulateCmd(e),
		newLintCmd(e),
		newFakeAWSCmd(e),
		newDiffCmd(e),
		newRolePolicyCmd(e),
	)
	return root
}

// usageErr wraps an argument problem as a usage error.
func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, a...))
}
