package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
)

// This file holds the fixture defaults: what a field a fixture leaves out
// means. fakeaws serves these values and Normalize fills them in, so both
// always agree.

// DefaultRootName is the name AWS gives an organisation's root.
const DefaultRootName = "Root"

// DefaultBucketCreated returns the creation date of a fixture bucket that
// states none.
func DefaultBucketCreated() time.Time {
	return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
}

// DefaultAccountName returns the name of an account that states none.
func DefaultAccountName(accountID string) string { return "account-" + accountID }

// DefaultAccountEmail returns the e-mail of an account that states none.
func DefaultAccountEmail(accountID string) string { return "aws+" + accountID + "@example.com" }

// DefaultCanonicalID returns the S3 canonical user ID of an account that
// states none: 64 hexadecimal digits derived from the account ID.
func DefaultCanonicalID(accountID string) string {
	var h [64]byte
	return string(derivedHex(&h, "canonical-user", accountID))
}

// DefaultVPCID returns the VPC of an endpoint that states none.
func DefaultVPCID(endpointID string) string {
	var h [64]byte
	return "vpc-" + string(derivedHex(&h, "vpc", endpointID)[:17])
}

// DefaultGrantID returns the ID of the i-th grant of a KMS key that states none.
func DefaultGrantID(keyARN string, i int) string {
	var h [64]byte
	return string(derivedHex(&h, "kms-grant", keyARN, "#", strconv.Itoa(i)))
}

// AWSManagedS3KeyARN returns the ARN of the AWS managed key aws/s3 of an
// account in a region (in the region's partition), when the fixture does
// not define one.
func AWSManagedS3KeyARN(accountID, region string) string {
	var h [64]byte
	d := derivedHex(&h, "aws-s3-key", accountID, "/", region)
	var id [36]byte // 8-4-4-4-12
	b := append(id[:0], d[0:8]...)
	for _, part := range [][]byte{d[8:12], d[12:16], d[16:20], d[20:32]} {
		b = append(append(b, '-'), part...)
	}
	return awsid.KMSKey(region, accountID, string(b))
}

// AWSManagedS3Alias is the alias of the AWS managed key S3 uses for SSE-KMS
// when a bucket names no key.
const AWSManagedS3Alias = "alias/aws/s3"

// derivedHex writes into h, and returns, the 64 hexadecimal digits of the
// SHA-256 of "bucketaudit/KIND/" and the value's parts (a stack buffer for
// the text when it fits: the callers copy what they keep).
func derivedHex(h *[64]byte, kind string, value ...string) []byte {
	var room [160]byte
	b := append(append(append(room[:0], "bucketaudit/"...), kind...), '/')
	for _, v := range value {
		b = append(b, v...)
	}
	sum := sha256.Sum256(b)
	hex.Encode(h[:], sum[:])
	return h[:]
}

// DefaultKeyPolicy returns the key policy AWS gives a customer managed key
// created without one: the account root may do everything, which delegates
// access to IAM. The root's ARN is in the key's partition ("aws",
// "aws-us-gov", "aws-cn").
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
func DefaultKeyPolicy(partition, accountID string) *PolicyDocument {
	return &PolicyDocument{raw: fmt.Appendf(nil, // its own text: no copy
		`{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"%s"},"Action":"kms:*","Resource":"*"}]}`,
		awsid.Root(partition, accountID))}
}

// AWSManagedS3KeyPolicy returns the key policy of the AWS managed aws/s3 key:
// usable through S3 by the account's principals only (the root's ARN and
// S3's endpoint in the region's partition).
func AWSManagedS3KeyPolicy(accountID, region string) *PolicyDocument {
	return &PolicyDocument{raw: fmt.Appendf(nil, // its own text: no copy
		`{"Version":"2012-10-17","Id":"auto-s3-2","Statement":[{"Sid":"Allow access through S3 for all principals in the account that are authorized to use S3","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"%s","kms:ViaService":"%s"}}},{"Sid":"Allow direct access to key metadata to the account","Effect":"Allow","Principal":{"AWS":"%s"},"Action":["kms:Describe*","kms:Get*","kms:List*"],"Resource":"*"}]}`,
		accountID, awsid.ServiceEndpoint("s3", region), awsid.Root(awsid.PartitionOf(region), accountID))}
}

// DefaultVPCEndpointPolicy returns the policy of a VPC endpoint created
// without one: full access.
func DefaultVPCEndpointPolicy() *PolicyDocument {
	return NewPolicyDocument([]byte(`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`))
}

// KeyRegion returns the region of a KMS key ARN ("" when it is not one):
// the ARNs kmsKeyARNRe matches, read without the regular expression (whose
// match allocated).
func KeyRegion(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:aws")
	if !ok {
		return ""
	}
	part, rest, ok := strings.Cut(rest, ":")
	if !ok || !onlyBytes(part, "abcdefghijklmnopqrstuvwxyz-", true) {
		return ""
	}
	if rest, ok = strings.CutPrefix(rest, "kms:"); !ok {
		return ""
	}
	region, rest, ok := strings.Cut(rest, ":")
	if !ok || !onlyBytes(region, "abcdefghijklmnopqrstuvwxyz0123456789-", false) {
		return ""
	}
	account, rest, ok := strings.Cut(rest, ":")
	if !ok || len(account) != 12 || !onlyBytes(account, "0123456789", false) {
		return ""
	}
	if id, ok := strings.CutPrefix(rest, "key/"); !ok || !onlyBytes(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", false) {
		return ""
	}
	return region
}

// onlyBytes reports whether s is made of bytes of set only (and is not
// empty, unless empty is allowed).
func onlyBytes(s, set string, empty bool) bool {
	if s == "" {
		return empty
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

// UsesAWSManagedS3Key reports whether an encryption configuration uses the
// AWS managed aws/s3 key (aws:kms with no key, or the aws/s3 alias).
func (e *Encryption) UsesAWSManagedS3Key() bool {
	if e == nil || (e.Algorithm != AlgorithmKMS && e.Algorithm != AlgorithmKMSDSSE) {
		return false
	}
	return e.KMSKeyID == "" || e.KMSKeyID == AWSManagedS3Alias || strings.HasSuffix(e.KMSKeyID, ":"+AWSManagedS3Alias)
}

// FullAWSAccessID is the ID of the AWS managed SCP FullAWSAccess, which
// AWS Organizations attaches to the root, every OU and every account when
// service control policies are enabled.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
const FullAWSAccessID = "p-FullAWSAccess"

// FullAWSAccessPolicy returns the AWS managed SCP FullAWSAccess, with its
// document as AWS publishes it.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
func FullAWSAccessPolicy() OrgPolicy {
	return OrgPolicy{
		ID:          FullAWSAccessID,
		Name:        "FullAWSAccess",
		Type:        ServiceControlPolicy,
		Description: "Allows access to every operation",
		AWSManaged:  true,
		Document:    NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)),
	}
}

// SCPsInUse reports whether the organisation uses service control
// policies: it has a policy of type SERVICE_CONTROL_POLICY (the emulator
// reports the type enabled exactly then).
func (o *Organization) SCPsInUse() bool {
	if o == nil {
		return false
	}
	for i := range o.Policies {
		if o.Policies[i].Type == ServiceControlPolicy {
			return true
		}
	}
	return false
}

// DefaultsFullAWSAccess reports whether, in d, a root, OU or account of
// the OU tree that leaves policies out has FullAWSAccess attached: d is a
// fixture (it has no scan section) of an organisation that uses SCPs.
// Organizations attaches FullAWSAccess to every new root, OU and account
// and refuses to detach the last SCP of a target
// (ConstraintViolationException MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED),
// so a target without any SCP does not exist. A scan's snapshot keeps what
// was read: the scanner records every attachment it listed, and there an
// absent list means none was listed.
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DetachPolicy.html
func DefaultsFullAWSAccess(d *Document) bool {
	return d != nil && d.Scan == nil && d.Organization.SCPsInUse()
}

// TargetPolicies returns the policies attached to a root, OU or account
// that lists ids and records errs: ids, or FullAWSAccess when the list is
// absent (nil), its fetch did not fail and fullAWSAccess (see
// DefaultsFullAWSAccess) is true.
func TargetPolicies(ids []string, errs Errors, fullAWSAccess bool) []string {
	if ids == nil && fullAWSAccess && !errs.Has(KeyPolicies) {
		return []string{FullAWSAccessID}
	}
	return ids
}

// applyPolicyDefaults attaches FullAWSAccess to the root, OUs and accounts
// of the OU tree that leave policies out (see DefaultsFullAWSAccess), and
// adds the policy itself when the document does not define it.
func applyPolicyDefaults(d *Document) {
	if !DefaultsFullAWSAccess(d) {
		return
	}
	o := d.Organization
	placed := map[string]bool{}
	used := false
	var walk func(ou *OU)
	walk = func(ou *OU) {
		if ou.Policies == nil {
			ou.Policies = TargetPolicies(nil, ou.Errors, true)
			used = used || ou.Policies != nil
		}
		for _, id := range ou.Accounts {
			placed[id] = true
		}
		for i := range ou.OUs {
			walk(&ou.OUs[i])
		}
	}
	walk(&o.Root)
	for i := range d.Accounts {
		a := &d.Accounts[i]
		if placed[a.ID] && a.Policies == nil {
			a.Policies = TargetPolicies(nil, a.Errors, true)
			used = used || a.Policies != nil
		}
	}
	if used && !slices.ContainsFunc(o.Policies, func(p OrgPolicy) bool { return p.ID == FullAWSAccessID }) {
		o.Policies = append(o.Policies, FullAWSAccessPolicy())
	}
}

// ApplyDefaults fills in, in place, every field a fixture may leave out
// with what fakeaws serves for it (see the package documentation and
// DESIGN.md): account name, e-mail, status and canonical ID; the root's
// name; FullAWSAccess on the root, OUs and accounts that list no policies
// when the organisation uses SCPs (fixtures only, see
// DefaultsFullAWSAccess); bucket creation date, ownership, ACL and
// encryption (unless their fetch failed, see Errors); KMS key manager,
// state, policy, grant IDs and the implicit AWS managed aws/s3 keys (of a
// fixture only: a document with scan info is a snapshot, whose keys are
// what the scan read); VPC endpoint type, VPC and policy; accounts' OU
// paths. It does not touch fixture-only fields.
func ApplyDefaults(d *Document) {
	if d.Organization != nil && d.Organization.Root.Name == "" {
		d.Organization.Root.Name = DefaultRootName
	}
	applyPolicyDefaults(d)
	var paths map[string]string // walked when an account needs it
	for i := range d.Accounts {
		a := &d.Accounts[i]
		*a = a.WithDefaults()
		if a.OUPath == "" {
			if paths == nil {
				paths = OUPaths(d.Organization)
			}
			if p, ok := paths[a.ID]; ok {
				a.OUPath = p
			}
		}
		for j := range a.Buckets {
			a.Buckets[j] = a.Buckets[j].WithDefaults(a.CanonicalID)
		}
		if d.Scan == nil {
			// A fixture's implicit aws/s3 keys, as fakeaws serves them. A
			// scan's snapshot holds the keys it read and no others: one it
			// did not read (collect.kms: false) is never made up.
			a.KMSKeys = append(a.KMSKeys, ImplicitKMSKeys(a)...)
		}
		for j := range a.KMSKeys {
			a.KMSKeys[j] = a.KMSKeys[j].WithDefaults(a.ID)
		}
		for j := range a.VPCEndpoints {
			a.VPCEndpoints[j] = a.VPCEndpoints[j].WithDefaults()
		}
		if a.IAM != nil {
			for j := range a.IAM.Policies {
				p := &a.IAM.Policies[j]
				if p.Name == "" {
					p.Name = p.ARN[strings.LastIndex(p.ARN, "/")+1:]
				}
			}
		}
	}
}

// WithDefaults returns a copy of a with its own fixture defaults filled in
// (name, e-mail, status, canonical ID); its buckets, keys and endpoints are
// shared with a, not defaulted.
func (a Account) WithDefaults() Account {
	if a.Name == "" {
		a.Name = DefaultAccountName(a.ID)
	}
	if a.Email == "" {
		a.Email = DefaultAccountEmail(a.ID)
	}
	if a.Status == "" {
		a.Status = AccountActive
	}
	if a.CanonicalID == "" {
		a.CanonicalID = DefaultCanonicalID(a.ID)
	}
	return a
}

// WithDefaults returns a copy of b with the fixture defaults filled in
// (creation date, ownership, ACL, encryption) for an owner with the given
// canonical ID. Fields whose fetch failed (see Errors) or that were not
// collected (NotCollected) stay absent.
func (b Bucket) WithDefaults(canonicalID string) Bucket {
	if b.Created.IsZero() {
		b.Created = DefaultBucketCreated()
	}
	if b.Ownership == "" && !b.Errors.Has(FieldOwnership) {
		b.Ownership = OwnershipBucketOwnerEnforced
	}
	if b.ACL == nil && !b.Errors.Has(FieldACL) && b.Collected(FieldACL) {
		x := &struct { // the ACL and its grant in one allocation
			acl ACL
			g   [1]Grant
		}{}
		x.g[0] = Grant{Grantee: Grantee{Type: GranteeCanonicalUser, ID: canonicalID}, Permission: PermFullControl}
		x.acl = ACL{OwnerID: canonicalID, Grants: x.g[:]}
		b.ACL = &x.acl
	} else if b.ACL != nil && b.ACL.OwnerID == "" {
		acl := *b.ACL
		acl.OwnerID = canonicalID
		b.ACL = &acl
	}
	if b.Encryption == nil && !b.Errors.Has(FieldEncryption) {
		b.Encryption = &Encryption{Algorithm: AlgorithmAES256}
	}
	return b
}

// WithDefaults returns a copy of k with the fixture defaults filled in
// (manager, state, key policy, grant IDs) for a key of accountID. A key
// whose description could not be read (Errors["describe_key"]) keeps its
// manager, state and policy unknown.
func (k KMSKey) WithDefaults(accountID string) KMSKey {
	if k.Errors.Has(KeyDescribeKey) {
		return k
	}
	if k.Manager == "" {
		k.Manager = KeyManagerCustomer
	}
	if k.State == "" {
		k.State = "Enabled"
	}
	if k.Policy == nil && !k.Errors.Has(KeyKeyPolicy) {
		if k.Manager == KeyManagerAWS && hasAlias(&k, AWSManagedS3Alias) {
			k.Policy = AWSManagedS3KeyPolicy(accountID, KeyRegion(k.ARN))
		} else {
			k.Policy = DefaultKeyPolicy(awsid.PartitionOf(KeyRegion(k.ARN)), accountID)
		}
	}
	var grants []KMSGrant
	for i, g := range k.Grants {
		if g.GrantID == "" {
			if grants == nil {
				grants = append([]KMSGrant(nil), k.Grants...)
			}
			grants[i].GrantID = DefaultGrantID(k.ARN, i)
		}
	}
	if grants != nil {
		k.Grants = grants
	}
	return k
}

// WithDefaults returns a copy of e with the fixture defaults filled in
// (type Gateway, a VPC ID, the full-access endpoint policy).
func (e VPCEndpoint) WithDefaults() VPCEndpoint {
	if e.Type == "" {
		e.Type = "Gateway"
	}
	if e.VPCID == "" {
		e.VPCID = DefaultVPCID(e.ID)
	}
	if e.Policy == nil {
		e.Policy = DefaultVPCEndpointPolicy()
	}
	return e
}

func hasAlias(k *KMSKey, alias string) bool {
	for _, a := range k.Aliases {
		if a == alias {
			return true
		}
	}
	return false
}

// ImplicitKMSKeys returns the AWS managed aws/s3 keys that AWS would have
// created for the account's buckets (SSE-KMS without a named key) in
// regions where the fixture defines no key aliased aws/s3.
func ImplicitKMSKeys(a *Account) []KMSKey {
	defined := map[string]bool{}
	for i := range a.KMSKeys {
		if hasAlias(&a.KMSKeys[i], AWSManagedS3Alias) {
			defined[KeyRegion(a.KMSKeys[i].ARN)] = true
		}
	}
	var out []KMSKey
	for i := range a.Buckets {
		b := &a.Buckets[i]
		if !b.Encryption.UsesAWSManagedS3Key() || b.Region == "" || defined[b.Region] {
			continue
		}
		defined[b.Region] = true
		out = append(out, KMSKey{
			ARN:     AWSManagedS3KeyARN(a.ID, b.Region),
			Manager: KeyManagerAWS,
			Aliases: []string{AWSManagedS3Alias},
		})
	}
	return out
}

// OUPaths maps each account placed in the organisation's OU tree to its OU
// path ("Root/Workloads/Prod": the names from the root to its parent).
func OUPaths(o *Organization) map[string]string {
	out := map[string]string{}
	if o == nil {
		return out
	}
	var walk func(ou *OU, prefix string)
	walk = func(ou *OU, prefix string) {
		name := ou.Name
		if name == "" {
			name = ou.ID
		}
		p := name
		if prefix != "" {
			p = prefix + "/" + name
		}
		for _, id := range ou.Accounts {
			out[id] = p
		}
		for i := range ou.OUs {
			walk(&ou.OUs[i], p)
		}
	}
	root := o.Root
	if root.Name == "" {
		root.Name = DefaultRootName
	}
	walk(&root, "")
	return out
}
