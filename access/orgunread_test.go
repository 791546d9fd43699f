package access

import (
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
)

// TestRuleOrganizationNotRead: in a document without an organization
// section, SCPs and RCPs are "none apply" only when nothing says otherwise
// (a document of standalone accounts, an account that said it belongs to no
// organisation). When the organisation could not be read, or the account
// belongs to one whose policies were not read (a scan of an accounts:
// list), its SCPs (on its principals) and RCPs (on its resources, whoever
// calls) are unknown: a cell is decided only where another layer decides
// for certain, and the assessment is incomplete.
//   - SCPs: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
//     (they do not govern the management account)
//   - RCPs: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
//   - DescribeOrganization from a member account, AWSOrganizationsNotInUseException
//     for an account in none: https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html
func TestRuleOrganizationNotRead(t *testing.T) {
	doc := func(scan, account string) string {
		return `schema_version: 1
` + scan + `accounts:
  - id: "222222222222"
    ` + account + `
    buckets:
      - name: bkt
        region: us-east-1
        policy: {Version: "2012-10-17", Statement: [
          {Sid: Public, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"},
          {Sid: Org, Effect: Allow, Principal: "*", Action: s3:ListBucket, Resource: "arn:aws:s3:::bkt", Condition: {StringEquals: {"aws:PrincipalOrgID": o-zzzzzzzzzz}}}]}
  - id: "333333333333"
`
	}
	const unreadScan = "scan: {started_at: 2024-05-01T00:00:00Z, finished_at: 2024-05-01T00:10:00Z, complete: false, errors: {organization: \"AccessDeniedException: You don't have permissions to access this resource.\"}}\n"
	const member = `membership: {organization_id: o-a1b2c3d4e5, management_account_id: "111111111111"}
    errors: {organization: "OrganizationNotRead: account 222222222222 belongs to organization o-a1b2c3d4e5, whose SCPs and RCPs a scan of an accounts: list does not read"}`
	unknownChains := []expectCell{
		// An RCP may deny anyone, anonymous callers included.
		{path: "public.read", verdict: model.VerdictUnknown, layers: []string{model.LayerRCP}},
		{path: "same_account.read", verdict: model.VerdictUnknown, layers: []string{model.LayerSCP}},
		{path: "any_aws.read", verdict: model.VerdictUnknown, layers: []string{model.LayerRCP}},
		// Decided for certain by the bucket policy: nothing grants writes.
		{path: "public.write", verdict: model.VerdictDeny, layers: []string{model.LayerBucketPolicy}},
		{path: "org.write", verdict: model.VerdictDeny, layers: []string{model.LayerBucketPolicy}},
		{path: "org.read", verdict: model.VerdictUnknown, layers: []string{model.LayerSCP}, reason: "other member accounts"},
	}
	for _, tc := range []struct {
		name, scan, account string
		cells               []expectCell
		incomplete          bool
		check               func(t *testing.T, r *model.Report, b *model.Bucket)
	}{{
		name: "a document that says nothing of organisations: standalone accounts",
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy}},
			{path: "same_account.read", verdict: model.VerdictAllow},
			{path: "org.read", verdict: model.VerdictDeny, reason: "no other active member account"},
		},
	}, {
		name:    "an account that said it belongs to no organisation",
		account: "membership: {standalone: true}",
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy}},
			{path: "org.read", verdict: model.VerdictDeny},
		},
	}, {
		name:       "the organisation could not be read",
		scan:       unreadScan,
		cells:      append(unknownChains, expectCell{path: "public.read", verdict: model.VerdictUnknown, reason: "RCPs of account 222222222222 (not read: the organization could not be read: AccessDeniedException)"}),
		incomplete: true,
	}, {
		name:       "a member of an organisation whose policies were not read (accounts: list)",
		account:    member,
		cells:      append(unknownChains, expectCell{path: "same_account.read", verdict: model.VerdictUnknown, reason: "SCPs of account 222222222222 (not read: OrganizationNotRead)"}),
		incomplete: true,
		check: func(t *testing.T, r *model.Report, b *model.Bucket) {
			// The organisation is known to be o-a1b2c3d4e5: the statement for
			// o-zzzzzzzzzz cannot let its members list.
			checkCells(t, b, []expectCell{{path: "org.list", verdict: model.VerdictDeny}})
			found := false
			for _, a := range r.Accounts {
				for _, f := range a.Findings {
					if a.ID == "222222222222" && f.ID == model.FindingAssessmentIncomplete && strings.Contains(f.Remediation, "scan its organisation") {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("account 222222222222 has no assessment-incomplete finding saying how to read its SCPs and RCPs")
			}
		},
	}, {
		name:    "the management account of an organisation not read: no SCP or RCP governs it, its fellow members are unknown",
		account: `membership: {organization_id: o-a1b2c3d4e5, management_account_id: "222222222222"}`,
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy}},
			{path: "same_account.read", verdict: model.VerdictAllow},
			{path: "org.read", verdict: model.VerdictUnknown, layers: []string{model.LayerSCP}},
			{path: "org.write", verdict: model.VerdictDeny},
		},
		incomplete: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			rep := analyzeYAML(t, doc(tc.scan, tc.account), nil)
			b := bucketNamed(t, rep, "bkt")
			checkCells(t, b, tc.cells)
			if hasFinding(b, model.FindingAssessmentIncomplete) != tc.incomplete {
				t.Errorf("assessment-incomplete raised: %v, want %v (findings %v)", !tc.incomplete, tc.incomplete, findingIDs(b))
			}
			if tc.check != nil {
				tc.check(t, rep, b)
			}
			// Without the other members (the org row unread) their
			// principals are not listed (principalAccess): no org cell may
			// then be allowed or conditional, narrowed, and lack them.
			for i, c := range b.Access.Org.Cells() {
				if tc.incomplete && (c.Verdict == model.VerdictAllow || c.Verdict == model.VerdictConditional) {
					t.Errorf("org cell %d is %s with the other member accounts unknown", i, c.Verdict)
				}
			}
		})
	}
}
