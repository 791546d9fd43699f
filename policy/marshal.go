package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MarshalJSON writes the policy in a canonical form: Version, Id, then
// Statement as a list; every element that holds a string-or-list as a
// list; condition values as strings. Parse(MarshalJSON(p)) is equivalent to
// p and marshals to the same bytes. An Unreadable placeholder cannot be
// marshalled.
func (p *Policy) MarshalJSON() ([]byte, error) {
	if p.unreadable {
		return nil, fmt.Errorf("policy %q could not be read: nothing to marshal", p.Name)
	}
	w := &jwriter{}
	w.b.WriteByte('{')
	field := w.fields()
	if p.Version != "" {
		field("Version")
		w.str(p.Version)
	}
	if p.ID != "" {
		field("Id")
		w.str(p.ID)
	}
	field("Statement")
	w.b.WriteByte('[')
	for i := range p.Statements {
		if i > 0 {
			w.b.WriteByte(',')
		}
		w.statement(&p.Statements[i])
	}
	w.b.WriteString("]}")
	return w.b.Bytes(), w.err
}

type jwriter struct {
	b   bytes.Buffer
	err error
}

// str writes s as a JSON string, as encoding/json does without HTML
// escaping: printable ASCII other than the quote and the backslash as it
// is (the common case, without an encoder), anything else through
// encoding/json.
func (w *jwriter) str(s string) {
	if plainJSON(s) {
		w.b.Grow(len(s) + 2)
		w.b.WriteByte('"')
		w.b.WriteString(s)
		w.b.WriteByte('"')
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil && w.err == nil {
		w.err = err
	}
	w.b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// plainJSON reports whether encoding/json writes s between quotes as it
// is: every byte printable ASCII, none a quote or a backslash.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// fields returns a function that writes an object member's key, with the
// comma before every member but the first.
func (w *jwriter) fields() func(k string) {
	first := true
	return func(k string) {
		if !first {
			w.b.WriteByte(',')
		}
		first = false
		w.str(k)
		w.b.WriteByte(':')
	}
}

func (w *jwriter) list(l []string) {
	w.b.WriteByte('[')
	for i, s := range l {
		if i > 0 {
			w.b.WriteByte(',')
		}
		w.str(s)
	}
	w.b.WriteByte(']')
}

func (w *jwriter) statement(s *Statement) {
	w.b.WriteByte('{')
	field := w.fields()
	if s.Sid != "" {
		field("Sid")
		w.str(s.Sid)
	}
	field("Effect")
	w.str(s.Effect)
	for _, pr := range []struct {
		k string
		v *Principals
	}{{"Principal", s.Principal}, {"NotPrincipal", s.NotPrincipal}} {
		if pr.v != nil {
			field(pr.k)
			w.principals(pr.v)
		}
	}
	for _, l := range []struct {
		k string
		v []string
	}{{"Action", s.Action}, {"NotAction", s.NotAction}, {"Resource", s.Resource}, {"NotResource", s.NotResource}} {
		if l.v != nil {
			field(l.k)
			w.list(l.v)
		}
	}
	if len(s.Conditions) > 0 {
		field("Condition")
		w.conditions(s.Conditions)
	}
	w.b.WriteByte('}')
}

func (w *jwriter) principals(p *Principals) {
	if p.Wildcard {
		w.str("*")
		return
	}
	w.b.WriteByte('{')
	field := w.fields()
	for _, kv := range []struct {
		k string
		v []string
	}{{"AWS", p.AWS}, {"Service", p.Service}, {"Federated", p.Federated}, {"CanonicalUser", p.CanonicalUser}} {
		if kv.v != nil {
			field(kv.k)
			w.list(kv.v)
		}
	}
	w.b.WriteByte('}')
}

// conditions groups the conditions by operator, in order of first appearance.
func (w *jwriter) conditions(conds []Condition) {
	var ops []string
	byOp := map[string][]Condition{}
	for _, c := range conds {
		if _, ok := byOp[c.Operator]; !ok {
			ops = append(ops, c.Operator)
		}
		byOp[c.Operator] = append(byOp[c.Operator], c)
	}
	w.b.WriteByte('{')
	for i, op := range ops {
		if i > 0 {
			w.b.WriteByte(',')
		}
		w.str(op)
		w.b.WriteString(":{")
		for j, c := range byOp[op] {
			if j > 0 {
				w.b.WriteByte(',')
			}
			w.str(c.Key)
			w.b.WriteByte(':')
			w.list(c.Values)
		}
		w.b.WriteByte('}')
	}
	w.b.WriteByte('}')
}
