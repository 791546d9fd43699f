package policy

// compileLazy builds the evaluation program of p compiling only each
// statement's actions: its resources, principal and conditions are compiled
// when an evaluation first gets past the actions (finish), as most
// statements of a request do not name its action. Unknown condition
// operators are still errors here, as in compile. The program mutates as it
// is used: a policy compiled so must not be evaluated concurrently (the
// Simulator's policies belong to one worker).
func compileLazy(p *Policy) (*program, error) {
	vars := p.Version == Version2012
	nAct := 0
	for i := range p.Statements {
		s := &p.Statements[i]
		nAct += len(s.Action) + len(s.NotAction)
		for j := range s.Conditions {
			if _, ok := parseOperator(s.Conditions[j].Operator); !ok {
				return nil, unknownOperator(s, j)
			}
		}
	}
	prog := &program{stmts: make([]cstmt, len(p.Statements)), lazy: true}
	allActs := make([]actionPat, nAct)
	for i := range p.Statements {
		s := &p.Statements[i]
		c := &prog.stmts[i]
		*c = cstmt{src: s, deny: s.Effect == "Deny", pending: true, vars: vars}
		allActs = compileActions(c, allActs, nil)
	}
	return prog, nil
}

// finish compiles the rest of a statement of a lazy program (a no-op
// otherwise).
func (s *cstmt) finish() {
	if !s.pending {
		return
	}
	s.pending = false
	var r compileRoom
	r.count(s.src)
	r.make()
	// The operators were checked by compileLazy: no error.
	_ = compileRest(s, s.vars, &r)
}

// compiled returns p's program with every statement compiled and public
// computed, for the callers that read every statement (IsPublic, Lint).
func (p *Policy) compiled() (*program, error) {
	prog, err := p.program()
	if err != nil || !prog.lazy {
		return prog, err
	}
	for i := range prog.stmts {
		prog.stmts[i].finish()
	}
	prog.public, prog.lazy = isPublic(p, prog), false
	return prog, nil
}

// parseNodeLazy is parseNode compiling with compileLazy.
func parseNodeLazy(jp *jparser, root *jnode) (*Policy, error) {
	p, err := buildNode(jp, root)
	if err != nil {
		return nil, err
	}
	if p.prog, err = compileLazy(p); err != nil {
		return nil, err
	}
	return p, nil
}
