// Package fakeawstest starts the fakeaws emulator for tests and builds
// aws-sdk-go-v2 configurations that reach it.
package fakeawstest

import (
	"context"
	"net"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// Start serves doc on 127.0.0.1 for the duration of the test and returns
// the server and its base URL ("http://127.0.0.1:PORT"). opts, when given,
// tune the server (Options.Log defaults to a no-op logger).
func Start(t testing.TB, doc *inventory.Document, opts ...fakeaws.Options) (*fakeaws.Server, string) {
	t.Helper()
	var o fakeaws.Options
	if len(opts) > 0 {
		o = opts[0]
	} else {
		o.Log = zerolog.Nop()
	}
	srv, err := fakeaws.New(doc, o)
	if err != nil {
		t.Fatalf("fakeaws.New: %v", err)
	}
	u, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("fakeaws Listen: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("fakeaws Close: %v", err)
		}
	})
	return srv, u
}

// ManagementCredentials returns the static credentials the emulator
// accepts for doc's management account.
func ManagementCredentials(doc *inventory.Document) aws.CredentialsProvider {
	id, secret := fakeaws.ManagementKeys(doc)
	return credentials.NewStaticCredentialsProvider(id, secret, "")
}

// Config returns an aws.Config that sends every service to baseURL with
// the management credentials of doc, in region.
func Config(baseURL, region string, doc *inventory.Document) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  aws.NewCredentialsCache(ManagementCredentials(doc)),
		BaseEndpoint: aws.String(baseURL),
	}
}

// S3Options makes an S3 client use path-style addressing, which the
// emulator (on an IP address) needs.
func S3Options(o *s3.Options) { o.UsePathStyle = true }

// S3ControlOptions makes an S3 Control client send requests to baseURL
// as is. Without it, the SDK's endpoint rules put the account ID in front
// of the host ("222222222222.127.0.0.1"), which does not resolve.
func S3ControlOptions(baseURL string) func(*s3control.Options) {
	return func(o *s3control.Options) {
		o.EndpointResolverV2 = FixedEndpoint(baseURL)
	}
}

// FixedEndpoint is an S3 Control endpoint resolver that keeps the host of
// a custom endpoint: the account travels in the x-amz-account-id header.
type FixedEndpoint string

// ResolveEndpoint returns the fixed endpoint.
func (e FixedEndpoint) ResolveEndpoint(_ context.Context, _ s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(string(e))
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

// DeadEndpoint returns a loopback URL ("http://127.0.0.1:PORT") on which
// nothing listens: a call to it is refused, as by an endpoint that is down.
func DeadEndpoint(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return url
}
