package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"sort"

	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/inventory"
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
			if failOn != "" && !validSeverity(failOn) {
				return usageErr("--fail-on: %q is not a severity (want %s)", failOn, access.SeverityNames())
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
			doc, err := mergeDocuments(docs, args)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			muter, err := e.loadMutelist(mutes)
			if err != nil {
				return err
			}
			e.log.Info().Int("snapshots", len(args)).Int("accounts", len(doc.Accounts)).Msg("analysing")
			out, err := store.writeReports(cmd.Context(), doc, args, outDir, formats, muter, e.layout())
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
	cmd.Flags().StringSliceVar(&formats, "format", []string{report.FormatXLSX, report.FormatJSON}, "report formats: xlsx, json, csv (comma-separated)")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 1 when a finding is at or above this severity (critical, high, medium, low, info)")
	cmd.Flags().StringVar(&mutes, "mutelist", "", "file of accepted findings: marked muted in the reports, not counted for --fail-on")
	return cmd
}

func validSeverity(s string) bool { return access.Severity(s).Valid() }

// printAnalysis prints the paths written and a two-line summary.
func printAnalysis(w interface{ Write([]byte) (int, error) }, rep *access.Report, paths []string) {
	for _, p := range paths {
		fmt.Fprintln(w, p)
	}
	s := rep.Summary
	// Two lines, within 80 columns.
	fmt.Fprintf(w, "%d accounts, %d buckets: %d public, %d external, %d org, %d private, %d unknown\nfindings: %d critical, %d high, %d medium, %d low, %d info; %d not fully assessed\n",
		s.Accounts, s.Buckets,
		s.BucketsByExposure[access.ExposurePublic], s.BucketsByExposure[access.ExposureExternal], s.BucketsByExposure[access.ExposureOrg],
		s.BucketsByExposure[access.ExposurePrivate], s.BucketsByExposure[access.ExposureUnknown],
		s.FindingsBySeverity[access.SeverityCritical], s.FindingsBySeverity[access.SeverityHigh], s.FindingsBySeverity[access.SeverityMedium],
		s.FindingsBySeverity[access.SeverityLow], s.FindingsBySeverity[access.SeverityInfo], s.Incomplete)
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
func analysisStatus(rep *access.Report, failOn string) error {
	if failOn != "" {
		for sev, n := range rep.Summary.FindingsBySeverity {
			// Muted findings are accepted: they do not fail the run.
			if n-rep.Summary.MutedBySeverity[sev] > 0 && sev.AtLeast(access.Severity(failOn)) {
				return fmt.Errorf("%w (%s)", ErrFindings, failOn)
			}
		}
	}
	if rep.Summary.Incomplete > 0 {
		return fmt.Errorf("%w: %d accounts or buckets", ErrIncomplete, rep.Summary.Incomplete)
	}
	return nil
}

// mergeDocuments merges inventory documents (e.g. snapshots of different
// regions or account sets of one organisation) into one. Accounts are
// united by ID, and within an account buckets, KMS keys and VPC endpoints
// by identity; the same item twice must be identical. Documents of
// different organisations, or whose OU trees differ, are refused.
func mergeDocuments(docs []*inventory.Document, names []string) (*inventory.Document, error) {
	shards, err := checkShards(docs, names)
	if err != nil {
		return nil, err
	}
	if len(docs) == 1 && !shards {
		return docs[0], nil
	}
	out := &inventory.Document{SchemaVersion: inventory.SchemaVersion}
	orgFrom := ""
	accountFrom := map[string]string{}
	accountIdx := map[string]int{}
	for i, d := range docs {
		name := names[i]
		if d.Organization != nil {
			if out.Organization == nil {
				org := *d.Organization
				org.ManagementCredentials = nil
				org.Policies = append([]inventory.OrgPolicy(nil), d.Organization.Policies...)
				org.AccountPolicies = maps.Clone(d.Organization.AccountPolicies)
				org.Errors = maps.Clone(d.Organization.Errors)
				out.Organization, orgFrom = &org, name
			} else if err := mergeOrganization(out.Organization, d.Organization, orgFrom, name); err != nil {
				return nil, err
			}
		}
		if d.Scan != nil {
			out.Scan = mergeScan(out.Scan, d.Scan)
		}
		for _, a := range d.Accounts {
			j, seen := accountIdx[a.ID]
			if !seen {
				accountIdx[a.ID] = len(out.Accounts)
				accountFrom[a.ID] = name
				a.AuditRole = nil
				out.Accounts = append(out.Accounts, a)
				continue
			}
			if err := mergeAccount(&out.Accounts[j], a, accountFrom[a.ID], name); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(out.Accounts, func(i, j int) bool { return out.Accounts[i].ID < out.Accounts[j].ID })
	dropScanned(out, accountIdx)
	if shards {
		if err := mergeShardKeys(out, docs, names); err != nil {
			return nil, err
		}
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("merged snapshots: %w", err)
	}
	return out, nil
}

// dropScanned keeps as excluded by a scope only the accounts that no
// merged snapshot scanned (snapshots of two scopes, e.g. two OUs, complete
// each other), with the policies recorded for them.
func dropScanned(out *inventory.Document, scanned map[string]int) {
	if out.Scan != nil {
		var excluded []string
		for _, id := range out.Scan.ExcludedAccounts {
			if _, ok := scanned[id]; !ok {
				excluded = append(excluded, id)
			}
		}
		out.Scan.ExcludedAccounts = excluded
	}
	if o := out.Organization; o != nil {
		for id := range scanned {
			delete(o.AccountPolicies, id)
			delete(o.Errors, inventory.AccountPoliciesErrorKey(id))
		}
		for id := range o.AccountPolicies {
			delete(o.Errors, inventory.AccountPoliciesErrorKey(id)) // read by another snapshot
		}
		if len(o.AccountPolicies) == 0 {
			o.AccountPolicies = nil
		}
		if len(o.Errors) == 0 {
			o.Errors = nil
		}
	}
}

func mergeOrganization(into, from *inventory.Organization, intoName, fromName string) error {
	if into.ID != from.ID {
		return fmt.Errorf("%s and %s describe different organisations (%s, %s); analyse them separately", intoName, fromName, into.ID, from.ID)
	}
	if !sameJSON(into.Root, from.Root) {
		return fmt.Errorf("%s and %s have different OU trees for organisation %s (taken at different times?); analyse them separately", intoName, fromName, into.ID)
	}
	have := map[string]int{}
	for i, p := range into.Policies {
		have[p.ID] = i
	}
	for _, p := range from.Policies {
		i, ok := have[p.ID]
		if !ok {
			have[p.ID] = len(into.Policies)
			into.Policies = append(into.Policies, p)
			continue
		}
		if !sameJSON(into.Policies[i], p) {
			return fmt.Errorf("policy %s differs between %s and %s", p.ID, intoName, fromName)
		}
	}
	for id, ps := range from.AccountPolicies {
		have, ok := into.AccountPolicies[id]
		if !ok {
			if into.AccountPolicies == nil {
				into.AccountPolicies = map[string][]string{}
			}
			into.AccountPolicies[id] = ps
			continue
		}
		if !sameJSON(have, ps) {
			return fmt.Errorf("the policies attached to account %s differ between %s and %s", id, intoName, fromName)
		}
	}
	into.Errors = mergeErrors(into.Errors, from.Errors)
	return nil
}

func mergeScan(into, from *inventory.ScanInfo) *inventory.ScanInfo {
	if into == nil {
		c := *from
		c.TrustedAccounts = mergeErrors(nil, from.TrustedAccounts)
		c.Errors = mergeErrors(nil, from.Errors)
		c.Regions = append([]string(nil), from.Regions...)
		c.ExcludedAccounts = append([]string(nil), from.ExcludedAccounts...)
		return &c
	}
	into.ExcludedAccounts = unionStrings(into.ExcludedAccounts, from.ExcludedAccounts) // less the scanned ones: dropScanned
	if from.StartedAt.Before(into.StartedAt) {
		into.StartedAt = from.StartedAt
	}
	if from.FinishedAt.After(into.FinishedAt) {
		into.FinishedAt = from.FinishedAt
	}
	into.Complete = into.Complete && from.Complete
	into.Interrupted = into.Interrupted || from.Interrupted
	if len(into.Regions) == 0 || len(from.Regions) == 0 {
		into.Regions = nil // one of them covered every region
	} else {
		into.Regions = unionStrings(into.Regions, from.Regions)
	}
	if into.ConfigDigest != from.ConfigDigest {
		into.ConfigDigest = ""
	}
	into.TrustedAccounts = mergeErrors(into.TrustedAccounts, from.TrustedAccounts)
	into.Errors = mergeErrors(into.Errors, from.Errors)
	return into
}

// mergeAccount merges the second sighting of an account into the first.
func mergeAccount(into *inventory.Account, from inventory.Account, intoName, fromName string) error {
	conflict := func(field string) error {
		return fmt.Errorf("account %s: %s differs between %s and %s", into.ID, field, intoName, fromName)
	}
	if err := mergeScalar(&into.Name, from.Name, func() error { return conflict("name") }); err != nil {
		return err
	}
	if err := mergeScalar(&into.CanonicalID, from.CanonicalID, func() error { return conflict("canonical_id") }); err != nil {
		return err
	}
	if err := mergeScalar(&into.OUPath, from.OUPath, func() error { return conflict("ou_path") }); err != nil {
		return err
	}
	if err := mergeScalar(&into.Status, from.Status, func() error { return conflict("status") }); err != nil {
		return err
	}
	if into.Email == "" {
		into.Email = from.Email
	}
	if into.Policies == nil {
		into.Policies = from.Policies
	} else if from.Policies != nil && !sameJSON(into.Policies, from.Policies) {
		return conflict("policies")
	}
	if into.PublicAccessBlock == nil {
		into.PublicAccessBlock = from.PublicAccessBlock
	} else if from.PublicAccessBlock != nil && *into.PublicAccessBlock != *from.PublicAccessBlock {
		return conflict("public_access_block")
	}
	if into.IAM == nil {
		into.IAM = from.IAM
	} else if from.IAM != nil && !sameJSON(into.IAM, from.IAM) {
		return conflict("iam")
	}
	if into.Tags == nil {
		into.Tags = from.Tags
	}
	var err error
	if into.Buckets, err = unionBy(into.Buckets, from.Buckets, func(b inventory.Bucket) string { return b.Name }, "bucket", into.ID, intoName, fromName); err != nil {
		return err
	}
	if into.KMSKeys, err = unionBy(into.KMSKeys, from.KMSKeys, func(k inventory.KMSKey) string { return k.ARN }, "KMS key", into.ID, intoName, fromName); err != nil {
		return err
	}
	if into.VPCEndpoints, err = unionBy(into.VPCEndpoints, from.VPCEndpoints, func(v inventory.VPCEndpoint) string { return v.ID }, "VPC endpoint", into.ID, intoName, fromName); err != nil {
		return err
	}
	into.Errors = mergeErrors(into.Errors, from.Errors)
	// A field read in one snapshot is no longer an error.
	if into.PublicAccessBlock != nil {
		delete(into.Errors, inventory.FieldPublicAccessBlock)
	}
	return nil
}

func mergeScalar(into *string, from string, conflict func() error) error {
	switch {
	case *into == "":
		*into = from
	case from != "" && from != *into:
		return conflict()
	}
	return nil
}

// unionBy appends the items of from whose key into lacks; an item present
// in both must be identical.
func unionBy[T any](into, from []T, key func(T) string, what, account, intoName, fromName string) ([]T, error) {
	have := make(map[string]int, len(into))
	for i, v := range into {
		have[key(v)] = i
	}
	for _, v := range from {
		i, ok := have[key(v)]
		if !ok {
			have[key(v)] = len(into)
			into = append(into, v)
			continue
		}
		if !sameJSON(into[i], v) {
			return nil, fmt.Errorf("account %s: %s %s differs between %s and %s", account, what, key(v), intoName, fromName)
		}
	}
	return into, nil
}

func mergeErrors(into, from map[string]string) map[string]string {
	if len(from) == 0 {
		return into
	}
	if into == nil {
		into = make(map[string]string, len(from))
	}
	for k, v := range from {
		if _, ok := into[k]; !ok {
			into[k] = v
		}
	}
	return into
}

func unionStrings(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string(nil), a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// sameJSON compares two values by their JSON encoding (policy documents
// compare by text).
func sameJSON(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
