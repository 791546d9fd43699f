package model

// Finding IDs: stable identifiers that reports, diffs and --fail-on rely on.
const (
	FindingObjectActionOnBucketARN  = "policy-object-action-on-bucket-arn"
	FindingBucketActionOnObjectARN  = "policy-bucket-action-on-object-arn"
	FindingPublicRead               = "public-read"
	FindingPublicList               = "public-list"
	FindingPublicWrite              = "public-write"
	FindingAnyAuthenticatedAccess   = "any-authenticated-access"
	FindingExternalAccountAccess    = "external-account-access"
	FindingBPABlocksGrantedAccess   = "bpa-blocks-granted-access"
	FindingAccountBPAOff            = "account-bpa-off"
	FindingBucketBPAOff             = "bucket-bpa-off"
	FindingACLsEnabled              = "acls-enabled"
	FindingPublicACLGrant           = "public-acl-grant"
	FindingAWSManagedKeyCrossAcct   = "aws-managed-key-cross-account"
	FindingKMSKeyPolicyMissingGrant = "kms-key-policy-missing-grant"
	FindingOrgPolicyDeniesGranted   = "org-policy-denies-granted-access"
	FindingNoTLSEnforcement         = "no-tls-enforcement"
	FindingAllowWithNotPrincipal    = "allow-with-notprincipal"
	FindingAssessmentIncomplete     = "assessment-incomplete"
	FindingPolicyStatusDisagreement = "policy-status-disagreement"
	FindingKMSKeyUnusable           = "kms-key-unusable"
	FindingExternalViaRole          = "external-via-role"
	FindingFederatedSubjectUnpinned = "federated-subject-unpinned"
)

// CatalogEntry describes one kind of finding: its default severity, title
// and CIS AWS Foundations Benchmark control, if one applies.
type CatalogEntry struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	CIS      string   `json:"cis,omitempty"`
	// Scope is "bucket" or "account": where the finding is reported.
	Scope string `json:"scope"`
}

// CIS AWS Foundations Benchmark controls (v3.0.0 numbering, the version AWS
// Security Hub maps: https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html).
const (
	cisDenyHTTP  = "CIS AWS Foundations v3.0.0 2.1.1 (S3 bucket policy denies HTTP requests)"
	cisBlockPubl = "CIS AWS Foundations v3.0.0 2.1.4 (S3 Block Public Access enabled)"
)

// Catalog returns every finding bucketaudit raises, in report order.
func Catalog() []CatalogEntry {
	return []CatalogEntry{
		{FindingPublicWrite, SeverityCritical, "Anyone on the internet can write or delete objects", "", "bucket"},
		{FindingPublicRead, SeverityCritical, "Anyone on the internet can read objects", "", "bucket"},
		{FindingPublicList, SeverityHigh, "Anyone on the internet can list the bucket", "", "bucket"},
		{FindingAnyAuthenticatedAccess, SeverityHigh, "Any authenticated AWS principal, of any account, has access", "", "bucket"},
		{FindingPublicACLGrant, SeverityHigh, "The bucket ACL grants access to AllUsers or AuthenticatedUsers", cisBlockPubl, "bucket"},
		{FindingExternalAccountAccess, SeverityHigh, "An account outside the organisation that is not a trusted account has access", "", "bucket"},
		{FindingExternalViaRole, SeverityHigh, "An account outside the organisation (or an AWS service) can reach the bucket by assuming a role", "", "bucket"},
		{FindingFederatedSubjectUnpinned, SeverityHigh, "A role that can reach the bucket trusts a web identity provider without pinning the subject: any identity of the provider (for GitHub Actions, any repository's workflow) can assume it", "", "bucket"},
		{FindingAllowWithNotPrincipal, SeverityHigh, "An Allow statement uses NotPrincipal (it grants everyone not listed)", "", "bucket"},
		{FindingKMSKeyUnusable, SeverityHigh, "The bucket's default KMS key is disabled, pending deletion or otherwise unusable (reads and writes of SSE-KMS objects fail)", "", "bucket"},
		{FindingAccountBPAOff, SeverityMedium, "Account-level S3 Block Public Access is not fully enabled", cisBlockPubl, "account"},
		{FindingNoTLSEnforcement, SeverityMedium, "No policy denies requests that do not use TLS", cisDenyHTTP, "bucket"},
		{FindingKMSKeyPolicyMissingGrant, SeverityMedium, "The KMS key policy does not allow principals the bucket grants (their requests fail)", "", "bucket"},
		{FindingAWSManagedKeyCrossAcct, SeverityMedium, "The bucket uses the AWS managed aws/s3 key but grants other accounts (their requests fail)", "", "bucket"},
		{FindingBPABlocksGrantedAccess, SeverityMedium, "Block Public Access blocks access that a policy or ACL grants (intended access that fails)", "", "bucket"},
		{FindingOrgPolicyDeniesGranted, SeverityLow, "An SCP or RCP denies access the bucket policy grants (a dead grant)", "", "bucket"},
		{FindingPolicyStatusDisagreement, SeverityMedium, "AWS's policy status (IsPublic) disagrees with bucketaudit's verdict", "", "bucket"},
		{FindingAssessmentIncomplete, SeverityMedium, "Access could not be fully assessed (some configuration could not be read)", "", "bucket"},
		{FindingBucketBPAOff, SeverityLow, "Bucket-level S3 Block Public Access is off and the account level does not cover it", cisBlockPubl, "bucket"},
		{FindingACLsEnabled, SeverityLow, "ACLs are enabled (Object Ownership is not BucketOwnerEnforced)", "", "bucket"},
		{FindingObjectActionOnBucketARN, SeverityLow, "A statement grants object actions on the bucket ARN only (missing /*)", "", "bucket"},
		{FindingBucketActionOnObjectARN, SeverityLow, "A statement grants bucket actions on object ARNs only", "", "bucket"},
	}
}
