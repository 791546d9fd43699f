// Package readonly is the scanner's read-only allowlist as plain data:
// every AWS operation bucketaudit may call, with the IAM action that
// authorises it and who calls it. The scanner's read-only guard refuses any
// other operation; deploy generates the roles' IAM policies from it. It
// imports no AWS SDK, so that deploy does not either.
package readonly

// Who makes a call: it decides which IAM policy must allow the action.
const (
	// CallerAuditRole: the read-only audit role in each scanned account.
	CallerAuditRole = "audit_role"
	// CallerScanner: the scanning principal itself (assumes the audit roles).
	CallerScanner = "scanner"
	// CallerManagement: the principal that reads Organizations (the
	// management account, a delegated administrator, or
	// organization.management_role_arn).
	CallerManagement = "management"
)

// Operation is one AWS API operation the scanner may call.
type Operation struct {
	// Service is the SDK's service ID ("S3", "S3 Control", "KMS", ...).
	Service string `json:"service"`
	// Name is the operation name ("GetBucketPolicy").
	Name string `json:"operation"`
	// Action is the IAM action that authorises it ("s3:GetBucketPolicy").
	Action string `json:"action"`
	// Caller is CallerAuditRole, CallerScanner or CallerManagement.
	Caller string `json:"caller"`
}

// Allowlist returns every operation the scanner is allowed to call, each
// mapped to its IAM action; the read-only guard refuses any other. The
// audit role's policy is generated from it (bucketaudit role-policy).
func Allowlist() []Operation {
	return []Operation{
		{"S3 Control", "GetPublicAccessBlock", "s3:GetAccountPublicAccessBlock", CallerAuditRole},
		{"S3", "ListBuckets", "s3:ListAllMyBuckets", CallerAuditRole},
		{"S3", "GetBucketLocation", "s3:GetBucketLocation", CallerAuditRole},
		{"S3", "GetBucketPolicy", "s3:GetBucketPolicy", CallerAuditRole},
		{"S3", "GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", CallerAuditRole},
		{"S3", "GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", CallerAuditRole},
		{"S3", "GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", CallerAuditRole},
		{"S3", "GetBucketAcl", "s3:GetBucketAcl", CallerAuditRole},
		{"S3", "GetBucketEncryption", "s3:GetEncryptionConfiguration", CallerAuditRole},
		{"S3", "GetBucketVersioning", "s3:GetBucketVersioning", CallerAuditRole},
		{"S3", "GetBucketTagging", "s3:GetBucketTagging", CallerAuditRole},
		{"KMS", "DescribeKey", "kms:DescribeKey", CallerAuditRole},
		{"KMS", "GetKeyPolicy", "kms:GetKeyPolicy", CallerAuditRole},
		{"KMS", "ListAliases", "kms:ListAliases", CallerAuditRole},
		{"KMS", "ListGrants", "kms:ListGrants", CallerAuditRole},
		{"IAM", "GetAccountAuthorizationDetails", "iam:GetAccountAuthorizationDetails", CallerAuditRole},
		{"EC2", "DescribeVpcEndpoints", "ec2:DescribeVpcEndpoints", CallerAuditRole},
		// A scan of an accounts: list asks each account for its organisation
		// (member accounts may call it).
		{"Organizations", "DescribeOrganization", "organizations:DescribeOrganization", CallerAuditRole},

		{"STS", "AssumeRole", "sts:AssumeRole", CallerScanner},
		{"STS", "GetCallerIdentity", "sts:GetCallerIdentity", CallerScanner},

		{"Organizations", "DescribeOrganization", "organizations:DescribeOrganization", CallerManagement},
		{"Organizations", "ListRoots", "organizations:ListRoots", CallerManagement},
		{"Organizations", "ListOrganizationalUnitsForParent", "organizations:ListOrganizationalUnitsForParent", CallerManagement},
		{"Organizations", "ListAccountsForParent", "organizations:ListAccountsForParent", CallerManagement},
		{"Organizations", "ListPoliciesForTarget", "organizations:ListPoliciesForTarget", CallerManagement},
		{"Organizations", "DescribePolicy", "organizations:DescribePolicy", CallerManagement},
		{"Organizations", "ListTagsForResource", "organizations:ListTagsForResource", CallerManagement},
	}
}
