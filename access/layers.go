package access

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/policy"
)

// Tri is a three-valued setting: true, false, or unknown (not read).
type Tri uint8

// Tri values. The zero value is TriUnknown: nothing is assumed.
const (
	TriUnknown Tri = iota
	TriFalse
	TriTrue
)

// String returns "true", "false" or "unknown".
func (t Tri) String() string {
	switch t {
	case TriTrue:
		return "true"
	case TriFalse:
		return "false"
	}
	return "unknown"
}

func triOf(b bool) Tri {
	if b {
		return TriTrue
	}
	return TriFalse
}

// or is the three-valued OR: true wins, then unknown.
func (t Tri) or(u Tri) Tri {
	switch {
	case t == TriTrue || u == TriTrue:
		return TriTrue
	case t == TriFalse && u == TriFalse:
		return TriFalse
	}
	return TriUnknown
}

// BPA flag names as report.json writes them.
const (
	FlagBlockPublicACLs       = "block_public_acls"
	FlagIgnorePublicACLs      = "ignore_public_acls"
	FlagBlockPublicPolicy     = "block_public_policy"
	FlagRestrictPublicBuckets = "restrict_public_buckets"
)

// BPA is a Block Public Access configuration whose flags may be unknown.
type BPA struct {
	BlockPublicACLs       Tri
	IgnorePublicACLs      Tri
	BlockPublicPolicy     Tri
	RestrictPublicBuckets Tri
}

// bpaOf reads one level of BPA: a configuration, "not configured" (every
// flag false), or unreadable (every flag unknown).
func bpaOf(p *inventory.PublicAccessBlock, readErr inventory.FetchError) BPA {
	if !readErr.IsZero() {
		return BPA{}
	}
	if p == nil {
		return BPA{TriFalse, TriFalse, TriFalse, TriFalse}
	}
	return BPA{triOf(p.BlockPublicACLs), triOf(p.IgnorePublicACLs), triOf(p.BlockPublicPolicy), triOf(p.RestrictPublicBuckets)}
}

// AccountBPA is the account-level BPA of a.
func AccountBPA(a *inventory.Account) BPA {
	return bpaOf(a.PublicAccessBlock, a.Errors[inventory.FieldPublicAccessBlock])
}

// BucketBPA is the bucket-level BPA of b.
func BucketBPA(b *inventory.Bucket) BPA {
	return bpaOf(b.PublicAccessBlock, b.Errors[inventory.FieldPublicAccessBlock])
}

// EffectiveBPA combines the account and bucket levels: S3 applies the most
// restrictive combination, so each effective flag is account OR bucket.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
func EffectiveBPA(a *inventory.Account, b *inventory.Bucket) BPA {
	acct, bkt := AccountBPA(a), BucketBPA(b)
	return BPA{
		BlockPublicACLs:       acct.BlockPublicACLs.or(bkt.BlockPublicACLs),
		IgnorePublicACLs:      acct.IgnorePublicACLs.or(bkt.IgnorePublicACLs),
		BlockPublicPolicy:     acct.BlockPublicPolicy.or(bkt.BlockPublicPolicy),
		RestrictPublicBuckets: acct.RestrictPublicBuckets.or(bkt.RestrictPublicBuckets),
	}
}

// Map returns the flags keyed by their report.json names.
func (b BPA) Map() map[string]string {
	return map[string]string{
		FlagBlockPublicACLs:       b.BlockPublicACLs.String(),
		FlagIgnorePublicACLs:      b.IgnorePublicACLs.String(),
		FlagBlockPublicPolicy:     b.BlockPublicPolicy.String(),
		FlagRestrictPublicBuckets: b.RestrictPublicBuckets.String(),
	}
}

// AllOn reports whether every flag is known to be on.
func (b BPA) AllOn() bool {
	return b.BlockPublicACLs == TriTrue && b.IgnorePublicACLs == TriTrue &&
		b.BlockPublicPolicy == TriTrue && b.RestrictPublicBuckets == TriTrue
}

// SomeOff reports whether at least one flag is known to be off.
func (b BPA) SomeOff() bool {
	return b.BlockPublicACLs == TriFalse || b.IgnorePublicACLs == TriFalse ||
		b.BlockPublicPolicy == TriFalse || b.RestrictPublicBuckets == TriFalse
}

// offFlags names the flags known to be off.
func (b BPA) offFlags() []string {
	var off []string
	for _, f := range []struct {
		name string
		v    Tri
	}{{"BlockPublicAcls", b.BlockPublicACLs}, {"IgnorePublicAcls", b.IgnorePublicACLs}, {"BlockPublicPolicy", b.BlockPublicPolicy}, {"RestrictPublicBuckets", b.RestrictPublicBuckets}} {
		if f.v == TriFalse {
			off = append(off, f.name)
		}
	}
	return off
}

// Ownership returns the bucket's Object Ownership setting and whether it
// was read. A fixture that leaves it out means BucketOwnerEnforced.
func Ownership(b *inventory.Bucket) (string, bool) {
	if b.Errors.Has(inventory.FieldOwnership) {
		return "", false
	}
	if b.Ownership == "" {
		return inventory.OwnershipBucketOwnerEnforced, true
	}
	return b.Ownership, true
}

// ACLsInEffect reports whether the bucket's ACLs take part in access
// decisions: every setting but BucketOwnerEnforced keeps them.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
func ACLsInEffect(b *inventory.Bucket) Tri {
	o, ok := Ownership(b)
	if !ok {
		return TriUnknown
	}
	return triOf(o != inventory.OwnershipBucketOwnerEnforced)
}

// Grantee kinds of an ACL grant, resolved against the organisation.
const (
	GranteeAllUsers      = "AllUsers"
	GranteeAuthenticated = "AuthenticatedUsers"
	GranteeAccount       = "account"   // a canonical user mapped to an account of the snapshot
	GranteeCanonical     = "canonical" // a canonical user no account of the snapshot has
	GranteeLogDelivery   = "LogDelivery"
	GranteeOther         = "other" // e-mail grantees, unknown groups
)

// ResolvedGrant is one bucket-ACL grant with its grantee resolved.
type ResolvedGrant struct {
	Kind string
	// Account is the account ID (GranteeAccount) or "canonical:<id>"
	// (GranteeCanonical).
	Account    string
	Permission string
	// Label names the grant in reasons ("ACL grant AllUsers READ").
	Label string
}

// Public reports whether the grant is public by S3's definition (AllUsers
// or AuthenticatedUsers), the grants IgnorePublicAcls ignores.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
func (g ResolvedGrant) Public() bool {
	return g.Kind == GranteeAllUsers || g.Kind == GranteeAuthenticated
}

// ResolveGrants resolves a bucket ACL's grants, sorted by their label and
// grantee (so that reports do not depend on the order AWS lists them). Canonical IDs
// are mapped to accounts through lookup; unmapped ones become
// "canonical:<id>".
func ResolveGrants(acl *inventory.ACL, lookup func(canonicalID string) (string, bool)) []ResolvedGrant {
	if acl == nil {
		return nil
	}
	out := make([]ResolvedGrant, 0, len(acl.Grants))
	for _, g := range acl.Grants {
		r := ResolvedGrant{Permission: g.Permission}
		switch g.Grantee.Type {
		case inventory.GranteeGroup:
			switch g.Grantee.URI {
			case inventory.AllUsersURI:
				r.Kind = GranteeAllUsers
			case inventory.AuthenticatedUsersURI:
				r.Kind = GranteeAuthenticated
			case inventory.LogDeliveryURI:
				r.Kind = GranteeLogDelivery
			default:
				r.Kind = GranteeOther
			}
			r.Label = "ACL grant " + r.Kind + " " + g.Permission
		case inventory.GranteeCanonicalUser:
			if id, ok := lookup(g.Grantee.ID); ok {
				r.Kind, r.Account = GranteeAccount, id
				r.Label = "ACL grant to account " + id + " " + g.Permission
			} else {
				r.Kind, r.Account = GranteeCanonical, "canonical:"+g.Grantee.ID
				r.Label = "ACL grant to canonical user " + shortID(g.Grantee.ID) + " " + g.Permission
			}
		default:
			r.Kind = GranteeOther
			r.Label = fmt.Sprintf("ACL grant to %s %s", g.Grantee.Email, g.Permission)
		}
		out = append(out, r)
	}
	// Labels shorten canonical IDs: ties are broken by the full grantee.
	slices.SortStableFunc(out, func(a, b ResolvedGrant) int {
		if c := strings.Compare(a.Label, b.Label); c != 0 {
			return c
		}
		return strings.Compare(a.Account, b.Account)
	})
	return out
}

// ACLAllows reports whether a bucket-ACL permission grants an S3 action:
// READ lists, WRITE writes and deletes, READ_ACP reads the ACL (s3:GetBucketAcl),
// WRITE_ACP changes it (s3:PutBucketAcl), FULL_CONTROL all of them. No
// bucket-ACL permission reads objects (object ACLs do) or changes the bucket
// policy (s3:PutBucketPolicy).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
func ACLAllows(permission, action string) bool {
	switch action {
	case ActionList:
		return permission == inventory.PermRead || permission == inventory.PermFullControl
	case ActionWrite, ActionDelete:
		return permission == inventory.PermWrite || permission == inventory.PermFullControl
	case ActionGetBucketACL:
		return permission == inventory.PermReadACP || permission == inventory.PermFullControl
	case ActionPutBucketACL:
		return permission == inventory.PermWriteACP || permission == inventory.PermFullControl
	}
	return false
}

// ACLOf returns the bucket's ACL and whether it was read. A fixture that
// leaves it out means the owner's FULL_CONTROL only (no other grant); a
// scan that did not collect it (ACLs disabled) has none to give.
func ACLOf(b *inventory.Bucket) (*inventory.ACL, bool) {
	if b.Errors.Has(inventory.FieldACL) || !b.Collected(inventory.FieldACL) {
		return nil, false
	}
	if b.ACL == nil {
		return &inventory.ACL{}, true
	}
	return b.ACL, true
}

// EncryptionOf returns the bucket's default encryption and whether it was
// read. A fixture that leaves it out means SSE-S3.
func EncryptionOf(b *inventory.Bucket) (inventory.Encryption, bool) {
	if b.Errors.Has(inventory.FieldEncryption) {
		return inventory.Encryption{}, false
	}
	if b.Encryption == nil {
		return inventory.Encryption{Algorithm: inventory.AlgorithmAES256}, true
	}
	return *b.Encryption, true
}

// UsesKMS reports whether an encryption algorithm is SSE-KMS or DSSE-KMS.
func UsesKMS(algorithm string) bool {
	return algorithm == inventory.AlgorithmKMS || algorithm == inventory.AlgorithmKMSDSSE
}

// KMSActionFor returns the KMS action S3 calls on the caller's behalf for
// an S3 action on an SSE-KMS bucket: kms:Decrypt to read,
// kms:GenerateDataKey to write; "" when none is needed.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
func KMSActionFor(action string) string {
	switch action {
	case ActionRead:
		return "kms:Decrypt"
	case ActionWrite:
		return "kms:GenerateDataKey"
	}
	return ""
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}

// S3 actions of the matrix's columns.
const (
	ActionRead   = "s3:GetObject"
	ActionList   = "s3:ListBucket"
	ActionWrite  = "s3:PutObject"
	ActionDelete = "s3:DeleteObject"
	// ActionManage is the manage column's first action. The column means
	// "can change the bucket's access control": s3:PutBucketPolicy, or
	// s3:PutBucketAcl where ACLs are in force (decideManage).
	ActionManage = "s3:PutBucketPolicy"
	// ActionPutBucketACL changes the bucket ACL: the manage column's second
	// action, which counts only where ACLs are in force.
	ActionPutBucketACL = "s3:PutBucketAcl"
	// ActionGetBucketACL reads the bucket ACL.
	ActionGetBucketACL = "s3:GetBucketAcl"
)

// objectAction reports whether an S3 action acts on objects (bucket/key
// ARN) rather than on the bucket, by the service authorization reference.
func objectAction(action string) bool {
	switch action {
	case ActionRead, ActionWrite, ActionDelete:
		return true
	case ActionList, ActionManage, ActionPutBucketACL, ActionGetBucketACL:
		return false
	}
	return policy.S3ActionScope(action) == policy.ScopeObject
}
