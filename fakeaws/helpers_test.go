package fakeaws_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
)

const (
	mgmtAccount    = "111111111111"
	prodAccount    = "222222222222"
	devAccount     = "333333333333"
	suspendAccount = "444444444444"
	prodExternalID = "s3cr3t-ext"
)

// loadOrg loads the test organisation.
func loadOrg(t testing.TB) *inventory.Document {
	t.Helper()
	doc, err := inventory.Load("testdata/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// env is a running emulator with the management configuration.
type env struct {
	doc *inventory.Document
	srv *fakeaws.Server
	url string
	cfg aws.Config // management credentials, eu-west-1
}

func start(t testing.TB, doc *inventory.Document, opts ...fakeaws.Options) *env {
	t.Helper()
	srv, u := fakeawstest.Start(t, doc, opts...)
	cfg := fakeawstest.Config(u, "eu-west-1", doc)
	cfg.RetryMaxAttempts = 1
	return &env{doc: doc, srv: srv, url: u, cfg: cfg}
}

// roleARN returns the audit role ARN of the test organisation's accounts.
func roleARN(account string) string {
	if account == prodAccount {
		return "arn:aws:iam::" + account + ":role/audit/BucketAuditRole"
	}
	return "arn:aws:iam::" + account + ":role/BucketAuditRole"
}

// assumed returns a configuration whose credentials are a session of the
// audit role in account, in region.
func (e *env) assumed(t testing.TB, account, region string) aws.Config {
	t.Helper()
	cfg, err := e.tryAssume(context.Background(), account, region)
	if err != nil {
		t.Fatalf("assume role in %s: %v", account, err)
	}
	return cfg
}

// tryAssume is assumed that returns the AssumeRole error.
func (e *env) tryAssume(ctx context.Context, account, region string) (aws.Config, error) {
	return e.tryAssumeRole(ctx, roleARN(account), region)
}

// tryAssumeRole assumes arn (with the test organisation's ExternalId for
// the prod account) with the management credentials.
func (e *env) tryAssumeRole(ctx context.Context, arn, region string) (aws.Config, error) {
	stsClient := sts.NewFromConfig(e.cfg)
	prov := stscreds.NewAssumeRoleProvider(stsClient, arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "bucketaudit"
		if arn == roleARN(prodAccount) {
			o.ExternalID = aws.String(prodExternalID)
		}
	})
	cfg := e.cfg.Copy()
	cfg.Region = region
	cfg.Credentials = aws.NewCredentialsCache(prov)
	_, err := cfg.Credentials.Retrieve(ctx)
	return cfg, err
}

// wantCode asserts that err is an AWS API error with code.
func wantCode(t testing.TB, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want API error %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	return ae
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
