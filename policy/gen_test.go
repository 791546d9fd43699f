package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// reqGen generates random simulate requests for the differential test: a
// small world of accounts, principals, buckets and context keys, and
// policies built from every grammar form and condition operator, so that
// random combinations exercise the evaluation logic's corners.
type reqGen struct {
	r *rand.Rand
}

const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"
	orgID = "o-a1b2c3d4e5"
)

func (g *reqGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *reqGen) chance(p float64) bool    { return g.r.Float64() < p }

func (g *reqGen) principal() string {
	acct := g.pick(acctA, acctA, acctB, acctC)
	switch g.r.IntN(10) {
	case 0:
		return "anonymous"
	case 1, 2, 3:
		return "arn:aws:iam::" + acct + ":user/" + g.pick("alice", "bob")
	case 4, 5:
		return "arn:aws:iam::" + acct + ":role/" + g.pick("app", "admin")
	case 6:
		if g.chance(0.3) {
			return "arn:aws:iam::" + acct + ":root"
		}
	}
	return "arn:aws:sts::" + acct + ":assumed-role/" + g.pick("app", "admin") + "/" + g.pick("s1", "s2")
}

var genActions = []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:GetObjectTagging", "kms:Decrypt"}

func (g *reqGen) actionPattern() string {
	return g.pick("s3:GetObject", "s3:Get*", "s3:*", "*", "s3:PutObject", "s3:List*", "s3:*Object", "S3:getobject", "s3:Get?bject",
		"s3:DeleteObject", "s3:ListBucket", "s3:PutBucketPolicy", "kms:*", "s3:Put*", "ec2:*")
}

func (g *reqGen) resourcePattern() string {
	return g.pick("arn:aws:s3:::data", "arn:aws:s3:::data/*", "arn:aws:s3:::data*", "*", "arn:aws:s3:::*", "arn:aws:s3:::data/home/${aws:username}/*",
		"arn:aws:s3:::data/public/*", "arn:aws:s3:::logs/*", "arn:aws:s3:::data/${aws:PrincipalTag/team}/*", "arn:aws:s3:::da?a/*",
		"arn:aws:s3:*:*:data/*", "arn:aws:kms:*:"+acctA+":key/*", "arn:aws:s3:::data/home/${aws:username, 'nobody'}/*")
}

// condition returns one random (operator, key, values) triple.
func (g *reqGen) condition() (string, string, any) {
	op := func(base string) string {
		switch g.r.IntN(8) {
		case 0:
			return base + "IfExists"
		case 1:
			return "ForAnyValue:" + base
		case 2:
			return "ForAllValues:" + base
		}
		return base
	}
	switch g.r.IntN(15) {
	case 0:
		return op(g.pick("IpAddress", "NotIpAddress")), "aws:SourceIp", g.pick("203.0.113.0/24", "10.0.0.0/8", "2001:db8::/32", "198.51.100.7")
	case 1:
		return op(g.pick("StringEquals", "StringNotEquals", "StringLike", "StringNotLike")), "aws:SourceVpce", g.pick("vpce-1", "vpce-2", "vpce-*")
	case 2:
		return op("Bool"), "aws:SecureTransport", g.pick("true", "false")
	case 3:
		return op(g.pick("StringEquals", "StringNotEquals")), "aws:PrincipalOrgID", orgID
	case 4:
		return op(g.pick("StringEquals", "StringLike", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase")), "aws:PrincipalTag/team", g.pick("red", "RED", "blue", "r*")
	case 5:
		return op(g.pick("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")), "aws:PrincipalArn", g.pick("arn:aws:iam::"+acctA+":role/app", "arn:aws:iam::*:role/admin", "arn:aws:iam::"+acctB+":user/*")
	case 6:
		return op(g.pick("StringEquals", "StringNotEquals")), "aws:PrincipalAccount", g.pick(acctA, acctB)
	case 7:
		return op(g.pick("NumericLessThan", "NumericGreaterThanEquals", "NumericEquals", "NumericNotEquals")), "s3:max-keys", g.pick("10", "100")
	case 8:
		return op(g.pick("DateLessThan", "DateGreaterThan", "DateEquals", "DateNotEquals")), "aws:CurrentTime", g.pick("2024-01-01T00:00:00Z", "2030-06-01", "2024-06-01T12:00:00Z")
	case 9:
		return "Null", g.pick("aws:SourceVpce", "aws:PrincipalTag/team", "s3:prefix"), g.pick("true", "false")
	case 10:
		return op(g.pick("StringEquals", "StringLike", "StringNotEquals", "StringNotLike")), "aws:TagKeys", []string{g.pick("env", "team"), g.pick("owner", "e*")}
	case 11:
		return op(g.pick("StringLike", "StringEquals")), "s3:prefix", g.pick("home/${aws:username}/*", "home/", "${aws:username}", "public/*")
	case 12:
		return op("Bool"), "aws:MultiFactorAuthPresent", g.pick("true", "false")
	case 13:
		return op(g.pick("StringEquals", "StringNotEquals")), "aws:ResourceTag/env", g.pick("prod", "${aws:PrincipalTag/team}")
	}
	return op(g.pick("StringEquals", "StringLike")), "aws:userid", g.pick("AIDAEXAMPLE", "AROAEXAMPLE:*")
}

func (g *reqGen) statement(resourceType bool) map[string]any {
	s := map[string]any{"Effect": g.pick("Allow", "Allow", "Deny")}
	if g.chance(0.3) {
		s["Sid"] = fmt.Sprintf("S%d", g.r.IntN(100))
	}
	list := func(f func() string) any {
		if g.chance(0.5) {
			return f()
		}
		n := 1 + g.r.IntN(3)
		out := make([]string, n)
		for i := range out {
			out[i] = f()
		}
		return out
	}
	if g.chance(0.12) {
		s["NotAction"] = list(g.actionPattern)
	} else {
		s["Action"] = list(g.actionPattern)
	}
	if g.chance(0.1) {
		s["NotResource"] = list(g.resourcePattern)
	} else {
		s["Resource"] = list(g.resourcePattern)
	}
	if resourceType {
		prin := func() any {
			switch g.r.IntN(9) {
			case 0, 1:
				return "*"
			case 2:
				return map[string]any{"AWS": "*"}
			case 3:
				return map[string]any{"AWS": g.pick(acctA, acctB, acctC)}
			case 4:
				return map[string]any{"AWS": "arn:aws:iam::" + g.pick(acctA, acctB) + ":root"}
			case 5:
				return map[string]any{"AWS": "arn:aws:iam::" + g.pick(acctA, acctB) + ":role/" + g.pick("app", "admin")}
			case 6:
				return map[string]any{"AWS": []string{"arn:aws:iam::" + g.pick(acctA, acctB) + ":user/" + g.pick("alice", "bob"), g.pick(acctA, acctC)}}
			case 7:
				return map[string]any{"AWS": "arn:aws:sts::" + g.pick(acctA, acctB) + ":assumed-role/app/" + g.pick("s1", "s2")}
			}
			return map[string]any{"Service": "cloudtrail.amazonaws.com"}
		}
		if g.chance(0.08) {
			s["NotPrincipal"] = prin()
		} else {
			s["Principal"] = prin()
		}
	}
	if g.chance(0.55) {
		cond := map[string]map[string]any{}
		for n := 1 + g.r.IntN(2); n > 0; n-- {
			op, key, val := g.condition()
			if cond[op] == nil {
				cond[op] = map[string]any{}
			}
			cond[op][key] = val
		}
		s["Condition"] = cond
	}
	return s
}

func (g *reqGen) policy(resourceType bool) map[string]any {
	n := 1 + g.r.IntN(3)
	stmts := make([]any, n)
	for i := range stmts {
		stmts[i] = g.statement(resourceType)
	}
	p := map[string]any{"Statement": stmts}
	if !g.chance(0.05) {
		p["Version"] = "2012-10-17"
	}
	return p
}

func (g *reqGen) allowAll() map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}}}
}

func (g *reqGen) context(principal string) map[string]any {
	ctx := map[string]any{}
	maybe := func(p float64, k string, v any) {
		if g.chance(p) {
			ctx[k] = v
		}
	}
	maybe(0.6, "aws:SourceIp", g.pick("203.0.113.7", "10.1.2.3", "2001:db8::1", "198.51.100.7"))
	maybe(0.3, "aws:SourceVpce", g.pick("vpce-1", "vpce-2"))
	maybe(0.7, "aws:SecureTransport", g.pick("true", "false"))
	maybe(0.3, "aws:PrincipalTag/team", g.pick("red", "blue", "Red"))
	maybe(0.3, "aws:CurrentTime", g.pick("2025-01-01T00:00:00Z", "2031-01-01T00:00:00Z", "2024-06-01T12:00:00Z"))
	maybe(0.3, "s3:max-keys", g.pick("5", "10", "500"))
	maybe(0.2, "aws:TagKeys", []string{g.pick("env", "team", "owner")})
	maybe(0.2, "aws:MultiFactorAuthPresent", g.pick("true", "false"))
	maybe(0.2, "aws:ResourceTag/env", g.pick("prod", "red"))
	if principal != "anonymous" {
		maybe(0.4, "aws:PrincipalOrgID", g.pick(orgID, "o-other"))
		if strings.Contains(principal, ":user/") {
			maybe(0.5, "aws:username", principal[strings.LastIndexByte(principal, '/')+1:])
		}
		maybe(0.2, "aws:userid", g.pick("AIDAEXAMPLE", "AROAEXAMPLE:s1"))
	}
	maybe(0.3, "s3:prefix", g.pick("home/alice/x", "home/", "public/a"))
	return ctx
}

// request builds one random request line.
func (g *reqGen) request(id int) []byte {
	principal := g.principal()
	action := g.pick(genActions...)
	bucket := g.pick("data", "data", "logs")
	resource := "arn:aws:s3:::" + bucket
	switch {
	case action == "kms:Decrypt":
		resource = "arn:aws:kms:us-east-1:" + acctA + ":key/1234"
	case action != "s3:ListBucket" && action != "s3:PutBucketPolicy" && action != "s3:GetBucketPolicy":
		resource += "/" + g.pick("home/alice/x", "public/a", "k", "red/k")
	}
	req := map[string]any{
		"id":               id,
		"principal":        principal,
		"action":           action,
		"resource":         resource,
		"resource_account": g.pick(acctA, acctA, acctB),
		"context":          g.context(principal),
	}
	if principal != "anonymous" && !strings.HasSuffix(principal, ":root") {
		var ids []any
		for n := g.r.IntN(3); n > 0; n-- {
			if g.chance(0.3) {
				ids = append(ids, g.allowAll())
			} else {
				ids = append(ids, g.policy(false))
			}
		}
		if ids != nil {
			req["identity_policies"] = ids
		}
		if g.chance(0.2) {
			req["permission_boundary"] = g.policy(false)
		}
		if strings.Contains(principal, ":assumed-role/") && g.chance(0.3) {
			req["session_policy"] = g.policy(false)
		}
		if g.chance(0.4) {
			var levels []any
			for n := 1 + g.r.IntN(3); n > 0; n-- {
				lvl := []any{g.allowAll()}
				if g.chance(0.4) {
					lvl = append(lvl, g.policy(false))
				}
				if g.chance(0.1) {
					lvl = []any{g.policy(false)}
				}
				levels = append(levels, lvl)
			}
			req["scps"] = levels
		}
	}
	if g.chance(0.8) {
		req["resource_policy"] = g.policy(true)
	}
	if g.chance(0.2) {
		var levels []any
		for n := 1 + g.r.IntN(2); n > 0; n-- {
			pol := g.policy(true)
			for _, s := range pol["Statement"].([]any) {
				st := s.(map[string]any)
				st["Effect"], st["Principal"] = "Deny", "*"
				delete(st, "NotPrincipal")
				delete(st, "NotAction")
				st["Action"] = g.pick("s3:GetObject", "s3:*", "s3:Put*", "s3:DeleteObject", "kms:Decrypt")
			}
			levels = append(levels, []any{pol})
		}
		req["rcps"] = levels
	}
	if g.chance(0.15) {
		// Endpoint policies name principals with "*" and conditions.
		pol := g.policy(true)
		for _, s := range pol["Statement"].([]any) {
			st := s.(map[string]any)
			delete(st, "NotPrincipal")
			st["Principal"] = "*"
		}
		req["vpc_endpoint_policies"] = []any{pol}
	}
	if g.chance(0.3) {
		req["restrict_public_buckets"] = g.chance(0.5)
	}
	out, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return out
}
