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
	ExitFailed     = 4 // the run failed: the scan assessed no account, or an output could not be written
)

// Sentinel errors that commands return (wrapped) to choose the exit code.
var (
	// ErrUsage marks bad flags, arguments or configuration.
	ErrUsage = errors.New("usage error")
	// ErrFindings marks findings at or above the --fail-on threshold.
	ErrFindings = errors.New("findings at or above the failure threshold")
	// ErrIncomplete marks a scan that finished without assessing everything.
	ErrIncomplete = errors.New("assessment incomplete")
	// ErrFailed marks a run that failed: a scan that assessed no account
	// (no credentials, an expired SSO session, a TLS error, a dead
	// endpoint …) or an output that could not be written. Any error
	// without a sentinel is a failure too.
	ErrFailed = errors.New("failed")
)

// env is what every command gets from Run: the streams and the logger.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	logFormat      string
	logLevel       string
	// quiet (--quiet): no progress bar, no summary, only errors logged.
	quiet bool
	// noColor (--no-color): no ANSI colours in the console log.
	noColor bool
	log     zerolog.Logger
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
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && cmd == root && !errors.Is(err, ErrUsage) {
		// The root runs nothing: an error it returns is cobra's own, an
		// unknown command or its arguments.
		err = fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return exitCode(err, stderr)
}

// exitCode maps an error to the exit code, printing it unless it is only a
// status (findings, incomplete) that the command already reported. It is
// the one place where errors become exit codes, for every command: an
// error without a sentinel is a runtime failure (a disk full, a write that
// failed), never a usage error.
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
		writeFailure(stderr, err)
		return ExitFailed
	}
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "bucketaudit",
		Short:         "Audit S3 access across an AWS Organization",
		Long:          "bucketaudit walks every account of an AWS Organization, collects every layer that can allow or deny S3 access, evaluates them the way AWS does and writes a per-bucket access matrix with findings.\n\nExit codes, the same for every command: 0 done; 1 findings at or above --fail-on; 2 usage or configuration error; 3 incomplete (some account or bucket could not be fully assessed); 4 failed (nothing could be assessed, or an output could not be written).",
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if e.quiet {
				e.logLevel = "error"
			}
			log, err := logging.New(e.stderr, e.logFormat, e.logLevel, e.logOptions()...)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			e.log = log
			return nil
		},
	}
	root.PersistentFlags().StringVar(&e.logFormat, "log-format", "auto", "log format on stderr: auto (console on a TTY, JSON otherwise), console or json")
	root.PersistentFlags().StringVar(&e.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().BoolVarP(&e.quiet, "quiet", "q", false, "no progress bar and no summary; log only errors")
	root.PersistentFlags().BoolVar(&e.noColor, "no-color", false, "no colours in the console log (also with NO_COLOR set or TERM=dumb)")
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
		newWhoCanCmd(e),
		newCanReachCmd(e),
	)
	for _, c := range root.Commands() {
		usageArgs(c)
	}
	return root
}

// usageArgs makes the argument checks of c (cobra.NoArgs and the like)
// usage errors.
func usageArgs(c *cobra.Command) {
	check := c.Args
	if check == nil {
		return
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		err := check(cmd, args)
		if err != nil && !errors.Is(err, ErrUsage) {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		return err
	}
}

// logOptions are the logger options of the global flags.
func (e *env) logOptions() []logging.Option {
	if e.noColor {
		return []logging.Option{logging.WithoutColor()}
	}
	return nil
}

// usageErr wraps an argument problem as a usage error.
func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, a...))
}
