package scanner

import (
	"context"
	"reflect"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// s3EndpointCache remembers what an S3 client's endpoint resolver answered
// for each set of endpoint parameters. The SDK evaluates S3's endpoint
// rules twice for every call (once to choose the auth scheme, once to
// route the request), for the same parameters — the bucket, the region
// and the client's fixed options — that a bucket's other calls repeat:
// the rules are a pure function of them, so an answer is reused, as a
// copy (the SDK's auth scheme resolution rewrites the auth options of
// the endpoint it is given). It is safe for concurrent use. It keeps the
// answers of the last s3EndpointCacheSize to twice as many parameter
// sets (about 1.1 KB each): the calls of a bucket follow each other
// closely.
type s3EndpointCache struct {
	next s3.EndpointResolverV2

	mu sync.Mutex
	// answers are the recent answers; older, those before answers filled
	// up (a hit there moves the answer back into answers).
	answers, older map[s3EndpointKey]smithyendpoints.Endpoint
}

// s3EndpointCacheSize is the number of answers after which an
// s3EndpointCache forgets the older ones.
const s3EndpointCacheSize = 128

func newS3EndpointCache(next s3.EndpointResolverV2) *s3EndpointCache {
	return &s3EndpointCache{next: next, answers: map[s3EndpointKey]smithyendpoints.Endpoint{}}
}

// ResolveEndpoint returns next's answer for p, computed once per p.
func (c *s3EndpointCache) ResolveEndpoint(ctx context.Context, p s3.EndpointParameters) (smithyendpoints.Endpoint, error) {
	k := s3EndpointKeyOf(p)
	c.mu.Lock()
	ep, ok := c.answers[k]
	if !ok {
		if ep, ok = c.older[k]; ok {
			c.remember(k, ep)
		}
	}
	c.mu.Unlock()
	if ok {
		return copyEndpoint(ep), nil
	}
	ep, err := c.next.ResolveEndpoint(ctx, p)
	if err != nil {
		return ep, err
	}
	cp := copyEndpoint(ep)
	c.mu.Lock()
	c.remember(k, cp)
	c.mu.Unlock()
	return ep, nil
}

// remember keeps ep, an answer no caller holds, for k (c.mu held).
func (c *s3EndpointCache) remember(k s3EndpointKey, ep smithyendpoints.Endpoint) {
	if len(c.answers) >= s3EndpointCacheSize {
		c.older, c.answers = c.answers, make(map[s3EndpointKey]smithyendpoints.Endpoint, s3EndpointCacheSize)
	}
	c.answers[k] = ep
}

// copyEndpoint copies what the SDK may change of an endpoint it is given:
// its headers, its properties and the auth options among them, with
// their property sets (the auth scheme resolution rewrites the options,
// and the signing may add to a set).
func copyEndpoint(ep smithyendpoints.Endpoint) smithyendpoints.Endpoint {
	out := smithyendpoints.Endpoint{URI: ep.URI}
	if len(ep.Headers) > 0 {
		out.Headers = ep.Headers.Clone()
	}
	out.Properties.SetAll(&ep.Properties)
	if opts, ok := smithyauth.GetAuthOptions(&ep.Properties); ok {
		cp := make([]*smithyauth.Option, len(opts))
		for i, o := range opts {
			cp[i] = &smithyauth.Option{SchemeID: o.SchemeID,
				IdentityProperties: copyProperties(&o.IdentityProperties), SignerProperties: copyProperties(&o.SignerProperties)}
		}
		smithyauth.SetAuthOptions(&out.Properties, cp)
	}
	return out
}

// copyProperties returns a copy of p (without a map when p has none).
// SetAll copies the values into one new map; Values would clone them once
// more only to be counted.
func copyProperties(p *smithy.Properties) smithy.Properties {
	var out smithy.Properties
	out.SetAll(p)
	return out
}

// s3EndpointKey is s3.EndpointParameters by value: every field, each
// pointer's target and whether it is set (s3EndpointKeyFields of them;
// a test fails when the SDK's struct has another number).
type s3EndpointKey struct {
	bucket, region, endpoint, key, prefix, copySource optString

	useFIPS, useDualStack, forcePathStyle, accelerate, useGlobalEndpoint,
	useObjectLambdaEndpoint, disableAccessPoints, disableMultiRegionAccessPoints,
	useArnRegion, useS3ExpressControlEndpoint, disableS3ExpressSessionAuth optBool
}

// s3EndpointKeyFields is the number of fields of s3.EndpointParameters
// that s3EndpointKey holds.
const s3EndpointKeyFields = 17

// s3EndpointKeyCovers reports whether s3EndpointKey holds every field of
// the SDK's s3.EndpointParameters (they are as many as when the key was
// written): with an SDK whose parameters changed, the scan resolves every
// endpoint without the cache rather than reuse an answer for parameters
// the key cannot tell apart (TestS3EndpointKeyCoversParameters fails too).
func s3EndpointKeyCovers() bool {
	return reflect.TypeOf(s3.EndpointParameters{}).NumField() == s3EndpointKeyFields
}

type optString struct {
	set bool
	v   string
}

// optBool is 0 when not set, 1 for false, 2 for true.
type optBool uint8

func optS(p *string) optString {
	if p == nil {
		return optString{}
	}
	return optString{true, *p}
}

func optB(p *bool) optBool {
	switch {
	case p == nil:
		return 0
	case *p:
		return 2
	}
	return 1
}

func s3EndpointKeyOf(p s3.EndpointParameters) s3EndpointKey {
	return s3EndpointKey{
		bucket: optS(p.Bucket), region: optS(p.Region), endpoint: optS(p.Endpoint), key: optS(p.Key),
		prefix: optS(p.Prefix), copySource: optS(p.CopySource),
		useFIPS: optB(p.UseFIPS), useDualStack: optB(p.UseDualStack), forcePathStyle: optB(p.ForcePathStyle),
		accelerate: optB(p.Accelerate), useGlobalEndpoint: optB(p.UseGlobalEndpoint),
		useObjectLambdaEndpoint: optB(p.UseObjectLambdaEndpoint), disableAccessPoints: optB(p.DisableAccessPoints),
		disableMultiRegionAccessPoints: optB(p.DisableMultiRegionAccessPoints), useArnRegion: optB(p.UseArnRegion),
		useS3ExpressControlEndpoint: optB(p.UseS3ExpressControlEndpoint),
		disableS3ExpressSessionAuth: optB(p.DisableS3ExpressSessionAuth),
	}
}
