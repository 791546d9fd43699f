package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
)

var (
	roleNamePattern    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	rolePathPattern    = regexp.MustCompile(`^/([\x21-\x7E]*/)?$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	roleARNPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	ouIDPattern        = regexp.MustCompile(`^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$`)
	regionPattern      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
)

// ValidRegion reports whether region is shaped like an AWS region name
// (us-east-1, us-gov-west-1, cn-north-1).
func ValidRegion(region string) bool { return regionPattern.MatchString(region) }

// Validate checks every value and reports every problem at once in an
// *Error, each naming the key path and where the value came from (file and
// line, or flag). It returns nil when the configuration is usable.
func (c *Config) Validate() error {
	v := &validator{c: c}
	// An empty region lets the AWS environment choose (SetHomeRegion).
	v.check("region", c.Region == "" || regionPattern.MatchString(c.Region), "%q is not a region name (e.g. us-east-1)", c.Region)
	if c.EndpointURL != "" {
		u, err := url.Parse(c.EndpointURL)
		v.check("endpoint_url", err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "",
			"%q is not an http:// or https:// URL with a host", c.EndpointURL)
	}
	if arn := c.Organization.ManagementRoleARN; arn != "" {
		v.check("organization.management_role_arn", roleARNPattern.MatchString(arn), "%q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", arn)
		v.samePartition("organization.management_role_arn", arn, awsid.PartitionOfARN(arn), c.Region)
	}
	seen := map[string]int{}
	for i, a := range c.Accounts {
		p := fmt.Sprintf("accounts[%d]", i)
		v.accountID(p+".id", a.ID)
		if j, dup := seen[a.ID]; dup && a.ID != "" {
			v.fail(p+".id", "account %s is already listed at accounts[%d]", a.ID, j)
		}
		seen[a.ID] = i
	}

	r := c.AuditRole
	v.check("audit_role.name", roleNamePattern.MatchString(r.Name), "%q is not a valid role name (1-64 of letters, digits and +=,.@_-)", r.Name)
	v.check("audit_role.path", rolePathPattern.MatchString(r.Path) && len(r.Path) <= 512, "%q is not a valid role path (starts and ends with /)", r.Path)
	v.check("audit_role.session_name", sessionNamePattern.MatchString(r.SessionName), "%q is not a valid session name (2-64 of letters, digits and +=,.@_-)", r.SessionName)
	v.externalID("audit_role.external_id", r.ExternalID)
	v.externalID("organization.external_id", c.Organization.ExternalID)
	v.check("audit_role.duration", r.Duration >= 15*time.Minute && r.Duration <= 12*time.Hour, "%s is outside what AssumeRole accepts (15m to 12h)", r.Duration)
	v.check("audit_role.refresh_before_expiry", r.RefreshBeforeExpiry >= 0 && r.RefreshBeforeExpiry < r.Duration,
		"%s must be at least 0 and shorter than audit_role.duration", r.RefreshBeforeExpiry)

	s := c.Scope
	for i, ou := range s.IncludeOUs {
		v.ou(fmt.Sprintf("scope.include_ous[%d]", i), ou)
	}
	for i, ou := range s.ExcludeOUs {
		v.ou(fmt.Sprintf("scope.exclude_ous[%d]", i), ou)
	}
	for i, id := range s.IncludeAccounts {
		v.accountID(fmt.Sprintf("scope.include_accounts[%d]", i), id)
	}
	for i, id := range s.ExcludeAccounts {
		v.accountID(fmt.Sprintf("scope.exclude_accounts[%d]", i), id)
	}
	for i, reg := range s.Regions {
		p := fmt.Sprintf("scope.regions[%d]", i)
		v.check(p, regionPattern.MatchString(reg), "%q is not a region name (e.g. eu-west-1)", reg)
		v.samePartition(p, reg, awsid.PartitionOf(reg), c.Region)
	}

	cc := c.Concurrency
	v.check("concurrency.accounts", cc.Accounts >= 1 && cc.Accounts <= 1024, "%d must be between 1 and 1024", cc.Accounts)
	v.check("concurrency.buckets", cc.Buckets >= 1 && cc.Buckets <= 1024, "%d must be between 1 and 1024", cc.Buckets)
	v.check("concurrency.requests", cc.Requests >= 1 && cc.Requests <= 4096, "%d must be between 1 and 4096", cc.Requests)
	v.check("rate_limit.requests_per_second", c.RateLimit.RequestsPerSecond >= 0, "%g must not be negative (0 turns the limit off)", c.RateLimit.RequestsPerSecond)
	if c.RateLimit.RequestsPerSecond > 0 {
		v.check("rate_limit.burst", c.RateLimit.Burst >= 1, "%d must be at least 1 when a rate is set", c.RateLimit.Burst)
	}
	v.check("retry.max_attempts", c.Retry.MaxAttempts >= 1 && c.Retry.MaxAttempts <= 50, "%d must be between 1 and 50", c.Retry.MaxAttempts)
	v.check("retry.max_backoff", c.Retry.MaxBackoff > 0 && c.Retry.MaxBackoff <= 5*time.Minute, "%s must be between 0 and 5m", c.Retry.MaxBackoff)
	v.check("timeouts.call", c.Timeouts.Call >= time.Second && c.Timeouts.Call <= 10*time.Minute, "%s must be between 1s and 10m", c.Timeouts.Call)

	seen = map[string]int{}
	for i, t := range c.TrustedAccounts {
		p := fmt.Sprintf("trusted_accounts[%d]", i)
		v.accountID(p+".id", t.ID)
		if j, dup := seen[t.ID]; dup && t.ID != "" {
			v.fail(p+".id", "account %s is already listed at trusted_accounts[%d]", t.ID, j)
		}
		seen[t.ID] = i
	}

	v.check("outputs.dir", strings.TrimSpace(c.Outputs.Dir) != "", "must not be empty")
	v.check("outputs.formats", len(c.Outputs.Formats) > 0, "must name at least one of xlsx, json, csv, ocsf")
	for i, f := range c.Outputs.Formats {
		p := fmt.Sprintf("outputs.formats[%d]", i)
		v.check(p, f == FormatXLSX || f == FormatJSON || f == FormatCSV || f == FormatOCSF, "%q is not a format (want xlsx, json, csv or ocsf)", f)
	}
	v.check("outputs.principals_per_cell", c.Outputs.PrincipalsPerCell >= 0, "%d must not be negative (0 lists every principal)", c.Outputs.PrincipalsPerCell)
	if len(v.problems) == 0 {
		return nil
	}
	return &Error{Problems: v.problems}
}

type validator struct {
	c        *Config
	problems []Problem
}

func (v *validator) fail(path, format string, a ...any) {
	v.problems = append(v.problems, Problem{Path: path, Source: v.c.source(path), Msg: fmt.Sprintf(format, a...)})
}

func (v *validator) check(path string, ok bool, format string, a ...any) {
	if !ok {
		v.fail(path, format, a...)
	}
}

// externalID checks an external ID, if set, without ever echoing it: it is
// a shared secret.
func (v *validator) externalID(path, id string) {
	if id != "" {
		v.check(path, externalIDPattern.MatchString(id) && len(id) >= 2 && len(id) <= 1224, "must be 2-1224 of letters, digits and +=,.@:/_- (value not shown)")
	}
}

func (v *validator) accountID(path, id string) {
	v.check(path, awsid.IsAccountID(id), "%q is not an account ID (12 digits; quote it in YAML)", id)
}

// samePartition checks that value, of partition, is in the partition of
// the home region: the scan's credentials reach one partition only.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
func (v *validator) samePartition(path, value, partition, home string) {
	if want := awsid.PartitionOf(home); partition != "" && regionPattern.MatchString(home) {
		v.check(path, partition == want, "%q is in partition %s, but region %s is in %s (a scan reaches one partition)", value, partition, home, want)
	}
}

func (v *validator) ou(path, ou string) {
	if strings.HasPrefix(ou, "ou-") || strings.HasPrefix(ou, "r-") {
		v.check(path, ouIDPattern.MatchString(ou), "%q is not an OU or root ID", ou)
		return
	}
	v.check(path, strings.HasPrefix(ou, "Root") && !strings.HasSuffix(ou, "/") && !strings.Contains(ou, "//"),
		"%q is neither an OU ID (ou-…, r-…) nor a path of OU names from the root (Root/Workloads/Prod)", ou)
}
