package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"
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
		pos, ok := s.Elements[element]
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
