package scanner

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyauth "github.com/aws/smithy-go/auth"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TestS3EndpointKeyCoversParameters fails when the SDK's S3 endpoint
// parameters gain or lose a field: s3EndpointKey must hold every one, or
// two different sets of parameters would share an answer.
func TestS3EndpointKeyCoversParameters(t *testing.T) {
	if n := reflect.TypeOf(s3.EndpointParameters{}).NumField(); n != s3EndpointKeyFields {
		t.Fatalf("s3.EndpointParameters has %d fields, s3EndpointKey holds %d: add the new ones to the key", n, s3EndpointKeyFields)
	}
	if !s3EndpointKeyCovers() {
		t.Fatal("s3EndpointKeyCovers is false: the scan would not use the cache")
	}
	if n := reflect.TypeOf(s3EndpointKey{}).NumField(); n != s3EndpointKeyFields {
		t.Fatalf("s3EndpointKey has %d fields, want %d", n, s3EndpointKeyFields)
	}
	// Every field of the parameters changes the key.
	base := s3EndpointKeyOf(s3.EndpointParameters{})
	v := reflect.TypeOf(s3.EndpointParameters{})
	for i := range v.NumField() {
		var p s3.EndpointParameters
		f := reflect.ValueOf(&p).Elem().Field(i)
		switch f.Type() {
		case reflect.TypeOf((*string)(nil)):
			f.Set(reflect.ValueOf(aws.String("")))
		case reflect.TypeOf((*bool)(nil)):
			f.Set(reflect.ValueOf(aws.Bool(false)))
		default:
			t.Fatalf("field %s: type %s not handled by s3EndpointKey", v.Field(i).Name, f.Type())
		}
		if s3EndpointKeyOf(p) == base {
			t.Errorf("field %s set does not change the key", v.Field(i).Name)
		}
	}
}

// TestS3EndpointCacheAnswersAsResolver: the cache answers what the SDK's
// resolver answers, for each set of parameters, first and again, and a
// caller's change to an answer does not reach the next.
func TestS3EndpointCacheAnswersAsResolver(t *testing.T) {
	tests := []struct {
		name string
		p    s3.EndpointParameters
	}{
		{"virtual-hosted", s3.EndpointParameters{Bucket: aws.String("bucket-a"), Region: aws.String("eu-west-1")}},
		{"other bucket", s3.EndpointParameters{Bucket: aws.String("bucket-b"), Region: aws.String("eu-west-1")}},
		{"other region", s3.EndpointParameters{Bucket: aws.String("bucket-a"), Region: aws.String("us-east-1")}},
		{"path-style endpoint URL", s3.EndpointParameters{Bucket: aws.String("bucket-a"), Region: aws.String("eu-west-1"),
			Endpoint: aws.String("http://127.0.0.1:4566"), ForcePathStyle: aws.Bool(true)}},
		{"FIPS", s3.EndpointParameters{Bucket: aws.String("bucket-a"), Region: aws.String("us-east-1"), UseFIPS: aws.Bool(true)}},
		{"no bucket (ListBuckets)", s3.EndpointParameters{Region: aws.String("eu-west-1")}},
		{"China", s3.EndpointParameters{Bucket: aws.String("bucket-a"), Region: aws.String("cn-north-1")}},
	}
	ctx := context.Background()
	sdk := s3.NewDefaultEndpointResolverV2()
	c := newS3EndpointCache(sdk)
	for round := range 2 {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%d", tt.name, round), func(t *testing.T) {
				want, err := sdk.ResolveEndpoint(ctx, tt.p)
				if err != nil {
					t.Fatal(err)
				}
				got, err := c.ResolveEndpoint(ctx, tt.p)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := describeEndpoint(got), describeEndpoint(want); g != w {
					t.Fatalf("cached answer\n%s\nwant\n%s", g, w)
				}
				// What the SDK does to an answer (auth scheme resolution,
				// signing) stays with that call.
				opts, _ := smithyauth.GetAuthOptions(&got.Properties)
				for _, o := range opts {
					smithyhttp.SetSigV4SigningRegion(&o.SignerProperties, "changed")
					o.SchemeID = "changed"
				}
				got.Properties.Set("backend", "changed")
			})
		}
	}
}

// TestS3EndpointCacheErrors: an error is not remembered.
func TestS3EndpointCacheErrors(t *testing.T) {
	c := newS3EndpointCache(s3.NewDefaultEndpointResolverV2())
	p := s3.EndpointParameters{Bucket: aws.String("b")} // no region: the rules refuse
	for range 2 {
		if _, err := c.ResolveEndpoint(context.Background(), p); err == nil {
			t.Fatal("no error for parameters without a region")
		}
	}
	if len(c.answers) != 0 {
		t.Fatalf("%d answers remembered, want none", len(c.answers))
	}
}

// describeEndpoint prints what the SDK reads of an endpoint.
func describeEndpoint(ep smithyendpoints.Endpoint) string {
	s := fmt.Sprintf("uri %s headers %v backend %v", ep.URI.String(), ep.Headers, ep.Properties.Get("backend"))
	opts, _ := smithyauth.GetAuthOptions(&ep.Properties)
	for _, o := range opts {
		s += fmt.Sprintf("\n  scheme %s identity %v signer %v", o.SchemeID, o.IdentityProperties.Values(), o.SignerProperties.Values())
	}
	return s
}

// countingResolver counts the resolutions it makes.
type countingResolver struct {
	s3.EndpointResolverV2
	n int
}

func (r *countingResolver) ResolveEndpoint(ctx context.Context, p s3.EndpointParameters) (smithyendpoints.Endpoint, error) {
	r.n++
	return r.EndpointResolverV2.ResolveEndpoint(ctx, p)
}

// TestS3EndpointCacheBounded: the rules are evaluated once per bucket
// while its calls follow each other, and the cache holds at most twice
// s3EndpointCacheSize answers however many buckets pass through it.
func TestS3EndpointCacheBounded(t *testing.T) {
	ctx := context.Background()
	r := &countingResolver{EndpointResolverV2: s3.NewDefaultEndpointResolverV2()}
	c := newS3EndpointCache(r)
	params := func(i int) s3.EndpointParameters {
		return s3.EndpointParameters{Bucket: aws.String(fmt.Sprintf("bucket-%d", i)), Region: aws.String("eu-west-1")}
	}
	const buckets = 5 * s3EndpointCacheSize
	for i := range buckets {
		// A bucket's calls, interleaved with the previous bucket's.
		for _, j := range []int{i, i - 1, i, i - 1, i} {
			if j < 0 {
				continue
			}
			if _, err := c.ResolveEndpoint(ctx, params(j)); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(c.answers) + len(c.older); n > 2*s3EndpointCacheSize {
			t.Fatalf("after %d buckets the cache holds %d answers, want at most %d", i+1, n, 2*s3EndpointCacheSize)
		}
	}
	if r.n != buckets {
		t.Errorf("the rules were evaluated %d times for %d buckets, want once per bucket", r.n, buckets)
	}
	// A bucket long gone is resolved again.
	if _, err := c.ResolveEndpoint(ctx, params(0)); err != nil {
		t.Fatal(err)
	}
	if r.n != buckets+1 {
		t.Errorf("bucket-0, forgotten, was not resolved again (%d evaluations)", r.n)
	}
}
