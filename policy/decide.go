package policy

import (
	"slices"
	"strings"
)

// decide combines the layers with AWS's evaluation logic:
//
//   - an explicit Deny in any applicable policy wins;
//   - SCPs: every level from the root to the account must allow (principals
//     of governed accounts only); RCPs: RCPFullAWSAccess is implicit, so
//     only their denies count;
//   - VPC endpoint policies must each allow;
//   - same account: identity allow (within the boundary and session policy)
//     OR resource-based allow, where a grant to the role ARN is still
//     limited by the boundary and the session policy and a grant to the
//     account delegates to IAM;
//   - cross account: identity side AND resource-based policy;
//   - RestrictPublicBuckets with a public resource policy: that policy grants
//     nothing outside the resource account (AWS service principals excepted).
func (e *Evaluator) decide(r *Result) {
	in := e.in
	c := &e.c
	iam := c.iam()

	// Layers, in AWS's order.
	var scps []*layerEval
	governedSCP := in.SCPs != nil && iam
	if governedSCP {
		for i, lvl := range in.SCPs {
			l := e.evalLayer(LayerSCP, i, lvl, false)
			if l == &e.empty {
				l = e.newLayer(LayerSCP, i)
			}
			l.applies = true // a level without policies allows nothing
			scps = append(scps, l)
		}
	}
	// RCPs apply to the resources of governed accounts, for the services
	// that support them.
	if in.RCPs != nil && e.rcpApplies() {
		for i, lvl := range in.RCPs {
			e.evalLayer(LayerRCP, i, lvl, true)
		}
	}
	res := e.evalLayer(LayerResource, 0, e.one(in.ResourcePolicy), true)
	gr := &e.noGrants // not a layer of its own in the trace unless there are grants
	if in.Grants != nil {
		gr = e.evalLayer(LayerGrant, 0, e.one(in.Grants), true)
	}
	var id, pb, sp *layerEval
	if iam {
		id = e.evalLayer(LayerIdentity, 0, in.IdentityPolicies, false)
		pb = e.evalLayer(LayerBoundary, 0, e.one(in.PermissionBoundary), false)
		sp = e.evalLayer(LayerSession, 0, e.one(in.SessionPolicy), false)
	}
	var vpces []*layerEval
	for i, p := range in.VPCEndpointPolicies {
		if p != nil {
			vpces = append(vpces, e.evalLayer(LayerVPCE, i, e.one(p), true))
		}
	}

	// Explicit deny.
	ed := fvFalse
	for i := range e.layers {
		ed = e.or2(ed, e.layers[i].deny)
	}

	// Organizations and network layers that must allow.
	must := fvTrue
	for _, l := range scps {
		must = e.and2(must, e.anyAllow(l))
	}
	for _, l := range vpces {
		must = e.and2(must, e.anyAllow(l)) // each endpoint policy must allow
	}

	// Identity side: identity ∧ boundary ∧ session.
	var idAllow, bAllow, sAllow fv
	if iam {
		idAllow = e.anyAllow(id)
		if c.kind == cRoot {
			idAllow = fvTrue // the root user has full access in its account
		}
		bAllow = fvTrue
		if pb.applies && c.kind != cRoot {
			bAllow = e.anyAllow(pb)
		}
		sAllow = fvTrue
		switch {
		case c.kind == cFederatedUser && !sp.applies:
			// A federated user session without a session policy has no permissions.
			sAllow = fvFalse
		case sp.applies && (c.kind == cSession || c.kind == cFederatedUser || c.kind == cUnknown):
			sAllow = e.anyAllow(sp)
		}
	}
	ida := e.fvAnd(idAllow, bAllow, sAllow)

	// Resource side: the resource policy and the grants.
	restricted := in.RestrictPublicBuckets && in.ResourcePolicy != nil && IsPublic(in.ResourcePolicy)
	var rs [nClasses]fv
	for k := range rs {
		rs[k] = e.or2(res.allow[k], gr.allow[k])
	}
	rpSame := e.fvOr(rs[clsDirect], e.fvAnd(rs[clsRole], bAllow, sAllow))
	rpCross := e.anyAllow(res)
	if restricted {
		rpCross = fvFalse
	}
	rpCross = e.or2(rpCross, e.anyAllow(gr))

	var core, same fv
	switch {
	case c.kind == cAnonymous:
		core = rpCross
	case c.kind == cService:
		core = rs[clsDirect]
	case in.RequireResourcePolicy || e.resourcePolicyRequired():
		// KMS key policies and role trust policies must allow: within the
		// account, a grant to the account delegates to IAM policies.
		same = e.sameAccount()
		core = e.fvOr(e.fvAnd(same, e.fvOr(rpSame, e.fvAnd(rs[clsAccount], ida))), e.fvAnd(e.fvNot(same), ida, rpCross))
	default:
		same = e.sameAccount()
		core = e.fvOr(e.fvAnd(same, e.fvOr(ida, rpSame)), e.fvAnd(e.fvNot(same), ida, rpCross))
	}
	final := e.fvAnd(must, core, e.fvNot(ed))
	// An undecided formula that holds in every context (an Allow on a
	// condition and another on its complement, a Deny whose conditions
	// cannot hold together) allows for certain.
	always := final.t == tUnknown && e.valid(final.f)

	switch {
	case final.t == tTrue || always:
		r.Decision = Allow
		e.explainAllow(r, scps, vpces, id, pb, sp, res, gr, ida, same)
		if always {
			e.addUncertainAllows(r)
		}
	case final.t == tFalse:
		// The denies may hold in every context without one being certain
		// (a Deny on a condition and another on its complement).
		edAlways := ed.t == tUnknown && e.valid(ed.f)
		if ed.t == tTrue || edAlways {
			r.Decision = ExplicitDeny
			for i := range e.hits {
				if h := &e.hits[i]; h.deny && (h.t == tTrue || edAlways && h.t == tUnknown) {
					r.DecidedBy = addLayer(r.DecidedBy, h.layer)
					r.Statements = append(r.Statements, h.ref())
				}
			}
		} else {
			r.Decision = ImplicitDeny
			e.explainImplicit(r, scps, vpces, res, idAllow, bAllow, sAllow, ida, rpSame, rpCross, same, restricted)
		}
	default:
		e.explainUncertain(r, final, e.fvAnd(must, core))
		if r.Decision == Conditional {
			e.explainConditionalGrants(r, res, gr, same)
		}
	}
	if in.Trace {
		e.trace(r, restricted)
	}
}

// explainConditionalGrants names the grants (Input.Grants) of a
// conditional allow whose resource side only grants allow: they are what
// allows, the conditions what is uncertain. Within the caller's own
// account an identity allow suffices, so grants are not named there.
func (e *Evaluator) explainConditionalGrants(r *Result, res, gr *layerEval, same fv) {
	if !gr.applies || e.anyAllow(gr).t == tFalse || (res.applies && e.anyAllow(res).t != tFalse) {
		return
	}
	if e.c.kind != cAnonymous && e.c.kind != cService && same.t == tTrue {
		return
	}
	r.DecidedBy = addLayer(r.DecidedBy, LayerGrant)
	e.addHits(r, gr, tTrue) // the uncertain ones are listed already
}

func (e *Evaluator) one(p *Policy) []*Policy {
	if p == nil {
		return nil
	}
	e.scratchPolicy[0] = p
	return e.scratchPolicy[:]
}

// resourcePolicyRequired reports whether the resource's own policy must
// allow even within its account: "IAM role trust policies and KMS key
// policies are exceptions to this logic, because they must explicitly allow
// access for principals"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
func (e *Evaluator) resourcePolicyRequired() bool {
	if !e.res.ok {
		return false
	}
	switch e.res.seg[2] {
	case "kms":
		return true
	case "iam":
		return strings.HasPrefix(e.res.seg[5], "role/") && len(e.actSvc) == 3 && strings.EqualFold(e.actSvc, "sts") &&
			hasPrefixFold(e.actName, "AssumeRole", true)
	}
	return false
}

// rcpApplies is rcpApplies of the request's service, remembered for the
// last service asked.
func (e *Evaluator) rcpApplies() bool {
	if !e.rcpKnown || e.rcpSvc != e.actSvc {
		e.rcpSvc, e.rcpOK, e.rcpKnown = e.actSvc, rcpApplies(e.actSvc), true
	}
	return e.rcpOK
}

// sameAccount decides whether the caller belongs to the resource's account.
func (e *Evaluator) sameAccount() fv {
	c := &e.c
	if c.kind == cUnknown {
		if e.resAcct == "" {
			return e.fvAtom(atom{req: Requirement{Key: "aws:ResourceAccount", Operator: "StringEquals", Values: []string{"aws:PrincipalAccount"}}, opaque: true})
		}
		if e.sameAcctFor != e.resAcct || e.sameAcctCond.src == nil {
			e.sameAcctCond = synthCond("aws:PrincipalAccount", e.resAcct)
			e.sameAcctFor = e.resAcct
		}
		return e.cond(&e.sameAcctCond, LayerResource, 0)
	}
	if e.resAcct == "" {
		return e.fvAtom(atom{req: Requirement{Key: "aws:ResourceAccount", Operator: "StringEquals", Values: []string{c.account}}})
	}
	return fv{t: triOf(c.account == e.resAcct)}
}

func addLayer(list []Layer, l Layer) []Layer {
	if slices.Contains(list, l) {
		return list
	}
	return append(list, l)
}

// addHits appends the statements of layer l whose match is t and whose effect is allow.
func (e *Evaluator) addHits(r *Result, l *layerEval, t tri) {
	for i := l.hits; i < l.hits+l.nhits; i++ {
		if h := &e.hits[i]; !h.deny && h.t == t {
			r.Statements = append(r.Statements, h.ref())
		}
	}
}

func (e *Evaluator) explainAllow(r *Result, scps, vpces []*layerEval, id, pb, sp, res, gr *layerEval, ida, same fv) {
	need := func(l *layerEval) {
		if l == nil || !l.applies {
			return
		}
		r.DecidedBy = addLayer(r.DecidedBy, l.layer)
		e.addHits(r, l, tTrue)
	}
	// The resource side: the policy and the grants that allow. The grants
	// count even when there is no resource policy (an S3 bucket without a
	// policy whose ACL grants the request). (Layers without policies share
	// one empty layerEval, so the resource side is not told apart by
	// identity.)
	needResource := func() {
		for _, x := range []*layerEval{res, gr} {
			if x.applies && e.anyAllow(x).t == tTrue {
				r.DecidedBy = addLayer(r.DecidedBy, x.layer)
				e.addHits(r, x, tTrue)
			}
		}
	}
	for _, l := range scps {
		need(l)
	}
	switch {
	case e.c.kind == cAnonymous || e.c.kind == cService:
		needResource()
	case same.t == tTrue && ida.t == tTrue:
		need(id)
		need(pb)
		need(sp)
	case same.t == tTrue:
		needResource()
		if res.allow[clsDirect].t != tTrue && gr.allow[clsDirect].t != tTrue {
			need(pb)
			need(sp)
		}
	default:
		need(id)
		need(pb)
		need(sp)
		needResource()
	}
	for _, l := range vpces {
		need(l)
	}
}

func (e *Evaluator) explainImplicit(r *Result, scps, vpces []*layerEval, res *layerEval,
	idAllow, bAllow, sAllow, ida, rpSame, rpCross, same fv, restricted bool) {
	for _, l := range scps {
		if e.anyAllow(l).t == tFalse {
			r.DecidedBy = addLayer(r.DecidedBy, LayerSCP)
		}
	}
	for _, l := range vpces {
		if e.anyAllow(l).t == tFalse {
			r.DecidedBy = addLayer(r.DecidedBy, LayerVPCE)
		}
	}
	if len(r.DecidedBy) > 0 {
		return
	}
	identity := func() {
		if idAllow.t == tFalse {
			r.DecidedBy = addLayer(r.DecidedBy, LayerIdentity)
		}
		if bAllow.t == tFalse {
			r.DecidedBy = addLayer(r.DecidedBy, LayerBoundary)
		}
		if sAllow.t == tFalse {
			r.DecidedBy = addLayer(r.DecidedBy, LayerSession)
		}
	}
	resource := func(rp fv) {
		if rp.t == tFalse {
			if restricted && e.anyAllow(res).t != tFalse && same.t != tTrue && e.c.kind != cService {
				r.DecidedBy = addLayer(r.DecidedBy, LayerBPA)
			} else {
				r.DecidedBy = addLayer(r.DecidedBy, LayerResource)
			}
		}
	}
	switch {
	case e.c.kind == cAnonymous || e.c.kind == cService:
		resource(rpCross)
	case same.t == tTrue:
		identity()
		if res.applies {
			resource(rpSame)
		}
	case same.t == tFalse:
		if ida.t == tFalse {
			identity()
		}
		resource(rpCross)
	default:
		identity()
		resource(fvFalse)
	}
}

// valid reports whether formula n holds in every context: its negation's
// DNF has no clause. Only a formula in which some condition occurs twice
// (or two of an exclusion group, atom.excl) can be: the check is skipped
// for the others.
func (e *Evaluator) valid(n int32) bool {
	var buf [16]int32
	atoms := e.atomsOf(n, buf[:0])
	repeated := false
	for i := 1; i < len(atoms) && !repeated; i++ {
		a := &e.atoms[atoms[i]]
		for _, j := range atoms[:i] {
			b := &e.atoms[j]
			if a.id() == b.id() || a.excl != "" && a.excl == b.excl {
				repeated = true
				break
			}
		}
	}
	if !repeated {
		return false
	}
	clauses, ok := e.dnf(n, true)
	return ok && len(clauses) == 0
}

// settle returns the value of f where its DNF decides it: false when it
// holds in no context, true when it holds in every one (valid); f itself
// otherwise.
func (e *Evaluator) settle(f fv) fv {
	if f.t != tUnknown || e.hasUnreadable(f.f) {
		return f
	}
	if cl, ok := e.dnf(f.f, false); ok && len(cl) == 0 {
		return fvFalse
	}
	if e.valid(f.f) {
		return fvTrue
	}
	return f
}

// addUncertainAllows adds to an Allow decided by valid the allow
// statements whose conditions are undecided, and their layers: together
// they allow in every context.
func (e *Evaluator) addUncertainAllows(r *Result) {
	for i := range e.hits {
		if h := &e.hits[i]; !h.deny && h.t == tUnknown {
			r.DecidedBy = addLayer(r.DecidedBy, h.layer)
			r.Statements = append(r.Statements, h.ref())
		}
	}
}

// explainUncertain fills a Conditional or Unknown result from the formula
// that decides it (final; allow is the same without the explicit denies).
func (e *Evaluator) explainUncertain(r *Result, final, allow fv) {
	var buf [16]int32
	atoms := e.atomsOf(final.f, buf[:0])
	unreadable := e.hasUnreadable(final.f)
	for _, ai := range atoms {
		a := &e.atoms[ai]
		if unreadable && a.unreadable == "" {
			continue
		}
		r.DecidedBy = addLayer(r.DecidedBy, a.layer)
		if a.unreadable != "" && !slices.Contains(r.Unreadable, a.unreadable) {
			r.Unreadable = append(r.Unreadable, a.unreadable)
		}
	}
	for i := range e.hits {
		if h := &e.hits[i]; h.t == tUnknown {
			r.Statements = append(r.Statements, h.ref())
		}
	}
	if unreadable {
		r.Decision = Unknown
		return
	}
	r.Decision = Conditional
	clauses, ok := e.dnf(final.f, false)
	if !ok {
		// Too many alternatives to list: name every condition involved.
		seen := map[string]bool{}
		for _, ai := range atoms {
			a := &e.atoms[ai]
			if id := a.id(); !seen[id] {
				seen[id] = true
				r.Conditions = append(r.Conditions, a.req)
			}
		}
		r.Alternatives = nil
		r.Complex = true
		return
	}
	if len(clauses) == 0 {
		// The formula holds in no context: each way the request could be
		// allowed needs a condition and its negation (an Allow whose
		// condition a Deny repeats). It is denied whatever the context:
		// explicitly by the denies that apply wherever an allow would, or
		// implicitly when no deny is in doubt.
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
		r.Decision = ImplicitDeny
		r.Statements = r.Statements[:0]
		if allow.t == tUnknown {
			if cl, ok := e.dnf(allow.f, false); ok && len(cl) == 0 {
				// Nothing allows in any context (an Allow whose conditions
				// cannot hold together): the denies are not what denies.
				return
			}
		}
		for i := range e.hits {
			if h := &e.hits[i]; h.deny && h.t == tUnknown {
				r.Decision = ExplicitDeny
				r.Statements = append(r.Statements, h.ref())
			}
		}
		return
	}
	for _, cl := range clauses {
		// In the room of the alternative of r's last use (Evaluate reuses
		// r's slices), if any.
		var alt []Requirement
		if n := len(r.Alternatives); n < cap(r.Alternatives) {
			alt = r.Alternatives[:n+1][n][:0]
		}
		for _, l := range cl {
			q := e.atoms[l.a].req
			q.Negated = l.neg
			alt = append(alt, q)
		}
		r.Alternatives = append(r.Alternatives, alt)
	}
	// Conditions: what every alternative requires.
	if len(r.Alternatives) == 1 {
		r.Conditions = append(r.Conditions, r.Alternatives[0]...)
		return
	}
	for _, q := range r.Alternatives[0] {
		common := true
		for _, alt := range r.Alternatives[1:] {
			if !slices.ContainsFunc(alt, func(x Requirement) bool { return x.equal(q) }) {
				common = false
				break
			}
		}
		if common {
			r.Conditions = append(r.Conditions, q)
		}
	}
}

func (q Requirement) equal(o Requirement) bool {
	return strings.EqualFold(q.Key, o.Key) && q.Operator == o.Operator && q.Negated == o.Negated && slices.Equal(q.Values, o.Values)
}

// trace fills r.Layers, the per-layer checklist, each layer's lists in the
// room of those of r's last use (Evaluate reuses r's slices).
func (e *Evaluator) trace(r *Result, restricted bool) {
	for i := range e.layers {
		l := &e.layers[i]
		var room LayerResult
		if n := len(r.Layers); n < cap(r.Layers) {
			room = r.Layers[:n+1][n]
		}
		lr := LayerResult{Layer: l.layer, Level: l.level, Applies: l.applies, Statements: room.Statements[:0], Conditions: room.Conditions[:0]}
		// A formula that its DNF decides is no condition.
		allow, deny := e.settle(e.anyAllow(l)), e.settle(l.deny)
		switch {
		case !l.applies:
			lr.Outcome = ImplicitDeny
		case deny.t == tTrue:
			lr.Outcome = ExplicitDeny
		case deny.t == tUnknown || allow.t == tUnknown:
			lr.Outcome = Conditional
			for _, f := range []fv{deny, allow} {
				if f.t == tUnknown && e.hasUnreadable(f.f) {
					lr.Outcome = Unknown
				}
			}
		case allow.t == tTrue:
			lr.Outcome = Allow
		default:
			lr.Outcome = ImplicitDeny
		}
		if l.layer == LayerRCP && lr.Outcome == ImplicitDeny && l.applies {
			lr.Outcome = Allow // RCPFullAWSAccess
		}
		for i := l.hits; i < l.hits+l.nhits; i++ {
			lr.Statements = append(lr.Statements, e.hits[i].ref())
		}
		for _, f := range []fv{deny, allow} {
			if f.t != tUnknown {
				continue
			}
			for _, ai := range e.atomsOf(f.f, nil) {
				if a := &e.atoms[ai]; a.unreadable == "" {
					lr.Conditions = append(lr.Conditions, a.req)
				}
			}
		}
		r.Layers = append(r.Layers, lr)
	}
	if e.in.ResourcePolicy != nil {
		lr := LayerResult{Layer: LayerBPA, Applies: restricted, Outcome: Allow}
		if restricted {
			lr.Outcome = ImplicitDeny
		}
		r.Layers = append(r.Layers, lr)
	}
}
