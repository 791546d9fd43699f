package scanner

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// isolatedAWSEnv points the SDK's default chain at nothing of this machine:
// no keys in the environment, no shared files, no instance metadata.
func isolatedAWSEnv(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CA_BUNDLE"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return home
}

// preflightSession is a session of the default configuration (3 attempts,
// short backoff) sending every call to endpoint.
func preflightSession(t *testing.T, endpoint string, edit func(*SessionOptions)) *Session {
	t.Helper()
	cfg := config.Default()
	cfg.EndpointURL = endpoint
	cfg.Retry.MaxBackoff = 10 * time.Millisecond
	cfg.Timeouts.Call = 5 * time.Second
	opts := SessionOptionsFrom(cfg, zerolog.Nop())
	if edit != nil {
		edit(&opts)
	}
	sess, err := NewSession(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sess.Close)
	return sess
}

func preflightFailure(t *testing.T, sess *Session) *Failure {
	t.Helper()
	_, err := sess.Preflight(context.Background())
	var f *Failure
	if !errors.As(err, &f) {
		t.Fatalf("Preflight error %v (%T), want a *Failure", err, err)
	}
	return f
}

func checkFailure(t *testing.T, f *Failure, kind string, cause, fix []string) {
	t.Helper()
	t.Logf("%s\n  fix: %s", f, f.Fix)
	if f.Kind != kind {
		t.Errorf("kind %q, want %q (%v)", f.Kind, kind, f)
	}
	for _, w := range cause {
		if !strings.Contains(f.Error(), w) {
			t.Errorf("cause %q lacks %q", f.Error(), w)
		}
	}
	for _, w := range fix {
		if !strings.Contains(f.Fix, w) {
			t.Errorf("fix %q lacks %q", f.Fix, w)
		}
	}
}

// TestPreflightPasses: sts:GetCallerIdentity answers who the scanning
// credentials are (it needs no permission:
// https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
func TestPreflightPasses(t *testing.T) {
	rig := newRig(t, loadFixture(t, "testdata/roundtrip.yaml"))
	sess := rig.session(t)
	id, err := sess.Preflight(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id.Account != rig.doc.Organization.ManagementAccountID || id.ARN == "" {
		t.Errorf("identity %+v, want the management account %s", id, rig.doc.Organization.ManagementAccountID)
	}
}

// TestPreflightNoCredentials: the default chain finds nothing (IMDS
// disabled): the cause says so and the fix says how to give credentials;
// nothing is sent.
func TestPreflightNoCredentials(t *testing.T) {
	isolatedAWSEnv(t)
	f := preflightFailure(t, preflightSession(t, fakeawstest.DeadEndpoint(t), nil))
	checkFailure(t, f, FailNoCredentials, []string{"no AWS credentials found"}, []string{"--profile", "AWS_ACCESS_KEY_ID"})
}

// TestPreflightSSONotLoggedIn: a profile of IAM Identity Center (an
// sso-session, and the legacy form) without a valid cached token: the fix
// is "aws sso login --profile NAME".
// https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html
func TestPreflightSSONotLoggedIn(t *testing.T) {
	const (
		session = "[profile audit]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Audit\nregion = us-east-1\n\n" +
			"[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
		legacy = "[profile audit]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 111111111111\nsso_role_name = Audit\n"
		// An access token that expired (no refresh token: it cannot be renewed).
		expired = `{"accessToken": "expired-token", "expiresAt": "2020-01-01T00:00:00Z", "region": "us-east-1", "startUrl": "https://corp.awsapps.com/start"}`
	)
	for _, tt := range []struct {
		name, profile string
		// tokenKey names the cached token (the session name, or the
		// legacy start URL); "" writes none (never logged in).
		tokenKey string
	}{
		{"sso-session, never logged in", session, ""},
		{"sso-session, token expired", session, "corp"},
		{"legacy, never logged in", legacy, ""},
		{"legacy, token expired", legacy, "https://corp.awsapps.com/start"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			home := isolatedAWSEnv(t)
			if err := os.WriteFile(filepath.Join(home, "config"), []byte(tt.profile), 0o600); err != nil {
				t.Fatal(err)
			}
			if tt.tokenKey != "" {
				path, err := ssocreds.StandardCachedTokenFilepath(tt.tokenKey)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(expired), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("AWS_PROFILE", "audit")
			f := preflightFailure(t, preflightSession(t, fakeawstest.DeadEndpoint(t), nil))
			checkFailure(t, f, FailSSOSession, []string{"SSO session of profile audit"}, []string{"aws sso login --profile audit"})
		})
	}
}

// TestPreflightDeadEndpoint: nothing listens at --endpoint-url: the cause
// names the endpoint and the fix --endpoint-url.
func TestPreflightDeadEndpoint(t *testing.T) {
	url := fakeawstest.DeadEndpoint(t)
	f := preflightFailure(t, preflightSession(t, url, func(o *SessionOptions) {
		o.Credentials = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	}))
	checkFailure(t, f, FailEndpoint, []string{url, "does not answer", "sts:GetCallerIdentity"}, []string{"--endpoint-url"})
}

// TestPreflightUntrustedCertificate: an HTTPS endpoint whose certificate
// no trusted CA signed (a self-signed one on 127.0.0.1): a TLS failure,
// with AWS_CA_BUNDLE as the fix.
func TestPreflightUntrustedCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	defer srv.Close()
	f := preflightFailure(t, preflightSession(t, srv.URL, func(o *SessionOptions) {
		o.Credentials = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	}))
	checkFailure(t, f, FailTLS, []string{"certificate of " + srv.URL + " is not trusted"}, []string{"AWS_CA_BUNDLE"})

	// HTTPS to an endpoint that speaks plain HTTP.
	rig := newRig(t, loadFixture(t, "testdata/roundtrip.yaml"))
	https := strings.Replace(rig.url, "http://", "https://", 1)
	f = preflightFailure(t, preflightSession(t, https, func(o *SessionOptions) {
		o.Credentials = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	}))
	checkFailure(t, f, FailTLS, []string{https + " answered in plain HTTP"}, []string{"use http:// in --endpoint-url"})
}

// TestPreflightAWSAnswers: STS answers, but refuses the credentials or says
// they expired (the common error codes InvalidClientTokenId and
// ExpiredToken: https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html);
// a management role that cannot be assumed (AccessDenied:
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
func TestPreflightAWSAnswers(t *testing.T) {
	t.Run("unknown access key", func(t *testing.T) {
		rig := newRig(t, loadFixture(t, "testdata/roundtrip.yaml"))
		f := preflightFailure(t, preflightSession(t, rig.url, func(o *SessionOptions) {
			o.Credentials = credentials.NewStaticCredentialsProvider("ASIAUNKNOWNSESSION", "secret", "token")
		}))
		checkFailure(t, f, FailInvalidCredentials, []string{"InvalidClientTokenId"}, []string{"AWS_ACCESS_KEY_ID"})
	})
	t.Run("expired token", func(t *testing.T) {
		doc := loadFixture(t, "testdata/roundtrip.yaml")
		doc.Faults = &inventory.Faults{Errors: []inventory.FaultError{{Service: "sts", Operation: "GetCallerIdentity", Code: "ExpiredToken"}}}
		rig := newRig(t, doc)
		f := preflightFailure(t, rig.session(t))
		checkFailure(t, f, FailExpiredCredentials, []string{"expired"}, []string{"new temporary credentials"})
	})
	t.Run("management role not assumable", func(t *testing.T) {
		rig := newRig(t, loadFixture(t, "testdata/roundtrip.yaml"))
		rig.cfg.Organization.ManagementRoleARN = "arn:aws:iam::" + rig.doc.Organization.ManagementAccountID + ":role/NoSuchRole"
		f := preflightFailure(t, rig.session(t))
		checkFailure(t, f, FailAccessDenied, []string{"management_role_arn", "NoSuchRole"}, []string{"trust policy"})
	})
}

// TestAssessmentFailure: a scan fails when it assessed no account (role
// assumed and buckets listed in none); the cause follows from where.
func TestAssessmentFailure(t *testing.T) {
	rig := newRig(t, loadFixture(t, "testdata/roundtrip.yaml"))
	sess := rig.session(t)
	notVisited := inventory.Account{ID: "222222222222", Errors: inventory.Errors{KeyScan: {Code: "Canceled", Message: "scan stopped before this account was visited"}}}
	assessed := inventory.Account{ID: "333333333333", CanonicalID: "c0ffee", Errors: inventory.Errors{"public_access_block": {Code: "AccessDenied", Message: "no"}}}
	tests := []struct {
		name  string
		doc   inventory.Document
		kind  string
		cause string
	}{
		{"one account assessed", inventory.Document{Scan: &inventory.ScanInfo{}, Accounts: []inventory.Account{notVisited, assessed}}, "", ""},
		{"interrupted before any account", inventory.Document{Scan: &inventory.ScanInfo{Interrupted: true}, Accounts: []inventory.Account{notVisited}}, FailInterrupted, "interrupted before any account"},
		{"no account in scope", inventory.Document{Scan: &inventory.ScanInfo{}}, FailOther, "no account is in the scan's scope"},
		{"buckets listed nowhere", inventory.Document{Scan: &inventory.ScanInfo{}, Accounts: []inventory.Account{{ID: "222222222222", Errors: inventory.Errors{KeyBuckets: {Code: "AccessDenied", Message: "no"}}}}},
			FailAccessDenied, "the buckets could not be listed in any of the 1 accounts (account 222222222222: AccessDenied: no)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sess.AssessmentFailure(&tt.doc)
			if tt.kind == "" {
				if f != nil {
					t.Errorf("failure %v, want none", f)
				}
				return
			}
			if f == nil || f.Kind != tt.kind || !strings.Contains(f.Cause, tt.cause) {
				t.Errorf("failure %+v, want %s with %q", f, tt.kind, tt.cause)
			}
		})
	}
}

// TestPreflightInterrupted: Ctrl-C during the preflight is an
// interruption, not a dead endpoint.
func TestPreflightInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sess := preflightSession(t, fakeawstest.DeadEndpoint(t), func(o *SessionOptions) {
		o.Credentials = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	})
	_, err := sess.Preflight(ctx)
	var f *Failure
	if !errors.As(err, &f) || f.Kind != FailInterrupted {
		t.Errorf("Preflight error %v, want an interruption", err)
	}
}
