package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/internal/logging"
	"github.com/bucketaudit/bucketaudit/internal/version"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/scanner"
)

// collectionGCPercent is the GC target during collection (GOGC, unless the
// environment sets one). The live heap is the snapshot, a few tens of MB
// per 5,000 buckets, so the peak stays well within the memory budget.
const collectionGCPercent = 300

// scanOptions tune runScan beyond the configuration.
type scanOptions struct {
	// Credentials replace the SDK's default chain (demo: the emulator's
	// management credentials). nil: default chain / cfg.Profile.
	Credentials aws.CredentialsProvider
	// HTTPClient replaces the SDK's HTTP client when set.
	HTTPClient aws.HTTPClient
	// SaveSnapshot, when set, is where the snapshot is written (atomically,
	// 0600; .json, .yaml or .yml), before any analysis.
	SaveSnapshot string
	// NoProgress turns the progress bar off even on a terminal.
	NoProgress bool
	// MFATokenCode answers the MFA prompt of a role profile.
	MFATokenCode string
	// Shard, OrgSnapshot and OrgOnly are scanner.Options' (scan --shard,
	// --org-snapshot, --org-only).
	Shard       *inventory.Shard
	OrgSnapshot *inventory.Document
	OrgOnly     bool
	// Store saves the snapshot (s3:// too); nil: a local file only.
	Store *outputStore
	// Overlap, when set, analyses the accounts while the scan goes on: it
	// is started once the preflight passed, and aborted when runScan
	// returns no document; the caller finishes it.
	Overlap *overlapRun
}

// newSession makes the read-only session of cfg (with the MFA code of
// --mfa-token-code, or asked for on a terminal) and records the home region
// it resolved in cfg when neither the file nor a flag set one.
func (e *env) newSession(ctx context.Context, cfg *config.Config, opts scanOptions, log zerolog.Logger) (*scanner.Session, error) {
	sessOpts := scanner.SessionOptionsFrom(cfg, log)
	sessOpts.Credentials = opts.Credentials
	sessOpts.HTTPClient = opts.HTTPClient
	sessOpts.MFATokenCode = opts.MFATokenCode
	if f, ok := e.stdin.(*os.File); ok && logging.IsTerminal(f) {
		sessOpts.MFAPrompt = mfaPrompt(f, e.stderr)
	}
	sess, err := scanner.NewSession(ctx, sessOpts)
	if err != nil {
		return nil, err
	}
	cfg.SetHomeRegion(sess.Region())
	return sess, nil
}

// checkMFACode checks --mfa-token-code: six digits, as AssumeRole's
// TokenCode (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
func checkMFACode(code string) error {
	if code == "" {
		return nil
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return usageErr("--mfa-token-code: want the six digits the MFA device shows")
	}
	return nil
}

// mfaPrompt asks for an MFA code on out and reads it from in.
func mfaPrompt(in io.Reader, out io.Writer) func() (string, error) {
	return func() (string, error) {
		fmt.Fprint(out, "MFA code: ")
		line, err := bufio.NewReader(in).ReadString('\n')
		if code := strings.TrimSpace(line); code != "" {
			return code, nil
		}
		if err == nil {
			err = errors.New("no code given")
		}
		return "", fmt.Errorf("read the MFA code: %w", err)
	}
}

// runScan is the whole collection path of `scan`, shared with `demo`: it
// checks the outputs and the credentials and endpoint first (preflight),
// builds the read-only session, walks the organisation, scans every
// account in scope (with a progress bar when stderr is a terminal) and
// saves the snapshot when asked. It returns the snapshot even when the
// scan was interrupted (ScanInfo.Interrupted) or incomplete. A nil
// document and an error: nothing to report (the preflight failed, or no
// account was assessed: ErrFailed, with a *scanner.Failure that says why).
// A document and an error: the snapshot could not be saved at its path
// (see saveSnapshot); the reports can still be written.
func (e *env) runScan(ctx context.Context, cfg *config.Config, opts scanOptions) (*inventory.Document, *scanner.Session, error) {
	if err := checkOutputs(cfg.Outputs.Dir, opts.SaveSnapshot); err != nil {
		return nil, nil, err
	}
	log := e.log
	var bars *scanProgress
	// The bars render once the session is made: a role profile's MFA
	// prompt needs the terminal first.
	start := make(chan any)
	if !opts.NoProgress && !e.quiet && logging.IsTerminal(e.stderr) && os.Getenv("TERM") != "dumb" {
		bars = newScanProgress(ctx, e.stderr, start)
		// Logs go through the progress container so they print above the bars.
		format := e.logFormat
		if format == "auto" {
			format = "console"
		}
		if l, err := logging.New(bars.logs, format, e.logLevel, e.logOptions()...); err == nil {
			log = l
		}
	}
	sess, err := e.newSession(ctx, cfg, opts, log)
	close(start)
	if err != nil {
		bars.stop()
		return nil, nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	id, err := sess.Preflight(ctx)
	if err != nil {
		sess.Close()
		bars.stop()
		return nil, sess, fmt.Errorf("scan %w: %w", ErrFailed, err)
	}
	sopts := scanner.Options{Session: sess, Config: cfg, ToolVersion: version.String(), Log: log,
		Shard: opts.Shard, OrgSnapshot: opts.OrgSnapshot, OrgOnly: opts.OrgOnly}
	if bars != nil {
		sopts.Progress = bars
	}
	if opts.Overlap != nil {
		// Ctrl-C ends the scan, not the writing of what it collected.
		if err := opts.Overlap.start(context.WithoutCancel(ctx)); err != nil {
			sess.Close()
			bars.stop()
			return nil, sess, err
		}
		sopts.Collected = opts.Overlap
	}
	log.Info().Str("config", cfg.File()).Str("region", cfg.Region).Str("endpoint_url", cfg.EndpointURL).Str("caller", id.ARN).Int("requests_in_flight", cfg.Concurrency.Requests).Msg("scan started")
	if os.Getenv("GOGC") == "" {
		// Collection makes much short-lived garbage per API call over a
		// small live heap (the snapshot): a higher GC target spends less CPU
		// on collections, which would otherwise delay the calls in flight.
		defer debug.SetGCPercent(debug.SetGCPercent(collectionGCPercent))
	}
	doc := scanner.Scan(ctx, sopts)
	sess.Close()
	bars.stop()
	logScanEnd(e.log, doc, sess)
	if f := sess.AssessmentFailure(doc); f != nil {
		// Nothing was assessed: no reports and no snapshot, so those of
		// the previous run stay in place.
		opts.Overlap.abort()
		return nil, sess, fmt.Errorf("scan %w: %w", ErrFailed, f)
	}
	if opts.SaveSnapshot != "" {
		if err := e.saveScanSnapshot(ctx, doc, opts, cfg.Outputs.Dir); err != nil {
			return doc, sess, err
		}
	}
	return doc, sess, nil
}

func logScanEnd(log zerolog.Logger, doc *inventory.Document, sess *scanner.Session) {
	buckets := 0
	for _, a := range doc.Accounts {
		buckets += len(a.Buckets)
	}
	ev := log.Info()
	if !doc.Scan.Complete {
		ev = log.Warn()
	}
	msg := "scan finished"
	if doc.Scan.Interrupted {
		msg = "scan interrupted: keeping what was collected, marked incomplete"
	}
	ev.Int("accounts", len(doc.Accounts)).Int("buckets", buckets).Int64("api_calls", sess.TotalCalls()).
		Bool("complete", doc.Scan.Complete).Str("took", doc.Scan.FinishedAt.Sub(doc.Scan.StartedAt).Round(time.Millisecond).String()).Msg(msg)
}

// newScanCmd is `bucketaudit scan --config FILE [--endpoint-url URL]
// [--output-dir DIR] [--format ...] [--save-snapshot FILE] [--fail-on SEVERITY]`.
func newScanCmd(e *env) *cobra.Command {
	var (
		cfgPath  string
		ov       config.Overrides
		snapshot string
		failOn   string
		noProg   bool
		mfaCode  string
		perCell  int
	)
	var shards shardFlags
	cmd := &cobra.Command{
		Use:   "scan --config FILE",
		Short: "Scan the organisation's S3 access and write the reports",
		Long: `scan reads AWS Organizations with the scanning credentials (the SDK's
default chain, or --profile), assumes the read-only audit role in every
account in scope, collects every layer that can allow or deny S3 access and
writes the reports (and, with --save-snapshot, the raw snapshot).

Before collecting anything, scan checks that the output directory and the
--save-snapshot path are writable, that the scanning credentials resolve
and that the endpoint answers (sts:GetCallerIdentity).

Exit codes: 0 done; 1 findings at or above --fail-on; 2 usage or
configuration error (a bad flag or key, an output path that cannot be
written); 3 finished (or interrupted with Ctrl-C) but some account or
bucket could not be fully assessed; 4 failed: no account could be assessed
(no credentials, an expired SSO session, a TLS error, a dead endpoint, the
audit role nowhere assumable: the error says why and what to do), in which
case no report is written and those of an earlier run stay as they were,
or an output could not be written (if the --save-snapshot path fails, the
snapshot goes into the output directory instead; if the reports cannot
be written and no snapshot was saved, the snapshot goes into the output
directory, or the temporary directory, as snapshot-<UTC time>.json, and
the error says where). Failures take precedence
over findings at or above --fail-on, which take precedence over
incompleteness.

A sharded scan splits the member accounts over N processes: scan
--org-only --save-snapshot org.json walks the organisation once; each of
scan --shard K/N --org-snapshot org.json --save-snapshot shard-K.json
scans the accounts of shard K (auto/N takes K from JOB_COMPLETION_INDEX
or AWS_BATCH_JOB_ARRAY_INDEX); analyze shard-*.json merges them into the
report of one scan.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if failOn != "" && !validSeverity(failOn) {
				return usageErr("--fail-on: %q is not a severity (want %s)", failOn, model.SeverityNames())
			}
			if cfgPath == "" {
				return usageErr("--config is required (see config.example.yaml)")
			}
			if err := checkMFACode(mfaCode); err != nil {
				return err
			}
			if cmd.Flags().Changed("principals-per-cell") {
				ov.PrincipalsPerCell = &perCell
			}
			cfg, err := config.Load(cfgPath, ov, os.LookupEnv)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			muter, err := e.loadMutelist(cfg.Mutelist)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			store := newOutputStore(cfg.EndpointURL, cfg.Region)
			sopts, err := shardScanOptions(ctx, store, cfg, shards, os.LookupEnv)
			if err != nil {
				return err
			}
			sopts.Store = store
			if (sopts.Shard != nil || sopts.OrgOnly) && snapshot == "" {
				return usageErr("--shard and --org-only write a snapshot, not reports: give --save-snapshot FILE")
			}
			sopts.SaveSnapshot, sopts.NoProgress, sopts.MFATokenCode = snapshot, noProg, mfaCode
			if sopts.Shard != nil {
				sopts.SaveSnapshot = strings.ReplaceAll(snapshot, shardPlaceholder, strconv.Itoa(sopts.Shard.Index))
			}
			var overlap *overlapRun
			if sopts.Shard == nil && !sopts.OrgOnly && !strings.HasPrefix(cfg.Outputs.Dir, s3Scheme) {
				// The reports are written while the scan goes on.
				overlap = newOverlapRun([]string{cfg.File()}, cfg.Outputs.Dir, cfg.Outputs.Formats, analysis{mutes: muter, perCell: cfg.Outputs.PrincipalsPerCell}, e.layout(), cfg.Collect.IAM, e.log)
				sopts.Overlap = overlap
			}
			doc, _, err := e.runScan(ctx, cfg, sopts)
			if doc == nil {
				return err
			}
			snapErr := err
			if sopts.Shard != nil || sopts.OrgOnly {
				// A shard's reports would be partial, a walk has none: the
				// snapshot is the output (analyze merges the shards).
				if snapErr != nil {
					return snapErr
				}
				return shardScanStatus(cmd.OutOrStdout(), doc, sopts)
			}
			var out *written
			if overlap != nil {
				out, err = overlap.finish(doc)
			} else {
				// Ctrl-C ends the scan, not the writing of what it collected.
				out, err = store.writeReports(context.WithoutCancel(ctx), doc, []string{cfg.File()}, cfg.Outputs.Dir, cfg.Outputs.Formats, analysis{mutes: muter, perCell: cfg.Outputs.PrincipalsPerCell}, e.layout())
			}
			if err != nil {
				if snapshot != "" && snapErr == nil {
					return fmt.Errorf("%w (the snapshot was saved: bucketaudit analyze %s --output-dir DIR writes them from it)", err, snapshot)
				}
				if snapshot == "" {
					// Nothing collected may be lost with the reports.
					saved, serr := saveEmergencySnapshot(e.log, doc, cfg.Outputs.Dir, time.Now())
					if serr != nil {
						return fmt.Errorf("%w (and the collected snapshot could not be saved: %w)", err, serr)
					}
					return fmt.Errorf("%w (the collected snapshot was saved to %s: bucketaudit analyze %s --output-dir DIR writes the reports from it)", err, saved, saved)
				}
				return errors.Join(err, snapErr)
			}
			if !e.quiet {
				printAnalysis(cmd.OutOrStdout(), out.report, out.paths)
			}
			if snapErr != nil {
				return snapErr
			}
			if err := analysisStatus(out.report, failOn); err != nil {
				return err
			}
			if !doc.Scan.Complete {
				return fmt.Errorf("%w: the scan was interrupted or could not read everything", ErrIncomplete)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfgPath, "config", "", "scan configuration (YAML; see config.example.yaml)")
	f.StringVar(&ov.EndpointURL, "endpoint-url", "", "send every AWS call to this URL (e.g. fakeaws); overrides endpoint_url")
	f.StringVar(&ov.OutputDir, "output-dir", "", "directory of the reports, or s3://bucket/prefix; overrides outputs.dir")
	f.StringSliceVar(&ov.Formats, "format", nil, "report formats: xlsx, json, csv (comma-separated); overrides outputs.formats")
	f.StringVar(&ov.Profile, "profile", "", "shared-config profile of the scanning credentials; overrides profile")
	f.StringVar(&ov.Region, "region", "", "home region of the global services; overrides region")
	f.StringVar(&snapshot, "save-snapshot", "", "also write the collected inventory to FILE (.json, .yaml or .yml; or s3://bucket/key.json)")
	f.StringVar(&failOn, "fail-on", "", "exit 1 when a finding is at or above this severity (critical, high, medium, low, info)")
	f.BoolVar(&noProg, "no-progress", false, "no progress bar, even on a terminal")
	f.StringVar(&mfaCode, "mfa-token-code", "", "MFA code for a profile whose role has an mfa_serial (asked for on a terminal otherwise)")
	principalsPerCellFlag(f, &perCell, "; overrides outputs.principals_per_cell")
	f.StringVar(&ov.Mutelist, "mutelist", "", "file of accepted findings: marked muted in the reports, not counted for --fail-on; overrides mutelist")
	f.StringSliceVar(&ov.Accounts, "accounts", nil, "scan only these account IDs (comma-separated); replaces scope.include_accounts")
	f.StringSliceVar(&ov.ExcludeAccounts, "exclude-accounts", nil, "also leave out these account IDs (comma-separated); added to scope.exclude_accounts")
	f.StringSliceVar(&ov.Regions, "regions", nil, "scan only buckets in these regions (comma-separated); replaces scope.regions")
	shards.register(f)
	return cmd
}

// scanProgress shows accounts and buckets with rate and ETA (mpb).
type scanProgress struct {
	p *mpb.Progress
	// logs is where the scan logs while the bars show: above them, then
	// (once stop is called or Ctrl-C closed the container) straight to
	// the terminal.
	logs                        *logging.SwitchWriter
	accounts, buckets           *mpb.Bar
	accountsTotal, bucketsTotal atomic.Int64
}

// newScanProgress starts rendering when start is closed.
func newScanProgress(ctx context.Context, w io.Writer, start <-chan any) *scanProgress {
	p := mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRenderDelay(start))
	bar := func(name string) *mpb.Bar {
		return p.AddBar(0,
			mpb.PrependDecorators(decor.Name(name, decor.WC{W: 9, C: decor.DindentRight}), decor.CountersNoUnit("%d / %d", decor.WCSyncWidth)),
			mpb.AppendDecorators(decor.AverageSpeed(0, "%.1f/s", decor.WCSyncSpace), decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO)),
		)
	}
	return &scanProgress{p: p, logs: logging.NewSwitchWriter(p, w), accounts: bar("accounts"), buckets: bar("buckets")}
}

// stop completes the bars and waits for the last render; nil-safe.
func (s *scanProgress) stop() {
	if s == nil {
		return
	}
	s.logs.Switch() // no log line may reach the container once it is closed
	s.accounts.SetTotal(-1, true)
	s.buckets.SetTotal(-1, true)
	s.p.Wait()
}

func (s *scanProgress) AccountsFound(n int) {
	s.accounts.SetTotal(s.accountsTotal.Add(int64(n)), false)
}
func (s *scanProgress) AccountDone() { s.accounts.Increment() }

// BucketsFound grows the total as each account's buckets are listed.
func (s *scanProgress) BucketsFound(n int) {
	s.buckets.SetTotal(s.bucketsTotal.Add(int64(n)), false)
}
func (s *scanProgress) BucketDone() { s.buckets.Increment() }
