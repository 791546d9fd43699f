package policy

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Versions of the policy language.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Parse parses a policy document. Errors are *ParseError. The result carries
// non-fatal findings in Warnings (duplicate keys: the last one wins, as in AWS).
func Parse(data []byte) (*Policy, error) { return parseWith(data, parseNode) }

// parseWith parses a policy document, building it with node.
func parseWith(data []byte, node func(*jparser, *jnode) (*Policy, error)) (*Policy, error) {
	// The parser and the first room of its stacks of members and elements
	// in one allocation (most documents nest fewer).
	x := &struct {
		jp      jparser
		members [16]jmember
		elems   [16]*jnode
	}{}
	jp := &x.jp
	jp.src, jp.members, jp.elems = string(data), x.members[:0], x.elems[:0]
	root, err := jp.parseDocument()
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			l, c := jp.position(se.off)
			return nil, &ParseError{Line: l, Column: c, Msg: "invalid JSON: " + se.msg}
		}
		return nil, err
	}
	return node(jp, root)
}

// parseNode builds and compiles the policy of a parsed JSON value (positions
// are those of jp's document).
func parseNode(jp *jparser, root *jnode) (*Policy, error) {
	p, err := buildNode(jp, root)
	if err != nil {
		return nil, err
	}
	prog, err := compile(p)
	if err != nil {
		return nil, err
	}
	p.prog = prog
	return p, nil
}

// buildNode builds the policy of a parsed JSON value, uncompiled.
func buildNode(jp *jparser, root *jnode) (*Policy, error) {
	b := &builder{jp: jp, stmtIndex: -1}
	p, err := b.policy(root)
	if err != nil {
		return nil, err
	}
	p.Warnings = b.warnings
	return p, nil
}

// newPolicy returns a Policy with room for n statements (Statements of
// length 0): a policy of one or two statements (the common cases) in one
// allocation with them.
func newPolicy(n int) *Policy {
	p, stmts := withRoom[Policy, Statement](n)
	p.Statements = stmts[:0]
	return p
}

// builder turns the JSON tree into a Policy, checking the grammar.
type builder struct {
	jp       *jparser
	warnings []Warning
	stmt     string // Sid of the statement being built, for warnings
	// stmtIndex is the index of the statement being built (-1 outside).
	stmtIndex int
	// strs is room for the policy's lists of strings (takeStrings).
	strs []string
	// prins is room for the policy's Principal and NotPrincipal elements
	// (newPrincipals).
	prins []Principals
}

// newPrincipals returns a Principals of the room of b's policy (a new
// allocation once it is used up).
func (b *builder) newPrincipals() *Principals {
	if len(b.prins) == cap(b.prins) {
		return &Principals{}
	}
	b.prins = b.prins[:len(b.prins)+1]
	return &b.prins[len(b.prins)-1]
}

// takeStrings returns a list of n strings from the room of b's policy
// (allocated in chunks sized from the document, about one string per 48
// bytes), capped at n so that an append to it copies.
func (b *builder) takeStrings(n int) []string {
	if n > cap(b.strs)-len(b.strs) {
		b.strs = make([]string, 0, max(n, min(32, len(b.jp.src)/48+2)))
	}
	l := len(b.strs)
	b.strs = b.strs[:l+n]
	return b.strs[l : l+n : l+n]
}

func (b *builder) errAt(off int, format string, a ...any) error {
	l, c := b.jp.position(off)
	return &ParseError{Line: l, Column: c, Msg: fmt.Sprintf(format, a...)}
}

func (b *builder) warn(off int, code, format string, a ...any) {
	l, c := b.jp.position(off)
	stmt := b.stmt
	if stmt == "" && b.stmtIndex >= 0 {
		stmt = "#" + strconv.Itoa(b.stmtIndex)
	}
	b.warnings = append(b.warnings, Warning{Line: l, Column: c, Code: code, Message: fmt.Sprintf(format, a...), Statement: stmt})
}

func (b *builder) pos(off int) Pos {
	l, c := b.jp.position(off)
	return Pos{Line: l, Column: c}
}

// fields returns an object's members with duplicates resolved as AWS does
// (the last one wins, with a warning), checking each key against allowed.
// allowed == nil accepts any key.
// The object is named what followed by of, only when an error or a
// warning names it.
func (b *builder) fields(n *jnode, what, of string, allowed []string) ([]jmember, error) {
	if len(n.members) <= 16 && allowedNoDup(n.members, allowed) {
		return n.members, nil // the common case: nothing to resolve or report
	}
	if what == "statement" {
		what = "statement " + strconv.Itoa(b.stmtIndex)
	}
	what += of
	out := make([]jmember, 0, len(n.members))
	var seen map[string]int // only for large objects; small ones are scanned
	if len(n.members) > 16 {
		seen = make(map[string]int, len(n.members))
	}
	for _, m := range n.members {
		if allowed != nil && !slices.Contains(allowed, m.key) {
			hint := ""
			for _, a := range allowed {
				if strings.EqualFold(a, m.key) {
					hint = fmt.Sprintf(" (element names are case-sensitive: %q)", a)
				}
			}
			return nil, b.errAt(m.keyOff, "unknown element %q in %s%s", m.key, what, hint)
		}
		i, dup := -1, false
		if seen != nil {
			i, dup = seen[m.key]
		} else if i = memberIndex(out, m.key); i >= 0 {
			dup = true
		}
		if dup {
			b.warn(m.keyOff, LintDuplicateKey, "duplicate key %q in %s: the last one wins, as in AWS", m.key, what)
			out[i] = m
			continue
		}
		if seen != nil {
			seen[m.key] = len(out)
		}
		out = append(out, m)
	}
	return out, nil
}

// allowedNoDup reports whether every key is allowed (nil allows all) and
// appears once.
func allowedNoDup(members []jmember, allowed []string) bool {
	for i, m := range members {
		if allowed != nil && !slices.Contains(allowed, m.key) || memberIndex(members[:i], m.key) >= 0 {
			return false
		}
	}
	return true
}

func memberIndex(members []jmember, key string) int {
	for i := range members {
		if members[i].key == key {
			return i
		}
	}
	return -1
}

func (b *builder) policy(root *jnode) (*Policy, error) {
	if root.kind != jObject {
		return nil, b.errAt(root.off, "a policy must be a JSON object, not %s", root.kind)
	}
	members, err := b.fields(root, "the policy", "", []string{"Version", "Id", "Statement"})
	if err != nil {
		return nil, err
	}
	var version, id string
	var stmt *jnode
	for _, m := range members {
		switch m.key {
		case "Version":
			if m.val.kind != jString {
				return nil, b.errAt(m.val.off, "Version must be a string, not %s", m.val.kind)
			}
			if m.val.str != Version2012 && m.val.str != Version2008 {
				return nil, b.errAt(m.val.off, "unsupported Version %q: expected %q or %q", m.val.str, Version2012, Version2008)
			}
			version = m.val.str
		case "Id":
			if m.val.kind != jString {
				return nil, b.errAt(m.val.off, "Id must be a string, not %s", m.val.kind)
			}
			id = m.val.str
		case "Statement":
			stmt = m.val
		}
	}
	if stmt == nil {
		return nil, b.errAt(root.off, "the policy has no Statement element")
	}
	stmts := []*jnode{stmt}
	switch stmt.kind {
	case jObject:
	case jArray:
		if len(stmt.elems) == 0 {
			return nil, b.errAt(stmt.off, "the Statement list is empty")
		}
		for i, e := range stmt.elems {
			if e.kind != jObject {
				return nil, b.errAt(e.off, "statement %d must be an object, not %s", i, e.kind)
			}
		}
		stmts = stmt.elems
	default:
		return nil, b.errAt(stmt.off, "Statement must be an object or a list of objects, not %s", stmt.kind)
	}
	p := newPolicy(len(stmts))
	p.Version, p.ID = version, id
	// The statements' Principal and NotPrincipal elements (at most) in one
	// backing array.
	n := 0
	for _, e := range stmts {
		for _, m := range e.members {
			if m.key == "Principal" || m.key == "NotPrincipal" {
				n++
			}
		}
	}
	b.prins = make([]Principals, 0, n)
	for i, e := range stmts {
		s, err := b.statement(e, i)
		if err != nil {
			return nil, err
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

var statementElements = [...]string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

func (b *builder) statement(n *jnode, index int) (Statement, error) {
	s := Statement{Index: index}
	s.Line, s.Column = b.jp.position(n.off)
	b.stmt, b.stmtIndex = "", index
	// The Sid first, so that warnings name the statement.
	for _, m := range n.members {
		if m.key == "Sid" && m.val.kind == jString && m.val.str != "" {
			b.stmt = m.val.str
		}
	}
	members, err := b.fields(n, "statement", "", statementElements[:])
	if err != nil {
		return s, err
	}
	if len(members) == 0 {
		return s, b.errAt(n.off, "statement %d is empty", index)
	}
	for _, m := range members {
		s.Elements[slices.Index(statementElements[:], m.key)] = b.pos(m.keyOff) // an allowed key (fields)
		switch m.key {
		case "Sid":
			if m.val.kind != jString {
				return s, b.errAt(m.val.off, "Sid must be a string, not %s", m.val.kind)
			}
			s.Sid = m.val.str
		case "Effect":
			if m.val.kind != jString {
				return s, b.errAt(m.val.off, "Effect must be a string, not %s", m.val.kind)
			}
			if m.val.str != "Allow" && m.val.str != "Deny" {
				return s, b.errAt(m.val.off, "Effect must be \"Allow\" or \"Deny\", not %q", m.val.str)
			}
			s.Effect = m.val.str
		case "Action", "NotAction":
			list, err := b.stringList(m.val, m.key, "")
			if err != nil {
				return s, err
			}
			for i, a := range list {
				if a == "" {
					off := m.val.off
					if m.val.kind == jArray {
						off = m.val.elems[i].off
					}
					return s, b.errAt(off, "%s has an empty value", m.key)
				}
			}
			if m.key == "Action" {
				s.Action = list
			} else {
				s.NotAction = list
			}
		case "Resource", "NotResource":
			list, err := b.stringList(m.val, m.key, "")
			if err != nil {
				return s, err
			}
			if m.key == "Resource" {
				s.Resource = list
			} else {
				s.NotResource = list
			}
		case "Principal", "NotPrincipal":
			pr, err := b.principals(m.val, m.key)
			if err != nil {
				return s, err
			}
			if m.key == "Principal" {
				s.Principal = pr
			} else {
				s.NotPrincipal = pr
			}
		case "Condition":
			conds, err := b.conditions(m.val)
			if err != nil {
				return s, err
			}
			s.Conditions = conds
		}
	}
	switch {
	case s.Effect == "":
		return s, b.errAt(n.off, "statement %d has no Effect", index)
	case s.Action == nil && s.NotAction == nil:
		return s, b.errAt(n.off, "statement %d has neither Action nor NotAction", index)
	case s.Action != nil && s.NotAction != nil:
		return s, b.errAt(n.off, "statement %d has both Action and NotAction", index)
	case s.Resource != nil && s.NotResource != nil:
		return s, b.errAt(n.off, "statement %d has both Resource and NotResource", index)
	case s.Principal != nil && s.NotPrincipal != nil:
		return s, b.errAt(n.off, "statement %d has both Principal and NotPrincipal", index)
	}
	b.stmt, b.stmtIndex = "", -1
	return s, nil
}

// stringList reads a string or a non-empty list of strings, of element
// what (what.key with a key).
func (b *builder) stringList(n *jnode, what, key string) ([]string, error) {
	if key != "" && n.kind != jString {
		what += "." + key // for the errors below
	}
	switch n.kind {
	case jString:
		out := b.takeStrings(1)
		out[0] = n.str
		return out, nil
	case jArray:
		if len(n.elems) == 0 {
			return nil, b.errAt(n.off, "%s is an empty list", what)
		}
		for _, e := range n.elems {
			if e.kind != jString {
				return nil, b.errAt(e.off, "%s entries must be strings, not %s", what, e.kind)
			}
		}
		out := b.takeStrings(len(n.elems))
		for i, e := range n.elems {
			out[i] = e.str
		}
		return out, nil
	}
	return nil, b.errAt(n.off, "%s must be a string or a list of strings, not %s", what, n.kind)
}

func (b *builder) principals(n *jnode, what string) (*Principals, error) {
	if n.kind == jString {
		if n.str != "*" {
			return nil, b.errAt(n.off, "%s must be \"*\" or an object such as {\"AWS\": ...}, not the string %q", what, n.str)
		}
		pr := b.newPrincipals()
		pr.Wildcard = true
		return pr, nil
	}
	if n.kind != jObject {
		return nil, b.errAt(n.off, "%s must be \"*\" or an object, not %s", what, n.kind)
	}
	members, err := b.fields(n, what, "", []string{"AWS", "Service", "Federated", "CanonicalUser"})
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, b.errAt(n.off, "%s is an empty object", what)
	}
	pr := b.newPrincipals()
	for _, m := range members {
		list, err := b.stringList(m.val, what, m.key)
		if err != nil {
			return nil, err
		}
		for i, v := range list {
			if v == "" {
				off := m.val.off
				if m.val.kind == jArray {
					off = m.val.elems[i].off
				}
				return nil, b.errAt(off, "%s.%s has an empty value", what, m.key)
			}
		}
		switch m.key {
		case "AWS":
			pr.AWS = list
		case "Service":
			pr.Service = list
		case "Federated":
			pr.Federated = list
		case "CanonicalUser":
			pr.CanonicalUser = list
		}
	}
	return pr, nil
}

func (b *builder) conditions(n *jnode) ([]Condition, error) {
	if n.kind != jObject {
		return nil, b.errAt(n.off, "Condition must be an object, not %s", n.kind)
	}
	ops, err := b.fields(n, "Condition", "", nil)
	if err != nil {
		return nil, err
	}
	nc := 0
	for _, op := range ops {
		if op.val.kind == jObject {
			nc += len(op.val.members)
		}
	}
	var out []Condition // nil when none, as ever
	if nc > 0 {
		out = make([]Condition, 0, nc)
	}
	for _, op := range ops {
		info, ok := parseOperator(op.key)
		if !ok {
			return nil, b.errAt(op.keyOff, "unknown condition operator %q", op.key)
		}
		if info.name != op.key {
			b.warn(op.keyOff, LintOperatorCase, "condition operator %q is written %q by AWS", op.key, info.name)
		}
		if op.val.kind != jObject {
			return nil, b.errAt(op.val.off, "condition operator %q must map to an object of condition keys, not %s", op.key, op.val.kind)
		}
		keys, err := b.fields(op.val, "condition operator ", op.key, nil)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, b.errAt(op.val.off, "condition operator %q has no condition keys", op.key)
		}
		for _, k := range keys {
			if k.key == "" {
				return nil, b.errAt(k.keyOff, "empty condition key")
			}
			vals, err := b.conditionValues(k.val, k.key)
			if err != nil {
				return nil, err
			}
			out = append(out, Condition{Operator: op.key, Key: k.key, Values: vals})
		}
	}
	return out, nil
}

func (b *builder) conditionValues(n *jnode, key string) ([]string, error) {
	scalar := func(e *jnode) (string, error) {
		switch e.kind {
		case jString, jNumber, jBool:
			return e.str, nil
		}
		return "", b.errAt(e.off, "condition value for %q must be a string, number or boolean, not %s", key, e.kind)
	}
	if n.kind != jArray {
		v, err := scalar(n)
		if err != nil {
			return nil, err
		}
		out := b.takeStrings(1)
		out[0] = v
		return out, nil
	}
	if len(n.elems) == 0 {
		return nil, b.errAt(n.off, "condition key %q has an empty list of values", key)
	}
	out := b.takeStrings(len(n.elems))
	for i, e := range n.elems {
		v, err := scalar(e)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
