package scanner

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/org"
)

// KMSAPI is the part of the KMS client the key collector uses.
type KMSAPI interface {
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	GetKeyPolicy(ctx context.Context, in *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
	ListAliases(ctx context.Context, in *kms.ListAliasesInput, optFns ...func(*kms.Options)) (*kms.ListAliasesOutput, error)
	ListGrants(ctx context.Context, in *kms.ListGrantsInput, optFns ...func(*kms.Options)) (*kms.ListGrantsOutput, error)
}

// KeyRef is a KMS key as a bucket's default encryption names it, placed in
// its owner account and region.
type KeyRef struct {
	Account string
	Region  string
	// ID is the key as configured: key ARN, key ID, alias ARN or alias name.
	ID string
}

// ResolveKeyRef places the key that bucket encryption enc uses. A bare key
// ID or alias name lives in the bucket's account and region; an ARN says
// where it lives. SSE-KMS without a key ID uses the AWS managed aws/s3 key.
// ok is false when the bucket does not use KMS.
func ResolveKeyRef(enc *inventory.Encryption, bucketAccount, bucketRegion string) (ref KeyRef, ok bool) {
	if enc == nil || (enc.Algorithm != inventory.AlgorithmKMS && enc.Algorithm != inventory.AlgorithmKMSDSSE) {
		return KeyRef{}, false
	}
	id := enc.KMSKeyID
	if id == "" {
		id = "alias/aws/s3"
	}
	ref = KeyRef{Account: bucketAccount, Region: bucketRegion, ID: id}
	if parts := strings.SplitN(id, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		ref.Region, ref.Account = parts[3], parts[4]
	}
	return ref, true
}

// CollectKey reads one key: DescribeKey (which resolves an alias to its
// key), its key policy and its grants. aliases maps key IDs to their alias
// names (see ListAliasNames); aliasErr, when not nil, is recorded instead.
// A key that cannot be described keeps the reference as its ARN and says
// why in Errors[inventory.KeyDescribeKey]. Nothing is guessed.
func CollectKey(ctx context.Context, api KMSAPI, ref KeyRef, aliases map[string][]string, aliasErr error) inventory.KMSKey {
	k := describeKey(ctx, api, ref, aliases, aliasErr)
	if !k.Errors.Has(inventory.KeyDescribeKey) {
		keyDetails(ctx, nil, api, &k)
	}
	return k
}

// describeKey is CollectKey's first step: the key's ARN, manager, state
// and aliases.
func describeKey(ctx context.Context, api KMSAPI, ref KeyRef, aliases map[string][]string, aliasErr error) inventory.KMSKey {
	d, err := api.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref.ID)})
	if err != nil || d.KeyMetadata == nil {
		k := inventory.KMSKey{ARN: qualify(ref)}
		if err == nil {
			err = fmt.Errorf("describe key %q: empty answer", ref.ID)
		}
		org.SetError(&k.Errors, inventory.KeyDescribeKey, fmt.Errorf("describe key %q: %w", ref.ID, err))
		return k
	}
	md := d.KeyMetadata
	k := inventory.KMSKey{ARN: aws.ToString(md.Arn), Manager: string(md.KeyManager), State: string(md.KeyState)}
	if aliasErr != nil {
		org.SetError(&k.Errors, inventory.KeyAliases, aliasErr)
	} else {
		k.Aliases = aliases[aws.ToString(md.KeyId)]
	}
	return k
}

// keyDetails is CollectKey's second step: the key policy and the grants,
// read concurrently (on pool).
func keyDetails(ctx context.Context, pool *workers, api KMSAPI, k *inventory.KMSKey) {
	var (
		wg        sync.WaitGroup
		polErr    error
		grantsErr error
		policy    *inventory.PolicyDocument
		grants    []inventory.KMSGrant
	)
	wg.Add(1)
	pool.Go(func() {
		defer wg.Done()
		out, err := api.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(k.ARN), PolicyName: aws.String("default")})
		if err != nil {
			polErr = fmt.Errorf("get policy of key %q: %w", k.ARN, err)
			return
		}
		policy = inventory.NewPolicyDocument([]byte(aws.ToString(out.Policy)))
	})
	grants, grantsErr = listGrants(ctx, api, k.ARN)
	wg.Wait()
	if polErr != nil {
		org.SetError(&k.Errors, inventory.KeyKeyPolicy, polErr)
	} else {
		k.Policy = policy
	}
	if grantsErr != nil {
		org.SetError(&k.Errors, inventory.KeyGrants, grantsErr)
	} else {
		k.Grants = grants
	}
}

func listGrants(ctx context.Context, api KMSAPI, arn string) ([]inventory.KMSGrant, error) {
	var out []inventory.KMSGrant
	p := kms.NewListGrantsPaginator(api, &kms.ListGrantsInput{KeyId: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list grants of key %q: %w", arn, err)
		}
		for _, g := range page.Grants {
			grantee := aws.ToString(g.GranteePrincipal)
			if grantee == "" {
				grantee = aws.ToString(g.GranteeServicePrincipal)
			}
			ops := make([]string, len(g.Operations))
			for i, o := range g.Operations {
				ops[i] = string(o)
			}
			out = append(out, inventory.KMSGrant{
				GrantID: aws.ToString(g.GrantId), GranteePrincipal: grantee,
				RetiringPrincipal: aws.ToString(g.RetiringPrincipal), Operations: ops,
			})
		}
	}
	return out, nil
}

// ListAliasNames lists the aliases of a region, keyed by the ID of the key
// each one targets (names sorted).
func ListAliasNames(ctx context.Context, api KMSAPI) (map[string][]string, error) {
	out := map[string][]string{}
	p := kms.NewListAliasesPaginator(api, &kms.ListAliasesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list aliases: %w", err)
		}
		for _, a := range page.Aliases {
			if t := aws.ToString(a.TargetKeyId); t != "" {
				out[t] = append(out[t], aws.ToString(a.AliasName))
			}
		}
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out, nil
}

// qualify turns a key reference into an ARN when it is not one already.
func qualify(ref KeyRef) string {
	if strings.HasPrefix(ref.ID, "arn:") {
		return ref.ID
	}
	if strings.HasPrefix(ref.ID, "alias/") {
		return awsid.KMSAlias(ref.Region, ref.Account, ref.ID)
	}
	return awsid.KMSKey(ref.Region, ref.Account, ref.ID)
}

// ownKeys collects the keys that buckets of account use and that live in
// it; keys of other scanned accounts are queued for crossAccountKeys.
func (s *scan) ownKeys(ctx context.Context, account string, buckets []inventory.Bucket, clients *regionalClients, log zerolog.Logger) []inventory.KMSKey {
	var own []KeyRef
	seen := map[KeyRef]bool{}
	for _, b := range buckets {
		ref, ok := ResolveKeyRef(b.Encryption, account, b.Region)
		if !ok || seen[ref] {
			continue
		}
		seen[ref] = true
		if ref.Account == account {
			own = append(own, ref)
			continue
		}
		s.mu.Lock()
		s.keys[ref.Account] = append(s.keys[ref.Account], ref)
		s.mu.Unlock()
	}
	return collectKeys(ctx, own, nil, clients, log)
}

// collectKeys reads refs (all in one account), skipping those that have
// keys already, and returns the new keys followed by have, sorted by ARN.
// Regions are read concurrently; within a region the references are
// described concurrently, then each distinct key's policy and grants.
func collectKeys(ctx context.Context, refs []KeyRef, have []inventory.KMSKey, clients *regionalClients, log zerolog.Logger) []inventory.KMSKey {
	byRegion := map[string][]KeyRef{}
	for _, r := range refs {
		byRegion[r.Region] = append(byRegion[r.Region], r)
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		keys = have
	)
	for region, refs := range byRegion {
		wg.Add(1)
		clients.sess.workers.Go(func() {
			defer wg.Done()
			api := clients.kms(region)
			aliases, aliasErr := ListAliasNames(ctx, api)
			var todo []KeyRef
			mu.Lock()
			for _, ref := range refs {
				if aliasErr == nil {
					ref = resolveAlias(ref, aliases)
				}
				if keyIndex(keys, ref) < 0 && !slices.Contains(todo, ref) {
					todo = append(todo, ref) // each key described once, however buckets name it
				}
			}
			mu.Unlock()
			described := make([]inventory.KMSKey, len(todo))
			parallel(clients.sess.workers, len(todo), func(i int) { described[i] = describeKey(ctx, api, todo[i], aliases, aliasErr) })
			var found []inventory.KMSKey
			for _, k := range described {
				if keyIndex(found, KeyRef{ID: k.ARN}) < 0 {
					found = append(found, k) // two references to one key read it once
				}
			}
			parallel(clients.sess.workers, len(found), func(i int) {
				if !found[i].Errors.Has(inventory.KeyDescribeKey) {
					keyDetails(ctx, clients.sess.workers, api, &found[i])
				}
				if len(found[i].Errors) > 0 {
					log.Warn().Str("key", found[i].ARN).Interface("errors", found[i].Errors).Msg("KMS key not fully read")
				}
			})
			mu.Lock()
			keys = append(keys, found...)
			mu.Unlock()
		})
	}
	wg.Wait()
	sort.Slice(keys, func(i, j int) bool { return keys[i].ARN < keys[j].ARN })
	return keys
}

// resolveAlias names the key an alias reference (alias name or alias ARN)
// targets by its key ARN, from the region's aliases (key ID → names, see
// ListAliasNames); a bare key ID becomes its ARN too. Any other reference,
// or an alias the listing lacks, is returned as it is.
func resolveAlias(ref KeyRef, aliases map[string][]string) KeyRef {
	arn := qualify(ref)
	name, isAlias := strings.CutPrefix(arn[lastIndex(arn, ':')+1:], "alias/")
	if !isAlias {
		ref.ID = arn
		return ref
	}
	for id, names := range aliases {
		if slices.Contains(names, "alias/"+name) {
			ref.ID = strings.TrimSuffix(arn, "alias/"+name) + "key/" + id
			return ref
		}
	}
	return ref
}

// parallel runs f(0..n-1) concurrently (on pool) and waits. The calls are
// bounded by the session's in-flight cap.
func parallel(pool *workers, n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		pool.Go(func() {
			defer wg.Done()
			f(i)
		})
	}
	wg.Wait()
}

// keyIndex finds the key that ref names among keys: by ARN, by key ID, or
// by alias. Alias names are per account and region ("alias/aws/s3" names a
// different key in every region), so an alias matches only a key of
// ref's region.
func keyIndex(keys []inventory.KMSKey, ref KeyRef) int {
	arn := qualify(ref)
	for i, k := range keys {
		if k.ARN == ref.ID || k.ARN == arn {
			return i
		}
		for _, al := range k.Aliases {
			if arn == aliasARN(k.ARN, al) {
				return i
			}
		}
	}
	return -1
}

// aliasARN returns the ARN of alias name in the account and region of keyARN.
func aliasARN(keyARN, alias string) string {
	if i := lastIndex(keyARN, ':'); i >= 0 {
		return keyARN[:i+1] + alias
	}
	return alias
}

func lastIndex(s string, c byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// crossAccountKeys reads, in their owner accounts, the keys that buckets of
// other scanned accounts use. The keys of an account in scope but of
// another shard are read in it too, into doc.Scan.Shard.KMSKeys: merged,
// the shards then hold what one scan would.
func (s *scan) crossAccountKeys(ctx context.Context, doc *inventory.Document, accounts []inventory.Account, members []org.Member) {
	if len(s.keys) == 0 {
		return
	}
	idx := map[string]int{}
	for i, a := range accounts {
		idx[a.ID] = i
	}
	g := new(errgroup.Group)
	g.SetLimit(s.cfg.Concurrency.Accounts)
	var mu sync.Mutex
	for _, owner := range sortedKeys(s.keys) {
		i, ok := idx[owner]
		if m, other := s.otherShards[owner]; !ok && other {
			g.Go(func() error {
				log := s.log.With().Str("account_id", owner).Logger()
				cfg := s.sess.Account(m.Partition(), owner)
				if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
					// As in one scan: the owner's role cannot be assumed, the keys stay unknown.
					log.Warn().Err(err).Msg("cannot assume the audit role of the account of another shard that owns KMS keys buckets use; the keys stay unknown")
					return nil
				}
				keys := collectKeys(ctx, s.keys[owner], nil, newRegionalClients(s.sess, cfg), log)
				mu.Lock()
				defer mu.Unlock()
				if doc.Scan.Shard.KMSKeys == nil {
					doc.Scan.Shard.KMSKeys = map[string][]inventory.KMSKey{}
				}
				doc.Scan.Shard.KMSKeys[owner] = keys
				return nil
			})
			continue
		}
		if !ok {
			s.log.Info().Str("account_id", owner).Int("keys", len(s.keys[owner])).Msg("KMS keys of an account outside the scan: their policies are unknown")
			continue
		}
		a := &accounts[i]
		if a.Errors.Has(KeyAssumeRole) {
			continue // the owner's role cannot be assumed: the keys stay unknown
		}
		g.Go(func() error {
			log := s.log.With().Str("account_id", owner).Logger()
			cfg := s.sess.Account(members[memberIndex(members, owner)].Partition(), owner)
			a.KMSKeys = collectKeys(ctx, s.keys[owner], a.KMSKeys, newRegionalClients(s.sess, cfg), log)
			return nil
		})
	}
	_ = g.Wait()
}

func memberIndex(members []org.Member, id string) int {
	for i, m := range members {
		if m.ID == id {
			return i
		}
	}
	return -1
}
