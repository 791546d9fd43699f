package access

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// Federated principals in the assume-role graph.
//
// A role whose trust policy names an identity provider in its Principal's
// Federated element can be assumed by that provider's users with
// sts:AssumeRoleWithWebIdentity (an OIDC provider: an IAM OIDC provider
// ARN, or a built-in provider named as such: cognito-identity.amazonaws.com,
// accounts.google.com, www.amazon.com, graph.facebook.com) or
// sts:AssumeRoleWithSAML (an IAM SAML provider ARN)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_saml.html).
// Those users are no IAM principal of any account: their request carries
// no credentials of the organisation, no identity policy or SCP applies,
// and the trust policy alone (with the role's account's RCPs) decides. The
// provider is a node of its own (NodeFederated), outside the organisation.
// Its claims (<provider>:sub, :aud, :amr, saml:aud…) are the request's
// context keys, which the scanner cannot know: an edge whose trust
// statement tests them is conditional and names the conditions.
//
// A trust policy that does not pin the subject lets identities that are
// not the organisation's assume the role: any GitHub repository's workflow
// for token.actions.githubusercontent.com without a condition on :sub (AWS
// IAM recommends evaluating token.actions.githubusercontent.com:sub in
// every role trusting GitHub's provider:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub),
// any Cognito identity pool without cognito-identity.amazonaws.com:aud
// (https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html).
// federatedOutsider decides it with the engine: the trust policy is
// evaluated again with the provider's identity claims set to those of an
// identity outside the organisation; what is not denied then is unpinned
// (federated-subject-unpinned). Keys: the IAM and STS condition keys page
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif).

// NodeFederated is a federated identity provider trusted by a role's trust
// policy: its ID is the provider as the trust policy names it (an IAM
// OIDC or SAML provider ARN, or a built-in provider name). Outside the
// organisation: its identities are not IAM principals of the org.
const NodeFederated NodeKind = "federated"

// federatedTrust is what the graph knows of one provider's trust edge
// (the role it may assume).
type federatedTrust struct {
	// Unpinned is true when the trust policy does not deny an identity
	// of the provider outside the organisation (federatedOutsider).
	Unpinned bool
	// Conditions are what must still hold for that identity (its claims
	// the scanner cannot choose, e.g. :aud), when conditional.
	Conditions []string
	// role is the role trusted, with its trust policy (claimHop decides
	// the edge again with the claims a request states).
	role trustedRole
}

// federatedName names a provider in paths: the host of an OIDC provider
// ARN ("token.actions.githubusercontent.com"), "saml-provider/NAME" for a
// SAML provider ARN, the built-in provider's name as it is.
func federatedName(id string) string {
	if i := strings.Index(id, ":oidc-provider/"); i >= 0 {
		return id[i+len(":oidc-provider/"):]
	}
	if i := strings.Index(id, ":saml-provider/"); i >= 0 {
		return id[i+1:]
	}
	return id
}

// isSAMLProvider reports whether a Federated principal is an IAM SAML
// provider ARN (AssumeRoleWithSAML); every other one is an OIDC provider.
func isSAMLProvider(id string) bool { return strings.Contains(id, ":saml-provider/") || id == anySAML }

// federatedAction is the STS action a provider's users call.
func federatedAction(id string) string {
	if isSAMLProvider(id) {
		return "sts:AssumeRoleWithSAML"
	}
	return "sts:AssumeRoleWithWebIdentity"
}

// Wildcard provider nodes: the users of any identity provider, for a
// trust policy whose "Principal": "*" statement allows
// sts:AssumeRoleWithWebIdentity or sts:AssumeRoleWithSAML. Whether "*"
// matches them AWS does not document (the engine's answer is
// conditional on it: policy's providerWildcard), so their edges are
// conditional and say so; {"AWS": "*"} does not match them
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous)
// and gives no node.
const (
	anyWebIdentity = "web-identity:*"
	anySAML        = "saml:*"
)

// AnyProviderNode is the assume-role graph's node of the users of any
// web identity provider (saml false) or SAML provider (saml true) that a
// trust policy's "Principal": "*" may let in (explain lists its routes
// beside a named provider's).
func AnyProviderNode(saml bool) string {
	if saml {
		return anySAML
	}
	return anyWebIdentity
}

// isAnyProvider reports whether a federated node is a wildcard one.
func isAnyProvider(id string) bool { return id == anyWebIdentity || id == anySAML }

// federatedCandidates lists the Federated principals a trust policy's
// Allow statements name, in order, then anyWebIdentity and anySAML when
// an Allow statement whose Principal is "*" may allow
// sts:AssumeRoleWithWebIdentity or sts:AssumeRoleWithSAML. A NotPrincipal
// names no provider: anyone is a node of its own.
func federatedCandidates(trust *policy.Policy) []string {
	if trust.IsUnreadable() {
		return nil
	}
	var out []string // few: a linear search, and nothing allocated for the roles that name none
	var wild []string
	for i := range trust.Statements {
		s := &trust.Statements[i]
		if s.Principal == nil || !strings.EqualFold(s.Effect, "Allow") {
			continue
		}
		if s.Principal.Wildcard {
			for _, w := range [2]string{anyWebIdentity, anySAML} {
				if !slices.Contains(wild, w) && statementMayAllow(s, federatedAction(w)) {
					wild = append(wild, w)
				}
			}
			continue
		}
		for _, f := range s.Principal.Federated {
			if f != "*" && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return append(out, wild...)
}

// statementMayAllow reports whether statement s's actions may include
// action (a conservative pre-filter: a wildcard anywhere, or a NotAction,
// may; the engine decides).
func statementMayAllow(s *policy.Statement, action string) bool {
	if len(s.NotAction) > 0 {
		return true
	}
	for _, a := range s.Action {
		if strings.EqualFold(a, action) || strings.ContainsAny(a, "*?") {
			return true
		}
	}
	return false
}

// federatedCaller is the Input.Principal of provider node f's users on
// a role of account: the provider as the trust policy names it, or, for
// a wildcard node, a provider ARN of the account no trust policy names
// (the users of some provider the trust policy does not name).
func federatedCaller(f, partition, account string) string {
	if partition == "" {
		partition = awsid.AWS
	}
	switch f {
	case anyWebIdentity:
		return "arn:" + partition + ":iam::" + account + ":oidc-provider/any-provider.bucketaudit.invalid"
	case anySAML:
		return "arn:" + partition + ":iam::" + account + ":saml-provider/any-provider.bucketaudit.invalid"
	}
	return f
}

// federatedEdges adds to g the providers role r's trust policy names and
// their edges to it, each decided by the engine on the trust policy (and
// the role's account's RCPs) with the provider as the caller and its
// claims unknown. Called by buildAssumeGraph for every role.
func (ix *Index) federatedEdges(g *AssumeGraph, r trustedRole) {
	to := granteeKey(r.arn)
	for _, f := range federatedCandidates(r.trust) {
		n := g.nodes[f]
		if n == nil {
			n = &AssumeNode{ID: f, Kind: NodeFederated, Outside: true}
			g.nodes[f] = n
		}
		res := policy.Evaluate(ix.federatedInput(r, f, nil))
		e, ok := edgeOf(f, to, &res)
		if !ok {
			continue
		}
		g.in[to] = append(g.in[to], e)
		g.out[f] = append(g.out[f], e)
		if e.Verdict == model.VerdictUnknown {
			continue
		}
		ft := federatedTrust{role: r}
		if claims := outsiderClaims(f); claims != nil && !isAnyProvider(f) {
			out := policy.Evaluate(ix.federatedInput(r, f, claims))
			switch out.Decision {
			case policy.Allow:
				ft.Unpinned = true
			case policy.Conditional:
				ft.Unpinned, ft.Conditions = true, []string{resultAlternatives(&out).String()}
			}
		}
		if g.federated == nil {
			g.federated = map[[2]string]federatedTrust{}
		}
		g.federated[[2]string{f, to}] = ft
	}
}

// claimKeys returns the keys of ctx that are claims of provider f's
// tokens or assertions, the keys AWS STS sets from them in the request
// context of AssumeRoleWithWebIdentity (HOST:sub, HOST:aud, HOST:amr…,
// the provider's URL without its scheme first) or AssumeRoleWithSAML
// (SAML:aud, SAML:sub…)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-saml);
// nil when it has none, or for the users of any provider (a wildcard
// node: whose claims a key names is not known). Condition keys are
// case-insensitive.
func claimKeys(f string, ctx map[string][]string) map[string][]string {
	if isAnyProvider(f) || len(ctx) == 0 {
		return nil
	}
	prefix := federatedName(f) + ":"
	if isSAMLProvider(f) {
		prefix = "saml:"
	}
	var out map[string][]string
	for k, v := range ctx {
		if len(k) > len(prefix) && strings.EqualFold(k[:len(prefix)], prefix) {
			if out == nil {
				out = map[string][]string{}
			}
			out[k] = v
		}
	}
	return out
}

// claimHop decides again the first hop of a path that starts at an
// identity provider, with the claims of the provider's token or assertion
// that ctx states (claimKeys; every other claim stays unknown): a trust
// policy that tests them is then decided on what the request presents.
// redecided is false (and the hop returned unchanged) when ctx states
// none of its claims or the hop is not conditional; ok is false when the
// trust policy denies the claims.
func (g *AssumeGraph) claimHop(ix *Index, e AssumeEdge, ctx map[string][]string) (hop AssumeEdge, ok, redecided bool) {
	n := g.nodes[e.From]
	if n == nil || n.Kind != NodeFederated || e.Verdict != model.VerdictConditional {
		return e, true, false
	}
	claims := claimKeys(e.From, ctx)
	ft, known := g.federated[[2]string{e.From, e.To}]
	if len(claims) == 0 || !known || ft.role.trust == nil {
		return e, true, false
	}
	res := policy.Evaluate(ix.federatedInput(ft.role, e.From, claims))
	hop, ok = edgeOf(e.From, e.To, &res)
	return hop, ok, true
}

// ClaimRefusals returns the roles that the users of identity provider
// from may assume as far as the graph knows (their trust policies'
// claims unknown) but whose trust policies deny the claims ctx states
// (claimKeys), sorted: AssumeRoutes leaves them out.
func (ix *Index) ClaimRefusals(from string, ctx map[string][]string) []string {
	g := ix.AssumeGraph()
	var out []string
	for _, e := range g.out[from] {
		if _, ok, _ := g.claimHop(ix, e, ctx); !ok && !slices.Contains(out, e.To) {
			out = append(out, e.To)
		}
	}
	slices.Sort(out)
	return out
}

// federatedInput is the AssumeRoleWithWebIdentity/SAML request of
// provider f's user on role r: the trust policy decides, with the role's
// account's RCPs; no identity policy or SCP applies. claims sets the
// provider's claims (nil: every claim unknown).
func (ix *Index) federatedInput(r trustedRole, f string, claims map[string][]string) *policy.Input {
	ctx := policy.NewOpenContext()
	ctx.Set("aws:SecureTransport", "true") // STS endpoints accept HTTPS only
	ctx.Set("aws:ResourceAccount", r.account)
	for _, k := range sortedKeys(claims) {
		if v := claims[k]; v == nil {
			ctx.SetAbsent(k)
		} else {
			ctx.Set(k, v...)
		}
	}
	in := &policy.Input{Principal: federatedCaller(f, awsid.PartitionOfARN(r.arn), r.account), Action: federatedAction(f), Resource: r.arn, ResourceAccount: r.account,
		ResourcePolicy: r.trust, Context: ctx}
	if rcp := ix.RCPs(r.account); rcp.Governed {
		in.RCPs = rcp.Levels
	}
	return in
}

// outsiderID is the identity an outsider obtains from a multi-tenant
// provider: a GitHub account and repository, a Cognito identity pool, an
// application of their own. It names nothing of the organisation, so a
// trust policy that pins the subject does not match it.
const outsiderID = "bucketaudit-outsider"

// outsiderClaims are the identity claims a user of provider f who is not
// the organisation's presents (nil value: the claim is absent), or nil
// for a SAML provider (the organisation's own IdP issues its assertions).
// The keys are those AWS STS puts in the request context of
// AssumeRoleWithWebIdentity
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif):
// for GitHub Actions the subject repo:OWNER/REPO:… and the
// provider-specific claims repository, repository_owner_id,
// job_workflow_ref…; Cognito's aud is the identity pool; Google's aud and
// oaud the application; Amazon's and Facebook's app_id. Every other OIDC
// provider (an EKS cluster's, a company IdP) is tested on its sub only:
// the claim its users differ by.
func outsiderClaims(f string) map[string][]string {
	if isSAMLProvider(f) {
		return nil
	}
	host := federatedName(f)
	c := map[string][]string{host + ":sub": {outsiderID}}
	if p := multiTenantProviderOf(host); p != nil {
		p.claims(host, c)
	}
	return c
}

// multiTenantProvider is a provider that issues identities to anyone: who
// holds them, and the claims of an outsider's (set over the subject).
type multiTenantProvider struct {
	who    string
	claims func(host string, c map[string][]string)
}

// multiTenantProviderOf returns the multi-tenant provider host is, nil for
// another provider (a company IdP, an EKS cluster's).
func multiTenantProviderOf(host string) *multiTenantProvider {
	switch {
	case host == "token.actions.githubusercontent.com" || strings.HasPrefix(host, "token.actions.githubusercontent.com/"):
		return &multiTenantProvider{"any GitHub repository's workflow", func(host string, c map[string][]string) {
			repo := outsiderID + "/" + outsiderID
			c[host+":sub"] = []string{"repo:" + repo + ":ref:refs/heads/main"}
			c[host+":repository"] = []string{repo}
			c[host+":repository_owner"] = []string{outsiderID}
			c[host+":repository_owner_id"] = []string{"1"}
			c[host+":repository_id"] = []string{"1"}
			c[host+":job_workflow_ref"] = []string{repo + "/.github/workflows/deploy.yml@refs/heads/main"}
			c[host+":actor"] = []string{outsiderID}
			c[host+":actor_id"] = []string{"1"}
			c[host+":enterprise_id"] = nil // an outsider's repository belongs to no enterprise of the organisation
		}}
	case host == "gitlab.com":
		return &multiTenantProvider{"any GitLab.com project's pipeline", func(host string, c map[string][]string) {
			c[host+":sub"] = []string{"project_path:" + outsiderID + "/" + outsiderID + ":ref_type:branch:ref:main"}
			c[host+":namespace_id"] = []string{"1"}
			c[host+":project_id"] = []string{"1"}
		}}
	case host == "cognito-identity.amazonaws.com":
		return &multiTenantProvider{"any Cognito identity pool's identity, of any account", func(host string, c map[string][]string) {
			c[host+":aud"] = []string{"us-east-1:00000000-0000-0000-0000-000000000000"}
		}}
	case host == "accounts.google.com":
		return &multiTenantProvider{"any Google account, through any application", func(host string, c map[string][]string) {
			c[host+":aud"] = []string{outsiderID + ".apps.googleusercontent.com"}
			c[host+":oaud"] = []string{outsiderID + ".apps.googleusercontent.com"}
		}}
	case host == "www.amazon.com":
		return &multiTenantProvider{"any Login with Amazon user, through any application", func(host string, c map[string][]string) {
			c[host+":app_id"] = []string{outsiderID}
			c[host+":user_id"] = []string{outsiderID}
		}}
	case host == "graph.facebook.com":
		return &multiTenantProvider{"any Facebook user, through any application", func(host string, c map[string][]string) {
			c[host+":app_id"] = []string{outsiderID}
			c[host+":id"] = []string{outsiderID}
		}}
	}
	return nil
}

// multiTenant names who holds identities of a provider that issues them to
// anyone ("" for another provider: a company IdP, an EKS cluster's).
func multiTenant(host string) string {
	if p := multiTenantProviderOf(host); p != nil {
		return p.who
	}
	return ""
}

// federatedFinding reports federated-subject-unpinned for an outside
// reach that starts at an identity provider whose trust policy does not
// pin the subject (assumeFindings' reach r of severity sev, r.unpinned
// set): its severity kept, as who can is anyone with an identity at the
// provider. A pinned provider is external-via-role like any other outside
// principal (assumeFindings).
func (w *worker) federatedFinding(fs *findingSet, g *AssumeGraph, r *assumeReach, sev model.Severity) {
	path := *r.unpinned
	first := path.Hops[0]
	role := first.To
	roleName := role[strings.LastIndexByte(role, '/')+1:]
	name := federatedName(r.start.ID)
	last := path.Hops[len(path.Hops)-1].To
	ft := g.federated[[2]string{first.From, first.To}]
	who := "any identity " + name + " issues"
	if m := multiTenant(name); m != "" {
		who = m
	}
	detail := fmt.Sprintf("%s can %s through role %s: %s; the trust policy of %s does not pin the subject: %s can assume it",
		r.start, strings.Join(r.actions, ", "), last, describeAssumePath(g, path), role, who)
	if len(ft.Conditions) > 0 && !slices.Equal(ft.Conditions, first.Conditions) {
		detail += fmt.Sprintf(" (only %s must hold)", strings.Join(ft.Conditions, "; "))
	}
	if len(r.unpinnedRoles) > 1 {
		detail += fmt.Sprintf(" (roles that reach the bucket this way: %s)", joinLimited(r.unpinnedRoles, 5))
	}
	fs.add(model.FindingFederatedSubjectUnpinned, sev, detail, fmt.Sprintf(
		"Add a condition on the subject to the trust policy of %s (for GitHub Actions: \"StringLike\": {\"token.actions.githubusercontent.com:sub\": \"repo:YOUR-ORG/YOUR-REPO:*\"}; for Cognito: \"StringEquals\": {\"cognito-identity.amazonaws.com:aud\": \"YOUR-IDENTITY-POOL-ID\"}) (aws iam update-assume-role-policy --role-name %s --policy-document file://trust.json); or remove the role's access to the bucket",
		role, roleName))
}
