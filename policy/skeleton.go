package policy

// NOTE(skeleton): the declarations below are the contract; their bodies are
// placeholders that the policy engine issue replaces (and then deletes this
// file's placeholders).

// Policy is a parsed policy document. Name is a label the caller sets (e.g.
// "bucket policy", "SCP p-abc (DenyS3Delete)") to name it in explanations.
type Policy struct {
	Name       string
	Version    string // "2012-10-17", "2008-10-17" or "" (absent)
	ID         string
	Statements []Statement
	// Warnings are non-fatal findings of the parser (e.g. duplicate keys).
	Warnings []Warning
	// unreadable is set by Unreadable.
	unreadable bool
}

// Statement is one statement of a policy.
type Statement struct {
	Sid          string
	Index        int
	Effect       string // "Allow" or "Deny"
	Principal    *Principals
	NotPrincipal *Principals
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Conditions   []Condition
	Line, Column int // where the statement starts in the source
}

// Principals is the value of a Principal or NotPrincipal element.
type Principals struct {
	Wildcard      bool // "*"
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one (operator, key, values) triple of a Condition block.
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string
}

// Warning is a non-fatal problem in a policy, with its position.
type Warning struct {
	Line, Column int
	Code         string // stable identifier, e.g. "duplicate-key", "object-action-on-bucket-arn"
	Message      string
}

// ParseError is a policy that could not be parsed, with the position of the problem.
type ParseError struct {
	Line, Column int
	Msg          string
}

// Error returns "line L, column C: msg".
func (e *ParseError) Error() string { return "policy: not implemented" }

// Parse parses a policy document. Errors are *ParseError.
func Parse(data []byte) (*Policy, error) { panic("policy.Parse: not implemented") }

// Unreadable returns a placeholder for a policy that exists (or may exist)
// but could not be read: it may allow or deny anything, so decisions that
// depend on it are Unknown.
func Unreadable(name string) *Policy { return &Policy{Name: name, unreadable: true} }

// Context is the request context: each key is present with values, absent,
// or unknown. Keys are case-insensitive.
type Context struct{}

// NewContext returns an empty, closed-world context: keys not set are absent.
func NewContext() *Context { return &Context{} }

// Evaluate decides the request in with AWS's policy evaluation logic.
func Evaluate(in *Input) Result { panic("policy.Evaluate: not implemented") }

// IsPublic reports whether a bucket (resource) policy is public by S3's definition.
func IsPublic(p *Policy) bool { panic("policy.IsPublic: not implemented") }
