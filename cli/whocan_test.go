package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/internal/golden"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestWhoCanEndToEnd scans a fixture with IAM roles, a user (through its
// group) and a permissions boundary in two member accounts through the
// emulator with the real SDK, then answers who-can and can-reach on the
// saved snapshot: each principal decided with its own policies; across
// accounts both the identity policy and the bucket policy must allow, and
// the caller's own account's SCP applies.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
func TestWhoCanEndToEnd(t *testing.T) {
	snap := scanWhoCanFixture(t, nil)

	code, out, errOut := runCLI(t, "who-can", "--snapshot", snap, "--bucket", "wc-shared", "-q")
	if code != ExitOK {
		t.Fatalf("who-can exit %d: %s", code, errOut)
	}
	golden.Check(t, "whocan/wc-shared.txt", []byte(out))

	// read: JSON rows; the bounded role (ListOnly boundary) and the ec2
	// role are not listed; alice reads through her group's policy.
	code, out, errOut = runCLI(t, "who-can", "--snapshot", snap, "--bucket", "wc-shared", "--action", "s3:GetObject", "--format", "json")
	if code != ExitOK {
		t.Fatalf("who-can json exit %d: %s", code, errOut)
	}
	var res whoCanResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("who-can json: %v\n%s", err, out)
	}
	var got []string
	for _, p := range res.Principals {
		got = append(got, p.Class+" "+p.ARN+" "+string(p.Verdict))
	}
	want := []string{
		"same_account arn:aws:iam::222222222222:role/app allow",
		"same_account arn:aws:iam::222222222222:root allow",
		"org arn:aws:iam::111111111111:root allow",
		"org arn:aws:iam::333333333333:role/reader allow",
		"org arn:aws:iam::333333333333:user/alice allow",
		"org arn:aws:iam::333333333333:root allow",
	}
	if !slices.Equal(got, want) {
		t.Errorf("who-can read:\n got %q\nwant %q", got, want)
	}
	// explain agrees, principal by principal, for principals of any
	// scanned account: the listed ones are allowed, the bounded role and
	// the ec2 role are not.
	for _, arn := range []string{"arn:aws:iam::333333333333:user/alice", "arn:aws:iam::333333333333:role/reader", "arn:aws:iam::222222222222:role/app",
		"arn:aws:iam::333333333333:role/bounded", "arn:aws:iam::333333333333:role/ec2-only"} {
		code, out, errOut := runExplain(t, "--snapshot", snap, "--principal", arn, "--action", "s3:GetObject", "--bucket", "wc-shared", "--key", "k", "--format", "json")
		if code != ExitOK {
			t.Fatalf("explain %s: exit %d %s", arn, code, errOut)
		}
		listed := slices.Contains(got, "org "+arn+" allow") || slices.Contains(got, "same_account "+arn+" allow")
		if x := decodeExplain(t, out); (x.Decision == "allow") != listed {
			t.Errorf("explain %s: %s, who-can lists it: %v", arn, x.Decision, listed)
		}
	}
	if len(res.Unlisted) != 0 {
		t.Errorf("unlisted %+v: every account's IAM was collected", res.Unlisted)
	}

	// can-reach: alice reads wc-shared, and cannot delete it (her
	// account's SCP NoDelete, and no identity grant).
	code, out, errOut = runCLI(t, "can-reach", "--snapshot", snap, "--principal", "arn:aws:iam::333333333333:user/alice", "-q")
	if code != ExitOK {
		t.Fatalf("can-reach exit %d: %s", code, errOut)
	}
	golden.Check(t, "whocan/alice.txt", []byte(out))
	if !strings.Contains(out, "s3://wc-shared") || strings.Contains(out, "delete") {
		t.Errorf("can-reach alice:\n%s", out)
	}
	// The reader role (s3:* on *): read but not delete (SCP of its account).
	code, out, _ = runCLI(t, "can-reach", "--snapshot", snap, "--principal", "arn:aws:iam::333333333333:role/reader", "--format", "json")
	var cr canReachResult
	if code != ExitOK || json.Unmarshal([]byte(out), &cr) != nil {
		t.Fatalf("can-reach reader exit %d: %s", code, out)
	}
	var actions []string
	for _, b := range cr.Buckets {
		actions = append(actions, b.Bucket+" "+b.Action)
	}
	if !slices.Equal(actions, []string{"wc-shared read"}) {
		t.Errorf("reader reaches %q, want wc-shared read", actions)
	}
}

// scanWhoCanFixture scans testdata/whocan.yaml (changed by edit when not
// nil) through the emulator and returns the snapshot's path.
func scanWhoCanFixture(t *testing.T, edit func(*inventory.Document)) string {
	t.Helper()
	scanEnv(t)
	fixture, err := inventory.Load("testdata/whocan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(fixture)
	}
	_, url := fakeawstest.Start(t, fixture)
	code, _, snap, _, stderr := runScan(t, url, "audit_role:\n  external_id: wc-external-id\noutputs:\n  formats: [json]\n")
	if code != ExitOK {
		t.Fatalf("scan exit %d\nstderr: %s", code, stderr)
	}
	return snap
}

// TestWhoCanUnknown: a cell that is unknown (a deciding layer could not
// be read) lists no principal and says so, never "nobody".
func TestWhoCanUnknown(t *testing.T) {
	code, out, errOut := runCLI(t, "who-can", "--snapshot", "../demo/org.yaml", "--bucket", "acme-analytics-feature-store", "--action", "read", "-q")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "No principal of the scanned accounts can.") || !strings.Contains(out, "Unknown (a layer that could decide was not readable):\n  read (same_account): ") {
		t.Errorf("who-can of an unknown cell:\n%s", out)
	}
	code, out, errOut = runCLI(t, "can-reach", "--snapshot", "../demo/org.yaml", "--principal", "arn:aws:iam::536472961304:root", "--action", "read", "-q")
	if code != ExitOK {
		t.Fatalf("can-reach exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "s3://acme-analytics-feature-store read (same_account): ") {
		t.Errorf("can-reach does not name the unknown cell:\n%s", out)
	}
}

// TestWhoCanUsage: missing flags, a report.json given as the snapshot, an
// unknown bucket or principal are usage errors (exit 2).
func TestWhoCanUsage(t *testing.T) {
	dir := t.TempDir()
	rep := filepath.Join(dir, "report.json")
	if err := os.WriteFile(rep, []byte(`{"schema_version":1,"generated_at":"2024-01-01T00:00:00Z","accounts":[],"buckets":[],"summary":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fixture := "testdata/whocan.yaml"
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"who-can", "--bucket", "wc-shared"}, "--snapshot FILE is required"},
		{[]string{"who-can", "--snapshot", fixture}, "--bucket NAME is required"},
		{[]string{"who-can", "--snapshot", rep, "--bucket", "wc-shared"}, "is a report (report.json)"},
		{[]string{"who-can", "--snapshot", fixture, "--bucket", "nope"}, `no bucket "nope"`},
		{[]string{"who-can", "--snapshot", fixture, "--bucket", "wc-shared", "--action", "s3:Frobnicate"}, "--action"},
		{[]string{"who-can", "--snapshot", fixture, "--bucket", "wc-shared", "--format", "xml"}, "--format"},
		{[]string{"can-reach", "--snapshot", fixture, "--principal", "alice"}, "is not an IAM role, user, root or identity provider ARN"},
		{[]string{"can-reach", "--snapshot", fixture, "--principal", "arn:aws:iam::333333333333:role/nobody"}, "not in the collected IAM"},
		{[]string{"can-reach", "--snapshot", fixture, "--principal", "arn:aws:iam::999999999999:root"}, "not in the snapshot"},
	} {
		code, _, errOut := runCLI(t, append(tt.args, "-q")...)
		if code != ExitUsage || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%v: exit %d %q, want %d with %q", tt.args, code, errOut, ExitUsage, tt.msg)
		}
	}
}
