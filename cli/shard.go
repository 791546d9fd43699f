package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/scanner"
)

// Environment variables that give a shard its index (0-based) in the
// engines that run scan --shard auto/N.
const (
	// EnvJobCompletionIndex is set in every pod of a Kubernetes Indexed Job.
	// https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode
	EnvJobCompletionIndex = "JOB_COMPLETION_INDEX"
	// EnvBatchArrayIndex is set in every child job of an AWS Batch array job.
	// https://docs.aws.amazon.com/batch/latest/userguide/job_env_vars.html
	EnvBatchArrayIndex = "AWS_BATCH_JOB_ARRAY_INDEX"
)

// shardPlaceholder in --save-snapshot is replaced by the shard's index.
const shardPlaceholder = "{shard}"

// parseShard parses --shard: "K/N" (K from 1 to N) or "auto/N", where K is
// one more than the 0-based index that Kubernetes (JOB_COMPLETION_INDEX)
// or AWS Batch (AWS_BATCH_JOB_ARRAY_INDEX) gives the process.
func parseShard(spec string, lookupEnv func(string) (string, bool)) (*inventory.Shard, error) {
	k, n, ok := strings.Cut(spec, "/")
	if !ok {
		return nil, fmt.Errorf("--shard %q: want K/N (K from 1 to N) or auto/N", spec)
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 1 {
		return nil, fmt.Errorf("--shard %q: the shard count %q is not a positive integer", spec, n)
	}
	if k != "auto" {
		index, err := strconv.Atoi(k)
		if err != nil || index < 1 || index > count {
			return nil, fmt.Errorf("--shard %q: the shard %q is not an integer from 1 to %d", spec, k, count)
		}
		return &inventory.Shard{Index: index, Count: count}, nil
	}
	var from, value string
	for _, name := range []string{EnvJobCompletionIndex, EnvBatchArrayIndex} {
		v, set := lookupEnv(name)
		if !set || v == "" {
			continue
		}
		if from != "" && v != value {
			return nil, fmt.Errorf("--shard %s: %s=%s and %s=%s disagree", spec, from, value, name, v)
		}
		from, value = name, v
	}
	if from == "" {
		return nil, fmt.Errorf("--shard %s: neither %s (Kubernetes Indexed Job) nor %s (AWS Batch array job) is set; give the shard as K/N", spec, EnvJobCompletionIndex, EnvBatchArrayIndex)
	}
	index, err := strconv.Atoi(value)
	if err != nil || index < 0 || index >= count {
		return nil, fmt.Errorf("--shard %s: %s=%q is not an index from 0 to %d", spec, from, value, count-1)
	}
	return &inventory.Shard{Index: index + 1, Count: count}, nil
}

// shardFlags are scan's flags of a sharded scan.
type shardFlags struct {
	shard       string
	orgOnly     bool
	orgSnapshot string
}

func (s *shardFlags) register(f *pflag.FlagSet) {
	f.StringVar(&s.shard, "shard", "", "scan only shard K of N of the member accounts (K/N, K from 1 to N; auto/N: K from "+EnvJobCompletionIndex+" or "+EnvBatchArrayIndex+", plus 1); needs --save-snapshot, where "+shardPlaceholder+" stands for K; writes no reports (analyze merges the shards)")
	f.BoolVar(&s.orgOnly, "org-only", false, "walk the organisation only and save it with --save-snapshot, for the shards' --org-snapshot; scans no account")
	f.StringVar(&s.orgSnapshot, "org-snapshot", "", "read the organisation from this walk (saved by scan --org-only) instead of calling Organizations")
}

// shardScanOptions checks the sharding flags against each other and the
// configuration and turns them into scan options.
func shardScanOptions(ctx context.Context, store *outputStore, cfg *config.Config, f shardFlags, lookupEnv func(string) (string, bool)) (scanOptions, error) {
	var opts scanOptions
	if f.shard != "" {
		sh, err := parseShard(f.shard, lookupEnv)
		if err != nil {
			return opts, usageErr("%v", err)
		}
		opts.Shard = sh
	}
	switch {
	case f.orgOnly && (f.shard != "" || f.orgSnapshot != ""):
		return opts, usageErr("--org-only walks the organisation for the shards: it takes neither --shard nor --org-snapshot")
	case f.orgOnly && len(cfg.Accounts) > 0:
		return opts, usageErr("--org-only: the configuration scans an accounts: list, there is no organisation to walk")
	case f.orgSnapshot != "" && len(cfg.Accounts) > 0:
		return opts, usageErr("--org-snapshot: the configuration scans an accounts: list, which walks no organisation")
	}
	opts.OrgOnly = f.orgOnly
	if f.orgSnapshot != "" {
		doc, err := store.loadSnapshot(ctx, f.orgSnapshot)
		if err != nil {
			return opts, fmt.Errorf("%w: --org-snapshot: %v", ErrUsage, err)
		}
		if _, err := scanner.WalkFromSnapshot(doc, awsid.PartitionOf(cfg.Region)); err != nil {
			return opts, fmt.Errorf("%w: --org-snapshot %s: %v", ErrUsage, f.orgSnapshot, err)
		}
		opts.OrgSnapshot = doc
	}
	return opts, nil
}

// shardScanStatus ends a shard's scan or an organisation walk: their
// snapshot is the output. Exit 3 when it is incomplete.
func shardScanStatus(w io.Writer, doc *inventory.Document, opts scanOptions) error {
	what := "organisation walk"
	if opts.Shard != nil {
		what = fmt.Sprintf("shard %d/%d", opts.Shard.Index, opts.Shard.Count)
	}
	buckets := 0
	for _, a := range doc.Accounts {
		buckets += len(a.Buckets)
	}
	fmt.Fprintf(w, "%s\n%s: %d accounts, %d buckets\n", opts.SaveSnapshot, what, len(doc.Accounts), buckets)
	if !doc.Scan.Complete {
		return fmt.Errorf("%w: %s interrupted or could not read everything", ErrIncomplete, what)
	}
	return nil
}

// expandPatterns expands each argument that names no file but is a glob
// pattern (shard-*.json) into the files it matches, sorted; a pattern
// that matches nothing is an error.
func expandPatterns(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if _, err := os.Stat(a); err == nil || !strings.ContainsAny(a, "*?[") {
			out = append(out, a)
			continue
		}
		matches, err := filepath.Glob(a)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %v", a, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("pattern %q matches no file", a)
		}
		out = append(out, matches...) // sorted by filepath.Glob
	}
	return out, nil
}
