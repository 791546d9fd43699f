package access

import (
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
)

// TestRuleAbsentSCPAttachmentsAreFullAWSAccess: an account or OU of a
// fixture that lists no policies, in an organisation that uses SCPs, has
// FullAWSAccess attached — Organizations attaches it to every new root, OU
// and account and refuses to detach the last SCP of a target — so its SCP
// level allows, rather than denies, every same-account action. A scan's
// snapshot keeps what was read: there an account with no SCP listed is a
// level without Allow, which denies.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DetachPolicy.html
func TestRuleAbsentSCPAttachmentsAreFullAWSAccess(t *testing.T) {
	doc := "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"
	bucket := "name: bkt\nregion: eu-west-1"
	noAccountPolicies := func(s string) string {
		return strings.Replace(s, "  - id: \"222222222222\"\n    policies: [p-full]\n", "  - id: \"222222222222\"\n", 1)
	}
	noOUPolicies := func(s string) string {
		return strings.Replace(s, "        policies: [p-full]\n        accounts: [\"222222222222\"", "        accounts: [\"222222222222\"", 1)
	}
	asSnapshot := func(s string) string {
		return strings.Replace(s, "schema_version: 1\n", "schema_version: 1\nscan: {started_at: 2024-05-01T00:00:00Z, finished_at: 2024-05-01T00:10:00Z, complete: true}\n", 1)
	}
	for _, edit := range []func(string) string{noAccountPolicies, noOUPolicies} {
		if edit(testOrg(bucket, "")) == testOrg(bucket, "") {
			t.Fatal("an edit does not change the fixture")
		}
	}
	allowAll := []expectCell{
		{path: "same_account.read", verdict: model.VerdictAllow},
		{path: "same_account.write", verdict: model.VerdictAllow},
		{path: "same_account.delete", verdict: model.VerdictAllow},
		{path: "same_account.manage", verdict: model.VerdictAllow},
	}
	runRules(t, []ruleCase{{
		name: "an account that lists no policies: FullAWSAccess", doc: doc, bucket: bucket,
		edit: noAccountPolicies, cells: allowAll,
	}, {
		name: "an OU that lists no policies: FullAWSAccess", doc: doc, bucket: bucket,
		edit: noOUPolicies, cells: allowAll,
	}, {
		name: "a scan's snapshot that read no SCP on the account: no Allow at that level", doc: doc, bucket: bucket,
		edit:  func(s string) string { return asSnapshot(noAccountPolicies(s)) },
		cells: []expectCell{{path: "same_account.read", verdict: model.VerdictDeny, layers: []string{model.LayerSCP}}},
	}})
}
