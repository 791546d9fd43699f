package access

import (
	"fmt"
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// BucketLayers is one bucket's every access layer, read from the snapshot
// once and shared by all the requests decided on it (the matrix's cells,
// or explain's one request).
type BucketLayers struct {
	ix      *Index
	ev      *policy.Evaluator // nil: policy.Evaluate
	scratch *[2]policy.Result // the worker's result buffers (with ev)
	in      policy.Input      // the input being built
	kmsIn   policy.Input      // the KMS call's input being built (decideKMS)
	subIn   policy.Input      // a variant of in being evaluated (evaluateSub)
	// s3Ctx and kmsCtx are the request contexts of s3Caller's and
	// kmsCaller's last requests (input, kmsInput), s3Base and kmsBase
	// the BaseContexts of every caller's (the keys of the bucket's region
	// and owner, of the key's owner; BucketLayers.base).
	s3Caller, kmsCaller *Caller
	s3Ctx, kmsCtx       *policy.Context
	s3Base, kmsBase     *policy.Context
	kms                 kmsCallParts // the KMS calls' parts (kmsParts)
	tracing             bool         // Decide records Steps
	quiet               bool         // verdicts only: no reasons (IAM principal listing)
	// refsOnly (not quiet): the deciding statements and conditions but no
	// reason text, but for unknown verdicts (reasonRefs).
	refsOnly bool
	steps    []Step          // the evaluations recorded
	aclKey   []byte          // the key being looked up in refs.acl
	grantBuf []ResolvedGrant // grantsFor\'s list
	// refs are the deciding statements of its outcomes and their reasons:
	// the worker's, kept across buckets, or ownRefs.
	refs      *refCache
	ownRefs   refCache
	Account   *inventory.Account
	Bucket    *inventory.Bucket
	ARN       string
	anyObject string // ARN + "/" + anyKey, built once (ResourceARN)

	// Policy is the bucket policy: nil when the bucket has none, Unreadable
	// when it could not be read or parsed.
	Policy       *policy.Policy
	HasPolicy    Tri
	PolicyPublic Tri
	PolicyErr    inventory.FetchError // why the policy is unreadable
	BPA          BPA
	ACLs         Tri // ACLs in effect (ownership not BucketOwnerEnforced)
	ACLRead      bool
	Grants       []ResolvedGrant
	Ownership    string
	EncRead      bool
	Encryption   inventory.Encryption
	Key          KeyRef
	KeyPolicy    *policy.Policy // parsed key policy when SSE-KMS with a collected key
	RCPs         Chain
	// Problems are parse errors of the bucket's documents, reported as errors.
	Problems []model.Error
}

// NewBucketLayers reads bucket b of account a from the index.
func (ix *Index) NewBucketLayers(a *inventory.Account, b *inventory.Bucket) *BucketLayers {
	// The bucket's ARN is its any object's but the last: one string.
	bl := &BucketLayers{ix: ix, Account: a, Bucket: b, anyObject: awsid.S3Object(ix.PartitionOf(b), b.Name, anyKey)}
	bl.ARN = bl.anyObject[:len(bl.anyObject)-len("/"+anyKey)]
	bl.refs = &bl.ownRefs
	name := "the bucket policy" // the bucket is the report rows
	switch {
	case b.Errors.Has(inventory.FieldPolicy):
		bl.PolicyErr = b.Errors[inventory.FieldPolicy]
		bl.Policy = policy.Unreadable(name + " (not read: " + errorCode(bl.PolicyErr) + ")")
	case b.Policy == nil:
		bl.HasPolicy, bl.PolicyPublic = TriFalse, TriFalse
	default:
		bl.HasPolicy = TriTrue
		p, err := policy.Parse(b.Policy.Raw())
		if err != nil {
			bl.PolicyErr = inventory.FetchError{Code: "InvalidPolicy", Message: err.Error()}
			bl.Policy = policy.Unreadable(name + " (does not parse)")
			bl.Problems = append(bl.Problems, model.Error{AccountID: a.ID, Bucket: b.Name, Field: inventory.FieldPolicy, Operation: "s3:GetBucketPolicy", Code: "InvalidPolicy", Message: err.Error()})
		} else {
			p.Name = name
			bl.Policy = p
			bl.PolicyPublic = triOf(policy.IsPublic(p))
		}
	}
	bl.BPA = EffectiveBPA(a, b)
	bl.ACLs = ACLsInEffect(b)
	bl.Ownership, _ = Ownership(b)
	if acl, ok := ACLOf(b); ok {
		bl.ACLRead = true
		bl.Grants = ResolveGrants(acl, aclOwnerLookup(acl, a.ID, ix.AccountByCanonicalID))
	}
	bl.Encryption, bl.EncRead = EncryptionOf(b)
	if bl.EncRead && UsesKMS(bl.Encryption.Algorithm) {
		bl.Key = ix.ResolveKey(a.ID, b.Region, bl.Encryption.KMSKeyID)
		bl.KeyPolicy = ix.keyPolicy(bl.Key, a.ID, b.Region)
	}
	bl.RCPs = ix.RCPs(a.ID)
	return bl
}

// PartitionOf returns the partition of a bucket: its region's, or, when
// its region could not be read, the document's.
func (ix *Index) PartitionOf(b *inventory.Bucket) string {
	if b.Region == "" {
		return ix.partition
	}
	return awsid.PartitionOf(b.Region)
}

// keyPolicy returns the parsed policy of a resolved key that a bucket of
// account owner in region uses: Unreadable when the key or its policy was
// not collected. A key that was not collected is never synthesised, not
// even the AWS managed aws/s3 key (whose policy AWS fixes): what needs it
// is unknown.
func (ix *Index) keyPolicy(k KeyRef, owner, region string) *policy.Policy {
	if p := ix.keyParsed[k.ARN]; p != nil {
		return p
	}
	name := "key policy of " + k.ARN
	switch {
	case k.ARN == "" && k.AWSManaged:
		name = fmt.Sprintf("key policy of the AWS managed key aws/s3 of account %s in %s", k.Account, region)
	case k.ARN == "":
		name = "key policy of " + k.Configured
	}
	why := "the scan ran with collect.kms: false, or did not read it"
	if k.Account != "" && k.Account != owner {
		why = fmt.Sprintf("collect.kms: false, or account %s was not scanned", k.Account)
	}
	return policy.Unreadable(name + " (key not collected: " + why + ")")
}

// errorCode is the code of a fetch error, for the short "not read: Code"
// reasons ("unknown error" when there is none).
func errorCode(e inventory.FetchError) string {
	if e.Code != "" {
		return e.Code
	}
	return "unknown error"
}

// ResourceARN is the ARN an action acts on: the bucket, or (object
// actions) an object. key "" stands for any object key.
func (bl *BucketLayers) ResourceARN(action, key string) string {
	if !objectAction(action) {
		return bl.ARN
	}
	if key == "" {
		key = anyKey
	}
	if key == anyKey && len(bl.anyObject) == len(bl.ARN)+1+len(anyKey) && strings.HasPrefix(bl.anyObject, bl.ARN) {
		return bl.anyObject // the common case, without allocating
	}
	return bl.ARN + "/" + key
}

// anyKey stands for an object key the scanner does not know: it matches
// "bucket/*" but no narrower prefix.
const anyKey = "*"

// reasonMode is the reasonMode of the layers' decisions in progress.
func (bl *BucketLayers) reasonMode() reasonMode {
	switch {
	case bl.quiet:
		return reasonNone
	case bl.refsOnly:
		return reasonRefs
	}
	return reasonFull
}
