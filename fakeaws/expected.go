package fakeaws

import (
	"github.com/bucketaudit/bucketaudit/inventory"
)

// Expected returns the normalised snapshot that a complete scan of doc
// through the emulator must produce. Compare it with
// inventory.Canonical(snapshot) (strict: a field the scan did not record
// shows up) or inventory.Normalize(snapshot).
//
// It is inventory.Normalize(doc) (the fixture defaults filled in, as the
// emulator serves them) with what the emulator adds or cannot serve:
//   - policy_is_public: for every bucket with a policy, the
//     GetBucketPolicyStatus.IsPublic the emulator computes, unless the
//     fixture sets it;
//   - the unique ID of every role and user the fixture gives none (the
//     emulator derives one from the ARN, uniqueID);
//   - an account whose audit role cannot be assumed (errors.assume_role)
//     keeps only what Organizations says about it; one whose buckets
//     cannot be listed (errors.buckets) has no buckets and no canonical ID
//     (S3 gives it with ListBuckets).
//
// Fixture errors maps are served as errors and so come back unchanged;
// faults (chosen errors, throttling, omitted elements) are not modelled here.
func Expected(doc *inventory.Document) *inventory.Document {
	n := inventory.Normalize(doc)
	for i := range n.Accounts {
		a := &n.Accounts[i]
		if a.Errors.Has(inventory.KeyAssumeRole) {
			a.CanonicalID, a.PublicAccessBlock, a.Buckets, a.KMSKeys, a.IAM, a.VPCEndpoints = "", nil, nil, nil, nil, nil
			continue
		}
		if a.Errors.Has(inventory.KeyBuckets) {
			a.CanonicalID, a.Buckets = "", nil
		}
		a.IAM = withUniqueIDs(a.IAM)
		for j := range a.Buckets {
			b := &a.Buckets[j]
			if b.Policy == nil || b.PolicyIsPublic != nil || b.Errors.Has(inventory.FieldPolicyStatus) {
				continue
			}
			if public, err := policyIsPublic(b); err == nil {
				b.PolicyIsPublic = &public
			}
		}
	}
	return n
}

// withUniqueIDs returns a copy of iam whose roles and users all have the
// unique ID the emulator serves.
func withUniqueIDs(iam *inventory.IAM) *inventory.IAM {
	if iam == nil {
		return nil
	}
	c := *iam
	c.Roles = append([]inventory.IAMRole(nil), iam.Roles...)
	for i := range c.Roles {
		c.Roles[i].ID = uniqueID(c.Roles[i].ID, "AROA", c.Roles[i].ARN)
	}
	c.Users = append([]inventory.IAMUser(nil), iam.Users...)
	for i := range c.Users {
		c.Users[i].ID = uniqueID(c.Users[i].ID, "AIDA", c.Users[i].ARN)
	}
	return &c
}

// ScanOptions are the optional bucket fields a scan collects (the
// configuration's collect.versioning and collect.tags).
type ScanOptions struct {
	Versioning bool
	Tags       bool
}

// ExpectedScan returns the normalised snapshot that a complete scan of doc
// with opts must produce: Expected(doc) less what the scanner leaves out on
// purpose, each listed in the bucket's not_collected — the ACL of a bucket
// whose Object Ownership is BucketOwnerEnforced (ACLs disabled), and
// versioning and tags unless opts asks for them.
func ExpectedScan(doc *inventory.Document, opts ScanOptions) *inventory.Document {
	n := Expected(doc)
	for i := range n.Accounts {
		for j := range n.Accounts[i].Buckets {
			b := &n.Accounts[i].Buckets[j]
			var skip []string
			if b.Ownership == inventory.OwnershipBucketOwnerEnforced {
				b.ACL = nil
				skip = append(skip, inventory.FieldACL)
			}
			if !opts.Tags {
				b.Tags = nil
				skip = append(skip, inventory.FieldTags)
			}
			if !opts.Versioning {
				b.Versioning = ""
				skip = append(skip, inventory.FieldVersioning)
			}
			for _, f := range skip {
				delete(b.Errors, f)
			}
			if len(b.Errors) == 0 {
				b.Errors = nil
			}
			b.NotCollected = skip
		}
	}
	return n
}
