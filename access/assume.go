package access

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// Assume-role graph: who can become whom with sts:AssumeRole.
//
// An edge P → R exists when R's trust policy allows P sts:AssumeRole and,
// for an IAM principal of a scanned account, P's identity policies (with
// its permissions boundary) and its account's SCPs allow it too, with R's
// account's RCPs: the engine's evaluation of the AssumeRole request. A
// role trust policy is the exception to "same account: identity OR
// resource": it must allow the principal even within its account; a trust
// policy that names the principal's ARN suffices there, one that names the
// account delegates to the principal's identity policies
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html);
// across accounts both sides must allow
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
// Principals outside the scanned accounts are known only by what the
// trust policies name: an account (any of its principals its own
// administrators allow), one of its principals, an AWS service, or anyone.

// NodeKind is the kind of an assume-role graph node.
type NodeKind string

// Node kinds.
const (
	NodeRole     NodeKind = "role"     // an IAM role of a scanned account
	NodeUser     NodeKind = "user"     // an IAM user of a scanned account
	NodeAccount  NodeKind = "account"  // an account not scanned, as a whole (its root ARN)
	NodeExternal NodeKind = "external" // a named principal of an account not scanned
	NodeService  NodeKind = "service"  // an AWS service principal
	NodeAnyone   NodeKind = "anyone"   // any AWS principal outside the organisation (a trust policy's "*")
)

// AssumeNode is one principal of the assume-role graph.
type AssumeNode struct {
	// ID is the principal: an IAM ARN, an account root ARN (NodeAccount), a
	// service principal name, or "*".
	ID      string
	Kind    NodeKind
	Account string // "" for services and anyone
	// Outside is true when the node's account is not a member of the
	// organisation (and for anyone).
	Outside bool
}

// String names the node in details and paths.
func (n *AssumeNode) String() string {
	switch n.Kind {
	case NodeAccount:
		return "account " + n.Account
	case NodeService:
		return "service " + n.ID
	case NodeAnyone:
		return "any AWS principal outside the organisation"
	case NodeFederated:
		switch n.ID {
		case anyWebIdentity:
			return `federated: any web identity provider's users (trust policy "Principal": "*")`
		case anySAML:
			return `federated: any SAML provider's users (trust policy "Principal": "*")`
		}
		return "federated: " + federatedName(n.ID)
	}
	return n.ID
}

// AssumeEdge is one sts:AssumeRole that From can make on the role To.
type AssumeEdge struct {
	From, To string
	// Verdict is allow, conditional (Conditions must hold: sts:ExternalId,
	// aws:MultiFactorAuthPresent…) or unknown (a policy could not be read).
	Verdict    model.Verdict
	Conditions []string
	// Unreadable names, for unknown, the policies that could not be read.
	Unreadable []string
}

// AssumePath is a chain of role assumptions ending at a role: Hops[0].From
// starts it, each hop's To is the next hop's From.
type AssumePath struct {
	Hops []AssumeEdge
	// Verdict is the weakest of the hops' (allow, then conditional, then unknown).
	Verdict model.Verdict
}

// Start is the principal that starts the path.
func (p AssumePath) Start() string { return p.Hops[0].From }

// String renders the path as "a → b → c".
func (p AssumePath) String(g *AssumeGraph) string {
	parts := []string{g.Node(p.Start()).String()}
	for _, h := range p.Hops {
		parts = append(parts, g.Node(h.To).String())
	}
	return strings.Join(parts, " → ")
}

// Conditions lists the conditions of the path's conditional hops.
func (p AssumePath) Conditions() []string {
	var out []string
	for _, h := range p.Hops {
		out = append(out, h.Conditions...)
	}
	return out
}

// Unreadable lists what could not be read of the path's unknown hops.
func (p AssumePath) Unreadable() []string {
	var out []string
	for _, h := range p.Hops {
		out = append(out, h.Unreadable...)
	}
	return out
}

// AssumeGraph is the assume-role graph of an Index's scanned accounts.
type AssumeGraph struct {
	nodes map[string]*AssumeNode
	in    map[string][]AssumeEdge // role ID → edges into it, sorted by From
	out   map[string][]AssumeEdge // principal ID → edges from it, sorted by To

	mu      sync.Mutex
	outside map[string][]AssumePath // reachFrom's results, by role
	paths   map[string][]AssumePath // pathsTo's, by role

	federated map[[2]string]federatedTrust // {provider, role} → federatedEdges' result (federated.go)
}

// maxCachedPaths bounds the roles whose paths pathsTo keeps.
const maxCachedPaths = 1 << 16

// pathsTo returns Paths(role, MaxAssumeHops) of a role's key, computed once
// (for at most maxCachedPaths roles). The paths are shared: read only.
func (g *AssumeGraph) pathsTo(key string) []AssumePath {
	g.mu.Lock()
	ps, ok := g.paths[key]
	g.mu.Unlock()
	if ok {
		return ps
	}
	ps = g.Paths(key, MaxAssumeHops)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paths == nil {
		g.paths = map[string][]AssumePath{}
	}
	if len(g.paths) < maxCachedPaths {
		g.paths[key] = ps
	}
	return ps
}

// Node returns a node by ID (nil when unknown).
func (g *AssumeGraph) Node(id string) *AssumeNode { return g.nodes[id] }

// EdgesTo returns the edges into role, sorted by From.
func (g *AssumeGraph) EdgesTo(role string) []AssumeEdge { return g.in[granteeKey(role)] }

// maxAssumePaths bounds the paths Paths returns for one role.
const maxAssumePaths = 200

// Paths returns the simple paths of at most maxLen hops that end at role,
// shortest first, then by the principals along them (at most
// maxAssumePaths). A path never visits a node twice, so cycles of roles
// trusting each other end.
func (g *AssumeGraph) Paths(role string, maxLen int) []AssumePath {
	target := granteeKey(role)
	var out []AssumePath
	// Breadth first, backwards from the target: partial paths of length n
	// (hops in order from their start to the target).
	frontier := [][]AssumeEdge{nil}
	for n := 1; n <= maxLen && len(frontier) > 0 && len(out) < maxAssumePaths; n++ {
		var next [][]AssumeEdge
		for _, suffix := range frontier {
			head := target
			if len(suffix) > 0 {
				head = suffix[0].From
			}
			for _, e := range g.in[head] {
				if e.From == target || onPath(suffix, e.From) {
					continue
				}
				p := append([]AssumeEdge{e}, suffix...)
				out = append(out, AssumePath{Hops: p, Verdict: weakest(p)})
				if len(out) == maxAssumePaths {
					break
				}
				if g.nodes[e.From].Kind == NodeRole {
					next = append(next, p)
				}
			}
			if len(out) == maxAssumePaths {
				break
			}
		}
		frontier = next
	}
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].Hops) != len(out[j].Hops) {
			return len(out[i].Hops) < len(out[j].Hops)
		}
		for k := range out[i].Hops {
			if a, b := out[i].Hops[k].From, out[j].Hops[k].From; a != b {
				return a < b
			}
		}
		return false
	})
	return out
}

func onPath(p []AssumeEdge, id string) bool {
	for _, e := range p {
		if e.From == id || e.To == id {
			return true
		}
	}
	return false
}

func weakest(p []AssumeEdge) model.Verdict {
	v := model.VerdictAllow
	for _, e := range p {
		switch {
		case e.Verdict == model.VerdictUnknown:
			v = model.VerdictUnknown
		case e.Verdict == model.VerdictConditional && v == model.VerdictAllow:
			v = model.VerdictConditional
		}
	}
	return v
}

// assumeCache holds an Index's assume-role graph, built once.
type assumeCache struct {
	once  sync.Once
	graph *AssumeGraph
}

// AssumeGraph returns the assume-role graph of the scanned accounts whose
// IAM was collected (built on first use).
func (ix *Index) AssumeGraph() *AssumeGraph {
	c := ix.assume
	c.once.Do(func() { c.graph = ix.buildAssumeGraph() })
	return c.graph
}

// trustedRole is a role with its parsed trust policy.
type trustedRole struct {
	arn, account string
	trust        *policy.Policy
}

func (ix *Index) buildAssumeGraph() *AssumeGraph {
	g := &AssumeGraph{nodes: map[string]*AssumeNode{}, in: map[string][]AssumeEdge{}, out: map[string][]AssumeEdge{}}
	// The IAM principals of the scanned accounts, by account and by key.
	byAccount := map[string][]IAMPrincipal{}
	byKey := map[string]*IAMPrincipal{}
	var roles []trustedRole
	// Trust policies alike (a service's, the audit role's in every
	// account) are parsed once: each role's is a copy that names it
	// (parsed policies are not modified).
	trusts := map[string]*policy.Policy{}
	for _, id := range ix.accountIDs {
		a := ix.accounts[id]
		if a == nil || a.IAM == nil {
			continue
		}
		ps := ix.Principals(id)
		byAccount[id] = ps
		nodes := make([]AssumeNode, len(ps)) // the account's, in one allocation
		outside := !ix.InOrg(id)
		for i := range ps {
			p := &ps[i]
			kind := NodeUser
			if strings.Contains(p.ARN, ":role/") {
				kind = NodeRole
			}
			key := granteeKey(p.ARN)
			nodes[i] = AssumeNode{ID: key, Kind: kind, Account: id, Outside: outside}
			g.nodes[key] = &nodes[i]
			byKey[key] = p
		}
		// The account's trust policies' copies, in one allocation.
		copies := make([]policy.Policy, len(a.IAM.Roles))
		for k, r := range a.IAM.Roles {
			tr := trustedRole{arn: r.ARN, account: id}
			name := "trust policy of " + r.ARN
			if r.TrustPolicy == nil {
				tr.trust = policy.Unreadable(name + " (not collected)")
			} else if p, err := parseSharedInto(&copies[k], trusts, r.TrustPolicy.Raw()); err != nil {
				tr.trust = policy.Unreadable(name + " (does not parse)")
			} else {
				p.Name = name
				tr.trust = p
			}
			roles = append(roles, tr)
		}
	}
	anyIdentity := ix.assumeAnyIdentity()
	// The evaluations of the candidates' AssumeRole requests reuse one
	// evaluator, its input and its result (edgeOf copies what it keeps).
	ev := policy.NewEvaluator()
	in := &policy.Input{}
	var res policy.Result
	// A candidate's caller (and what its request contexts share) depends
	// on the candidate alone: built once for all the roles it may assume.
	type candCaller struct {
		c        *Caller
		identity []*policy.Policy
		boundary *policy.Policy
		scps     [][]*policy.Policy
	}
	callers := map[string]*candCaller{}
	services := map[string]*policy.Context{} // assumeContext's
	var cands []string
	for _, r := range roles {
		to := granteeKey(r.arn)
		cands = ix.trustCandidates(r.trust, byAccount, byKey, cands)
		for _, cand := range cands {
			if cand == to {
				continue
			}
			n := g.nodes[cand]
			if n == nil {
				n = ix.outsideNode(cand)
				g.nodes[cand] = n
			}
			*in = policy.Input{Action: "sts:AssumeRole", Resource: r.arn, ResourceAccount: r.account, ResourcePolicy: r.trust}
			if rcp := ix.RCPs(r.account); rcp.Governed {
				in.RCPs = rcp.Levels
			}
			cc := callers[cand]
			if cc == nil {
				cc = &candCaller{c: &Caller{Principal: n.ID, Account: n.Account, Label: n.String()}}
				caller := cc.c
				switch n.Kind {
				case NodeRole, NodeUser:
					p := byKey[cand]
					caller.Principal = p.ARN
					cc.identity, cc.boundary = p.Identity, p.Boundary
					caller.TagsKnown, caller.PrincipalTags = true, p.Tags
				case NodeService:
					caller.Account = ""
				case NodeAnyone:
					// Principals outside the organisation (those inside are
					// nodes of their own, or members not scanned).
					caller.Principal, caller.Account = "", ""
					caller.InOrg, caller.NotAccounts = TriFalse, ix.accountIDs
					cc.identity = anyIdentity
				default: // an account not scanned: its administrators may allow it
					cc.identity = anyIdentity
				}
				if n.Account != "" {
					cc.scps = ix.assumeOrg(caller, n.Account, n.Kind == NodeRole || n.Kind == NodeUser)
				}
				callers[cand] = cc
			}
			caller := cc.c
			in.IdentityPolicies, in.PermissionBoundary, in.SCPs = cc.identity, cc.boundary, cc.scps
			in.Principal = caller.Principal
			in.Context, in.BaseContext = ix.assumeContext(caller, n, r.account, services)
			ev.Evaluate(in, &res)
			e, ok := edgeOf(cand, to, &res)
			if !ok {
				continue
			}
			g.in[to] = append(g.in[to], e)
			g.out[cand] = append(g.out[cand], e)
		}
		ix.federatedEdges(g, r) // AssumeRoleWithWebIdentity/SAML (federated.go)
	}
	for _, es := range g.in {
		slices.SortFunc(es, func(a, b AssumeEdge) int { return strings.Compare(a.From, b.From) })
	}
	for _, es := range g.out {
		slices.SortFunc(es, func(a, b AssumeEdge) int { return strings.Compare(a.To, b.To) })
	}
	return g
}

// PathsFrom returns the simple paths of at most maxLen hops that start at
// principal from (a node ID: an IAM ARN, an account root ARN, a service),
// shortest first, then by the roles along them (at most maxAssumePaths).
func (g *AssumeGraph) PathsFrom(from string, maxLen int) []AssumePath {
	start := from
	if g.nodes[start] == nil {
		start = granteeKey(from)
	}
	var out []AssumePath
	frontier := [][]AssumeEdge{nil}
	for n := 1; n <= maxLen && len(frontier) > 0 && len(out) < maxAssumePaths; n++ {
		var next [][]AssumeEdge
		for _, prefix := range frontier {
			tail := start
			if len(prefix) > 0 {
				tail = prefix[len(prefix)-1].To
			}
			for _, e := range g.out[tail] {
				if e.To == start || onPath(prefix, e.To) || len(out) == maxAssumePaths {
					continue
				}
				p := append(append([]AssumeEdge(nil), prefix...), e)
				out = append(out, AssumePath{Hops: p, Verdict: weakest(p)})
				next = append(next, p)
			}
		}
		frontier = next
	}
	return out // breadth first: by length, then by To along the way
}

// AssumeRoute is a way a caller reaches a bucket action by assuming roles.
type AssumeRoute struct {
	// Path is "caller → role → role".
	Path string `json:"path"`
	// Role is the role that makes the request.
	Role string `json:"role"`
	// Verdict is the weakest of the path's and the role's request's.
	Verdict    model.Verdict `json:"verdict"`
	Conditions []string      `json:"conditions,omitempty"`
	// Unreadable names, for unknown, what could not be read.
	Unreadable []string `json:"unreadable,omitempty"`
}

// AssumeRoutes lists how the principal from (an IAM ARN or an account
// root ARN) reaches action on the bucket through at most MaxAssumeHops
// role assumptions: each role reachable, whose own request (its identity
// policies, boundary and SCPs, with the bucket's every layer and the
// request context ctx) is allowed or conditional. The claims of an
// identity provider's users that ctx states decide the trust policies of
// the roles they assume first (claimHop): a role whose trust policy
// denies them is no route (ClaimRefusals lists them).
func (ix *Index) AssumeRoutes(bl *BucketLayers, from, action, key string, ctx map[string][]string) []AssumeRoute {
	g := ix.AssumeGraph()
	var out []AssumeRoute
	for _, p := range g.PathsFrom(from, MaxAssumeHops) {
		if first, ok, redecided := g.claimHop(ix, p.Hops[0], ctx); !ok {
			continue // the trust policy denies the claims ctx states
		} else if redecided {
			p.Hops = append([]AssumeEdge{first}, p.Hops[1:]...)
			p.Verdict = weakest(p.Hops)
		}
		role := p.Hops[len(p.Hops)-1].To
		acct := arnAccount(role)
		var ip *IAMPrincipal
		for i, q := range ix.Principals(acct) {
			if granteeKey(q.ARN) == role {
				ip = &ix.Principals(acct)[i]
			}
		}
		if ip == nil {
			continue
		}
		c := &Caller{Principal: ip.ARN, Account: acct,
			Identity: append([]*policy.Policy{}, ip.Identity...), Boundary: ip.Boundary, Label: ip.ARN,
			TagsKnown: true, PrincipalTags: ip.Tags, Context: ctx}
		ix.assumeOrg(c, acct, true)
		c.SCPs = ix.SCPs(acct)
		d := bl.Decide(c, action, key)
		if d.Verdict != model.VerdictAllow && d.Verdict != model.VerdictConditional {
			continue
		}
		r := AssumeRoute{Path: p.String(g), Role: ip.ARN, Verdict: weakest(append(append([]AssumeEdge(nil), p.Hops...), AssumeEdge{Verdict: d.Verdict})),
			Conditions: append(p.Conditions(), d.Conditions...), Unreadable: p.Unreadable()}
		out = append(out, r)
	}
	return out
}

// assumeOrg sets the caller's organisation (as the access matrix and
// explain do: the document's, or what a scanned account said of its own)
// and returns the SCP levels that govern it: those of a scanned account,
// or of a member account the scan left out; nil when none applies (an
// account outside the organisation, whose SCPs are not visible).
func (ix *Index) assumeOrg(c *Caller, acct string, scanned bool) [][]*policy.Policy {
	if ix.OrgID == "" {
		c.OrgID, c.InOrg = ix.MemberOf(acct)
	} else {
		c.InOrg, c.OrgPath = triOf(ix.InOrg(acct)), ix.OrgPath(acct)
	}
	if !scanned && !ix.InOrg(acct) {
		return nil
	}
	if scp := ix.SCPs(acct); scp.Governed {
		return scp.Levels
	}
	return nil
}

// assumeContext is the request context of an AssumeRole call: the
// matrix's defaults for the caller, with the keys an AssumeRole request
// carries and the scanner cannot know (sts:ExternalId, MFA, source
// identity, session tags) left unknown; a service principal's request
// carries aws:PrincipalIsAWSService true and, unknown, the source keys.
// The keys that depend on the service alone are built once per graph, in
// services (by service principal). It returns the input's Context and
// BaseContext.
func (ix *Index) assumeContext(c *Caller, n *AssumeNode, owner string, services map[string]*policy.Context) (ctx, base *policy.Context) {
	if n.Kind != NodeService {
		// The caller's keys (callerKeys, built once per caller for every
		// role it may assume; the candidates' callers set no Context)
		// over the owner's, with s3:signatureversion absent: an STS
		// request carries none (requestBase).
		return c.context(ix, "sts"), ix.requestBase(owner, "sts", "")
	}
	svc := services[n.ID]
	if svc == nil {
		svc = policy.NewOpenContext()
		svc.Set("aws:SecureTransport", "true")
		svc.Set("aws:PrincipalIsAWSService", "true")
		svc.Set("aws:PrincipalServiceName", n.ID)
		for _, k := range []string{"aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:userid", "aws:username", "aws:MultiFactorAuthPresent"} {
			svc.SetAbsent(k)
		}
		services[n.ID] = svc
	}
	return policy.NewContextOn(svc).Set("aws:ResourceAccount", owner), nil
}

// parseShared returns the policy text parses to, parsed once per text in
// parsed (nil: none kept): the text's first use has the policy parsed, the
// next ones copies of it, which share its statements and compiled form.
// Each may set its Name (and only that).
func parseShared(parsed map[string]*policy.Policy, text []byte) (*policy.Policy, error) {
	p, first, err := parseOnce(parsed, text)
	if err != nil || first {
		return p, err
	}
	cp := *p
	return &cp, nil
}

// parseSharedInto is parseShared making each use's copy in cp (the first's
// too).
func parseSharedInto(cp *policy.Policy, parsed map[string]*policy.Policy, text []byte) (*policy.Policy, error) {
	p, _, err := parseOnce(parsed, text)
	if err != nil {
		return nil, err
	}
	*cp = *p
	return cp, nil
}

// parseOnce returns the policy of text in parsed, parsing it (and keeping
// it there, but in a nil map) the first time.
func parseOnce(parsed map[string]*policy.Policy, text []byte) (p *policy.Policy, first bool, err error) {
	if p, ok := parsed[string(text)]; ok {
		return p, false, nil
	}
	if p, err = policy.Parse(text); err != nil {
		return nil, false, err
	}
	if parsed != nil {
		parsed[string(text)] = p
	}
	return p, true, nil
}

// assumeAnyIdentity is the identity policy assumed for principals outside
// the scanned accounts: their administrators may allow sts:AssumeRole on
// any role.
func (ix *Index) assumeAnyIdentity() []*policy.Policy {
	p, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`))
	if err != nil {
		panic("access: assumed AssumeRole policy does not parse: " + err.Error()) // a constant policy
	}
	p.Name = "the caller's identity policy (assumed)"
	return []*policy.Policy{p}
}

// outsideNode makes the node of a principal outside the scanned accounts
// named by a trust policy (trustCandidates' IDs).
func (ix *Index) outsideNode(id string) *AssumeNode {
	switch {
	case id == "*":
		return &AssumeNode{ID: id, Kind: NodeAnyone, Outside: true}
	case !strings.HasPrefix(id, "arn:"):
		return &AssumeNode{ID: id, Kind: NodeService}
	}
	acct := arnAccount(id)
	kind := NodeExternal
	if strings.HasSuffix(id, ":root") {
		kind = NodeAccount
	}
	return &AssumeNode{ID: id, Kind: kind, Account: acct, Outside: !ix.InOrg(acct)}
}

// edgeOf is the edge from → to that an evaluation of to's trust policy
// gives; false when it denies.
func edgeOf(from, to string, res *policy.Result) (AssumeEdge, bool) {
	e := AssumeEdge{From: from, To: to}
	switch res.Decision {
	case policy.Allow:
		e.Verdict = model.VerdictAllow
	case policy.Conditional:
		e.Verdict, e.Conditions = model.VerdictConditional, []string{resultAlternatives(res).String()}
	case policy.Unknown:
		e.Verdict = model.VerdictUnknown
		if len(res.Unreadable) > 0 {
			e.Unreadable = slices.Clone(res.Unreadable) // res may be reused
		}
	default:
		return e, false
	}
	return e, true
}

// trustCandidates lists the principals a trust policy could allow, as node
// IDs: the scanned principals it names (by ARN, by account, or all of
// them for "*" and NotPrincipal), and nodes for what it names outside the
// scanned accounts. A conservative pre-filter: the engine decides.
// Federated principals (AssumeRoleWithSAML/WebIdentity) are added by
// federatedEdges.
//
// The list is appended to out[:0] (the caller's room, reused role after
// role).
func (ix *Index) trustCandidates(trust *policy.Policy, byAccount map[string][]IAMPrincipal, byKey map[string]*IAMPrincipal, out []string) []string {
	seen := map[string]bool{}
	out = out[:0]
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	all := func() {
		for _, id := range sortedKeys(byAccount) {
			for _, p := range byAccount[id] {
				add(granteeKey(p.ARN))
			}
		}
		add("*")
	}
	account := func(acct string) {
		if ps, ok := byAccount[acct]; ok {
			for _, p := range ps {
				add(granteeKey(p.ARN))
			}
			return
		}
		add(awsid.Root(ix.partition, acct))
	}
	if trust.IsUnreadable() {
		all()
		return out
	}
	for i := range trust.Statements {
		s := &trust.Statements[i]
		if !strings.EqualFold(s.Effect, "Allow") {
			continue
		}
		if s.NotPrincipal != nil || s.Principal == nil || s.Principal.Wildcard {
			all()
			continue
		}
		for _, a := range s.Principal.AWS {
			switch {
			case a == "*":
				all()
			case awsid.IsAccountID(a):
				account(a)
			case strings.HasSuffix(a, ":root"):
				account(arnAccount(a))
			case strings.HasPrefix(a, "arn:"):
				k := granteeKey(a)
				if byKey[k] != nil {
					add(k)
				} else if _, scanned := byAccount[arnAccount(a)]; !scanned {
					add(k) // a principal of an account not scanned
				}
				// A scanned account's principal that does not exist: nobody.
			}
		}
		for _, svc := range s.Principal.Service {
			add(svc)
		}
	}
	return out
}

// describeAssumePath renders a path for details: "account X → role/a →
// role/b (conditional: sts:ExternalId StringEquals …)".
func describeAssumePath(g *AssumeGraph, p AssumePath) string {
	s := p.String(g)
	switch p.Verdict {
	case model.VerdictConditional:
		s += fmt.Sprintf(" (conditional: %s)", strings.Join(p.Conditions(), "; "))
	case model.VerdictUnknown:
		s += fmt.Sprintf(" (unknown: %s could not be read)", strings.Join(p.Unreadable(), "; "))
	}
	return s
}

// MaxAssumeHops is the longest chain of role assumptions the findings and
// explain follow.
const MaxAssumeHops = 3

// reachFrom is how an outside principal reaches a role: the paths of at
// most MaxAssumeHops hops from outside the organisation (accounts and
// principals outside it, anyone) or from an AWS service, in Paths' order.
func (g *AssumeGraph) reachFrom(role string) []AssumePath {
	key := granteeKey(role)
	g.mu.Lock()
	defer g.mu.Unlock()
	if ps, ok := g.outside[key]; ok {
		return ps
	}
	var out []AssumePath
	for _, p := range g.Paths(key, MaxAssumeHops) {
		if n := g.nodes[p.Start()]; n.Outside || n.Kind == NodeService {
			out = append(out, p)
		}
	}
	if g.outside == nil {
		g.outside = map[string][]AssumePath{}
	}
	g.outside[key] = out
	return out
}

// assumeReach is one outside principal's reach into a bucket through roles.
type assumeReach struct {
	start   *AssumeNode
	actions []string      // matrix action names, in matrix order
	first   AssumePath    // the first path found, or the first certain one
	verdict model.Verdict // allow when some action is reached for certain
	roles   []string
	// unpinned is the first path of a provider whose trust policy does not
	// pin the subject (federated-subject-unpinned), or the first certain
	// one, nil when none; unpinnedRoles the roles such paths reach the
	// bucket through.
	unpinned        *AssumePath
	unpinnedCertain bool
	unpinnedRoles   []string
}

// assumeFindings adds external-via-role: an account outside the
// organisation (not a trusted account), anyone, an identity provider
// (or federated-subject-unpinned, federatedFinding), or an AWS service can
// assume, directly or through a chain of roles, a role that can act on the
// bucket (its same_account or org cells' principals).
//
// more are, by row (outsideSame, outsideOrg) and action, the roles of
// the same_account and narrowed org cells the cap left out of Principals
// that such a principal can assume (overflow.outside, nil when none):
// taken after the cell's Principals, as the whole list would be.
func (w *worker) assumeFindings(fs *findingSet, out *model.Bucket, more *[2][5][]string) {
	g := w.ix.AssumeGraph()
	if len(g.in) == 0 {
		return
	}
	names := model.ActionNames()
	byStart := map[string]*assumeReach{}
	var order []string
	// The roles listed per start (a narrowed org cell's may be thousands:
	// no linear search), the worker's map.
	if w.reachRoles == nil {
		w.reachRoles = map[[2]string]struct{}{}
	}
	seen := w.reachRoles
	defer clear(seen)
	for i, pair := range [5][2]*model.Cell{
		{&out.Access.SameAccount.Read, &out.Access.Org.Read}, {&out.Access.SameAccount.List, &out.Access.Org.List},
		{&out.Access.SameAccount.Write, &out.Access.Org.Write}, {&out.Access.SameAccount.Delete, &out.Access.Org.Delete},
		{&out.Access.SameAccount.Manage, &out.Access.Org.Manage},
	} {
		for k, c := range pair {
			lists := [2][]string{c.Principals}
			if more != nil { // k: outsideSame, outsideOrg
				lists[1] = more[k][i] // after the cell's, as the whole list would be
			}
			for _, l := range lists {
				for _, pr := range l {
					arn, cond := strings.CutSuffix(pr, " (conditional)")
					if !strings.Contains(arn, ":role/") {
						continue
					}
					for _, p := range g.reachFrom(arn) {
						if p.Verdict == model.VerdictUnknown {
							continue // what could not be read is reported as such (explain lists these paths)
						}
						n := g.nodes[p.Start()]
						if n.Account != "" {
							if _, ok := w.matrixer.trusted[n.Account]; ok {
								continue
							}
						}
						r := byStart[n.ID]
						if r == nil {
							r = &assumeReach{start: n, first: p, verdict: model.VerdictConditional, actions: make([]string, 0, len(names))}
							byStart[n.ID] = r
							order = append(order, n.ID)
						}
						if len(r.actions) == 0 || r.actions[len(r.actions)-1] != names[i] {
							r.actions = append(r.actions, names[i])
						}
						if _, ok := seen[[2]string{n.ID, arn}]; !ok {
							seen[[2]string{n.ID, arn}] = struct{}{}
							r.roles = append(r.roles, arn)
						}
						if !cond && p.Verdict == model.VerdictAllow && r.verdict != model.VerdictAllow {
							r.verdict, r.first = model.VerdictAllow, p // show a path that is certain
						}
						if n.Kind == NodeFederated && g.federated[[2]string{p.Hops[0].From, p.Hops[0].To}].Unpinned {
							certain := !cond && p.Verdict == model.VerdictAllow
							if r.unpinned == nil || (certain && !r.unpinnedCertain) {
								pp := p // p itself stays on the stack; show a path that is certain
								r.unpinned, r.unpinnedCertain = &pp, certain
							}
							k := [2]string{"unpinned\x00" + n.ID, arn}
							if _, ok := seen[k]; !ok {
								seen[k] = struct{}{}
								r.unpinnedRoles = append(r.unpinnedRoles, arn)
							}
						}
					}
				}
			}
		}
	}
	for _, id := range order {
		r := byStart[id]
		sev := model.SeverityHigh
		for _, a := range r.actions {
			if a == "write" || a == "delete" || a == "manage" {
				sev = model.SeverityCritical
			}
		}
		if r.start.Kind == NodeFederated && r.unpinned != nil {
			w.federatedFinding(fs, g, r, sev) // federated.go
			continue
		}
		if r.start.Kind == NodeService {
			sev = model.SeverityInfo // a service acts for resources of the role's account
		} else if r.verdict != model.VerdictAllow {
			sev = lowerSeverity(sev)
		}
		last := r.first.Hops[len(r.first.Hops)-1].To
		detail := r.start.String() + " can " + strings.Join(r.actions, ", ") + " through role " + last + ": " + describeAssumePath(g, r.first)
		if len(r.roles) > 1 {
			detail += fmt.Sprintf(" (roles that reach the bucket this way: %s)", joinLimited(r.roles, 5))
		}
		role := r.first.Hops[0].To // the role that trusts the outside principal
		roleName := role[strings.LastIndexByte(role, '/')+1:]
		var rem string
		switch r.start.Kind {
		case NodeService:
			rem = "If the service should act only for your resources, add aws:SourceAccount or aws:SourceArn conditions to the trust policy of " + role + " (aws iam update-assume-role-policy --role-name " + roleName + " --policy-document file://trust.json)"
		case NodeFederated: // its trust pins the subject (else federatedFinding)
			if isAnyProvider(r.start.ID) {
				rem = "Name the identity provider in the trust policy of " + role + ` ("Principal": {"Federated": "arn:aws:iam::ACCOUNT:oidc-provider/HOST"}, with conditions on its claims) instead of "Principal": "*" (aws iam update-assume-role-policy --role-name ` + roleName + " --policy-document file://trust.json); or remove the role's access to the bucket"
				break
			}
			rem = "Check that the conditions of the trust policy of " + role + " on " + federatedName(r.start.ID) + "'s claims name only your identities (aws iam update-assume-role-policy --role-name " + roleName + " --policy-document file://trust.json); or remove the role's access to the bucket"
		default:
			rem = "Restrict the trust policy of " + role + ": name only the principals that need it, require sts:ExternalId for a third party, or add a condition on aws:PrincipalOrgID (aws iam update-assume-role-policy --role-name " + roleName + " --policy-document file://trust.json); or remove the role's access to the bucket"
		}
		fs.add(model.FindingExternalViaRole, sev, detail, rem)
	}
}
