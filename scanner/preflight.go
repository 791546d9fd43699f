package scanner

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/org"
)

// Failure kinds: why a scan could not start (Failure.Kind).
const (
	FailNoCredentials      = "no-credentials"      // the SDK's default chain found none
	FailSSOSession         = "sso-session"         // the SSO (or aws login) session expired or is missing
	FailCredentials        = "credentials"         // the credential provider failed otherwise
	FailExpiredCredentials = "expired-credentials" // AWS answered that the credentials expired
	FailInvalidCredentials = "invalid-credentials" // AWS does not know or accept the credentials
	FailTLS                = "tls"                 // the TLS handshake failed (certificate, protocol)
	FailEndpoint           = "endpoint"            // the endpoint does not answer (refused, DNS, timeout)
	FailAccessDenied       = "access-denied"       // AWS refused an operation the scan needs first
	FailInterrupted        = "interrupted"         // the context ended (Ctrl-C)
	FailOther              = "other"
)

// Failure is why a scan could not start or assessed nothing: what went
// wrong in one sentence (Cause), what to do about it (Fix) and the error
// it comes from. It is classified from error types and AWS error codes,
// never from message text.
type Failure struct {
	Kind  string
	Cause string
	Fix   string
	Err   error
}

// Error is the cause and the underlying error.
func (f *Failure) Error() string {
	if f.Err == nil {
		return f.Cause
	}
	return f.Cause + ": " + f.Err.Error()
}

// Unwrap returns the underlying error.
func (f *Failure) Unwrap() error { return f.Err }

// Identity is who the scanning credentials are (sts:GetCallerIdentity).
type Identity struct {
	Account string
	ARN     string
}

// preflightMaxAttempts bounds the attempts of the preflight's calls: an
// endpoint that refuses or a certificate that is not trusted does not
// recover within a scan's retry budget, and the user should hear it at once.
const preflightMaxAttempts = 3

// Preflight checks, before any collection, that the scanning credentials
// resolve and that AWS (or EndpointURL) answers and accepts them
// (sts:GetCallerIdentity, which needs no permission), and that
// organization.management_role_arn, when set, can be assumed. A problem is
// a *Failure with its fix.
//
// GetCallerIdentity needs no permission, and an explicit deny does not
// apply to it: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
func (s *Session) Preflight(ctx context.Context) (Identity, error) {
	if _, err := s.base.Credentials.Retrieve(ctx); err != nil {
		return Identity{}, s.credentialsFailure(err)
	}
	client := sts.NewFromConfig(s.base, func(o *sts.Options) {
		o.RetryMaxAttempts = min(max(s.opts.MaxAttempts, 1), preflightMaxAttempts)
	})
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, s.callFailure("sts:GetCallerIdentity", err)
	}
	id := Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn)}
	if s.opts.ManagementRoleARN != "" {
		if _, err := s.mgmt.Credentials.Retrieve(ctx); err != nil {
			f := s.callFailure("assume organization.management_role_arn "+s.opts.ManagementRoleARN, err)
			if f.Kind == FailAccessDenied {
				f.Fix = fmt.Sprintf("let %s assume %s: the role's trust policy must trust it (with organization.external_id when the trust policy requires one), and its own policies must allow sts:AssumeRole", id.ARN, s.opts.ManagementRoleARN)
			}
			return id, f
		}
	}
	return id, nil
}

// credentialsFailure classifies an error of the credential provider itself
// (before anything was sent to the endpoint).
func (s *Session) credentialsFailure(err error) *Failure {
	sources := credentialSources(s.base.Credentials)
	profile := s.profileName()
	if interrupted(err) {
		return &Failure{Kind: FailInterrupted, Cause: "interrupted while resolving the scanning credentials", Err: err}
	}
	if f := transportFailure("the credential provider could not be reached", err); f != nil {
		if f.Kind == FailEndpoint && s.opts.EndpointURL == "" {
			f.Fix = "check the network (and HTTPS_PROXY) to the credential provider of profile " + profile
		}
		return f
	}
	var invalidToken *ssocreds.InvalidTokenError
	sso := errors.As(err, &invalidToken) || hasSource(sources, ssoSources()...)
	switch {
	case sso && org.ErrorCode(err) == "ForbiddenException":
		// sso:GetRoleCredentials: logged in, but not assigned that role.
		return &Failure{Kind: FailCredentials, Cause: fmt.Sprintf("IAM Identity Center does not give you the role of profile %s", profile),
			Fix: "check that your user is assigned the profile's sso_role_name in its sso_account_id (aws sso list-account-roles), or use another profile", Err: err}
	case sso:
		return &Failure{Kind: FailSSOSession, Cause: fmt.Sprintf("the SSO session of profile %s has expired or is not logged in", profile),
			Fix: "run aws sso login --profile " + profile + ", then scan again", Err: err}
	case hasSource(sources, aws.CredentialSourceLogin, aws.CredentialSourceProfileLogin):
		return &Failure{Kind: FailSSOSession, Cause: fmt.Sprintf("the aws login session of profile %s has expired or is missing", profile),
			Fix: "run aws login --profile " + profile + ", then scan again", Err: err}
	case slices.Equal(sources, []aws.CredentialSource{aws.CredentialSourceIMDS}):
		// The default chain's last resort: nothing in the environment, the
		// shared files or the container, and no instance role.
		return &Failure{Kind: FailNoCredentials, Cause: "no AWS credentials found (environment, shared config and credentials files, SSO, container and EC2 instance metadata were tried)",
			Fix: "give the scanning credentials: --profile NAME (or AWS_PROFILE) for a profile of ~/.aws/config (aws configure sso creates one, then aws sso login --profile NAME), " +
				"or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment", Err: err}
	}
	return &Failure{Kind: FailCredentials, Cause: "the scanning credentials (profile " + profile + ") could not be resolved",
		Fix: "check profile " + profile + " in ~/.aws/config (its source_profile, role_arn, credential_process or sso settings)", Err: err}
}

// callFailure classifies the error of a call the scan needs first.
func (s *Session) callFailure(what string, err error) *Failure {
	profile := s.profileName()
	if interrupted(err) {
		return &Failure{Kind: FailInterrupted, Cause: "interrupted before any account was assessed (" + what + ")", Err: err}
	}
	if f := transportFailure(what+" failed", err); f != nil {
		if f.Kind == FailEndpoint && s.opts.EndpointURL == "" {
			f.Fix = "check the network and proxy (HTTPS_PROXY) to AWS in region " + s.opts.Region + ", and --region"
		}
		return f
	}
	var ae smithy.APIError
	code := org.ErrorCode(err)
	switch {
	case slices.Contains(org.ExpiredTokenCodes(), code):
		fix := "get new temporary credentials (AWS_SESSION_TOKEN and its keys), then scan again"
		if hasSource(credentialSources(s.base.Credentials), ssoSources()...) {
			fix = "run aws sso login --profile " + profile + ", then scan again"
		}
		return &Failure{Kind: FailExpiredCredentials, Cause: what + ": the scanning credentials have expired", Fix: fix, Err: err}
	case slices.Contains(invalidCredentialCodes(), code):
		return &Failure{Kind: FailInvalidCredentials, Cause: what + ": AWS does not accept the scanning credentials (" + code + ")",
			Fix: "check the access key and secret (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, or profile " + profile + "): the key may be deleted, deactivated or mistyped, or belong to another partition than region " + s.opts.Region, Err: err}
	case slices.Contains(accessDeniedCodes(), code):
		return &Failure{Kind: FailAccessDenied, Cause: what + ": access denied", Fix: "allow it to the scanning credentials (see bucketaudit role-policy --policy scanner)", Err: err}
	case errors.As(err, &ae):
		return &Failure{Kind: FailOther, Cause: what + ": AWS answered " + code, Err: err}
	}
	return &Failure{Kind: FailOther, Cause: what + " failed", Err: err}
}

// ssoSources are the credential sources of IAM Identity Center profiles.
func ssoSources() []aws.CredentialSource {
	return []aws.CredentialSource{aws.CredentialSourceSSO, aws.CredentialSourceSSOLegacy, aws.CredentialSourceProfileSSO, aws.CredentialSourceProfileSSOLegacy}
}

// invalidCredentialCodes are the codes of AWS answers that refuse the
// credentials themselves (unknown, mistyped or deactivated keys).
func invalidCredentialCodes() []string {
	return []string{"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "IncompleteSignature", "AuthFailure", "InvalidAccessKeyId", "InvalidToken", "MissingAuthenticationToken"}
}

// accessDeniedCodes are the codes of a refused operation.
func accessDeniedCodes() []string { return []string{org.CodeAccessDenied, "AccessDeniedException"} }

// transportFailure classifies an error of the connection (TLS, refused,
// DNS, timeout), or returns nil when err is not one.
func transportFailure(what string, err error) *Failure {
	target := "the endpoint"
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			target = u.Scheme + "://" + u.Host
		}
	}
	var (
		unknownCA   x509.UnknownAuthorityError
		hostname    x509.HostnameError
		invalid     x509.CertificateInvalidError
		verify      *tls.CertificateVerificationError
		record      tls.RecordHeaderError
		alert       tls.AlertError
		dnsErr      *net.DNSError
		opErr       *net.OpError
		netErr      net.Error
		tlsFix      = "if a proxy or private endpoint presents its own certificate, point AWS_CA_BUNDLE (or ca_bundle in the profile) at its CA certificate; check that " + target + " speaks HTTPS"
		endpointFix = "check --endpoint-url (endpoint_url in the configuration), the network and HTTPS_PROXY"
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verify):
		return &Failure{Kind: FailTLS, Cause: what + ": the TLS certificate of " + target + " is not trusted", Fix: tlsFix, Err: err}
	case errors.Is(err, http.ErrSchemeMismatch):
		return &Failure{Kind: FailTLS, Cause: what + ": " + target + " answered in plain HTTP, not TLS", Fix: "use http:// in --endpoint-url (endpoint_url), or point it at the endpoint's HTTPS port", Err: err}
	case errors.As(err, &record), errors.As(err, &alert):
		return &Failure{Kind: FailTLS, Cause: what + ": the TLS handshake with " + target + " failed", Fix: tlsFix, Err: err}
	case errors.As(err, &dnsErr):
		return &Failure{Kind: FailEndpoint, Cause: what + ": the host of " + target + " does not resolve", Fix: endpointFix, Err: err}
	case errors.As(err, &opErr):
		return &Failure{Kind: FailEndpoint, Cause: what + ": " + target + " does not answer", Fix: endpointFix, Err: err}
	case errors.As(err, &netErr) && netErr.Timeout():
		return &Failure{Kind: FailEndpoint, Cause: what + ": " + target + " did not answer in time", Fix: endpointFix + "; timeouts.call bounds one attempt", Err: err}
	}
	return nil
}

// interrupted reports whether err comes from the scan's context ending
// (Ctrl-C, a deadline), also inside a dial or a TLS handshake.
func interrupted(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func credentialSources(p aws.CredentialsProvider) []aws.CredentialSource {
	if cs, ok := p.(aws.CredentialProviderSource); ok {
		return cs.ProviderSources()
	}
	return nil
}

func hasSource(sources []aws.CredentialSource, any ...aws.CredentialSource) bool {
	for _, s := range any {
		if slices.Contains(sources, s) {
			return true
		}
	}
	return false
}

// profileName is the shared-config profile the scanning credentials come
// from: --profile, else the one the SDK loaded (AWS_PROFILE or "default").
func (s *Session) profileName() string {
	if s.opts.Profile != "" {
		return s.opts.Profile
	}
	if s.profile != "" {
		return s.profile
	}
	return "default"
}

// Assessed reports whether a scan read the account: its audit role was
// assumed and its buckets were listed.
func Assessed(a *inventory.Account) bool {
	if a.Errors.Has(KeyAssumeRole) || a.Errors.Has(KeyBuckets) {
		return false
	}
	// An account the scan stopped before visiting has only that error.
	notVisited := len(a.Errors) == 1 && a.Errors.Has(KeyScan) && a.CanonicalID == "" && len(a.Buckets) == 0 && a.PublicAccessBlock == nil
	return !notVisited
}

// AssessmentFailure returns why a scan that assessed no account failed, or
// nil when it assessed at least one. The cause is what the snapshot
// recorded (the organisation that could not be read, the audit role that
// could not be assumed); the fix follows from where it failed.
func (s *Session) AssessmentFailure(doc *inventory.Document) *Failure {
	var failed []inventory.Account
	for _, a := range doc.Accounts {
		if Assessed(&a) {
			return nil
		}
		failed = append(failed, a)
	}
	role := s.opts.Role.Name
	switch {
	case doc.Scan != nil && doc.Scan.Interrupted:
		return &Failure{Kind: FailInterrupted, Cause: "the scan was interrupted before any account was assessed", Fix: "run the scan again and let it finish"}
	case doc.Scan != nil && doc.Scan.Errors.Has(ScanErrorOrganization):
		return &Failure{Kind: FailAccessDenied, Cause: "the organization could not be read: " + doc.Scan.Errors.Text(ScanErrorOrganization),
			Fix: "scan with credentials of the management account (or of the delegated administrator), or set organization.management_role_arn to a role there that may read AWS Organizations (bucketaudit role-policy --policy scanner); " +
				"without the organisation, list the accounts to scan under accounts: in the configuration"}
	case len(failed) == 0 && doc.Scan != nil && (doc.Scan.Shard != nil || doc.Scan.OrgOnly):
		// A shard may hold no account (its share of a small organisation),
		// and the walk of --org-only collects none: both are complete.
		return nil
	case len(failed) == 0:
		return &Failure{Kind: FailOther, Cause: "no account is in the scan's scope", Fix: "check scope (include_ous, exclude_ous, include_accounts, exclude_accounts) and accounts: in the configuration"}
	}
	a := failed[0]
	if e, ok := a.Errors.Get(KeyAssumeRole); ok {
		return &Failure{Kind: FailAccessDenied, Cause: fmt.Sprintf("the audit role could not be assumed in any of the %d accounts (account %s: %s)", len(failed), a.ID, e),
			Fix: fmt.Sprintf("deploy the audit role %s in every account (deploy/README.md) trusting the scanning principal, and set audit_role.external_id to the ExternalId of its trust policy", role)}
	}
	if e, ok := a.Errors.Get(KeyBuckets); ok {
		return &Failure{Kind: FailAccessDenied, Cause: fmt.Sprintf("the buckets could not be listed in any of the %d accounts (account %s: %s)", len(failed), a.ID, e),
			Fix: fmt.Sprintf("allow s3:ListAllMyBuckets to the audit role %s (bucketaudit role-policy --policy permissions)", role)}
	}
	return &Failure{Kind: FailOther, Cause: fmt.Sprintf("no account of the %d in scope was assessed (account %s: %s)", len(failed), a.ID, a.Errors[KeyScan])}
}
