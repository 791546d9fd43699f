package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// scanFixture serves fixture through the emulator, runs `scan` on it with
// the real SDK (JSON report, saved snapshot) and returns the report and
// the snapshot loaded back.
func scanFixture(t *testing.T, fixture *inventory.Document) (*access.Report, *inventory.Document) {
	t.Helper()
	scanEnv(t)
	_, url := fakeawstest.Start(t, fixture)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", "audit_role:\n  external_id: rt-external-id\noutputs:\n  formats: [json]\n")
	snap := filepath.Join(dir, "snapshot.json")
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"scan", "--config", cfg, "--endpoint-url", url, "--output-dir", out, "--save-snapshot", snap, "--log-format", "json"}, nil, &stdout, &stderr)
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
	var b *access.Bucket
	for i := range rep.Buckets {
		if rep.Buckets[i].Name == "dev-other-key" {
			b = &rep.Buckets[i]
		}
	}
	if b == nil {
		t.Fatal("no bucket dev-other-key in the report")
	}
	for name, c := range map[string]access.Cell{"list": b.Access.SameAccount.List, "manage": b.Access.SameAccount.Manage} {
		if c.Verdict != access.VerdictAllow {
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
