package scanner

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// chainSession is a session of cfg through the SDK's default chain (no
// given credentials or HTTP client).
func chainSession(t *testing.T, cfg *config.Config) (*Session, error) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test configuration: %v", err)
	}
	sess, err := NewSession(context.Background(), SessionOptionsFrom(cfg, zerolog.Nop()))
	if err == nil {
		t.Cleanup(sess.Close)
	}
	return sess, err
}

// TestCABundle: the emulator behind a certificate of a private CA is
// scanned when AWS_CA_BUNDLE names the CA
// (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html#envvars-list-AWS_CA_BUNDLE),
// or the profile's ca_bundle
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-gen-config.html),
// and without it a call fails on the first attempt: a certificate that
// does not verify is not retried.
func TestCABundle(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	fakeawstest.ChainEnv(t, fixture)
	srv := fakeawstest.StartTLS(t, fixture)
	cfg := config.Default()
	cfg.EndpointURL = srv.URL
	cfg.AuditRole.ExternalID = "rt-external-id"
	cfg.Retry.MaxBackoff = 10 * time.Millisecond

	t.Run("without the bundle", func(t *testing.T) {
		sess, err := chainSession(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		before := srv.Handshakes()
		_, err = sess.STS(sess.Base()).GetCallerIdentity(context.Background(), nil)
		var unknownCA x509.UnknownAuthorityError
		if !errors.As(err, &unknownCA) {
			t.Fatalf("GetCallerIdentity: %v, want an unknown-authority certificate error", err)
		}
		if n := srv.Handshakes() - before; n != 1 {
			t.Errorf("%d TLS handshakes, want 1: a certificate error is not retried", n)
		}
		if n := sess.Calls()["STS.GetCallerIdentity"]; n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
	})
	t.Run("AWS_CA_BUNDLE", func(t *testing.T) {
		t.Setenv("AWS_CA_BUNDLE", srv.CABundle)
		sess, err := chainSession(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := Scan(context.Background(), Options{Session: sess, Config: cfg, ToolVersion: "test", Log: zerolog.Nop()})
		if diff := cmp.Diff(fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{}), inventory.Canonical(got)); diff != "" {
			t.Errorf("snapshot over TLS differs from the fixture (-fixture +snapshot):\n%s", diff)
		}
	})
	t.Run("the profile's ca_bundle", func(t *testing.T) {
		profileFile := filepath.Join(t.TempDir(), "config")
		writeTestFile(t, profileFile, "[default]\nca_bundle = "+srv.CABundle+"\n")
		t.Setenv("AWS_CONFIG_FILE", profileFile)
		sess, err := chainSession(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sess.STS(sess.Base()).GetCallerIdentity(context.Background(), nil); err != nil {
			t.Errorf("GetCallerIdentity with the profile's ca_bundle: %v", err)
		}
	})
}

// TestHomeRegionFromEnvironment: without a region in the configuration,
// the home region is the one the AWS CLI would use — AWS_REGION, then
// AWS_DEFAULT_REGION, then the profile's region
// (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html#cli-configure-files-global,
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html) —
// and the configuration's region wins over all of them.
func TestHomeRegionFromEnvironment(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	profileFile := filepath.Join(t.TempDir(), "config")
	writeTestFile(t, profileFile, "[default]\nregion = cn-north-1\n[profile gov]\nregion = us-gov-west-1\n")
	tests := []struct {
		name, awsRegion, defaultRegion, profile, configRegion, want string
	}{
		{name: "AWS_REGION", awsRegion: "eu-central-1", defaultRegion: "eu-west-1", want: "eu-central-1"},
		{name: "AWS_DEFAULT_REGION", defaultRegion: "eu-west-1", want: "eu-west-1"},
		{name: "the default profile's region", want: "cn-north-1"},
		{name: "the named profile's region", profile: "gov", want: "us-gov-west-1"},
		{name: "the configuration wins", awsRegion: "eu-central-1", profile: "gov", configRegion: "ap-south-1", want: "ap-south-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeawstest.ChainEnv(t, fixture)
			t.Setenv("AWS_CONFIG_FILE", profileFile)
			t.Setenv("AWS_REGION", tt.awsRegion)
			t.Setenv("AWS_DEFAULT_REGION", tt.defaultRegion)
			text := ""
			if tt.configRegion != "" {
				text = "region: " + tt.configRegion + "\n"
			}
			if tt.profile != "" {
				text += "profile: " + tt.profile + "\n"
			}
			cfg, err := config.Parse([]byte(text), "scan.yaml", config.Overrides{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := chainSession(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := sess.Region(); got != tt.want {
				t.Errorf("home region %q, want %q", got, tt.want)
			}
			if got := sess.Base().Region; got != tt.want {
				t.Errorf("clients' region %q, want %q", got, tt.want)
			}
			cfg.SetHomeRegion(sess.Region())
			if cfg.Region != tt.want {
				t.Errorf("configuration's region %q after SetHomeRegion, want %q", cfg.Region, tt.want)
			}
		})
	}
	t.Run("none anywhere", func(t *testing.T) {
		fakeawstest.ChainEnv(t, fixture)
		sess, err := chainSession(t, config.Default())
		if err != nil {
			t.Fatal(err)
		}
		if got := sess.Region(); got != DefaultHomeRegion {
			t.Errorf("home region %q, want %q", got, DefaultHomeRegion)
		}
	})
	t.Run("not a region", func(t *testing.T) {
		fakeawstest.ChainEnv(t, fixture)
		t.Setenv("AWS_REGION", "Frankfurt")
		_, err := chainSession(t, config.Default())
		if err == nil || !strings.Contains(err.Error(), `"Frankfurt"`) {
			t.Errorf("err %v, want one naming the bad region", err)
		}
	})
}

// mfaProfiles writes a shared config with a role profile whose role needs
// MFA (mfa_serial) on top of base, whose keys are doc's management keys,
// and points the SDK at it.
func mfaProfiles(t *testing.T, doc *inventory.Document) {
	t.Helper()
	fakeawstest.ChainEnv(t, doc)
	id, secret := fakeaws.ManagementKeys(doc)
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "config"), `[profile audit]
role_arn = arn:aws:iam::111111111111:role/BucketAuditRole
external_id = rt-external-id
source_profile = base
mfa_serial = arn:aws:iam::111111111111:mfa/alice
`)
	writeTestFile(t, filepath.Join(dir, "credentials"), "[base]\naws_access_key_id = "+id+"\naws_secret_access_key = "+secret+"\n")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
}

// TestMFARoleProfile: a profile whose role needs MFA is assumed with the
// code of MFATokenCode or MFAPrompt, through EndpointURL (the credential
// chain's STS too), when the session is made; without a code the session
// fails with a message that says how to give one.
// https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-role.html#cli-configure-role-mfa
func TestMFARoleProfile(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	srv, url := fakeawstest.Start(t, fixture)
	newCfg := func() *config.Config {
		cfg, err := config.Parse([]byte("profile: audit\nendpoint_url: "+url+"\n"), "scan.yaml", config.Overrides{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	newSession := func(t *testing.T, code string, prompt func() (string, error)) (*Session, error) {
		t.Helper()
		opts := SessionOptionsFrom(newCfg(), zerolog.Nop())
		opts.MFATokenCode, opts.MFAPrompt = code, prompt
		sess, err := NewSession(context.Background(), opts)
		if err == nil {
			t.Cleanup(sess.Close)
		}
		return sess, err
	}
	wantRole := func(t *testing.T, sess *Session) {
		t.Helper()
		out, err := sess.STS(sess.Base()).GetCallerIdentity(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if arn := aws.ToString(out.Arn); !strings.Contains(arn, ":assumed-role/BucketAuditRole/") {
			t.Errorf("caller %s, want the profile's role", arn)
		}
	}
	t.Run("--mfa-token-code", func(t *testing.T) {
		mfaProfiles(t, fixture)
		before := srv.Stats().Requests
		sess, err := newSession(t, "123456", nil)
		if err != nil {
			t.Fatal(err)
		}
		// The code was used when the session was made.
		if n := srv.Stats().Requests - before; n != 1 {
			t.Errorf("%d requests while making the session, want 1 (AssumeRole)", n)
		}
		wantRole(t, sess)
	})
	t.Run("prompt", func(t *testing.T) {
		mfaProfiles(t, fixture)
		asked := 0
		sess, err := newSession(t, "", func() (string, error) { asked++; return "654321", nil })
		if err != nil {
			t.Fatal(err)
		}
		wantRole(t, sess)
		if asked != 1 {
			t.Errorf("asked %d times, want 1", asked)
		}
	})
	t.Run("a code the emulator refuses", func(t *testing.T) {
		mfaProfiles(t, fixture)
		_, err := newSession(t, "12ab", nil)
		if err == nil || !strings.Contains(err.Error(), `profile "audit" with MFA`) || !strings.Contains(err.Error(), "tokenCode") {
			t.Errorf("err %v, want AssumeRole's refusal of the code", err)
		}
	})
	t.Run("no code", func(t *testing.T) {
		mfaProfiles(t, fixture)
		_, err := newSession(t, "", nil)
		if err == nil || !strings.Contains(err.Error(), "--mfa-token-code") {
			t.Errorf("err %v, want one naming --mfa-token-code", err)
		}
	})
}

func writeTestFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestHomeRegionSignsGlobalCalls: the home region from the profile is the
// one the global services' calls are signed for (the credential scope of
// Signature Version 4,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
func TestHomeRegionSignsGlobalCalls(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	srv, err := fakeaws.New(fixture, fakeaws.Options{Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var scopes []string
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		scopes = append(scopes, r.Header.Get("Authorization"))
		mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.Close)
	fakeawstest.ChainEnv(t, fixture)
	id, secret := fakeaws.ManagementKeys(fixture)
	profileFile := filepath.Join(t.TempDir(), "config")
	writeTestFile(t, profileFile, "[profile gov]\nregion = us-gov-west-1\naws_access_key_id = "+id+"\naws_secret_access_key = "+secret+"\n")
	t.Setenv("AWS_CONFIG_FILE", profileFile)
	cfg, err := config.Parse([]byte("profile: gov\nendpoint_url: "+rec.URL+"\n"), "scan.yaml", config.Overrides{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := chainSession(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := sess.STS(sess.Base()).GetCallerIdentity(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Organizations(sess.Management()).DescribeOrganization(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if len(scopes) != 2 {
		t.Fatalf("%d requests, want 2", len(scopes))
	}
	for _, s := range scopes {
		if !strings.Contains(s, "/us-gov-west-1/sts/") && !strings.Contains(s, "/us-gov-west-1/organizations/") {
			t.Errorf("signed %q, want the credential scope of us-gov-west-1", s)
		}
	}
}

// TestWebIdentityThroughEndpoint: a web identity role (Kubernetes IRSA:
// AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, no keys) is assumed through
// EndpointURL, as the AWS CLI's --endpoint-url does not but the scan's
// must (issue: --endpoint-url also for the credential chain's STS), and
// the session scans as that role.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
func TestWebIdentityThroughEndpoint(t *testing.T) {
	fixture := loadFixture(t, "testdata/roundtrip.yaml")
	srv, url := fakeawstest.Start(t, fixture)
	fakeawstest.ChainEnv(t, fixture)
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	writeTestFile(t, token, "eyJhbGciOiJSUzI1NiJ9.fake.token")
	mgmt := fixture.Organization.ManagementAccountID
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token)
	t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::"+mgmt+":role/BucketAuditScanner")
	t.Setenv("AWS_ROLE_SESSION_NAME", "irsa-scan")
	cfg, err := config.Parse([]byte("endpoint_url: "+url+"\n"), "scan.yaml", config.Overrides{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := NewSession(context.Background(), SessionOptionsFrom(cfg, zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sess.Close)
	id, err := sess.Preflight(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + mgmt + ":assumed-role/BucketAuditScanner/irsa-scan"; id.ARN != want {
		t.Errorf("caller %s, want %s", id.ARN, want)
	}
	if n := srv.Stats().ByOperation["sts:AssumeRoleWithWebIdentity"]; n != 1 {
		t.Errorf("%d AssumeRoleWithWebIdentity calls reached the emulator, want 1", n)
	}
}
