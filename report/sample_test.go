package report

import (
	"fmt"
	"time"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// Hand-built reports for the writer and diff tests: the access engineer's
// Analyze fills the same types.

func cell(v model.Verdict, reason string, layers ...string) model.Cell {
	return model.Cell{Verdict: v, DecidedBy: layers, Reason: reason}
}

// uniform returns an Actions with the same cell for every action.
func uniform(c model.Cell) model.Actions {
	return model.Actions{Read: c, List: c, Write: c, Delete: c, Manage: c}
}

func allBPA(v string) map[string]string {
	return map[string]string{"block_public_acls": v, "ignore_public_acls": v, "block_public_policy": v, "restrict_public_buckets": v}
}

func intp(n int) *int { return &n }

// sampleReport is a small organisation in which every verdict, every
// severity and every sheet has content:
//   - 111111111111 (management): bucket "logs" private;
//   - 222222222222 prod-data: "public-site" public (read allowed, write
//     conditional), "partner-share" shared with two external accounts,
//     "locked" unknown (policy unreadable);
//   - account-level findings and a failed read.
func sampleReport() *model.Report {
	deny := cell(model.VerdictDeny, "no statement allows it; implicit deny", model.LayerBucketPolicy)
	owner := cell(model.VerdictAllow, "same account: the identity policy allows it", model.LayerIdentity)
	orgDeny := cell(model.VerdictDeny, "SCP p-deny-s3 denies s3:* outside the organisation", model.LayerSCP)
	orgDeny.AllowedAccounts = intp(0)

	publicSite := model.Bucket{
		AccountID: "222222222222", AccountName: "prod-data", OUPath: "Root/Workloads/Prod",
		Name: "public-site", Region: "eu-west-1", Exposure: "public",
		Config: model.BucketConfig{EffectiveBPA: allBPA("false"), Ownership: "ObjectWriter", Encryption: "AES256", HasPolicy: "true",
			ACLsEnabled: "true", ACLGrants: []string{"AllUsers READ"}},
		Access: model.Access{
			Public: model.Actions{
				Read: cell(model.VerdictAllow, `bucket policy statement "PublicRead" (index 0) allows s3:GetObject to "*"`, model.LayerBucketPolicy),
				List: deny,
				Write: model.Cell{Verdict: model.VerdictConditional, DecidedBy: []string{model.LayerBucketPolicy}, AnyOf: true,
					Conditions: []string{"aws:SourceIp = 203.0.113.0/24", "aws:SourceVpce = vpce-0abc"}, Reason: `statement "UploadFromOffice" allows s3:PutObject from the office or the VPC`},
				Delete: deny,
				Manage: deny,
			},
			AnyAWS:      uniform(deny),
			Org:         uniform(orgDeny),
			External:    map[string]model.ExternalActions{},
			SameAccount: uniform(owner),
		},
		Findings: []model.Finding{
			{ID: "public-read", Severity: model.SeverityCritical, Title: "Anyone on the internet can read objects", Detail: `statement "PublicRead" allows s3:GetObject to "*"`, Remediation: "aws s3api delete-bucket-policy --bucket public-site", CIS: "2.1.4", AccountID: "222222222222", Bucket: "public-site"},
			{ID: "bucket-bpa-off", Severity: model.SeverityMedium, Title: "Block Public Access is off", Detail: "all four flags false", Remediation: "aws s3api put-public-access-block --bucket public-site --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true", CIS: "2.1.4", AccountID: "222222222222", Bucket: "public-site"},
			{ID: "acls-enabled", Severity: model.SeverityLow, Title: "ACLs are enabled", Detail: "Object Ownership is ObjectWriter", Remediation: "aws s3api put-bucket-ownership-controls --bucket public-site --ownership-controls Rules=[{ObjectOwnership=BucketOwnerEnforced}]", AccountID: "222222222222", Bucket: "public-site"},
		},
	}
	partner := model.Bucket{
		AccountID: "222222222222", AccountName: "prod-data", OUPath: "Root/Workloads/Prod",
		Name: "partner-share", Region: "eu-west-1", Exposure: "external",
		Config: model.BucketConfig{EffectiveBPA: allBPA("true"), Ownership: "BucketOwnerEnforced", Encryption: "aws:kms",
			KMSKeyARN: "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab", KMSKeyManager: "CUSTOMER", HasPolicy: "true"},
		Access: model.Access{
			Public: uniform(cell(model.VerdictDeny, "anonymous callers can never use KMS", model.LayerKMS)),
			AnyAWS: uniform(deny),
			Org: model.Actions{
				Read: model.Cell{Verdict: model.VerdictAllow, DecidedBy: []string{model.LayerBucketPolicy, model.LayerSCP}, Reason: `statement "OrgRead" allows s3:GetObject to the organisation`,
					AllowedAccounts: intp(2), Accounts: []string{"111111111111", "333333333333"}},
				List: orgDeny, Write: orgDeny, Delete: orgDeny, Manage: orgDeny,
			},
			External: map[string]model.ExternalActions{
				"999999999999": {Label: "auditor-co", Trusted: true, Actions: model.Actions{
					Read:  cell(model.VerdictAllow, `statement "Auditor" allows s3:GetObject; key policy allows kms:Decrypt`, model.LayerBucketPolicy, model.LayerKMS),
					List:  cell(model.VerdictAllow, `statement "Auditor" allows s3:ListBucket`, model.LayerBucketPolicy),
					Write: deny, Delete: deny, Manage: deny,
				}},
				"444455556666": {Actions: model.Actions{
					Read:  cell(model.VerdictUnknown, "the key policy of the KMS key could not be read", model.LayerKMS),
					List:  model.Cell{Verdict: model.VerdictConditional, DecidedBy: []string{model.LayerBucketPolicy}, Conditions: []string{"aws:SourceVpce = vpce-0abc"}, Reason: `statement "Vendor" requires a VPC endpoint`},
					Write: deny, Delete: deny, Manage: deny,
				}},
			},
			SameAccount: uniform(owner),
		},
		Findings: []model.Finding{
			{ID: "external-account-access", Severity: model.SeverityHigh, Title: "An account outside the organisation has access", Detail: `444455556666 may list the bucket (statement "Vendor")`, Remediation: "remove 444455556666 from the bucket policy or add it to trusted_accounts", AccountID: "222222222222", Bucket: "partner-share"},
		},
	}
	locked := model.Bucket{
		AccountID: "222222222222", AccountName: "prod-data", OUPath: "Root/Workloads/Prod",
		Name: "locked", Region: "us-east-1", Exposure: "unknown",
		Config: model.BucketConfig{EffectiveBPA: map[string]string{"block_public_acls": "true", "ignore_public_acls": "true", "block_public_policy": "unknown", "restrict_public_buckets": "unknown"},
			Ownership: "unknown", Encryption: "unknown", HasPolicy: "unknown"},
		Access: model.Access{
			Public:      uniform(cell(model.VerdictUnknown, "the bucket policy could not be read (AccessDenied)", model.LayerBucketPolicy)),
			AnyAWS:      uniform(cell(model.VerdictUnknown, "the bucket policy could not be read (AccessDenied)", model.LayerBucketPolicy)),
			Org:         uniform(cell(model.VerdictUnknown, "the bucket policy could not be read (AccessDenied)", model.LayerBucketPolicy)),
			SameAccount: uniform(owner),
		},
		Findings: []model.Finding{
			{ID: "assessment-incomplete", Severity: model.SeverityInfo, Title: "The bucket could not be fully assessed", Detail: "GetBucketPolicy: AccessDenied", Remediation: "grant the audit role s3:GetBucketPolicy", AccountID: "222222222222", Bucket: "locked"},
		},
		Errors: []model.Error{{AccountID: "222222222222", Bucket: "locked", Field: "policy", Operation: "s3:GetBucketPolicy", Code: "AccessDenied", Message: "Access Denied"}},
	}
	logs := model.Bucket{
		AccountID: "111111111111", AccountName: "management", OUPath: "Root",
		Name: "logs", Region: "us-east-1", Exposure: "private",
		Config: model.BucketConfig{EffectiveBPA: allBPA("true"), Ownership: "BucketOwnerEnforced", Encryption: "AES256", HasPolicy: "false"},
		Access: model.Access{
			Public: uniform(deny), AnyAWS: uniform(deny), Org: uniform(deny), SameAccount: uniform(owner),
		},
	}
	mgmtFinding := model.Finding{ID: "account-bpa-off", Severity: model.SeverityHigh, Title: "Account-level Block Public Access is off", Detail: "no account-level public access block", Remediation: "aws s3control put-public-access-block --account-id 111111111111 --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true", CIS: "2.1.4", AccountID: "111111111111"}
	return &model.Report{
		SchemaVersion: model.SchemaVersion,
		GeneratedAt:   time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		ToolVersion:   "test",
		Assumptions:   []string{"requests use TLS", "each class's caller has an identity policy that grants the action"},
		Scan: &model.ScanInfo{Sources: []string{"scan"}, StartedAt: time.Date(2026, 3, 1, 9, 58, 0, 0, time.UTC),
			FinishedAt: time.Date(2026, 3, 1, 9, 59, 30, 0, time.UTC), Complete: false, ConfigDigest: "sha256:abc123", Regions: []string{"eu-west-1", "us-east-1"},
			Errors: []model.Error{{AccountID: "111111111111", Field: "organization.policies", Operation: "organizations:DescribePolicy", Code: "AccessDeniedException"}}},
		Organization: &model.Organization{ID: "o-a1b2c3d4e5", ManagementAccountID: "111111111111",
			SCPs: []model.OrgPolicy{{ID: "p-FullAWSAccess", Name: "FullAWSAccess", Readable: true}, {ID: "p-deny-s3", Name: "DenyS3Outside", Readable: true}},
			RCPs: []model.OrgPolicy{{ID: "p-rcp1", Readable: false}}},
		Accounts: []model.Account{
			{ID: "111111111111", Name: "management", OUPath: "Root", Status: model.StatusComplete, Management: true, BucketCount: 1, Findings: []model.Finding{mgmtFinding}},
			{ID: "222222222222", Name: "prod-data", OUPath: "Root/Workloads/Prod", Status: model.StatusPartial, BucketCount: 3,
				PublicAccessBlock: &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true},
				Errors:            []model.Error{{AccountID: "222222222222", Field: "iam", Operation: "iam:GetAccountAuthorizationDetails", Code: "AccessDenied"}}},
		},
		Buckets: []model.Bucket{logs, publicSite, partner, locked},
		Summary: model.Summary{Accounts: 2, Buckets: 4,
			BucketsByExposure:  map[string]int{"public": 1, "external": 1, "private": 1, "unknown": 1},
			FindingsBySeverity: map[model.Severity]int{"critical": 1, "high": 2, "medium": 1, "low": 1, "info": 1},
			FindingsByAccount:  map[string]map[model.Severity]int{"111111111111": {"high": 1}, "222222222222": {"critical": 1, "high": 1, "medium": 1, "low": 1, "info": 1}},
			Incomplete:         1},
	}
}

// syntheticReport builds a report of n buckets shaped like a real one:
// unique reasons per bucket, external accounts on one bucket in ten,
// three findings per bucket, a failed read on one in a hundred.
func syntheticReport(n int) *model.Report {
	r := sampleReport()
	r.Buckets = make([]model.Bucket, 0, n)
	r.Accounts = nil
	const perAccount = 100
	for i := range n {
		acct := fmt.Sprintf("%012d", 100000000000+i/perAccount)
		if i%perAccount == 0 {
			r.Accounts = append(r.Accounts, model.Account{ID: acct, Name: "account-" + acct, OUPath: "Root/Workloads",
				Status: model.StatusComplete, BucketCount: perAccount,
				Findings: []model.Finding{{ID: "account-bpa-off", Severity: model.SeverityHigh, Title: "Account-level Block Public Access is off", Detail: "account " + acct, Remediation: "aws s3control put-public-access-block --account-id " + acct, AccountID: acct}}})
		}
		name := fmt.Sprintf("bucket-%07d", i)
		why := func(what string) model.Cell {
			return cell(model.VerdictDeny, fmt.Sprintf("%s: no statement of the policy of %s allows it; implicit deny", what, name), model.LayerBucketPolicy)
		}
		b := model.Bucket{AccountID: acct, AccountName: "account-" + acct, OUPath: "Root/Workloads", Name: name, Region: "eu-west-1", Exposure: "private",
			Config: model.BucketConfig{EffectiveBPA: allBPA("true"), Ownership: "BucketOwnerEnforced", Encryption: "AES256", HasPolicy: "true"},
			Access: model.Access{Public: uniform(why("public")), AnyAWS: uniform(why("any_aws")), Org: uniform(why("org")),
				SameAccount: uniform(cell(model.VerdictAllow, "same account: the identity policy of the caller in "+acct+" allows it", model.LayerIdentity))},
		}
		if i%10 == 0 {
			b.Exposure = "external"
			b.Access.External = map[string]model.ExternalActions{
				"999999999999": {Label: "partner", Trusted: true, Actions: uniform(cell(model.VerdictAllow, "statement Partner of "+name+" allows it", model.LayerBucketPolicy))},
			}
		}
		for _, sev := range []model.Severity{model.SeverityMedium, model.SeverityLow, model.SeverityInfo} {
			b.Findings = append(b.Findings, model.Finding{ID: "finding-" + string(sev), Severity: sev, Title: "A " + string(sev) + " finding", Detail: "about " + name,
				Remediation: "aws s3api put-bucket-policy --bucket " + name + " --policy file://fixed.json", AccountID: acct, Bucket: name})
		}
		if i%100 == 0 {
			b.Errors = []model.Error{{AccountID: acct, Bucket: name, Field: "tags", Operation: "s3:GetBucketTagging", Code: "AccessDenied"}}
		}
		r.Buckets = append(r.Buckets, b)
	}
	return r
}
