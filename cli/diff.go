package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/report"
)

// newDiffCmd is `bucketaudit diff OLD.json NEW.json [--fail-on SEVERITY]
// [--format text|json]`: what changed between two runs.
func newDiffCmd(e *env) *cobra.Command {
	var failOn, format string
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Compare two report.json files: new and resolved findings, changed verdicts, buckets and accounts added or removed",
		Long: `diff compares the report.json of an earlier run (OLD) with a later one (NEW)
and prints the findings that are new and those that were resolved, the matrix
cells whose verdict changed, and the buckets and accounts added or removed.

A finding is the same in both runs when its account, bucket, id, severity and
detail are equal.

Exit codes: 0 done; 1 a new finding is at or above --fail-on; 2 usage error or
a file that is not a readable report.json.`,
		Example: `  bucketaudit diff last-week/report.json report.json --fail-on high
  bucketaudit diff old.json new.json --format json > changes.json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErr("diff needs two report.json files (OLD NEW), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErr("--format: %q is not a diff format (want text or json)", format)
			}
			if failOn != "" {
				if err := report.CheckSeverity(failOn); err != nil {
					return usageErr("--fail-on: %v", err)
				}
			}
			old, err := report.LoadReport(args[0])
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			nw, err := report.LoadReport(args[1])
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			d := report.Compare(old, nw)
			d.Old.Name, d.New.Name = args[0], args[1]
			write := d.WriteText
			if format == "json" {
				write = d.WriteJSON
			}
			if err := write(cmd.OutOrStdout()); err != nil {
				return fmt.Errorf("write diff: %w", err)
			}
			if failOn == "" {
				return nil
			}
			if n := d.NewAtOrAbove(failOn); n > 0 {
				fmt.Fprintf(e.stderr, "diff: %d new findings at or above %s\n", n, failOn)
				return fmt.Errorf("%w: %d new at or above %s", ErrFindings, n, failOn)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 1 when a new finding is at or above this severity (critical, high, medium, low, info)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}
