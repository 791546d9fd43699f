package policy

import "strings"

// IsPublic reports whether a bucket (resource) policy is public by S3's
// definition ("The meaning of public",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status):
// S3 assumes a policy public unless every Allow statement grants access only
// to fixed values (no wildcard, no policy variable) of a principal (an AWS
// account, user, role or service principal), or is restricted by a
// condition that fixes one of the listed keys (aws:SourceIp to CIDRs no
// broader than /8 for IPv4 and /32 for IPv6, aws:SourceArn, aws:SourceVpc,
// aws:SourceVpce, aws:SourceOwner, aws:SourceAccount,
// s3:x-amz-server-side-encryption-aws-kms-key-id, aws:userid outside the
// pattern "AROLEID:*", s3:DataAccessPointArn (a wildcard access point name
// with a fixed account is fine), s3:DataAccessPointAccount, and the
// principal keys such as aws:PrincipalOrgID). Deny statements do not make a
// policy public. A policy that could not be read (Unreadable) is reported
// as not known to be public: callers must check IsUnreadable.
func IsPublic(p *Policy) bool {
	if p == nil || p.unreadable {
		return false
	}
	prog, err := p.compiled()
	if err != nil {
		return true // an uncompilable policy cannot be shown non-public
	}
	return prog.public
}

// program returns the compiled form of p, compiling a hand-built policy on
// the fly (without storing it: policies are shared between goroutines).
func (p *Policy) program() (*program, error) {
	if p.prog != nil {
		return p.prog, nil
	}
	return compile(p)
}

func isPublic(p *Policy, prog *program) bool {
	vars := p.Version == Version2012
	for i := range prog.stmts {
		s := &prog.stmts[i]
		if s.deny {
			continue
		}
		if publicStatement(s, vars) {
			return true
		}
	}
	return false
}

// PublicStatements returns the indexes of the Allow statements that make p
// public (empty when it is not).
func PublicStatements(p *Policy) []int {
	if p == nil || p.unreadable {
		return nil
	}
	prog, err := p.compiled()
	if err != nil {
		return nil
	}
	vars := p.Version == Version2012
	var out []int
	for i := range prog.stmts {
		if s := &prog.stmts[i]; !s.deny && publicStatement(s, vars) {
			out = append(out, s.src.Index)
		}
	}
	return out
}

func publicStatement(s *cstmt, vars bool) bool {
	if s.prin == nil {
		// No Principal: not a grant to anyone in a bucket policy.
		return false
	}
	if !s.notPrin && !principalPublic(s.prin.src, vars) {
		return false
	}
	for i := range s.conds {
		if restrictsToFixed(&s.conds[i], vars) {
			return false
		}
	}
	return true
}

func principalPublic(p *Principals, vars bool) bool {
	if p.Wildcard || len(p.Federated) > 0 {
		return true
	}
	for _, list := range [][]string{p.AWS, p.Service, p.CanonicalUser} {
		for _, v := range list {
			if !fixedValue(v, vars) {
				return true
			}
		}
	}
	return false
}

// fixedValue reports whether v contains neither a wildcard nor a policy variable.
func fixedValue(v string, vars bool) bool {
	if strings.ContainsAny(v, "*?") {
		return false
	}
	return !vars || !strings.Contains(v, "${")
}

// nonPublicKey reports whether fixed values of a (lower-case) condition key
// make a grant non-public.
func nonPublicKey(key string) bool {
	switch key {
	case "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceowner", "aws:sourceaccount",
		"s3:x-amz-server-side-encryption-aws-kms-key-id", "aws:userid", "s3:dataaccesspointarn",
		"s3:dataaccesspointaccount", "aws:principalorgid", "aws:principalaccount", "aws:principalarn",
		"aws:principalorgpaths", "aws:principalservicename", "aws:sourceip":
		return true
	}
	return false
}

// restrictsToFixed reports whether a condition limits the grant to fixed
// values of one of the nonPublicKeys: a positive operator (no IfExists, so
// that an absent key does not pass) whose values are all fixed.
func restrictsToFixed(c *ccond, vars bool) bool {
	if !nonPublicKey(c.key) || c.op.ifExists || c.op.set == setForAll || c.op.base.negated() {
		return false
	}
	if c.key == "aws:sourceip" {
		if c.op.base != opIPAddress {
			return false
		}
		for _, v := range c.vals {
			if !v.ok {
				return false
			}
			bits := v.prefix.Bits()
			if v.prefix.Addr().Is4() && bits < 8 || !v.prefix.Addr().Is4() && bits < 32 {
				return false
			}
		}
		return true
	}
	switch c.op.base {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opArnEquals, opArnLike:
	default:
		return false
	}
	for _, v := range c.vals {
		switch {
		case fixedValue(v.raw, vars):
		case c.key == "s3:dataaccesspointarn" && accessPointWildcardOK(v.raw, vars):
		case c.key == "aws:userid" && roleIDPattern(v.raw, vars):
		default:
			return false
		}
	}
	return true
}

// accessPointWildcardOK: "arn:aws:s3:REGION:ACCOUNT:accesspoint/*" with a
// fixed account (a wildcard only in the access point name).
func accessPointWildcardOK(v string, vars bool) bool {
	a := splitARN(v)
	if !a.ok || !fixedValue(a.seg[4], vars) || a.seg[4] == "" || !fixedValue(a.seg[3], vars) {
		return false
	}
	name, ok := strings.CutPrefix(a.seg[5], "accesspoint/")
	return ok && !strings.Contains(name, "/") && fixedValue(strings.ReplaceAll(strings.ReplaceAll(name, "*", ""), "?", ""), vars)
}

// roleIDPattern: "AROLEID:*", a role's unique ID with any session name.
func roleIDPattern(v string, vars bool) bool {
	id, ok := strings.CutSuffix(v, ":*")
	return ok && id != "" && fixedValue(id, vars)
}
