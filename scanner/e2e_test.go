package scanner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
)

func loadFixture(t *testing.T, path string) *inventory.Document {
	t.Helper()
	doc, err := inventory.Load(path)
	if err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return doc
}

// scanRig is a fakeaws server and the scan configuration that reaches it.
type scanRig struct {
	doc  *inventory.Document
	srv  *fakeaws.Server
	url  string
	cfg  *config.Config
	http *http.Client
}

func newRig(t *testing.T, doc *inventory.Document) *scanRig {
	t.Helper()
	srv, url := fakeawstest.Start(t, doc)
	cfg := config.Default()
	cfg.EndpointURL = url
	cfg.AuditRole.ExternalID = "rt-external-id"
	cfg.Retry.MaxBackoff = 200 * time.Millisecond
	cfg.Timeouts.Call = 10 * time.Second
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Dialled-but-unused connections would hold up the emulator's shutdown.
	t.Cleanup(transport.CloseIdleConnections)
	return &scanRig{doc: doc, srv: srv, url: url, cfg: cfg, http: &http.Client{Transport: transport}}
}

func (r *scanRig) session(t *testing.T) *Session {
	t.Helper()
	if err := r.cfg.Validate(); err != nil {
		t.Fatalf("test configuration: %v", err)
	}
	opts := SessionOptionsFrom(r.cfg, zerolog.Nop())
	opts.Credentials = fakeawstest.ManagementCredentials(r.doc)
	opts.HTTPClient = r.http
	sess, err := NewSession(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func (r *scanRig) scan(t *testing.T, ctx context.Context) (*inventory.Document, *Session) {
	t.Helper()
	sess := r.session(t)
	doc := Scan(ctx, Options{Session: sess, Config: r.cfg, ToolVersion: "test", Log: zerolog.Nop()})
	return doc, sess
}

// TestRoundTrip: fixture → fakeaws → scan through the real SDK → the same
// document, normalised.
func TestRoundTrip(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	rig := newRig(t, fixture)
	rig.cfg.Collect.Versioning, rig.cfg.Collect.Tags = true, true
	got, sess := rig.scan(t, context.Background())
	if diff := cmp.Diff(fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{Versioning: true, Tags: true}), inventory.Canonical(got)); diff != "" {
		t.Errorf("snapshot differs from fixture (-fixture +snapshot):\n%s", diff)
	}
	if got.Scan == nil || got.Scan.Complete || got.Scan.Interrupted {
		t.Errorf("scan info %+v: the fixture holds recorded errors, so the scan is incomplete but not interrupted", got.Scan)
	}
	if _, err := inventory.Parse(mustMarshal(t, got), "snapshot.json"); err != nil {
		t.Errorf("snapshot does not load back: %v", err)
	}
	// Each call the scanner counted reached the emulator, and no other.
	if st := rig.srv.Stats(); st.Requests != sess.TotalCalls() {
		t.Errorf("emulator served %d requests, scanner counted %d", st.Requests, sess.TotalCalls())
	}
	// Policy status is only asked for buckets that have a policy.
	if n := sess.Calls()["S3.GetBucketPolicyStatus"]; n != 4 {
		t.Errorf("GetBucketPolicyStatus called %d times, want 4 (3 buckets with a policy + 1 unreadable)", n)
	}
	// Each key is described and its policy read once, however many buckets
	// name it and how (prod-data names alias/prod-data, prod-managed-key
	// the ARN of the same key).
	keys := 0
	for _, a := range got.Accounts {
		keys += len(a.KMSKeys)
	}
	if c := sess.Calls(); c["KMS.DescribeKey"] != int64(keys) || c["KMS.GetKeyPolicy"] != int64(keys) {
		t.Errorf("DescribeKey %d, GetKeyPolicy %d calls for %d keys: want one each per key", c["KMS.DescribeKey"], c["KMS.GetKeyPolicy"], keys)
	}
}

// TestRoundTripDefaultCollection: with the default collection, the ACL of
// a bucket with ACLs disabled (BucketOwnerEnforced), versioning and tags
// are not read, and the snapshot says so (not_collected) instead of
// holding a default; every other field is as the fixture says. ACLs take
// no part in access when ownership is BucketOwnerEnforced:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
func TestRoundTripDefaultCollection(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	rig := newRig(t, fixture)
	got, sess := rig.scan(t, context.Background())
	want := fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{})
	if diff := cmp.Diff(want, inventory.Canonical(got)); diff != "" {
		t.Errorf("snapshot differs (-want +got):\n%s", diff)
	}
	aclRead, enforced := 0, 0
	for _, a := range want.Accounts {
		for _, b := range a.Buckets {
			if b.Ownership == inventory.OwnershipBucketOwnerEnforced {
				enforced++
				if b.Collected(inventory.FieldACL) || b.ACL != nil {
					t.Errorf("bucket %s: ACLs disabled, yet the ACL is expected as read (%v)", b.Name, b.ACL)
				}
			} else {
				aclRead++
			}
		}
	}
	calls := sess.Calls()
	if enforced == 0 || calls["S3.GetBucketAcl"] != int64(aclRead) {
		t.Errorf("GetBucketAcl called %d times, want %d (the buckets whose ACLs are enabled or whose ownership is unreadable; %d with ACLs disabled)", calls["S3.GetBucketAcl"], aclRead, enforced)
	}
	for _, op := range []string{"S3.GetBucketVersioning", "S3.GetBucketTagging", "S3.HeadBucket"} {
		if calls[op] != 0 {
			t.Errorf("%s called %d times by the default collection, want 0", op, calls[op])
		}
	}
	// Loaded back and analysed, a not-collected ACL stays absent: no
	// default owner-full-control ACL is filled in.
	back, err := inventory.Parse(mustMarshal(t, got), "snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	inventory.ApplyDefaults(back)
	for _, a := range back.Accounts {
		for _, b := range a.Buckets {
			if !b.Collected(inventory.FieldACL) && b.ACL != nil {
				t.Errorf("bucket %s: the ACL was not collected, yet loading filled in %v", b.Name, b.ACL)
			}
		}
	}
}

func mustMarshal(t *testing.T, d *inventory.Document) []byte {
	t.Helper()
	b, err := inventory.Marshal(d, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertNoWrongValue checks the scanner's promise: every bucket field of
// got either equals the fixture's, or holds nothing and has an error
// recorded. It returns the number of fields recorded as unread.
func assertNoWrongValue(t *testing.T, fixture, got *inventory.Document) (unread int) {
	t.Helper()
	want := map[string]inventory.Bucket{}
	for _, a := range fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{}).Accounts {
		for _, b := range a.Buckets {
			want[b.Name] = b
		}
	}
	normalized := map[string]inventory.Bucket{}
	for _, a := range inventory.Canonical(got).Accounts {
		for _, b := range a.Buckets {
			normalized[b.Name] = b
		}
	}
	fields := func(b inventory.Bucket) map[string]any {
		return map[string]any{
			inventory.FieldPolicy:            b.Policy,
			inventory.FieldPolicyStatus:      b.PolicyIsPublic,
			inventory.FieldPublicAccessBlock: b.PublicAccessBlock,
			inventory.FieldOwnership:         b.Ownership,
			inventory.FieldACL:               b.ACL,
			inventory.FieldEncryption:        b.Encryption,
			inventory.FieldVersioning:        b.Versioning,
			inventory.FieldTags:              b.Tags,
		}
	}
	for _, a := range got.Accounts {
		for _, raw := range a.Buckets {
			w, n := fields(want[raw.Name]), fields(normalized[raw.Name])
			for name, value := range fields(raw) {
				if raw.Errors.Has(name) {
					if !want[raw.Name].Errors.Has(name) {
						unread++
					}
					// policy_status may hold AWS's verdict when the policy itself is unreadable.
					if name != inventory.FieldPolicyStatus && !reflect.ValueOf(value).IsZero() {
						t.Errorf("bucket %s: %s = %v although reading it failed (%s)", raw.Name, name, value, raw.Errors[name])
					}
					continue
				}
				if !cmp.Equal(w[name], n[name]) {
					t.Errorf("bucket %s: %s = %v without an error, want %v", raw.Name, name, n[name], w[name])
				}
			}
		}
	}
	return unread
}

func TestInjectedAccessDenied(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	fixture.Faults = &inventory.Faults{Errors: []inventory.FaultError{
		{Service: "s3", Operation: "GetBucketPolicy", Account: "222222222222", Bucket: "prod-public", Code: "AccessDenied", Message: "Access Denied"},
		{Service: "s3", Operation: "GetBucketOwnershipControls", Account: "222222222222", Bucket: "prod-managed-key", Code: "AccessDenied", Message: "Access Denied"},
		{Service: "kms", Operation: "GetKeyPolicy", Code: "AccessDeniedException", Message: "not authorized"},
		{Service: "sts", Operation: "AssumeRole", Account: "333333333333", Code: "AccessDenied", Message: "not authorized to assume"},
		{Service: "s3", Operation: "GetBucketPolicy", Account: "222222222222", Bucket: "prod-vpce-only", Code: "AccessDenied", Message: "Access Denied"},
		{Service: "s3", Operation: "GetBucketPolicyStatus", Account: "222222222222", Bucket: "prod-vpce-only", Code: "AccessDenied", Message: "Access Denied"},
	}}
	rig := newRig(t, fixture)
	got, _ := rig.scan(t, context.Background())
	bucket := func(acct, name string) *inventory.Bucket {
		for i := range got.Accounts {
			if got.Accounts[i].ID == acct {
				for j := range got.Accounts[i].Buckets {
					if got.Accounts[i].Buckets[j].Name == name {
						return &got.Accounts[i].Buckets[j]
					}
				}
			}
		}
		t.Fatalf("bucket %s not in snapshot", name)
		return nil
	}
	pub := bucket("222222222222", "prod-public")
	if pub.Policy != nil || pub.Errors.Text(inventory.FieldPolicy) != "AccessDenied: Access Denied" {
		t.Errorf("denied policy read as %v / errors %v; want no policy value and the error recorded", pub.Policy, pub.Errors)
	}
	if pub.PolicyIsPublic == nil || !*pub.PolicyIsPublic {
		t.Errorf("AWS's own verdict (GetBucketPolicyStatus) should still be collected: %v", pub.PolicyIsPublic)
	}
	vp := bucket("222222222222", "prod-vpce-only")
	if vp.Policy != nil || vp.PolicyIsPublic != nil || !vp.Errors.Has(inventory.FieldPolicy) || vp.Errors.Text(inventory.FieldPolicyStatus) != "AccessDenied: Access Denied" {
		t.Errorf("policy and status both denied: policy %v, is public %v, errors %v; want both errors recorded", vp.Policy, vp.PolicyIsPublic, vp.Errors)
	}
	mk := bucket("222222222222", "prod-managed-key")
	if mk.Ownership != "" || !strings.HasPrefix(mk.Errors.Text(inventory.FieldOwnership), "AccessDenied") {
		t.Errorf("denied ownership read as %q / %v; never a sentinel", mk.Ownership, mk.Errors)
	}
	for _, a := range got.Accounts {
		for _, k := range a.KMSKeys {
			if k.Policy != nil || !strings.HasPrefix(k.Errors.Text("policy"), "AccessDeniedException") {
				t.Errorf("key %s policy %v errors %v", k.ARN, k.Policy, k.Errors)
			}
		}
		if a.ID == "333333333333" {
			if !strings.HasPrefix(a.Errors.Text(KeyAssumeRole), "AccessDenied") || len(a.Buckets) != 0 {
				t.Errorf("account 3333 with a role that cannot be assumed: %+v", a)
			}
		}
	}
	assertNoWrongValue(t, fixture, got)
	if got.Scan.Complete {
		t.Error("scan with errors marked complete")
	}
}

// TestThrottlingIsRetried: a tight token bucket per account makes the
// emulator answer SlowDown/ThrottlingException; the retryer gets through.
func TestThrottlingIsRetried(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	fixture.Faults = &inventory.Faults{Throttle: &inventory.Throttle{RequestsPerSecond: 40, Burst: 4}}
	rig := newRig(t, fixture)
	rig.cfg.RateLimit.RequestsPerSecond = 0 // let the emulator throttle
	rig.cfg.Concurrency.Requests = 8
	rig.cfg.Retry.MaxAttempts = 50
	rig.cfg.Retry.MaxBackoff = 300 * time.Millisecond
	got, sess := rig.scan(t, context.Background())
	if diff := cmp.Diff(fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{}), inventory.Canonical(got)); diff != "" {
		t.Errorf("throttled scan differs from fixture:\n%s", diff)
	}
	clean := newRig(t, loadFixture(t, "testdata/roundtrip.yaml"))
	_, base := clean.scan(t, context.Background())
	if sess.TotalCalls() <= base.TotalCalls() {
		t.Errorf("throttled scan made %d calls, unthrottled %d: the emulator did not throttle", sess.TotalCalls(), base.TotalCalls())
	}
}

// TestThrottlingExhaustedIsRecorded: with one attempt, throttled reads end
// as recorded errors, never as values.
func TestThrottlingExhaustedIsRecorded(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	fixture.Faults = &inventory.Faults{Throttle: &inventory.Throttle{RequestsPerSecond: 5, Burst: 10}}
	rig := newRig(t, fixture)
	rig.cfg.RateLimit.RequestsPerSecond = 0
	rig.cfg.Retry.MaxAttempts = 1
	got, _ := rig.scan(t, context.Background())
	if assertNoWrongValue(t, fixture, got) == 0 {
		errs := 0
		for _, a := range got.Accounts {
			errs += len(a.Errors)
		}
		if errs == 0 {
			t.Fatal("no throttling error surfaced: the test proves nothing")
		}
	}
	if got.Scan.Complete {
		t.Error("throttled scan marked complete")
	}
}

// TestRateLimitAvoidsThrottling: the client-side limit per account and
// service keeps under the emulator's limit.
func TestRateLimitAvoidsThrottling(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	fixture.Faults = &inventory.Faults{Throttle: &inventory.Throttle{RequestsPerSecond: 200, Burst: 20}}
	rig := newRig(t, fixture)
	// Per service (S3, KMS, IAM, ...) and caller, the sum stays under the
	// emulator's 200 per account, which also counts the management calls.
	rig.cfg.RateLimit = config.RateLimit{RequestsPerSecond: 25, Burst: 2}
	rig.cfg.Retry.MaxAttempts = 1
	got, _ := rig.scan(t, context.Background())
	if diff := cmp.Diff(fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{}), inventory.Canonical(got)); diff != "" {
		t.Errorf("rate-limited scan was throttled:\n%s", diff)
	}
}

// TestExpiredSessions: sessions that live 400ms, a scan several times
// longer, and ExpiredToken answers: credentials are renewed and the reads
// retried, so the snapshot is complete and right.
func TestExpiredSessions(t *testing.T) {
	const ttl = 400 * time.Millisecond
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	fixture.Faults = &inventory.Faults{
		SessionTTL: inventory.Duration(ttl),
		Latency:    inventory.Duration(15 * time.Millisecond),
		Errors: []inventory.FaultError{
			{Service: "s3", Operation: "GetBucketAcl", Account: "222222222222", Code: "ExpiredToken", Message: "The provided token has expired.", Times: 2},
		},
	}
	rig := newRig(t, fixture)
	rig.cfg.Concurrency = config.Concurrency{Accounts: 1, Buckets: 1, Requests: 2}
	start := time.Now()
	got, sess := rig.scan(t, context.Background())
	if took := time.Since(start); took < 3*ttl {
		t.Fatalf("scan took %v, not several sessions long: the test proves nothing", took)
	}
	if diff := cmp.Diff(fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{}), inventory.Canonical(got)); diff != "" {
		t.Errorf("scan across expiring sessions differs:\n%s", diff)
	}
	if n := sess.Calls()["STS.AssumeRole"]; n <= 4 {
		t.Errorf("AssumeRole called %d times for 3 accounts: sessions were not renewed", n)
	}
}

// rewriteListBuckets edits ListBuckets answers in flight: it lets a test
// hide a bucket's region or claim a wrong one.
type rewriteListBuckets struct {
	next  http.RoundTripper
	edits map[*regexp.Regexp]string
}

func (r *rewriteListBuckets) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || req.URL.Path != "/" || !strings.Contains(req.Header.Get("Authorization"), "/s3/aws4_request") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	for re, repl := range r.edits {
		body = re.ReplaceAll(body, []byte(repl))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// TestWrongRegionBuckets: a bucket listed without its region is located
// (GetBucketLocation: HeadBucket would need s3:ListBucket); a bucket listed in the wrong region answers
// PermanentRedirect and is read again where S3 says it is.
func TestWrongRegionBuckets(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	rig := newRig(t, fixture)
	rig.http.Transport = &rewriteListBuckets{next: rig.http.Transport, edits: map[*regexp.Regexp]string{
		regexp.MustCompile(`(<Name>prod-plain</Name>(?:<[^B][^>]*>[^<]*</[^>]*>)*)<BucketRegion>us-west-2</BucketRegion>`):  "${1}",
		regexp.MustCompile(`(<Name>prod-public</Name>(?:<[^B][^>]*>[^<]*</[^>]*>)*)<BucketRegion>eu-west-1</BucketRegion>`): "${1}<BucketRegion>ap-south-1</BucketRegion>",
	}}
	got, sess := rig.scan(t, context.Background())
	if diff := cmp.Diff(fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{}), inventory.Canonical(got)); diff != "" {
		t.Errorf("snapshot with wrong-region listings differs:\n%s", diff)
	}
	if sess.Calls()["S3.GetBucketLocation"] == 0 {
		t.Error("no GetBucketLocation: the rewrite did not hide a region, the test proves nothing")
	}
}

// recordingTransport counts requests that reach the network.
type recordingTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.n.Add(1)
	return r.next.RoundTrip(req)
}

// TestReadOnlyGuardRefusesWrites proves that a mutating call through a
// session's client is refused before anything is sent.
func TestReadOnlyGuardRefusesWrites(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	rig := newRig(t, fixture)
	rec := &recordingTransport{next: rig.http.Transport}
	rig.http.Transport = rec
	sess := rig.session(t)
	cfg := sess.Account("aws", "222222222222")
	_, err := sess.S3(cfg, "eu-west-1").PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String("prod-public"), Policy: aws.String(`{"Statement":[]}`)})
	var na *NotAllowedError
	if !errors.As(err, &na) || na.Operation != "PutBucketPolicy" || na.Service != "S3" {
		t.Fatalf("PutBucketPolicy: got %v, want NotAllowedError", err)
	}
	_, err = sess.S3(sess.Base(), "eu-west-1").DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String("prod-public")})
	if !errors.As(err, &na) {
		t.Fatalf("DeleteBucket with base credentials: got %v, want NotAllowedError", err)
	}
	if n := rec.n.Load(); n != 0 {
		t.Fatalf("%d requests were sent (AssumeRole included): the guard must refuse before credentials or network", n)
	}
	// An allowed call through the same client does reach the emulator.
	if _, err := sess.S3(cfg, "eu-west-1").GetBucketVersioning(context.Background(), &s3.GetBucketVersioningInput{Bucket: aws.String("prod-public")}); err != nil {
		t.Fatalf("allowed read failed: %v", err)
	}
	if rec.n.Load() == 0 {
		t.Fatal("allowed read sent nothing")
	}
}

// cancelAfter cancels a context once n requests were sent.
// cancelAfter cancels the scan's context when the after-th request that
// reads a field of a bucket (bucketFieldCall) is sent (after 0: never),
// before sending it: that field, at least, is then unread. n counts those
// requests.
type cancelAfter struct {
	next   http.RoundTripper
	n      atomic.Int64
	after  int64
	cancel context.CancelFunc
}

func (c *cancelAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	if bucketFieldCall(req) && c.n.Add(1) == c.after {
		c.cancel()
	}
	return c.next.RoundTrip(req)
}

// bucketFieldCall reports whether req is an S3 call that reads a field of
// one bucket (path-style: GET /BUCKET?policy, ?acl, …).
func bucketFieldCall(req *http.Request) bool {
	path := strings.Trim(req.URL.Path, "/")
	if req.Method != http.MethodGet || path == "" || strings.Contains(path, "/") {
		return false
	}
	for k := range req.URL.Query() {
		switch k {
		case "policy", "policyStatus", "acl", "ownershipControls", "encryption", "versioning", "tagging", "publicAccessBlock":
			return true
		}
	}
	return false
}

// TestInterruptedScan: Ctrl-C mid-scan returns what was collected, marked
// interrupted and incomplete, with nothing guessed.
func TestInterruptedScan(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	rig := newRig(t, fixture)
	rig.cfg.Concurrency = config.Concurrency{Accounts: 1, Buckets: 2, Requests: 4}
	// Interrupt halfway through the reads of the buckets' fields (halfway
	// through all calls may fall between two accounts, where no bucket is
	// being read: 1 run in 30 did).
	next := rig.http.Transport
	count := &cancelAfter{next: next}
	rig.http.Transport = count
	rig.scan(t, context.Background())
	after := count.n.Load() / 2
	if after < 2 {
		t.Fatalf("%d bucket reads in the whole scan", count.n.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rig.http.Transport = &cancelAfter{next: next, after: after, cancel: cancel}
	got, _ := rig.scan(t, ctx)
	if !got.Scan.Interrupted || got.Scan.Complete {
		t.Fatalf("scan info %+v: want interrupted and incomplete", got.Scan)
	}
	if len(got.Accounts) == 0 {
		t.Fatal("nothing kept of what was collected")
	}
	if assertNoWrongValue(t, fixture, got) == 0 {
		t.Errorf("no field recorded as unread after an interruption at bucket read %d of %d: the test proves nothing", after, count.n.Load())
	}
	stopped := 0
	for _, a := range got.Accounts {
		if a.Errors.Has(KeyScan) {
			stopped++
		}
	}
	if stopped == 0 {
		t.Error("no account says the scan stopped while (or before) reading it")
	}
}

// TestScope: only accounts and regions in scope are scanned; the
// organisation (OU tree, policies) is still read whole.
func TestScope(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	for i := range fixture.Accounts {
		if fixture.Accounts[i].ID == "333333333333" {
			fixture.Accounts[i].Policies = []string{"p-FullAWSAccess"}
		}
	}
	rig := newRig(t, fixture)
	rig.cfg.Scope = config.Scope{IncludeOUs: []string{"Root/Workloads"}, ExcludeAccounts: []string{"333333333333"}, Regions: []string{"eu-west-1"}}
	// A bucket whose region the listing hides is located, then dropped.
	rig.http.Transport = &rewriteListBuckets{next: rig.http.Transport, edits: map[*regexp.Regexp]string{
		regexp.MustCompile(`(<Name>prod-plain</Name>(?:<[^B][^>]*>[^<]*</[^>]*>)*)<BucketRegion>us-west-2</BucketRegion>`): "${1}",
	}}
	got, sess := rig.scan(t, context.Background())
	if len(got.Accounts) != 1 || got.Accounts[0].ID != "222222222222" {
		t.Fatalf("accounts %v: want only 222222222222", got.Accounts)
	}
	for _, b := range got.Accounts[0].Buckets {
		if b.Region != "eu-west-1" {
			t.Errorf("bucket %s in %s is out of scope", b.Name, b.Region)
		}
	}
	if n := len(got.Accounts[0].Buckets); n != 4 {
		t.Errorf("%d buckets in eu-west-1, want 4", n)
	}
	if got.Organization == nil || len(got.Organization.Policies) != 4 || len(got.Organization.Root.OUs) != 1 {
		t.Errorf("organisation not read whole: %+v", got.Organization)
	}
	if sess.Calls()["STS.AssumeRole"] != 1 {
		t.Errorf("AssumeRole called %d times, want once (one account in scope)", sess.Calls()["STS.AssumeRole"])
	}
	if diff := cmp.Diff([]string{"111111111111", "333333333333"}, got.Scan.ExcludedAccounts); diff != "" {
		t.Errorf("excluded accounts: %s", diff)
	}
	// The excluded members' own SCP/RCP attachments complete their chains
	// (the management account lists none in the fixture: FullAWSAccess, as
	// Organizations attaches it to every account).
	if diff := cmp.Diff(map[string][]string{"111111111111": {"p-FullAWSAccess"}, "333333333333": {"p-FullAWSAccess"}}, got.Organization.AccountPolicies); diff != "" {
		t.Errorf("account policies of the excluded accounts: %s", diff)
	}
	// The snapshot loads back (analyze reads it so).
	data, err := inventory.Marshal(got, false)
	if err != nil {
		t.Fatal(err)
	}
	back, err := inventory.Parse(data, "scoped.json")
	if err != nil {
		t.Fatalf("the scoped snapshot does not load: %v", err)
	}
	if diff := cmp.Diff(got.Organization.AccountPolicies, back.Organization.AccountPolicies); diff != "" {
		t.Errorf("account policies after a save and load: %s", diff)
	}
}

// TestManagementRoleARN: with organization.management_role_arn, the
// Organizations calls are made with that role's session.
func TestManagementRoleARN(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	rig := newRig(t, fixture)
	rig.cfg.Organization.ManagementRoleARN = "arn:aws:iam::111111111111:role/NoSuchRole"
	got, _ := rig.scan(t, context.Background())
	if got.Organization != nil || !strings.HasPrefix(got.Scan.Errors.Text(ScanErrorOrganization), "AccessDenied") {
		t.Fatalf("a management role that cannot be assumed must stop the walk with a recorded error: %+v", got.Scan)
	}
	if got.Scan.Complete || len(got.Accounts) != 0 {
		t.Errorf("scan info %+v, %d accounts", got.Scan, len(got.Accounts))
	}

	// The management account's role of the fixture stands in for an
	// Organizations reader role that asks for an external ID.
	rig = newRig(t, fixture)
	rig.cfg.Organization.ManagementRoleARN = "arn:aws:iam::111111111111:role/BucketAuditRole"
	rig.cfg.Organization.ExternalID = "rt-external-id"
	got, sess := rig.scan(t, context.Background())
	if diff := cmp.Diff(fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{}), inventory.Canonical(got)); diff != "" {
		t.Errorf("scan through a management role differs:\n%s", diff)
	}
	if n := sess.Calls()["STS.AssumeRole"]; n != 4 {
		t.Errorf("AssumeRole called %d times, want 4 (management role + 3 audit roles)", n)
	}
}

// TestAccountsListMembership: a scan of an accounts: list does not walk
// the organisation, so each account says whether SCPs and RCPs can govern
// it (organizations:DescribeOrganization with its audit role, which member
// accounts may call:
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html).
// A member's SCP/RCP chain is then unknown (an error on the account); an
// account in no organisation is standalone; a failed question is an error,
// never "standalone".
func TestAccountsListMembership(t *testing.T) {
	t.Run("members of an organisation, and a question that fails", func(t *testing.T) {
		fixture := loadFixture(t, "testdata/roundtrip.yaml")
		fixture.Faults = &inventory.Faults{Errors: []inventory.FaultError{{Service: "organizations", Operation: "DescribeOrganization", Account: "333333333333", Code: "AccessDeniedException"}}}
		rig := newRig(t, fixture)
		rig.cfg.Accounts = []config.Account{{ID: "111111111111"}, {ID: "222222222222"}, {ID: "333333333333"}}
		got, sess := rig.scan(t, context.Background())
		if got.Organization != nil || got.Scan.Complete {
			t.Errorf("organization %+v, complete %v: want no organization section and an incomplete scan", got.Organization, got.Scan.Complete)
		}
		member := &inventory.Membership{OrganizationID: "o-r0undtr1p0", ManagementAccountID: "111111111111"}
		for _, a := range got.Accounts {
			e := a.Errors.Text(inventory.FieldOrganization)
			switch a.ID {
			case "111111111111": // the management account: SCPs and RCPs do not govern it
				if diff := cmp.Diff(member, a.Membership); diff != "" || e != "" {
					t.Errorf("management account: membership %s, error %q: want no error", diff, e)
				}
			case "222222222222":
				if diff := cmp.Diff(member, a.Membership); diff != "" || !strings.HasPrefix(e, CodeOrganizationNotRead+":") {
					t.Errorf("member: membership %s, error %q: want %s", diff, e, CodeOrganizationNotRead)
				}
			case "333333333333":
				if a.Membership != nil || !strings.HasPrefix(e, "AccessDeniedException") {
					t.Errorf("333333333333: membership %+v, error %q: want the AccessDeniedException recorded", a.Membership, e)
				}
			}
		}
		if n := sess.Calls()["Organizations.DescribeOrganization"]; n < 3 {
			t.Errorf("DescribeOrganization called %d times, want once per account at least", n)
		}
		if _, err := inventory.Parse(mustMarshal(t, got), "snapshot.json"); err != nil {
			t.Errorf("snapshot does not load back: %v", err)
		}
	})
	t.Run("standalone", func(t *testing.T) {
		fixture := loadFixture(t, "testdata/roundtrip.yaml")
		fixture.Organization = nil
		for i := range fixture.Accounts {
			fixture.Accounts[i].Policies = nil
		}
		rig := newRig(t, fixture)
		rig.cfg.Accounts = []config.Account{{ID: "222222222222"}}
		got, _ := rig.scan(t, context.Background())
		if len(got.Accounts) != 1 {
			t.Fatalf("%d accounts scanned, want 1", len(got.Accounts))
		}
		a := got.Accounts[0]
		if a.Membership == nil || !a.Membership.Standalone || a.Errors.Has(inventory.FieldOrganization) {
			t.Errorf("membership %+v, error %q: want standalone", a.Membership, a.Errors[inventory.FieldOrganization])
		}
	})
}

// TestCallsPerBucketSynthetic: the default scan of the synthetic
// organisation makes at most 6 API calls per bucket (every call counted:
// Organizations, STS, S3, KMS, IAM, EC2).
func TestCallsPerBucketSynthetic(t *testing.T) {
	doc := fakeaws.Synthetic(19, 25)
	rig := newRig(t, doc)
	rig.cfg.AuditRole.ExternalID = ""
	got, sess := rig.scan(t, context.Background())
	buckets := 0
	for _, a := range got.Accounts {
		buckets += len(a.Buckets)
	}
	if buckets != 500 || !got.Scan.Complete {
		t.Fatalf("scanned %d buckets, complete %v; want 500, complete", buckets, got.Scan.Complete)
	}
	perBucket := float64(sess.TotalCalls()) / float64(buckets)
	if perBucket > 6 {
		t.Errorf("%.2f calls per bucket, want at most 6: %v", perBucket, sess.Calls())
	}
	t.Logf("%.2f calls per bucket", perBucket)
}

// TestShardScan: a shard scans only the accounts that hash to it; the
// others in scope are recorded as excluded, with their own SCP/RCP
// attachments, so that the shard's snapshot is valid on its own; a
// bucket's key in an account of another shard is read into the shard.
func TestShardScan(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	want := fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{})
	const n = 2
	for k := 1; k <= n; k++ {
		rig := newRig(t, fixture)
		sess := rig.session(t)
		got := Scan(context.Background(), Options{Session: sess, Config: rig.cfg, ToolVersion: "test", Log: zerolog.Nop(), Shard: &inventory.Shard{Index: k, Count: n}})
		sess.Close()
		if got.Scan.Shard == nil || got.Scan.Shard.Index != k || got.Scan.Shard.Count != n {
			t.Fatalf("shard %d/%d: scan.shard %+v", k, n, got.Scan.Shard)
		}
		var scanned, excluded []string
		for _, a := range want.Accounts {
			if inventory.ShardOf(a.ID, n) == k {
				scanned = append(scanned, a.ID)
			} else {
				excluded = append(excluded, a.ID)
			}
		}
		var ids []string
		for _, a := range got.Accounts {
			ids = append(ids, a.ID)
		}
		if !cmp.Equal(ids, scanned) || !cmp.Equal(got.Scan.ExcludedAccounts, excluded) {
			t.Errorf("shard %d/%d: scanned %v, excluded %v; want %v, %v", k, n, ids, got.Scan.ExcludedAccounts, scanned, excluded)
		}
		for _, id := range excluded {
			if _, ok := got.Organization.AccountPolicies[id]; !ok {
				t.Errorf("shard %d/%d: the attachments of %s (another shard) are not recorded", k, n, id)
			}
		}
		if _, err := inventory.Parse(mustMarshal(t, got), "shard.json"); err != nil {
			t.Errorf("shard %d/%d: the snapshot does not load: %v", k, n, err)
		}
		// 333333333333's bucket dev-other-key uses a key of 222222222222.
		if inventory.ShardOf("333333333333", n) == k && inventory.ShardOf("222222222222", n) != k {
			if len(got.Scan.Shard.KMSKeys["222222222222"]) == 0 {
				t.Errorf("shard %d/%d: the key of 222222222222 that dev-other-key uses was not read", k, n)
			}
		}
	}
}
