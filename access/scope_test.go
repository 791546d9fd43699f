package access

import (
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
)

// scopedEdit turns testOrg's fixture into the snapshot of a scan whose
// scope left out the management account 111111111111 and member
// 333333333333 (OU Prod, under SCP p-denydelete): the OU tree names them,
// accounts does not hold them. accountPolicies is the YAML of
// organization.account_policies ("" leaves it out).
func scopedEdit(accountPolicies string) func(string) string {
	return func(s string) string {
		s = strings.Replace(s, "accounts:\n  - {id: \"111111111111\", policies: [p-full]}\n", "accounts:\n", 1)
		s = strings.Replace(s, "  - {id: \"333333333333\", policies: [p-full]}\n", "", 1)
		s = strings.Replace(s, "schema_version: 1\n", "schema_version: 1\nscan: {started_at: 2024-05-01T00:00:00Z, finished_at: 2024-05-01T00:10:00Z, complete: true, excluded_accounts: [\"111111111111\", \"333333333333\"]}\n", 1)
		if accountPolicies != "" {
			s = strings.Replace(s, "  management_account_id: \"111111111111\"\n", "  management_account_id: \"111111111111\"\n  account_policies: "+accountPolicies+"\n", 1)
		}
		return s
	}
}

// TestRuleScopedSnapshot: accounts a scan's scope left out are members of
// the organisation that were not scanned by choice. They count as org
// members (never external), governed by the SCPs of every level from the
// root to the account itself:
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html
func TestRuleScopedSnapshot(t *testing.T) {
	doc := "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html"
	bucket := `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: Member, Effect: Allow, Principal: {AWS: "333333333333"}, Action: [s3:GetObject, s3:DeleteObject], Resource: "arn:aws:s3:::bkt/*"}]}`
	notExternal := func(t *testing.T, b *model.Bucket) {
		if _, ok := b.Access.External["333333333333"]; ok {
			t.Errorf("excluded member 333333333333 reported as an external account")
		}
	}
	runRules(t, []ruleCase{{
		name:   "an excluded member named by the bucket policy is an org member with the chain from the tree",
		doc:    doc,
		bucket: bucket,
		prod:   []string{"p-denydelete"},
		edit:   scopedEdit(`{"111111111111": [], "333333333333": [p-full]}`),
		cells: []expectCell{
			{path: "org.read", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy}, reason: "1 of 3"},
			{path: "org.delete", verdict: model.VerdictDeny, layers: []string{model.LayerSCP}},
		},
		findings: []string{model.FindingOrgPolicyDeniesGranted},
		absent:   []string{model.FindingExternalAccountAccess, model.FindingAssessmentIncomplete},
		check:    notExternal,
	}, {
		name:   "an excluded member with nothing attached to the account itself: no SCP allows at that level",
		doc:    doc,
		bucket: bucket,
		edit:   scopedEdit(`{"111111111111": [], "333333333333": []}`),
		cells:  []expectCell{{path: "org.read", verdict: model.VerdictDeny, layers: []string{model.LayerSCP}}},
		check:  notExternal,
	}, {
		name:   "an excluded member whose own attachments were not recorded has an unknown chain",
		doc:    doc,
		bucket: bucket,
		edit:   scopedEdit(""),
		cells:  []expectCell{{path: "org.read", verdict: model.VerdictUnknown, layers: []string{model.LayerSCP}, reason: "SCPs attached to account 333333333333 (not read: account not in the snapshot)"}},
		check:  notExternal,
	}, {
		name:   "attachments that could not be listed name their error",
		doc:    doc,
		bucket: bucket,
		edit: func(s string) string {
			s = scopedEdit(`{"111111111111": []}`)(s)
			return strings.Replace(s, "  account_policies:", "  errors: {\"account_policies:333333333333\": \"AccessDeniedException: denied\"}\n  account_policies:", 1)
		},
		cells: []expectCell{{path: "org.read", verdict: model.VerdictUnknown, layers: []string{model.LayerSCP}, reason: "SCPs attached to account 333333333333 (not read: AccessDeniedException: denied)"}},
	}})

	// The report says who was out of scope.
	rep := analyzeYAML(t, scopedEdit(`{"111111111111": [], "333333333333": [p-full]}`)(testOrg(bucket, "")), nil)
	if rep.Scan == nil || strings.Join(rep.Scan.ExcludedAccounts, ",") != "111111111111,333333333333" {
		t.Errorf("report scan section %+v: want excluded_accounts 111111111111, 333333333333", rep.Scan)
	}
	said := false
	for _, a := range rep.Assumptions {
		said = said || strings.Contains(a, "scope left out 2 member accounts")
	}
	if !said {
		t.Errorf("no assumption states the accounts out of scope: %q", rep.Assumptions)
	}
	if len(rep.Accounts) != 2 {
		t.Errorf("%d accounts in the report, want the 2 scanned", len(rep.Accounts))
	}
}
