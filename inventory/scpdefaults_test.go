package inventory

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// scpFixture is an organisation that uses SCPs; the root lists its
// policies, the OU "Open" and the account 222222222222 leave theirs out.
const scpFixture = `schema_version: 1
organization:
  id: o-a1b2c3d4e5
  management_account_id: "111111111111"
  root:
    id: r-a1b2
    policies: [p-deny-delete]
    accounts: ["111111111111"]
    ous:
      - id: ou-a1b2-11111111
        name: Open
        accounts: ["222222222222"]
      - id: ou-a1b2-22222222
        name: Unread
        errors: {policies: "AccessDeniedException: no"}
  policies:
    - id: p-deny-delete
      name: DenyDelete
      type: SERVICE_CONTROL_POLICY
      document: {Version: "2012-10-17", Statement: [{Effect: Deny, Action: "s3:DeleteObject", Resource: "*"}]}
accounts:
  - id: "111111111111"
    policies: [p-deny-delete]
  - id: "222222222222"
`

// TestFullAWSAccessDefault: in a fixture of an organisation that uses SCPs,
// a root, OU or account that leaves policies out has FullAWSAccess attached
// (Organizations attaches it to every new root, OU and account and refuses
// to detach the last SCP of a target), so its SCP level allows everything
// rather than nothing. A target whose policies could not be read stays
// unread. A scan's snapshot keeps what was read: no default.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DetachPolicy.html
func TestFullAWSAccessDefault(t *testing.T) {
	d, err := Parse([]byte(scpFixture), "scp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !DefaultsFullAWSAccess(d) {
		t.Fatal("DefaultsFullAWSAccess = false for a fixture that uses SCPs")
	}
	ApplyDefaults(d)
	o := d.Organization
	if diff := cmp.Diff([]string{"p-deny-delete"}, o.Root.Policies); diff != "" {
		t.Errorf("root policies (listed, kept): %s", diff)
	}
	if diff := cmp.Diff([]string{FullAWSAccessID}, o.Root.OUs[0].Policies); diff != "" {
		t.Errorf("OU that lists no policies: %s", diff)
	}
	if o.Root.OUs[1].Policies != nil {
		t.Errorf("OU whose policies could not be read got %v, want none (unread)", o.Root.OUs[1].Policies)
	}
	if diff := cmp.Diff([]string{FullAWSAccessID}, d.Accounts[1].Policies); diff != "" {
		t.Errorf("account that lists no policies: %s", diff)
	}
	var full *OrgPolicy
	for i := range o.Policies {
		if o.Policies[i].ID == FullAWSAccessID {
			full = &o.Policies[i]
		}
	}
	if full == nil {
		t.Fatal("FullAWSAccess is attached but not defined in organization.policies")
	}
	if full.Type != ServiceControlPolicy || !full.AWSManaged || full.Name != "FullAWSAccess" ||
		full.Document.String() != `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}` {
		t.Errorf("FullAWSAccess = %+v %s, want the AWS managed SCP", full, full.Document)
	}

	// The same document as a scan's snapshot keeps what was read.
	snap, err := Parse([]byte(scpFixture+"scan: {started_at: 2024-01-01T00:00:00Z, finished_at: 2024-01-01T00:01:00Z, complete: true}\n"), "snap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if DefaultsFullAWSAccess(snap) {
		t.Error("DefaultsFullAWSAccess = true for a scan's snapshot")
	}
	ApplyDefaults(snap)
	if snap.Organization.Root.OUs[0].Policies != nil || snap.Accounts[1].Policies != nil || len(snap.Organization.Policies) != 1 {
		t.Errorf("a scan's snapshot was re-interpreted: OU %v, account %v, %d policies",
			snap.Organization.Root.OUs[0].Policies, snap.Accounts[1].Policies, len(snap.Organization.Policies))
	}

	// An organisation without SCPs attaches none.
	noSCP := strings.Replace(scpFixture, "type: SERVICE_CONTROL_POLICY", "type: RESOURCE_CONTROL_POLICY", 1)
	noSCP = strings.Replace(noSCP, "Effect: Deny, Action", "Effect: Deny, Principal: \"*\", Action", 1)
	n, err := Parse([]byte(noSCP), "rcp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ApplyDefaults(n)
	if n.Organization.Root.OUs[0].Policies != nil || n.Accounts[1].Policies != nil {
		t.Errorf("FullAWSAccess attached in an organisation without SCPs: %v %v", n.Organization.Root.OUs[0].Policies, n.Accounts[1].Policies)
	}
}

// TestFullAWSAccessDefinedByTheFixture: a fixture that defines
// p-FullAWSAccess itself keeps its definition (not a second copy).
func TestFullAWSAccessDefinedByTheFixture(t *testing.T) {
	doc := strings.Replace(scpFixture, "  policies:\n    - id: p-deny-delete", "  policies:\n    - {id: p-FullAWSAccess, name: FullAWSAccess, type: SERVICE_CONTROL_POLICY, aws_managed: true, description: mine, document: {Version: \"2012-10-17\", Statement: [{Effect: Allow, Action: \"*\", Resource: \"*\"}]}}\n    - id: p-deny-delete", 1)
	d, err := Parse([]byte(doc), "scp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ApplyDefaults(d)
	if n := len(d.Organization.Policies); n != 2 || d.Organization.Policies[0].Description != "mine" {
		t.Errorf("policies %+v: want the fixture's two", d.Organization.Policies)
	}
}

// TestEmptyPoliciesListIsInvalid: `policies: []` written explicitly on a
// root, OU or account of a fixture is a validation error with its path
// (Organizations never leaves a target without an SCP; leave the field
// out for FullAWSAccess), and so is a list without any SCP in an
// organisation that uses SCPs. A scan's snapshot may hold either: it
// records what was listed.
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DetachPolicy.html
func TestEmptyPoliciesListIsInvalid(t *testing.T) {
	cases := []struct{ name, from, to, want string }{
		{"root", "    policies: [p-deny-delete]\n    accounts: [\"111111111111\"]", "    policies: []\n    accounts: [\"111111111111\"]", "organization.root.policies: an empty list attaches nothing"},
		{"ou", "        name: Open\n", "        name: Open\n        policies: []\n", "organization.root.ous[0].policies: an empty list attaches nothing"},
		{"account", "  - id: \"222222222222\"\n", "  - id: \"222222222222\"\n    policies: []\n", "accounts[1].policies: an empty list attaches nothing"},
		{"rcp only", "        name: Open\n", "        name: Open\n        policies: [p-rcp]\n", "organization.root.ous[0].policies: lists no SCP"},
	}
	const rcp = "    - {id: p-rcp, name: Rcp, type: RESOURCE_CONTROL_POLICY, document: {Version: \"2012-10-17\", Statement: [{Effect: Deny, Principal: \"*\", Action: \"s3:*\", Resource: \"*\", Condition: {Bool: {aws:SecureTransport: \"false\"}}}]}}\naccounts:\n"
	base := strings.Replace(scpFixture, "accounts:\n  - id: \"111111111111\"", rcp+"  - id: \"111111111111\"", 1)
	if _, err := Parse([]byte(base), "base.yaml"); err != nil {
		t.Fatalf("the base fixture does not load: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(base, tc.from, tc.to, 1)
			if doc == base {
				t.Fatal("the case does not change the fixture")
			}
			_, err := Parse([]byte(doc), "doc.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			snap := doc + "scan: {started_at: 2024-01-01T00:00:00Z, finished_at: 2024-01-01T00:01:00Z, complete: true}\n"
			if _, err := Parse([]byte(snap), "snap.yaml"); err != nil {
				t.Errorf("a scan's snapshot with the same list does not load: %v", err)
			}
		})
	}
}
