package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// Merge merges inventory documents (e.g. snapshots of different regions or
// account sets of one organisation, or the shards of a sharded scan) into
// one; names name them in errors. Accounts are
// united by ID, and within an account buckets, KMS keys and VPC endpoints
// by identity; the same item twice must be identical. Documents of
// different organisations, or whose OU trees differ, are refused.
func Merge(docs []*Document, names []string) (*Document, error) {
	shards, err := checkShards(docs, names)
	if err != nil {
		return nil, err
	}
	if len(docs) == 1 && !shards {
		return docs[0], nil
	}
	out := &Document{SchemaVersion: SchemaVersion}
	orgFrom := ""
	accountFrom := map[string]string{}
	accountIdx := map[string]int{}
	for i, d := range docs {
		name := names[i]
		if d.Organization != nil {
			if out.Organization == nil {
				org := *d.Organization
				org.ManagementCredentials = nil
				org.Policies = append([]OrgPolicy(nil), d.Organization.Policies...)
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
func dropScanned(out *Document, scanned map[string]int) {
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
			delete(o.Errors, AccountPoliciesErrorKey(id))
		}
		for id := range o.AccountPolicies {
			delete(o.Errors, AccountPoliciesErrorKey(id)) // read by another snapshot
		}
		if len(o.AccountPolicies) == 0 {
			o.AccountPolicies = nil
		}
		if len(o.Errors) == 0 {
			o.Errors = nil
		}
	}
}

func mergeOrganization(into, from *Organization, intoName, fromName string) error {
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

func mergeScan(into, from *ScanInfo) *ScanInfo {
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
func mergeAccount(into *Account, from Account, intoName, fromName string) error {
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
	if into.Buckets, err = unionBy(into.Buckets, from.Buckets, func(b Bucket) string { return b.Name }, "bucket", into.ID, intoName, fromName); err != nil {
		return err
	}
	if into.KMSKeys, err = unionBy(into.KMSKeys, from.KMSKeys, func(k KMSKey) string { return k.ARN }, "KMS key", into.ID, intoName, fromName); err != nil {
		return err
	}
	if into.VPCEndpoints, err = unionBy(into.VPCEndpoints, from.VPCEndpoints, func(v VPCEndpoint) string { return v.ID }, "VPC endpoint", into.ID, intoName, fromName); err != nil {
		return err
	}
	into.Errors = mergeErrors(into.Errors, from.Errors)
	// A field read in one snapshot is no longer an error.
	if into.PublicAccessBlock != nil {
		delete(into.Errors, FieldPublicAccessBlock)
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

// mergeErrors adds to into the entries of from whose keys it lacks (an
// Errors map, or TrustedAccounts), making into when it is nil.
func mergeErrors[M ~map[string]V, V any](into, from M) M {
	if len(from) == 0 {
		return into
	}
	if into == nil {
		into = make(M, len(from))
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

// checkShards checks the snapshots to merge before they are merged: no
// organisation walk (scan --org-only); and when any is a shard, all are, of
// one organisation and one shard count, each shard exactly once, none
// missing, no account in two. It reports whether they are shards.
func checkShards(docs []*Document, names []string) (bool, error) {
	var sharded, plain []string
	for i, d := range docs {
		switch {
		case d.Scan != nil && d.Scan.OrgOnly:
			return false, fmt.Errorf("%s is an organisation walk (scan --org-only), not a scan: give it to scan --org-snapshot", names[i])
		case d.Scan != nil && d.Scan.Shard != nil:
			sharded = append(sharded, names[i])
		default:
			plain = append(plain, names[i])
		}
	}
	if len(sharded) == 0 {
		return false, nil
	}
	if len(plain) > 0 {
		return false, fmt.Errorf("%s is a shard of a sharded scan and %s is not: analyse the shards of one scan together, without other snapshots", sharded[0], plain[0])
	}
	orgOf := func(d *Document) string {
		if d.Organization == nil {
			return "(none: accounts list)"
		}
		return d.Organization.ID
	}
	first := docs[0].Scan.Shard
	seen := map[int]string{}
	accountIn := map[string]string{}
	for i, d := range docs {
		sh, name := d.Scan.Shard, names[i]
		if o, o0 := orgOf(d), orgOf(docs[0]); o != o0 {
			return true, fmt.Errorf("%s and %s are shards of different organisations (%s, %s): analyse each organisation's shards separately", names[0], name, o0, o)
		}
		if sh.Count != first.Count {
			return true, fmt.Errorf("%s is shard %d/%d but %s is shard %d/%d: the shards of one scan share their count", names[0], first.Index, first.Count, name, sh.Index, sh.Count)
		}
		if prev, dup := seen[sh.Index]; dup {
			return true, fmt.Errorf("shard %d/%d is given twice (%s and %s): keep the snapshot of its latest run only", sh.Index, sh.Count, prev, name)
		}
		seen[sh.Index] = name
		for _, a := range d.Accounts {
			if prev, dup := accountIn[a.ID]; dup {
				return true, fmt.Errorf("account %s is in two shards (%s and %s): the shards overlap", a.ID, prev, name)
			}
			accountIn[a.ID] = name
		}
	}
	var missing []string
	for k := 1; k <= first.Count; k++ {
		if _, ok := seen[k]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", k, first.Count))
		}
	}
	if len(missing) > 0 {
		return true, fmt.Errorf("missing shard(s) %s of the sharded scan: run scan --shard %s and analyse all %d shards together", strings.Join(missing, ", "), missing[0], first.Count)
	}
	return true, nil
}

// mergeShardKeys completes the merge of shards: each KMS key that a shard
// read in an account of another shard joins its owner's keys (the same key
// read twice must be identical), and the merged document is no longer a
// shard.
func mergeShardKeys(out *Document, docs []*Document, names []string) error {
	idx := map[string]int{}
	for i, a := range out.Accounts {
		idx[a.ID] = i
	}
	touched := map[string]bool{}
	for i, d := range docs {
		keys := d.Scan.Shard.KMSKeys
		for _, owner := range slices.Sorted(maps.Keys(keys)) {
			j, ok := idx[owner]
			if !ok {
				return fmt.Errorf("%s holds KMS keys of account %s, which no shard scanned: the shards do not describe one scan", names[i], owner)
			}
			a := &out.Accounts[j]
			merged, err := unionBy(a.KMSKeys, keys[owner], func(k KMSKey) string { return k.ARN }, "KMS key", owner, "its shard", names[i])
			if err != nil {
				return err
			}
			a.KMSKeys = merged
			touched[owner] = true
		}
	}
	for owner := range touched {
		a := &out.Accounts[idx[owner]]
		slices.SortFunc(a.KMSKeys, func(x, y KMSKey) int { return strings.Compare(x.ARN, y.ARN) })
	}
	if out.Scan != nil {
		out.Scan.Shard = nil
	}
	return out.Validate()
}
