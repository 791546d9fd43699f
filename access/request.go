package access

import (
	"fmt"
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// Decision is the decision of one request through every layer, with the
// deciding layers, the conditions it depends on and a reason naming the
// deciding statements or settings.
type Decision struct {
	model.Cell
	// Engine is the policy engine's decision of the evaluation that decided
	// (ImplicitDeny for the settings that deny without a statement: the
	// AWS managed key across accounts, anonymous SSE-KMS requests).
	Engine policy.Decision
	// BPABlocked: Block Public Access turned a grant into a deny.
	BPABlocked bool
	// KMSBlocked says why KMS denied what S3 allowed: "aws-managed",
	// "key-policy", "key-state" (the key is disabled, pending deletion …)
	// or "anonymous"; "" otherwise.
	KMSBlocked string
	// OrgBlocked is "scp" or "rcp" when an SCP or RCP explicitly denied.
	OrgBlocked string
	// Steps are the evaluations behind the decision, in order, when the
	// caller asked for them (Caller.Trace).
	Steps []Step
}

// Step is one evaluation behind a Decision: its name ("s3", "s3 key
// public/x", "vpce vpce-0abc", "kms"; S3 steps carry the bucket ACL's
// grants as Input.Grants), the engine input and the result with its
// per-layer checklist.
type Step struct {
	Name   string
	Input  policy.Input
	Result policy.Result
}

// Decide decides one request of caller c on the bucket: the S3 layers
// (SCPs, RCPs, Block Public Access, bucket policy, bucket ACL, identity,
// VPC endpoints) and then, for reads and writes of an SSE-KMS bucket, the
// KMS call S3 makes on the caller's behalf. key "" means any object key.
func (bl *BucketLayers) Decide(c *Caller, action, key string) Decision {
	bl.steps, bl.tracing = nil, c.Trace
	o := bl.decideRequest(c, action, key)
	switch o.verdict { // the engine decision agrees with the verdict
	case model.VerdictAllow:
		o.engine = policy.Allow
	case model.VerdictConditional:
		o.engine = policy.Conditional
	case model.VerdictUnknown:
		o.engine = policy.Unknown
	default:
		if o.engine != policy.ExplicitDeny {
			o.engine = policy.ImplicitDeny
		}
	}
	d := Decision{Cell: o.cell(), Engine: o.engine, BPABlocked: o.bpaBlocked, KMSBlocked: o.kmsBlocked, OrgBlocked: o.orgBlocked, Steps: bl.steps}
	bl.steps, bl.tracing = nil, false
	return d
}

// decide decides one cell of the matrix: the request of caller c for a
// matrix action; the manage column is decideManage.
func (bl *BucketLayers) decide(c *Caller, action, key string) outcome {
	if action == ActionManage {
		return bl.decideManage(c)
	}
	return bl.decideRequest(c, action, key)
}

// decideManage decides the manage column: whether the caller can change
// the bucket's access control. That is s3:PutBucketPolicy, or, where ACLs
// are in force (Object Ownership is not BucketOwnerEnforced),
// s3:PutBucketAcl: the bucket ACL's WRITE_ACP and FULL_CONTROL grants allow
// it, as policies may. Under BucketOwnerEnforced PutBucketAcl accepts only
// the bucket-owner-full-control ACL, which changes nobody's access, so it
// does not count. The cell is the OR of the two requests, and its reason
// names the action that allows.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
func (bl *BucketLayers) decideManage(c *Caller) outcome {
	p := bl.decideRequest(c, ActionManage, "")
	if bl.ACLs == TriFalse || (p.verdict == model.VerdictAllow && len(p.narrow) == 0) {
		return p
	}
	a := bl.decideRequest(c, ActionPutBucketACL, "")
	if bl.ACLs == TriUnknown && isOpen(a) {
		a = outcome{verdict: model.VerdictUnknown, engine: policy.Unknown, layers: a.layers.with(model.LayerACL),
			reason: fmt.Sprintf("%s counts only where ACLs are enabled, and Object Ownership could not be read: %s", ActionPutBucketACL, a.reason)}
	}
	return orOutcome(p, a)
}

// orOutcome combines two requests either of which suffices (the manage
// column's): an allow for everyone decides; two allows narrowed to
// principals allow the principals of either; two conditional ones are
// allowed when either's conditions hold; an unknown one leaves the other's
// conditional or deny unproven (unknown); two denies deny, naming both.
func orOutcome(a, b outcome) outcome {
	switch {
	case a.verdict == model.VerdictAllow && len(a.narrow) == 0:
		return a
	case b.verdict == model.VerdictAllow && len(b.narrow) == 0:
		return b
	case a.verdict == model.VerdictAllow && b.verdict == model.VerdictAllow:
		a.narrow = a.narrow.or(b.narrow)
		a.layers |= b.layers
		a.refs = append(append([]policy.StatementRef(nil), a.refs...), b.refs...)
		a.reason = joinReasons(a.reason, b.reason)
		return a
	case a.verdict == model.VerdictAllow:
		return a
	case b.verdict == model.VerdictAllow:
		return b
	case a.verdict == model.VerdictUnknown:
		a.reason = joinReasons(a.reason, b.reason)
		return a
	case b.verdict == model.VerdictUnknown:
		b.reason = joinReasons(a.reason, b.reason)
		return b
	case a.verdict == model.VerdictConditional && b.verdict == model.VerdictConditional:
		a.alts = a.alts.or(b.alts)
		a.layers |= b.layers
		a.refs = append(append([]policy.StatementRef(nil), a.refs...), b.refs...)
		a.acctSpecific = a.acctSpecific || b.acctSpecific
		a.reason = joinReasons(a.reason, b.reason)
		return a
	case a.verdict == model.VerdictConditional:
		return a
	case b.verdict == model.VerdictConditional:
		return b
	}
	o := a // both deny
	o.layers |= b.layers
	o.bpaBlocked = a.bpaBlocked || b.bpaBlocked
	if o.orgBlocked == "" {
		o.orgBlocked, o.orgBlockedBy = b.orgBlocked, b.orgBlockedBy
	}
	if a.engine != policy.ExplicitDeny || b.engine != policy.ExplicitDeny {
		o.engine = policy.ImplicitDeny
	}
	o.reason = joinReasons(a.reason, b.reason)
	return o
}

// joinReasons joins the reasons of the manage column's two requests (none
// when quiet).
func joinReasons(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// decideRequest decides one request of caller c: the S3 layers and, for
// reads and writes of an SSE-KMS bucket, the KMS call.
func (bl *BucketLayers) decideRequest(c *Caller, action, key string) outcome {
	var o outcome
	if key == "" {
		o = bl.decideKeys(c, action)
	} else {
		o = bl.decideS3(c, action, key)
	}
	if o.verdict != model.VerdictDeny {
		if k, ok := bl.decideKMS(c, action); ok {
			if k.verdict == model.VerdictDeny && o.verdict != model.VerdictUnknown {
				o.kmsBlocked = k.kmsBlocked
			}
			blocked := o.kmsBlocked
			o = and(o, k, bl.refs)
			o.kmsBlocked = blocked
		}
	}
	o = o.settle(c)
	// An object ACL grants like a bucket policy statement: it cannot lift
	// an explicit deny, a KMS key that refuses, or an SCP/RCP that denies.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
	denied := o.verdict == model.VerdictDeny && (o.engine == policy.ExplicitDeny || o.kmsBlocked != "" || o.orgBlocked != "")
	if action == ActionRead && bl.ACLs != TriFalse && !denied && (o.verdict != model.VerdictAllow || len(o.narrow) > 0) {
		o.reason += "; object ACLs (not read) could still grant reads of individual objects"
	}
	return o
}

// S3Input returns a copy of the engine input Decide evaluates for the S3
// request: context included, RestrictPublicBuckets from the effective BPA
// and the bucket ACL's grants that apply to the caller (when ACLs are in
// effect; public ones dropped under IgnorePublicAcls). Where a setting is
// unknown Decide evaluates both ways; this input takes it as off.
func (bl *BucketLayers) S3Input(c *Caller, action, key string) *policy.Input {
	in := *bl.input(c, action, key)
	in.RestrictPublicBuckets = bl.BPA.RestrictPublicBuckets == TriTrue && bl.PolicyPublic != TriFalse
	if bl.ACLs == TriTrue && bl.ACLRead {
		if gp, err := bl.aclPolicy(bl.grantsFor(c, action, bl.BPA.IgnorePublicACLs == TriTrue), action); err == nil {
			in.Grants = gp
		}
	}
	return &in
}

// KMSInput returns the engine input of the KMS call S3 makes on the
// caller's behalf for action; false when the action or the bucket's
// encryption involves none, or the key cannot be evaluated (unread
// encryption, anonymous caller, AWS managed key across accounts: Decide
// decides those without the engine).
func (bl *BucketLayers) KMSInput(c *Caller, action string) (*policy.Input, bool) {
	return bl.kmsInput(c, action, nil)
}

// input builds the engine input of an S3 request.
func (bl *BucketLayers) input(c *Caller, action, key string) *policy.Input {
	in := &bl.in
	if bl.s3Caller != c {
		// The caller's context for the bucket's requests, kept for its next
		// request (a caller's are decided one after another).
		bl.s3Caller, bl.s3Ctx = c, c.context(bl.ix, "s3")
	}
	v := policy.Input{
		Principal:          c.Principal,
		Action:             action,
		Resource:           bl.ResourceARN(action, key),
		ResourceAccount:    bl.Account.ID,
		Context:            bl.s3Ctx,
		BaseContext:        bl.base(&bl.s3Base, bl.Account.ID, "s3"),
		IdentityPolicies:   c.Identity,
		PermissionBoundary: c.Boundary,
		SessionPolicy:      c.Session,
		ResourcePolicy:     bl.Policy,
	}
	if c.Identity == nil && !c.anonymous() {
		v.IdentityPolicies = bl.ix.assumedIdentity(action)
	}
	if c.SCPs.Governed {
		v.SCPs = c.SCPs.Levels
	}
	if bl.RCPs.Governed {
		v.RCPs = bl.RCPs.Levels
	}
	setInput(in, &v)
	if ids := c.sourceVpce(); len(ids) > 0 {
		// The request went through this endpoint: its policy applies.
		in.VPCEndpointPolicies = nil
		for _, id := range ids {
			if _, p, ok := bl.ix.Endpoint(id); ok {
				in.VPCEndpointPolicies = append(in.VPCEndpointPolicies, p)
			} else {
				in.VPCEndpointPolicies = append(in.VPCEndpointPolicies, policy.Unreadable("VPC endpoint policy of "+id+" (not collected)"))
			}
		}
	}
	return in
}

// setInput makes *dst v, writing only the fields that differ: the input
// of a bucket's next request shares most of them, and a pointer written
// while the collector marks costs a write barrier.
func setInput(dst, v *policy.Input) {
	setIf(&dst.Principal, v.Principal)
	setIf(&dst.Action, v.Action)
	setIf(&dst.Resource, v.Resource)
	setIf(&dst.ResourceAccount, v.ResourceAccount)
	setIf(&dst.Context, v.Context)
	setIf(&dst.BaseContext, v.BaseContext)
	setSlice(&dst.IdentityPolicies, v.IdentityPolicies)
	setIf(&dst.PermissionBoundary, v.PermissionBoundary)
	setIf(&dst.SessionPolicy, v.SessionPolicy)
	setIf(&dst.ResourcePolicy, v.ResourcePolicy)
	setSlice(&dst.SCPs, v.SCPs)
	setSlice(&dst.RCPs, v.RCPs)
	setSlice(&dst.VPCEndpointPolicies, v.VPCEndpointPolicies)
	setIf(&dst.Grants, v.Grants)
	dst.RequireResourcePolicy, dst.RestrictPublicBuckets, dst.Trace = v.RequireResourcePolicy, v.RestrictPublicBuckets, v.Trace
}

// setIf sets *dst to v unless it is v already.
func setIf[T comparable](dst *T, v T) {
	if *dst != v {
		*dst = v
	}
}

// setSlice sets *dst to v unless it is the same slice already (sameSlice).
func setSlice[T any](dst *[]T, v []T) {
	if !sameSlice(*dst, v) {
		*dst = v
	}
}

// sameSlice reports whether a and b are the same slice: nil or not, the
// same elements, length and capacity.
func sameSlice[T any](a, b []T) bool {
	if len(a) != len(b) || cap(a) != cap(b) || (a == nil) != (b == nil) {
		return false
	}
	return cap(a) == 0 || &a[:1][0] == &b[:1][0]
}

// sourceVpce returns the VPC endpoint a concrete request is known to come
// through (Caller.Context's aws:SourceVpce).
func (c *Caller) sourceVpce() []string {
	for k, v := range c.Context {
		if strings.EqualFold(k, "aws:SourceVpce") {
			return v
		}
	}
	return nil
}

// who names the caller in reasons.
func (c *Caller) who() string {
	if c.Label != "" {
		return c.Label
	}
	if c.Principal != "" {
		return c.Principal
	}
	return "principals of account " + c.Account
}

// decideS3 evaluates the S3 request, resolving what the engine cannot: an
// unknown RestrictPublicBuckets, the bucket ACL, VPC endpoint policies.
func (bl *BucketLayers) decideS3(c *Caller, action, key string) outcome {
	in := bl.input(c, action, key)
	in.RestrictPublicBuckets = bl.BPA.RestrictPublicBuckets == TriTrue && bl.PolicyPublic != TriFalse
	o := bl.evalS3(in, c, action)
	if bl.BPA.RestrictPublicBuckets != TriUnknown || bl.PolicyPublic == TriFalse {
		return o
	}
	// RestrictPublicBuckets could not be read: decide with it on too.
	in.RestrictPublicBuckets = true
	outs := [2]outcome{o, bl.evalS3(in, c, action)}
	if outs[0].verdict != outs[1].verdict {
		return outcome{verdict: model.VerdictUnknown, layers: layersOf(model.LayerBPA),
			reason: fmt.Sprintf("%s for %s depends on Block Public Access RestrictPublicBuckets, which could not be read (%s with it off, %s with it on)", action, c.who(), outs[0].verdict, outs[1].verdict)}
	}
	return o
}

// evalS3 runs the engine for one BPA assumption and applies the ACL and
// VPC endpoint layers.
func (bl *BucketLayers) evalS3(in *policy.Input, c *Caller, action string) outcome {
	step := "s3"
	// The object's key when the request names one (no concatenation: this
	// runs for every evaluation).
	if k, ok := strings.CutPrefix(in.Resource, bl.ARN); ok && len(k) > 0 && k[0] == '/' && k[1:] != anyKey {
		step = "s3 key " + k[1:]
	}
	if in.RestrictPublicBuckets && bl.BPA.RestrictPublicBuckets == TriUnknown {
		step += " (RestrictPublicBuckets assumed on)"
	}
	o, r := bl.evalWithACL(in, c, action, step)
	if r == nil {
		return o
	}
	if r.Decision == policy.ExplicitDeny || r.Decision == policy.ImplicitDeny {
		for _, l := range r.DecidedBy {
			if l == policy.LayerBPA {
				o.bpaBlocked = true
			}
		}
	}
	if o.verdict == model.VerdictDeny && r.Decision == policy.ExplicitDeny {
		o.orgBlocked, o.orgBlockedBy = orgDeny(r, bl.refs)
	}
	if o.verdict == model.VerdictConditional {
		o = bl.resolveEndpoints(in, c, action, r, o)
	}
	return o
}

// orgDeny reports whether an explicit deny came from an SCP or RCP only,
// and which statement: a copy, or with rc the one of an equal list it
// keeps (shared: the outcomes' statements are not modified).
func orgDeny(r *policy.Result, rc *refCache) (string, *policy.StatementRef) {
	for i := range r.Statements {
		// By index: a loop variable whose address is taken is allocated
		// for every statement.
		s := &r.Statements[i]
		if !strings.EqualFold(s.Effect, "Deny") {
			continue
		}
		layer := ""
		switch s.Layer {
		case policy.LayerSCP:
			layer = model.LayerSCP
		case policy.LayerRCP:
			layer = model.LayerRCP
		default:
			continue
		}
		if rc == nil {
			c := *s
			return layer, &c
		}
		return layer, &rc.share(r.Statements[i : i+1])[0]
	}
	return "", nil
}

// vpceRequirement returns the endpoints a condition requires the request
// to come through (aws:SourceVpce equal to one of them).
func vpceRequirement(q policy.Requirement) ([]string, bool) {
	if !strings.EqualFold(q.Key, "aws:SourceVpce") {
		return nil, false
	}
	op := strings.TrimSuffix(q.Operator, "IfExists")
	switch {
	case (op == "StringEquals" || op == "StringEqualsIgnoreCase") && !q.Negated,
		(op == "StringNotEquals" || op == "StringNotEqualsIgnoreCase") && q.Negated:
		return q.Values, true
	}
	return nil, false
}

// resolveEndpoints evaluates, for a cell conditional on the request coming
// through given VPC endpoints, each collected endpoint's policy too.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html
func (bl *BucketLayers) resolveEndpoints(in *policy.Input, c *Caller, action string, r *policy.Result, o outcome) outcome {
	var endpoints []string
	for _, q := range r.Conditions {
		if ids, ok := vpceRequirement(q); ok {
			endpoints = addConds(endpoints, ids...)
		}
	}
	if len(endpoints) == 0 {
		return o
	}
	var allowed, denied, unknown, notCollected []string
	var conds dnf
	var layers layerSet
	for _, id := range endpoints {
		info := bl.ix.endpoints[id]
		if info == nil {
			notCollected = append(notCollected, id)
			continue
		}
		sub := &bl.subIn
		*sub = *in
		if len(c.Context) == 0 {
			// The endpoint's keys (endpointKeys) over the owner's, shared by
			// every caller: the caller's keys (callerKeys) set none of them.
			sub.BaseContext = bl.ix.endpointBase(in.BaseContext, info.keys)
		} else { // over the caller's own for the request, as its aws:SourceVpce
			sub.Context = policy.NewContextLayered(in.Context, info.keys)
		}
		sub.VPCEndpointPolicies = info.policies[:1:1]
		rr := bl.evaluateSub(sub, info.step)
		so := fromResult(rr, resourceBucket, action, c.who(), bl.reasonMode(), bl.refs)
		layers |= so.layers
		switch so.verdict {
		case model.VerdictAllow:
			allowed = append(allowed, id)
		case model.VerdictConditional:
			allowed = append(allowed, id)
			conds = conds.or(so.alts)
		case model.VerdictDeny:
			denied = append(denied, id+" ("+so.reason+")")
		default:
			unknown = append(unknown, id)
		}
	}
	out := o
	out.layers = o.layers.with(model.LayerVPCE)
	switch {
	case len(allowed) > 0:
		out.verdict = model.VerdictConditional
		var via dnf
		if len(allowed) == 1 {
			via = bl.refs.via(bl.ix.endpoints[allowed[0]])
		} else {
			for _, id := range allowed {
				via = via.or(dnf{{bl.ix.endpoints[id].cond}}) // allowed only with its info
			}
		}
		alts, never := via.and(conds)
		out.alts = alts
		out.reason = bl.refs.concat(action, " allowed for ", c.who(), " only through VPC endpoint ", strings.Join(allowed, ", "), " (its policy allows it)")
		if len(conds) > 0 {
			out.reason += " and only if " + conds.String()
		}
		if never { // the endpoints' policies allow only requests from elsewhere
			out = outcome{verdict: model.VerdictDeny, engine: policy.ImplicitDeny, layers: (o.layers | layers).with(model.LayerVPCE),
				reason: action + " for " + c.who() + " is implicitly denied: no request through VPC endpoint " + strings.Join(allowed, ", ") +
					" meets the conditions of its policy (" + conds.String() + ")"}
		}
	case len(notCollected) > 0 || len(unknown) > 0:
		// The endpoints we could not evaluate keep the cell conditional.
		out.reason = o.reason + fmt.Sprintf("; the policy of VPC endpoint %s was not collected", strings.Join(append(notCollected, unknown...), ", "))
	default:
		out = outcome{verdict: model.VerdictDeny, layers: (o.layers | layers).with(model.LayerVPCE),
			reason: action + " for " + c.who() + " requires VPC endpoint " + strings.Join(endpoints, ", ") + ", whose policy denies it: " + strings.Join(denied, "; ")}
	}
	return out
}

// decideKMS decides the KMS call S3 makes for the caller: kms:Decrypt to
// read, kms:GenerateDataKey to write an SSE-KMS bucket. ok is false when no
// KMS call is involved.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
func (bl *BucketLayers) decideKMS(c *Caller, action string) (outcome, bool) {
	kmsAction := KMSActionFor(action)
	rule := bl.KMSRuleFor(c, action)
	switch rule {
	case KMSRuleNone, KMSRuleNotKMS:
		return outcome{}, false
	case KMSRuleEncUnread:
		return outcome{verdict: model.VerdictUnknown, layers: layersOf(model.LayerKMS),
			reason: fmt.Sprintf("the bucket's default encryption could not be read; with SSE-KMS S3 would also need %s", kmsAction)}, true
	}
	keyName := bl.kmsParts().keyName
	switch rule {
	case KMSRuleAnonymous:
		return outcome{verdict: model.VerdictDeny, engine: policy.ImplicitDeny, layers: layersOf(model.LayerKMS), kmsBlocked: string(rule),
			reason: fmt.Sprintf("anonymous requests cannot use %s: S3 requires signed (SigV4) requests for SSE-KMS objects", keyName)}, true
	case KMSRuleAWSManaged:
		return outcome{verdict: model.VerdictDeny, engine: policy.ImplicitDeny, layers: layersOf(model.LayerKMS), kmsBlocked: string(rule),
			reason: fmt.Sprintf("%s needs %s on %s, which cannot be used by another account", action, kmsAction, keyName)}, true
	}
	// A key KMS cannot use denies every caller, whatever its policy says.
	state, usable, decided := bl.keyStateOutcome(action, kmsAction, keyName)
	if decided {
		return state, true
	}
	in, _ := bl.kmsInput(c, action, &bl.kmsIn)
	r := bl.evaluate(in, "kms")
	o := fromResult(r, resourceKey, kmsAction, c.who(), bl.reasonMode(), bl.refs)
	if usable == TriUnknown && bl.Key.Key != nil && o.verdict != model.VerdictDeny {
		return state, true // the key's state could not be read: only a deny decides
	}
	// The key policy must allow, directly or by delegating to the account:
	// an identity policy alone never grants access to a KMS key (the engine
	// applies this to kms: actions).
	// https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
	o.layers = o.layers.with(model.LayerKMS)
	o.reason = bl.refs.concat(action, " needs ", kmsAction, " on ", keyName, ": ", o.reason)
	if o.verdict == model.VerdictDeny {
		o.kmsBlocked = "key-policy"
	}
	return o, true
}

// kmsInput builds the engine input of the KMS call S3 makes for the caller,
// in into (a new one when nil).
func (bl *BucketLayers) kmsInput(c *Caller, action string, into *policy.Input) (*policy.Input, bool) {
	kmsAction := KMSActionFor(action)
	if r := bl.KMSRuleFor(c, action); r != KMSRuleKeyState && r != KMSRuleKeyPolicy {
		return nil, false
	}
	in := into
	if in == nil {
		in = &policy.Input{}
	}
	k := bl.kmsParts()
	v := policy.Input{
		Principal:          c.Principal,
		Action:             kmsAction,
		Resource:           k.resource,
		ResourceAccount:    bl.Key.Account,
		Context:            bl.kmsContext(c),
		BaseContext:        bl.base(&bl.kmsBase, bl.Key.Account, "kms"),
		IdentityPolicies:   c.Identity,
		PermissionBoundary: c.Boundary,
		SessionPolicy:      c.Session,
		ResourcePolicy:     bl.KeyPolicy,
		Grants:             k.grants,
		RCPs:               k.rcps,
	}
	if c.Identity == nil {
		v.IdentityPolicies = bl.ix.assumedIdentity(action)
	}
	if c.SCPs.Governed {
		v.SCPs = c.SCPs.Levels
	}
	setInput(in, &v)
	return in, true
}

// kmsCallParts are the parts of the bucket's KMS calls that are the same
// for every caller, made once (kmsParts).
type kmsCallParts struct {
	resource string             // the key's ARN
	grants   *policy.Policy     // its grants
	rcps     [][]*policy.Policy // the RCPs of its account, nil when none applies
	keyName  string             // the key as reasons name it
	ready    bool
}

// kmsParts returns the bucket's kmsCallParts.
func (bl *BucketLayers) kmsParts() *kmsCallParts {
	k := &bl.kms
	if k.ready {
		return k
	}
	k.resource = bl.Key.ARN
	if k.resource == "" {
		k.resource = awsid.KMSKey(bl.Bucket.Region, bl.Key.Account, "unknown")
	}
	k.grants = bl.ix.keyGrants[bl.Key.ARN]
	switch {
	case bl.Key.AWSManaged:
		k.keyName = "the AWS managed key aws/s3 of account " + bl.Key.Account
	case bl.Key.ARN != "":
		k.keyName = "KMS key " + bl.Key.ARN
	default:
		k.keyName = "KMS key " + bl.Key.Configured
	}
	// RCPs do not apply to AWS managed keys.
	// https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html
	if !bl.Key.AWSManaged {
		if rc := bl.ix.RCPs(bl.Key.Account); rc.Governed {
			k.rcps = rc.Levels
		}
	}
	k.ready = true
	return k
}

// kmsContext returns the caller's context of the KMS call S3 makes for it
// (Caller.context), kept for the caller's next one.
func (bl *BucketLayers) kmsContext(c *Caller) *policy.Context {
	if bl.kmsCaller != c {
		bl.kmsCaller, bl.kmsCtx = c, c.context(bl.ix, "kms")
	}
	return bl.kmsCtx
}

// base returns the BaseContext of the bucket's requests to service on a
// resource of owner in the bucket's region (Index.requestBase), kept in
// *kept for the bucket's next callers.
func (bl *BucketLayers) base(kept **policy.Context, owner, service string) *policy.Context {
	if *kept == nil {
		*kept = bl.ix.requestBase(owner, service, bl.Bucket.Region)
	}
	return *kept
}

// context returns the caller's keys of its requests to service ("s3";
// "s3-plain-http", the same without TLS; "kms" for the call S3 makes on
// the caller's behalf; or "sts" for an AssumeRole call), built once per
// caller whatever the resource, the input's Context: those of the service,
// region and resource owner are the input's BaseContext (requestBase),
// consulted after them. They are, in this order of precedence, the
// caller's own for the request (its explicit Context and kms:CallerAccount:
// requestKeys) and the caller's (callerKeys; an anonymous caller's are
// anonymousKeys).
// A caller kept across the accounts' buckets (worker.caller) so builds
// its contexts once, not once per account, and one with no request keys
// has its callerKeys as its context.
func (c *Caller) context(ix *Index, service string) *policy.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	own := c.ownKeysLocked(ix)
	if req := c.requestKeys(service, own); req != nil {
		return req
	}
	return own
}

// requestKeys returns the caller's keys of its requests to service that
// are neither the BaseContext's (requestBase) nor callerKeys', over own
// (callerKeys), built once per service; nil when there are
// none: kms:CallerAccount for the call to KMS, and the keys of Context
// (set over the others). c.mu is held.
func (c *Caller) requestKeys(service string, own *policy.Context) *policy.Context {
	if service != "kms" && len(c.Context) == 0 {
		return nil
	}
	for _, k := range c.reqKeys {
		if k.service == service {
			return k.ctx
		}
	}
	ctx := policy.NewContextOn(own)
	if service == "kms" {
		switch {
		case c.Account != "":
			ctx.Set("kms:CallerAccount", c.Account)
		case len(c.NotAccounts)+len(c.NotMembers) > 0:
			ctx.SetUnknownExceptShared("kms:CallerAccount", c.NotAccounts, c.NotMembers)
		}
	}
	for _, k := range sortedKeys(c.Context) {
		if service == "kms" && strings.EqualFold(k, "aws:SourceVpce") {
			continue // S3's call to KMS does not come through the endpoint
		}
		if v := c.Context[k]; len(v) == 0 {
			ctx.SetAbsent(k)
		} else {
			ctx.Set(k, v...)
		}
	}
	if c.reqKeys == nil {
		c.reqKeys = c.reqRoom[:0]
	}
	c.reqKeys = append(c.reqKeys, svcKeys{service, ctx})
	return ctx
}

// evaluate runs the policy engine, with the bucket's evaluator when it has
// one (the matrix gives each worker its own).
// evaluate runs the policy engine. With the worker's evaluator the result's
// slices live in a scratch buffer that the next evaluate call overwrites:
// consume the result first, and use evaluateSub for an evaluation nested
// in the use of another result.
func (bl *BucketLayers) evaluate(in *policy.Input, step string) *policy.Result {
	return bl.run(in, 0, step)
}

// evaluateSub is evaluate with a second scratch buffer.
func (bl *BucketLayers) evaluateSub(in *policy.Input, step string) *policy.Result {
	return bl.run(in, 1, step)
}

func (bl *BucketLayers) run(in *policy.Input, slot int, step string) *policy.Result {
	if bl.tracing {
		traced := *in
		traced.Trace = true
		r := policy.Evaluate(&traced)
		bl.steps = append(bl.steps, Step{Name: step, Input: traced, Result: r})
		return &r
	}
	if bl.ev == nil || bl.scratch == nil {
		r := policy.Evaluate(in)
		return &r
	}
	bl.ev.Evaluate(in, &bl.scratch[slot])
	return &bl.scratch[slot]
}

// assumedIdentity is the matrix's assumed identity policy for an action: it
// grants the S3 action and the KMS action S3 needs for it.
func (ix *Index) assumedIdentity(action string) []*policy.Policy {
	if p := ix.assumed[action]; p != nil {
		return p
	}
	return ix.assumed[""]
}
