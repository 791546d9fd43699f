// Package config loads and validates bucketaudit's scan configuration:
// defaults, then the YAML file, then command-line flags. Unknown keys are
// errors, and Validate reports every problem at once, each with its key path
// and the line it came from.
package config

import (
	"time"
)

// Output formats a scan can write.
const (
	FormatXLSX = "xlsx"
	FormatJSON = "json"
	FormatCSV  = "csv"
	FormatOCSF = "ocsf" // OCSF 1.6.0 IAM Analysis Finding events, report.ocsf.jsonl
)

// Config is a scan configuration. The zero value is not useful: start from
// Default or Load.
type Config struct {
	// Region is the home region: where the global services (Organizations,
	// STS, IAM, S3 Control, ListBuckets) are called. Unless the file or a
	// flag sets it, the AWS environment chooses it (AWS_REGION,
	// AWS_DEFAULT_REGION, the profile's region; SetHomeRegion), else
	// us-east-1.
	Region string `yaml:"region"`
	// Profile is the shared-config profile of the scanning credentials;
	// empty means the SDK's default chain.
	Profile string `yaml:"profile"`
	// EndpointURL points every AWS client at one URL (an emulator such as
	// fakeaws, or a proxy); empty means the real AWS endpoints.
	EndpointURL     string           `yaml:"endpoint_url"`
	Organization    Organization     `yaml:"organization"`
	Accounts        []Account        `yaml:"accounts"`
	AuditRole       AuditRole        `yaml:"audit_role"`
	Scope           Scope            `yaml:"scope"`
	Concurrency     Concurrency      `yaml:"concurrency"`
	RateLimit       RateLimit        `yaml:"rate_limit"`
	Retry           Retry            `yaml:"retry"`
	Timeouts        Timeouts         `yaml:"timeouts"`
	TrustedAccounts []TrustedAccount `yaml:"trusted_accounts"`
	Collect         Collect          `yaml:"collect"`
	Outputs         Outputs          `yaml:"outputs"`
	// Mutelist is the path of a file of accepted findings (LoadMutelist);
	// empty means none.
	Mutelist string `yaml:"mutelist"`

	// file is the path the configuration was read from ("" for defaults).
	file string
	// sources maps a key path ("audit_role.duration") to where its value
	// came from: "config.yaml:12" or "flag --output-dir".
	sources map[string]string
	// digest is the SHA-256 of the file's bytes (hex), "" without a file.
	digest string
}

// Organization says how to read AWS Organizations.
type Organization struct {
	// ManagementRoleARN, when set, is assumed before any Organizations call
	// (scanning from a delegated or security account).
	ManagementRoleARN string `yaml:"management_role_arn"`
	// ExternalID is sent when assuming ManagementRoleARN, if set; it may be
	// "${ENV_VAR}" like audit_role.external_id.
	ExternalID string `yaml:"external_id"`
}

// Account is an account to scan when Organizations cannot be read.
type Account struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// AuditRole is the read-only role assumed in every account.
type AuditRole struct {
	Name string `yaml:"name"`
	Path string `yaml:"path"`
	// ExternalID may be "${ENV_VAR}" (or contain such references); Load
	// replaces them with the variables' values.
	ExternalID  string        `yaml:"external_id"`
	SessionName string        `yaml:"session_name"`
	Duration    time.Duration `yaml:"duration"`
	// RefreshBeforeExpiry is how long before a session expires its
	// credentials are renewed.
	RefreshBeforeExpiry time.Duration `yaml:"refresh_before_expiry"`
}

// Scope limits which accounts and regions are scanned. OUs are named by ID
// (ou-xxxx-yyyyyyyy, r-xxxx) or by path of names from the root
// ("Root/Workloads/Prod"); an OU includes its descendants.
type Scope struct {
	IncludeOUs      []string `yaml:"include_ous"`
	ExcludeOUs      []string `yaml:"exclude_ous"`
	IncludeAccounts []string `yaml:"include_accounts"`
	ExcludeAccounts []string `yaml:"exclude_accounts"`
	Regions         []string `yaml:"regions"`
}

// Concurrency bounds the fan-out of a scan.
type Concurrency struct {
	// Accounts whose buckets are started at the same time; the scan uses
	// at least Requests/4, so that the request cap bounds it.
	Accounts int `yaml:"accounts"`
	// Buckets scanned at the same time within one account.
	Buckets int `yaml:"buckets"`
	// Requests caps the AWS API calls in flight across the whole scan.
	Requests int `yaml:"requests"`
}

// RateLimit is a token bucket per account and service.
type RateLimit struct {
	// RequestsPerSecond per account and service; 0 disables the limit.
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	Burst             int     `yaml:"burst"`
}

// Retry tunes the SDK's retryer.
type Retry struct {
	// MaxAttempts per call, the first one included.
	MaxAttempts int           `yaml:"max_attempts"`
	MaxBackoff  time.Duration `yaml:"max_backoff"`
}

// Timeouts bound each call.
type Timeouts struct {
	// Call bounds one HTTP attempt of one API call.
	Call time.Duration `yaml:"call"`
}

// TrustedAccount is an account outside the organisation that is a known partner.
type TrustedAccount struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// Collect switches optional layers on and off.
type Collect struct {
	IAM          bool `yaml:"iam"`
	VPCEndpoints bool `yaml:"vpc_endpoints"`
	KMS          bool `yaml:"kms"`
	// Versioning and Tags read GetBucketVersioning and GetBucketTagging
	// for every bucket: no verdict or finding depends on them, so they are
	// off unless asked for (a bucket then lists them as not collected).
	Versioning bool `yaml:"versioning"`
	Tags       bool `yaml:"tags"`
}

// Outputs says where reports go.
type Outputs struct {
	Dir     string   `yaml:"dir"`
	Formats []string `yaml:"formats"`
	// PrincipalsPerCell is the most principals a matrix cell of the
	// reports lists (principal_access; 0: all of them). A cell with more
	// lists the first ones and counts them all (principals_total);
	// `bucketaudit who-can` lists them all. It caps an org cell's list of
	// allowed member accounts alike (accounts; allowed_accounts counts
	// them), and a same_account or narrowed org cell's principals (those
	// of its first principal_access entries; principals_more counts the
	// others).
	PrincipalsPerCell int `yaml:"principals_per_cell"`
}

// DefaultPrincipalsPerCell is outputs.principals_per_cell's default
// (access.DefaultPrincipalsPerCell: the same bound as the assume-role
// paths kept per role).
const DefaultPrincipalsPerCell = 200

// Default returns the configuration that applies when neither the file nor
// a flag says otherwise.
func Default() *Config {
	return &Config{
		Region: "us-east-1",
		AuditRole: AuditRole{
			Name:                "BucketAuditRole",
			Path:                "/",
			SessionName:         "bucketaudit",
			Duration:            time.Hour,
			RefreshBeforeExpiry: 5 * time.Minute,
		},
		Concurrency: Concurrency{Accounts: 16, Buckets: 16, Requests: 64},
		RateLimit:   RateLimit{RequestsPerSecond: 200, Burst: 100},
		Retry:       Retry{MaxAttempts: 10, MaxBackoff: 20 * time.Second},
		Timeouts:    Timeouts{Call: 30 * time.Second},
		Collect:     Collect{IAM: true, VPCEndpoints: true, KMS: true},
		Outputs:     Outputs{Dir: "bucketaudit-report", Formats: []string{FormatXLSX, FormatJSON, FormatCSV}, PrincipalsPerCell: DefaultPrincipalsPerCell},
		sources:     map[string]string{},
	}
}

// RegionSet reports whether the home region was given by the file or a
// flag (region: "" gives none); otherwise the AWS environment chooses it
// (SetHomeRegion).
func (c *Config) RegionSet() bool { return c.Region != "" && c.source("region") != "" }

// SetHomeRegion sets the home region that the AWS environment resolved
// (AWS_REGION, AWS_DEFAULT_REGION, the profile's region), unless the file or
// a flag set one.
func (c *Config) SetHomeRegion(region string) {
	if !c.RegionSet() && region != "" {
		c.Region = region
	}
}

// File returns the path the configuration was read from ("" when none).
func (c *Config) File() string { return c.file }

// Digest returns the SHA-256 (hex) of the configuration file's bytes, or ""
// when no file was read. Secrets given as ${ENV_VAR} are not in it.
func (c *Config) Digest() string { return c.digest }

// TrustedAccountMap returns the trusted accounts keyed by ID, labelled by name.
func (c *Config) TrustedAccountMap() map[string]string {
	if len(c.TrustedAccounts) == 0 {
		return nil
	}
	m := make(map[string]string, len(c.TrustedAccounts))
	for _, t := range c.TrustedAccounts {
		m[t.ID] = t.Name
	}
	return m
}

// source returns where the value at path came from, or "" for a default.
func (c *Config) source(path string) string {
	if c.sources == nil {
		return ""
	}
	if s, ok := c.sources[path]; ok {
		return s
	}
	return ""
}

// setSource records where the value at path came from.
func (c *Config) setSource(path, src string) {
	if c.sources == nil {
		c.sources = map[string]string{}
	}
	c.sources[path] = src
}
