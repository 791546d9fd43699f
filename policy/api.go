// Package policy implements the AWS IAM policy language: it parses policy
// documents with every quirk AWS accepts, evaluates a request against the
// policies of every layer with AWS's documented logic, explains which
// statements decided, and knows S3's definition of a public bucket policy.
//
// Evaluation is three-valued: a request-context key can be present, absent
// or unknown (see Context). With unknown keys the decision can be
// Conditional, carrying the conditions it depends on; with a policy that
// could not be read (Unreadable) it can be Unknown. Nothing is guessed.
//
// The package imports no AWS SDK and nothing else of ours but
// internal/awsid (partitions, ARNs and account IDs).
package policy

import "strings"

// Decision is the outcome of an evaluation.
type Decision uint8

// Decisions. The zero value is ImplicitDeny, as in AWS.
const (
	ImplicitDeny Decision = iota // no statement allows (or a required layer does not)
	Allow
	ExplicitDeny
	// Conditional: allowed only when conditions on unknown context keys
	// hold (Result.Conditions), denied otherwise.
	Conditional
	// Unknown: a policy that could not be read (Unreadable) could change the
	// decision, and no other layer decides it for certain.
	Unknown
)

// String returns "implicit_deny", "allow", "explicit_deny", "conditional" or "unknown".
func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "implicit_deny"
	case Allow:
		return "allow"
	case ExplicitDeny:
		return "explicit_deny"
	case Conditional:
		return "conditional"
	case Unknown:
		return "unknown"
	}
	return "invalid"
}

// Layer names a kind of policy in AWS's evaluation logic.
type Layer uint8

// Layers, in AWS's evaluation order.
const (
	LayerSCP Layer = iota
	LayerRCP
	LayerResource
	LayerIdentity
	LayerBoundary
	LayerSession
	LayerVPCE
	LayerBPA   // the effect of S3 Block Public Access RestrictPublicBuckets
	LayerGrant // resource-side grants that are not a policy: S3 ACL grants, KMS grants (Input.Grants)
)

// String returns "scp", "rcp", "resource", "identity", "permission_boundary",
// "session", "vpce", "bpa" or "grant".
func (l Layer) String() string {
	switch l {
	case LayerSCP:
		return "scp"
	case LayerRCP:
		return "rcp"
	case LayerResource:
		return "resource"
	case LayerIdentity:
		return "identity"
	case LayerBoundary:
		return "permission_boundary"
	case LayerSession:
		return "session"
	case LayerVPCE:
		return "vpce"
	case LayerBPA:
		return "bpa"
	case LayerGrant:
		return "grant"
	}
	return "invalid"
}

// Input is one request and every policy that applies to it. Policies are
// parsed once (Parse) and shared between inputs; Evaluate does not modify them.
type Input struct {
	// Principal is the caller: an IAM user, role, assumed-role session,
	// federated-user or account-root ARN; the string "anonymous" for an
	// unsigned request; or "" for a caller known only through Context
	// (aws:PrincipalArn, aws:PrincipalAccount, which may be unknown: the
	// access matrix's principal classes).
	Principal string
	// Action is "service:Action", e.g. "s3:GetObject".
	Action string
	// Resource is the ARN acted on, e.g. "arn:aws:s3:::bucket/key".
	Resource string
	// ResourceAccount owns the resource (S3 ARNs carry no account).
	ResourceAccount string
	// Context holds the request context. aws:PrincipalArn and
	// aws:PrincipalAccount are derived from Principal when not set.
	Context *Context
	// BaseContext, when not nil, is consulted after Context: a key that no
	// context of Context's chain sets is BaseContext's (its chain's), the
	// key prefixes of both count, and BaseContext, not Context, decides
	// whether keys neither sets are unknown (open world) or absent. Keys
	// that vary apart (a caller's in Context, the resource owner's in
	// BaseContext) are so held once each, with no context per combination.
	BaseContext *Context

	IdentityPolicies   []*Policy
	PermissionBoundary *Policy
	SessionPolicy      *Policy
	ResourcePolicy     *Policy
	// SCPs holds one list per level, root first, account last. nil means
	// the principal is not governed by SCPs (management account, anonymous,
	// service principals).
	SCPs [][]*Policy
	// RCPs holds one list per level like SCPs; RCPFullAWSAccess is implicit
	// at every level. nil means the resource is not governed by RCPs
	// (management account's resources, AWS-managed KMS keys).
	RCPs [][]*Policy
	// VPCEndpointPolicies apply when the request travels through VPC
	// endpoints (each must allow).
	VPCEndpointPolicies []*Policy
	// Grants are resource-side grants that are not a resource policy, as
	// Allow statements with a Principal (S3 bucket/object ACL grants, KMS
	// grants): they count like ResourcePolicy allows (same account: identity
	// OR resource OR grants; cross account: identity AND (resource OR
	// grants); they satisfy RequireResourcePolicy), but RestrictPublicBuckets
	// and the public test do not concern them. Reported as LayerGrant.
	Grants *Policy
	// RequireResourcePolicy: the resource side must allow even within the
	// resource's account (KMS key policies, role trust policies); a grant to
	// the account root then delegates to IAM policies. Set automatically for
	// KMS key ARNs and sts:AssumeRole* on role ARNs.
	RequireResourcePolicy bool
	// RestrictPublicBuckets is the effective S3 Block Public Access flag:
	// a public resource policy then grants nothing to principals outside the
	// resource account (AWS service principals excepted).
	RestrictPublicBuckets bool
	// Trace asks for Result.Layers (the per-layer checklist).
	Trace bool
}

// StatementRef names a statement that took part in a decision.
type StatementRef struct {
	Layer  Layer  `json:"layer"`
	Level  int    `json:"level,omitempty"` // SCP/RCP level (0 = root)
	Policy string `json:"policy"`          // Policy.Name
	Sid    string `json:"sid,omitempty"`
	Index  int    `json:"index"` // position in the policy's Statement list
	Effect string `json:"effect"`
	// Origin is the policy's Origin (nil when it has none).
	Origin *Origin `json:"-"`
}

// Requirement is one condition on an unknown context key that a
// Conditional decision depends on: a policy condition (Key, Operator in its
// canonical spelling, Values with the known policy variables substituted),
// evaluated exactly as AWS evaluates that condition on the real request.
// Negated means the request must not satisfy it (it comes from a Deny
// statement). Two pseudo keys describe other undecided facts: "Resource"
// (ArnLike/ArnNotLike: a Resource pattern whose policy variable is unknown)
// and "Principal" (AWS: the caller is that role session).
type Requirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values"`
	Negated  bool     `json:"negated,omitempty"`
}

// String returns e.g. "aws:SourceVpce StringEquals vpce-1" or
// "not (aws:SecureTransport Bool false)"; several values are joined by ", ".
func (q Requirement) String() string {
	s := q.Key + " " + q.Operator + " " + strings.Join(q.Values, ", ")
	if q.Negated {
		return "not (" + s + ")"
	}
	return s
}

// LayerResult is one row of the evaluation checklist (Input.Trace).
type LayerResult struct {
	Layer Layer `json:"layer"`
	Level int   `json:"level,omitempty"`
	// Applies is false when the layer is not involved (no such policy, or
	// not governing this principal/resource).
	Applies bool `json:"applies"`
	// Outcome: Allow (a statement allows), ExplicitDeny, ImplicitDeny (no
	// statement matches), Conditional or Unknown.
	Outcome    Decision       `json:"outcome"`
	Statements []StatementRef `json:"statements,omitempty"`
	Conditions []Requirement  `json:"conditions,omitempty"`
}

// Result is the outcome of Evaluate.
type Result struct {
	Decision Decision `json:"decision"`
	// DecidedBy lists the deciding layers: for ExplicitDeny the layers with a
	// matching Deny; for ImplicitDeny the layers that failed to allow; for
	// Allow the layers whose Allow was needed; for Conditional and Unknown the
	// layers whose uncertainty decides.
	DecidedBy []Layer `json:"decided_by,omitempty"`
	// Statements are the deciding statements.
	Statements []StatementRef `json:"statements,omitempty"`
	// Conditions are, for Conditional, what must hold for the request to be
	// allowed: all of them. When the decision has several alternatives
	// (e.g. two Allow statements with different conditions), Conditions
	// holds only what every alternative requires and Alternatives says the
	// rest.
	Conditions []Requirement `json:"conditions,omitempty"`
	// Alternatives is, for Conditional, the full condition in disjunctive
	// normal form: the request is allowed iff every requirement of at least
	// one alternative holds. Empty when Complex.
	Alternatives [][]Requirement `json:"alternatives,omitempty"`
	// Complex is set when the alternatives were too many to list;
	// Conditions then names every condition involved.
	Complex bool `json:"complex,omitempty"`
	// Unreadable names, for Unknown, the unreadable policies (Policy.Name)
	// the decision depends on.
	Unreadable []string `json:"unreadable,omitempty"`
	// Layers is the per-layer checklist, in evaluation order (Input.Trace only).
	Layers []LayerResult `json:"layers,omitempty"`
}

// ConditionStrings renders a Conditional result's condition, one string per
// alternative: "a and b" (or "a" alone) for each way the request can be
// allowed.
func (r *Result) ConditionStrings() []string {
	if r.Complex || len(r.Alternatives) == 0 {
		out := make([]string, len(r.Conditions))
		for i, q := range r.Conditions {
			out[i] = q.String()
		}
		return out
	}
	out := make([]string, len(r.Alternatives))
	for i, alt := range r.Alternatives {
		parts := make([]string, len(alt))
		for j, q := range alt {
			parts[j] = q.String()
		}
		out[i] = strings.Join(parts, " and ")
	}
	return out
}

// MarshalText makes a Decision a JSON string ("allow", ...).
func (d Decision) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// MarshalText makes a Layer a JSON string ("scp", ...).
func (l Layer) MarshalText() ([]byte, error) { return []byte(l.String()), nil }
