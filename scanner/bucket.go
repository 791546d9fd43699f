package scanner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/org"
)

// S3API is the part of the S3 client the bucket collector uses.
type S3API interface {
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	GetBucketPolicyStatus(ctx context.Context, in *s3.GetBucketPolicyStatusInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyStatusOutput, error)
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, optFns ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, optFns ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, optFns ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
}

// RegionalS3 returns the S3 client that signs for region.
type RegionalS3 func(region string) S3API

// bucketField reads one field of a bucket into b (fields lists what it
// writes: a read may cover several); it returns the error of the read, nil
// on a value or on the field's specific not-found code.
type bucketField struct {
	fields []string
	read   func(ctx context.Context, api S3API, b *inventory.Bucket) error
}

// BucketOptions choose the optional fields of a bucket. Versioning and
// tags decide no verdict: without them the bucket lists them in
// NotCollected.
type BucketOptions struct {
	Versioning bool
	Tags       bool
}

// fieldsFor returns the reads of a bucket for opts.
func fieldsFor(opts BucketOptions) []bucketField {
	fields := []bucketField{
		{[]string{inventory.FieldPolicy, inventory.FieldPolicyStatus}, readPolicy},
		{[]string{inventory.FieldPublicAccessBlock}, readBucketPAB},
		{[]string{inventory.FieldOwnership, inventory.FieldACL}, readOwnershipAndACL},
		{[]string{inventory.FieldEncryption}, readEncryption},
	}
	if opts.Versioning {
		fields = append(fields, bucketField{[]string{inventory.FieldVersioning}, readVersioning})
	}
	if opts.Tags {
		fields = append(fields, bucketField{[]string{inventory.FieldTags}, readTags})
	}
	return fields
}

// CollectBucket is CollectBucketWith without the optional fields.
func CollectBucket(ctx context.Context, clients RegionalS3, homeRegion string, b *inventory.Bucket, log zerolog.Logger) {
	CollectBucketWith(ctx, clients, homeRegion, b, BucketOptions{}, log)
}

// CollectBucketWith reads every access layer of bucket b (Name set; Region
// set when ListBuckets gave it) in the bucket's own region, concurrently,
// and the optional fields opts asks for. Every field ends as a value, as
// "not configured" (only on that field's not-found code), as an error
// recorded in b.Errors with its code, or, for a field that cannot matter,
// in b.NotCollected: the ACL when Object Ownership is BucketOwnerEnforced
// (ACLs are disabled, access ignores them), versioning and tags unless
// asked for. A field answered with PermanentRedirect is asked again, once,
// in the region S3 names for the bucket; homeRegion is where a bucket of
// unknown region is located.
func CollectBucketWith(ctx context.Context, clients RegionalS3, homeRegion string, b *inventory.Bucket, opts BucketOptions, log zerolog.Logger) {
	collectBucket(ctx, nil, clients, homeRegion, b, opts, log)
}

// CodeRegionUnknown is the code of the error recorded for each field of a
// bucket whose region could not be found (its message: the region error).
const CodeRegionUnknown = "RegionUnknown"

// collectBucket is CollectBucketWith with the field reads run on pool.
func collectBucket(ctx context.Context, pool *workers, clients RegionalS3, homeRegion string, b *inventory.Bucket, opts BucketOptions, log zerolog.Logger) {
	log = log.With().Str("bucket", b.Name).Logger()
	fields := fieldsFor(opts)
	defer func() { b.NotCollected = notCollected(b, opts) }()
	if b.Region == "" {
		region, err := locate(ctx, clients(homeRegion), b.Name)
		if err != nil {
			log.Warn().Err(err).Msg("cannot find the bucket's region")
			org.SetError(&b.Errors, inventory.FieldRegion, err)
			for _, f := range fields {
				for _, name := range f.fields {
					if name != inventory.FieldPolicyStatus {
						b.Errors[name] = inventory.NewFetchError(CodeRegionUnknown, b.Errors.Text(inventory.FieldRegion))
					}
				}
			}
			return
		}
		b.Region = region
	}
	failed := collectFields(ctx, pool, clients(b.Region), b, fields, log)
	var (
		redirected []bucketField
		hint       string
	)
	for _, f := range fields {
		for _, name := range f.fields {
			if org.HasCode(failed[name], org.CodePermanentRedirect, "MovedPermanently", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException") {
				redirected = append(redirected, f)
				if hint == "" {
					hint = regionHint(failed[name])
				}
				break
			}
		}
	}
	if len(redirected) > 0 {
		region := hint
		if region == "" {
			var err error
			region, err = locate(ctx, clients(homeRegion), b.Name)
			if err != nil {
				log.Warn().Err(err).Msg("cannot find the bucket's region after a redirect")
			}
		}
		if region != "" && region != b.Region {
			log.Info().Str("listed_region", b.Region).Str("region", region).Msg("bucket answered from another region; reading it there")
			b.Region = region
			for _, f := range redirected {
				for _, name := range f.fields {
					delete(failed, name) // read again
				}
			}
			for k, v := range collectFields(ctx, pool, clients(region), b, redirected, log) {
				failed[k] = v
			}
		}
	}
	for name, err := range failed {
		org.SetError(&b.Errors, name, err)
		if name == inventory.FieldPolicy {
			// Whatever GetBucketPolicyStatus said is kept; the policy itself is unknown.
			b.Policy = nil
		}
	}
	if len(failed) > 0 {
		names := make([]string, 0, len(failed))
		for n := range failed {
			names = append(names, n)
		}
		sort.Strings(names)
		log.Warn().Strs("fields", names).Str("region", b.Region).Msg("some bucket settings could not be read")
	}
}

// notCollected returns the fields of b the scan did not read on purpose
// (sorted, nil when none).
func notCollected(b *inventory.Bucket, opts BucketOptions) []string {
	var out []string
	if b.Ownership == inventory.OwnershipBucketOwnerEnforced && b.ACL == nil && !b.Errors.Has(inventory.FieldACL) {
		out = append(out, inventory.FieldACL)
	}
	if !opts.Tags {
		out = append(out, inventory.FieldTags)
	}
	if !opts.Versioning {
		out = append(out, inventory.FieldVersioning)
	}
	return out
}

// collectFields reads fields concurrently (on pool) and returns the
// errors by field.
func collectFields(ctx context.Context, pool *workers, api S3API, b *inventory.Bucket, fields []bucketField, log zerolog.Logger) map[string]error {
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		failed = map[string]error{}
	)
	// Each field writes its own part of b: no two fields share a member.
	for _, f := range fields {
		wg.Add(1)
		pool.Go(func() {
			defer wg.Done()
			err := f.read(ctx, api, b)
			if err == nil {
				return
			}
			log.Debug().Err(err).Str("field", f.fields[0]).Msg("read failed")
			mu.Lock()
			defer mu.Unlock()
			var fe fieldErrors
			if errors.As(err, &fe) {
				for name, e := range fe {
					failed[name] = e
				}
				return
			}
			failed[f.fields[0]] = err
		})
	}
	wg.Wait()
	return failed
}

// fieldErrors carries the errors of a read that covers several fields
// (the policy and its status), keyed by field.
type fieldErrors map[string]error

func (e fieldErrors) Error() string {
	var parts []string
	for _, name := range sortedKeys(e) {
		parts = append(parts, name+": "+e[name].Error())
	}
	return strings.Join(parts, "; ")
}

// readPolicy reads the bucket policy and AWS's verdict on its publicness
// (GetBucketPolicyStatus, a permission of its own: it may answer when the
// policy itself is denied). With no policy, the status would only repeat
// NoSuchBucketPolicy, so it is not asked.
func readPolicy(ctx context.Context, api S3API, b *inventory.Bucket) error {
	errs := fieldErrors{}
	out, err := api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b.Name)})
	switch {
	case org.HasCode(err, org.CodeNoSuchBucketPolicy):
		b.Policy, b.PolicyIsPublic = nil, nil
		return nil
	case err != nil:
		errs[inventory.FieldPolicy] = fmt.Errorf("get policy of bucket %q: %w", b.Name, err)
	default:
		b.Policy = inventory.NewPolicyDocument([]byte(aws.ToString(out.Policy)))
	}
	st, err := api.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String(b.Name)})
	switch {
	case err != nil && !(b.Policy == nil && org.HasCode(err, org.CodeNoSuchBucketPolicy)):
		errs[inventory.FieldPolicyStatus] = fmt.Errorf("get policy status of bucket %q: %w", b.Name, err)
	case err != nil:
		// The unreadable policy turns out not to exist; the policy error stays.
	case st.PolicyStatus == nil:
		errs[inventory.FieldPolicyStatus] = fmt.Errorf("get policy status of bucket %q: empty answer", b.Name)
	case st.PolicyStatus.IsPublic == nil:
		// An answer without IsPublic says nothing: not read, never "not public".
		errs[inventory.FieldPolicyStatus] = fmt.Errorf("get policy status of bucket %q: the answer has no IsPublic", b.Name)
	default:
		b.PolicyIsPublic = aws.Bool(*st.PolicyStatus.IsPublic)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func readBucketPAB(ctx context.Context, api S3API, b *inventory.Bucket) error {
	out, err := api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(b.Name)})
	switch {
	case org.HasCode(err, org.CodeNoSuchPublicAccessBlockConfiguration):
		b.PublicAccessBlock = nil
		return nil
	case err != nil:
		return fmt.Errorf("get public access block of bucket %q: %w", b.Name, err)
	}
	c := out.PublicAccessBlockConfiguration
	if c == nil {
		return fmt.Errorf("get public access block of bucket %q: empty answer", b.Name)
	}
	b.PublicAccessBlock = &inventory.PublicAccessBlock{
		BlockPublicACLs: aws.ToBool(c.BlockPublicAcls), IgnorePublicACLs: aws.ToBool(c.IgnorePublicAcls),
		BlockPublicPolicy: aws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(c.RestrictPublicBuckets),
	}
	return nil
}

// readOwnershipAndACL reads Object Ownership, then the bucket ACL unless
// ownership is BucketOwnerEnforced: ACLs are then disabled and "no longer
// affect permissions" (and S3 answers GetBucketAcl with the owner's full
// control only), so the ACL is left uncollected rather than read.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
// An ownership that could not be read keeps the ACL read: ACLs may be in
// effect.
func readOwnershipAndACL(ctx context.Context, api S3API, b *inventory.Bucket) error {
	errs := fieldErrors{}
	if err := readOwnership(ctx, api, b); err != nil {
		errs[inventory.FieldOwnership] = err
	}
	if b.Ownership != inventory.OwnershipBucketOwnerEnforced {
		if err := readACL(ctx, api, b); err != nil {
			errs[inventory.FieldACL] = err
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func readOwnership(ctx context.Context, api S3API, b *inventory.Bucket) error {
	out, err := api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(b.Name)})
	switch {
	case org.HasCode(err, org.CodeOwnershipControlsNotFound):
		b.Ownership = inventory.OwnershipNone
		return nil
	case err != nil:
		return fmt.Errorf("get ownership controls of bucket %q: %w", b.Name, err)
	}
	if out.OwnershipControls == nil || len(out.OwnershipControls.Rules) == 0 {
		return fmt.Errorf("get ownership controls of bucket %q: answer without a rule", b.Name)
	}
	b.Ownership = string(out.OwnershipControls.Rules[0].ObjectOwnership)
	return nil
}

func readACL(ctx context.Context, api S3API, b *inventory.Bucket) error {
	out, err := api.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(b.Name)})
	if err != nil {
		return fmt.Errorf("get ACL of bucket %q: %w", b.Name, err)
	}
	acl := &inventory.ACL{}
	if out.Owner != nil {
		acl.OwnerID = aws.ToString(out.Owner.ID)
	}
	for _, g := range out.Grants {
		grant := inventory.Grant{Permission: string(g.Permission)}
		if g.Grantee != nil {
			grant.Grantee = inventory.Grantee{
				Type: string(g.Grantee.Type), ID: aws.ToString(g.Grantee.ID), URI: aws.ToString(g.Grantee.URI),
				Email: aws.ToString(g.Grantee.EmailAddress), DisplayName: aws.ToString(g.Grantee.DisplayName),
			}
		}
		acl.Grants = append(acl.Grants, grant)
	}
	b.ACL = acl
	return nil
}

func readEncryption(ctx context.Context, api S3API, b *inventory.Bucket) error {
	out, err := api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b.Name)})
	switch {
	case org.HasCode(err, org.CodeServerSideEncryptionConfigurationAbsent):
		b.Encryption = &inventory.Encryption{Algorithm: inventory.AlgorithmNone}
		return nil
	case err != nil:
		return fmt.Errorf("get encryption of bucket %q: %w", b.Name, err)
	}
	if out.ServerSideEncryptionConfiguration == nil {
		return fmt.Errorf("get encryption of bucket %q: empty answer", b.Name)
	}
	for _, r := range out.ServerSideEncryptionConfiguration.Rules {
		if d := r.ApplyServerSideEncryptionByDefault; d != nil {
			b.Encryption = &inventory.Encryption{
				Algorithm: string(d.SSEAlgorithm), KMSKeyID: aws.ToString(d.KMSMasterKeyID), BucketKey: aws.ToBool(r.BucketKeyEnabled),
			}
			return nil
		}
	}
	return fmt.Errorf("get encryption of bucket %q: no default encryption rule in the answer", b.Name)
}

func readVersioning(ctx context.Context, api S3API, b *inventory.Bucket) error {
	out, err := api.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b.Name)})
	if err != nil {
		return fmt.Errorf("get versioning of bucket %q: %w", b.Name, err)
	}
	b.Versioning = string(out.Status)
	return nil
}

func readTags(ctx context.Context, api S3API, b *inventory.Bucket) error {
	out, err := api.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(b.Name)})
	switch {
	case org.HasCode(err, org.CodeNoSuchTagSet):
		b.Tags = nil
		return nil
	case err != nil:
		return fmt.Errorf("get tags of bucket %q: %w", b.Name, err)
	}
	b.Tags = tagMap(out.TagSet, func(t types.Tag) (*string, *string) { return t.Key, t.Value })
	return nil
}

// tagMap turns a list of AWS tags into a map (nil when empty).
func tagMap[T any](tags []T, kv func(T) (key, value *string)) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		k, v := kv(t)
		m[aws.ToString(k)] = aws.ToString(v)
	}
	return m
}

// locate finds a bucket's region with GetBucketLocation (the
// x-amz-bucket-region header of a redirect answers too). It is the fallback
// for a bucket ListBuckets gave without BucketRegion; HeadBucket would need
// s3:ListBucket, which the audit role does not hold (it could list object
// keys).
func locate(ctx context.Context, api S3API, bucket string) (string, error) {
	loc, err := api.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil {
		if r := regionHint(err); r != "" {
			return r, nil
		}
		return "", fmt.Errorf("locate bucket %q: %w", bucket, err)
	}
	switch r := string(loc.LocationConstraint); r {
	case "":
		return "us-east-1", nil // S3 names us-east-1 with an empty constraint
	case "EU":
		return "eu-west-1", nil // the legacy name of eu-west-1
	default:
		return r, nil
	}
}

// regionHint returns the x-amz-bucket-region header of an S3 error answer.
func regionHint(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}
