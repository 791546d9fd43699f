package model

import (
	"fmt"
	"strings"
)

// The report's vocabularies: severities, the layers of decided_by, the
// principal classes of the matrix and the exposure classes of a bucket,
// each with the glossary text that the workbook's Method sheet, the
// summaries and the explain output render. Their values are report.json's
// strings (the types are strings, so the JSON form is unchanged).

// Severity is how bad a finding is (Severity*, most severe first).
type Severity string

// Severities lists the severities, most severe first.
func Severities() []Severity {
	return []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}
}

// Rank orders severities, most severe first (critical is 0); a name that is
// not a severity ranks after all of them (len(Severities())).
func (s Severity) Rank() int {
	switch s {
	case SeverityCritical:
		return 0
	case SeverityHigh:
		return 1
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 3
	case SeverityInfo:
		return 4
	}
	return 5
}

// Valid reports whether s is one of Severities.
func (s Severity) Valid() bool { return s.Rank() < len(Severities()) }

// AtLeast reports whether s is at least as severe as min.
func (s Severity) AtLeast(min Severity) bool { return s.Rank() <= min.Rank() }

// ParseSeverity returns the severity named s, or an error listing the
// severities.
func ParseSeverity(s string) (Severity, error) {
	if v := Severity(s); v.Valid() {
		return v, nil
	}
	return "", fmt.Errorf("unknown severity %q (want %s)", s, SeverityNames())
}

// SeverityNames is the severities, most severe first, comma-separated (for
// usage and error messages).
func SeverityNames() string {
	names := make([]string, 0, 5)
	for _, s := range Severities() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}

// SeverityAtLeast reports whether severity s is at least as severe as min.
func SeverityAtLeast(s, min Severity) bool { return s.AtLeast(min) }

// Layer is a name in Cell.DecidedBy (Layer*; the constants are untyped so
// that decided_by stays a []string).
type Layer string

// Description is the glossary text of the layer ("" for a name that is not
// a layer).
func (l Layer) Description() string {
	switch l {
	case LayerSCP:
		return "service control policies of the caller's account (every OU level from the root)"
	case LayerRCP:
		return "resource control policies of the bucket's account"
	case LayerBPA:
		return "S3 Block Public Access, account OR bucket setting"
	case LayerBucketPolicy:
		return "the bucket policy"
	case LayerACL:
		return "the bucket ACL (only when Object Ownership is not BucketOwnerEnforced)"
	case LayerKMS:
		return "the SSE-KMS key policy and grants of the bucket's default key"
	case LayerIdentity:
		return "the caller's identity (IAM) policies"
	case LayerVPCE:
		return "the VPC endpoint policy"
	}
	return ""
}

// Class is a principal class of the matrix: a key of Access in report.json.
type Class string

// Principal classes, in the matrix's column order.
const (
	ClassPublic      = "public"
	ClassAnyAWS      = "any_aws"
	ClassOrg         = "org"
	ClassExternal    = "external"
	ClassSameAccount = "same_account"
)

// Classes lists the principal classes in the matrix's column order.
func Classes() []Class {
	return []Class{ClassPublic, ClassAnyAWS, ClassOrg, ClassExternal, ClassSameAccount}
}

// Description is the glossary text of the class: who its callers are (""
// for a name that is not a class).
func (c Class) Description() string {
	switch c {
	case ClassPublic:
		return "anonymous, unsigned requests"
	case ClassAnyAWS:
		return "any authenticated principal of any AWS account outside the organisation"
	case ClassOrg:
		return "a principal of another member account whose own identity policy grants the action; the why column says how many member accounts' SCPs permit it"
	case ClassExternal:
		return "each specific account outside the organisation named by a bucket policy, ACL grant or KMS key policy; the Matrix shows the widest verdict among them, the External access sheet one row per account"
	case ClassSameAccount:
		return "a principal of the owning account whose identity policy grants the action"
	}
	return ""
}

// Exposure is a bucket's verdict class for summaries (Bucket.Exposure,
// Exposure*; the constants are untyped so that the field stays a string).
type Exposure string

// Description is the glossary text of the exposure class ("" for a name
// that is not one).
func (e Exposure) Description() string {
	switch e {
	case ExposurePublic:
		return "anonymous callers or any AWS account can reach it (allow or conditional)"
	case ExposureExternal:
		return "a specific account outside the organisation can reach it"
	case ExposureOrg:
		return "principals of other member accounts can reach it, nobody outside the organisation"
	case ExposurePrivate:
		return "only principals of the owning account can reach it"
	case ExposureUnknown:
		return "nothing exposes it for certain, but a layer that could decide was not readable"
	}
	return ""
}

// Description is the glossary text of the verdict.
func (v Verdict) Description() string {
	switch v {
	case VerdictAllow:
		return "The request is allowed, decided with the data collected; where the why column says 'only for principals with', only for the principals named (an ARN pattern, account, organisation or principal tag: who the caller is, not a request condition)."
	case VerdictDeny:
		return "The request is denied (explicitly or implicitly), decided with the data collected."
	case VerdictConditional:
		return "Allowed only when request-context conditions hold that a scanner cannot know (source IP, VPC endpoint, MFA, time, request tags, encryption headers …); the why column lists them."
	case VerdictUnknown:
		return "A layer that could decide was not readable (e.g. AccessDenied on GetBucketPolicy). bucketaudit never reports allow or deny from data it did not read."
	}
	return ""
}

// Exposure classes of a bucket, for summaries.
const (
	ExposurePublic   = "public"   // anonymous or any AWS account can (conditionally) reach it
	ExposureExternal = "external" // a specific account outside the organisation can
	ExposureOrg      = "org"      // other member accounts can
	ExposurePrivate  = "private"  // only the owning account
	ExposureUnknown  = "unknown"  // nothing exposes it for certain, but some cell is unknown
)

// Exposures lists the exposure classes, most exposed first.
func Exposures() []string {
	return []string{ExposurePublic, ExposureExternal, ExposureOrg, ExposurePrivate, ExposureUnknown}
}

// ActionNames returns the columns' keys in report.json, in report order.
func ActionNames() [5]string { return [5]string{"read", "list", "write", "delete", "manage"} }

// Layers returns decided_by's layer names in the order cells list them.
func Layers() []string {
	return []string{LayerSCP, LayerRCP, LayerBPA, LayerBucketPolicy, LayerACL, LayerKMS, LayerIdentity, LayerVPCE}
}
