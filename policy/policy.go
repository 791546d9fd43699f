package policy

import (
	"fmt"
	"slices"
)

// Policy is a parsed policy document. Name is a label the caller sets (e.g.
// "bucket policy", "SCP p-abc (DenyS3Delete)") to name it in explanations.
type Policy struct {
	Name string
	// Origin says where the policy comes from, when the caller set it: the
	// fixes that name the policy read its ID there, not in Name.
	Origin     *Origin
	Version    string // "2012-10-17", "2008-10-17" or "" (absent)
	ID         string
	Statements []Statement
	// Warnings are non-fatal findings of the parser (e.g. duplicate keys).
	Warnings []Warning
	// unreadable is set by Unreadable.
	unreadable bool
	// prog is the compiled form that Evaluate runs, built by Parse.
	prog *program
}

// Origin is where a policy comes from, as structured data: its Kind (e.g.
// "SCP", "RCP"), the ID AWS gives it (an Organizations policy ID p-…) and
// its Name. What an SCP or RCP is attached to is the level of the chain it
// is evaluated at (StatementRef.Level), not a property of the policy.
type Origin struct {
	Kind, ID, Name string
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
	Resource     []string // nil when the statement has neither Resource nor NotResource
	NotResource  []string
	Conditions   []Condition
	Line, Column int // where the statement starts in the source
	// Elements holds where each element of the statement ("Action",
	// "Resource", "Principal", "Condition", ...) starts in the source.
	Elements ElementPos
}

// ElementPos holds where each element of a statement starts in its source,
// by element in statementElements' order (in the statement's own memory: a
// map a statement cost two allocations); a zero Pos for an element not
// written, and in a policy built in code.
type ElementPos [len(statementElements)]Pos

// Get returns where element name ("Action", "Resource", "Principal",
// "Condition", ...) starts; false when the statement has none written.
func (e *ElementPos) Get(name string) (Pos, bool) {
	i := slices.Index(statementElements[:], name)
	if i < 0 || e[i] == (Pos{}) {
		return Pos{}, false
	}
	return e[i], true
}

// Pos is a 1-based line and column in a policy's source.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
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
	Values   []string // JSON numbers and booleans as their text
}

// Warning is a non-fatal problem in a policy, with its position.
type Warning struct {
	Line, Column int
	Code         string // stable identifier, e.g. "duplicate-key", "object-action-on-bucket-arn"
	Message      string
	// Statement names the statement concerned (its Sid, or "#index"), if any.
	Statement string `json:",omitempty"`
}

// String returns "line L, column C: message".
func (w Warning) String() string {
	return fmt.Sprintf("line %d, column %d: %s (%s)", w.Line, w.Column, w.Message, w.Code)
}

// ParseError is a policy that could not be parsed, with the position of the problem.
type ParseError struct {
	Line, Column int
	Msg          string
}

// Error returns "line L, column C: msg".
func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Unreadable returns a placeholder for a policy that exists (or may exist)
// but could not be read: it may allow or deny anything, so decisions that
// depend on it are Unknown.
func Unreadable(name string) *Policy { return &Policy{Name: name, unreadable: true} }

// IsUnreadable reports whether p is a placeholder made by Unreadable.
func (p *Policy) IsUnreadable() bool { return p != nil && p.unreadable }

// label names a statement for explanations and warnings: its Sid, or
// "#index" when it has none.
func (s *Statement) label() string {
	if s.Sid != "" {
		return s.Sid
	}
	return fmt.Sprintf("#%d", s.Index)
}
