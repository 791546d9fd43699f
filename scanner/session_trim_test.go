package scanner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
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
	"github.com/aws/smithy-go/middleware"
	"github.com/rs/zerolog"
)

// errStackSeen stops an operation once its stack is recorded.
var errStackSeen = errors.New("stack recorded")

// stackSteps are the middleware IDs of an operation's stack, by step.
type stackSteps struct{ initialize, build, finalize, deserialize []string }

// TestTrimmedStack: every client of a Session runs its operations without
// trimmedMiddlewares and with the read-only guard, the retry loop, the
// signing, the clock-skew correction and the user agent; the same
// operations of clients made without the session have each trimmed
// middleware (an SDK that renamed one fails here rather than keeping it).
func TestTrimmedStack(t *testing.T) {
	trimBuild, trimDeserialize := trimmedMiddlewares()
	sess, err := NewSession(context.Background(), SessionOptions{
		Region: "us-east-1", EndpointURL: "http://127.0.0.1:1", MaxAttempts: 1, CallTimeout: time.Second,
		RatePerSecond: 10, Burst: 1, Log: zerolog.Nop(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAFAKE", "secret", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	plain := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAFAKE", "secret", "")}
	acct := sess.Account("aws", "111122223333")
	ctx := context.Background()
	// Each case calls one operation of a client made from cfg, with opt
	// (which records the stack and stops) as its last stack option.
	cases := []struct {
		name string
		call func(cfg aws.Config, session bool, opt func(*middleware.Stack) error) error
	}{
		{"s3", func(cfg aws.Config, session bool, opt func(*middleware.Stack) error) error {
			c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
			if session {
				c = sess.S3(cfg, "eu-west-1")
			}
			_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("b")}, func(o *s3.Options) { o.APIOptions = append(o.APIOptions, opt) })
			return err
		}},
		{"s3control", func(cfg aws.Config, session bool, opt func(*middleware.Stack) error) error {
			c := s3control.NewFromConfig(cfg)
			if session {
				c = sess.S3Control(cfg)
			}
			_, err := c.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String("111122223333")}, func(o *s3control.Options) { o.APIOptions = append(o.APIOptions, opt) })
			return err
		}},
		{"kms", func(cfg aws.Config, _ bool, opt func(*middleware.Stack) error) error {
			_, err := sess.KMS(cfg, "eu-west-1").DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("k")}, func(o *kms.Options) { o.APIOptions = append(o.APIOptions, opt) })
			return err
		}},
		{"iam", func(cfg aws.Config, _ bool, opt func(*middleware.Stack) error) error {
			_, err := sess.IAM(cfg).GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{}, func(o *iam.Options) { o.APIOptions = append(o.APIOptions, opt) })
			return err
		}},
		{"ec2", func(cfg aws.Config, _ bool, opt func(*middleware.Stack) error) error {
			_, err := sess.EC2(cfg, "eu-west-1").DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}, func(o *ec2.Options) { o.APIOptions = append(o.APIOptions, opt) })
			return err
		}},
		{"organizations", func(cfg aws.Config, _ bool, opt func(*middleware.Stack) error) error {
			_, err := sess.Organizations(cfg).ListRoots(ctx, &organizations.ListRootsInput{}, func(o *organizations.Options) { o.APIOptions = append(o.APIOptions, opt) })
			return err
		}},
		{"sts", func(cfg aws.Config, _ bool, opt func(*middleware.Stack) error) error {
			_, err := sess.STS(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) { o.APIOptions = append(o.APIOptions, opt) })
			return err
		}},
	}
	record := func(got *stackSteps) func(*middleware.Stack) error {
		return func(st *middleware.Stack) error {
			*got = stackSteps{st.Initialize.List(), st.Build.List(), st.Finalize.List(), st.Deserialize.List()}
			return errStackSeen
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, cfg := range []struct {
				name string
				cfg  aws.Config
			}{{"base", sess.Base()}, {"account", acct}, {"management", sess.Management()}} {
				var got stackSteps
				if err := tc.call(cfg.cfg, true, record(&got)); !errors.Is(err, errStackSeen) {
					t.Fatalf("%s: the call did not reach the recording stack option: %v", cfg.name, err)
				}
				for _, id := range trimBuild {
					if slices.Contains(got.build, id) {
						t.Errorf("%s: Build step still has %s: %v", cfg.name, id, got.build)
					}
				}
				for _, id := range trimDeserialize {
					if slices.Contains(got.deserialize, id) {
						t.Errorf("%s: Deserialize step still has %s: %v", cfg.name, id, got.deserialize)
					}
				}
				for _, want := range []struct {
					step []string
					id   string
				}{
					{got.initialize, "BucketauditReadOnlyGuard"}, {got.build, "UserAgent"},
					{got.finalize, "Retry"}, {got.finalize, "Signing"}, {got.deserialize, "RecordResponseTiming"},
				} {
					if !slices.Contains(want.step, want.id) {
						t.Errorf("%s: %s is missing from its step %v", cfg.name, want.id, want.step)
					}
				}
				if cfg.name == "account" && !slices.Contains(got.finalize, rateLimitID) {
					t.Errorf("account: the rate limit is missing: %v", got.finalize)
				}
			}
			var untrimmed stackSteps
			if err := tc.call(plain, false, record(&untrimmed)); !errors.Is(err, errStackSeen) {
				t.Fatalf("plain client: %v", err)
			}
			for _, id := range trimBuild {
				if !slices.Contains(untrimmed.build, id) {
					t.Errorf("the SDK's own Build step has no %s any more (%v): update trimmedMiddlewares", id, untrimmed.build)
				}
			}
			for _, id := range trimDeserialize {
				if !slices.Contains(untrimmed.deserialize, id) {
					t.Errorf("the SDK's own Deserialize step has no %s any more (%v): update trimmedMiddlewares", id, untrimmed.deserialize)
				}
			}
		})
	}
}

// opaqueReader is a reader net/http does not know the length of.
type opaqueReader struct{ r io.Reader }

func (o *opaqueReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestBufferBody: a body of known length becomes an in-memory reader with
// the same bytes (and no GetBody, as before); a body shorter than its
// Content-Length is an error; requests without a body, of unknown length
// or beyond maxBufferedBody keep theirs.
func TestBufferBody(t *testing.T) {
	const payload = `{"KeyId":"alias/k"}`
	newReq := func(body io.Reader, length int64) *http.Request {
		r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			r.Body = io.NopCloser(body)
		}
		r.ContentLength = length
		return r
	}
	t.Run("buffered", func(t *testing.T) {
		r := newReq(&opaqueReader{strings.NewReader(payload)}, int64(len(payload)))
		if err := bufferBody(r); err != nil {
			t.Fatal(err)
		}
		// What net/http's transfer writer recognises as in memory (and
		// writes with the headers): io.NopCloser of a *bytes.Reader.
		if reflect.TypeOf(r.Body) != reflect.TypeOf(io.NopCloser(bytes.NewReader(nil))) {
			t.Fatalf("body is a %T, want io.NopCloser of a *bytes.Reader", r.Body)
		}
		if _, ok := reflect.ValueOf(r.Body).Field(0).Interface().(*bytes.Reader); !ok {
			t.Fatalf("body wraps a %T, want a *bytes.Reader", reflect.ValueOf(r.Body).Field(0).Interface())
		}
		if got, err := io.ReadAll(r.Body); err != nil || string(got) != payload {
			t.Errorf("read %q, %v; want %q", got, err, payload)
		}
		if r.GetBody != nil {
			t.Error("GetBody set: net/http would resend on its own requests it did not before")
		}
	})
	t.Run("short", func(t *testing.T) {
		r := newReq(&opaqueReader{strings.NewReader(payload)}, int64(len(payload))+1)
		if err := bufferBody(r); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
		}
	})
	for _, tc := range []struct {
		name   string
		body   io.Reader
		length int64
	}{
		{"no body", nil, 0},
		{"unknown length", &opaqueReader{strings.NewReader(payload)}, -1},
		{"too large", &opaqueReader{bytes.NewReader(make([]byte, maxBufferedBody+1))}, maxBufferedBody + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReq(tc.body, tc.length)
			before := r.Body
			if err := bufferBody(r); err != nil || r.Body != before || r.GetBody != nil {
				t.Errorf("bufferBody changed the request (err %v)", err)
			}
		})
	}
}

// TestBufferedBodyRetried: a POST answered with a server error is retried
// with the same body, which the server receives whole each time.
func TestBufferedBodyRetried(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"__type":"KMSInternalException","message":"try again"}`)
			return
		}
		io.WriteString(w, `{"KeyMetadata":{"KeyId":"k","Arn":"arn:aws:kms:eu-west-1:111122223333:key/k"}}`)
	}))
	defer srv.Close()
	sess, err := NewSession(context.Background(), SessionOptions{
		Region: "us-east-1", EndpointURL: srv.URL, MaxAttempts: 3, MaxBackoff: time.Millisecond, CallTimeout: 5 * time.Second,
		Requests: 4, Log: zerolog.Nop(), Credentials: credentials.NewStaticCredentialsProvider("AKIAFAKE", "secret", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.KMS(sess.Base(), "eu-west-1").DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String("alias/k")})
	if err != nil || aws.ToString(out.KeyMetadata.KeyId) != "k" {
		t.Fatalf("DescribeKey: %v", err)
	}
	const want = `{"KeyId":"alias/k"}`
	if len(bodies) != 2 || bodies[0] != want || bodies[1] != want {
		t.Errorf("bodies received %q, want %q twice", bodies, want)
	}
}
