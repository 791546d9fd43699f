package access

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// grantsFor returns the bucket-ACL grants that apply to caller c for an
// action. ignorePublic drops the public grants (AllUsers,
// AuthenticatedUsers), as Block Public Access IgnorePublicAcls does. The
// list is the layers' scratch, valid until the next call.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#specifying-grantee
func (bl *BucketLayers) grantsFor(c *Caller, action string, ignorePublic bool) []ResolvedGrant {
	out := bl.grantBuf[:0]
	for _, g := range bl.Grants {
		if !ACLAllows(g.Permission, action) {
			continue
		}
		if g.Public() && ignorePublic {
			continue
		}
		if grantApplies(g, c) {
			out = append(out, g)
		}
	}
	bl.grantBuf = out
	return out
}

// grantApplies reports whether grant g names caller c.
func grantApplies(g ResolvedGrant, c *Caller) bool {
	switch g.Kind {
	case GranteeAllUsers:
		return true
	case GranteeAuthenticated:
		return !c.anonymous()
	case GranteeAccount:
		return c.Account != "" && c.Account == g.Account
	case GranteeCanonical:
		return c.Canonical != "" && "canonical:"+c.Canonical == g.Account
	}
	return false
}

// aclOwnerLookup returns the canonical-ID lookup for the grants of a
// bucket ACL owned by account owner: the ACL's own Owner ID is the bucket
// owner (GetBucketAcl's Owner is the bucket owner), so a grant to it is a
// grant to the owner account even when ListBuckets reported another
// canonical ID for the account; other IDs go through lookup.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html
func aclOwnerLookup(acl *inventory.ACL, owner string, lookup func(canonicalID string) (string, bool)) func(string) (string, bool) {
	return func(id string) (string, bool) {
		if acl != nil && acl.OwnerID != "" && id == acl.OwnerID && owner != "" {
			return owner, true
		}
		return lookup(id)
	}
}

// aclPolicy returns the ACL grants that apply to a caller as the engine's
// Input.Grants: one Allow statement per grant, for the caller (Principal
// "*": grantsFor already chose the grants that name it) and any resource
// (Resource "*": the grants are the bucket's, and its layers decide
// requests on it only), made once per action and grants of a worker's
// buckets (refCache.acl). nil when none.
func (bl *BucketLayers) aclPolicy(grants []ResolvedGrant, action string) (*policy.Policy, error) {
	if len(grants) == 0 {
		return nil, nil
	}
	// The key is built in a buffer kept across calls: a lookup that finds
	// the policy allocates nothing.
	key := append(bl.aclKey[:0], action...)
	for _, g := range grants {
		key = append(append(key, '|'), g.Label...)
	}
	bl.aclKey = key
	if p := bl.refs.acl[string(key)]; p != nil {
		return p, nil
	}
	p := &policy.Policy{Version: "2012-10-17"}
	for _, g := range grants {
		p.Statements = append(p.Statements, policy.Statement{
			Sid:       g.Label,
			Effect:    "Allow",
			Principal: &policy.Principals{Wildcard: true},
			Action:    []string{action},
			Resource:  []string{"*"},
		})
	}
	parsed, err := compileBuilt(p, "the bucket ACL")
	if err != nil {
		return nil, err
	}
	if bl.refs.acl == nil || len(bl.refs.acl) >= maxConds {
		bl.refs.acl = map[string]*policy.Policy{}
	}
	bl.refs.acl[string(key)] = parsed
	return parsed, nil
}

// evalWithACL evaluates the S3 request with the bucket ACL's grants as the
// engine's resource-side grants, resolving what the snapshot leaves open:
// whether ACLs are in effect (Object Ownership unread), the ACL itself
// (unread), and IgnorePublicAcls (unread). It also notes when
// IgnorePublicAcls voids a public grant that would have allowed.
func (bl *BucketLayers) evalWithACL(in *policy.Input, c *Caller, action, step string) (outcome, *policy.Result) {
	if bl.ACLs == TriFalse || !bl.ACLRead {
		r := bl.evaluate(in, step)
		o := fromResult(r, resourceBucket, action, c.who(), bl.reasonMode(), bl.refs)
		if bl.ACLs != TriFalse && !bl.ACLRead && o.verdict != model.VerdictAllow && r.Decision != policy.ExplicitDeny {
			// ACLs are (or may be) in effect but the ACL was not read.
			return outcome{verdict: model.VerdictUnknown, engine: policy.Unknown, layers: layersOf(model.LayerACL),
				reason: fmt.Sprintf("%s for %s depends on the bucket ACL, which could not be read", action, c.who())}, r
		}
		return o, r
	}
	type variant struct {
		acl, ignore bool
	}
	variants := []variant{{bl.ACLs == TriTrue, bl.BPA.IgnorePublicACLs == TriTrue}}
	if bl.ACLs == TriUnknown {
		variants = append(variants, variant{false, variants[0].ignore})
		variants[0].acl = true
	}
	if bl.BPA.IgnorePublicACLs == TriUnknown && len(bl.grantsFor(c, action, false)) != len(bl.grantsFor(c, action, true)) {
		variants = append(variants, variant{variants[0].acl, true})
	}
	var first outcome
	var firstR *policy.Result
	for i, v := range variants {
		in.Grants = nil
		if v.acl {
			gp, err := bl.aclPolicy(bl.grantsFor(c, action, v.ignore), action)
			if err != nil {
				return outcome{verdict: model.VerdictUnknown, engine: policy.Unknown, layers: layersOf(model.LayerACL),
					reason: fmt.Sprintf("%s for %s: the bucket ACL could not be evaluated: %v", action, c.who(), err)}, nil
			}
			in.Grants = gp
		}
		r := bl.evaluate(in, step)
		o := fromResult(r, resourceBucket, action, c.who(), bl.reasonMode(), bl.refs)
		if i == 0 {
			first, firstR = o, r
			continue
		}
		if o.verdict != first.verdict {
			in.Grants = nil
			why := "whether ACLs are enabled (Object Ownership could not be read)"
			layers := layersOf(model.LayerACL)
			if v.acl == variants[0].acl {
				why, layers = "Block Public Access IgnorePublicAcls, which could not be read", layersOf(model.LayerBPA, model.LayerACL)
			}
			return outcome{verdict: model.VerdictUnknown, engine: policy.Unknown, layers: layers,
				reason: fmt.Sprintf("%s for %s depends on %s (%s one way, %s the other)", action, c.who(), why, first.verdict, o.verdict)}, firstR
		}
	}
	in.Grants = nil
	if variants[0].acl && first.verdict == model.VerdictDeny && firstR.Decision == policy.ImplicitDeny {
		for _, l := range firstR.DecidedBy {
			if l == policy.LayerResource {
				first.layers = first.layers.with(model.LayerACL) // neither the policy nor the ACL grants it
			}
		}
		if variants[0].ignore && len(bl.grantsFor(c, action, false)) > 0 {
			// Would a public grant that IgnorePublicAcls voids have allowed?
			if gp, err := bl.aclPolicy(bl.grantsFor(c, action, false), action); err == nil {
				sub := &bl.subIn
				*sub = *in
				sub.Grants = gp
				if o := fromResult(bl.evaluateSub(sub, step+" (public ACL grants not ignored)"), resourceBucket, action, c.who(), reasonNone, bl.refs); isOpen(o) {
					first.layers = first.layers.with(model.LayerBPA, model.LayerACL)
					first.bpaBlocked = true
					first.reason += "; the bucket ACL's public grant is ignored (Block Public Access IgnorePublicAcls)"
				}
			}
		}
	}
	return first, firstR
}

// verdictRank orders verdicts from the most open: allow, conditional,
// unknown, deny.
func verdictRank(v model.Verdict) int {
	switch v {
	case model.VerdictAllow:
		return 3
	case model.VerdictConditional:
		return 2
	case model.VerdictUnknown:
		return 1
	}
	return 0
}

// keyGrantsPolicy returns a KMS key's grants as the engine's Input.Grants:
// each grant lets its grantee call the listed operations on the key
// (constraints on the encryption context are not collected, so a grant
// counts as unconstrained). Unreadable when the grants could not be listed;
// nil when there are none. The policy is built in code and compiled
// (compileBuilt), its statements' strings in one backing array each: it
// decides as the document of its text would (parsed instead only when it
// does not compile, for the error the text gives).
// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
func keyGrantsPolicy(arn string, grants []inventory.KMSGrant, readErr inventory.FetchError) (*policy.Policy, error) {
	name := "grants of KMS key " + arn
	if !readErr.IsZero() {
		return policy.Unreadable(name + " (not read: " + errorCode(readErr) + ")"), nil
	}
	// Sorted, so that reasons do not depend on the order ListGrants used.
	byGrantee := func(a, b inventory.KMSGrant) int {
		return cmp.Or(strings.Compare(a.GranteePrincipal, b.GranteePrincipal), strings.Compare(a.GrantID, b.GrantID),
			slices.Compare(a.Operations, b.Operations), strings.Compare(a.RetiringPrincipal, b.RetiringPrincipal))
	}
	if !slices.IsSortedFunc(grants, byGrantee) {
		grants = slices.Clone(grants)
		slices.SortStableFunc(grants, byGrantee)
	}
	// What the statements hold: their count, their strings' and the
	// length of the text of their Sids and actions.
	n, nStrs, nText := 0, 0, 0
	for _, g := range grants {
		if len(g.Operations) == 0 || g.GranteePrincipal == "" {
			continue
		}
		n++
		nStrs += len(g.Operations) + 2 // the actions, the grantee, "*"
		nText += len("Grant") + len(g.GrantID)
		for _, op := range g.Operations {
			nText += len("kms:") + len(op)
		}
	}
	if n == 0 {
		return nil, nil
	}
	var text strings.Builder // the Sids and actions, one string cut up
	text.Grow(nText)
	for _, g := range grants {
		if len(g.Operations) == 0 || g.GranteePrincipal == "" {
			continue
		}
		text.WriteString("Grant")
		text.WriteString(g.GrantID)
		for _, op := range g.Operations {
			text.WriteString("kms:")
			text.WriteString(op)
		}
	}
	all := text.String()
	cut := func(l int) string {
		s := all[:l]
		all = all[l:]
		return s
	}
	strs := make([]string, 0, nStrs)
	take := func(vals ...string) []string {
		start := len(strs)
		strs = append(strs, vals...)
		return strs[start:len(strs):len(strs)]
	}
	prins := make([]policy.Principals, n)
	p := &policy.Policy{Version: "2012-10-17", Statements: make([]policy.Statement, 0, n)}
	for _, g := range grants {
		if len(g.Operations) == 0 || g.GranteePrincipal == "" {
			continue
		}
		sid := cut(len("Grant") + len(g.GrantID))
		start := len(strs)
		for _, op := range g.Operations {
			strs = append(strs, cut(len("kms:")+len(op)))
		}
		actions := strs[start:len(strs):len(strs)]
		pr := &prins[len(p.Statements)]
		if strings.HasSuffix(g.GranteePrincipal, ".amazonaws.com") {
			pr.Service = take(g.GranteePrincipal)
		} else {
			pr.AWS = take(g.GranteePrincipal)
		}
		p.Statements = append(p.Statements, policy.Statement{Sid: sid, Effect: "Allow", Principal: pr, Action: actions, Resource: take("*")})
	}
	if c, err := compileBuilt(p, name); err == nil {
		return c, nil
	}
	doc, err := p.MarshalJSON()
	if err != nil {
		return nil, err
	}
	parsed, err := policy.Parse(doc)
	if err != nil {
		return nil, err
	}
	parsed.Name = name
	return parsed, nil
}

// compileBuilt turns a policy built in code into one the engine evaluates
// (checked and decided as a document from AWS with its text would be:
// policy.Compile, without the round trip through JSON), named name.
func compileBuilt(p *policy.Policy, name string) (*policy.Policy, error) {
	c, err := policy.Compile(p)
	if err != nil {
		return nil, err
	}
	c.Name = name
	return c, nil
}
