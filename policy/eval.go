package policy

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
)

// Grant classes of a resource-based policy statement: how its Principal
// names the caller decides which implicit denies limit it within an account
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
const (
	clsAccount = iota // the account: delegates to the account's IAM policies
	clsRole           // a role ARN: limited by the role's boundary and session policy
	clsDirect         // "*", a user, a role session, a federated user: granted directly
	nClasses
)

// hit is a statement that matched (or may match) during an evaluation.
type hit struct {
	p     *Policy
	s     *Statement
	layer Layer
	level int
	t     tri
	deny  bool
}

func (h *hit) ref() StatementRef {
	return StatementRef{Layer: h.layer, Level: h.level, Policy: h.p.Name, Sid: h.s.Sid, Index: h.s.Index, Effect: h.s.Effect, Origin: h.p.Origin}
}

// layerEval is the outcome of one layer (one level for SCPs and RCPs).
type layerEval struct {
	layer   Layer
	level   int
	applies bool
	allow   [nClasses]fv
	deny    fv
	hits    int // first index in Evaluator.hits
	nhits   int
}

// anyAllow is whether layer l allows the request for any grant class.
func (e *Evaluator) anyAllow(l *layerEval) fv {
	a := &l.allow
	if a[0].t != tUnknown && a[1].t != tUnknown && a[2].t != tUnknown {
		// Known (the common case): fvOr's value without the call.
		if a[0].t == tTrue || a[1].t == tTrue || a[2].t == tTrue {
			return fvTrue
		}
		return fvFalse
	}
	return e.fvOr(a[0], a[1], a[2])
}

// Evaluator evaluates requests, reusing its memory between calls: with
// pre-parsed policies and a fully known context, Evaluate does not
// allocate. An Evaluator is not safe for concurrent use; use one per
// goroutine (the zero value is ready).
type Evaluator struct {
	in *Input
	// c is the caller of the request: the parse of principals[pcur] (for
	// cFor; with the partition cPart of a bare account ID's root).
	c     caller
	cFor  string
	cPart string
	haveC bool
	// principals and resources are the parses of the last two principals
	// and resources (requests alternate between two: a bucket's and its
	// objects', S3's and KMS's), the request's at pcur and rcur; res
	// points at its resource's.
	principals    [2]parsedPrincipal
	resources     [2]parsedResource
	pcur, rcur    int
	res           *arnSegs
	action        string
	actSvc        string
	actName       string
	resAcct       string
	arnBuf        [1]string
	acctBuf       [1]string
	anonBuf       [1]string // an anonymous caller's aws:userid or aws:PrincipalType
	toks          []gtok
	hits          []hit
	layers        []layerEval
	scratchPolicy [1]*Policy
	empty         layerEval
	noGrants      layerEval
	// unresolved is set when a policy variable could not be resolved.
	unresolved bool
	// sameAcctCond caches the aws:PrincipalAccount condition used when the
	// caller is known only through context keys.
	sameAcctFor  string
	sameAcctCond ccond
	// memos remember the lookups of the last two request contexts (a
	// caller's S3 and KMS requests alternate), the current one first;
	// memo is memos[0] when it serves the current input.
	memos [2]keyMemo
	memo  *keyMemo
	// atoms, nodes and kids are the arenas of the evaluation's formulas
	// (fnode), reused from one evaluation to the next.
	atoms []atom
	nodes []fnode
	kids  []int32
	// dnfLits, dnfClauses, dnfKeys and dnfKept hold the DNF of the
	// evaluation's formula (dnf, simplifyDNF).
	dnfLits    bump[lit]
	dnfClauses bump[[]lit]
	dnfKeys    bump[litKey]
	dnfKept    bump[keyed]
	// rcpSvc is the service rcpOK says whether RCPs apply to (rcpKnown).
	rcpSvc   string
	rcpOK    bool
	rcpKnown bool
}

// keyMemo remembers the lookups made in one request context (ctx, then
// base: Input.Context and Input.BaseContext), valid while the gens of
// their chains sum to gen (no context of either chain changed).
type keyMemo struct {
	ctx, base *Context
	gen       uint64
	ents      []memoEntry
}

// memoEntry is one lookup of a lower-case key: what Context.lookupEntry
// returned.
type memoEntry struct {
	lower    string
	st       keyState
	explicit bool
	vals     []string
	e        *ctxEntry
}

// maxMemo bounds the keys a memo remembers (a request context's keys
// that policies test are few).
const maxMemo = 24

// useMemo makes e.memo the memo of ctx over base, starting one when
// neither memo is theirs or one of them changed: a memo never serves
// another pair (the same caller's context over another owner's base).
func (e *Evaluator) useMemo(ctx, base *Context) {
	if ctx == nil && base == nil {
		e.memo = nil
		return
	}
	gen := ctx.chainGen() + base.chainGen()
	if m := &e.memos[1]; m.ctx == ctx && m.base == base && m.gen == gen {
		e.memos[0], e.memos[1] = e.memos[1], e.memos[0]
	} else if m := &e.memos[0]; m.ctx != ctx || m.base != base || m.gen != gen {
		e.memos[0], e.memos[1] = e.memos[1], e.memos[0]
		e.memos[0] = keyMemo{ctx: ctx, base: base, gen: gen, ents: e.memos[0].ents[:0]}
	}
	e.memo = &e.memos[0]
}

// lookup is lookupEntryOn of the input's contexts, through the memo.
func (e *Evaluator) lookup(lower string) (keyState, []string, bool, *ctxEntry) {
	m := e.memo
	if m == nil {
		return lookupEntryOn(e.in.Context, e.in.BaseContext, lower)
	}
	for i := range m.ents {
		if x := &m.ents[i]; x.lower == lower {
			return x.st, x.vals, x.explicit, x.e
		}
	}
	st, vals, explicit, ent := lookupEntryOn(m.ctx, m.base, lower)
	if len(m.ents) < maxMemo {
		m.ents = append(m.ents, memoEntry{lower: lower, st: st, explicit: explicit, vals: vals, e: ent})
	}
	return st, vals, explicit, ent
}

// excepts is Context.excepts of the input's contexts, through the memo.
func (e *Evaluator) excepts(lower, v string) bool {
	_, _, _, ent := e.lookup(lower)
	return ent.excepts(v)
}

// parsedPrincipal is a principal and its parse, when ok.
type parsedPrincipal struct {
	p  string
	c  caller
	ok bool
}

// parsedResource is a resource ARN and its parse, when ok.
type parsedResource struct {
	a  arnSegs
	ok bool
}

// NewEvaluator returns an Evaluator.
func NewEvaluator() *Evaluator { return &Evaluator{} }

// Evaluate decides the request in with AWS's policy evaluation logic
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
// It allocates; use an Evaluator to evaluate many requests.
func Evaluate(in *Input) Result {
	var e Evaluator
	var r Result
	e.Evaluate(in, &r)
	return r
}

// Evaluate decides in into r, reusing r's slices.
func (e *Evaluator) Evaluate(in *Input, r *Result) {
	e.reset(in)
	r.Decision = ImplicitDeny
	r.DecidedBy = r.DecidedBy[:0]
	r.Statements = r.Statements[:0]
	r.Conditions = r.Conditions[:0]
	r.Alternatives = r.Alternatives[:0]
	r.Complex = false
	r.Unreadable = r.Unreadable[:0]
	r.Layers = r.Layers[:0]
	e.decide(r)
}

func (e *Evaluator) reset(in *Input) {
	e.in = in
	if pp := &e.principals[e.pcur]; !pp.ok || pp.p != in.Principal {
		e.pcur ^= 1 // the other one, replaced unless it is in's
		if o := &e.principals[e.pcur]; !o.ok || o.p != in.Principal {
			*o = parsedPrincipal{p: in.Principal, c: parseCaller(in.Principal), ok: true}
		}
	}
	pp := &e.principals[e.pcur]
	// A bare account ID is the account's root, in the partition of the
	// resource (an account lives in one partition).
	part := ""
	if pp.c.kind == cRoot && awsid.IsAccountID(in.Principal) {
		part = awsid.PartitionOfARN(in.Resource)
	}
	if !e.haveC || e.cFor != in.Principal || e.cPart != part {
		e.c = pp.c
		if part != "" && part != awsid.AWS {
			e.c.arn = awsid.Root(part, e.c.account)
			e.c.principalArn = e.c.arn
		}
		e.cFor, e.cPart, e.haveC = in.Principal, part, true
	}
	if e.action != in.Action || e.action == "" { // written only when it changes
		e.action = in.Action
		if i := strings.IndexByte(in.Action, ':'); i >= 0 {
			e.actSvc, e.actName = in.Action[:i], in.Action[i+1:]
		} else {
			e.actSvc, e.actName = "", in.Action
		}
	}
	if r := &e.resources[e.rcur]; !r.ok || r.a.s != in.Resource {
		e.rcur ^= 1
		if o := &e.resources[e.rcur]; !o.ok || o.a.s != in.Resource {
			*o = parsedResource{a: splitARN(in.Resource), ok: true}
		}
	}
	e.res = &e.resources[e.rcur].a
	resAcct := in.ResourceAccount
	if resAcct == "" && e.res.ok {
		resAcct = e.res.seg[4]
	}
	if e.resAcct != resAcct {
		e.resAcct = resAcct
	}
	e.useMemo(in.Context, in.BaseContext)
	e.resetFormulas()
	if len(e.hits) > 0 {
		e.hits = e.hits[:0]
	}
	// Layers are referred to by pointer during an evaluation: reserve room
	// for all of them so that the slice never moves.
	if need := len(in.SCPs) + len(in.RCPs) + len(in.VPCEndpointPolicies) + 5; cap(e.layers) < need {
		e.layers = make([]layerEval, 0, need+4)
	}
	e.layers = e.layers[:0]
}

// key returns what is known of a lower-case context key, deriving
// aws:PrincipalArn and aws:PrincipalAccount from the principal when the
// context does not set them.
func (e *Evaluator) key(lower string) (keyState, []string) {
	st, vals, explicit, _ := e.lookup(lower)
	if explicit {
		return st, vals
	}
	if e.c.kind == cAnonymous {
		if anonymousAbsent(lower) {
			return keyAbsent, nil
		}
		if v := anonymousValue(lower); v != "" {
			e.anonBuf[0] = v
			return keyPresent, e.anonBuf[:]
		}
	}
	switch lower {
	case keyPrincipalArn:
		if e.c.principalArn != "" {
			e.arnBuf[0] = e.c.principalArn
			return keyPresent, e.arnBuf[:]
		}
		if e.c.kind == cAnonymous || e.c.kind == cService {
			return keyAbsent, nil
		}
	case keyPrincipalAccount:
		if e.c.account != "" {
			e.acctBuf[0] = e.c.account
			return keyPresent, e.acctBuf[:]
		}
		if e.c.kind == cAnonymous || e.c.kind == cService {
			return keyAbsent, nil
		}
	}
	return st, vals
}

// anonymousAbsent reports whether a key describes the principal's identity
// or organization, which an unsigned request does not have: aws:PrincipalArn,
// aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalOrgPaths,
// aws:PrincipalTag/* (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
// aws:username ("not present" for an anonymous caller,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
func anonymousAbsent(lower string) bool {
	switch lower {
	case keyPrincipalArn, keyPrincipalAccount, "aws:principalorgid", "aws:principalorgpaths", "aws:username":
		return true
	}
	return strings.HasPrefix(lower, "aws:principaltag/")
}

// anonymousValue returns the value of a key that an unsigned request has
// whatever its sender, "" for the others: aws:userid "anonymous" and
// aws:PrincipalType "Anonymous", per the principal key values table of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable
// (anonymous callers of Amazon S3, SQS and SNS). The global condition keys
// page says instead that anonymous requests carry no aws:userid
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid):
// the table, which names S3, is followed.
func anonymousValue(lower string) string {
	switch lower {
	case "aws:userid":
		return "anonymous"
	case "aws:principaltype":
		return "Anonymous"
	}
	return ""
}

// ---- matching ----

// tmplMatch matches s against a compiled value, resolving its policy
// variables: false when a variable cannot be resolved (AWS: the statement
// does not apply), unknown when it depends on an unknown key.
func (e *Evaluator) tmplMatch(t *tmpl, s string, fold bool) tri {
	if !t.hasVar {
		return triOf(t.match(s, fold))
	}
	toks, r := e.resolve(t)
	if r != tTrue {
		return r
	}
	return triOf(globMatch(toks, s, fold))
}

// resolve substitutes the variables of t into e.toks.
func (e *Evaluator) resolve(t *tmpl) ([]gtok, tri) {
	toks := e.toks[:0]
	for _, k := range t.toks {
		if k.kind != gVar {
			toks = append(toks, k)
			continue
		}
		st, vals := e.key(k.s)
		switch {
		case st == keyPresent && len(vals) == 1:
			toks = append(toks, gtok{kind: gLit, s: vals[0]})
		case st == keyPresent:
			e.unresolved = true
			return nil, tFalse // a multi-valued key cannot be a variable
		case st == keyAbsent && k.hasDef:
			toks = append(toks, gtok{kind: gLit, s: k.def})
		case st == keyAbsent:
			e.unresolved = true
			return nil, tFalse
		default:
			return nil, tUnknown
		}
	}
	e.toks = toks
	return toks, tTrue
}

// matchARN matches a request ARN (or any string) against an ARN pattern.
func (e *Evaluator) matchARN(p *arnPat, s *arnSegs) tri {
	switch {
	case p.any:
		return tTrue
	case !p.arn:
		return e.tmplMatch(p.full, s.s, false)
	case !s.ok:
		return tFalse
	case p.head != "":
		if s.headLen != len(p.head) || s.s[:s.headLen] != p.head {
			return tFalse
		}
		return e.tmplMatch(&p.res, s.seg[5], false)
	}
	r := tTrue
	for i := range p.heads {
		r = and3(r, e.tmplMatch(&p.heads[i], s.seg[i], false))
		if r == tFalse {
			return r
		}
	}
	return and3(r, e.tmplMatch(&p.res, s.seg[5], false))
}

func (e *Evaluator) resourceMatch(s *cstmt) fv {
	if s.res == resNone {
		return fvTrue
	}
	r := tFalse
	e.unresolved = false
	for i := range s.resources {
		if r = or3(r, e.matchARN(&s.resources[i], e.res)); r == tTrue {
			break
		}
	}
	if s.res == resNot {
		if e.unresolved {
			// A NotResource pattern whose variable cannot be resolved makes
			// the statement invalid: "If AWS cannot resolve a variable, this
			// might cause the entire statement to be invalid"
			// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
			return fvFalse
		}
		r = r.not()
	}
	if r != tUnknown {
		return fv{t: r}
	}
	op := "ArnLike"
	if s.res == resNot {
		op = "ArnNotLike"
	}
	vals := make([]string, len(s.resources))
	for i := range s.resources {
		vals[i] = s.resources[i].raw
	}
	return e.fvAtom(atom{req: Requirement{Key: "Resource", Operator: op, Values: vals}})
}

// ---- conditions ----

func (e *Evaluator) cond(c *ccond, layer Layer, level int) fv {
	st, vals := e.key(c.key)
	var t tri
	switch st {
	case keyPresent:
		e.unresolved = false
		t = e.condKnown(c, vals)
		if e.unresolved {
			// "any attempt to match it fails and causes the statement to be
			// invalid" (a variable whose key is not present,
			// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
			return fvFalse
		}
	case keyAbsent:
		t = condAbsent(c)
	case keyUnknownExcept:
		t = e.condExcept(c)
	case keyPrefixed:
		if t = condPrefixed(c, vals[0]); c.op.base == opNull {
			t = e.condKnown(c, vals) // the key is present
		}
	default:
		t = tUnknown
	}
	if t == tUnknown && c.key == keyPrincipalArn && e.c.kind == cUnknown && e.arnAccountsExcluded(c) {
		// The caller's ARN carries its account: when every value names an
		// account the caller is known not to belong to, no value can match
		// (aws:PrincipalArn is always present for an IAM principal).
		t = triOf(c.op.base.negated())
	}
	if t != tUnknown {
		return fv{t: t}
	}
	return e.fvAtom(atom{req: e.requirement(c), layer: layer, level: level})
}

// arnAccountsExcluded reports whether every value of a condition is an ARN
// whose literal account field the caller is known not to have (from
// aws:PrincipalAccount, present or unknown-except).
func (e *Evaluator) arnAccountsExcluded(c *ccond) bool {
	switch c.op.base.positive() {
	case opStringEquals, opStringLike, opArnEquals, opArnLike:
	default:
		return false
	}
	for i := range c.vals {
		if c.vals[i].account == "" || !e.accountExcluded(c.vals[i].account) {
			return false
		}
	}
	return len(c.vals) > 0
}

// accountExcluded reports whether the caller is known not to belong to acct.
func (e *Evaluator) accountExcluded(acct string) bool {
	st, vals := e.key(keyPrincipalAccount)
	switch st {
	case keyPresent:
		return !slices.Contains(vals, acct)
	case keyUnknownExcept:
		return e.excepts(keyPrincipalAccount, acct)
	}
	return false
}

// requirement describes an undecided condition, with its policy variables
// substituted where they are known.
func (e *Evaluator) requirement(c *ccond) Requirement {
	if c.fixed {
		// Shared with the policy; capacity capped, so that an append copies.
		n := len(c.src.Values)
		return Requirement{Key: c.src.Key, Operator: c.op.name, Values: c.src.Values[:n:n]}
	}
	vals := make([]string, len(c.vals))
	for i := range c.vals {
		vals[i] = c.vals[i].raw
		t := &c.vals[i].t
		if c.op.base.positive() == opArnEquals || c.op.base.positive() == opArnLike {
			full := compileTmpl(c.vals[i].raw, true, strings.Contains(c.vals[i].raw, "${") && c.vals[i].arnVars)
			t = &full
		}
		if t.hasVar {
			if toks, r := e.resolve(t); r == tTrue {
				var b strings.Builder
				for _, k := range toks {
					switch k.kind {
					case gLit:
						b.WriteString(k.s)
					case gStar:
						b.WriteByte('*')
					case gOne:
						b.WriteByte('?')
					}
				}
				vals[i] = b.String()
			}
		}
	}
	return Requirement{Key: c.src.Key, Operator: c.op.name, Values: vals}
}

// condAbsent evaluates a condition whose key is not in the request
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html:
// false, except true for negated operators, ...IfExists, Null "true" and
// ForAllValues).
func condAbsent(c *ccond) tri {
	if c.op.base == opNull {
		for i := range c.vals {
			if c.vals[i].ok && c.vals[i].null {
				return tTrue
			}
		}
		return tFalse
	}
	switch {
	case c.op.ifExists:
		return tTrue
	case c.op.set == setForAll:
		return tTrue
	case c.op.set == setForAny:
		return tFalse
	}
	return triOf(c.op.base.negated())
}

func (e *Evaluator) condKnown(c *ccond, vals []string) tri {
	if c.op.base == opNull {
		for i := range c.vals {
			if c.vals[i].ok && !c.vals[i].null {
				return tTrue
			}
		}
		return tFalse
	}
	neg := c.op.base.negated()
	pos := c.op.base.positive()
	if c.op.set != setNone {
		// ForAllValues: every request value; ForAnyValue: at least one. A
		// negated operator applies per request value (a logical NOR over
		// the policy values).
		all := c.op.set == setForAll
		r := triOf(all)
		for _, v := range vals {
			m := e.matchAny(c, pos, v)
			if neg {
				m = m.not()
			}
			if all {
				r = and3(r, m)
			} else {
				r = or3(r, m)
			}
			if r != tUnknown && r != triOf(all) {
				return r
			}
		}
		return r
	}
	r := tFalse
	for _, v := range vals {
		if r = or3(r, e.matchAny(c, pos, v)); r == tTrue {
			break
		}
	}
	if neg {
		return r.not()
	}
	return r
}

// matchAny reports whether request value v matches any of the condition's
// values under the positive operator pos.
func (e *Evaluator) matchAny(c *ccond, pos baseOp, v string) tri {
	r := tFalse
	for i := range c.vals {
		if r = or3(r, e.matchOne(pos, v, &c.vals[i])); r == tTrue {
			return r
		}
	}
	return r
}

func (e *Evaluator) matchOne(op baseOp, v string, cv *cval) tri {
	if !cv.ok {
		return tFalse
	}
	switch op {
	case opStringEquals:
		return e.tmplMatch(&cv.t, v, false)
	case opStringEqualsIgnoreCase, opBool:
		if lit, ok := cv.t.literal(); ok {
			return triOf(strings.EqualFold(v, lit))
		}
		return e.tmplMatch(&cv.t, v, true)
	case opStringLike:
		return e.tmplMatch(&cv.t, v, false)
	case opBinaryEquals:
		return triOf(v == cv.raw)
	case opArnEquals, opArnLike:
		a := splitARN(v)
		return e.matchARN(cv.arn, &a)
	case opIPAddress:
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil {
			if p, ok := parseCIDR(v); ok {
				a = p.Addr()
			} else {
				return tFalse
			}
		}
		return triOf(cv.prefix.Contains(a.Unmap()) || cv.prefix.Contains(a))
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return tFalse
		}
		switch op {
		case opNumericEquals:
			return triOf(f == cv.num)
		case opNumericLessThan:
			return triOf(f < cv.num)
		case opNumericLessThanEquals:
			return triOf(f <= cv.num)
		case opNumericGreaterThan:
			return triOf(f > cv.num)
		}
		return triOf(f >= cv.num)
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		d, ok := parseDate(v)
		if !ok {
			return tFalse
		}
		cmp := d.Compare(cv.date)
		switch op {
		case opDateEquals:
			return triOf(cmp == 0)
		case opDateLessThan:
			return triOf(cmp < 0)
		case opDateLessThanEquals:
			return triOf(cmp <= 0)
		case opDateGreaterThan:
			return triOf(cmp > 0)
		}
		return triOf(cmp >= 0)
	}
	return tFalse
}

// condExcept evaluates a condition on a key known not to take any of the
// values the context excludes (it may also be absent). It is decided only when every policy
// value is a fixed string among excluded, for an exact-match operator.
func (e *Evaluator) condExcept(c *ccond) tri {
	switch c.op.base.positive() {
	case opStringEquals, opStringLike, opArnEquals, opArnLike:
	default:
		return tUnknown
	}
	for i := range c.vals {
		cv := &c.vals[i]
		lit, ok := cv.t.literal()
		if p := c.op.base.positive(); p == opArnEquals || p == opArnLike {
			lit, ok = cv.arn.literal()
		}
		if !ok || !e.excepts(c.key, lit) {
			return tUnknown
		}
	}
	// Every present value fails the positive match.
	neg := c.op.base.negated()
	switch c.op.set {
	case setNone:
		if neg {
			return tTrue
		}
		if c.op.ifExists {
			return tUnknown
		}
		return tFalse
	case setForAny:
		if !neg && !c.op.ifExists {
			return tFalse
		}
		if neg && c.op.ifExists {
			return tTrue
		}
		return tUnknown
	}
	if neg {
		return tTrue // ForAllValues: every value fails, vacuously true when empty
	}
	return tUnknown
}

// ---- principals ----

// principalMatch returns, per grant class, whether a resource-based
// statement's Principal or NotPrincipal applies to the caller.
func (e *Evaluator) principalMatch(s *cstmt, layer Layer, level int) [nClasses]fv {
	var out [nClasses]fv
	s.finish() // a lazily compiled statement (compileLazy)
	if s.prin == nil {
		out[clsDirect] = fvTrue // no Principal element: applies to every caller
		return out
	}
	if s.notPrin {
		// "NotPrincipal with Deny will always deny any IAM principal that has a
		// permissions boundary policy attached"
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
		if s.deny && e.in.PermissionBoundary != nil && e.c.iam() {
			out[clsDirect] = fvTrue
			return out
		}
		out[clsDirect] = e.fvNot(e.listed(s.prin, layer, level))
		return out
	}
	p := s.prin
	if p.wildcard && e.c.provider && !p.wildOther && !slices.Contains(p.federated, e.c.arn) {
		out[clsDirect] = e.providerWildcard(p, layer, level)
		return out
	}
	if p.wildcard {
		out[clsDirect] = fvTrue
		return out
	}
	if e.c.kind == cUnknown {
		return e.principalByKeys(p, layer, level)
	}
	c := &e.c
	for i := range p.aws {
		ap := &p.aws[i]
		switch ap.kind {
		case pkAccount:
			if c.iam() && c.account == ap.account {
				out[clsAccount] = fvTrue
			}
		case pkRole:
			if (c.kind == cRole || c.kind == cSession) && c.account == ap.account && c.roleName == ap.name {
				out[clsRole] = fvTrue
			}
		default:
			if c.arn == ap.raw {
				out[clsDirect] = fvTrue
			}
		}
	}
	if c.kind == cService {
		for _, s := range p.service {
			if strings.EqualFold(s, c.arn) {
				out[clsDirect] = fvTrue
			}
		}
	}
	if slices.Contains(p.federated, c.arn) || slices.Contains(p.canonical, c.arn) {
		out[clsDirect] = fvTrue
	}
	return out
}

// providerWildcard matches a Principal element with a wildcard ("*" or
// {"AWS": "*"}) that does not name the caller, an identity provider's
// users (AssumeRoleWithWebIdentity, AssumeRoleWithSAML). {"AWS": "*"}
// does not match them: it "does not allow web identity session
// principals, SAML session principals, or service principals"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous).
// Of "Principal": "*" AWS says that it "allows anyone, even if they're not
// signed in to AWS" (the same page), and of these calls that the identity
// provider "must be specified in the role's trust policy"
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html,
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html):
// whether "*" matches the provider's users is not documented, so it is
// undecided: the Requirement {Key: "Principal", Operator: "*"} (never
// allow or deny by guess).
func (e *Evaluator) providerWildcard(p *cprin, layer Layer, level int) fv {
	if p.src.Wildcard {
		return e.fvAtom(atom{req: Requirement{Key: "Principal", Operator: "*", Values: []string{"an identity provider's users"}}, layer: layer, level: level})
	}
	// {"AWS": "*"}: only a principal the element names matches them.
	if e.namesCaller(p) {
		return fvTrue
	}
	return fvFalse
}

// namesCaller reports whether an AWS, Service or CanonicalUser value of
// p is the caller's ARN or name (the Federated values are checked by
// principalMatch).
func (e *Evaluator) namesCaller(p *cprin) bool {
	c := &e.c
	for i := range p.aws {
		if c.arn == p.aws[i].raw {
			return true
		}
	}
	for _, s := range p.service {
		if strings.EqualFold(s, c.arn) {
			return true
		}
	}
	return slices.Contains(p.canonical, c.arn)
}

// principalByKeys matches a Principal element against a caller known only
// through aws:PrincipalAccount and aws:PrincipalArn.
func (e *Evaluator) principalByKeys(p *cprin, layer Layer, level int) [nClasses]fv {
	var out [nClasses]fv
	var bufs [3][4]fv // the values of few principals, without allocating
	acct, role, direct := bufs[0][:0], bufs[1][:0], bufs[2][:0]
	for i := range p.aws {
		ap := &p.aws[i]
		switch ap.kind {
		case pkAccount:
			acct = append(acct, e.cond(&ap.byKey, layer, level))
		case pkRole:
			role = append(role, e.byAccount(ap, e.cond(&ap.byKey, layer, level), layer, level))
		case pkSession:
			direct = append(direct, e.byAccount(ap, e.sessionByKeys(ap, layer, level), layer, level))
		default:
			direct = append(direct, e.byAccount(ap, e.cond(&ap.byKey, layer, level), layer, level))
		}
	}
	out[clsAccount], out[clsRole], out[clsDirect] = e.fvOr(acct...), e.fvOr(role...), e.fvOr(direct...)
	return out
}

// byAccount refines an undecided ARN principal match with the caller's
// account: an ARN of another account cannot name the caller.
func (e *Evaluator) byAccount(ap *awsPrin, x fv, layer Layer, level int) fv {
	if x.t != tUnknown || ap.byAccount.src == nil {
		return x
	}
	if a := e.cond(&ap.byAccount, layer, level); a.t == tFalse {
		return fvFalse
	}
	return x // the ARN requirement implies the account
}

// sessionByKeys: a role-session principal matches only that session; with
// the caller known through aws:PrincipalArn (the role's ARN for a session)
// it is decided only when that ARN is another role's or absent.
func (e *Evaluator) sessionByKeys(ap *awsPrin, layer Layer, level int) fv {
	st, vals := e.key(keyPrincipalArn)
	switch st {
	case keyAbsent:
		return fvFalse
	case keyPresent:
		if !slices.Contains(vals, ap.roleArn) {
			return fvFalse
		}
	}
	return e.fvAtom(atom{req: Requirement{Key: "Principal", Operator: "AWS", Values: []string{ap.raw}}, layer: layer, level: level})
}

// rootByKeys: an account in a NotPrincipal element lists the account's
// root user alone, not its roles' sessions or its users
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html:
// the account's ARN keeps the account from being denied, its principals
// are checked against their own ARNs); a caller known only through its
// keys is it only if it is of that account and its root user.
func (e *Evaluator) rootByKeys(ap *awsPrin, layer Layer, level int) fv {
	acct := e.cond(&ap.byKey, layer, level) // aws:PrincipalAccount
	if acct.t == tFalse {
		return fvFalse
	}
	if st, vals := e.key("aws:principaltype"); st == keyAbsent || (st == keyPresent && !slices.ContainsFunc(vals, func(v string) bool { return strings.EqualFold(v, "Account") })) {
		return fvFalse
	}
	switch st, vals := e.key(keyPrincipalArn); st {
	case keyAbsent:
		return fvFalse
	case keyPresent:
		if !slices.ContainsFunc(vals, func(v string) bool { return strings.HasSuffix(v, ":iam::"+ap.account+":root") }) {
			return fvFalse
		}
		return acct
	}
	return e.and2(acct, e.fvAtom(atom{req: Requirement{Key: "Principal", Operator: "AWS", Values: []string{ap.raw}}, layer: layer, level: level}))
}

// listed reports whether a NotPrincipal element names the caller. The
// caller is listed when its own principal ARN is: the session ARN for a
// role session (naming only the role does not exempt its sessions; a role
// ARN as the caller stands for its sessions, listed only by the name of
// one of them), the user ARN for a user, the account for the root user
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
func (e *Evaluator) listed(p *cprin, layer Layer, level int) fv {
	if p.wildcard {
		return fvTrue
	}
	c := &e.c
	switch c.kind {
	case cAnonymous:
		return fvFalse
	case cService:
		for _, s := range p.service {
			if strings.EqualFold(s, c.arn) {
				return fvTrue
			}
		}
		return fvFalse
	case cUnknown:
		var buf [4]fv
		alts := buf[:0]
		for i := range p.aws {
			ap := &p.aws[i]
			switch ap.kind {
			case pkUser, pkFederatedUser, pkOther:
				alts = append(alts, e.byAccount(ap, e.cond(&ap.byKey, layer, level), layer, level))
			case pkSession:
				alts = append(alts, e.byAccount(ap, e.sessionByKeys(ap, layer, level), layer, level))
			case pkAccount:
				alts = append(alts, e.rootByKeys(ap, layer, level))
			}
		}
		return e.fvOr(alts...)
	}
	var buf [2]fv
	sessions := buf[:0]
	for i := range p.aws {
		ap := &p.aws[i]
		switch {
		case ap.kind == pkAccount:
			if c.kind == cRoot && c.account == ap.account {
				return fvTrue
			}
		case ap.kind == pkSession && c.kind == cRole:
			// A role's requests are its sessions': one of them is named,
			// the request's session name decides (naming the role itself
			// spares none of them, so a role caller is never listed by it).
			if c.account == ap.account && c.roleName == ap.name {
				sessions = append(sessions, e.fvAtom(atom{req: Requirement{Key: "Principal", Operator: "AWS", Values: []string{ap.raw}}, layer: layer, level: level}))
			}
		case c.arn == ap.raw && c.kind != cRole:
			return fvTrue
		}
	}
	return e.fvOr(sessions...)
}

// ---- statements and layers ----

// stmtBase evaluates a statement's action, resource and conditions.
func (e *Evaluator) stmtBase(s *cstmt, layer Layer, level int) fv {
	m := false
	for i := range s.actions {
		if s.actions[i].match(e.action, e.actSvc, e.actName) {
			m = true
			break
		}
	}
	if m == s.notAction {
		return fvFalse
	}
	s.finish() // a lazily compiled statement (compileLazy)
	r := e.resourceMatch(s)
	if r.t == tFalse {
		return r
	}
	for i := range s.conds {
		x := e.cond(&s.conds[i], layer, level)
		if x.t == tFalse {
			return x
		}
		r = e.and2(r, x)
	}
	return r
}

// newLayer appends a layer to the evaluation.
func (e *Evaluator) newLayer(layer Layer, level int) *layerEval {
	if len(e.layers) == cap(e.layers) {
		panic("policy: layer capacity exceeded") // reset reserves room for every layer
	}
	e.layers = append(e.layers, layerEval{layer: layer, level: level, hits: len(e.hits)})
	return &e.layers[len(e.layers)-1]
}

// evalLayer evaluates the policies of one layer (one level of SCPs or
// RCPs). With resourceType, Principal elements apply.
func (e *Evaluator) evalLayer(layer Layer, level int, pols []*Policy, resourceType bool) *layerEval {
	if len(pols) == 0 && !e.in.Trace {
		return &e.empty // never written: a layer without policies
	}
	l := e.newLayer(layer, level)
	for _, p := range pols {
		if p == nil {
			continue
		}
		l.applies = true
		var prog *program
		if !p.unreadable {
			prog, _ = p.program() // nil when a hand-built policy does not compile
		}
		if prog == nil {
			// Unreadable (or uncompilable): it may allow or deny anything.
			l.allow[clsDirect] = e.fvOr(l.allow[clsDirect], e.fvAtom(atom{unreadable: p.Name, req: Requirement{Operator: "allow"}, layer: layer, level: level}))
			l.deny = e.fvOr(l.deny, e.fvAtom(atom{unreadable: p.Name, req: Requirement{Operator: "deny"}, layer: layer, level: level}))
			continue
		}
		for i := range prog.stmts {
			s := &prog.stmts[i]
			base := e.stmtBase(s, layer, level)
			if base.t == tFalse {
				continue
			}
			var any fv
			if resourceType {
				pm := e.principalMatch(s, layer, level)
				var m [nClasses]fv
				for k := range m {
					m[k] = e.and2(base, pm[k])
				}
				any = e.or2(e.or2(m[0], m[1]), m[2])
				if any.t == tFalse {
					continue
				}
				if s.deny {
					l.deny = e.or2(l.deny, any)
				} else {
					for k := range m {
						l.allow[k] = e.or2(l.allow[k], m[k])
					}
				}
			} else {
				any = base
				if s.deny {
					l.deny = e.or2(l.deny, any)
				} else {
					l.allow[clsDirect] = e.or2(l.allow[clsDirect], any)
				}
			}
			e.hits = append(e.hits, hit{p: p, s: s.src, layer: layer, level: level, t: any.t, deny: s.deny})
			l.nhits++
		}
	}
	return l
}
