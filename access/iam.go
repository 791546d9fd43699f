package access

import (
	"iter"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/policy"
)

// IAMPrincipal is an IAM role or user of an account with its parsed
// identity policies (inline, attached, and its groups'), for deciding its
// requests. Policies that were not collected are Unreadable.
type IAMPrincipal struct {
	ARN string
	// ID is its unique ID (RoleId "AROA…", UserId "AIDA…"; "" when not
	// collected): its aws:userid (uniqueid.go).
	ID       string
	Identity []*policy.Policy
	Boundary *policy.Policy
	// BoundaryARN is the permissions boundary's managed policy ARN ("" when
	// none).
	BoundaryARN string
	// Tags are its IAM tags (its aws:PrincipalTag/* keys).
	Tags map[string]string
	// s3 is false when no identity policy mentions an s3 action: the
	// principal cannot reach any bucket through its own account.
	s3 bool
	// named are the Resource and NotResource values of its policies whose
	// match depends on a bucket's name: its decisions on buckets of one
	// shape differ only where these match differently (shapeGroupKey).
	// byName: a value holds a policy variable, so its decisions are made
	// bucket by bucket.
	named  []*policy.ResourcePattern
	byName bool
	// fp is the key of its policies by content, tags and type; vals the
	// principal-naming values of its policies; byPrincipal: a policy holds
	// a variable, so it is decided on its own (principalKey).
	fp          string
	vals        []string
	byPrincipal bool
	// texts are the texts fp is made of, one a policy (identity, then
	// boundary); slots, one a policy too, say which are out of a bucket's
	// reach (deadSlots).
	texts []string
	slots []policySlot
	// narrow: some slot is limited to named buckets (policySlot.limited).
	narrow bool
}

// policySlot is one of a principal's policies (identity, then boundary) as
// its group key sees it.
type policySlot struct {
	// named are its Resource and NotResource values of specific buckets
	// (namedResources' values of this policy), in statement order.
	named []*policy.ResourcePattern
	// prefixes are, for a limited slot, the literal start of each named
	// value's resource part (bucket name and key): a bucket whose name does
	// not agree with it is named by none of the value's matches.
	prefixes []string
	// limited: every statement has a Resource of S3 ARNs of specific
	// buckets only (no NotResource): a bucket none of them names, nor one
	// of its objects, is out of the policy's reach, which then decides
	// nothing of a request on it (the statements whose Resource matches
	// are the only ones that apply).
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
	limited bool
}

// iamCache holds the parsed IAM principals of each account.
type iamCache struct {
	mu   sync.Mutex
	byID map[string][]IAMPrincipal
	// ids are the callers' unique-ID keys by principal ARN (callerIDs).
	ids map[string]*principalIDs
	n   int // the principals of byID
	// managed are the managed policies parsed, by ARN and text: an AWS
	// managed policy attached in many accounts is parsed once.
	managed map[string][]managedParse
}

// managedParse is a managed policy's text parsed.
type managedParse struct {
	text string
	p    *policy.Policy
}

// internBound is how many principal entries a worker's caches of the
// principals keep (principalStatic, whoAccount, the group keys): at least
// maxInterned, and room for every principal parsed (and its account's
// root) so far, so that an organisation of many accounts, whose buckets'
// org rows each visit every member's principals, does not start them
// afresh bucket after bucket: the caches stay proportional to the index's
// own.
func (ix *Index) internBound() int {
	ix.iam.mu.Lock()
	defer ix.iam.mu.Unlock()
	return max(maxInterned, 2*(ix.iam.n+len(ix.iam.byID)))
}

// Principals returns the IAM roles and users of account id with their
// parsed policies, sorted by ARN; nil when IAM was not collected.
func (ix *Index) Principals(id string) []IAMPrincipal {
	a := ix.accounts[id]
	if a == nil || a.IAM == nil {
		return nil
	}
	ix.iam.mu.Lock()
	defer ix.iam.mu.Unlock()
	if ps, ok := ix.iam.byID[id]; ok {
		return ps
	}
	if ix.iam.byID == nil {
		ix.iam.byID = map[string][]IAMPrincipal{}
	}
	if ix.iam.managed == nil {
		ix.iam.managed = map[string][]managedParse{}
	}
	ps := parsePrincipals(a.IAM, ix.iam.managed)
	ix.iam.byID[id] = ps
	ix.iam.n += len(ps)
	return ps
}

// PrincipalByARN returns the IAM user or role of account id whose ARN is
// arn, with its parsed policies; nil when IAM was not collected or holds no
// such principal.
func (ix *Index) PrincipalByARN(id, arn string) *IAMPrincipal {
	ps := ix.Principals(id)
	if i, ok := sort.Find(len(ps), func(i int) int { return strings.Compare(arn, ps[i].ARN) }); ok {
		return &ps[i]
	}
	return nil
}

// RoleNamed returns the IAM role of account id named name, whatever its
// path (the role of an assumed-role session, whose ARN carries no path);
// nil when IAM was not collected or holds no such role.
func (ix *Index) RoleNamed(id, name string) *IAMPrincipal {
	ps := ix.Principals(id)
	for i := range ps {
		if a, err := awsid.Parse(ps[i].ARN); err == nil {
			if n := awsid.PrincipalOf(a.Service, a.Resource); n.Kind == awsid.PrincipalRole && n.Name == name {
				return &ps[i]
			}
		}
	}
	return nil
}

// Unread reports whether some of the principal's identity policies or its
// permissions boundary could not be read (they are Unreadable).
func (p *IAMPrincipal) Unread() bool {
	if p.Boundary != nil && p.Boundary.IsUnreadable() {
		return true
	}
	for _, ip := range p.Identity {
		if ip.IsUnreadable() {
			return true
		}
	}
	return false
}

// parsePrincipals parses the identity policies of every role and user of
// an account's IAM data. It is the one place that names them: "inline
// policy NAME of OWNER-ARN", "managed policy ARN", "policies of group NAME"
// (a group not collected), with why one could not be read. The managed
// policies it parses are shared through shared (by ARN and text: the same
// policy, named alike; nil: none shared), as parsed policies are not
// modified.
func parsePrincipals(iam *inventory.IAM, shared map[string][]managedParse) []IAMPrincipal {
	managed := map[string]*policy.Policy{}
	raw := map[*policy.Policy]string{} // the text of each policy (an unreadable one's name)
	// patterns are the Resource values compiled (namedResources, slotOf),
	// for all the account's principals.
	patterns := map[string]*policy.ResourcePattern{}
	managedPolicy := func(arn string) *policy.Policy {
		if p, ok := managed[arn]; ok {
			return p
		}
		var p *policy.Policy
		why := " (not collected)"
		for _, mp := range iam.Policies {
			if mp.ARN != arn {
				continue
			}
			if mp.Document == nil {
				why = " (no document)"
				continue
			}
			if have := sharedManaged(shared[arn], mp.Document.Raw()); have != nil {
				p = have.p
				raw[p] = have.text
				continue
			}
			parsed, err := policy.Parse(mp.Document.Raw())
			if err != nil {
				why = " (does not parse)"
				continue
			}
			parsed.Name = "managed policy " + arn
			p = parsed
			text := string(mp.Document.Raw())
			raw[p] = text
			if shared != nil {
				shared[arn] = append(shared[arn], managedParse{text: text, p: p})
			}
		}
		if p == nil {
			p = policy.Unreadable("managed policy " + arn + why)
		}
		managed[arn] = p
		return p
	}
	inline := func(owner string, docs map[string]*inventory.PolicyDocument) []*policy.Policy {
		var out []*policy.Policy
		for _, name := range sortedKeys(docs) {
			label := "inline policy " + name + " of " + owner
			if docs[name] == nil {
				out = append(out, policy.Unreadable(label+" (no document)"))
				continue
			}
			p, err := policy.Parse(docs[name].Raw())
			if err != nil {
				out = append(out, policy.Unreadable(label+" (does not parse)"))
				continue
			}
			p.Name = label
			raw[p] = string(docs[name].Raw())
			out = append(out, p)
		}
		return out
	}
	groups := map[string]*inventory.IAMGroup{}
	for i := range iam.Groups {
		g := &iam.Groups[i]
		groups[g.ARN[strings.LastIndexByte(g.ARN, '/')+1:]] = g
	}
	out := make([]IAMPrincipal, 0, len(iam.Roles)+len(iam.Users))
	// The principals' lists of policies, texts and slots, one a policy (and
	// the boundary's), in one backing array each.
	n := 0
	for _, r := range iam.Roles {
		n += len(r.InlinePolicies) + len(r.AttachedPolicies) + 1
	}
	for _, u := range iam.Users {
		n += len(u.InlinePolicies) + len(u.AttachedPolicies) + 1
		for _, gn := range u.Groups {
			if g := groups[gn]; g != nil {
				n += len(g.InlinePolicies) + len(g.AttachedPolicies)
			} else {
				n++
			}
		}
	}
	allRoom, textRoom, slotRoom := roomOf[*policy.Policy](n), roomOf[string](n), roomOf[policySlot](n)
	add := func(arn, id string, pols []*policy.Policy, attached []string, boundary string, tags map[string]string) {
		// all is the identity policies and then the boundary (nil when
		// none); Identity is all but its last, capped there.
		all := allRoom.take(len(pols) + len(attached) + 1)[:0]
		all = append(all, pols...)
		for _, a := range attached {
			all = append(all, managedPolicy(a))
		}
		pols = nil // as before when it has none
		if len(all) > 0 {
			pols = all[:len(all):len(all)]
		}
		p := IAMPrincipal{ARN: arn, ID: id, Identity: pols, Tags: tags, BoundaryARN: boundary}
		if boundary != "" {
			p.Boundary = managedPolicy(boundary)
		}
		all = append(all, p.Boundary)
		for _, ip := range pols {
			p.s3 = p.s3 || mentionsS3(ip)
		}
		p.named, p.byName = namedResources(all, patterns)
		texts := textRoom.take(len(all))[:0]
		set := map[string]bool{}
		for _, ip := range all {
			t, ok := raw[ip]
			switch {
			case ip == nil:
				t = "no boundary"
			case !ok:
				t = "unreadable " + ip.Name
			}
			texts = append(texts, t)
			p.byPrincipal = p.byPrincipal || strings.Contains(t, "${") || principalValues(ip, set)
		}
		for v := range set {
			p.vals = append(p.vals, v)
		}
		sort.Strings(p.vals)
		p.fp = fingerprint(arn, texts, tags)
		p.texts = texts
		p.slots = slotRoom.take(len(texts))
		for k, ip := range all {
			p.slots[k] = slotOf(ip, patterns)
			p.narrow = p.narrow || p.slots[k].limited
		}
		out = append(out, p)
	}
	for _, r := range iam.Roles {
		add(r.ARN, r.ID, inline(r.ARN, r.InlinePolicies), r.AttachedPolicies, r.PermissionsBoundary, r.Tags)
	}
	for _, u := range iam.Users {
		pols := inline(u.ARN, u.InlinePolicies)
		var attached []string
		attached = append(attached, u.AttachedPolicies...)
		for _, gn := range u.Groups {
			g := groups[gn]
			if g == nil {
				pols = append(pols, policy.Unreadable("policies of group "+gn+" (not collected)"))
				continue
			}
			pols = append(pols, inline(g.ARN, g.InlinePolicies)...)
			attached = append(attached, g.AttachedPolicies...)
		}
		add(u.ARN, u.ID, pols, attached, u.PermissionsBoundary, u.Tags)
	}
	slices.SortFunc(out, func(a, b IAMPrincipal) int { return strings.Compare(a.ARN, b.ARN) })
	return out
}

// room hands out slices of one backing array (each capped at its length,
// so that an append to it copies), a new array once it is used up.
type room[T any] struct{ a []T }

// roomOf returns a room of n.
func roomOf[T any](n int) *room[T] { return &room[T]{a: make([]T, 0, n)} }

// take returns a slice of n from the room.
func (r *room[T]) take(n int) []T {
	if n > cap(r.a)-len(r.a) {
		r.a = make([]T, 0, n)
	}
	l := len(r.a)
	r.a = r.a[:l+n]
	return r.a[l : l+n : l+n]
}

// sharedManaged returns the parse of a managed policy's text among those
// of its ARN (nil when not parsed yet).
func sharedManaged(parses []managedParse, text []byte) *managedParse {
	for i := range parses {
		if parses[i].text == string(text) {
			return &parses[i]
		}
	}
	return nil
}

// compilePattern compiles a Resource value once for all the principals of
// an account (in patterns): a pattern is read only.
func compilePattern(patterns map[string]*policy.ResourcePattern, r string) (*policy.ResourcePattern, bool) {
	if rp, ok := patterns[r]; ok {
		return rp, rp != nil
	}
	rp, ok := policy.CompileResourcePattern(r)
	if !ok {
		rp = nil
	}
	patterns[r] = rp
	return rp, ok
}

// namedResources compiles the Resource and NotResource values of policies
// whose match depends on which bucket is asked: all but "*" and the S3
// patterns of every bucket alike ("arn:aws:s3:::*", "arn:aws-cn:s3:::*/*").
// byName is true when a value holds a policy variable. Patterns are
// compiled once in patterns.
func namedResources(pols []*policy.Policy, patterns map[string]*policy.ResourcePattern) (named []*policy.ResourcePattern, byName bool) {
	seen := map[string]bool{}
	for r := range bucketNamingValues(pols) {
		if seen[r] {
			continue
		}
		seen[r] = true
		rp, ok := compilePattern(patterns, r)
		if !ok {
			return nil, true
		}
		named = append(named, rp)
	}
	return named, false
}

// bucketNamingValues yields the Resource and NotResource values of the
// readable policies of pols (nil ones skipped) whose match depends on
// which bucket is asked: all but "*" and the patterns of every bucket
// (everyBucket), in statement order.
func bucketNamingValues(pols []*policy.Policy) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, p := range pols {
			if p == nil || p.IsUnreadable() {
				continue
			}
			for i := range p.Statements {
				s := &p.Statements[i]
				for _, list := range [][]string{s.Resource, s.NotResource} {
					for _, r := range list {
						if r != "*" && !everyBucket(r) && !yield(r) {
							return
						}
					}
				}
			}
		}
	}
}

// slotOf returns the policySlot of a principal's policy (nil: no
// boundary), its patterns compiled once in patterns.
func slotOf(p *policy.Policy, patterns map[string]*policy.ResourcePattern) policySlot {
	if p == nil || p.IsUnreadable() {
		return policySlot{}
	}
	var sl policySlot
	sl.limited = len(p.Statements) > 0
	seen := map[string]bool{}
	for i := range p.Statements {
		st := &p.Statements[i]
		if len(st.NotResource) > 0 || len(st.Resource) == 0 {
			sl.limited = false
		}
		for _, list := range [][]string{st.Resource, st.NotResource} {
			for _, r := range list {
				if r == "*" || everyBucket(r) {
					sl.limited = false
					continue
				}
				if !specificS3(r) {
					sl.limited = false
				}
				if seen[r] {
					continue
				}
				seen[r] = true
				rp, ok := compilePattern(patterns, r)
				if !ok {
					return policySlot{} // a variable: byName decides it bucket by bucket
				}
				sl.named = append(sl.named, rp)
				sl.prefixes = append(sl.prefixes, literalStart(r))
			}
		}
	}
	if !sl.limited {
		sl.prefixes = nil
	}
	return sl
}

// literalStart returns the resource part of an ARN pattern up to its
// first wildcard (or policy variable sign).
func literalStart(r string) string {
	_, r, ok := arnFields(r)
	if !ok {
		return ""
	}
	if i := strings.IndexAny(r, "*?$"); i >= 0 {
		r = r[:i]
	}
	return r
}

// specificS3 reports whether a Resource value is an S3 ARN with the
// service written out: no other service's resource, such as the KMS key of
// a request's second evaluation, matches it.
func specificS3(r string) bool {
	f, _, ok := arnFields(r)
	return ok && f[0] == "arn" && f[2] == "s3"
}

// arnFields splits an ARN's arn:partition:service:region:account fields
// from its resource (the rest, colons and all); false when it has fewer
// than six fields.
func arnFields(r string) (f [5]string, resource string, ok bool) {
	for k := range f {
		i := strings.IndexByte(r, ':')
		if i < 0 {
			return f, "", false
		}
		f[k], r = r[:i], r[i+1:]
	}
	return f, r, true
}

// deadSlots returns which of p's policies are out of reach of every
// resource of resources (bit k: slot k), resources of bucket (made only
// when needed); 0 when none is (or p has more than 64 policies).
func (p *IAMPrincipal) deadSlots(bucket string, res func() []string) uint64 {
	if !p.narrow || len(p.slots) > 64 {
		return 0
	}
	var mask uint64
	for k := range p.slots {
		sl := &p.slots[k]
		if !sl.limited {
			continue
		}
		dead := true
		for j, q := range sl.named {
			// Every resource's part is the bucket's name, or it and a key.
			if pre := sl.prefixes[j]; !strings.HasPrefix(bucket, pre) && !strings.HasPrefix(pre, bucket+"/") {
				continue
			}
			for _, res := range res() {
				if q.Matches(res) {
					dead = false
					break
				}
			}
			if !dead {
				break
			}
		}
		if dead {
			mask |= 1 << k
		}
	}
	return mask
}

// everyBucket reports whether a Resource value is an S3 pattern of every
// bucket, or every object, of a partition: "arn:PARTITION:s3:::*" or
// "arn:PARTITION:s3:::*/*". (Buckets of one region are of one partition, and
// the shape key holds the region.)
func everyBucket(r string) bool {
	a, err := awsid.Parse(r)
	return err == nil && a.Service == "s3" && a.Region == "" && a.Account == "" && (a.Resource == "*" || a.Resource == "*/*")
}

// mentionsS3 reports whether a policy could allow an s3 action (an
// unreadable one could).
func mentionsS3(p *policy.Policy) bool {
	if p.IsUnreadable() {
		return true
	}
	for _, s := range p.Statements {
		if !strings.EqualFold(s.Effect, "Allow") {
			continue
		}
		if len(s.NotAction) > 0 {
			return true
		}
		for _, a := range s.Action {
			// "*", or "s3:…" or "s3*…" in any case (an ASCII byte lowers
			// to 's' only from 's' and 'S').
			if a == "*" || len(a) >= 3 && a[0]|0x20 == 's' && a[1] == '3' && (a[2] == ':' || a[2] == '*') {
				return true
			}
		}
	}
	return false
}

// directGrantees returns whom the bucket's own policy or ACL could grant
// an action within its account without their identity policies: a
// resource-based policy that names an IAM user or role ARN grants it even
// where its identity policies do not (a role stays limited by its
// boundary), and Principal "*" (or NotPrincipal) names everyone. A
// conservative pre-filter: all is true when every principal could be
// granted (a wildcard or NotPrincipal statement, a public ACL grant);
// named holds the ARNs the policy's Allow statements name. Grants to the
// account itself delegate to IAM and add nobody.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
func (bl *BucketLayers) directGrantees() (all bool, named map[string]bool) {
	// What was not read (the policy, the ACL) can make a principal's cells
	// unknown, never allowed: the lists name only allowed principals.
	if bl.ACLs != TriFalse {
		for _, g := range bl.Grants {
			if g.Public() { // a grant to an account delegates to its IAM policies
				return true, nil
			}
		}
	}
	p := bl.Policy
	if p == nil || p.IsUnreadable() {
		return false, nil
	}
	for i := range p.Statements {
		s := &p.Statements[i]
		if !strings.EqualFold(s.Effect, "Allow") {
			continue
		}
		if s.NotPrincipal != nil || s.Principal == nil || s.Principal.Wildcard {
			return true, nil
		}
		for _, a := range s.Principal.AWS {
			if a == "*" {
				return true, nil
			}
			if strings.HasPrefix(a, "arn:") && arnAccount(a) == bl.Account.ID {
				if named == nil {
					named = map[string]bool{}
				}
				named[granteeKey(a)] = true
			}
		}
	}
	return false, named
}

// granteeKey is the key of a principal ARN in directGrantees' set: the ARN,
// or for a role its account and name (AWS matches a role by name, a path
// written or not).
func granteeKey(arn string) string {
	if i := strings.Index(arn, ":role/"); i > 0 {
		if strings.LastIndexByte(arn, '/') == i+len(":role/")-1 {
			return arn // no path
		}
		return arn[:i] + ":role/" + arn[strings.LastIndexByte(arn, '/')+1:]
	}
	return arn
}

// mayReachBucket reports whether some identity policy could allow an
// action on the bucket: a conservative pre-filter (an unreadable policy, a
// NotResource, a variable or a pattern whose bucket part matches count as
// "could"); the engine then decides.
func mayReachBucket(pols []*policy.Policy, bucket string) bool {
	for _, p := range pols {
		if p.IsUnreadable() {
			return true
		}
		for _, s := range p.Statements {
			if !strings.EqualFold(s.Effect, "Allow") {
				continue
			}
			if len(s.NotResource) > 0 {
				return true
			}
			for _, r := range s.Resource {
				if resourceMayNameBucket(r, bucket) {
					return true
				}
			}
		}
	}
	return false
}

// resourceMayNameBucket reports whether a Resource pattern could match the
// bucket or one of its objects (conservatively).
func resourceMayNameBucket(pattern, bucket string) bool {
	if pattern == "*" || strings.Contains(pattern, "${") {
		return true
	}
	field, rest, ok := arnFields(pattern)
	if !ok {
		return true // not an ARN we can read: could match
	}
	if svc := field[2]; svc != "s3" && !strings.ContainsAny(svc, "*?") {
		return false // another service's resource
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return globMatch(rest, bucket)
}

// globMatch matches s against a pattern where * is any run of characters
// and ? any one character.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && globMatch(pattern[1:], s[1:])
}
