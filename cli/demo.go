package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/demo"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/report"
)

// demoSource names the demo run in the reports' scan sources.
const demoSource = "bucketaudit demo (built-in organisation served by fakeaws)"

// newDemoCmd is `bucketaudit demo [--output-dir DIR]`: the whole product on
// a built-in organisation, with no AWS account.
func newDemoCmd(e *env) *cobra.Command {
	var outDir string
	var perCell int
	cmd := &cobra.Command{
		Use:   "demo [--output-dir DIR]",
		Short: "Scan a built-in demo organisation (in-process AWS emulator) and write its reports",
		Long: `demo starts the fakeaws emulator in this process on 127.0.0.1 with a built-in
organisation built around the classic causes of S3 403s and exposures,
scans it through the real AWS SDK exactly as 'scan' does, and writes
report.xlsx and report.json into --output-dir. It needs no AWS account, no
network and no configuration, and never reads your AWS credentials.

The demo organisation contains unreadable layers on purpose (an AccessDenied
bucket policy, a KMS key policy the audit role cannot read), so some cells
are 'unknown': that is the expected result, and demo exits 0. It exits 3
only when interrupted before the scan finished, and 4 when it failed (the
reports could not be written).`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErr("demo takes no arguments (got %q)", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkPrincipalsPerCell(perCell); err != nil {
				return err
			}
			return e.runDemo(cmd.Context(), cmd.OutOrStdout(), outDir, perCell)
		},
	}
	cmd.Flags().StringVar(&outDir, "output-dir", "bucketaudit-demo", "directory the reports are written to")
	principalsPerCellFlag(cmd.Flags(), &perCell, "")
	return cmd
}

// runDemo serves the demo organisation, scans it and writes the reports.
// perCell caps the principals a cell lists (0: all).
func (e *env) runDemo(ctx context.Context, w io.Writer, outDir string, perCell int) error {
	doc, err := inventory.Parse(demo.Fixture(), "demo/org.yaml")
	if err != nil {
		return fmt.Errorf("load the demo organisation: %w", err)
	}
	srv, err := fakeaws.New(doc, fakeaws.Options{Log: e.log.With().Str("component", "fakeaws").Logger()})
	if err != nil {
		return fmt.Errorf("start the emulator: %w", err)
	}
	url, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start the emulator: %w", err)
	}
	defer srv.Close()
	e.log.Info().Str("endpoint_url", url).Msg("demo organisation served by fakeaws")

	cfg, creds, err := demoConfig(doc, url, outDir)
	if err != nil {
		return err
	}
	cfg.Outputs.PrincipalsPerCell = perCell
	overlap := newOverlapRun([]string{demoSource}, cfg.Outputs.Dir, cfg.Outputs.Formats, analysis{perCell: cfg.Outputs.PrincipalsPerCell}, e.layout(), cfg.Collect.IAM, e.log)
	snap, _, err := e.runScan(ctx, cfg, scanOptions{Credentials: creds, Overlap: overlap})
	if err != nil {
		if snap != nil {
			overlap.abort()
		}
		return fmt.Errorf("scan the demo organisation: %w", err)
	}
	out, err := overlap.finish(snap)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "bucketaudit demo: scanned the built-in organisation through the AWS SDK\nagainst fakeaws (%s, %d API calls)\n\n",
		url, srv.Stats().Requests)
	if err := printRunSummary(w, out); err != nil {
		return fmt.Errorf("print summary: %w", err)
	}
	if snap.Scan != nil && snap.Scan.Interrupted {
		return fmt.Errorf("%w: the demo scan was interrupted", ErrIncomplete)
	}
	fmt.Fprintln(w, "\nUnknown cells and the Errors sheet are expected: the demo organisation denies")
	fmt.Fprintln(w, "the audit role some reads on purpose.")
	fmt.Fprintln(w, "Open report.xlsx (Summary, Heatmap, Matrix, Findings), or compare two runs with:")
	fmt.Fprintln(w, "  bucketaudit diff OLD.json NEW.json")
	return nil
}

// demoConfig is the scan configuration of the demo: the defaults, pointed at
// the emulator, with the fixture's audit role, the demo's trusted partners
// and the emulator's management credentials (never the user's).
func demoConfig(doc *inventory.Document, url, outDir string) (*config.Config, aws.CredentialsProvider, error) {
	cfg := config.Default()
	cfg.EndpointURL = url
	cfg.Outputs = config.Outputs{Dir: outDir, Formats: []string{report.FormatXLSX, report.FormatJSON}}
	for _, a := range doc.Accounts {
		if a.AuditRole != nil {
			cfg.AuditRole.Name = a.AuditRole.Name
			if a.AuditRole.Path != "" {
				cfg.AuditRole.Path = a.AuditRole.Path
			}
			cfg.AuditRole.ExternalID = a.AuditRole.ExternalID
			break
		}
	}
	trusted := demo.TrustedAccounts()
	for _, id := range slices.Sorted(maps.Keys(trusted)) {
		cfg.TrustedAccounts = append(cfg.TrustedAccounts, config.TrustedAccount{ID: id, Name: trusted[id]})
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("demo configuration: %w", err)
	}
	key, secret := fakeaws.DefaultAccessKeyID, fakeaws.DefaultSecretAccessKey
	if mc := doc.Organization; mc != nil && mc.ManagementCredentials != nil {
		key, secret = mc.ManagementCredentials.AccessKeyID, mc.ManagementCredentials.SecretAccessKey
	}
	return cfg, credentials.NewStaticCredentialsProvider(key, secret, ""), nil
}
