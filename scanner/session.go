package scanner

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/org"
)

// SessionOptions configure the AWS clients of a scan.
type SessionOptions struct {
	// Region is the home region (global services, ListBuckets). Empty
	// means the one the AWS CLI would use: AWS_REGION, AWS_DEFAULT_REGION
	// or the profile's region, else DefaultHomeRegion.
	Region  string
	Profile string
	// EndpointURL sends every call, S3 Control included, to one URL.
	EndpointURL string
	// Credentials replace the SDK's default chain when set (tests, demo);
	// the environment, AWS_PROFILE and the shared config files are then
	// not read at all.
	Credentials aws.CredentialsProvider
	// HTTPClient replaces the default HTTP client when set.
	HTTPClient aws.HTTPClient
	// MFATokenCode answers the MFA prompt of a profile whose role has an
	// mfa_serial (--mfa-token-code); MFAPrompt, when set, asks for it
	// instead (a terminal). Without either, such a profile is an error.
	MFATokenCode string
	MFAPrompt    func() (string, error)

	MaxAttempts int
	MaxBackoff  time.Duration
	// CallTimeout bounds one HTTP attempt.
	CallTimeout time.Duration
	// Requests caps the calls in flight across the session (0: no cap).
	Requests int
	// RatePerSecond and Burst form a token bucket per account and service
	// (RatePerSecond 0: none).
	RatePerSecond float64
	Burst         int

	Role              org.RoleSpec
	ManagementRoleARN string
	// ManagementExternalID is sent when assuming ManagementRoleARN.
	ManagementExternalID string

	Log zerolog.Logger
	// Now is the clock of credential renewal; nil means time.Now.
	Now func() time.Time
}

// SessionOptionsFrom maps a validated configuration to session options.
func SessionOptionsFrom(c *config.Config, log zerolog.Logger) SessionOptions {
	region := c.Region
	if !c.RegionSet() {
		region = ""
	}
	return SessionOptions{
		Region: region, Profile: c.Profile, EndpointURL: c.EndpointURL,
		MaxAttempts: c.Retry.MaxAttempts, MaxBackoff: c.Retry.MaxBackoff, CallTimeout: c.Timeouts.Call,
		Requests: c.Concurrency.Requests, RatePerSecond: c.RateLimit.RequestsPerSecond, Burst: c.RateLimit.Burst,
		Role: org.RoleSpec{
			Name: c.AuditRole.Name, Path: c.AuditRole.Path, ExternalID: c.AuditRole.ExternalID,
			SessionName: c.AuditRole.SessionName, Duration: c.AuditRole.Duration,
			RefreshBeforeExpiry: c.AuditRole.RefreshBeforeExpiry,
		},
		ManagementRoleARN:    c.Organization.ManagementRoleARN,
		ManagementExternalID: c.Organization.ExternalID,
		Log:                  log,
	}
}

// Session builds the read-only AWS clients of a scan. Every client it makes
// carries the read-only guard (operations off the allowlist are refused
// before anything is sent), the retryer (throttling codes honoured, bounded
// attempts), the per-attempt timeout, the global in-flight cap and the
// per-account, per-service rate limit, and resolves every service — S3
// Control included — to EndpointURL when it is set. It is safe for
// concurrent use.
type Session struct {
	opts     SessionOptions
	region   string
	base     aws.Config
	mgmt     aws.Config
	endpoint *url.URL
	assumer  *org.Assumer
	slots    *inFlightSlots

	mu       sync.Mutex
	limiters map[limiterKey]*rate.Limiter
	calls    sync.Map // opKey -> *atomic.Int64
	inFlight atomic.Int64
	// apiOptions are the clients' stack options but the rate limit (the
	// scanning principal's or an account's, added to them).
	apiOptions []func(*middleware.Stack) error
	// transport is the HTTP client under the in-flight cap.
	transport aws.HTTPClient
	// profile is the shared-config profile the SDK loaded (Preflight's hints).
	profile string
	// workers run the scan's concurrent reads (bucket fields, KMS keys).
	workers   *workers
	closeOnce sync.Once
}

// NewSession loads the scanning credentials (the SDK's default chain, a
// profile, or opts.Credentials) and prepares the clients' configuration.
func NewSession(ctx context.Context, opts SessionOptions) (*Session, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Session{opts: opts, limiters: map[limiterKey]*rate.Limiter{}, workers: newWorkers()}
	if opts.Requests > 0 {
		s.slots = newInFlightSlots(opts.Requests)
	}
	if opts.EndpointURL != "" {
		u, err := url.Parse(opts.EndpointURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("endpoint URL %q: not a URL with a host", opts.EndpointURL)
		}
		s.endpoint = u
	}
	cfg, err := s.loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	s.region = cfg.Region
	// Everything below applies to the clients bucketaudit makes, not to the
	// credential providers of the default chain (SSO and the like).
	if opts.HTTPClient != nil {
		cfg.HTTPClient = opts.HTTPClient
	} else {
		// The SDK's transport — with its TLS settings, AWS_CA_BUNDLE or the
		// profile's ca_bundle included — and a pool as wide as the calls in
		// flight; redirects are answers (S3's 301 names the bucket's region).
		bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
		if !ok {
			bc = awshttp.NewBuildableClient()
		}
		tr := bc.GetTransport()
		tr.MaxIdleConnsPerHost = max(opts.Requests, 16) + 16
		// The SDK's total of 100 idle connections (all hosts) would close
		// the connections of a wider cap as soon as they are idle, and
		// dial them again for the next calls (1,000 dials for 9,000 calls
		// at 256 in flight): room for two hosts' worth, the least recently
		// used closed beyond.
		tr.MaxIdleConns = max(tr.MaxIdleConns, 2*tr.MaxIdleConnsPerHost)
		cfg.HTTPClient = &http.Client{Timeout: opts.CallTimeout, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	if s.endpoint != nil {
		cfg.BaseEndpoint = aws.String(opts.EndpointURL)
	}
	cfg.Retryer = s.newRetryer
	cfg.Logger = logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		opts.Log.Debug().Str("sdk", string(c)).Msgf(format, v...)
	})
	if opts.Log.GetLevel() <= zerolog.DebugLevel {
		cfg.ClientLogMode = aws.LogRetries
	}
	guard := newReadOnlyGuard()
	cfg.APIOptions = append(cfg.APIOptions, addReadOnlyGuard(guard), trimStack)
	s.transport = cfg.HTTPClient
	cfg.HTTPClient = &cappedClient{next: cfg.HTTPClient, s: s}
	s.apiOptions = slices.Clip(cfg.APIOptions)
	if opts.RatePerSecond > 0 {
		cfg.APIOptions = append(cfg.APIOptions, s.addRateLimit(limiterScanner))
	}
	s.base = cfg
	s.mgmt = cfg.Copy()
	if opts.ManagementRoleARN != "" {
		s.mgmt.Credentials = org.AssumeRoleCredentials(sts.NewFromConfig(cfg), opts.ManagementRoleARN, opts.ManagementExternalID, opts.Role, opts.Now)
	}
	s.assumer = org.NewAssumer(sts.NewFromConfig(cfg), opts.Role, opts.Now)
	return s, nil
}

// DefaultHomeRegion is the home region when neither the configuration, a
// flag, the environment nor the profile names one.
const DefaultHomeRegion = "us-east-1"

// loadConfig loads the SDK configuration: the given credentials, or the
// SDK's default chain (environment, shared files, profile) with its region,
// TLS settings and role profiles — whose STS calls go to EndpointURL too,
// and whose MFA code comes from MFATokenCode or MFAPrompt.
func (s *Session) loadConfig(ctx context.Context) (aws.Config, error) {
	opts := s.opts
	if opts.Credentials != nil {
		// Given credentials (demo, tests): nothing of the environment, the
		// shared config files or AWS_PROFILE is read.
		return aws.Config{Region: cmp.Or(opts.Region, DefaultHomeRegion), Credentials: aws.NewCredentialsCache(opts.Credentials)}, nil
	}
	var mfa bool
	loadOpts := []func(*awsconfig.LoadOptions) error{
		// The credential chain's own calls (a role profile's AssumeRole)
		// fail at once on a certificate error too.
		awsconfig.WithRetryer(s.newRetryer),
		// A web identity role (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN,
		// or a profile's web_identity_token_file: Kubernetes IRSA) is
		// assumed through EndpointURL too.
		awsconfig.WithWebIdentityRoleCredentialOptions(func(o *stscreds.WebIdentityRoleOptions) {
			if c, ok := o.Client.(*sts.Client); ok && s.endpoint != nil {
				o.Client = sts.New(c.Options(), func(so *sts.Options) { so.BaseEndpoint = aws.String(opts.EndpointURL) })
			}
		}),
		awsconfig.WithAssumeRoleCredentialOptions(func(o *stscreds.AssumeRoleOptions) {
			if c, ok := o.Client.(*sts.Client); ok && s.endpoint != nil {
				o.Client = sts.New(c.Options(), func(so *sts.Options) { so.BaseEndpoint = aws.String(opts.EndpointURL) })
			}
			if o.SerialNumber != nil {
				mfa = true
				o.TokenProvider = s.mfaToken
			}
		}),
	}
	if opts.Region != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(opts.Region))
	}
	if opts.Profile != "" {
		loadOpts = append(loadOpts, awsconfig.WithSharedConfigProfile(opts.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return cfg, fmt.Errorf("load AWS configuration: %w", err)
	}
	for _, src := range cfg.ConfigSources {
		if sc, ok := src.(awsconfig.SharedConfig); ok && sc.Profile != "" {
			s.profile = sc.Profile
		}
	}
	if cfg.Region == "" {
		cfg.Region = DefaultHomeRegion
	} else if !config.ValidRegion(cfg.Region) {
		return cfg, fmt.Errorf("home region %q (from AWS_REGION, AWS_DEFAULT_REGION or the profile) is not a region name (e.g. us-east-1)", cfg.Region)
	}
	if mfa {
		// Ask for the code now, before a progress bar holds the terminal,
		// and fail before any scan when it is refused.
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return cfg, fmt.Errorf("assume the role of profile %q with MFA: %w", cmp.Or(opts.Profile, os.Getenv("AWS_PROFILE"), "default"), err)
		}
	}
	return cfg, nil
}

// mfaToken returns the MFA code of a role profile.
func (s *Session) mfaToken() (string, error) {
	switch {
	case s.opts.MFATokenCode != "":
		return s.opts.MFATokenCode, nil
	case s.opts.MFAPrompt != nil:
		return s.opts.MFAPrompt()
	}
	return "", errors.New("the profile's role needs an MFA code (mfa_serial): pass --mfa-token-code, or run on a terminal to be asked for it")
}

// Region returns the home region the session resolved: SessionOptions'
// Region, else the environment's or the profile's, else DefaultHomeRegion.
func (s *Session) Region() string { return s.region }

func (s *Session) newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		// A certificate that does not verify will not verify on the next
		// attempt either: fail at once, whatever else would retry it.
		o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(noRetryTLS)}, o.Retryables...)
		o.MaxAttempts = s.opts.MaxAttempts
		if s.opts.MaxBackoff > 0 {
			o.MaxBackoff = s.opts.MaxBackoff
		}
		// The client-side retry quota would fail a throttled scan's calls
		// outright; the per-account rate limit and backoff pace it instead.
		o.RateLimiter = ratelimit.None
	})
}

// noRetryTLS marks certificate and TLS handshake failures as not
// retryable, by their error types.
func noRetryTLS(err error) aws.Ternary {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		host      x509.HostnameError
		record    tls.RecordHeaderError
		alert     tls.AlertError
	)
	if errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &invalid) ||
		errors.As(err, &host) || errors.As(err, &record) || errors.As(err, &alert) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
}

// Close releases the session's idle connections and goroutines. Clients
// made from it still work afterwards (they open new connections).
func (s *Session) Close() {
	s.closeOnce.Do(s.workers.close)
	if c, ok := s.transport.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Base returns the configuration of the scanning credentials themselves.
func (s *Session) Base() aws.Config { return s.base.Copy() }

// Management returns the configuration for Organizations calls: the
// scanning credentials, or organization.management_role_arn assumed.
func (s *Session) Management() aws.Config { return s.mgmt.Copy() }

// Assumer returns the audit-role assumer.
func (s *Session) Assumer() *org.Assumer { return s.assumer }

// Account returns the configuration of the audit role in accountID: cached
// credentials renewed before they expire (and at once, with a retry, when
// AWS answers ExpiredToken), rate-limited per service for this account.
func (s *Session) Account(partition, accountID string) aws.Config {
	cfg := s.base.Copy()
	creds := s.assumer.Credentials(partition, accountID)
	cfg.Credentials = creds
	cfg.Retryer = func() aws.Retryer {
		return &refreshingRetryer{RetryerV2: s.newRetryer().(aws.RetryerV2), creds: creds}
	}
	if s.opts.RatePerSecond > 0 {
		// The account's limiter instead of the scanning principal's.
		cfg.APIOptions = append(s.apiOptions, s.addRateLimit(accountID))
	}
	return cfg
}

// refreshingRetryer retries an ExpiredToken answer after dropping the
// cached session, so the next attempt signs with fresh credentials.
type refreshingRetryer struct {
	aws.RetryerV2
	creds *aws.CredentialsCache
}

func (r *refreshingRetryer) IsErrorRetryable(err error) bool {
	if org.HasCode(err, org.ExpiredTokenCodes()...) {
		r.creds.Invalidate()
		return true
	}
	return r.RetryerV2.IsErrorRetryable(err)
}

// Calls returns the number of HTTP attempts sent so far, keyed by
// "Service.Operation".
func (s *Session) Calls() map[string]int64 {
	out := map[string]int64{}
	s.calls.Range(func(k, v any) bool {
		op := k.(opKey)
		out[op.service+"."+op.operation] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// InFlight returns the number of calls being sent or awaited right now.
func (s *Session) InFlight() int64 { return s.inFlight.Load() }

// TotalCalls returns the number of HTTP attempts sent so far.
func (s *Session) TotalCalls() int64 {
	var n int64
	for _, v := range s.Calls() {
		n += v
	}
	return n
}

// CallNames returns the operations called so far, sorted.
func (s *Session) CallNames() []string {
	var names []string
	for k := range s.Calls() {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// cappedClient is the HTTP client of every client the session makes: it
// holds one of the session's in-flight slots while a request is being
// sent and answered, and counts it. It sits below the retry loop and the
// signing (waiting for credentials or a backoff never holds a slot), and
// the slot is released once the answer's headers are in (the small body
// is then read from the socket's buffer).
type cappedClient struct {
	next aws.HTTPClient
	s    *Session
}

func (c *cappedClient) Do(r *http.Request) (*http.Response, error) {
	s := c.s
	ctx := r.Context()
	if err := bufferBody(r); err != nil {
		return nil, err
	}
	service, operation := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
	if s.slots != nil {
		if err := s.slots.acquire(ctx, firstCall(service, operation)); err != nil {
			return nil, err
		}
		defer s.slots.release()
	}
	key := opKey{service, operation}
	n, ok := s.calls.Load(key)
	if !ok {
		n, _ = s.calls.LoadOrStore(key, new(atomic.Int64))
	}
	n.(*atomic.Int64).Add(1)
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	return c.next.Do(r)
}

// maxBufferedBody is the largest request body bufferBody copies.
const maxBufferedBody = 1 << 20

// bufferBody hands net/http the body of r (a query or JSON protocol call's
// POST: a few hundred bytes) as an in-memory reader, read from the SDK's.
// net/http writes the headers and such a body in one write; the SDK's body
// (its seekable stream, behind a wrapper that keeps net/http from closing
// it) is no reader net/http knows, so it flushes the headers first and
// writes the body after: two writes per call, and a second read and wake-up
// for the server. The SDK's stream is left read to its end, as net/http
// leaves it; a retry rewinds it and builds a new request. r gets no
// GetBody, as the SDK's request had none: net/http resends no request on
// its own that it did not before.
func bufferBody(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength <= 0 || r.ContentLength > maxBufferedBody {
		return nil
	}
	body := make([]byte, r.ContentLength)
	_, err := io.ReadFull(r.Body, body)
	r.Body.Close()
	if err != nil {
		return fmt.Errorf("read the request body (Content-Length %d): %w", r.ContentLength, err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}

// trimmedMiddlewares returns the SDK middlewares that trimStack removes from
// every operation, by step. None changes what is sent in a way AWS acts
// on, nor what is done with the answer:
//   - ClientRequestID (Build) generates a UUID per call for the
//     amz-sdk-invocation-id header, SDK telemetry (the retry attempt
//     counter, amz-sdk-request, stays);
//   - RecursionDetection (Build) reads two environment variables per call
//     to forward an AWS Lambda function's X-Ray trace ID (X-Amzn-Trace-Id)
//     only when running in Lambda: recursion detection of functions that
//     an S3 or SQS write triggers, which a read-only scan never makes;
//   - AddRawResponseToMetadata (Deserialize) keeps each HTTP answer in the
//     operation's metadata for awsmiddleware.GetRawResponse, which nothing
//     of bucketaudit reads (errors carry their response themselves).
//
// The read-only guard, retries and throttling, the clock-skew correction
// (RecordResponseTiming), the signing, the user agent and S3's checks of
// 200 answers that are errors all stay.
func trimmedMiddlewares() (build, deserialize []string) {
	return []string{"ClientRequestID", "RecursionDetection"}, []string{"AddRawResponseToMetadata"}
}

// trimStack removes trimmedMiddlewares from an operation's stack (an
// aws.Config APIOptions entry, after the operation added its own); one an
// operation does not have is no error.
func trimStack(st *middleware.Stack) error {
	build, deserialize := trimmedMiddlewares()
	for _, id := range build {
		if _, ok := st.Build.Get(id); ok {
			if _, err := st.Build.Remove(id); err != nil {
				return fmt.Errorf("remove middleware %s: %w", id, err)
			}
		}
	}
	for _, id := range deserialize {
		if _, ok := st.Deserialize.Get(id); ok {
			if _, err := st.Deserialize.Remove(id); err != nil {
				return fmt.Errorf("remove middleware %s: %w", id, err)
			}
		}
	}
	return nil
}

// limiterScanner keys the token buckets of the scanning principal's own
// calls (Organizations, AssumeRole).
const (
	limiterScanner = "scanner"
	rateLimitID    = "BucketauditRateLimit"
)

// addRateLimit waits for the token bucket of the call's service and key
// (an account ID, or limiterScanner) before each attempt (at the end of the
// Finalize step, after signing; before taking an in-flight slot).
func (s *Session) addRateLimit(key string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc(rateLimitID, func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if err := s.limiter(key, awsmiddleware.GetServiceID(ctx)).Wait(ctx); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("rate limit: %w", err)
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	}
}

// limiterKey is a token bucket's account ID (or limiterScanner) and service.
type limiterKey struct{ account, service string }

func (s *Session) limiter(accountID, service string) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := limiterKey{accountID, service}
	l, ok := s.limiters[key]
	if !ok {
		l = rate.NewLimiter(rate.Limit(s.opts.RatePerSecond), max(s.opts.Burst, 1))
		s.limiters[key] = l
	}
	return l
}

// Organizations returns an Organizations client for cfg (see Management).
func (s *Session) Organizations(cfg aws.Config) *organizations.Client {
	return organizations.NewFromConfig(cfg)
}

// STS returns an STS client for cfg.
func (s *Session) STS(cfg aws.Config) *sts.Client { return sts.NewFromConfig(cfg) }

// S3 returns an S3 client for cfg in region (path-style with an endpoint
// URL), whose endpoint rules are evaluated once per bucket
// (s3EndpointCache).
func (s *Session) S3(cfg aws.Config, region string) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.Region = region
		o.UsePathStyle = s.endpoint != nil
		if s3EndpointKeyCovers() {
			o.EndpointResolverV2 = newS3EndpointCache(o.EndpointResolverV2)
		}
	})
}

// S3Control returns an S3 Control client for cfg. With an endpoint URL, the
// account-ID host prefix that S3 Control puts before the endpoint's host is
// dropped (the account travels in the x-amz-account-id header), so the
// calls reach the URL itself.
func (s *Session) S3Control(cfg aws.Config) *s3control.Client {
	return s3control.NewFromConfig(cfg, func(o *s3control.Options) {
		if s.endpoint != nil {
			o.EndpointResolverV2 = &fixedHostResolver{next: s3control.NewDefaultEndpointResolverV2(), endpoint: s.endpoint}
		}
	})
}

// KMS returns a KMS client for cfg in region.
func (s *Session) KMS(cfg aws.Config, region string) *kms.Client {
	return kms.NewFromConfig(cfg, func(o *kms.Options) { o.Region = region })
}

// IAM returns an IAM client for cfg.
func (s *Session) IAM(cfg aws.Config) *iam.Client { return iam.NewFromConfig(cfg) }

// EC2 returns an EC2 client for cfg in region.
func (s *Session) EC2(cfg aws.Config, region string) *ec2.Client {
	return ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = region })
}

// fixedHostResolver resolves S3 Control endpoints with the SDK's rules
// (signing properties included) and then puts back the configured host.
type fixedHostResolver struct {
	next     s3control.EndpointResolverV2
	endpoint *url.URL
}

func (r *fixedHostResolver) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	ep, err := r.next.ResolveEndpoint(ctx, p)
	if err != nil {
		return ep, err
	}
	ep.URI.Scheme = r.endpoint.Scheme
	ep.URI.Host = r.endpoint.Host
	return ep, nil
}
