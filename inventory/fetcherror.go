package inventory

import "strings"

// FetchError is one read that failed, as an Errors map of a snapshot holds
// it: the AWS error code (or one of the scanner's codes: Timeout,
// ClientError, RegionUnknown, OrganizationNotRead...) and the message. In
// the snapshot it is the text "Code: message" (or "Code" alone), parsed
// once when the snapshot is decoded (UnmarshalText) and written back
// unchanged (MarshalText).
type FetchError struct {
	Code    string
	Message string
	// text is the snapshot's text when String would not give it back
	// (written by hand: "Timeout:", extra spaces); empty otherwise, so
	// that a parsed value equals the one built from its code and message.
	text string
}

// ParseFetchError splits an Errors value into its code and message: the
// code is the text before the first ':' when that is one word; otherwise
// (text written by hand, without a code) the whole text is the code. The
// text is kept when String would not give it back, so that it round-trips.
func ParseFetchError(text string) FetchError {
	e := FetchError{Code: text}
	if i := strings.Index(text, ":"); i > 0 && !strings.Contains(text[:i], " ") {
		e = FetchError{Code: text[:i], Message: strings.TrimSpace(text[i+1:])}
	}
	if e.String() != text {
		e.text = text
	}
	return e
}

// NewFetchError is the error with code and message as AWS (or the
// scanner) gave them: its text is "code: message" ("code" without a
// message), and it equals what that text reads back as (ParseFetchError),
// so that a document saved and loaded again holds the same errors.
func NewFetchError(code, message string) FetchError {
	if message == "" {
		return ParseFetchError(code)
	}
	return ParseFetchError(code + ": " + message)
}

// String is the snapshot's form: "Code: message", or "Code" when there is
// no message; for a parsed value, the text it was parsed from.
func (e FetchError) String() string {
	if e.text != "" {
		return e.text
	}
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Equal reports whether e and o are the same error, text included (go-cmp
// compares FetchErrors with it).
func (e FetchError) Equal(o FetchError) bool { return e == o }

// IsZero reports whether e records nothing (its text is empty); it does
// not build the text, so that lookups (Errors.Has) do not allocate.
func (e FetchError) IsZero() bool { return e.text == "" && e.Code == "" && e.Message == "" }

// MarshalText writes the snapshot's form (String), so that a FetchError
// encodes in JSON as the text an Errors map holds.
func (e FetchError) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText parses the snapshot's form (ParseFetchError).
func (e *FetchError) UnmarshalText(b []byte) error {
	*e = ParseFetchError(string(b))
	return nil
}

// Errors is an Errors map of a snapshot (Account.Errors, Bucket.Errors,
// KMSKey.Errors, Organization.Errors, ScanInfo.Errors...): what could not
// be read, keyed by the field (the Field* and Key* constants), each a
// FetchError. In JSON it is an object of "Code: message" texts.
type Errors map[string]FetchError

// Get returns the error recorded under key and whether one is.
func (m Errors) Get(key string) (FetchError, bool) {
	e, ok := m[key]
	return e, ok && !e.IsZero()
}

// Has reports whether an error is recorded under key.
func (m Errors) Has(key string) bool {
	_, ok := m.Get(key)
	return ok
}

// Text is the snapshot's text of the error under key ("" when none).
func (m Errors) Text(key string) string { return m[key].String() }

// Set records e under key, making the map when it is nil.
func (m *Errors) Set(key string, e FetchError) {
	if *m == nil {
		*m = Errors{}
	}
	(*m)[key] = e
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
