package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/report"
)

// newAnalyzeCmd is `bucketaudit analyze SNAPSHOT... [--output-dir DIR]`:
// offline analysis of saved snapshots or fixtures.
func newAnalyzeCmd(e *env) *cobra.Command {
	var (
		outDir  string
		formats []string
		failOn  string
		mutes   string
		perCell int
	)
	var endpointURL, region string
	cmd := &cobra.Command{
		Use:   "analyze SNAPSHOT...",
		Short: "Compute the access matrix and findings of saved snapshots (offline)",
		Long: `analyze reads one or more inventory documents (snapshots saved by
'scan --save-snapshot', or fixtures), merges them into one organisation and
writes the reports (report.xlsx, report.json, ...) into --output-dir.
The shards of a sharded scan (scan --shard K/N) merge into the report of
one scan. Snapshots and reports may be s3://bucket/key locations, read and
written with the process's own AWS credentials. A pattern (shard-*.json) that names no file is expanded here, for
the engines that run analyze without a shell.

Exit codes: 0 done; 1 findings at or above --fail-on; 2 usage error or an
unreadable snapshot; 3 the reports were written but some account or bucket
could not be fully assessed; 4 the reports could not be written (a full disk).`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("analyze needs at least one snapshot file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := report.CheckFormats(formats); err != nil {
				return usageErr("--format: %v", err)
			}
			if err := checkPrincipalsPerCell(perCell); err != nil {
				return err
			}
			if failOn != "" && !validSeverity(failOn) {
				return usageErr("--fail-on: %q is not a severity (want %s)", failOn, model.SeverityNames())
			}
			store := newOutputStore(endpointURL, region)
			args, err := store.expand(cmd.Context(), args)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			docs := make([]*inventory.Document, 0, len(args))
			for _, path := range args {
				doc, err := store.loadSnapshot(cmd.Context(), path)
				if err != nil {
					return err
				}
				docs = append(docs, doc)
			}
			doc, err := inventory.Merge(docs, args)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			muter, err := e.loadMutelist(mutes)
			if err != nil {
				return err
			}
			e.log.Info().Int("snapshots", len(args)).Int("accounts", len(doc.Accounts)).Msg("analysing")
			out, err := store.writeReports(cmd.Context(), doc, args, outDir, formats, analysis{mutes: muter, perCell: perCell}, e.layout())
			if err != nil {
				return err
			}
			if !e.quiet {
				printAnalysis(cmd.OutOrStdout(), out.report, out.paths)
			}
			return analysisStatus(out.report, failOn)
		},
	}
	cmd.Flags().StringVar(&outDir, "output-dir", ".", "directory the reports are written to, or s3://bucket/prefix")
	cmd.Flags().StringVar(&endpointURL, "endpoint-url", "", "send the s3:// reads and writes to this URL (e.g. fakeaws)")
	cmd.Flags().StringVar(&region, "region", "", "region of the s3:// snapshots and reports (default: the SDK's, else us-east-1)")
	cmd.Flags().StringSliceVar(&formats, "format", []string{report.FormatXLSX, report.FormatJSON}, "report formats: xlsx, json, csv, ocsf (comma-separated; ocsf writes report.ocsf.jsonl)")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 1 when a finding is at or above this severity (critical, high, medium, low, info)")
	cmd.Flags().StringVar(&mutes, "mutelist", "", "file of accepted findings: marked muted in the reports, not counted for --fail-on")
	principalsPerCellFlag(cmd.Flags(), &perCell, "")
	return cmd
}

func validSeverity(s string) bool { return model.Severity(s).Valid() }

// printAnalysis prints the paths written and a two-line summary.
func printAnalysis(w interface{ Write([]byte) (int, error) }, rep *model.Report, paths []string) {
	for _, p := range paths {
		fmt.Fprintln(w, p)
	}
	s := rep.Summary
	// Two lines, within 80 columns.
	fmt.Fprintf(w, "%d accounts, %d buckets: %d public, %d external, %d org, %d private, %d unknown\nfindings: %d critical, %d high, %d medium, %d low, %d info; %d not fully assessed\n",
		s.Accounts, s.Buckets,
		s.BucketsByExposure[model.ExposurePublic], s.BucketsByExposure[model.ExposureExternal], s.BucketsByExposure[model.ExposureOrg],
		s.BucketsByExposure[model.ExposurePrivate], s.BucketsByExposure[model.ExposureUnknown],
		s.FindingsBySeverity[model.SeverityCritical], s.FindingsBySeverity[model.SeverityHigh], s.FindingsBySeverity[model.SeverityMedium],
		s.FindingsBySeverity[model.SeverityLow], s.FindingsBySeverity[model.SeverityInfo], s.Incomplete)
	muted := 0
	for _, n := range s.MutedBySeverity {
		muted += n
	}
	if muted > 0 {
		fmt.Fprintf(w, "%d of these findings are muted by the mutelist (accepted; they do not count for --fail-on)\n", muted)
	}
}

// analysisStatus turns the report into the command's exit status: findings
// at or above failOn first, then incompleteness.
func analysisStatus(rep *model.Report, failOn string) error {
	if failOn != "" {
		for sev, n := range rep.Summary.FindingsBySeverity {
			// Muted findings are accepted: they do not fail the run.
			if n-rep.Summary.MutedBySeverity[sev] > 0 && sev.AtLeast(model.Severity(failOn)) {
				return fmt.Errorf("%w (%s)", ErrFindings, failOn)
			}
		}
	}
	if rep.Summary.Incomplete > 0 {
		return fmt.Errorf("%w: %d accounts or buckets", ErrIncomplete, rep.Summary.Incomplete)
	}
	return nil
}
