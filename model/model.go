// Package model is report.json's document: the access matrix, findings and
// summary that access fills and report writes (and reads back for diff),
// with its JSON Schema, the findings catalogue and the vocabularies
// (verdicts, layers, classes, severities, exposures) and their glossary.
package model

// These types are report.json's shape, the contract between access (which
// fills them) and report (which writes them, and reads them back for diff).
// Adding fields is fine; renaming or removing is a schema change (bump
// SchemaVersion, update model/report.schema.json, which TestDemoGolden and
// TestSchemaRejects validate against).

import (
	"time"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// SchemaVersion is the version of report.json.
const SchemaVersion = 1

// Verdict is the value of one matrix cell.
type Verdict string

// Verdicts.
const (
	VerdictAllow       Verdict = "allow"
	VerdictDeny        Verdict = "deny"
	VerdictConditional Verdict = "conditional"
	VerdictUnknown     Verdict = "unknown"
)

// Layer names used in Cell.DecidedBy.
const (
	LayerSCP          = "scp"
	LayerRCP          = "rcp"
	LayerBPA          = "bpa"
	LayerBucketPolicy = "bucket_policy"
	LayerACL          = "acl"
	LayerKMS          = "kms"
	LayerIdentity     = "identity"
	LayerVPCE         = "vpce"
)

// Severities, most severe first.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityInfo     Severity = "info"
)

// Report is the whole analysis: what report.json holds.
type Report struct {
	SchemaVersion int       `json:"schema_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	ToolVersion   string    `json:"tool_version"`
	// Assumptions are the stated assumptions every verdict rests on.
	Assumptions  []string      `json:"assumptions"`
	Scan         *ScanInfo     `json:"scan,omitempty"`
	Organization *Organization `json:"organization,omitempty"`
	Accounts     []Account     `json:"accounts"`
	Buckets      []Bucket      `json:"buckets"`
	Summary      Summary       `json:"summary"`
}

// ScanInfo says where the analysed data came from.
type ScanInfo struct {
	Sources      []string  `json:"sources,omitempty"` // snapshot file names, or "scan"
	StartedAt    time.Time `json:"started_at,omitzero"`
	FinishedAt   time.Time `json:"finished_at,omitzero"`
	Complete     bool      `json:"complete"`
	ConfigDigest string    `json:"config_digest,omitempty"`
	Regions      []string  `json:"regions,omitempty"`
	// Interrupted is true when the scan stopped before visiting everything.
	Interrupted bool `json:"interrupted,omitempty"`
	// TrustedAccounts are the accounts outside the organisation labelled as
	// known partners (ID → label).
	TrustedAccounts map[string]string `json:"trusted_accounts,omitempty"`
	// ExcludedAccounts are the member accounts the scan's scope left out:
	// their buckets are not in the report (not a failure); they still count
	// as members of the organisation, governed by the SCPs the OU tree gives
	// them.
	ExcludedAccounts []string `json:"excluded_accounts,omitempty"`
	// Errors are scan-wide problems (e.g. Organizations could not be read).
	Errors []Error `json:"errors,omitempty"`
}

// Organization identifies the organisation.
type Organization struct {
	ID                  string `json:"id"`
	ManagementAccountID string `json:"management_account_id"`
	// SCPs and RCPs list the organisation's policies of each type (ID and name).
	SCPs []OrgPolicy `json:"scps,omitempty"`
	RCPs []OrgPolicy `json:"rcps,omitempty"`
	// Errors are what could not be read or parsed of the organisation.
	Errors []Error `json:"errors,omitempty"`
}

// OrgPolicy names one SCP or RCP.
type OrgPolicy struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Readable is false when its document could not be read or parsed.
	Readable bool `json:"readable"`
}

// Account scan statuses.
const (
	StatusComplete = "complete" // everything read
	StatusPartial  = "partial"  // some fields could not be read
	StatusFailed   = "failed"   // the account could not be scanned (e.g. role not assumable)
)

// Account is one account's line in the report.
type Account struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	OUPath     string `json:"ou_path"`
	Status     string `json:"status"`
	Management bool   `json:"management,omitempty"`
	// PublicAccessBlock is the account-level BPA; nil when not configured or
	// not read (then Errors says so).
	PublicAccessBlock *inventory.PublicAccessBlock `json:"public_access_block"`
	BucketCount       int                          `json:"bucket_count"`
	Errors            []Error                      `json:"errors,omitempty"`
	Findings          []Finding                    `json:"findings,omitempty"`
}

// Bucket is one bucket's line in the report: its deciding configuration,
// its access matrix and its findings.
type Bucket struct {
	AccountID   string `json:"account_id"`
	AccountName string `json:"account_name"`
	OUPath      string `json:"ou_path"`
	Name        string `json:"name"`
	Region      string `json:"region"`
	// Exposure is the bucket's verdict class for summaries (Exposure*):
	// "public" (anonymous or any AWS account), "external" (a named account
	// outside the organisation), "org" (other member accounts), "private",
	// or "unknown" (nothing exposes it for certain but a cell is unknown).
	Exposure string       `json:"exposure"`
	Config   BucketConfig `json:"config"`
	Access   Access       `json:"access"`
	Findings []Finding    `json:"findings,omitempty"`
	Errors   []Error      `json:"errors,omitempty"`
}

// BucketConfig is the configuration that decided the bucket's access.
// Tri-state strings use "unknown" when the setting could not be read.
type BucketConfig struct {
	// EffectiveBPA is account OR bucket BPA, per flag: "true", "false" or "unknown".
	EffectiveBPA  map[string]string `json:"effective_bpa"`
	Ownership     string            `json:"ownership"`
	Encryption    string            `json:"encryption"`
	KMSKeyARN     string            `json:"kms_key_arn,omitempty"`
	KMSKeyManager string            `json:"kms_key_manager,omitempty"`
	HasPolicy     string            `json:"has_policy"` // "true", "false", "unknown"
	// ACLsEnabled is "true" unless Object Ownership is BucketOwnerEnforced.
	ACLsEnabled string `json:"acls_enabled"`
	// ACLGrants lists the bucket-ACL grants other than the owner's own
	// ("AllUsers READ", "account 222222222222 WRITE", "canonical:79a5… READ").
	ACLGrants      []string `json:"acl_grants,omitempty"`
	PolicyIsPublic *bool    `json:"policy_is_public,omitempty"` // our verdict
	AWSIsPublic    *bool    `json:"aws_is_public,omitempty"`    // GetBucketPolicyStatus
	Versioning     string   `json:"versioning,omitempty"`
}

// VersioningNotCollected is BucketConfig.Versioning when the scan did not
// read it (collect.versioning off); otherwise it is "Enabled", "Suspended"
// or absent (never enabled, or not readable: see the errors).
const VersioningNotCollected = "not collected"

// Access is the matrix: principal classes × actions.
type Access struct {
	Public      Actions                    `json:"public"`
	AnyAWS      Actions                    `json:"any_aws"`
	Org         Actions                    `json:"org"`
	External    map[string]ExternalActions `json:"external"`
	SameAccount Actions                    `json:"same_account"`
}

// Actions holds one cell per action.
type Actions struct {
	Read   Cell `json:"read"`   // s3:GetObject
	List   Cell `json:"list"`   // s3:ListBucket
	Write  Cell `json:"write"`  // s3:PutObject
	Delete Cell `json:"delete"` // s3:DeleteObject
	Manage Cell `json:"manage"` // s3:PutBucketPolicy, or s3:PutBucketAcl where ACLs are in force
}

// ExternalActions is the row of one account outside the organisation.
type ExternalActions struct {
	// Label is the trusted_accounts label, if any.
	Label   string `json:"label,omitempty"`
	Trusted bool   `json:"trusted"`
	Actions
}

// Cell is one verdict of the matrix.
type Cell struct {
	Verdict    Verdict  `json:"verdict"`
	DecidedBy  []string `json:"decided_by"`
	Conditions []string `json:"conditions,omitempty"`
	// AnyOf says the conditions are alternatives (any one suffices; each is
	// "a and b"); otherwise all of them must hold.
	AnyOf bool `json:"any_of,omitempty"`
	// PrincipalsMore is how many more principals than Principals lists
	// can (or may) when the analysis capped the list; absent (0) when
	// Principals is the whole list. bucketaudit who-can --bucket B lists
	// them all. (An int32 after AnyOf: it takes AnyOf's padding, and a
	// report holds some twenty cells a bucket.)
	PrincipalsMore int32 `json:"principals_more,omitempty"`
	// Reason is one human sentence naming the statement or setting that decided.
	Reason string `json:"reason"`
	// AllowedAccounts (org class) is how many other member accounts are
	// allowed (conditional cells: allowed when the conditions hold).
	AllowedAccounts *int `json:"allowed_accounts,omitempty"`
	// Accounts (org class) lists the allowed member accounts when they are
	// fewer than all the other members, sorted: the first of them when the
	// analysis capped it (Options.PrincipalsPerCell), AllowedAccounts
	// counting them all.
	Accounts []string `json:"accounts,omitempty"`
	// Principals (same_account with IAM collected; org cells narrowed to
	// named principals, of the allowed member accounts whose IAM was
	// collected) are the IAM roles and users that actually can (those that
	// may marked " (conditional)"): the cell's PrincipalAccess entries
	// allowed or conditional but roots and those through roles (Via),
	// capped as PrincipalAccess is (Options.PrincipalsPerCell),
	// PrincipalsMore counting those left out. A denied or unknown cell
	// has none.
	Principals []string `json:"principals,omitempty"`
	// NarrowedTo (allow and conditional cells) says the class is allowed
	// only for the principals matching one of these: each "a and b" of
	// conditions on keys about the principal (aws:PrincipalArn patterns,
	// aws:PrincipalAccount, aws:PrincipalOrgID, principal tags where IAM
	// was collected…), from the Principal elements and conditions of the
	// deciding policies. Who the caller is is not a request condition: an
	// allow narrowed to named principals is "allow".
	NarrowedTo []string `json:"narrowed_to,omitempty"`
	// PrincipalAccess (same_account, org, and external rows of accounts in
	// the snapshot; cells that are not denied) lists every IAM role, user
	// and account root of the accounts whose IAM was collected that is
	// allowed, conditionally allowed or unknown, each decided with its own
	// identity policies, boundary and SCP chain against the bucket's
	// layers. Principals of accounts whose IAM was not collected are not
	// listed: PrincipalsUnlisted names those accounts (the cell's class
	// answer then stands for them, and its reason says so).
	PrincipalAccess []PrincipalAccess `json:"principal_access,omitempty"`
	// PrincipalsTotal is how many entries PrincipalAccess would hold when
	// the analysis capped it (Options.PrincipalsPerCell): it then lists
	// the first entries only (in the order of the whole list), and
	// `bucketaudit who-can --bucket B` lists them all. Absent (0) when
	// PrincipalAccess is the whole list.
	PrincipalsTotal int `json:"principals_total,omitempty"`
	// PrincipalsUnlisted are the accounts of the cell's class whose
	// principals could not be listed (IAM not collected or not readable).
	PrincipalsUnlisted []string `json:"principals_unlisted,omitempty"`
}

// Principal types of PrincipalAccess.Type.
const (
	PrincipalRole = "role"
	PrincipalUser = "user"
	PrincipalRoot = "root"
	// PrincipalFederated is an identity provider (an IAM OIDC or SAML
	// provider ARN, or a built-in one such as accounts.google.com) whose
	// users reach the bucket through the roles of Via.
	PrincipalFederated = "federated"
)

// PrincipalAccess is one principal's answer for one cell: a role, user or
// account root that can make the cell's request.
type PrincipalAccess struct {
	ARN     string  `json:"arn"`
	Account string  `json:"account"`
	Type    string  `json:"type"` // PrincipalRole, PrincipalUser, PrincipalRoot or PrincipalFederated
	Verdict Verdict `json:"verdict"`
	// Via is the role-assumption path through which this principal
	// reaches the bucket: the ARNs of the roles assumed in turn (at most
	// MaxAssumeHops), the last the role that makes the request; empty
	// means the principal calls directly.
	Via []string `json:"via,omitempty"`
	// Statements are the statements that decided ("bucket policy
	// statement \"Read\"", "inline policy s3 of arn:… statement #0").
	Statements []string `json:"statements,omitempty"`
	// Conditions (conditional verdicts) are the alternatives under which
	// the principal is allowed, each "a and b".
	Conditions []string `json:"conditions,omitempty"`
	// Reason (unknown verdicts) says what could not be read.
	Reason string `json:"reason,omitempty"`
}

// Finding is one problem found, with how to fix it.
type Finding struct {
	ID          string   `json:"id"`
	Severity    Severity `json:"severity"`
	Title       string   `json:"title"`
	Detail      string   `json:"detail"`
	Remediation string   `json:"remediation"`
	CIS         string   `json:"cis,omitempty"`
	AccountID   string   `json:"account_id"`
	Bucket      string   `json:"bucket,omitempty"`
	// Muted is true when a mutelist entry accepts the finding: it stays in
	// the reports but does not count for --fail-on. MuteReason is the
	// entry's reason.
	Muted      bool   `json:"muted,omitempty"`
	MuteReason string `json:"mute_reason,omitempty"`
}

// Error is one read that failed.
type Error struct {
	AccountID string `json:"account_id"`
	Bucket    string `json:"bucket,omitempty"`
	Field     string `json:"field"`     // inventory field name, e.g. "policy"
	Operation string `json:"operation"` // e.g. "s3:GetBucketPolicy"
	Code      string `json:"code"`
	Message   string `json:"message,omitempty"`
}

// Summary holds the report's counts.
type Summary struct {
	Accounts           int                         `json:"accounts"`
	Buckets            int                         `json:"buckets"`
	BucketsByExposure  map[string]int              `json:"buckets_by_exposure"`
	FindingsBySeverity map[Severity]int            `json:"findings_by_severity"`
	FindingsByAccount  map[string]map[Severity]int `json:"findings_by_account"` // account → severity → count
	Incomplete         int                         `json:"incomplete"`          // buckets or accounts not fully assessed
	// MutedBySeverity counts the findings of FindingsBySeverity that a
	// mutelist accepted; nil when none.
	MutedBySeverity map[Severity]int `json:"muted_by_severity,omitempty"`
}
