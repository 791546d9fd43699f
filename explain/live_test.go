package explain

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/scanner"
)

// liveRig is fakeaws serving the fixture and a read-only session on it.
type liveRig struct {
	cfg  *config.Config
	sess *scanner.Session
}

func newLiveRig(t testing.TB) *liveRig {
	t.Helper()
	return newLiveRigFor(t, loadFixture(t))
}

// newLiveRigFor serves doc; edit, if any, changes the configuration.
func newLiveRigFor(t testing.TB, doc *inventory.Document, edit ...func(*config.Config)) *liveRig {
	t.Helper()
	_, url := fakeawstest.Start(t, doc)
	cfg := config.Default()
	for _, f := range edit {
		f(cfg)
	}
	cfg.EndpointURL = url
	cfg.AuditRole.ExternalID = "explain-test"
	cfg.Retry.MaxBackoff = 100 * time.Millisecond
	cfg.Timeouts.Call = 10 * time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	opts := scanner.SessionOptionsFrom(cfg, zerolog.Nop())
	opts.Credentials = fakeawstest.ManagementCredentials(doc)
	opts.HTTPClient = &http.Client{Transport: transport}
	sess, err := scanner.NewSession(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return &liveRig{cfg: cfg, sess: sess}
}

func (r *liveRig) explain(t testing.TB, req Request) *Explanation {
	t.Helper()
	doc, err := Collect(context.Background(), req, LiveOptions{Session: r.sess, Config: r.cfg, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	x, err := Explain(doc, req, Options{Source: "live"})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestLiveClassicCauses: each classic cause, collected live from fakeaws
// through the real SDK and the scanner's read-only clients, gets the same
// checklist as the same fixture read as a snapshot.
func TestLiveClassicCauses(t *testing.T) {
	rig := newLiveRig(t)
	for _, tc := range classicCases() {
		t.Run(tc.name, func(t *testing.T) {
			live := rig.explain(t, tc.req)
			checkCase(t, tc, live)
			snap, err := Explain(loadFixture(t), tc.req, Options{Source: "live"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(snap, live); diff != "" {
				t.Errorf("live and snapshot explanations differ (-snapshot +live):\n%s", diff)
			}
		})
	}
	// Only read operations of the allowlist were called.
	allowed := map[string]bool{}
	for _, op := range scanner.Allowlist() {
		allowed[op.Service+"."+op.Name] = true
	}
	names := rig.sess.CallNames()
	sort.Strings(names)
	for _, n := range names {
		if !allowed[n] {
			t.Errorf("live explain called %s, which is not on the read-only allowlist", n)
		}
	}
}

// TestLiveUnreadable: what the audit role cannot read becomes "could not
// read", never a guess.
func TestLiveUnreadable(t *testing.T) {
	doc := loadFixture(t)
	for i := range doc.Accounts {
		for j := range doc.Accounts[i].Buckets {
			if b := &doc.Accounts[i].Buckets[j]; b.Name == "missing-slash" {
				b.Errors = inventory.Errors{"policy": {Code: "AccessDenied", Message: "Access Denied"}}
			}
		}
	}
	rig := newLiveRigFor(t, doc)
	req := Request{Principal: reader, Action: "s3:GetObject", Bucket: "missing-slash", Key: "k"}
	x := rig.explain(t, req)
	if x.Decision != DecisionUnknown || x.BlockedBy == nil || *x.BlockedBy != "bucket_policy" {
		t.Fatalf("decision %s blocked_by %v, want unknown / bucket_policy (%s)", x.Decision, x.BlockedBy, x.Reason)
	}
	for _, r := range x.Layers {
		if r.Layer == "bucket_policy" && r.Verdict != VerdictCouldNot {
			t.Errorf("bucket_policy row: %s, want could_not_read", r.Verdict)
		}
	}

	// A bucket no account owns.
	_, err := Collect(context.Background(), Request{Principal: reader, Action: "s3:GetObject", Bucket: "no-such-bucket"}, LiveOptions{Session: rig.sess, Config: rig.cfg, Log: zerolog.Nop()})
	if !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("error %v, want ErrBucketNotFound", err)
	}
}

// TestLiveCollectsOnlyWhatTheRequestNeeds: one bucket's layers, one key,
// one account's IAM, no endpoint when none is named.
func TestLiveCollectsOnlyWhatTheRequestNeeds(t *testing.T) {
	rig := newLiveRig(t)
	rig.explain(t, Request{Principal: reader, Action: "s3:GetObject", Bucket: "customer-exports", Key: "k"})
	calls := rig.sess.Calls()
	for op, want := range map[string]int64{
		"S3.GetBucketPolicy": 1, "S3.GetBucketEncryption": 1, "S3 Control.GetPublicAccessBlock": 1,
		"KMS.GetKeyPolicy": 1, "KMS.DescribeKey": 1, "EC2.DescribeVpcEndpoints": 0,
		// customer-exports is BucketOwnerEnforced: ACLs are disabled, the ACL is not read.
		"S3.GetBucketOwnershipControls": 1, "S3.GetBucketAcl": 0, "S3.GetBucketVersioning": 0, "S3.GetBucketTagging": 0,
	} {
		if calls[op] != want {
			t.Errorf("%s called %d times, want %d (calls: %v)", op, calls[op], want, calls)
		}
	}
	// IAM of the principal's account only: fakeaws pages at 3 items, and
	// account 333333333333 has 2 roles, 1 user and 2 policies.
	if n := calls["IAM.GetAccountAuthorizationDetails"]; n < 1 || n > 2 {
		t.Errorf("GetAccountAuthorizationDetails called %d times, want the pages of one account", n)
	}
}

// TestLiveOrganizationUnreadable: when the organisation cannot be read,
// SCPs and RCPs are unknown, so a request every other layer allows is
// "unknown", not "allow".
func TestLiveOrganizationUnreadable(t *testing.T) {
	doc := loadFixture(t)
	doc.Organization.Errors = inventory.Errors{"organization": {Code: "AccessDeniedException", Message: "not a management account"}}
	rig := newLiveRigFor(t, doc)
	x := rig.explain(t, Request{Principal: app, Action: "s3:GetObject", Bucket: "missing-key", Key: "k"})
	if x.Decision != DecisionUnknown || x.BlockedBy == nil || *x.BlockedBy != "scp" {
		t.Fatalf("decision %s blocked_by %v, want unknown / scp (%s)", x.Decision, x.BlockedBy, x.Reason)
	}
	for _, r := range x.Layers {
		if (r.Layer == "scp" || r.Layer == "rcp") && r.Verdict != VerdictCouldNot {
			t.Errorf("%s row: %s, want could_not_read", r.Layer, r.Verdict)
		}
	}
}

// TestLiveAccountsList: with an accounts: list the organisation is not
// walked; the accounts the request involves say which organisation they
// belong to (DescribeOrganization, callable by member accounts:
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html),
// so the SCPs and RCPs of this member are unknown, never "none".
func TestLiveAccountsList(t *testing.T) {
	rig := newLiveRig(t)
	rig.cfg.Accounts = []config.Account{{ID: "222222222222"}, {ID: "333333333333"}}
	x := rig.explain(t, Request{Principal: app, Action: "s3:GetObject", Bucket: "missing-key", Key: "k"})
	if x.Decision != DecisionUnknown || x.BlockedBy == nil || *x.BlockedBy != "scp" {
		t.Fatalf("decision %s blocked_by %v, want unknown / scp (%s)", x.Decision, x.BlockedBy, x.Reason)
	}
	if n := rig.sess.Calls()["Organizations.DescribeOrganization"]; n != 1 {
		t.Errorf("DescribeOrganization called %d times, want once (the bucket's account is the principal's)", n)
	}
}
