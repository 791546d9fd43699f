package access

import (
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// Narrowing to named principals.
//
// A class of callers (a matrix row) is known only through its account: who
// the caller is within it (its ARN, its organisation, its tags) is left
// unknown, and the engine's decision is then conditional on keys about the
// principal. Those are not conditions of the request a scan cannot know:
// they name which principals of the class the policies let in. settle
// turns them into the cell's narrowing (Cell.NarrowedTo): a cell allowed
// for the principals it names is "allow", narrowed to them; it stays
// "conditional" only on the request's keys (network, MFA, time, request
// tags, encryption headers…).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principal-properties

// condKey returns the condition key of one formatted condition (see
// FormatRequirement: "key op values", "ForAnyValue: key …", "not (…)");
// "object key like …" (decideKeys) gives "object".
func condKey(s string) string {
	s = strings.TrimPrefix(s, "not (")
	if strings.HasPrefix(s, "For") {
		if i := strings.Index(s, ": "); i >= 0 {
			s = s[i+2:]
		}
	}
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// aboutPrincipal reports whether a formatted condition is on a key about
// the principal; tags count only when the principals' tags are known.
func aboutPrincipal(cond string, tagsKnown bool) bool {
	p, tag := policy.PrincipalKey(condKey(cond))
	return p && (!tag || tagsKnown)
}

// splitConj splits a conjunction into its conditions on the principal and
// those on the request.
// The two are conj itself or of one block (each capped), nil when empty.
func splitConj(conj []cond, tagsKnown bool) (prin, req []cond) {
	np := 0
	for _, s := range conj {
		if aboutPrincipal(s.text, tagsKnown) {
			np++
		}
	}
	switch np {
	case 0:
		return nil, conj[:len(conj):len(conj)] // shared: no dnf is modified once made
	case len(conj):
		return conj[:len(conj):len(conj)], nil
	}
	block := make([]cond, 0, len(conj))
	for _, s := range conj {
		if aboutPrincipal(s.text, tagsKnown) {
			block = append(block, s)
		}
	}
	for _, s := range conj {
		if !aboutPrincipal(s.text, tagsKnown) {
			block = append(block, s)
		}
	}
	return block[:np:np], block[np:]
}

// narrows reports whether c is a class of callers (known only through its
// account), for which conditions on the principal narrow rather than
// condition: a concrete principal's own properties are what they are,
// known or not.
func (c *Caller) narrows() bool { return c.Principal == "" }

// settle resolves a class caller's conditional outcome into what it means
// for the class: allowed for the principals some alternative names
// without a request condition (allow, narrowed to them); otherwise
// conditional on the request, narrowed to the principals every
// alternative names.
func (o outcome) settle(c *Caller) outcome {
	if o.verdict != model.VerdictConditional || len(o.alts) == 0 || !c.narrows() {
		return o
	}
	var free dnf // the principal parts of the alternatives without request conditions
	anyFree, always := false, false
	common, same, allNamed := []cond(nil), true, true
	for i, alt := range o.alts {
		prin, req := splitConj(alt, c.TagsKnown)
		if len(req) == 0 {
			anyFree = true
			if len(prin) == 0 {
				always = true
			}
			free = free.orOwn(prin)
		}
		allNamed = allNamed && len(prin) > 0
		p, _ := normConj(prin)
		if i == 0 {
			common = p
		} else if !sameConj(p, common) {
			same = false
		}
	}
	switch {
	case anyFree:
		if !always {
			o.narrow = free
			o.reason = narrowedReason(o.reason, o.alts.String(), free)
		}
		o.verdict, o.alts = model.VerdictAllow, nil
	case same && len(common) > 0:
		// Every alternative names the same principals: the request
		// conditions are the rest.
		var reqs dnf
		for _, alt := range o.alts {
			_, req := splitConj(alt, c.TagsKnown)
			reqs = reqs.orOwn(req)
		}
		o.narrow, o.alts = dnf{common}, reqs
	case allNamed:
		// Different principals under different request conditions: the
		// conditions keep the pairing, the narrowing lists them all.
		for _, alt := range o.alts {
			prin, _ := splitConj(alt, c.TagsKnown)
			o.narrow = o.narrow.or(dnf{prin})
		}
	}
	return o
}

// narrowedReason rewrites a conditional reason ("… only if <cond> …") for
// an allow narrowed to principals: "… only for the principals with
// <narrowing> …"; where the condition is not quoted as such (reasons of
// several layers), the narrowing is appended.
func narrowedReason(reason, cond string, narrow dnf) string {
	// The first "only if <cond>", found without making it.
	const onlyIf = "only if "
	for i := 0; ; {
		k := strings.Index(reason[i:], onlyIf)
		if k < 0 {
			break
		}
		k += i
		if end := k + len(onlyIf); strings.HasPrefix(reason[end:], cond) {
			return reason[:k] + "only for the principals with " + narrow.String() + reason[end+len(cond):]
		}
		i = k + 1
	}
	return reason + "; allowed only for the principals with " + narrow.String()
}

// iamCollected reports whether the IAM principals (with their tags) of
// every account of ids were collected.
func (ix *Index) iamCollected(ids ...string) bool {
	for _, id := range ids {
		if a := ix.accounts[id]; a == nil || a.IAM == nil {
			return false
		}
	}
	return len(ids) > 0
}
