package policy

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Lint codes.
const (
	LintObjectActionOnBucketARN   = "object-action-on-bucket-arn"
	LintBucketActionOnObjectARN   = "bucket-action-on-object-arn"
	LintAllowWithNotPrincipal     = "allow-with-notprincipal"
	LintWildcardPrincipalNoCond   = "wildcard-principal-without-condition"
	LintActionMatchesNothing      = "action-matches-nothing"
	LintVariablesWithoutVersion   = "variables-without-version"
	LintOperatorCase              = "operator-case" // parser: an operator not spelled as AWS does
	LintDuplicateKey              = "duplicate-key" // parser: a duplicate JSON key (the last one wins)
	LintPrincipalWildcardFragment = "principal-partial-wildcard"
)

// Lint returns the parser's warnings (duplicate keys, operator spelling)
// and the likely mistakes of a policy that parses, sorted by position:
//
//   - object-action-on-bucket-arn: object actions (s3:GetObject...) granted
//     or denied only on bucket ARNs: the statement matches no object (the
//     missing "/*");
//   - bucket-action-on-object-arn: bucket actions (s3:ListBucket...) only on
//     object ARNs;
//   - allow-with-notprincipal: Allow with NotPrincipal grants to everyone
//     else, anonymous users included;
//   - wildcard-principal-without-condition: Allow to Principal "*" with no
//     Condition (public access);
//   - action-matches-nothing: an action of a known service (s3, kms,
//     organizations, sts, iam, ec2) that matches no action, or a value that
//     is not "service:action";
//   - variables-without-version: "${...}" in a policy without
//     "Version": "2012-10-17", where AWS treats it as literal text;
//   - principal-partial-wildcard: a principal ARN with a wildcard, which
//     AWS does not match partially.
func Lint(p *Policy) []Warning {
	if p == nil || p.unreadable {
		return nil
	}
	out := append([]Warning(nil), p.Warnings...)
	prog, _ := p.compiled()
	for i := range p.Statements {
		var cs *cstmt
		if prog != nil && i < len(prog.stmts) {
			cs = &prog.stmts[i]
		}
		out = append(out, lintStatement(p, &p.Statements[i], cs)...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Column < out[j].Column
	})
	return out
}

func lintStatement(p *Policy, s *Statement, cs *cstmt) []Warning {
	var out []Warning
	warn := func(element, code, format string, a ...any) {
		pos, ok := s.Elements.Get(element)
		if !ok {
			pos = Pos{Line: s.Line, Column: s.Column}
		}
		out = append(out, Warning{Line: pos.Line, Column: pos.Column, Code: code, Message: fmt.Sprintf(format, a...), Statement: s.label()})
	}
	if s.Effect == "Allow" && s.NotPrincipal != nil {
		warn("NotPrincipal", LintAllowWithNotPrincipal, "statement %s allows every principal except those in NotPrincipal, anonymous users included", s.label())
	}
	if s.Effect == "Allow" && s.Principal != nil && (s.Principal.Wildcard || slices.Contains(s.Principal.AWS, "*")) && len(s.Conditions) == 0 {
		warn("Principal", LintWildcardPrincipalNoCond, "statement %s allows Principal \"*\" (everyone, anonymous users included) with no Condition", s.label())
	}
	for _, pr := range []*Principals{s.Principal, s.NotPrincipal} {
		if pr == nil {
			continue
		}
		for _, v := range pr.AWS {
			if v != "*" && strings.ContainsAny(v, "*?") {
				warn("Principal", LintPrincipalWildcardFragment, "principal %q: AWS does not match wildcards inside a principal; use Principal \"*\" with an aws:PrincipalArn condition", v)
			}
		}
	}
	if p.Version != Version2012 && (hasVariable(s.Resource) || hasVariable(s.NotResource) || conditionsHaveVariable(s.Conditions)) {
		warn("Resource", LintVariablesWithoutVersion, "statement %s uses ${...} but the policy's Version is %q: AWS treats the variable as literal text (set \"Version\": \"2012-10-17\")", s.label(), p.Version)
	}
	actions, element := s.Action, "Action"
	if s.NotAction != nil {
		actions, element = s.NotAction, "NotAction"
	}
	for _, a := range actions {
		if a == "*" {
			continue
		}
		i := strings.IndexByte(a, ':')
		if i <= 0 {
			warn(element, LintActionMatchesNothing, "%s %q is not \"service:action\": it matches nothing", element, a)
			continue
		}
		if svc := a[:i]; !strings.ContainsAny(svc, "*?") && KnownService(svc) && !matchesAny(a) {
			warn(element, LintActionMatchesNothing, "%s %q matches no %s action", element, a, strings.ToLower(svc))
		}
	}
	if s.Action != nil && s.Resource != nil {
		objOnly, bucketOnly := scopeOnly(s.Action)
		var pats []arnPat
		if cs != nil && cs.res == resList {
			pats = cs.resources
		} else {
			for _, r := range s.Resource {
				pats = append(pats, compileARN(r, false))
			}
		}
		resObj, resBucket := resourceReach(pats)
		switch {
		case len(objOnly) > 0 && !resObj:
			warn("Resource", LintObjectActionOnBucketARN, "statement %s: object actions %s apply to object ARNs (arn:aws:s3:::bucket/*) but the Resource names only buckets: they match nothing (missing \"/*\"?)", s.label(), strings.Join(objOnly, ", "))
		case len(bucketOnly) > 0 && !resBucket:
			warn("Resource", LintBucketActionOnObjectARN, "statement %s: bucket actions %s apply to the bucket ARN (arn:aws:s3:::bucket) but the Resource names only objects: they match nothing", s.label(), strings.Join(bucketOnly, ", "))
		}
	}
	return out
}

// matchesAny reports whether an action pattern matches a known action.
func matchesAny(pattern string) bool {
	found := false
	matchingRows(pattern, func(*actionRow) bool { found = true; return false })
	return found
}

func hasVariable(list []string) bool {
	for _, s := range list {
		if strings.Contains(s, "${") {
			return true
		}
	}
	return false
}

func conditionsHaveVariable(conds []Condition) bool {
	for _, c := range conds {
		if hasVariable(c.Values) {
			return true
		}
	}
	return false
}

// scopeOnly returns the action patterns that match only object actions and
// those that match only bucket actions (S3, per the action data).
func scopeOnly(actions []string) (objOnly, bucketOnly []string) {
	for _, a := range actions {
		i := strings.IndexByte(a, ':')
		if i <= 0 || !strings.EqualFold(a[:i], "s3") {
			continue
		}
		n, obj, bucket := 0, true, true
		matchingRows(a, func(r *actionRow) bool {
			n++
			switch rowScope(r) {
			case ScopeObject:
				bucket = false
			case ScopeBucket:
				obj = false
			default:
				obj, bucket = false, false
			}
			return obj || bucket // stop once neither can hold
		})
		if n == 0 {
			continue
		}
		if obj {
			objOnly = append(objOnly, a)
		}
		if bucket {
			bucketOnly = append(bucketOnly, a)
		}
	}
	return objOnly, bucketOnly
}

// resourceReach reports whether some Resource pattern can match an S3
// object ARN, and whether one can match a bucket ARN.
func resourceReach(resources []arnPat) (object, bucket bool) {
	for i := range resources {
		p := &resources[i]
		r := p.raw
		switch {
		case p.any:
			return true, true
		case !p.arn:
			object, bucket = true, true // not an ARN: cannot tell
			continue
		}
		segs, _ := splitARNPattern(r)
		if svc := segs[2]; svc != "s3" && !strings.ContainsAny(svc, "*?") {
			continue
		}
		if segs[3] != "" || segs[4] != "" {
			// Access points, jobs, Multi-Region Access Points...: not a
			// bucket or object ARN, cannot tell.
			object, bucket = true, true
			continue
		}
		res := &p.res
		slash, wild := false, false
		if res.mode == mLiteral {
			slash = strings.Contains(res.lit, "/")
		}
		for _, t := range res.toks {
			switch t.kind {
			case gLit:
				if strings.Contains(t.s, "/") {
					slash = true
				}
			case gStar:
				wild = true
			}
		}
		if slash || wild {
			object = true
		}
		if !slash {
			bucket = true
		}
	}
	return object, bucket
}

// ParseAll parses a policy as Parse does, but reports every error it finds
// instead of the first: each unknown or malformed element of the policy
// and of every statement (an element in error is set aside, or replaced by
// a valid stand-in where the statement needs one, and the rest checked
// again). Invalid JSON stops at its first syntax error. The errors are
// sorted by position; the policy is nil when there is one.
func ParseAll(data []byte) (*Policy, []*ParseError) {
	p, err := Parse(data)
	if err == nil {
		return p, nil
	}
	var first *ParseError
	if !errors.As(err, &first) {
		first = &ParseError{Line: 1, Column: 1, Msg: err.Error()}
	}
	jp := &jparser{src: string(data)}
	root, jerr := jp.parseDocument()
	if jerr != nil || root.kind != jObject {
		return nil, []*ParseError{first}
	}
	c := &errCollector{jp: jp}
	c.policy(root)
	errs := c.errs
	if len(errs) == 0 {
		// An error of the compilation, after the grammar.
		errs = []*ParseError{first}
	}
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return errs[i].Column < errs[j].Column
	})
	return nil, errs
}

// errCollector gathers the grammar errors of a policy document.
type errCollector struct {
	jp   *jparser
	errs []*ParseError
	seen map[ParseError]bool
}

// add records err, once; it reports whether err is a *ParseError.
func (c *errCollector) add(err error) (*ParseError, bool) {
	var pe *ParseError
	if !errors.As(err, &pe) {
		return nil, false
	}
	if c.seen == nil {
		c.seen = map[ParseError]bool{}
	}
	if !c.seen[*pe] {
		c.seen[*pe] = true
		c.errs = append(c.errs, pe)
	}
	return pe, true
}

// at reports whether an error's position lies within [off, end).
func (c *errCollector) at(pe *ParseError, off, end int) bool {
	l0, c0 := c.jp.position(off)
	l1, c1 := c.jp.position(end)
	after := pe.Line > l0 || pe.Line == l0 && pe.Column >= c0
	before := pe.Line < l1 || pe.Line == l1 && pe.Column < c1
	return after && before
}

// policy checks the policy object: its elements, then each statement on
// its own; a statement in error is replaced by a valid stand-in.
func (c *errCollector) policy(root *jnode) {
	node := *root
	node.members = slices.Clone(root.members)
	for i, m := range node.members {
		if m.key != "Statement" {
			continue
		}
		switch m.val.kind {
		case jObject:
			if c.statement(m.val, 0) {
				node.members[i].val = standInStatement(m.val)
			}
		case jArray:
			arr := *m.val
			arr.elems = slices.Clone(m.val.elems)
			for j, e := range arr.elems {
				switch {
				case e.kind != jObject:
					// The builder's own error for this element: valid
					// statements before it, so that it keeps its index.
					upTo := &jnode{kind: jArray, off: m.val.off, end: m.val.end}
					for _, prev := range arr.elems[:j] {
						upTo.elems = append(upTo.elems, standInStatement(prev))
					}
					upTo.elems = append(upTo.elems, e)
					c.add(c.policyWith(root, upTo))
				case !c.statement(e, j):
					continue
				}
				arr.elems[j] = standInStatement(e)
			}
			node.members[i].val = &arr
		}
	}
	for range len(root.members) + 1 {
		b := &builder{jp: c.jp, stmtIndex: -1}
		_, err := b.policy(&node)
		if err == nil {
			return
		}
		pe, ok := c.add(err)
		if !ok {
			return
		}
		// Set aside the member in error; an error of the object itself
		// (no Statement, an empty list) is the last.
		k := slices.IndexFunc(node.members, func(m jmember) bool { return c.at(pe, m.keyOff, m.val.end) })
		if k < 0 || node.members[k].key == "Statement" {
			return
		}
		node.members = slices.Delete(node.members, k, k+1)
	}
}

// policyWith is the builder's error for a policy of one Statement value.
func (c *errCollector) policyWith(root, stmt *jnode) error {
	node := &jnode{kind: jObject, off: root.off, end: root.end, members: []jmember{{key: "Statement", keyOff: root.off, val: stmt}}}
	_, err := (&builder{jp: c.jp, stmtIndex: -1}).policy(node)
	return err
}

// statement collects the errors of statement index, and reports whether
// there was one.
func (c *errCollector) statement(n *jnode, index int) bool {
	node := *n
	node.members = slices.Clone(n.members)
	failed := false
	for range len(n.members) + 1 {
		b := &builder{jp: c.jp, stmtIndex: -1}
		_, err := b.statement(&node, index)
		if err == nil {
			return failed
		}
		pe, ok := c.add(err)
		if !ok {
			return true
		}
		failed = true
		k := slices.IndexFunc(node.members, func(m jmember) bool { return c.at(pe, m.keyOff, m.val.end) })
		if k < 0 {
			return true // the statement as a whole (no Effect, both Action and NotAction …)
		}
		m := node.members[k]
		if v, ok := standInValue(m); ok {
			node.members[k].val = v
			continue
		}
		node.members = slices.Delete(node.members, k, k+1)
	}
	return failed
}

// standInValue is a valid value for an element a statement needs (so that
// replacing a malformed one does not report it missing as well); false for
// an element that can be set aside, or an unknown one.
func standInValue(m jmember) (*jnode, bool) {
	v := &jnode{kind: jString, off: m.val.off, end: m.val.end}
	switch m.key {
	case "Effect":
		v.str = "Allow"
	case "Action", "NotAction":
		v.str = "s3:GetObject"
	case "Resource", "NotResource", "Principal", "NotPrincipal":
		v.str = "*"
	default:
		return nil, false
	}
	return v, true
}

// standInStatement is a valid statement at n's place.
func standInStatement(n *jnode) *jnode {
	str := func(s string) *jnode { return &jnode{kind: jString, off: n.off, end: n.end, str: s} }
	return &jnode{kind: jObject, off: n.off, end: n.end, members: []jmember{
		{key: "Effect", keyOff: n.off, val: str("Deny")},
		{key: "Action", keyOff: n.off, val: str("s3:GetObject")},
		{key: "Resource", keyOff: n.off, val: str("*")},
	}}
}

// Size warnings.
const LintPolicyTooLarge = "policy-too-large"

// SizeLimit is the largest policy document AWS accepts for one kind of
// policy.
type SizeLimit struct {
	// Kind is the --kind name: bucket, identity, scp, rcp, kms, vpce.
	Kind string
	// Name names the kind in messages.
	Name string
	Max  int
	// Unit is how AWS measures: "bytes", "characters" or
	// "characters without whitespace".
	Unit string
	// Doc is the AWS page that states the limit.
	Doc string
}

// SizeLimits returns the size limits of the policy documents bucketaudit
// reads, smallest first.
func SizeLimits() []SizeLimit {
	return []SizeLimit{
		{"scp", "a service control policy", 5120, "characters", "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"},
		{"rcp", "a resource control policy", 5120, "characters", "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"},
		{"identity", "an IAM managed policy", 6144, "characters without whitespace", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"},
		{"bucket", "an S3 bucket policy", 20 << 10, "bytes", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html"},
		{"vpce", "a VPC endpoint policy", 20480, "characters", "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html"},
		{"kms", "a KMS key policy", 32 << 10, "bytes", "https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html"},
	}
}

// policySize measures a document as a limit's unit does.
func policySize(data []byte, unit string) int {
	switch unit {
	case "bytes":
		return len(data)
	case "characters without whitespace":
		// IAM does not count whitespace (outside strings) against its
		// quotas.
		n, inString, escaped := 0, false, false
		for _, r := range string(data) {
			switch {
			case inString:
				n++
				switch {
				case escaped:
					escaped = false
				case r == '\\':
					escaped = true
				case r == '"':
					inString = false
				}
			case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			default:
				n++
				inString = r == '"'
			}
		}
		return n
	}
	return utf8.RuneCount(data)
}

// LintSize warns when a policy document is larger than AWS accepts: for
// kind (a SizeLimit.Kind), or, when kind is "", for every kind whose limit
// it exceeds, in one warning. It returns an error for an unknown kind.
func LintSize(data []byte, kind string) ([]Warning, error) {
	var over []string
	found := kind == ""
	for _, l := range SizeLimits() {
		if kind != "" && l.Kind != kind {
			continue
		}
		found = true
		if n := policySize(data, l.Unit); n > l.Max {
			over = append(over, fmt.Sprintf("%s (%d %s; this one has %d; %s)", l.Name, l.Max, l.Unit, n, l.Doc))
		}
	}
	if !found {
		var kinds []string
		for _, l := range SizeLimits() {
			kinds = append(kinds, l.Kind)
		}
		return nil, fmt.Errorf("unknown policy kind %q (want %s)", kind, strings.Join(kinds, ", "))
	}
	if len(over) == 0 {
		return nil, nil
	}
	return []Warning{{Line: 1, Column: 1, Code: LintPolicyTooLarge,
		Message: "the document is larger than AWS accepts for " + strings.Join(over, ", or ")}}, nil
}
