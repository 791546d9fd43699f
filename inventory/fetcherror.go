package inventory

import "strings"

// FetchError is one read that failed, as an Errors map of a snapshot holds
// it: the AWS error code (or one of the scanner's codes: Timeout,
// ClientError, RegionUnknown, OrganizationNotRead...) and the message. In
// the snapshot it is the text "Code: message" (or "Code" alone).
type FetchError struct {
	Code    string
	Message string
}

// ParseFetchError splits an Errors value into its code and message: the
// code is the text before the first ':' when that is one word; otherwise
// (text written by hand, without a code) the whole text is the code.
func ParseFetchError(text string) FetchError {
	if i := strings.Index(text, ":"); i > 0 && !strings.Contains(text[:i], " ") {
		return FetchError{Code: text[:i], Message: strings.TrimSpace(text[i+1:])}
	}
	return FetchError{Code: text}
}

// String is the snapshot's form: "Code: message", or "Code" when there is
// no message.
func (e FetchError) String() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// MarshalText writes the snapshot's form (String), so that a FetchError
// encodes in JSON as the text an Errors map holds.
func (e FetchError) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText parses the snapshot's form (ParseFetchError).
func (e *FetchError) UnmarshalText(b []byte) error {
	*e = ParseFetchError(string(b))
	return nil
}

// Errors map keys beyond the bucket fields (Field*) and FieldOrganization.
const (
	// Account.Errors keys.
	KeyAssumeRole         = "assume_role"
	KeyPublicAccessBlock  = "public_access_block"
	KeyBuckets            = "buckets"
	KeyIAM                = "iam"
	KeyScan               = "scan"
	KeyVPCEndpointsPrefix = "vpc_endpoints:" // + region
	// KMSKey.Errors keys.
	KeyDescribeKey = "describe_key"
	KeyKeyPolicy   = "policy"
	KeyGrants      = "grants"
	KeyAliases     = "aliases"
	// OrgPolicy.Errors key.
	KeyDocument = "document"
	// Organization.Errors, OU.Errors and organisation member key (see also
	// AccountPoliciesErrorKey).
	KeyPolicies = "policies"
	// OU.Errors keys: its child OUs and its accounts could not be listed.
	KeyOUs      = "ous"
	KeyAccounts = "accounts"
	// Organisation member key: its tags could not be read.
	KeyTags = "tags"
)
