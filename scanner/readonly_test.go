package scanner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
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
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/org"
)

// TestAllowlistNamesRealOperations: every allowlist entry names an SDK
// service ID and an operation its client has, so the guard's keys match
// what the SDK registers; every entry is a read (Get, List, Describe, Head)
// except AssumeRole; the IAM action's service matches the client's.
func TestAllowlistNamesRealOperations(t *testing.T) {
	clients := map[string]any{
		s3.ServiceID: &s3.Client{}, s3control.ServiceID: &s3control.Client{}, kms.ServiceID: &kms.Client{},
		iam.ServiceID: &iam.Client{}, ec2.ServiceID: &ec2.Client{}, organizations.ServiceID: &organizations.Client{},
		sts.ServiceID: &sts.Client{},
	}
	prefix := map[string]string{
		s3.ServiceID: "s3:", s3control.ServiceID: "s3:", kms.ServiceID: "kms:", iam.ServiceID: "iam:",
		ec2.ServiceID: "ec2:", organizations.ServiceID: "organizations:", sts.ServiceID: "sts:",
	}
	seen := map[string]bool{}
	for _, op := range Allowlist() {
		c, ok := clients[op.Service]
		if !ok {
			t.Errorf("%+v: unknown service ID", op)
			continue
		}
		if _, ok := reflect.TypeOf(c).MethodByName(op.Name); !ok {
			t.Errorf("%+v: the %s client has no such operation", op, op.Service)
		}
		if !strings.HasPrefix(op.Action, prefix[op.Service]) {
			t.Errorf("%+v: action of another service", op)
		}
		read := false
		for _, verb := range []string{"Get", "List", "Describe", "Head"} {
			read = read || strings.HasPrefix(op.Name, verb)
		}
		if !read && op.Name != "AssumeRole" {
			t.Errorf("%+v: not a read operation", op)
		}
		if seen[op.Service+"/"+op.Name+"/"+op.Caller] {
			t.Errorf("%+v: listed twice", op)
		}
		seen[op.Service+"/"+op.Name+"/"+op.Caller] = true
		switch op.Caller {
		case CallerAuditRole, CallerScanner, CallerManagement:
		default:
			t.Errorf("%+v: unknown caller", op)
		}
	}
}

// TestGivenCredentialsIgnoreEnvironment: with credentials given (demo), a
// broken AWS environment (a profile that does not exist, an unreadable
// config file) is not read.
func TestGivenCredentialsIgnoreEnvironment(t *testing.T) {
	t.Setenv("AWS_PROFILE", "does-not-exist")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/config")
	opts := SessionOptions{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, Log: zerolog.Nop()}
	if _, err := NewSession(context.Background(), opts); err != nil {
		t.Fatalf("NewSession with given credentials read the environment: %v", err)
	}
	opts.Credentials = nil
	if _, err := NewSession(context.Background(), opts); err == nil {
		t.Fatal("without given credentials, a missing AWS_PROFILE should be an error (else this test proves nothing)")
	}
}

// TestCallTimeout: an attempt that takes longer than timeouts.call ends as
// a Timeout error (recorded, never a value).
func TestCallTimeout(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	opts := SessionOptions{Region: "us-east-1", EndpointURL: slow.URL, Credentials: credentials.NewStaticCredentialsProvider("AKIA", "s", ""),
		MaxAttempts: 2, MaxBackoff: 10 * time.Millisecond, CallTimeout: time.Second, Requests: 4, Log: zerolog.Nop()}
	sess, err := NewSession(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	start := time.Now()
	_, err = sess.S3(sess.Base(), "us-east-1").GetBucketVersioning(context.Background(), &s3.GetBucketVersioningInput{Bucket: aws.String("b")})
	if took := time.Since(start); err == nil || org.ErrorCode(err) != org.CodeTimeout || took > 4*time.Second {
		t.Fatalf("got %v (code %q) after %v; want a Timeout after two 1 s attempts", err, org.ErrorCode(err), took)
	}
	if n := sess.Calls()["S3.GetBucketVersioning"]; n != 2 {
		t.Errorf("%d attempts, want 2 (a timed-out attempt is retried)", n)
	}
}
