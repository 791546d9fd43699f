package policy

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
)

// program is a policy compiled for evaluation.
type program struct {
	stmts  []cstmt
	public bool // IsPublic, computed once
	// lazy: statements are compiled on first use (see compileLazy), and
	// public is not computed yet.
	lazy bool
}

type resKind uint8

const (
	resNone resKind = iota // neither Resource nor NotResource: the resource the policy is attached to
	resList
	resNot
)

// cstmt is a compiled statement.
type cstmt struct {
	src       *Statement
	deny      bool
	notAction bool
	actions   []actionPat
	res       resKind
	resources []arnPat
	prin      *cprin // nil when the statement has neither Principal nor NotPrincipal
	notPrin   bool
	conds     []ccond
	// pending: only the actions are compiled yet (see compileLazy); vars
	// says whether policy variables apply, for the rest.
	pending, vars bool
}

// ccond is a compiled condition.
type ccond struct {
	src  *Condition
	key  string // lower case
	op   opInfo
	vals []cval
	// fixed: no value has a policy variable for Evaluator.requirement to
	// substitute, so the Requirement's values are src.Values, shared.
	fixed bool
}

// cval is one compiled condition value; which fields are used depends on
// the operator.
type cval struct {
	raw    string
	t      tmpl      // string and Bool operators
	arn    *arnPat   // ARN operators
	num    float64   // numeric operators
	date   time.Time // date operators
	prefix netip.Prefix
	null   bool // Null: true means "the key is absent"
	// arnVars: policy variables are active in an ARN operator's value.
	arnVars bool
	// account is the literal account field of an ARN value ("" when the
	// value is not an ARN or its account field has a wildcard or variable).
	account string
	ok      bool // the value parses for its operator
}

// principal kinds of an AWS principal value.
type prinKind uint8

const (
	pkWildcard prinKind = iota
	pkAccount
	pkRole
	pkUser
	pkSession
	pkFederatedUser
	pkOther
)

type awsPrin struct {
	raw     string
	kind    prinKind
	account string
	name    string // role name (without path) for pkRole and pkSession
	roleArn string // pkSession: the role's ARN (aws:PrincipalArn of the session)
	// byKey is the synthesized condition used when the caller is known only
	// through aws:PrincipalAccount / aws:PrincipalArn; byAccount tests the
	// account field of an ARN value.
	byKey     ccond
	byAccount ccond
}

// cprin is a compiled Principal or NotPrincipal element.
type cprin struct {
	src      *Principals
	wildcard bool
	// wildOther is set when a Service or CanonicalUser value is "*" (the
	// wildcards other than "Principal": "*" and {"AWS": "*"}).
	wildOther bool
	aws       []awsPrin
	service   []string
	federated []string
	canonical []string
}

// compile builds the evaluation program of p.
func compile(p *Policy) (*program, error) {
	vars := p.Version == Version2012
	prog, stmts := withRoom[program, cstmt](len(p.Statements))
	prog.stmts = stmts
	// One backing array per kind for the whole policy.
	var nAct int
	var r compileRoom
	for i := range p.Statements {
		s := &p.Statements[i]
		nAct += len(s.Action) + len(s.NotAction)
		r.nToks += actionsRoom(s)
		r.count(s)
	}
	allActs := make([]actionPat, nAct)
	r.make()
	for i := range p.Statements {
		s := &p.Statements[i]
		c := cstmt{src: s, deny: s.Effect == "Deny"}
		allActs = compileActions(&c, allActs, &r.toks)
		if err := compileRest(&c, vars, &r); err != nil {
			return nil, err
		}
		prog.stmts[i] = c
	}
	prog.public = isPublic(p, prog)
	return prog, nil
}

// withRoom returns a new H and a slice of n new E: in one allocation for
// one or two (the common cases of a policy's statements).
func withRoom[H, E any](n int) (*H, []E) {
	switch n {
	case 1:
		x := new(struct {
			h H
			e [1]E
		})
		return &x.h, x.e[:]
	case 2:
		x := new(struct {
			h H
			e [2]E
		})
		return &x.h, x.e[:]
	}
	return new(H), make([]E, n)
}

// compileRoom is the room the compiled resources, principals and
// conditions of statements take their parts from: one backing array per
// kind for them all (count, then make). Parts are taken from the head of
// each (appended to those made with a length of 0, which have room for all,
// so that earlier sub-slices stay valid).
type compileRoom struct {
	res   []arnPat
	conds []ccond
	vals  []cval
	prins []cprin
	aws   []awsPrin
	strs  []string
	// synth is the room of the conditions that stand for AWS principal
	// values (two a value at most: awsPrin.byKey and byAccount).
	synth []synthRoom
	// toks is the room of the patterns' tokens (compileTmplIn): of the
	// resources, and of the actions where the caller counts them.
	toks []gtok
	// nRes… are the counts of what count saw.
	nRes, nCond, nVals, nPrins, nAWS, nStrs, nToks int
}

// count adds what statement s's resources, principal and conditions need.
func (r *compileRoom) count(s *Statement) {
	r.nRes += len(s.Resource) + len(s.NotResource)
	for _, v := range s.Resource {
		r.nToks += arnRoom(v)
	}
	for _, v := range s.NotResource {
		r.nToks += arnRoom(v)
	}
	r.nCond += len(s.Conditions)
	for j := range s.Conditions {
		r.nVals += len(s.Conditions[j].Values)
	}
	for _, pr := range [2]*Principals{s.Principal, s.NotPrincipal} {
		if pr != nil {
			r.nPrins++
			r.nAWS += len(pr.AWS)
			r.nStrs += len(pr.Service)
		}
	}
}

// make makes the room count counted (nothing for a kind counted 0).
func (r *compileRoom) make() {
	r.res = make([]arnPat, r.nRes)
	r.conds = make([]ccond, 0, r.nCond)
	r.vals = make([]cval, r.nVals)
	// The principals, their AWS values and their conditions in one
	// allocation when a value each (the common cases).
	switch {
	case r.nPrins == 1 && r.nAWS == 1:
		x := &struct {
			prins [1]cprin
			aws   [1]awsPrin
			synth [2]synthRoom
		}{}
		r.prins, r.aws, r.synth = x.prins[:], x.aws[:0], x.synth[:]
	case r.nPrins == 2 && r.nAWS == 2:
		x := &struct {
			prins [2]cprin
			aws   [2]awsPrin
			synth [4]synthRoom
		}{}
		r.prins, r.aws, r.synth = x.prins[:], x.aws[:0], x.synth[:]
	default:
		r.prins = make([]cprin, r.nPrins)
		r.aws = make([]awsPrin, 0, r.nAWS)
		r.synth = make([]synthRoom, 2*r.nAWS)
	}
	r.strs = make([]string, 0, r.nStrs)
	r.toks = make([]gtok, 0, r.nToks)
}

// takeSynth returns the room of one principal value's condition (a new
// allocation once the room is used up, or without a room).
func (r *compileRoom) takeSynth() *synthRoom {
	if r == nil || len(r.synth) == 0 {
		return &synthRoom{}
	}
	x := &r.synth[0]
	r.synth = r.synth[1:]
	return x
}

// compileActions compiles the Action or NotAction of c.src into the head
// of buf and returns the rest of buf, the patterns' tokens taken from
// *toks (compileTmplIn; nil: allocated).
func compileActions(c *cstmt, buf []actionPat, toks *[]gtok) []actionPat {
	s := c.src
	acts := s.Action
	if s.NotAction != nil {
		c.notAction, acts = true, s.NotAction
	}
	c.actions, buf = buf[:len(acts):len(acts)], buf[len(acts):]
	for j, a := range acts {
		if a != "*" && !strings.Contains(a, ":") {
			// Unreachable through Parse; a hand-built statement.
			full := compileTmplIn(a, true, false, toks)
			c.actions[j] = actionPat{full: &full}
			continue
		}
		c.actions[j] = compileActionIn(a, toks)
	}
	return buf
}

// actionsRoom is the room of the tokens of compileActions(s).
func actionsRoom(s *Statement) int {
	n := 0
	for _, a := range s.Action {
		n += actionRoom(a)
	}
	for _, a := range s.NotAction {
		n += actionRoom(a)
	}
	return n
}

// compileRest compiles the resources, principal and conditions of c.src
// into the room r (which must have room for them: compileRoom).
func compileRest(c *cstmt, vars bool, r *compileRoom) error {
	s := c.src
	res := s.Resource
	switch {
	case s.NotResource != nil:
		c.res, res = resNot, s.NotResource
	case s.Resource != nil:
		c.res = resList
	}
	c.resources, r.res = r.res[:len(res):len(res)], r.res[len(res):]
	for j, v := range res {
		c.resources[j] = compileARNIn(v, vars, &r.toks)
	}
	switch {
	case s.Principal != nil:
		c.prin = compilePrincipals(s.Principal, r)
	case s.NotPrincipal != nil:
		c.prin, c.notPrin = compilePrincipals(s.NotPrincipal, r), true
	}
	start := len(r.conds)
	for j := range s.Conditions {
		cond := &s.Conditions[j]
		vals := r.vals[:len(cond.Values):len(cond.Values)]
		r.vals = r.vals[len(cond.Values):]
		cc, ok := compileConditionInto(cond, vars, vals)
		if !ok {
			return unknownOperator(s, j)
		}
		r.conds = append(r.conds, cc)
	}
	if len(r.conds) > start {
		c.conds = r.conds[start:len(r.conds):len(r.conds)]
	}
	return nil
}

// unknownOperator is the error of condition j of s, whose operator is not
// known.
func unknownOperator(s *Statement, j int) error {
	return &ParseError{Line: s.Line, Column: s.Column, Msg: "unknown condition operator " + strconv.Quote(s.Conditions[j].Operator)}
}

// compileConditionInto compiles condition c, its values into vals (of
// their length); false when its operator is not known.
func compileConditionInto(c *Condition, vars bool, vals []cval) (ccond, bool) {
	info, ok := parseOperator(c.Operator)
	if !ok {
		return ccond{}, false
	}
	cc := ccond{src: c, key: lowerKey(c.Key), op: info, vals: vals}
	vars = vars && info.base.takesVariables()
	for i, v := range c.Values {
		cc.vals[i] = compileValue(info.base.positive(), v, vars)
	}
	cc.fixed = fixedValues(&cc)
	return cc, true
}

// fixedValues reports whether Evaluator.requirement has no policy
// variable to substitute in the values of c: they are its source values.
func fixedValues(c *ccond) bool {
	if len(c.vals) == 0 || len(c.vals) != len(c.src.Values) {
		return false
	}
	arnOp := c.op.base.positive() == opArnEquals || c.op.base.positive() == opArnLike
	for i := range c.vals {
		v := &c.vals[i]
		if v.raw != c.src.Values[i] {
			return false
		}
		if arnOp && v.arnVars && strings.Contains(v.raw, "${") || !arnOp && v.t.hasVar {
			return false
		}
	}
	return true
}

func compileValue(op baseOp, v string, vars bool) cval {
	cv := cval{raw: v, ok: true}
	if segs, ok := splitARNPattern(v); ok && segs[4] != "" && !strings.ContainsAny(segs[4], "*?$") {
		cv.account = segs[4]
	}
	switch op {
	case opStringEquals, opStringEqualsIgnoreCase, opBool, opBinaryEquals:
		cv.t = compileTmpl(v, false, vars)
	case opStringLike:
		cv.t = compileTmpl(v, true, vars)
	case opArnEquals, opArnLike:
		a := compileARN(v, vars)
		cv.arn = &a
		cv.arnVars = vars
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		cv.num, cv.ok = f, err == nil
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		cv.date, cv.ok = parseDate(v)
	case opIPAddress:
		cv.prefix, cv.ok = parseCIDR(v)
	case opNull:
		switch strings.ToLower(v) {
		case "true":
			cv.null = true
		case "false":
		default:
			cv.ok = false
		}
	}
	return cv
}

// parseDate parses the W3C profile of ISO 8601 that IAM accepts, or epoch
// seconds.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && len(s) > 4 {
		return time.Unix(n, 0).UTC(), true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && strings.Contains(s, ".") && !strings.Contains(s, "-") {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parseCIDR parses "a.b.c.d/n", "a:b::/n" or a bare address (a /32 or /128).
func parseCIDR(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// compilePrincipals compiles a Principal or NotPrincipal element into the
// room r.
func compilePrincipals(p *Principals, r *compileRoom) *cprin {
	c := &r.prins[0]
	r.prins = r.prins[1:]
	*c = cprin{src: p, wildcard: p.Wildcard}
	start := len(r.aws)
	for _, v := range p.AWS {
		ap := classifyPrincipal(v, r)
		if ap.kind == pkWildcard {
			c.wildcard = true
			continue
		}
		r.aws = append(r.aws, ap)
	}
	if len(r.aws) > start {
		c.aws = r.aws[start:len(r.aws):len(r.aws)]
	} else if len(p.AWS) > 0 {
		c.aws = r.aws[start:start:start] // empty, not nil, as before
	}
	if len(p.Service) > 0 {
		start := len(r.strs)
		for _, v := range p.Service {
			if v == "*" {
				c.wildcard, c.wildOther = true, true
			}
			r.strs = append(r.strs, strings.ToLower(v))
		}
		c.service = r.strs[start:len(r.strs):len(r.strs)]
	}
	c.federated = p.Federated
	c.canonical = p.CanonicalUser
	for _, v := range p.CanonicalUser {
		if v == "*" {
			c.wildcard, c.wildOther = true, true
		}
	}
	return c
}

// classifyPrincipal parses an AWS principal value, its conditions in the
// room r (nil: allocated).
func classifyPrincipal(v string, r *compileRoom) awsPrin {
	ap := awsPrin{raw: v, kind: pkOther}
	switch {
	case v == "*":
		ap.kind = pkWildcard
		return ap
	case awsid.IsAccountID(v):
		ap.kind, ap.account = pkAccount, v
	default:
		a := splitARN(v)
		if !a.ok {
			break
		}
		pa := parsePrincipalARN(a)
		ap.kind, ap.account, ap.name, ap.roleArn = pa.kind, pa.account, pa.roleName, pa.roleArn
	}
	switch ap.kind {
	case pkAccount:
		ap.byKey = synthCondIn(r.takeSynth(), "aws:PrincipalAccount", ap.account)
	case pkRole, pkUser, pkFederatedUser, pkOther:
		ap.byKey = synthCondIn(r.takeSynth(), "aws:PrincipalArn", v)
	}
	if ap.kind != pkAccount && ap.account != "" && !strings.ContainsAny(ap.account, "*?") {
		ap.byAccount = synthCondIn(r.takeSynth(), "aws:PrincipalAccount", ap.account)
	}
	return ap
}

// synthRoom is the room of a condition synthCond builds: the condition, its
// value and its compiled value.
type synthRoom struct {
	c   Condition
	val [1]string
	cv  [1]cval
}

// synthCond builds a condition that stands for a Principal value when the
// caller is known only through context keys.
func synthCond(key, value string) ccond {
	// One allocation for the condition, its value and its compiled value.
	return synthCondIn(&synthRoom{}, key, value)
}

// synthCondIn is synthCond in the room x.
func synthCondIn(x *synthRoom, key, value string) ccond {
	x.val[0] = value
	x.c = Condition{Operator: "StringEquals", Key: key, Values: x.val[:]}
	x.cv[0] = compileValue(opStringEquals, value, false)
	cc := ccond{src: &x.c, key: lowerKey(key), op: opInfo{base: opStringEquals, name: "StringEquals"}, vals: x.cv[:]}
	cc.fixed = fixedValues(&cc)
	return cc
}

// Context keys derived from the principal.
const (
	keyPrincipalArn     = "aws:principalarn"
	keyPrincipalAccount = "aws:principalaccount"
)
