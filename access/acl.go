package access

import (
	"fmt"
	"strings"

	"github.com/bucketaudit/bucketaudit/policy"
)

// aclSidPrefix marks the statements that stand for bucket-ACL grants.
const aclSidPrefix = "ACL grant"

// grantsFor returns the bucket-ACL grants that apply to caller c for an
// action, and whether some of them depend on an unknown IgnorePublicAcls.
// ignorePublic says whether public grants (AllUsers, AuthenticatedUsers)
// are ignored.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#specifying-grantee
func (bl *BucketLayers) grantsFor(c *Caller, action string, ignorePublic bool) []ResolvedGrant {
	var out []ResolvedGrant
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

// aclPolicy builds the resource policy of the "ACL path": the bucket
// policy's Deny statements (which bind ACL-granted access too), its Allow
// statements replaced by inert ones (so statement indexes stay those of
// the bucket policy), and one Allow statement per applicable ACL grant.
// Evaluated without RestrictPublicBuckets (which voids only the grants of
// a public policy), it says what the ACL grants.
func (bl *BucketLayers) aclPolicy(grants []ResolvedGrant, action string) (*policy.Policy, error) {
	key := action
	for _, g := range grants {
		key += "|" + g.Label
	}
	if p := bl.aclPolicies[key]; p != nil {
		return p, nil
	}
	p, err := bl.buildACLPolicy(grants, action)
	if err != nil {
		return nil, err
	}
	if bl.aclPolicies == nil {
		bl.aclPolicies = map[string]*policy.Policy{}
	}
	bl.aclPolicies[key] = p
	return p, nil
}

func (bl *BucketLayers) buildACLPolicy(grants []ResolvedGrant, action string) (*policy.Policy, error) {
	p := &policy.Policy{Version: "2012-10-17"}
	if bl.Policy != nil {
		if bl.Policy.IsUnreadable() {
			return bl.Policy, nil
		}
		p.Version, p.ID = bl.Policy.Version, bl.Policy.ID
		for _, s := range bl.Policy.Statements {
			if strings.EqualFold(s.Effect, "Deny") {
				p.Statements = append(p.Statements, s)
				continue
			}
			p.Statements = append(p.Statements, policy.Statement{
				Effect:    "Allow",
				Principal: &policy.Principals{AWS: []string{"arn:aws:iam::000000000000:root"}},
				Action:    []string{"s3:GetObject"},
				Resource:  []string{"arn:aws:s3:::bucketaudit-inert-statement/*"},
			})
		}
	}
	for _, g := range grants {
		p.Statements = append(p.Statements, policy.Statement{
			Sid:       g.Label,
			Effect:    "Allow",
			Principal: &policy.Principals{Wildcard: true},
			Action:    []string{action},
			Resource:  []string{bl.ARN, bl.ARN + "/*"},
		})
	}
	text, err := p.MarshalJSON()
	if err != nil {
		return nil, err
	}
	parsed, err := policy.Parse(text)
	if err != nil {
		return nil, err
	}
	parsed.Name = "the bucket ACL"
	return parsed, nil
}

// aclDecides reports whether the allowing statements of a result are ACL
// grants.
func aclDecides(r *policy.Result) bool {
	for _, s := range r.Statements {
		if s.Layer == policy.LayerResource && strings.HasPrefix(s.Sid, aclSidPrefix) {
			return true
		}
	}
	return false
}

// verdictRank orders verdicts for an OR of two allow paths.
func verdictRank(v Verdict) int {
	switch v {
	case VerdictAllow:
		return 3
	case VerdictConditional:
		return 2
	case VerdictUnknown:
		return 1
	}
	return 0
}

// withACL ORs the ACL path into an S3 outcome: an ACL grant allows what the
// bucket policy does not, but never overrides an explicit deny.
func (bl *BucketLayers) withACL(in *policy.Input, c *Caller, action string, r *policy.Result, o outcome) outcome {
	if bl.ACLs == TriFalse || r.Decision == policy.ExplicitDeny {
		return o
	}
	if !bl.ACLRead {
		if bl.ACLs == TriTrue && o.verdict != VerdictAllow {
			return outcome{verdict: VerdictUnknown, layers: layersOf(LayerACL),
				reason: fmt.Sprintf("%s for %s depends on the bucket ACL, which could not be read", action, c.who())}
		}
		return o
	}
	ipaValues := []bool{bl.BPA.IgnorePublicACLs == TriTrue}
	if bl.BPA.IgnorePublicACLs == TriUnknown {
		ipaValues = []bool{false, true}
	}
	var outs []outcome
	for _, ipa := range ipaValues {
		outs = append(outs, bl.aclPath(in, c, action, r, o, ipa))
	}
	res := outs[0]
	if len(outs) == 2 && outs[0].verdict != outs[1].verdict {
		return outcome{verdict: VerdictUnknown, layers: layersOf(LayerBPA, LayerACL),
			reason: fmt.Sprintf("%s for %s depends on Block Public Access IgnorePublicAcls, which could not be read (%s with it off, %s with it on)", action, c.who(), outs[0].verdict, outs[1].verdict)}
	}
	if bl.ACLs == TriUnknown && res.verdict != o.verdict {
		return outcome{verdict: VerdictUnknown, layers: layersOf(LayerACL),
			reason: fmt.Sprintf("%s for %s depends on whether ACLs are enabled (Object Ownership could not be read)", action, c.who())}
	}
	return res
}

// aclPath evaluates the ACL grants that apply to c (public ones unless
// ignorePublic) and ORs them with the policy path's outcome o.
func (bl *BucketLayers) aclPath(in *policy.Input, c *Caller, action string, r *policy.Result, o outcome, ignorePublic bool) outcome {
	grants := bl.grantsFor(c, action, ignorePublic)
	if len(grants) == 0 {
		if ignorePublic && len(bl.grantsFor(c, action, false)) > 0 && o.verdict == VerdictDeny {
			// A public ACL grant that IgnorePublicAcls voids.
			o.layers = o.layers.with(LayerBPA, LayerACL)
			o.bpaBlocked = true
			o.reason += "; the bucket ACL's public grant is ignored (Block Public Access IgnorePublicAcls)"
			return o
		}
		if r.Decision == policy.ImplicitDeny && bl.ACLs == TriTrue && hasLayer(r, policy.LayerResource) {
			o.layers = o.layers.with(LayerACL)
		}
		return o
	}
	ap, err := bl.aclPolicy(grants, action)
	if err != nil {
		return outcome{verdict: VerdictUnknown, layers: layersOf(LayerACL),
			reason: fmt.Sprintf("%s for %s: the bucket ACL could not be evaluated: %v", action, c.who(), err)}
	}
	sub := *in
	sub.ResourcePolicy = ap
	sub.RestrictPublicBuckets = false
	rr := bl.evaluateSub(&sub, "acl")
	ao := fromResult(rr, resourceBucket, action, c.who(), bl.quiet)
	if aclDecides(rr) {
		ao.layers = ao.layers.without(LayerBucketPolicy).with(LayerACL)
	}
	if verdictRank(ao.verdict) > verdictRank(o.verdict) {
		return ao
	}
	return o
}

func hasLayer(r *policy.Result, l policy.Layer) bool {
	for _, x := range r.DecidedBy {
		if x == l {
			return true
		}
	}
	return false
}
