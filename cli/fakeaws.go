package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/internal/fileutil"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// fakeAWSFlags are the flags of `bucketaudit fakeaws`.
type fakeAWSFlags struct {
	fixture   string
	listen    string
	latency   time.Duration
	statsFile string
	pageSize  int
	outBucket string
}

func newFakeAWSCmd(e *env) *cobra.Command {
	var f fakeAWSFlags
	cmd := &cobra.Command{
		Use:   "fakeaws --fixture FILE|synthetic:accounts=N,buckets=M",
		Short: "Serve an organisation over the AWS wire protocols on loopback (AWS emulator)",
		Long: `fakeaws serves an inventory document (a fixture or a snapshot) as AWS would:
Organizations, STS, S3, S3 Control, KMS, IAM and EC2 over their real wire protocols,
for the unmodified AWS SDKs and the AWS CLI (--endpoint-url, or HTTP_PROXY for S3 Control).
It prints "listening on http://127.0.0.1:PORT" as its first line and serves until
interrupted (SIGINT/SIGTERM).

Management credentials: the fixture's organization.management_credentials, or any
access key (e.g. ` + fakeaws.DefaultAccessKeyID + ` / ` + fakeaws.DefaultSecretAccessKey + `).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFakeAWS(cmd, e, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.fixture, "fixture", "", "inventory document to serve (YAML or JSON), or synthetic:accounts=N,buckets=M[,roles=R]")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:0", "address to listen on")
	fl.DurationVar(&f.latency, "latency", 0, "latency added to every request (overrides the fixture's faults.latency)")
	fl.StringVar(&f.statsFile, "stats-file", "", "write request counts as JSON to this file on exit")
	fl.IntVar(&f.pageSize, "page-size", fakeaws.DefaultPageSize, "largest page of every list operation (S3 ListBuckets honours max-buckets)")
	fl.StringVar(&f.outBucket, "output-bucket", "", "a bucket outside the fixture that accepts PutObject, GetObject and ListObjectsV2 (not from the audit role): where s3:// snapshots and reports go")
	return cmd
}

func runFakeAWS(cmd *cobra.Command, e *env, f *fakeAWSFlags) error {
	if f.fixture == "" {
		return usageErr("--fixture is required (a file or synthetic:accounts=N,buckets=M)")
	}
	if f.latency < 0 {
		return usageErr("--latency must not be negative")
	}
	if f.pageSize < 1 {
		return usageErr("--page-size must be at least 1")
	}
	doc, err := loadFixture(f.fixture)
	if err != nil {
		return err
	}
	srv, err := fakeaws.New(doc, fakeaws.Options{Latency: f.latency, Log: e.log, PageSize: f.pageSize, OutputBucket: f.outBucket})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	url, err := srv.Listen(f.listen)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if _, err := fmt.Fprintf(e.stdout, "listening on %s\n", url); err != nil {
		srv.Close()
		return fmt.Errorf("write to stdout: %w", err)
	}
	e.log.Info().Str("url", url).Int("accounts", len(doc.Accounts)).Msg("fakeaws serving")
	<-cmd.Context().Done()
	closeErr := srv.Close()
	st := srv.Stats()
	e.log.Info().Int64("requests", st.Requests).Msg("fakeaws stopped")
	if f.statsFile != "" {
		data, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			return fmt.Errorf("encode stats: %w", err)
		}
		if err := fileutil.WriteFileAtomic(f.statsFile, append(data, '\n')); err != nil {
			return fmt.Errorf("write stats file: %w", err)
		}
	}
	if closeErr != nil {
		return fmt.Errorf("stop fakeaws: %w", closeErr)
	}
	return nil
}

// loadFixture reads --fixture: a file, or synthetic:accounts=N,buckets=M.
func loadFixture(spec string) (*inventory.Document, error) {
	rest, ok := strings.CutPrefix(spec, "synthetic:")
	if !ok {
		doc, err := inventory.Load(spec)
		if err != nil {
			return nil, fmt.Errorf("%w: --fixture: %v", ErrUsage, err)
		}
		return doc, nil
	}
	o, err := parseSynthetic(rest)
	if err != nil {
		return nil, usageErr("--fixture %s: %v (want synthetic:accounts=N,buckets=M[,roles=R])", spec, err)
	}
	return fakeaws.SyntheticWith(o), nil
}

// parseSynthetic parses "accounts=N,buckets=M[,roles=R]".
func parseSynthetic(s string) (fakeaws.SyntheticOptions, error) {
	accounts, buckets, roles := 0, 0, 0
	fail := func(format string, args ...any) (fakeaws.SyntheticOptions, error) {
		return fakeaws.SyntheticOptions{}, fmt.Errorf(format, args...)
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fail("%q is not key=value", part)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return fail("%s=%q is not a count from 0 to 1000000", k, v)
		}
		if seen[k] {
			return fail("%s given twice", k)
		}
		seen[k] = true
		switch k {
		case "accounts":
			accounts = n
		case "buckets":
			buckets = n
		case "roles":
			if n > 1000 {
				return fail("roles=%d must not exceed 1000", n)
			}
			roles = n
		default:
			return fail("unknown parameter %q", k)
		}
	}
	if !seen["accounts"] || !seen["buckets"] {
		return fail("both accounts and buckets are required")
	}
	if accounts*max(buckets, 1) > 5_000_000 {
		return fail("accounts × buckets must not exceed 5000000")
	}
	return fakeaws.SyntheticOptions{Accounts: accounts, Buckets: buckets, Roles: roles}, nil
}
