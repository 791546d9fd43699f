package fakeaws_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// call is one read-only call of each emulated service, made with cfg.
type call struct {
	service string
	do      func(ctx context.Context, cfg aws.Config, url, account string) error
}

func oneCallPerService() []call {
	return []call{
		{"sts", func(ctx context.Context, cfg aws.Config, _, _ string) error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
		{"iam", func(ctx context.Context, cfg aws.Config, _, _ string) error {
			_, err := iam.NewFromConfig(cfg).GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
			return err
		}},
		{"ec2", func(ctx context.Context, cfg aws.Config, _, _ string) error {
			_, err := ec2.NewFromConfig(cfg).DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
			return err
		}},
		{"organizations", func(ctx context.Context, cfg aws.Config, _, _ string) error {
			_, err := organizations.NewFromConfig(cfg).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		}},
		{"kms", func(ctx context.Context, cfg aws.Config, _, _ string) error {
			_, err := kms.NewFromConfig(cfg).ListAliases(ctx, &kms.ListAliasesInput{})
			return err
		}},
		{"s3", func(ctx context.Context, cfg aws.Config, _, _ string) error {
			_, err := s3.NewFromConfig(cfg, fakeawstest.S3Options).ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}},
		{"s3control", func(ctx context.Context, cfg aws.Config, url, account string) error {
			_, err := s3control.NewFromConfig(cfg, fakeawstest.S3ControlOptions(url)).GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(account)})
			return err
		}},
	}
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func withManagementCredentials(doc *inventory.Document) *inventory.Document {
	doc.Organization.ManagementCredentials = &inventory.Credentials{AccessKeyID: "AKIAEXAMPLEMGMT00001", SecretAccessKey: "the-real-secret"}
	return doc
}

// TestAuthenticationErrors checks each protocol's answer to unsigned
// requests, unknown keys, bad signatures, wrong session tokens and expired
// sessions.
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
// https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
func TestAuthenticationErrors(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := start(t, withManagementCredentials(loadOrg(t)), fakeaws.Options{Now: clk.Now})
	c := ctx(t)
	// A session of the prod audit role, minted by hand so its token can be altered.
	out, err := sts.NewFromConfig(e.cfg).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(prodAccount)),
		RoleSessionName: aws.String("test"), ExternalId: aws.String(prodExternalID), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	cr := out.Credentials
	with := func(p aws.CredentialsProvider) aws.Config {
		cfg := e.cfg.Copy()
		cfg.Credentials = p
		return cfg
	}
	cases := map[string]struct {
		cfg   aws.Config
		codes map[string]string // service → code
	}{
		"unsigned": {with(aws.AnonymousCredentials{}), map[string]string{
			"sts": "MissingAuthenticationToken", "iam": "MissingAuthenticationToken", "ec2": "MissingAuthenticationToken",
			"organizations": "MissingAuthenticationTokenException", "kms": "MissingAuthenticationTokenException",
			"s3": "AccessDenied", "s3control": "AccessDenied"}},
		"unknown key": {with(credentials.NewStaticCredentialsProvider("AKIAUNKNOWNKEY000001", "x", "")), map[string]string{
			"sts": "InvalidClientTokenId", "iam": "InvalidClientTokenId", "ec2": "AuthFailure",
			"organizations": "UnrecognizedClientException", "kms": "UnrecognizedClientException",
			"s3": "InvalidAccessKeyId", "s3control": "InvalidAccessKeyId"}},
		"bad signature": {with(credentials.NewStaticCredentialsProvider("AKIAEXAMPLEMGMT00001", "not-the-secret", "")), map[string]string{
			"sts": "SignatureDoesNotMatch", "iam": "SignatureDoesNotMatch", "ec2": "SignatureDoesNotMatch",
			"organizations": "InvalidSignatureException", "kms": "InvalidSignatureException",
			"s3": "SignatureDoesNotMatch", "s3control": "SignatureDoesNotMatch"}},
		"unknown session key": {with(credentials.NewStaticCredentialsProvider("ASIAUNKNOWNSESSION01", "x", "token")), map[string]string{
			"sts": "InvalidClientTokenId", "iam": "InvalidClientTokenId", "ec2": "AuthFailure",
			"organizations": "UnrecognizedClientException", "kms": "UnrecognizedClientException",
			"s3": "InvalidAccessKeyId", "s3control": "InvalidAccessKeyId"}},
		"session secret wrong": {with(credentials.NewStaticCredentialsProvider(*cr.AccessKeyId, "wrong", *cr.SessionToken)), map[string]string{
			"sts": "SignatureDoesNotMatch", "iam": "SignatureDoesNotMatch", "ec2": "SignatureDoesNotMatch",
			"organizations": "InvalidSignatureException", "kms": "InvalidSignatureException",
			"s3": "SignatureDoesNotMatch", "s3control": "SignatureDoesNotMatch"}},
		"session token wrong": {with(credentials.NewStaticCredentialsProvider(*cr.AccessKeyId, *cr.SecretAccessKey, "forged")), map[string]string{
			"sts": "InvalidClientTokenId", "iam": "InvalidClientTokenId", "ec2": "AuthFailure",
			"organizations": "UnrecognizedClientException", "kms": "UnrecognizedClientException",
			"s3": "InvalidToken", "s3control": "InvalidToken"}},
	}
	for name, tc := range cases {
		for _, cl := range oneCallPerService() {
			t.Run(name+"/"+cl.service, func(t *testing.T) {
				wantCode(t, cl.do(c, tc.cfg, e.url, prodAccount), tc.codes[cl.service])
			})
		}
	}
	// The valid session works for every service, then expires.
	session := with(credentials.NewStaticCredentialsProvider(*cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken))
	for _, cl := range oneCallPerService() {
		if err := cl.do(c, session, e.url, prodAccount); err != nil {
			t.Errorf("%s with a valid session: %v", cl.service, err)
		}
	}
	clk.Advance(901 * time.Second)
	expired := map[string]string{"sts": "ExpiredToken", "iam": "ExpiredToken", "ec2": "RequestExpired",
		"organizations": "ExpiredTokenException", "kms": "ExpiredTokenException", "s3": "ExpiredToken", "s3control": "ExpiredToken"}
	for _, cl := range oneCallPerService() {
		t.Run("expired/"+cl.service, func(t *testing.T) {
			wantCode(t, cl.do(c, session, e.url, prodAccount), expired[cl.service])
		})
	}
}

func TestManagementCredentialsVerified(t *testing.T) {
	doc := withManagementCredentials(loadOrg(t))
	e := start(t, doc)
	c := ctx(t)
	id, err := sts.NewFromConfig(e.cfg).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Account != mgmtAccount || *id.Arn != "arn:aws:iam::111111111111:root" {
		t.Errorf("management identity = %s %s", *id.Account, *id.Arn)
	}
	// Without management_credentials any key is the management account's,
	// but the documented default key is still verified.
	e2 := start(t, loadOrg(t))
	cfg := e2.cfg.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIAANYOTHERKEY00001", "anything", "")
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("any key without management_credentials: %v", err)
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider(fakeaws.DefaultAccessKeyID, "wrong", "")
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
}

// TestSessionTTL checks faults.session_ttl: the session expires after it,
// whatever DurationSeconds asked.
func TestSessionTTL(t *testing.T) {
	clk := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	doc := loadOrg(t)
	doc.Faults = &inventory.Faults{SessionTTL: inventory.Duration(2 * time.Minute)}
	e := start(t, doc, fakeaws.Options{Now: clk.Now})
	c := ctx(t)
	out, err := sts.NewFromConfig(e.cfg).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(devAccount)), RoleSessionName: aws.String("ttl-test")})
	if err != nil {
		t.Fatal(err)
	}
	if want := clk.Now().Add(2 * time.Minute); !out.Credentials.Expiration.Equal(want) {
		t.Errorf("Expiration = %v, want %v", out.Credentials.Expiration, want)
	}
	cfg := e.cfg.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	s3c := s3.NewFromConfig(cfg, fakeawstest.S3Options)
	clk.Advance(119 * time.Second)
	if _, err := s3c.ListBuckets(c, &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	clk.Advance(time.Second)
	_, err = s3c.ListBuckets(c, &s3.ListBucketsInput{})
	wantCode(t, err, "ExpiredToken")
}
