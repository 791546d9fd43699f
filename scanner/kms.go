package scanner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
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
// why in Errors["describe_key"]. Nothing is guessed.
func CollectKey(ctx context.Context, api KMSAPI, ref KeyRef, aliases map[string][]string, aliasErr error) inventory.KMSKey {
	k := describeKey(ctx, api, ref, aliases, aliasErr)
	if k.Errors["describe_key"] == "" {
		keyDetails(ctx, api, &k)
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
		setErr(&k.Errors, "describe_key", fmt.Errorf("describe key %q: %w", ref.ID, err))
		return k
	}
	md := d.KeyMetadata
	k := inventory.KMSKey{ARN: aws.ToString(md.Arn), Manager: string(md.KeyManager), State: string(md.KeyState)}
	if aliasErr != nil {
		setErr(&k.Errors, "aliases", aliasErr)
	} else {
		k.Aliases = aliases[aws.ToString(md.KeyId)]
	}
	return k
}

// keyDetails is CollectKey's second step: the key policy and the grants,
// read concurrently.
func keyDetails(ctx context.Context, api KMSAPI, k *inventory.KMSKey) {
	var (
		wg        sync.WaitGroup
		polErr    error
		grantsErr error
		policy    *inventory.PolicyDocument
		grants    []inventory.KMSGrant
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		out, err := api.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(k.ARN), PolicyName: aws.String("default")})
		if err != nil {
			polErr = fmt.Errorf("get policy of key %q: %w", k.ARN, err)
			return
		}
		policy = inventory.NewPolicyDocument([]byte(aws.ToString(out.Policy)))
	}()
	grants, grantsErr = listGrants(ctx, api, k.ARN)
	wg.Wait()
	if polErr != nil {
		setErr(&k.Errors, "policy", polErr)
	} else {
		k.Policy = policy
	}
	if grantsErr != nil {
		setErr(&k.Errors, "grants", grantsErr)
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
