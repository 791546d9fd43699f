package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// runScan runs `scan` with the configuration cfgText against the emulator
// at url, the JSON report going to out and the snapshot saved to snap.
func runScan(t *testing.T, url, cfgText string) (code int, out, snap string, stdout, stderr *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", cfgText)
	snap, out = filepath.Join(dir, "snapshot.json"), filepath.Join(dir, "out")
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	code = Run(context.Background(), []string{"scan", "--config", cfg, "--endpoint-url", url, "--output-dir", out, "--save-snapshot", snap, "--log-format", "json"}, nil, stdout, stderr)
	return code, out, snap, stdout, stderr
}

// scanFixture serves fixture through the emulator, runs `scan` on it with
// the real SDK and returns the report and the snapshot loaded back.
func scanFixture(t *testing.T, fixture *inventory.Document) (*model.Report, *inventory.Document) {
	t.Helper()
	scanEnv(t)
	_, url := fakeawstest.Start(t, fixture)
	code, out, snap, _, stderr := runScan(t, url, "audit_role:\n  external_id: rt-external-id\noutputs:\n  formats: [json]\n")
	if code != ExitIncomplete && code != ExitOK {
		t.Fatalf("scan: exit %d\nstderr: %s", code, stderr.String())
	}
	got, err := inventory.Load(snap)
	if err != nil {
		t.Fatalf("saved snapshot does not load: %v", err)
	}
	return readReportJSON(t, out), got
}

// TestScanAbsentSCPAttachmentsE2E: the round-trip fixture's Dev account
// and Empty OU list no policies. Served by the emulator, they answer
// ListPoliciesForTarget with FullAWSAccess (as Organizations attaches it
// to every root, OU and account and never detaches the last SCP); the scan
// records it, and the Dev account's buckets are not denied by an SCP level
// without Allow. The saved snapshot keeps what was read: analysed again,
// it gives the same cells.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DetachPolicy.html
func TestScanAbsentSCPAttachmentsE2E(t *testing.T) {
	fixture, err := inventory.Load("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, snap := scanFixture(t, fixture)
	var dev *inventory.Account
	for i := range snap.Accounts {
		if snap.Accounts[i].ID == "333333333333" {
			dev = &snap.Accounts[i]
		}
	}
	if dev == nil || !slices.Equal(dev.Policies, []string{inventory.FullAWSAccessID}) {
		t.Fatalf("snapshot: the Dev account's policies are %v, want [p-FullAWSAccess]", dev)
	}
	var empty *inventory.OU
	for i := range snap.Organization.Root.OUs[0].OUs {
		if ou := &snap.Organization.Root.OUs[0].OUs[i]; ou.Name == "Empty" {
			empty = ou
		}
	}
	if empty == nil || !slices.Equal(empty.Policies, []string{inventory.FullAWSAccessID}) {
		t.Errorf("snapshot: the Empty OU's policies are %+v, want [p-FullAWSAccess]", empty)
	}
	b := reportBucket(t, rep, "dev-other-key")
	for name, c := range map[string]model.Cell{"list": b.Access.SameAccount.List, "manage": b.Access.SameAccount.Manage} {
		if c.Verdict != model.VerdictAllow {
			t.Errorf("same_account.%s of dev-other-key: %s %v (%s); want allow (FullAWSAccess at the account level)", name, c.Verdict, c.DecidedBy, c.Reason)
		}
	}
	// The snapshot, analysed offline, keeps what the scan read.
	again, err := access.Analyze(context.Background(), snap, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range again.Buckets {
		if a := &again.Buckets[i]; a.Name == b.Name && a.Access.SameAccount.List.Verdict != b.Access.SameAccount.List.Verdict {
			t.Errorf("the snapshot analysed again: same_account.list %s, the scan's report %s", a.Access.SameAccount.List.Verdict, b.Access.SameAccount.List.Verdict)
		}
	}
}

// missingAnswersFixture: bucket exv-public has a public policy whose
// GetBucketPolicyStatus answer leaves IsPublic out (faults.omit); bucket
// exv-acl has ACLs enabled and an ACL whose Owner ID is not the canonical
// ID ListBuckets reports for the account, with the owner's FULL_CONTROL
// grant to that Owner ID.
const missingAnswersFixture = `schema_version: 1
organization:
  id: o-exactv0001
  management_account_id: "111111111111"
  root: {id: r-exv1, accounts: ["111111111111", "222222222222"]}
accounts:
  - id: "111111111111"
    audit_role: {name: BucketAuditRole, external_id: rt-external-id}
  - id: "222222222222"
    audit_role: {name: BucketAuditRole, external_id: rt-external-id}
    buckets:
      - name: exv-public
        region: eu-west-1
        policy: {Version: "2012-10-17", Statement: [{Sid: Public, Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::exv-public/*"}]}
      - name: exv-acl
        region: eu-west-1
        ownership: BucketOwnerPreferred
        acl: {owner_id: "` + exvACLOwner + `", grants: [{grantee: {type: CanonicalUser, id: "` + exvACLOwner + `"}, permission: FULL_CONTROL}]}
faults:
  omit: [{service: s3, operation: GetBucketPolicyStatus, bucket: exv-public, element: IsPublic}]
`

const exvACLOwner = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// TestScanMissingAnswersE2E: scanned through the emulator with the real
// SDK, a GetBucketPolicyStatus answer without IsPublic (optional in S3's
// API) is recorded as not read — never IsPublic=false — so the report has
// no AWS verdict to compare and raises no disagreement; and a grant to the
// bucket ACL's own Owner ID is the bucket owner's (GetBucketAcl's Owner is
// the bucket owner), not an external canonical user, even though
// ListBuckets reported another canonical ID for the account.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PolicyStatus.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html
func TestScanMissingAnswersE2E(t *testing.T) {
	fixture, err := inventory.Parse([]byte(missingAnswersFixture), "missing-answers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, snap := scanFixture(t, fixture)
	buckets := map[string]*inventory.Bucket{}
	for i := range snap.Accounts {
		for j := range snap.Accounts[i].Buckets {
			b := &snap.Accounts[i].Buckets[j]
			buckets[b.Name] = b
		}
	}
	pub := buckets["exv-public"]
	if pub == nil || pub.Policy == nil {
		t.Fatalf("snapshot: exv-public or its policy missing: %+v", pub)
	}
	if pub.PolicyIsPublic != nil {
		t.Errorf("snapshot: policy_is_public = %t from an answer without IsPublic", *pub.PolicyIsPublic)
	}
	if !strings.Contains(pub.Errors.Text(inventory.FieldPolicyStatus), "no IsPublic") {
		t.Errorf("snapshot: errors.policy_status = %q, want the missing IsPublic recorded", pub.Errors[inventory.FieldPolicyStatus])
	}
	if a := buckets["exv-acl"]; a == nil || a.ACL == nil || a.ACL.OwnerID != exvACLOwner || snap.Accounts[1].CanonicalID == exvACLOwner {
		t.Fatalf("snapshot: the ACL owner and the account's canonical ID should differ: %+v, %s", a, snap.Accounts[1].CanonicalID)
	}
	for i := range rep.Buckets {
		b := &rep.Buckets[i]
		switch b.Name {
		case "exv-public":
			if b.Config.AWSIsPublic != nil {
				t.Errorf("report: aws_is_public = %t, want absent (not read)", *b.Config.AWSIsPublic)
			}
			for _, f := range b.Findings {
				if f.ID == model.FindingPolicyStatusDisagreement {
					t.Errorf("report: %s raised against an IsPublic that was not read: %s", f.ID, f.Detail)
				}
			}
		case "exv-acl":
			if _, ok := b.Access.External["canonical:"+exvACLOwner]; ok {
				t.Error("report: the ACL owner's own grant is an external canonical user")
			}
			if c := b.Access.SameAccount.List; c.Verdict != model.VerdictAllow {
				t.Errorf("report: same_account.list %s (%s), want allow", c.Verdict, c.Reason)
			}
		}
	}
}

// TestFixtureEmptyPoliciesIsUsageError: a fixture that writes policies: []
// on an OU (a target without any SCP, which Organizations never allows) is
// refused by the emulator and by analyze, naming the field's path.
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DetachPolicy.html
func TestFixtureEmptyPoliciesIsUsageError(t *testing.T) {
	data, err := os.ReadFile("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "            name: Empty\n", "            name: Empty\n            policies: []\n", 1)
	if text == string(data) {
		t.Fatal("the round-trip fixture has no Empty OU to edit")
	}
	dir := t.TempDir()
	fixture := writeFile(t, dir, "empty-policies.yaml", text)
	const want = "organization.root.ous[0].ous[2].policies: an empty list attaches nothing"
	for _, args := range [][]string{
		{"analyze", fixture, "--output-dir", filepath.Join(dir, "out")},
		{"fakeaws", "--fixture", fixture},
	} {
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // fakeaws would serve until then
		code := Run(ctx, args, nil, &stdout, &stderr)
		cancel()
		if code != ExitUsage || !strings.Contains(stderr.String(), want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d naming %q", args[0], code, stderr.String(), ExitUsage, want)
		}
	}
}
