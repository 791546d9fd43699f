package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/report"
)

// newDiffCmd is `bucketaudit diff OLD.json NEW.json [--fail-on SEVERITY]
// [--format text|json]`: what changed between two runs.
func newDiffCmd(e *env) *cobra.Command {
	var (
		failOn, format  string
		allowIncomplete bool
	)
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Compare two report.json files: new and resolved findings, changed verdicts, buckets and accounts added or removed",
		Long: `diff compares the report.json of an earlier run (OLD) with a later one (NEW)
and prints the findings that are new and those that were resolved, the matrix
cells whose verdict changed, and the buckets and accounts added or removed.

A finding is the same in both runs when its account, bucket, id, severity and
detail are equal.

When either report is incomplete (its scan was interrupted or could not read
everything: scan.complete false in report.json), diff says so on stderr and at
the top of its output: a finding that looks resolved may only be unreadable.
With --fail-on it then exits 3, unless --allow-incomplete.

Exit codes: 0 done; 1 a new finding is at or above --fail-on; 2 usage error or
a file that is not a readable report.json; 3 with --fail-on, either report is
incomplete (and no new finding is at or above it); 4 the output could not be
written.`,
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
			for _, w := range d.Warnings() {
				fmt.Fprintln(e.stderr, "diff: "+w)
			}
			if failOn == "" {
				return nil
			}
			if n := d.NewAtOrAbove(failOn); n > 0 {
				fmt.Fprintf(e.stderr, "diff: %d new findings at or above %s\n", n, failOn)
				return fmt.Errorf("%w: %d new at or above %s", ErrFindings, n, failOn)
			}
			if d.Incomplete() && !allowIncomplete {
				fmt.Fprintln(e.stderr, "diff: an incomplete report cannot show that nothing got worse: exit 3 (--allow-incomplete to accept it)")
				return fmt.Errorf("%w: a compared report is incomplete", ErrIncomplete)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 1 when a new finding is at or above this severity (critical, high, medium, low, info)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&allowIncomplete, "allow-incomplete", false, "with --fail-on, exit 0 (not 3) when a report is incomplete and no new finding is at or above the threshold")
	return cmd
}
