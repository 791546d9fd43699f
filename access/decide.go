package access

import (
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// Caller is who makes a request: one of the matrix's principal classes, or
// (for explain) one concrete principal.
type Caller struct {
	// Principal is an IAM ARN, "anonymous", or "" for a class of callers
	// known only through their account.
	Principal string
	// Account is the caller's account; "" when unknown.
	Account string
	// NotAccounts are accounts the caller is known not to belong to (when
	// Account is ""). Its request contexts share the list: it is not
	// modified once set.
	NotAccounts []string
	// NotMembers are more accounts the caller is known not to belong to,
	// sorted: a list shared by many callers (e.g. the members outside an SCP
	// group).
	NotMembers []string
	// InOrg says whether the caller's account belongs to the organisation.
	InOrg Tri
	// OrgID is the caller's organisation when InOrg is TriTrue and the
	// document has no organization section (an account of an accounts: scan
	// that said which one it belongs to); "" means the document's.
	OrgID string
	// OrgPath is the caller's aws:PrincipalOrgPaths value, "" when unknown.
	OrgPath string
	// SCPs govern the caller (not Governed for anonymous callers, accounts
	// outside the organisation and the management account).
	SCPs Chain
	// Identity are the caller's identity policies; nil means "assumed to
	// grant the action and the KMS action it needs" (the matrix's stated
	// assumption).
	Identity []*policy.Policy
	// Boundary and Session are the caller's permission boundary and session
	// policy, if any.
	Boundary, Session *policy.Policy
	// Canonical is the caller's S3 canonical user ID when the caller is
	// known only by it (an ACL grantee no account of the snapshot has).
	Canonical string
	// Label names the caller in reasons ("anonymous callers").
	Label string
	// Context holds request-context keys known for one concrete request
	// (explain's --context, a CloudTrail record), set over the defaults in
	// both the S3 and the KMS request; an empty list means known absent. With
	// aws:SourceVpce the endpoint's policy applies to the S3 request.
	Context map[string][]string
	// TagsKnown says the IAM tags of the caller's principals were collected:
	// for a concrete principal, PrincipalTags are all its tags (its other
	// aws:PrincipalTag/* keys are absent); for a class of callers,
	// conditions on aws:PrincipalTag/* narrow the class to the principals
	// with those tags instead of being unknown.
	TagsKnown     bool
	PrincipalTags map[string]string
	// Trace asks Decide for the evaluations behind its decision (Steps).
	Trace bool

	mu sync.Mutex // guards what follows (callers of computed shapes are shared)
	// own are the caller's keys of every context (callerKeys), once
	// ownBuilt; reqKeys its keys of the requests
	// to a service (requestKeys, over own).
	own      *policy.Context
	ownBuilt bool
	reqKeys  []svcKeys
	reqRoom  [1]svcKeys // the first room of reqKeys
}

// svcKeys are a caller's keys of its requests to a service (requestKeys).
type svcKeys struct {
	service string
	ctx     *policy.Context
}

func (c *Caller) anonymous() bool { return c.Principal == "anonymous" }

// outcome is one decided layer combination, before it becomes a Cell.
//
// Its small fields come together (one word with engine and layers): an
// outcome is in every row, cell, part and principal group (five each).
type outcome struct {
	verdict model.Verdict
	engine  policy.Decision // the deciding evaluation's decision
	layers  layerSet
	// acctSpecific: the conditions depend on which account calls (its ID,
	// OU path, or a principal ARN naming an account), so a group of member
	// accounts must be evaluated account by account.
	acctSpecific bool
	bpaBlocked   bool // for findings: BPA turned a grant into a deny
	alts         dnf  // conditional: the ways the request can be allowed
	// narrow (allow or conditional, for a class of callers): the principals
	// of the class it is limited to, one conjunction of conditions on the
	// principal per alternative (settle); nil when not narrowed.
	narrow dnf
	reason string
	// refs are the deciding statements (set with the reason, not when
	// quiet): what PrincipalAccess.Statements lists.
	refs []policy.StatementRef
	// what findings need
	kmsBlocked   string               // "aws-managed", "key-policy", "key-state" or "anonymous" when KMS denies what S3 allows
	orgBlocked   string               // "scp" or "rcp" when it denies what the bucket policy grants
	orgBlockedBy *policy.StatementRef // the deciding SCP/RCP statement, for findings
}

// cell converts the outcome into a report cell.
func (o outcome) cell() model.Cell {
	c := model.Cell{Verdict: o.verdict, DecidedBy: o.layers.names(), Reason: o.reason}
	if o.verdict == model.VerdictConditional {
		c.Conditions, c.AnyOf = o.alts.cellConditions()
	}
	if o.verdict == model.VerdictAllow || o.verdict == model.VerdictConditional {
		c.NarrowedTo, _ = o.narrow.cellConditions()
	}
	return c
}

// layerOrder is a layer's position in Layers (a switch for the layers
// the engine's results name, TestLayerOrderMatchesLayers keeping it in
// Layers' order).
func layerOrder(l string) int {
	switch l {
	case model.LayerSCP:
		return 0
	case model.LayerRCP:
		return 1
	case model.LayerBPA:
		return 2
	case model.LayerBucketPolicy:
		return 3
	case model.LayerACL:
		return 4
	case model.LayerKMS:
		return 5
	case model.LayerIdentity:
		return 6
	case model.LayerVPCE:
		return 7
	}
	for i, x := range model.Layers() {
		if x == l {
			return i
		}
	}
	return len(model.Layers())
}

// layerSet is a set of decided_by layers.
type layerSet uint16

// layerBit returns the bit of a layer name (its position in Layers).
func layerBit(l string) layerSet { return 1 << layerOrder(l) }

func layersOf(names ...string) layerSet {
	var s layerSet
	for _, n := range names {
		s |= layerBit(n)
	}
	return s
}

func (s layerSet) with(names ...string) layerSet { return s | layersOf(names...) }

func (s layerSet) without(name string) layerSet { return s &^ layerBit(name) }

func (s layerSet) has(name string) bool { return s&layerBit(name) != 0 }

// names lists the layers in Layers order (never nil): a list of
// layerNameLists, shared (cells share their lists: read only).
func (s layerSet) names() []string {
	if i := int(s); i < len(layerNameLists) {
		return layerNameLists[i]
	}
	return s.makeNames()
}

// makeNames builds names' list of s.
func (s layerSet) makeNames() []string {
	out := make([]string, 0, 3)
	for i, l := range model.Layers() {
		if s&(1<<i) != 0 {
			out = append(out, l)
		}
	}
	return out[:len(out):len(out)]
}

// layerNameLists is an immutable table: the names of every set of the
// layers of Layers, indexed by the set (the cells' decided_by lists are
// these, not one copy per cell).
var layerNameLists = func() [][]string {
	t := make([][]string, 1<<len(model.Layers()))
	for i := range t {
		t[i] = layerSet(i).makeNames()
	}
	return t
}()

func addConds(into []string, more ...string) []string {
	for _, c := range more {
		dup := false
		for _, h := range into {
			if h == c {
				dup = true
				break
			}
		}
		if !dup {
			into = append(into, c)
		}
	}
	return into
}

// resourceKind says what the resource policy of an evaluation is, to name
// LayerResource in decided_by.
type resourceKind uint8

const (
	resourceBucket resourceKind = iota
	resourceKey
)

// layerName maps an engine layer to decided_by's vocabulary.
func layerName(l policy.Layer, kind resourceKind) string {
	switch l {
	case policy.LayerSCP:
		return model.LayerSCP
	case policy.LayerRCP:
		return model.LayerRCP
	case policy.LayerResource:
		if kind == resourceKey {
			return model.LayerKMS
		}
		return model.LayerBucketPolicy
	case policy.LayerGrant:
		if kind == resourceKey {
			return model.LayerKMS
		}
		return model.LayerACL
	case policy.LayerVPCE:
		return model.LayerVPCE
	case policy.LayerBPA:
		return model.LayerBPA
	}
	return model.LayerIdentity // identity, permission boundary, session policy
}

// FormatRequirement renders one condition of a Conditional decision for a
// cell's conditions list: "aws:SourceVpce = vpce-0a1b", "aws:SourceIp in
// 203.0.113.0/24", "not (aws:PrincipalArn = arn:...)".
func FormatRequirement(r policy.Requirement) string {
	if r.Key == "Principal" && r.Operator == "*" {
		// An identity provider's users and a "Principal": "*" of a trust
		// policy (policy's providerWildcard): AWS does not document it.
		return `the trust policy's "Principal": "*" matches an identity provider's users (AWS does not document it: the provider must be named in the trust policy, and {"AWS": "*"} does not match them)`
	}
	op := r.Operator
	negated := r.Negated
	// A negated plain operator is its opposite: AWS evaluates StringEquals
	// on an absent key as false and StringNotEquals as true, so
	// not(StringNotEquals) is StringEquals exactly. IfExists and set
	// operators have no exact opposite and keep the "not (...)".
	if negated && !strings.HasSuffix(op, "IfExists") && !strings.Contains(op, ":") {
		if inv, ok := oppositeOperator(op); ok {
			op, negated = inv, false
		}
	}
	op = strings.TrimSuffix(op, "IfExists")
	prefix := ""
	if i := strings.Index(op, ":"); i >= 0 { // ForAnyValue:/ForAllValues:
		prefix, op = op[:i+1], op[i+1:]
	}
	vals := strings.Join(r.Values, ", ")
	if len(r.Values) > 1 {
		vals = "[" + vals + "]"
	}
	var s string
	switch op {
	case "StringEquals", "ArnEquals", "Bool", "NumericEquals", "DateEquals", "StringEqualsIgnoreCase":
		s = r.Key + " = " + vals
		if len(r.Values) > 1 {
			s = r.Key + " in " + vals
		}
	case "StringNotEquals", "ArnNotEquals", "NumericNotEquals", "DateNotEquals", "StringNotEqualsIgnoreCase":
		s = r.Key + " != " + vals
		if len(r.Values) > 1 {
			s = r.Key + " not in " + vals
		}
	case "StringLike", "ArnLike":
		s = r.Key + " like " + vals
	case "StringNotLike", "ArnNotLike":
		s = r.Key + " not like " + vals
	case "IpAddress":
		s = r.Key + " in " + vals
	case "NotIpAddress":
		s = r.Key + " not in " + vals
	case "Null":
		if vals == "true" {
			s = r.Key + " is absent"
		} else {
			s = r.Key + " is present"
		}
	default:
		s = r.Key + " " + op + " " + vals
	}
	if prefix != "" {
		s = prefix + " " + s
	}
	if negated {
		return "not (" + s + ")"
	}
	return s
}

// oppositeOperator returns the operator that is true exactly when op is
// false (for operators without IfExists or a set prefix).
func oppositeOperator(op string) (string, bool) {
	pairs := [][2]string{
		{"StringEquals", "StringNotEquals"}, {"StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"},
		{"StringLike", "StringNotLike"}, {"ArnEquals", "ArnNotEquals"}, {"ArnLike", "ArnNotLike"},
		{"IpAddress", "NotIpAddress"},
	}
	for _, p := range pairs {
		switch op {
		case p[0]:
			return p[1], true
		case p[1]:
			return p[0], true
		}
	}
	return "", false
}

// describeStatements names the statements of a decision for a reason:
// `bucket policy statement "PublicRead"`, `SCP p-1 (DenyDelete) statement #0`.
func describeStatements(refs []policy.StatementRef, effect string) string {
	return describeRefs(refs, effect, false)
}

// describeRefs is describeStatements of refs but, with noGuards, their
// guardrail statements (as if they had been dropped from refs): with
// effect Allow and noGuards dropsGuards(refs), the statements that grant
// an allow (the guardrails, SCP, RCP and VPC endpoint policy statements,
// merely let it through when a resource or identity policy's grants).
func describeRefs(refs []policy.StatementRef, effect string, noGuards bool) string {
	sn := namesOf(refs, effect, noGuards)
	return sn.String()
}

// refLen is the length of a statement's name in describeStatements: its
// quoted Sid, or "#" and its index.
func refLen(sid string, index int) int {
	if sid == "" {
		n := 2 // "#" and a digit
		for i := index; i >= 10 || i <= -10; i /= 10 {
			n++
		}
		if index < 0 {
			n++
		}
		return n
	}
	if plainQuoted(sid) {
		return len(sid) + 2 // the quotes
	}
	return len(strconv.Quote(sid))
}

// seenBefore reports whether refs already name the statement r.
func seenBefore(refs []policy.StatementRef, r policy.StatementRef, effect string, noGuards bool) bool {
	for _, x := range refs {
		if noGuards && statementRank(x.Layer) == 2 {
			continue // dropped
		}
		if x.Policy == r.Policy && x.Index == r.Index && (effect == "" || strings.EqualFold(x.Effect, effect)) {
			return true
		}
	}
	return false
}

// statementRank orders statements in reasons: resource policies first,
// then identity policies, then guardrails.
func statementRank(l policy.Layer) int {
	switch l {
	case policy.LayerResource, policy.LayerGrant:
		return 0
	case policy.LayerIdentity, policy.LayerBoundary, policy.LayerSession:
		return 1
	}
	return 2
}

// guards counts the guardrail statements of refs.
func guards(refs []policy.StatementRef) int {
	n := 0
	for _, r := range refs {
		if statementRank(r.Layer) == 2 {
			n++
		}
	}
	return n
}

// dropsGuards reports whether the guardrail statements of refs are left
// out of an allow's granting statements: some are guardrails, not all.
func dropsGuards(refs []policy.StatementRef) bool {
	n := guards(refs)
	return n > 0 && n < len(refs)
}

// reasonMode says how much of an outcome's reason fromResult makes.
type reasonMode uint8

const (
	// reasonFull makes the reason and the deciding statements.
	reasonFull reasonMode = iota
	// reasonNone makes neither (a caller that needs only the verdict).
	reasonNone
	// reasonRefs makes the deciding statements and the conditions but no
	// reason text, but for an unknown verdict (a principal list's entry
	// names the statements, and gives a reason only when unknown: its
	// caller decides an unknown outcome again with reasonFull, whose
	// reason may join those of layers decided otherwise).
	reasonRefs
)

// fromResult turns an engine result into an outcome with a reason (as
// mode says).
func fromResult(r *policy.Result, kind resourceKind, action, who string, mode reasonMode, rc *refCache) outcome {
	o := outcome{engine: r.Decision}
	for _, l := range r.DecidedBy {
		o.layers = o.layers.with(layerName(l, kind))
	}
	if mode == reasonRefs && r.Decision != policy.Unknown {
		o.refs = decidingRefs(r, rc)
		o.verdict = verdictOf(r.Decision)
		if o.verdict == model.VerdictConditional {
			o.alts = alternativesOf(r, kind, rc)
			o.acctSpecific = requirementsAccountSpecific(r)
		}
		return o
	}
	if mode == reasonNone {
		o.verdict = verdictOf(r.Decision)
		if o.verdict == model.VerdictConditional {
			o.alts = alternativesOf(r, kind, rc)
			o.acctSpecific = requirementsAccountSpecific(r)
		}
		return o
	}
	o.refs = decidingRefs(r, rc)
	var reasons *reasonCache
	if rc != nil {
		reasons = &rc.reasons
	}
	if s, ok := reasons.reason(r, kind, action, who); ok { // an allow or a deny
		o.verdict, o.reason = verdictOf(r.Decision), s
		return o
	}
	switch r.Decision {
	case policy.Conditional:
		o.verdict = model.VerdictConditional
		o.alts = alternativesOf(r, kind, rc)
		o.acctSpecific = requirementsAccountSpecific(r)
		if grants := grantStatements(r); len(grants) > 0 {
			// Grants (the bucket ACL, KMS grants) are what allows.
			o.reason = action + " allowed for " + who + " by " + describeStatements(grants, "Allow") + " only if " + o.alts.String()
			break
		}
		if s := describeStatements(r.Statements, ""); s != "" {
			o.reason = rc.concat(action, " allowed for ", who, " only if ", o.alts.String(), " (", s, ")")
		} else {
			o.reason = rc.concat(action, " allowed for ", who, " only if ", o.alts.String())
		}
	default:
		o.verdict = model.VerdictUnknown
		if len(r.Unreadable) > 0 { // their names say why ("(not read: AccessDenied)")
			o.reason = fmt.Sprintf("%s for %s depends on %s", action, who, unreadableNames(r))
		} else {
			o.reason = fmt.Sprintf("%s for %s depends on %s, which could not be read", action, who, unreadableNames(r))
		}
	}
	return o
}

// decidingRefs copies the statements that decided a result: the granting
// ones of an allow, the denying ones of an explicit deny, all of the others.
// With rc, a list equal to one of its recent ones is that one (shared:
// an outcome's refs are not modified).
func decidingRefs(r *policy.Result, rc *refCache) []policy.StatementRef {
	refs := r.Statements
	effect, n, noGuards := "", len(refs), false
	switch r.Decision {
	case policy.Allow:
		// The granting statements (describeRefs with dropsGuards).
		if effect, noGuards = "Allow", dropsGuards(refs); noGuards {
			n -= guards(refs)
		}
	case policy.ExplicitDeny:
		effect = "Deny"
	}
	var out []policy.StatementRef
	if rc != nil && n > 0 {
		out = rc.buf[:0]
	} else {
		out = make([]policy.StatementRef, 0, n)
	}
	for _, x := range refs {
		if noGuards && statementRank(x.Layer) == 2 {
			continue
		}
		if effect == "" || strings.EqualFold(x.Effect, effect) {
			out = append(out, x)
		}
	}
	if rc != nil && n > 0 {
		rc.buf = out
		return rc.share(out)
	}
	return out
}

// refCache keeps what a worker's evaluations make that recurs for every
// caller and bucket (a BucketLayers of its own keeps its own: explain's):
// the lists of deciding statements, so that equal lists are one (at most
// maxRefLists, by their hash: refsHash), the conds of requirements and the
// dnfs of alternatives and of endpoints, the ACL path's policies, and the
// reasons (those but the lists, the dnfs of endpoints and the ACL
// policies only with reasons.on: a worker's). Nothing it returns is
// modified once made.
type refCache struct {
	buf   []policy.StatementRef // the list being made
	lists map[uint64][]policy.StatementRef
	// conds are the conds of requirements (cond), by reqHash, at most
	// maxConds, made only with reasons.on (a worker's).
	conds map[uint64]condEntry
	vias  map[*endpointInfo]dnf // via's
	alts  map[uint64]altsEntry  // alternatives', by their hash
	// acl are the ACL path's policies by action and grants (aclPolicy).
	acl    map[string]*policy.Policy
	seed   maphash.Seed // of the hashes, once seeded
	seeded bool
	// reasons are the reasons made of the evaluations (fromResult).
	reasons reasonCache
}

// maxRefLists bounds refCache: the lists that recur are those of an
// account's callers and actions.
const maxRefLists = 1 << 10

// maxConds bounds refCache.conds.
const maxConds = 1 << 10

// condEntry is a cond made of a requirement (reqCond).
type condEntry struct {
	q policy.Requirement // its Values a copy
	c cond
}

// cond returns reqCond(q), made once per requirement of a worker's
// evaluations (the same conditions recur for every caller).
func (rc *refCache) cond(q policy.Requirement) cond {
	if rc == nil || !rc.reasons.on {
		return reqCond(q)
	}
	if rc.conds == nil || len(rc.conds) >= maxConds {
		rc.conds = make(map[uint64]condEntry, 64)
	}
	h := reqHash(rc.hashSeed(), q)
	if e, ok := rc.conds[h]; ok && e.q.Key == q.Key && e.q.Operator == q.Operator && e.q.Negated == q.Negated && slices.Equal(e.q.Values, q.Values) {
		if rc.reasons.check && rc.reasons.faults != nil && e.c != reqCond(q) {
			rc.reasons.faults.Add(1)
		}
		return e.c
	}
	c := reqCond(q)
	q.Values = slices.Clone(q.Values) // the result's may be scratch
	rc.conds[h] = condEntry{q, c}     // an entry of the same hash is replaced
	return c
}

// via returns the condition of a request through an endpoint,
// dnf{{info.cond}}, made once per endpoint (shared: no dnf is modified
// once made).
func (rc *refCache) via(info *endpointInfo) dnf {
	if d := rc.vias[info]; d != nil {
		return d
	}
	d := dnf{{info.cond}}
	if rc.vias == nil || len(rc.vias) >= maxConds {
		rc.vias = map[*endpointInfo]dnf{}
	}
	rc.vias[info] = d
	return d
}

// hashSeed returns the seed of the cache's hashes, made once.
func (rc *refCache) hashSeed() maphash.Seed {
	if !rc.seeded {
		rc.seed, rc.seeded = maphash.MakeSeed(), true
	}
	return rc.seed
}

// reqHash hashes a requirement.
func reqHash(seed maphash.Seed, q policy.Requirement) uint64 {
	const mul = 0x9e3779b97f4a7c15
	h := uint64(len(q.Values))
	if q.Negated {
		h |= 1 << 32
	}
	h = (h ^ maphash.String(seed, q.Key)) * mul
	h = (h ^ maphash.String(seed, q.Operator)) * mul
	for _, v := range q.Values {
		h = (h ^ maphash.String(seed, v)) * mul
	}
	return h
}

// share returns the cached list equal to refs, or a copy of refs, cached.
func (rc *refCache) share(refs []policy.StatementRef) []policy.StatementRef {
	if rc.lists == nil || len(rc.lists) >= maxRefLists {
		rc.lists = make(map[uint64][]policy.StatementRef, 64)
	}
	h := refsHash(rc.hashSeed(), refs)
	if l, ok := rc.lists[h]; ok && slices.Equal(l, refs) {
		return l
	}
	cp := make([]policy.StatementRef, len(refs))
	copy(cp, refs)
	rc.lists[h] = cp // a list of the same hash is replaced
	return cp
}

// refsHash hashes a list of statements (not their Origins: share tells
// lists of the same hash apart by them).
func refsHash(seed maphash.Seed, refs []policy.StatementRef) uint64 {
	const mul = 0x9e3779b97f4a7c15
	h := uint64(len(refs))
	for i := range refs {
		r := &refs[i]
		h = (h ^ maphash.String(seed, r.Policy)) * mul
		h = (h ^ maphash.String(seed, r.Sid)) * mul
		h = (h ^ maphash.String(seed, r.Effect)) * mul
		h = (h ^ uint64(r.Index)<<16 ^ uint64(r.Level)<<8 ^ uint64(r.Layer)) * mul
	}
	return h
}

// grantStatements returns the grant statements (Input.Grants) that a
// result names as deciding.
func grantStatements(r *policy.Result) []policy.StatementRef {
	if !slices.Contains(r.DecidedBy, policy.LayerGrant) {
		return nil
	}
	var out []policy.StatementRef
	for _, s := range r.Statements {
		if s.Layer == policy.LayerGrant {
			out = append(out, s)
		}
	}
	return out
}

// verdictOf maps an engine decision to a cell verdict.
func verdictOf(d policy.Decision) model.Verdict {
	switch d {
	case policy.Allow:
		return model.VerdictAllow
	case policy.Conditional:
		return model.VerdictConditional
	case policy.Unknown:
		return model.VerdictUnknown
	}
	return model.VerdictDeny
}

func unreadableNames(r *policy.Result) string {
	names := append([]string(nil), r.Unreadable...)
	for _, s := range r.Statements {
		names = addConds(names, s.Policy)
	}
	if len(names) == 0 {
		for _, l := range r.DecidedBy {
			names = addConds(names, l.String()+" policies")
		}
	}
	if len(names) == 0 {
		return "a policy"
	}
	return joinLimited(names, 3)
}

// requirementsAccountSpecific reports whether a Conditional result depends
// on which account calls.
func requirementsAccountSpecific(r *policy.Result) bool {
	for _, q := range r.Conditions {
		if accountSpecific(q) {
			return true
		}
	}
	for _, alt := range r.Alternatives {
		for _, q := range alt {
			if accountSpecific(q) {
				return true
			}
		}
	}
	return false
}

// accountSpecific reports whether a requirement depends on which member
// account calls: its ID, its OU path, or a principal ARN whose account field
// is a literal account.
func accountSpecific(q policy.Requirement) bool {
	// Of an ASCII key, EqualFold is ToLower's equality without its copy;
	// another is lowered and compared.
	key, ascii := q.Key, isASCII(q.Key)
	if !ascii {
		key = strings.ToLower(key)
	}
	fold := func(names ...string) bool {
		for _, n := range names {
			if (ascii && strings.EqualFold(key, n)) || key == n {
				return true
			}
		}
		return false
	}
	switch {
	case fold("aws:principalaccount", "aws:principalorgpaths", "kms:calleraccount"):
		return true
	case fold("aws:principalarn", "principal"):
		for _, v := range q.Values {
			if awsid.IsAccountID(arnAccount(v)) {
				return true
			}
		}
	}
	return false
}

// isASCII reports whether s is ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// resultAlternatives renders a Conditional result's condition in
// disjunctive normal form; a Complex result's, as the list of every
// condition involved, loose (cond.loose).
func resultAlternatives(r *policy.Result) dnf { return alternativesOf(r, resourceBucket, nil) }

// alternativesOf is resultAlternatives of the result of an evaluation of
// kind: the conditions of the KMS call (resourceKey) on keys that are not
// the principal's are the call's own (cond.kms). With rc, the conditions
// are those it keeps (refCache.cond).
func alternativesOf(r *policy.Result, kind resourceKind, rc *refCache) dnf {
	mk := func(q policy.Requirement) cond {
		c := rc.cond(q)
		c.kms = kind == resourceKey && !sharedWithKMSCall(q.Key)
		return c
	}
	if len(r.Alternatives) > 0 && !r.Complex {
		return rc.alternatives(r.Alternatives, kind, mk)
	}
	conj := make([]cond, 0, len(r.Conditions))
	for _, q := range r.Conditions {
		c := mk(q)
		c.loose = true
		if !slices.ContainsFunc(conj, c.same) {
			conj = append(conj, c)
		}
	}
	return dnf{conj}
}

// makeAlternatives is the dnf of alternatives, each a conjunction of the
// conds mk makes of its requirements: d.or(dnf{conj}) alternative by
// alternative, of conjunctions of one block, each sorted in place
// (normInPlace), in a list of room for all.
func makeAlternatives(alts [][]policy.Requirement, mk func(policy.Requirement) cond) dnf {
	n := 0
	for _, alt := range alts {
		n += len(alt)
	}
	block := make([]cond, n)
	d := make(dnf, 0, len(alts))
	for _, alt := range alts {
		conj := block[:len(alt):len(alt)]
		block = block[len(alt):]
		for i, q := range alt {
			conj[i] = mk(q)
		}
		conj, _ = normInPlace(conj)
		d = d.add(conj).bounded()
	}
	return d[:len(d):len(d)]
}

// altsEntry is the dnf of a result's alternatives for a kind of
// evaluation (makeAlternatives), with the requirements it was made of
// (copies).
type altsEntry struct {
	kind resourceKind
	alts [][]policy.Requirement
	d    dnf
}

// alternatives returns makeAlternatives(alts, mk) for an evaluation of
// kind, made once per alternatives of a worker's evaluations (the same
// recur for every caller they concern; shared: no dnf is modified once
// made).
func (rc *refCache) alternatives(alts [][]policy.Requirement, kind resourceKind, mk func(policy.Requirement) cond) dnf {
	if rc == nil || !rc.reasons.on {
		return makeAlternatives(alts, mk)
	}
	seed := rc.hashSeed()
	h := uint64(kind) + uint64(len(alts))<<8
	for _, alt := range alts {
		h = (h ^ uint64(len(alt))) * 0x9e3779b97f4a7c15
		for _, q := range alt {
			h = (h ^ reqHash(seed, q)) * 0x9e3779b97f4a7c15
		}
	}
	if e, ok := rc.alts[h]; ok && e.kind == kind && sameAlternatives(e.alts, alts) {
		if rc.reasons.check && rc.reasons.faults != nil && !sameDNF(e.d, makeAlternatives(alts, mk)) {
			rc.reasons.faults.Add(1)
		}
		return e.d
	}
	d := makeAlternatives(alts, mk)
	if rc.alts == nil || len(rc.alts) >= maxConds {
		rc.alts = make(map[uint64]altsEntry, 64)
	}
	rc.alts[h] = altsEntry{kind, copyAlternatives(alts), d} // an entry of the same hash is replaced
	return d
}

// sameAlternatives reports whether two lists of alternatives are equal.
func sameAlternatives(a, b [][]policy.Requirement) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			x, y := &a[i][j], &b[i][j]
			if x.Key != y.Key || x.Operator != y.Operator || x.Negated != y.Negated || !slices.Equal(x.Values, y.Values) {
				return false
			}
		}
	}
	return true
}

// copyAlternatives copies alternatives (a result's are scratch), their
// requirements in one block and their values in another.
func copyAlternatives(alts [][]policy.Requirement) [][]policy.Requirement {
	nq, nv := 0, 0
	for _, alt := range alts {
		nq += len(alt)
		for _, q := range alt {
			nv += len(q.Values)
		}
	}
	out := make([][]policy.Requirement, len(alts))
	reqs := make([]policy.Requirement, 0, nq)
	vals := make([]string, 0, nv)
	for i, alt := range alts {
		start := len(reqs)
		for _, q := range alt {
			v := len(vals)
			vals = append(vals, q.Values...)
			q.Values = vals[v:len(vals):len(vals)]
			reqs = append(reqs, q)
		}
		out[i] = reqs[start:len(reqs):len(reqs)]
	}
	return out
}

// sameDNF reports whether two dnfs hold the same conditions in the same
// order.
func sameDNF(a, b dnf) bool {
	return slices.EqualFunc(a, b, func(x, y []cond) bool { return slices.Equal(x, y) })
}

// sharedWithKMSCall reports whether a condition key has the same value in
// the S3 request and in the KMS call S3 makes for it: the keys of the
// principal (policy.PrincipalKey), whose identity S3 forwards (a forward
// access session, https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html),
// but kms:CallerAccount, which only the KMS call has. The request's other
// keys are the call's own: S3 makes it, not through the caller's network
// path (aws:SourceIp, aws:SourceVpce), with kms:ViaService and
// aws:CalledVia set, on another resource (aws:ResourceTag/*).
func sharedWithKMSCall(key string) bool {
	p, _ := policy.PrincipalKey(key)
	return p && !strings.EqualFold(key, "kms:CallerAccount")
}

// and combines two layers that must both allow (S3 and then KMS); with
// rc, their statements are a list of it (refCache.share). Conditional on
// conditions that no request meets together (policy.Requirement.Literal:
// a condition and its complement, one in each layer), it is an implicit
// deny that the two layers decide.
func and(a, b outcome, rc *refCache) outcome {
	switch {
	case a.verdict == model.VerdictDeny:
		return a
	case b.verdict == model.VerdictDeny:
		return b
	case a.verdict == model.VerdictUnknown || b.verdict == model.VerdictUnknown:
		o := a
		if a.verdict != model.VerdictUnknown {
			o = b
		}
		return o
	}
	o := a
	o.layers = a.layers | b.layers
	if len(b.refs) > 0 {
		if rc == nil {
			o.refs = append(append([]policy.StatementRef(nil), a.refs...), b.refs...)
		} else {
			rc.buf = append(append(rc.buf[:0], a.refs...), b.refs...)
			o.refs = rc.share(rc.buf)
		}
	}
	alts, never := a.alts.and(b.alts)
	if never {
		o.verdict, o.engine, o.alts, o.narrow, o.acctSpecific = model.VerdictDeny, policy.ImplicitDeny, nil, nil, false
		if a.reason != "" || b.reason != "" {
			o.reason = "implicitly denied: no request meets the conditions of both the S3 request and the KMS call (" +
				joinReasons(a.reason, b.reason) + ")"
		}
		return o
	}
	o.alts = alts
	o.acctSpecific = a.acctSpecific || b.acctSpecific
	if a.verdict == model.VerdictConditional || b.verdict == model.VerdictConditional {
		o.verdict = model.VerdictConditional
	}
	if b.reason != "" {
		o.reason = rc.concat(a.reason, "; ", b.reason)
	}
	return o
}

// ownKeysLocked returns the caller's callerKeys, built once; c.mu is
// held.
func (c *Caller) ownKeysLocked(ix *Index) *policy.Context {
	if !c.ownBuilt {
		c.own, c.ownBuilt = ix.callerKeys(c), true
	}
	return c.own
}

// callerKeys returns the keys of the caller's request contexts that depend
// on the caller alone, whatever the resource's owner (anonymousKeys for an
// anonymous caller). The keys shared with other callers
// (its principal's IDs, its OU's organisation keys) are layers of the
// context, held once: the context is a base (of Caller.context's), never
// a layer (whose own layers would not count).
func (ix *Index) callerKeys(c *Caller) *policy.Context {
	if c.anonymous() {
		return ix.anonymousKeys()
	}
	var buf [2]*policy.Context // copied by NewContextLayered
	shared := buf[:0]
	if c.Principal != "" { // aws:userid, aws:username, aws:PrincipalType (uniqueid.go)
		shared = append(shared, ix.callerIDs(c.Principal).ctx)
	}
	switch c.InOrg {
	case TriTrue:
		orgID := ix.OrgID
		if c.OrgID != "" {
			orgID = c.OrgID
		}
		if orgID != "" || c.OrgPath != "" {
			shared = append(shared, ix.orgKeys(orgID, c.OrgPath))
		}
	case TriFalse:
		if ix.OrgID != "" {
			shared = append(shared, ix.orgKeys("", ""))
		}
	}
	// No key of the caller's own below is one of theirs.
	ctx := policy.NewContextLayered(nil, shared...)
	if c.TagsKnown && c.Principal != "" {
		// A collected IAM role or user: its tags are all known.
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltag
		for _, k := range sortedKeys(c.PrincipalTags) {
			ctx.Set("aws:PrincipalTag/"+k, c.PrincipalTags[k])
		}
		ctx.SetAbsentPrefix("aws:PrincipalTag/")
	}
	if c.Account != "" {
		if c.Principal == "" {
			ctx.Set("aws:PrincipalAccount", c.Account)
		}
	} else if len(c.NotAccounts)+len(c.NotMembers) > 0 {
		ctx.SetUnknownExceptShared("aws:PrincipalAccount", c.NotAccounts, c.NotMembers)
	}
	return ctx
}
