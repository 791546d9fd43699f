package policy

import (
	"errors"
	"fmt"
)

// Compile returns a policy built in code (not parsed) ready for
// evaluation, as Parse(MarshalJSON) would return it but without the
// round trip: a copy of p whose statements' Index are their positions,
// whose conditions are grouped by operator as MarshalJSON writes them,
// checked with Parse's rules for the elements a built policy has, and
// compiled once. Unlike Parse's, its statements carry no source positions
// (Line, Column, Elements) and it has no Warnings: nothing to lint; it
// keeps p's Name and Origin. The copy shares p's lists, which must no
// longer be modified.
func Compile(p *Policy) (*Policy, error) {
	if p.unreadable {
		return nil, fmt.Errorf("policy %q could not be read: nothing to compile", p.Name)
	}
	if p.Version != "" && p.Version != Version2012 && p.Version != Version2008 {
		return nil, fmt.Errorf("unsupported Version %q: expected %q or %q", p.Version, Version2012, Version2008)
	}
	if len(p.Statements) == 0 {
		return nil, errors.New("the Statement list is empty")
	}
	c := newPolicy(len(p.Statements))
	stmts := c.Statements[:len(p.Statements)]
	*c = *p
	c.Warnings = nil
	c.Statements = stmts
	var err error
	for i := range p.Statements {
		s := p.Statements[i]
		if err := checkBuilt(&s, i); err != nil {
			return nil, err
		}
		s.Index, s.Line, s.Column, s.Elements = i, 0, 0, ElementPos{}
		if s.Principal != nil && s.Principal.Wildcard {
			s.Principal = &Principals{Wildcard: true} // MarshalJSON writes "*" alone
		}
		if s.NotPrincipal != nil && s.NotPrincipal.Wildcard {
			s.NotPrincipal = &Principals{Wildcard: true}
		}
		if s.Conditions, err = groupedConditions(s.Conditions, i); err != nil {
			return nil, err
		}
		c.Statements[i] = s
	}
	prog, err := compile(c)
	if err != nil {
		return nil, err
	}
	c.prog = prog
	return c, nil
}

// checkBuilt checks statement i of a built policy with the rules Parse
// applies to a document (builder.statement, stringList, principals).
func checkBuilt(s *Statement, i int) error {
	switch {
	case s.Effect != "Allow" && s.Effect != "Deny":
		return fmt.Errorf("statement %d: Effect must be \"Allow\" or \"Deny\", not %q", i, s.Effect)
	case s.Action == nil && s.NotAction == nil:
		return fmt.Errorf("statement %d has neither Action nor NotAction", i)
	case s.Action != nil && s.NotAction != nil:
		return fmt.Errorf("statement %d has both Action and NotAction", i)
	case s.Resource != nil && s.NotResource != nil:
		return fmt.Errorf("statement %d has both Resource and NotResource", i)
	case s.Principal != nil && s.NotPrincipal != nil:
		return fmt.Errorf("statement %d has both Principal and NotPrincipal", i)
	}
	for _, l := range []struct {
		what      string
		list      []string
		noneEmpty bool
	}{{"Action", s.Action, true}, {"NotAction", s.NotAction, true}, {"Resource", s.Resource, false}, {"NotResource", s.NotResource, false}} {
		if l.list == nil {
			continue
		}
		if len(l.list) == 0 {
			return fmt.Errorf("statement %d: %s is an empty list", i, l.what)
		}
		for _, v := range l.list {
			if l.noneEmpty && v == "" {
				return fmt.Errorf("statement %d: %s has an empty value", i, l.what)
			}
		}
	}
	for _, pr := range []*Principals{s.Principal, s.NotPrincipal} {
		if err := checkBuiltPrincipals(pr, i); err != nil {
			return err
		}
	}
	for _, cond := range s.Conditions {
		if len(cond.Values) == 0 {
			return fmt.Errorf("statement %d: condition %s %s has no value", i, cond.Operator, cond.Key)
		}
	}
	return nil
}

// groupedConditions returns conds in MarshalJSON's order (by operator, in
// order of first appearance); an operator and key twice is an error (the
// document would repeat a key).
func groupedConditions(conds []Condition, i int) ([]Condition, error) {
	if len(conds) < 2 {
		return conds, nil
	}
	out := make([]Condition, 0, len(conds))
	for j, c := range conds {
		if slicesContainsOp(conds[:j], c.Operator) {
			continue // grouped with the first of its operator
		}
		for _, d := range conds[j:] {
			if d.Operator != c.Operator {
				continue
			}
			for _, x := range out {
				if x.Operator == d.Operator && x.Key == d.Key {
					return nil, fmt.Errorf("statement %d: condition %s %s appears twice", i, d.Operator, d.Key)
				}
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// slicesContainsOp reports whether a condition of conds has operator op.
func slicesContainsOp(conds []Condition, op string) bool {
	for _, c := range conds {
		if c.Operator == op {
			return true
		}
	}
	return false
}

// checkBuiltPrincipals checks a built Principal or NotPrincipal element:
// "*", or lists none of which is empty and that hold no empty value.
func checkBuiltPrincipals(pr *Principals, i int) error {
	if pr == nil || pr.Wildcard {
		return nil
	}
	n := 0
	for _, l := range [][]string{pr.AWS, pr.Service, pr.Federated, pr.CanonicalUser} {
		if l == nil {
			continue
		}
		n++
		if len(l) == 0 {
			return fmt.Errorf("statement %d: a principal list is empty", i)
		}
		for _, v := range l {
			if v == "" {
				return fmt.Errorf("statement %d: a principal has an empty value", i)
			}
		}
	}
	if n == 0 {
		return fmt.Errorf("statement %d: the principal is an empty object", i)
	}
	return nil
}
