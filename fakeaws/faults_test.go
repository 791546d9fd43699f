package fakeaws_test

import (
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestThrottle checks the per-account token bucket and each protocol's
// throttling code (all of them are in the SDK's retry.DefaultThrottleErrorCodes).
func TestThrottle(t *testing.T) {
	clk := &clock{t: time.Now()}
	doc := loadOrg(t)
	doc.Faults = &inventory.Faults{Throttle: &inventory.Throttle{RequestsPerSecond: 1, Burst: 1}}
	e := start(t, doc, fakeaws.Options{Now: clk.Now})
	c := ctx(t)
	prod := e.assumed(t, prodAccount, "eu-west-1") // the management account's token pays for AssumeRole
	clk.Advance(time.Second)
	dev := e.assumed(t, devAccount, "eu-west-1")
	codes := map[string]string{"sts": "Throttling", "iam": "Throttling", "ec2": "RequestLimitExceeded",
		"organizations": "TooManyRequestsException", "kms": "ThrottlingException", "s3": "SlowDown", "s3control": "SlowDown"}
	calls := oneCallPerService()
	if err := calls[0].do(c, prod, e.url, prodAccount); err != nil {
		t.Fatalf("first call within the burst: %v", err)
	}
	for _, cl := range calls {
		t.Run(cl.service, func(t *testing.T) {
			err := cl.do(c, prod, e.url, prodAccount)
			wantCode(t, err, codes[cl.service])
			status, _ := httpStatus(err)
			want := 400
			if cl.service == "s3" || cl.service == "s3control" || cl.service == "ec2" {
				want = 503
			}
			if status != want {
				t.Errorf("status %d, want %d", status, want)
			}
		})
	}
	// Another account has its own bucket.
	if err := calls[0].do(c, dev, e.url, devAccount); err != nil {
		t.Errorf("dev account throttled by prod's traffic: %v", err)
	}
	// A second later, one more token.
	clk.Advance(time.Second)
	if err := calls[0].do(c, prod, e.url, prodAccount); err != nil {
		t.Errorf("after refill: %v", err)
	}
	wantCode(t, calls[0].do(c, prod, e.url, prodAccount), "Throttling")
}

func TestThrottleGlobal(t *testing.T) {
	clk := &clock{t: time.Now()}
	doc := loadOrg(t)
	doc.Faults = &inventory.Faults{Throttle: &inventory.Throttle{RequestsPerSecond: 2, Per: "global"}}
	e := start(t, doc, fakeaws.Options{Now: clk.Now})
	c := ctx(t)
	stsc := sts.NewFromConfig(e.cfg)
	for i := range 2 {
		if _, err := stsc.GetCallerIdentity(c, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("call %d within the default burst (= rate): %v", i, err)
		}
	}
	_, err := stsc.GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "Throttling")
}

// TestChosenErrors checks faults.errors: matching by service, operation,
// account and bucket, times, and the status override.
func TestChosenErrors(t *testing.T) {
	doc := loadOrg(t)
	doc.Faults = &inventory.Faults{Errors: []inventory.FaultError{
		{Service: "s3", Operation: "GetBucketPolicy", Account: prodAccount, Bucket: "prod-reports", Code: "InternalError", Times: 2},
		{Service: "s3", Operation: "GetBucketPolicy", Account: devAccount, Code: "AccessDenied", Message: "Explicit deny in a VPC endpoint policy"},
		{Service: "organizations", Operation: "ListAccounts", Code: "ServiceException", Status: 503, Times: 1},
	}}
	e := start(t, doc)
	c := ctx(t)
	prod := s3.NewFromConfig(e.assumed(t, prodAccount, "eu-west-1"), fakeawstest.S3Options)
	get := func(client *s3.Client, bucket string) error {
		_, err := client.GetBucketPolicy(c, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
		return err
	}
	for i := range 2 {
		err := get(prod, "prod-reports")
		wantCode(t, err, "InternalError")
		if status, _ := httpStatus(err); status != 500 {
			t.Errorf("attempt %d: status %d, want 500", i, status)
		}
	}
	if err := get(prod, "prod-reports"); err != nil {
		t.Errorf("third attempt (times: 2 exhausted): %v", err)
	}
	wantCode(t, get(prod, "prod-b"), "NoSuchBucketPolicy") // another bucket: no fault
	dev := s3.NewFromConfig(e.assumed(t, devAccount, "eu-west-1"), fakeawstest.S3Options)
	ae := wantCode(t, get(dev, "dev-scratch"), "AccessDenied")
	if ae.ErrorMessage() != "Explicit deny in a VPC endpoint policy" {
		t.Errorf("message = %q", ae.ErrorMessage())
	}
	orgs := organizations.NewFromConfig(e.cfg)
	_, err := orgs.ListAccounts(c, &organizations.ListAccountsInput{})
	wantCode(t, err, "ServiceException")
	if status, _ := httpStatus(err); status != 503 {
		t.Errorf("status override: %d, want 503", status)
	}
	if _, err := orgs.ListAccounts(c, &organizations.ListAccountsInput{}); err != nil {
		t.Errorf("after times: 1: %v", err)
	}
	// A fault naming an operation the emulator does not serve is a configuration error.
	bad := loadOrg(t)
	bad.Faults = &inventory.Faults{Errors: []inventory.FaultError{{Service: "s3", Operation: "GetObject", Code: "AccessDenied"}}}
	if _, err := fakeaws.New(bad, fakeaws.Options{}); err == nil {
		t.Error("New accepted a fault on an operation it does not emulate")
	}
}

// TestLatency checks that faults.latency and Options.Latency delay answers
// (a lower bound only: timing upper bounds belong in benchmarks).
func TestLatency(t *testing.T) {
	doc := loadOrg(t)
	doc.Faults = &inventory.Faults{Latency: inventory.Duration(40 * time.Millisecond)}
	for name, opts := range map[string]fakeaws.Options{"fixture": {}, "override": {Latency: 60 * time.Millisecond}} {
		t.Run(name, func(t *testing.T) {
			e := start(t, doc, opts)
			want := 40 * time.Millisecond
			if opts.Latency > 0 {
				want = opts.Latency
			}
			begin := time.Now()
			if _, err := sts.NewFromConfig(e.cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err != nil {
				t.Fatal(err)
			}
			if got := time.Since(begin); got < want {
				t.Errorf("answered in %v, want at least %v", got, want)
			}
		})
	}
}

// TestDeterministicSessions checks that minted credentials depend only on
// the fixture's seed.
func TestDeterministicSessions(t *testing.T) {
	key := func(seed int64) string {
		doc := loadOrg(t)
		doc.Faults = &inventory.Faults{Seed: seed}
		e := start(t, doc)
		out, err := sts.NewFromConfig(e.cfg).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(devAccount)), RoleSessionName: aws.String("seeded")})
		if err != nil {
			t.Fatal(err)
		}
		return *out.Credentials.AccessKeyId + "/" + *out.Credentials.SecretAccessKey
	}
	if a, b := key(7), key(7); a != b {
		t.Errorf("same seed, different credentials: %s vs %s", a, b)
	}
	if a, b := key(7), key(8); a == b {
		t.Errorf("different seeds, same credentials: %s", a)
	}
}

// TestConcurrentCallers has many callers assume roles and read buckets at
// once, with a chosen transient error, so that `go test -race` checks the
// shared state (sessions, faults, stats).
func TestConcurrentCallers(t *testing.T) {
	doc := fakeaws.Synthetic(4, 6)
	doc.Faults = &inventory.Faults{Errors: []inventory.FaultError{{Service: "s3", Operation: "GetBucketAcl", Code: "InternalError", Times: 5}}}
	e := start(t, doc)
	e.cfg.RetryMaxAttempts = 10 // InternalError is retryable: every call must end well
	c := ctx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acct := fakeaws.SyntheticAccountID(1 + i%4)
			cfg, err := e.tryAssumeRole(c, "arn:aws:iam::"+acct+":role/"+fakeaws.SyntheticAuditRole, "us-east-1")
			if err != nil {
				errs <- err
				return
			}
			var a inventory.Account
			for _, x := range doc.Accounts {
				if x.ID == acct {
					a = x
				}
			}
			for _, b := range a.Buckets {
				rc := cfg.Copy()
				rc.Region = b.Region
				if _, err := s3.NewFromConfig(rc, fakeawstest.S3Options).GetBucketAcl(c, &s3.GetBucketAclInput{Bucket: aws.String(b.Name)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := e.srv.Stats()
	if st.ByOperation["sts:AssumeRole"] != 16 || st.ByOperation["s3:GetBucketAcl"] != 16*6+5 {
		t.Errorf("stats = %+v, want 16 AssumeRole and %d GetBucketAcl", st.ByOperation, 16*6+5)
	}
}
