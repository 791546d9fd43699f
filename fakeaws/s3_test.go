package fakeaws_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
)

// s3Op calls one per-bucket GET.
type s3Op struct {
	name string
	do   func(ctx context.Context, c *s3.Client, bucket string) error
}

func bucketGets() []s3Op {
	b := aws.String
	return []s3Op{
		{"HeadBucket", func(ctx context.Context, c *s3.Client, n string) error {
			_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b(n)})
			return err
		}},
		{"GetBucketPolicy", func(ctx context.Context, c *s3.Client, n string) error {
			_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b(n)})
			return err
		}},
		{"GetBucketPolicyStatus", func(ctx context.Context, c *s3.Client, n string) error {
			_, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: b(n)})
			return err
		}},
		{"GetPublicAccessBlock", func(ctx context.Context, c *s3.Client, n string) error {
			_, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b(n)})
			return err
		}},
		{"GetBucketOwnershipControls", func(ctx context.Context, c *s3.Client, n string) error {
			_, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b(n)})
			return err
		}},
		{"GetBucketAcl", func(ctx context.Context, c *s3.Client, n string) error {
			_, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b(n)})
			return err
		}},
		{"GetBucketEncryption", func(ctx context.Context, c *s3.Client, n string) error {
			_, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b(n)})
			return err
		}},
		{"GetBucketVersioning", func(ctx context.Context, c *s3.Client, n string) error {
			_, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b(n)})
			return err
		}},
		{"GetBucketTagging", func(ctx context.Context, c *s3.Client, n string) error {
			_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b(n)})
			return err
		}},
	}
}

func httpStatus(err error) (int, http.Header) {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode(), re.Response.Header
	}
	return 0, nil
}

// TestS3Errors checks S3's answers: NoSuchBucket, AccessDenied for another
// account's bucket, 301 PermanentRedirect with x-amz-bucket-region for a
// bucket asked in the wrong region, and the not-configured codes.
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
func TestS3Errors(t *testing.T) {
	e := start(t, loadOrg(t))
	c := ctx(t)
	prod := s3.NewFromConfig(e.assumed(t, prodAccount, "eu-west-1"), fakeawstest.S3Options)
	for _, op := range bucketGets() {
		t.Run(op.name, func(t *testing.T) {
			// Wrong region: prod-c lives in us-east-1.
			err := op.do(c, prod, "prod-c")
			status, h := httpStatus(err)
			if status != http.StatusMovedPermanently || h.Get("x-amz-bucket-region") != "us-east-1" {
				t.Fatalf("wrong region: status %d, x-amz-bucket-region %q (%v)", status, h.Get("x-amz-bucket-region"), err)
			}
			if op.name == "HeadBucket" {
				wantCode(t, err, "MovedPermanently") // HEAD has no body: the SDK names the status
			} else {
				wantCode(t, err, "PermanentRedirect")
			}
			// Another account's bucket.
			err = op.do(c, prod, "dev-scratch")
			if status, _ := httpStatus(err); status != http.StatusForbidden {
				t.Errorf("another account's bucket: status %d (%v)", status, err)
			}
			if op.name != "HeadBucket" {
				wantCode(t, err, "AccessDenied")
			}
			// A bucket that does not exist.
			err = op.do(c, prod, "no-such-bucket-anywhere")
			if status, _ := httpStatus(err); status != http.StatusNotFound {
				t.Errorf("missing bucket: status %d (%v)", status, err)
			}
			if op.name == "HeadBucket" {
				wantCode(t, err, "NotFound")
			} else {
				wantCode(t, err, "NoSuchBucket")
			}
		})
	}
	notConfigured := []struct{ op, bucket, code string }{
		{"GetBucketPolicy", "prod-a", "NoSuchBucketPolicy"},
		{"GetBucketPolicyStatus", "prod-a", "NoSuchBucketPolicy"},
		{"GetPublicAccessBlock", "prod-a", "NoSuchPublicAccessBlockConfiguration"},
		{"GetBucketOwnershipControls", "prod-aws-managed", "OwnershipControlsNotFoundError"},
		{"GetBucketTagging", "prod-a", "NoSuchTagSet"},
		{"GetBucketPolicy", "prod-denied", "AccessDenied"},
		{"GetBucketAcl", "prod-denied", "AccessDenied"},
	}
	ops := map[string]s3Op{}
	for _, op := range bucketGets() {
		ops[op.name] = op
	}
	for _, tc := range notConfigured {
		t.Run(tc.op+"/"+tc.bucket, func(t *testing.T) {
			err := ops[tc.op].do(c, prod, tc.bucket)
			wantCode(t, err, tc.code)
			status, _ := httpStatus(err)
			want := http.StatusNotFound
			if tc.code == "AccessDenied" {
				want = http.StatusForbidden
			}
			if status != want {
				t.Errorf("status %d, want %d", status, want)
			}
		})
	}
	usw2 := s3.NewFromConfig(e.assumed(t, prodAccount, "us-west-2"), fakeawstest.S3Options)
	_, err := usw2.GetBucketEncryption(c, &s3.GetBucketEncryptionInput{Bucket: aws.String("prod-unencrypted")})
	wantCode(t, err, "ServerSideEncryptionConfigurationNotFoundError")
	// GetBucketLocation answers from any region; us-east-1 is the empty constraint.
	for bucket, want := range map[string]string{"prod-c": "", "prod-unencrypted": "us-west-2"} {
		loc, err := prod.GetBucketLocation(c, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
		if err != nil || string(loc.LocationConstraint) != want {
			t.Errorf("GetBucketLocation(%s) = %v, %v; want %q", bucket, loc, err, want)
		}
	}
	// Anonymous callers are denied.
	anonCfg := e.cfg.Copy()
	anonCfg.Credentials = aws.AnonymousCredentials{}
	_, err = s3.NewFromConfig(anonCfg, fakeawstest.S3Options).GetBucketPolicy(c, &s3.GetBucketPolicyInput{Bucket: aws.String("prod-reports")})
	wantCode(t, err, "AccessDenied")
	// The emulator is read-only: mutating calls are refused.
	_, err = prod.PutBucketVersioning(c, &s3.PutBucketVersioningInput{Bucket: aws.String("prod-a"), VersioningConfiguration: nil})
	if err == nil {
		t.Fatal("PutBucketVersioning succeeded")
	}
	_, err = prod.DeleteBucketPolicy(c, &s3.DeleteBucketPolicyInput{Bucket: aws.String("prod-a")})
	wantCode(t, err, "NotImplemented")
	if n := e.srv.Stats().ByOperation["s3:DeleteBucketPolicy"]; n != 1 {
		t.Errorf("stats s3:DeleteBucketPolicy = %d, want 1", n)
	}
}

func TestListBucketsPagination(t *testing.T) {
	e := start(t, loadOrg(t))
	c := ctx(t)
	prod := s3.NewFromConfig(e.assumed(t, prodAccount, "us-east-1"), fakeawstest.S3Options)
	all, err := prod.ListBuckets(c, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Buckets) != 7 || all.ContinuationToken != nil {
		t.Fatalf("ListBuckets without max-buckets: %d buckets, token %v; want all 7 and no token", len(all.Buckets), all.ContinuationToken)
	}
	var names []string
	p := s3.NewListBucketsPaginator(prod, &s3.ListBucketsInput{MaxBuckets: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(c)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, b := range out.Buckets {
			names = append(names, *b.Name)
		}
	}
	if pages != 3 || strings.Join(names, ",") != "prod-a,prod-aws-managed,prod-b,prod-c,prod-denied,prod-reports,prod-unencrypted" {
		t.Fatalf("paginated ListBuckets: %d pages, %v", pages, names)
	}
	filtered, err := prod.ListBuckets(c, &s3.ListBucketsInput{Prefix: aws.String("prod-"), BucketRegion: aws.String("us-west-2")})
	if err != nil || len(filtered.Buckets) != 1 || *filtered.Buckets[0].Name != "prod-unencrypted" || aws.ToString(filtered.Prefix) != "prod-" {
		t.Fatalf("ListBuckets(prefix, bucket-region) = %+v, %v", filtered, err)
	}
	_, err = prod.ListBuckets(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2), ContinuationToken: aws.String("bogus")})
	wantCode(t, err, "InvalidArgument")
	_, err = prod.ListBuckets(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(10001)})
	wantCode(t, err, "InvalidArgument")
}

func TestS3ControlErrors(t *testing.T) {
	e := start(t, loadOrg(t))
	c := ctx(t)
	dev := s3control.NewFromConfig(e.assumed(t, devAccount, "us-east-1"), fakeawstest.S3ControlOptions(e.url))
	_, err := dev.GetPublicAccessBlock(c, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(devAccount)})
	wantCode(t, err, "AccessDenied") // the fixture's errors.public_access_block
	_, err = dev.GetPublicAccessBlock(c, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(prodAccount)})
	wantCode(t, err, "AccessDenied") // another account
	mgmt := s3control.NewFromConfig(e.cfg, fakeawstest.S3ControlOptions(e.url))
	_, err = mgmt.GetPublicAccessBlock(c, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(mgmtAccount)})
	wantCode(t, err, "NoSuchPublicAccessBlockConfiguration")
	if status, _ := httpStatus(err); status != http.StatusNotFound {
		t.Errorf("status %d, want 404", status)
	}
}

// TestHTTPProxy checks that the emulator answers absolute-form requests
// as an HTTP proxy: an S3 Control client with the SDK's own endpoint
// rules (host 111111111111.127.0.0.1) works through HTTP_PROXY.
func TestHTTPProxy(t *testing.T) {
	e := start(t, loadOrg(t))
	c := ctx(t)
	proxy, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.cfg.Copy()
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.Proxy = http.ProxyURL(proxy) })
	var hosts []string
	ctl := s3control.NewFromConfig(cfg, func(o *s3control.Options) {
		o.APIOptions = append(o.APIOptions, recordHost(&hosts))
	})
	_, err = ctl.GetPublicAccessBlock(c, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(mgmtAccount)})
	wantCode(t, err, "NoSuchPublicAccessBlockConfiguration")
	if len(hosts) != 1 || !strings.HasPrefix(hosts[0], mgmtAccount+".127.0.0.1:") {
		t.Errorf("request host %v, want the SDK's {AccountId}. prefix", hosts)
	}
	// Every other service works through the proxy too.
	s3c := s3.NewFromConfig(cfg, fakeawstest.S3Options)
	if _, err := s3c.ListBuckets(c, &s3.ListBucketsInput{}); err != nil {
		t.Errorf("ListBuckets through the proxy: %v", err)
	}
}

// recordHost is an SDK middleware that records the host of each request.
func recordHost(hosts *[]string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("recordHost",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					*hosts = append(*hosts, req.URL.Host)
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}
