package explain

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// ErrBucketNotFound marks a bucket that the document does not hold.
var ErrBucketNotFound = errors.New("bucket not found")

// Verdict is what one layer says of the request, on its own.
type Verdict string

// Verdicts of a checklist row.
const (
	VerdictAllows      Verdict = "allows"
	VerdictDenies      Verdict = "denies"
	VerdictNotInvolved Verdict = "not_involved"
	VerdictCouldNot    Verdict = "could_not_read"
	// VerdictConditional: the layer allows only if conditions on request
	// keys that were not stated hold (Evidence says which).
	VerdictConditional Verdict = "conditional"
)

// Text returns the verdict as people read it.
func (v Verdict) Text() string {
	switch v {
	case VerdictDenies:
		return "DENIES"
	case VerdictNotInvolved:
		return "not involved"
	case VerdictCouldNot:
		return "could not read"
	}
	return string(v)
}

// Decision is the final decision of a request.
type Decision string

// Decisions (the JSON contract of `explain --format json`).
const (
	DecisionAllow        Decision = "allow"
	DecisionExplicitDeny Decision = "explicit_deny"
	DecisionImplicitDeny Decision = "implicit_deny"
	DecisionUnknown      Decision = "unknown"
)

// Checklist layers beyond the access matrix's decided_by names.
const (
	// LayerCaller is the caller's credentials and identity (who asks).
	LayerCaller = "caller"
)

// checklist is the order of the rows: the hand-walked S3 403 checklist.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html
func checklist() []string {
	return []string{LayerCaller, model.LayerBucketPolicy, model.LayerIdentity, model.LayerBPA, model.LayerACL,
		model.LayerKMS, model.LayerVPCE, model.LayerSCP, model.LayerRCP}
}

func checklistRank(layer string) int {
	for i, l := range checklist() {
		if l == layer {
			return i
		}
	}
	return len(checklist())
}

// Row is one checklist row.
type Row struct {
	Layer   string  `json:"layer"`
	Title   string  `json:"title"`
	Verdict Verdict `json:"verdict"`
	// Blocks is set on the layers that decide a denial (or the uncertainty
	// of an unknown decision).
	Blocks   bool     `json:"blocks"`
	Evidence []string `json:"evidence"`
	// Fix is the AWS CLI command or policy change that lets the request
	// through this layer ("" when nothing is to fix here).
	Fix string `json:"fix,omitempty"`
}

// RequestSummary is the request as explained, resolved against the document.
type RequestSummary struct {
	Principal     string              `json:"principal"`
	PrincipalKind PrincipalKind       `json:"principal_kind"`
	Account       string              `json:"principal_account,omitempty"`
	Action        string              `json:"action"`
	Resource      string              `json:"resource"`
	Bucket        string              `json:"bucket"`
	BucketAccount string              `json:"bucket_account"`
	Region        string              `json:"region"`
	Key           string              `json:"key,omitempty"`
	Context       map[string][]string `json:"context,omitempty"`
	ObjectOwner   string              `json:"object_owner,omitempty"`
	ErrorCode     string              `json:"error_code,omitempty"`
	Source        string              `json:"source"`
}

// NoSuchKey says how S3 answers a request for a key that does not exist:
// 404 NoSuchKey with s3:ListBucket on the bucket, 403 AccessDenied without.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
type NoSuchKey struct {
	Status     int      `json:"status"`
	ListBucket Decision `json:"list_bucket"`
	BlockedBy  *string  `json:"blocked_by"`
	Detail     string   `json:"detail"`
	Fix        string   `json:"fix,omitempty"`
}

// Credentials flags problems of the caller's credentials themselves.
type Credentials struct {
	// Problem: "expired", "invalid", "principal_not_found",
	// or "outside_organization".
	Problem string `json:"problem"`
	Detail  string `json:"detail"`
	Fix     string `json:"fix"`
}

// Explanation is the answer: the checklist and the decision.
type Explanation struct {
	Request  RequestSummary `json:"request"`
	Decision Decision       `json:"decision"`
	// BlockedBy is the first blocking layer in checklist order, named as
	// the access matrix's decided_by; nil when allowed.
	BlockedBy *string `json:"blocked_by"`
	// DecidedBy are every deciding layer (the access model's decided_by).
	DecidedBy []string `json:"decided_by"`
	Reason    string   `json:"reason"`
	// Conditions: for an unknown decision that hinges on request keys not
	// stated, what must hold for the request to be allowed.
	Conditions  []string     `json:"conditions,omitempty"`
	Layers      []Row        `json:"layers"`
	NoSuchKey   *NoSuchKey   `json:"no_such_key,omitempty"`
	Credentials *Credentials `json:"credentials,omitempty"`
	// ViaRoles, when the caller is not allowed directly, are the roles it
	// can assume (in at most access.MaxAssumeHops steps) that can make the
	// request, with the path.
	ViaRoles []access.AssumeRoute `json:"via_roles,omitempty"`
	Notes    []string             `json:"notes,omitempty"`
}

// Options tune Explain.
type Options struct {
	// Source names where the document came from ("snapshot FILE", "live").
	Source string
}

// Explain explains req against an inventory document (a snapshot, a
// fixture, or what Collect gathered). doc is modified: the access model
// fills in the fixture defaults.
func Explain(doc *inventory.Document, req Request, opts Options) (*Explanation, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	ix := access.NewIndex(doc)
	acct, bkt := findBucket(ix, req.Bucket)
	if bkt == nil {
		return nil, fmt.Errorf("%w: %q is not in %s (%d accounts)", ErrBucketNotFound, req.Bucket, sourceName(opts.Source), len(doc.Accounts))
	}
	p := Principal{Kind: KindAccount, Account: req.Account}
	if req.Principal != "" {
		p, _ = ParsePrincipal(req.Principal) // Validate parsed it already
		if awsid.IsAccountID(req.Principal) {
			// The account's root, in the bucket's partition.
			p.Partition = ix.PartitionOf(bkt)
			p.ARN = awsid.Root(p.Partition, p.Account)
		}
	}
	direct := p
	if p.Kind == KindProvider {
		// The provider's users hold no AWS credentials of their own: what
		// they send S3 without a role's is an unsigned request.
		direct = Principal{Kind: KindAnonymous, ARN: Anonymous}
	}
	e := &explainer{ix: ix, req: &req, p: direct, bl: ix.NewBucketLayers(acct, bkt)}
	e.id = resolveIdentity(ix, direct)
	e.caller = e.newCaller()
	e.run()
	out := e.out
	out.Request = RequestSummary{
		Principal: p.ARN, PrincipalKind: p.Kind, Account: p.Account, Action: req.Action,
		Resource: e.bl.ResourceARN(req.Action, req.Key), Bucket: bkt.Name, BucketAccount: acct.ID, Region: bkt.Region,
		Key: req.Key, Context: req.Context, ObjectOwner: req.ObjectOwner, ErrorCode: req.ErrorCode, Source: opts.Source,
	}
	if p.Kind == KindAccount {
		out.Request.Principal = "a principal of account " + p.Account
	}
	if p.Kind == KindProvider {
		providerRoutes(ix, &out, p, acct, bkt, &req)
	} else if out.Decision != DecisionAllow {
		if from := assumeStart(ix, p); from != "" {
			out.ViaRoles = ix.AssumeRoutes(ix.NewBucketLayers(acct, bkt), from, req.Action, req.Key, req.Context)
		}
	}
	return &out, nil
}

// providerRoutes completes the explanation of a request by an identity
// provider's users (KindProvider): the checklist above is that of their
// request without a role's credentials, an unsigned one; the answer is
// the roles whose trust policies let them in
// (sts:AssumeRoleWithWebIdentity, sts:AssumeRoleWithSAML) and that can
// make the request, with the conditions on the provider's claims (its
// :sub, :aud, SAML:aud…) the trust policies test, which the request must
// meet. A role must name the provider in its trust policy for its users
// to assume it
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html,
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html).
func providerRoutes(ix *access.Index, out *Explanation, p Principal, acct *inventory.Account, bkt *inventory.Bucket, req *Request) {
	out.Reason = "without assuming a role (an identity provider's users hold no AWS credentials of their own, so S3 sees an unsigned request): " + out.Reason
	fixes := false
	for i := range out.Layers {
		l := &out.Layers[i]
		if l.Layer == LayerCaller {
			l.Evidence = append([]string{p.Describe() + ": they act on AWS only with the credentials of a role whose trust policy names the provider (" + providerAction(p) + "); this row and those below are their request without one, an unsigned (anonymous) request"}, l.Evidence...)
		}
		// A fix of the unsigned request would grant it to anyone.
		fixes = fixes || l.Fix != ""
		l.Fix = ""
	}
	if out.NoSuchKey != nil {
		fixes = fixes || out.NoSuchKey.Fix != ""
		out.NoSuchKey.Fix = ""
	}
	if fixes {
		out.Notes = append(out.Notes, "the fixes of the unsigned request are left out: they would grant the request to anyone; grant it to a role the provider's users assume instead (the routes below, or a role whose trust policy names the provider)")
	}
	g := ix.AssumeGraph()
	bl := ix.NewBucketLayers(acct, bkt)
	// A trust policy's "Principal": "*" may let them in too: AWS does not
	// document it, the route is conditional on it (access.AnyProviderNode).
	if any := access.AnyProviderNode(p.SAML); g.Node(any) != nil {
		out.ViaRoles = ix.AssumeRoutes(bl, any, req.Action, req.Key, req.Context)
	}
	if n := g.Node(p.ARN); n == nil || n.Kind != access.NodeFederated {
		if len(out.ViaRoles) == 0 {
			out.Notes = append(out.Notes, fmt.Sprintf("no role of the collected accounts trusts %s (a trust policy naming it as a Federated principal for %s): its users cannot act on the bucket through a role", p.ARN, providerAction(p)))
		}
		return
	}
	out.ViaRoles = append(ix.AssumeRoutes(bl, p.ARN, req.Action, req.Key, req.Context), out.ViaRoles...)
	// The claims the request states (--context HOST:sub=…, SAML:aud=…)
	// decide the trust policies that test them.
	refused := ix.ClaimRefusals(p.ARN, req.Context)
	if len(refused) > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("with the claims the request states, the trust policies of %s deny %s: its users cannot assume them with these claims", strings.Join(refused, ", "), p.ARN))
	}
	if len(out.ViaRoles) > 0 {
		return
	}
	var roles []string
	for _, path := range g.PathsFrom(p.ARN, access.MaxAssumeHops) {
		if r := path.Hops[len(path.Hops)-1].To; !slices.Contains(roles, r) && !slices.Contains(refused, path.Hops[0].To) {
			roles = append(roles, r)
		}
	}
	if len(roles) > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%s can assume %s, none of which can make %s on the bucket", p.ARN, strings.Join(roles, ", "), req.Action))
	}
}

// providerAction is the STS call of an identity provider's users.
func providerAction(p Principal) string {
	if p.SAML {
		return "sts:AssumeRoleWithSAML"
	}
	return "sts:AssumeRoleWithWebIdentity"
}

// assumeStart is the caller's node in the assume-role graph: its IAM ARN
// (a session's role), or an account's root ARN for a caller known by its
// account; "" for anonymous and federated callers.
func assumeStart(ix *access.Index, p Principal) string {
	switch p.Kind {
	case KindUser, KindRole:
		return p.ARN
	case KindSession:
		return awsid.Role(p.Partition, p.Account, "/", p.Name)
	case KindRoot, KindAccount:
		part := p.Partition
		if part == "" {
			part = awsid.AWS
		}
		return awsid.Root(part, p.Account)
	}
	return ""
}

func sourceName(s string) string {
	if s == "" {
		return "the document"
	}
	return s
}

// findBucket finds a bucket by name.
func findBucket(ix *access.Index, name string) (*inventory.Account, *inventory.Bucket) {
	for _, id := range ix.AccountIDs() {
		a := ix.Account(id)
		for i := range a.Buckets {
			if a.Buckets[i].Name == name {
				return a, &a.Buckets[i]
			}
		}
	}
	return nil, nil
}

// explainer holds one explanation in the making.
type explainer struct {
	ix     *access.Index
	req    *Request
	p      Principal
	id     identity
	bl     *access.BucketLayers
	caller *access.Caller

	dec       access.Decision
	s3        policy.Result
	kms       *policy.Result
	kmsAction string
	vpce      string // the endpoint the request states it went through
	out       Explanation
}

// orgKnown reports whether the document holds the organisation (its OU
// tree and policies were read).
func (e *explainer) orgKnown() bool { return e.ix.OrgID != "" }

// newCaller builds the access model's caller for the principal.
func (e *explainer) newCaller() *access.Caller {
	p := e.p
	c := &access.Caller{Principal: p.ARN, Account: p.Account, Identity: e.id.policies, Boundary: e.id.boundary,
		TagsKnown: e.id.tagsKnown, PrincipalTags: e.id.tags, Context: e.req.Context, Trace: true}
	switch p.Kind {
	case KindAnonymous:
		c.Account, c.Identity, c.InOrg = "", nil, access.TriFalse
		return c
	case KindAccount:
		c.Principal = ""
	}
	switch {
	case !e.orgKnown():
		// What the account said of its organisation, if anything: SCPs
		// that were not read are unknown, as in the access matrix.
		c.OrgID, c.InOrg = e.ix.MemberOf(p.Account)
		c.SCPs = e.ix.SCPs(p.Account)
	case e.ix.InOrg(p.Account):
		c.InOrg = access.TriTrue
		c.OrgPath = e.ix.OrgPath(p.Account)
		c.SCPs = e.ix.SCPs(p.Account)
	default:
		// SCPs of another organisation, if any, are not visible.
		c.InOrg = access.TriFalse
	}
	return c
}

// run decides, traces and builds the rows.
func (e *explainer) run() {
	req := e.req
	e.dec = e.bl.Decide(e.caller, req.Action, req.Key)
	if v, ok := req.contextValue("aws:SourceVpce"); ok && len(v) > 0 {
		e.vpce = v[0]
	}
	// The per-layer rows: the engine's traces of the evaluations Decide ran
	// (the S3 request with its ACL grants, the KMS call).
	e.s3 = e.step("s3", func() *policy.Input { return e.bl.S3Input(e.caller, req.Action, req.Key) })
	if kin, ok := e.bl.KMSInput(e.caller, req.Action); ok {
		r := e.step("kms", func() *policy.Input { return kin })
		e.kms = &r
	}
	if e.bl.EncRead && access.UsesKMS(e.bl.Encryption.Algorithm) {
		e.kmsAction = access.KMSActionFor(req.Action)
	}
	e.decide()
	e.out.Layers = []Row{
		e.callerRow(), e.bucketPolicyRow(), e.identityRow(), e.bpaRow(), e.aclRow(),
		e.kmsRow(), e.vpceRow(), e.orgRow(model.LayerSCP), e.orgRow(model.LayerRCP),
	}
	e.markBlocking()
	e.noSuchKey()
	e.notes()
}

// step returns the traced result of Decide's first evaluation whose name
// starts with prefix ("s3", "kms"), or, when Decide did not need one (it
// decided before reaching it), the traced evaluation of the input input
// gives.
func (e *explainer) step(prefix string, input func() *policy.Input) policy.Result {
	for _, st := range e.dec.Steps {
		if strings.HasPrefix(st.Name, prefix) {
			return st.Result
		}
	}
	in := input()
	in.Trace = true
	return policy.Evaluate(in)
}

// decide maps the access model's decision to explain's.
func (e *explainer) decide() {
	cell := e.dec.Cell
	o := &e.out
	o.Reason = cell.Reason
	o.DecidedBy = append([]string{}, cell.DecidedBy...)
	switch cell.Verdict {
	case model.VerdictAllow:
		o.Decision = DecisionAllow
	case model.VerdictDeny:
		o.Decision = DecisionImplicitDeny
		if e.dec.Engine == policy.ExplicitDeny {
			o.Decision = DecisionExplicitDeny
		}
	case model.VerdictConditional:
		o.Decision = DecisionUnknown
		o.Conditions = append(o.Conditions, cell.Conditions...)
		if cell.AnyOf {
			o.Reason += " (any one of the conditions suffices)"
		}
	default:
		o.Decision = DecisionUnknown
	}
	if e.objectOwnedElsewhere() && o.Decision == DecisionAllow {
		o.Decision = DecisionUnknown
		o.DecidedBy = []string{model.LayerACL}
		o.Reason = fmt.Sprintf("the object belongs to account %s, which uploaded it (Object Ownership %s): only its object ACL, which is not collected, can grant %s to %s; the bucket policy and the bucket owner's grants do not apply to it",
			e.req.ObjectOwner, e.bl.Ownership, e.req.Action, e.p.Describe())
	}
}

// objectOwnedElsewhere reports whether the request is for an object that
// another account than the bucket owner (and than the caller's) owns, on
// a bucket whose ACLs are in effect: then only the object's ACL grants.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
func (e *explainer) objectOwnedElsewhere() bool {
	r := e.req
	return r.ObjectOwner != "" && r.ObjectOwner != e.bl.Account.ID && r.ObjectOwner != e.p.Account &&
		ownerGoverned(r.Action) && e.bl.ACLs != access.TriFalse
}

// ownerGoverned reports whether the object's owner decides an object
// action: reading the object (or its ACL, tags, attributes) and changing its
// ACL. Writing a new object and deleting one are the bucket's matter (the
// bucket owner can delete any object, whoever owns it).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
func ownerGoverned(action string) bool {
	return strings.HasPrefix(action, "s3:GetObject") || action == "s3:PutObjectAcl" || action == "s3:PutObjectVersionAcl"
}

func firstInChecklist(layers []string) string {
	best := ""
	for _, l := range layers {
		if best == "" || checklistRank(l) < checklistRank(best) {
			best = l
		}
	}
	return best
}

// markBlocking flags the rows of the deciding layers and names the first
// of them in checklist order. Of the deciding layers, those whose own row
// denies are flagged (a bucket policy that allows only through an endpoint
// whose policy then denies is not), unless no deciding row denies.
func (e *explainer) markBlocking() {
	o := &e.out
	if o.Decision == DecisionAllow {
		return
	}
	// The deciding rows that deny come first, then those that could not be
	// read, then the conditional ones.
	var blocking []string
	for _, v := range []Verdict{VerdictDenies, VerdictCouldNot, VerdictConditional} {
		for _, r := range o.Layers {
			if slices.Contains(o.DecidedBy, r.Layer) && r.Verdict == v {
				blocking = append(blocking, r.Layer)
			}
		}
		if len(blocking) > 0 {
			break
		}
	}
	if len(blocking) == 0 {
		blocking = o.DecidedBy
	}
	for i := range o.Layers {
		if slices.Contains(blocking, o.Layers[i].Layer) {
			o.Layers[i].Blocks = true
		}
	}
	if first := firstInChecklist(blocking); first != "" {
		o.BlockedBy = &first
	}
}

// blocks reports whether layer is among the deciding layers of a denial.
func (e *explainer) blocks(layer string) bool {
	if e.dec.Verdict == model.VerdictAllow {
		return false
	}
	for _, l := range e.dec.DecidedBy {
		if l == layer {
			return true
		}
	}
	return false
}

// noSuchKey says how S3 answers when the key does not exist.
func (e *explainer) noSuchKey() {
	if e.req.Action != "s3:GetObject" {
		return
	}
	ld := e.bl.Decide(e.caller, access.ActionList, "")
	n := &NoSuchKey{ListBucket: DecisionUnknown}
	switch ld.Verdict {
	case model.VerdictAllow:
		n.Status, n.ListBucket = 404, DecisionAllow
		n.Detail = "s3:ListBucket is allowed: for a key that does not exist S3 answers 404 NoSuchKey, so a 403 is a real denial"
	case model.VerdictDeny:
		n.Status, n.ListBucket = 403, DecisionImplicitDeny
		first := firstInChecklist(ld.DecidedBy)
		if first != "" {
			n.BlockedBy = &first
		}
		if e.out.Decision == DecisionAllow {
			n.Detail = fmt.Sprintf("s3:GetObject is allowed but s3:ListBucket is not (%s): if the key does not exist, S3 answers 403 AccessDenied instead of 404 NoSuchKey — a 403 for this key means NO SUCH KEY. Check the key name (case, prefix, URL encoding)", ld.Reason)
		} else {
			n.Detail = fmt.Sprintf("s3:ListBucket is denied too (%s): S3 answers 403 whether or not the key exists", ld.Reason)
		}
		if e.out.Decision == DecisionAllow {
			n.Fix = e.grantFix(access.ActionList, first)
		}
	default:
		n.Detail = "whether s3:ListBucket is allowed is not known (" + ld.Reason + "): a missing key answers 404 NoSuchKey with it, 403 AccessDenied without"
	}
	e.out.NoSuchKey = n
}

// notes adds what the decision assumes.
func (e *explainer) notes() {
	o := &e.out
	if policy.S3ActionScope(e.req.Action) == policy.ScopeObject {
		if e.req.Key == "" {
			o.Notes = append(o.Notes, "no --key given: decided for any object key; statements on narrower prefixes may differ")
		}
		if e.req.ObjectOwner == "" && e.bl.ACLs != access.TriFalse && ownerGoverned(e.req.Action) {
			o.Notes = append(o.Notes, fmt.Sprintf("Object Ownership is %s: an object uploaded by another account belongs to that account and only its object ACL can grant access; this assumes the object belongs to the bucket owner (give --object-owner ACCOUNT otherwise)", e.bl.Ownership))
		}
		if e.kmsAction == "kms:Decrypt" {
			o.Notes = append(o.Notes, "reads are checked against the bucket's default encryption key; an object written with another key needs kms:Decrypt on that key")
		}
	}
	if !e.orgKnown() {
		unknown := false
		for _, id := range []string{e.p.Account, e.bl.Account.ID} {
			unknown = unknown || (id != "" && e.ix.ChainUnknown(id) != "")
		}
		if unknown {
			o.Notes = append(o.Notes, "the organization was not read: the SCPs and RCPs that may govern this request are unknown")
		} else {
			o.Notes = append(o.Notes, "the document has no organization: the accounts are taken as outside any organization (no SCP or RCP applies)")
		}
	}
	if e.p.Kind == KindSession {
		o.Notes = append(o.Notes, "a session policy passed to AssumeRole, if any, is not visible and could narrow the session's permissions")
	}
	if len(e.req.Context) == 0 {
		o.Notes = append(o.Notes, "no request context given: conditions on keys such as aws:SourceIp or aws:SourceVpce stay open (use --context KEY=VALUE)")
	}
}
