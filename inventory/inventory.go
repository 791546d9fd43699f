// Package inventory holds the plain data types of everything bucketaudit
// collects about an AWS Organization: the organisation and its OU tree,
// SCPs and RCPs, accounts, buckets, KMS keys, IAM principals and VPC
// endpoints.
//
// The same document is a snapshot (what a scan collected) and a fixture
// (what the fakeaws emulator serves): a fixture loaded into the emulator and
// scanned back through the real SDK must come back as the same snapshot.
// A document with a scan section is a snapshot; without one, a fixture,
// whose absent fields take the defaults of ApplyDefaults (defaults.go).
//
// Every collected field is tri-state:
//   - a value;
//   - "not configured": the field is absent (nil) and AWS answered with the
//     specific not-found code (NoSuchBucketPolicy, ...);
//   - a fetch error: the field is absent and its name is a key of the
//     owner's Errors map, holding a FetchError (its code and message as AWS
//     returned them; in the snapshot the text "Code: message").
//
// Consumers must check Errors before reading an absent field as "not
// configured". The package imports no AWS SDK and no other stage (only
// internal/fileutil, for Save's atomic 0600 writes).
package inventory

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// SchemaVersion is the version of the document this package reads and writes.
const SchemaVersion = 1

// Document is the inventory document: a snapshot or a fixture.
type Document struct {
	SchemaVersion int           `json:"schema_version"`
	Scan          *ScanInfo     `json:"scan,omitempty"`
	Organization  *Organization `json:"organization,omitempty"`
	Accounts      []Account     `json:"accounts"`
	// Faults is fixture only: what fakeaws injects. A scan never writes it.
	Faults *Faults `json:"faults,omitempty"`
}

// ScanInfo describes the scan that produced a snapshot. A fixture leaves it out.
type ScanInfo struct {
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`
	ToolVersion  string    `json:"tool_version,omitempty"`
	ConfigDigest string    `json:"config_digest,omitempty"`
	// Complete is false when the scan was interrupted or any account or
	// bucket could not be fully assessed.
	Complete bool `json:"complete"`
	// Interrupted is true when the scan was stopped (Ctrl-C, deadline)
	// before it visited everything in scope.
	Interrupted bool `json:"interrupted,omitempty"`
	// Regions the scan was limited to; empty means all.
	Regions []string `json:"regions,omitempty"`
	// TrustedAccounts are accounts outside the organisation that the
	// configuration names as known partners, keyed by account ID with a label.
	TrustedAccounts map[string]string `json:"trusted_accounts,omitempty"`
	// ExcludedAccounts are the ACTIVE accounts of the organisation that the
	// configured scope left out: the OU tree names them, Accounts does not
	// hold them, and they were not assessed by choice (not a failure).
	ExcludedAccounts []string `json:"excluded_accounts,omitempty"`
	// Errors are scan-wide problems (e.g. Organizations could not be read).
	Errors Errors `json:"errors,omitempty"`
	// Shard is set on the snapshot of one shard of a sharded scan (scan
	// --shard K/N): Accounts holds only the accounts of the shard, and
	// ExcludedAccounts also the accounts of the other shards.
	Shard *Shard `json:"shard,omitempty"`
	// OrgOnly marks the walk of the organisation alone (scan --org-only):
	// its accounts hold what Organizations says about them, nothing was
	// collected inside them. It feeds scan --org-snapshot; it is not a scan.
	OrgOnly bool `json:"org_only,omitempty"`
}

// Shard says which part of a sharded scan a snapshot holds.
type Shard struct {
	// Index is the shard, 1 to Count.
	Index int `json:"index"`
	Count int `json:"count"`
	// KMSKeys are keys of accounts of other shards that buckets of this
	// shard use, read in their owner account and keyed by its ID; merging
	// the shards gives them to their owner.
	KMSKeys map[string][]KMSKey `json:"kms_keys,omitempty"`
}

// ShardOf returns the shard (1 to count) of an account: a hash of its ID,
// so an account stays in its shard whatever other accounts come and go.
func ShardOf(accountID string, count int) int {
	if count <= 1 {
		return 1
	}
	sum := sha256.Sum256([]byte(accountID))
	return int(binary.BigEndian.Uint64(sum[:8])%uint64(count)) + 1
}

// Organization is an AWS Organization: its OU tree and its policies.
type Organization struct {
	ID                  string `json:"id"`
	ManagementAccountID string `json:"management_account_id"`
	// ManagementCredentials is fixture only: when set, fakeaws accepts only
	// these static credentials for the management account.
	ManagementCredentials *Credentials `json:"management_credentials,omitempty"`
	Root                  OU           `json:"root"`
	Policies              []OrgPolicy  `json:"policies,omitempty"`
	// AccountPolicies lists, for member accounts that Accounts does not
	// hold (the accounts a scan's scope left out, ScanInfo.ExcludedAccounts),
	// the IDs of the SCPs and RCPs attached directly to them (an empty list:
	// none); the accounts of Accounts keep theirs in Account.Policies. An
	// excluded account missing here has an unknown account level (see
	// Errors["account_policies:ID"] for why it could not be read).
	AccountPolicies map[string][]string `json:"account_policies,omitempty"`
	// Errors records what could not be read, keyed by field.
	Errors Errors `json:"errors,omitempty"`
}

// AccountPoliciesErrorKey is the Organization.Errors key recording why the
// SCPs and RCPs attached to an account that Accounts does not hold could not
// be listed.
func AccountPoliciesErrorKey(accountID string) string { return "account_policies:" + accountID }

// Credentials are static AWS credentials (fixture only).
type Credentials struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

// OU is an organisational unit, or the root. Policies lists the IDs of the
// SCPs and RCPs attached directly to it; Accounts lists the IDs of the
// accounts directly under it.
//
// In a fixture of an organisation that uses SCPs, a root, OU or account
// that leaves policies out has FullAWSAccess (p-FullAWSAccess) attached,
// as Organizations attaches it to every new target and never detaches the
// last SCP; an explicit empty list, or one without any SCP, is a
// validation error. RCPFullAWSAccess is implicit at every level and never
// listed. A scan's snapshot (a document with a scan section) records what
// was listed: there an absent list means none (see DefaultsFullAWSAccess).
type OU struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Policies []string `json:"policies,omitempty"`
	Accounts []string `json:"accounts,omitempty"`
	OUs      []OU     `json:"ous,omitempty"`
	// Errors records what could not be read, keyed by field ("policies", "ous", "accounts").
	Errors Errors `json:"errors,omitempty"`
}

// Policy types of an OrgPolicy, as Organizations names them.
const (
	ServiceControlPolicy  = "SERVICE_CONTROL_POLICY"
	ResourceControlPolicy = "RESOURCE_CONTROL_POLICY"
)

// OrgPolicy is a service control policy or a resource control policy.
type OrgPolicy struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	AWSManaged  bool   `json:"aws_managed,omitempty"`
	// Document is absent when it could not be read (see Errors["document"]).
	Document *PolicyDocument `json:"document,omitempty"`
	Errors   Errors          `json:"errors,omitempty"`
}

// Account statuses.
const (
	AccountActive    = "ACTIVE"
	AccountSuspended = "SUSPENDED"
)

// Account is one AWS account and everything collected in it.
type Account struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Email  string `json:"email,omitempty"`
	Status string `json:"status,omitempty"`
	// OUPath is the path from the root to the account's parent, as names
	// ("Root/Workloads/Prod"). A scan fills it in; in a fixture it is
	// derived from the OU tree.
	OUPath string `json:"ou_path,omitempty"`
	// CanonicalID is the account's S3 canonical user ID (ListBuckets Owner.ID).
	CanonicalID string `json:"canonical_id,omitempty"`
	// Policies lists the IDs of the SCPs and RCPs attached directly to the
	// account (the last level of the OU path). A fixture that leaves it
	// out attaches FullAWSAccess when the organisation uses SCPs (see OU).
	Policies []string `json:"policies,omitempty"`
	// Tags are the account's tags in Organizations (ListTagsForResource).
	Tags              map[string]string  `json:"tags,omitempty"`
	PublicAccessBlock *PublicAccessBlock `json:"public_access_block,omitempty"`
	Buckets           []Bucket           `json:"buckets,omitempty"`
	KMSKeys           []KMSKey           `json:"kms_keys,omitempty"`
	IAM               *IAM               `json:"iam,omitempty"`
	VPCEndpoints      []VPCEndpoint      `json:"vpc_endpoints,omitempty"`
	// Membership is what the account said of its organisation itself, when
	// the document has no organization section (a scan of an accounts:
	// list); nil when it was not asked.
	Membership *Membership `json:"membership,omitempty"`
	// AuditRole is fixture only: the role fakeaws lets AssumeRole into.
	AuditRole *AuditRole `json:"audit_role,omitempty"`
	// Errors records what could not be read, keyed by field:
	// "assume_role", "public_access_block", "buckets", "iam", "vpc_endpoints:REGION",
	// FieldOrganization, ...
	Errors Errors `json:"errors,omitempty"`
}

// FieldOrganization is the Account.Errors key recording that the SCPs and
// RCPs governing the account are unknown: its organisation membership could
// not be read, or it belongs to an organisation whose policies were not read.
// As a ScanInfo.Errors key it records that the organisation could not be
// read at all (the document then has no organization section, and the SCPs
// and RCPs of every account are unknown).
const FieldOrganization = "organization"

// Membership is an account's answer to organizations:DescribeOrganization
// (made with its audit role). In a document without an organization
// section it says whether SCPs and RCPs can apply to the account:
//   - Standalone: the account belongs to no organisation
//     (AWSOrganizationsNotInUseException): no SCP or RCP applies to it;
//   - OrganizationID: the account belongs to that organisation, whose SCPs
//     and RCPs were not read (unknown), unless it is its management account
//     (ManagementAccountID), which SCPs and RCPs do not govern.
//
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html
type Membership struct {
	Standalone          bool   `json:"standalone,omitempty"`
	OrganizationID      string `json:"organization_id,omitempty"`
	ManagementAccountID string `json:"management_account_id,omitempty"`
}

// AuditRole is the role fakeaws accepts AssumeRole calls for (fixture only).
type AuditRole struct {
	Name       string `json:"name"`
	Path       string `json:"path,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
}

// PublicAccessBlock is an S3 Block Public Access configuration, account or bucket level.
type PublicAccessBlock struct {
	BlockPublicACLs       bool `json:"block_public_acls"`
	IgnorePublicACLs      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// Object Ownership settings. OwnershipNone records that the bucket has no
// ownership controls at all (GetBucketOwnershipControls answered
// OwnershipControlsNotFoundError); ACLs then behave as under ObjectWriter.
const (
	OwnershipBucketOwnerEnforced  = "BucketOwnerEnforced"
	OwnershipBucketOwnerPreferred = "BucketOwnerPreferred"
	OwnershipObjectWriter         = "ObjectWriter"
	OwnershipNone                 = "None"
)

// Encryption algorithms. AlgorithmNone records that the bucket has no default
// encryption configuration (ServerSideEncryptionConfigurationNotFoundError).
const (
	AlgorithmAES256  = "AES256"
	AlgorithmKMS     = "aws:kms"
	AlgorithmKMSDSSE = "aws:kms:dsse"
	AlgorithmNone    = "None"
)

// Bucket error keys: the field names used in Bucket.Errors.
const (
	FieldRegion            = "region"
	FieldPolicy            = "policy"
	FieldPolicyStatus      = "policy_status"
	FieldPublicAccessBlock = "public_access_block"
	FieldOwnership         = "ownership"
	FieldACL               = "acl"
	FieldEncryption        = "encryption"
	FieldVersioning        = "versioning"
	FieldTags              = "tags"
)

// Bucket is one S3 bucket and its access-relevant configuration.
//
// Fixture defaults for absent fields: no bucket policy, no BPA, ownership
// BucketOwnerEnforced, an ACL granting the owner FULL_CONTROL only, SSE-S3
// encryption, versioning off, no tags. A snapshot written by a scan always
// states ownership, ACL and encryption explicitly, except an ACL it did not
// read because ACLs are disabled (NotCollected).
type Bucket struct {
	Name    string    `json:"name"`
	Region  string    `json:"region"`
	Created time.Time `json:"created,omitempty"`
	// Policy is the bucket policy; nil means none (or not read: see Errors).
	Policy *PolicyDocument `json:"policy,omitempty"`
	// PolicyIsPublic is what AWS's GetBucketPolicyStatus said. In a fixture
	// it overrides what the emulator computes (to model a disagreement).
	PolicyIsPublic    *bool              `json:"policy_is_public,omitempty"`
	PublicAccessBlock *PublicAccessBlock `json:"public_access_block,omitempty"`
	Ownership         string             `json:"ownership,omitempty"`
	ACL               *ACL               `json:"acl,omitempty"`
	Encryption        *Encryption        `json:"encryption,omitempty"`
	// Versioning is "Enabled", "Suspended" or "" (never enabled).
	Versioning string            `json:"versioning,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	// Errors records the fields that could not be read (Field* keys).
	Errors Errors `json:"errors,omitempty"`
	// NotCollected lists the fields the scan deliberately did not read
	// (sorted): FieldACL when Object Ownership is BucketOwnerEnforced (ACLs
	// are disabled and take no part in access), FieldVersioning and
	// FieldTags when their collection is switched off. Such a field is
	// neither a value nor an error, and no default fills it in.
	NotCollected []string `json:"not_collected,omitempty"`
}

// NotCollectable returns the fields that Bucket.NotCollected may name.
func NotCollectable() []string { return []string{FieldACL, FieldTags, FieldVersioning} }

// Collected reports whether field was read (or at least attempted): false
// only when it is listed in NotCollected.
func (b *Bucket) Collected(field string) bool {
	for _, f := range b.NotCollected {
		if f == field {
			return false
		}
	}
	return true
}

// ACL is a bucket access control list.
type ACL struct {
	OwnerID string  `json:"owner_id"`
	Grants  []Grant `json:"grants,omitempty"`
}

// ACL grantee types.
const (
	GranteeCanonicalUser = "CanonicalUser"
	GranteeGroup         = "Group"
	GranteeEmail         = "AmazonCustomerByEmail"
)

// Well-known ACL group URIs.
const (
	AllUsersURI           = "http://acs.amazonaws.com/groups/global/AllUsers"
	AuthenticatedUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	LogDeliveryURI        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// ACL permissions.
const (
	PermRead        = "READ"
	PermWrite       = "WRITE"
	PermReadACP     = "READ_ACP"
	PermWriteACP    = "WRITE_ACP"
	PermFullControl = "FULL_CONTROL"
)

// Grant is one ACL grant.
type Grant struct {
	Grantee    Grantee `json:"grantee"`
	Permission string  `json:"permission"`
}

// Grantee is the subject of an ACL grant.
type Grantee struct {
	Type        string `json:"type"`
	ID          string `json:"id,omitempty"`
	URI         string `json:"uri,omitempty"`
	Email       string `json:"email,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
}

// Encryption is a bucket's default encryption.
type Encryption struct {
	Algorithm string `json:"algorithm"`
	// KMSKeyID is the key as configured: key ARN, key ID or alias ARN/name.
	KMSKeyID  string `json:"kms_key_id,omitempty"`
	BucketKey bool   `json:"bucket_key,omitempty"`
}

// KMS key managers.
const (
	KeyManagerCustomer = "CUSTOMER"
	KeyManagerAWS      = "AWS"
)

// KMSKey is a KMS key used by a bucket's default encryption, held under its
// owner account.
type KMSKey struct {
	ARN     string          `json:"arn"`
	Manager string          `json:"manager,omitempty"`
	State   string          `json:"state,omitempty"`
	Aliases []string        `json:"aliases,omitempty"`
	Policy  *PolicyDocument `json:"policy,omitempty"`
	Grants  []KMSGrant      `json:"grants,omitempty"`
	// Errors keys: "describe_key", "policy", "grants", "aliases".
	Errors Errors `json:"errors,omitempty"`
}

// KMSGrant is a KMS grant.
type KMSGrant struct {
	GrantID           string   `json:"grant_id,omitempty"`
	GranteePrincipal  string   `json:"grantee_principal"`
	RetiringPrincipal string   `json:"retiring_principal,omitempty"`
	Operations        []string `json:"operations"`
}

// IAM holds an account's IAM principals and customer/AWS managed policies
// (GetAccountAuthorizationDetails).
type IAM struct {
	Roles    []IAMRole          `json:"roles,omitempty"`
	Users    []IAMUser          `json:"users,omitempty"`
	Groups   []IAMGroup         `json:"groups,omitempty"`
	Policies []IAMManagedPolicy `json:"policies,omitempty"`
}

// IAMRole is an IAM role. InlinePolicies is keyed by policy name;
// AttachedPolicies and PermissionsBoundary are managed policy ARNs. ID is
// its unique ID (RoleId, "AROA…"; "" when not collected: its sessions'
// aws:userid is then unknown).
type IAMRole struct {
	ARN                 string                     `json:"arn"`
	ID                  string                     `json:"id,omitempty"`
	TrustPolicy         *PolicyDocument            `json:"trust_policy,omitempty"`
	InlinePolicies      map[string]*PolicyDocument `json:"inline_policies,omitempty"`
	AttachedPolicies    []string                   `json:"attached_policies,omitempty"`
	PermissionsBoundary string                     `json:"permissions_boundary,omitempty"`
	Tags                map[string]string          `json:"tags,omitempty"`
}

// IAMUser is an IAM user. Groups lists group names. ID is its unique ID
// (UserId, "AIDA…"; "" when not collected: its aws:userid is then
// unknown).
type IAMUser struct {
	ARN                 string                     `json:"arn"`
	ID                  string                     `json:"id,omitempty"`
	InlinePolicies      map[string]*PolicyDocument `json:"inline_policies,omitempty"`
	AttachedPolicies    []string                   `json:"attached_policies,omitempty"`
	Groups              []string                   `json:"groups,omitempty"`
	PermissionsBoundary string                     `json:"permissions_boundary,omitempty"`
	Tags                map[string]string          `json:"tags,omitempty"`
}

// IAMGroup is an IAM group.
type IAMGroup struct {
	ARN              string                     `json:"arn"`
	InlinePolicies   map[string]*PolicyDocument `json:"inline_policies,omitempty"`
	AttachedPolicies []string                   `json:"attached_policies,omitempty"`
}

// IAMManagedPolicy is a managed policy (its default version).
type IAMManagedPolicy struct {
	ARN      string          `json:"arn"`
	Name     string          `json:"name,omitempty"`
	Document *PolicyDocument `json:"document"`
}

// VPCEndpoint is a VPC endpoint (gateway or interface) and its policy.
type VPCEndpoint struct {
	ID      string          `json:"id"`
	VPCID   string          `json:"vpc_id,omitempty"`
	Region  string          `json:"region"`
	Service string          `json:"service"`
	Type    string          `json:"type,omitempty"`
	Policy  *PolicyDocument `json:"policy,omitempty"`
}

// Faults is what fakeaws injects (fixture only).
type Faults struct {
	// Latency is added to every request, e.g. "20ms".
	Latency  Duration  `json:"latency,omitempty"`
	Throttle *Throttle `json:"throttle,omitempty"`
	// SessionTTL overrides how long AssumeRole sessions live (default 1h).
	SessionTTL Duration     `json:"session_ttl,omitempty"`
	Errors     []FaultError `json:"errors,omitempty"`
	// Omit lists answer elements fakeaws leaves out, to model an answer
	// AWS may give without an optional element.
	Omit []FaultOmission `json:"omit,omitempty"`
	// Seed makes probabilistic faults deterministic.
	Seed int64 `json:"seed,omitempty"`
}

// Throttle is a token bucket per account (or global).
type Throttle struct {
	RequestsPerSecond float64 `json:"requests_per_second"`
	Burst             int     `json:"burst,omitempty"`
	// Per is "account" (default) or "global".
	Per string `json:"per,omitempty"`
}

// FaultOmission is an element fakeaws leaves out of the answers to the
// matching requests (fixture only). Account and Bucket, when set, narrow
// the match. Supported: OmittableElements.
type FaultOmission struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Account   string `json:"account,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Element   string `json:"element"`
}

// OmittableElements lists, as "service Operation Element", the answer
// elements a FaultOmission may leave out: those that AWS documents as
// optional and whose absence the scanner must record as not read
// (PolicyStatus.IsPublic is "Required: No",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PolicyStatus.html).
func OmittableElements() []string {
	return []string{"s3 GetBucketPolicyStatus IsPublic"}
}

// FaultError is a chosen error answer. Empty match fields match anything.
type FaultError struct {
	Service   string `json:"service"`
	Operation string `json:"operation,omitempty"`
	Account   string `json:"account,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Code      string `json:"code"`
	Message   string `json:"message,omitempty"`
	// Status is the HTTP status of the answer; 0 means the status AWS
	// uses for Code (400 when the code is not one fakeaws knows).
	Status int `json:"status,omitempty"`
	// Times limits how often the error is returned before the call
	// succeeds (0 = always), to model transient failures.
	Times int `json:"times,omitempty"`
}
