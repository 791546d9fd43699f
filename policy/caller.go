package policy

import "strings"

// callerKind is the kind of principal making a request.
type callerKind uint8

const (
	cUnknown       callerKind = iota // Input.Principal == "": known only through context keys
	cAnonymous                       // unsigned request
	cService                         // an AWS service principal, e.g. "cloudtrail.amazonaws.com"
	cRoot                            // an account's root user
	cUser                            // IAM user
	cRole                            // IAM role ARN (used as the caller directly)
	cSession                         // assumed-role session
	cFederatedUser                   // STS federated user session (GetFederationToken)
	cOther                           // another ARN
)

// caller is Input.Principal parsed.
type caller struct {
	kind     callerKind
	arn      string
	account  string
	roleName string // cRole, cSession
	// principalArn is aws:PrincipalArn: the role's ARN for a session
	// (without path, which a session ARN does not carry), else the ARN.
	principalArn string
}

// iam reports whether the caller is an IAM identity of some account (SCPs,
// identity policies and boundaries apply).
func (c *caller) iam() bool {
	return c.kind != cAnonymous && c.kind != cService
}

func parseCaller(p string) caller {
	switch {
	case p == "":
		return caller{kind: cUnknown}
	case p == "anonymous" || p == "*":
		return caller{kind: cAnonymous, arn: p}
	case isAccountID(p):
		return caller{kind: cRoot, arn: "arn:aws:iam::" + p + ":root", account: p, principalArn: "arn:aws:iam::" + p + ":root"}
	}
	a := splitARN(p)
	if !a.ok {
		if strings.Contains(p, ".") {
			return caller{kind: cService, arn: p}
		}
		return caller{kind: cOther, arn: p, principalArn: p}
	}
	c := caller{kind: cOther, arn: p, account: a.seg[4], principalArn: p}
	res := a.seg[5]
	switch {
	case a.seg[2] == "iam" && res == "root":
		c.kind = cRoot
	case a.seg[2] == "iam" && strings.HasPrefix(res, "user/"):
		c.kind = cUser
	case a.seg[2] == "iam" && strings.HasPrefix(res, "role/"):
		c.kind = cRole
		c.roleName = res[strings.LastIndexByte(res, '/')+1:]
	case a.seg[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		rest := res[len("assumed-role/"):]
		if i := strings.IndexByte(rest, '/'); i > 0 {
			c.kind = cSession
			c.roleName = rest[:i]
			c.principalArn = "arn:" + a.seg[1] + ":iam::" + c.account + ":role/" + c.roleName
		}
	case a.seg[2] == "sts" && strings.HasPrefix(res, "federated-user/"):
		c.kind = cFederatedUser
	}
	return c
}
