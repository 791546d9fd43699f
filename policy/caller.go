package policy

import (
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
)

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
	// provider is set for an identity provider's users (cService):
	// AssumeRoleWithWebIdentity or AssumeRoleWithSAML callers, named by
	// their IAM OIDC or SAML provider's ARN or a built-in web identity
	// provider's name (builtinWebIdentity).
	provider bool
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
	case awsid.IsAccountID(p):
		root := awsid.Root(awsid.AWS, p) // Evaluator.reset puts it in the resource's partition
		return caller{kind: cRoot, arn: root, account: p, principalArn: root}
	}
	a := splitARN(p)
	if !a.ok {
		if strings.Contains(p, ".") {
			return caller{kind: cService, arn: p, provider: builtinWebIdentity(p)}
		}
		return caller{kind: cOther, arn: p, principalArn: p}
	}
	if a.seg[2] == "iam" && (strings.HasPrefix(a.seg[5], "oidc-provider/") || strings.HasPrefix(a.seg[5], "saml-provider/")) {
		// An identity provider's users (AssumeRoleWithWebIdentity,
		// AssumeRoleWithSAML) are no IAM principal of any account: like a
		// service principal's, their request is allowed by the resource
		// policy (the role's trust policy) alone, matched by its
		// Principal's Federated element, and carries no aws:PrincipalArn
		// or aws:PrincipalAccount.
		return caller{kind: cService, arn: p, provider: true}
	}
	pa := parsePrincipalARN(a)
	c := caller{kind: cOther, arn: p, account: pa.account, principalArn: p, roleName: pa.roleName}
	switch pa.kind {
	case pkAccount:
		c.kind = cRoot
	case pkUser:
		c.kind = cUser
	case pkRole:
		c.kind = cRole
	case pkSession:
		c.kind = cSession
		c.principalArn = pa.roleArn
	case pkFederatedUser:
		c.kind = cFederatedUser
	}
	return c
}

// principalARN is an IAM or STS principal ARN parsed.
type principalARN struct {
	kind     prinKind // pkAccount (root), pkUser, pkRole, pkSession, pkFederatedUser or pkOther
	account  string
	roleName string // pkRole and pkSession (without path)
	roleArn  string // pkSession: the role's ARN, its aws:PrincipalArn
}

func parsePrincipalARN(a arnSegs) principalARN {
	pa := principalARN{kind: pkOther, account: a.seg[4]}
	n := awsid.PrincipalOf(a.seg[2], a.seg[5])
	switch n.Kind {
	case awsid.PrincipalRoot:
		pa.kind = pkAccount
	case awsid.PrincipalUser:
		pa.kind = pkUser
	case awsid.PrincipalRole:
		pa.kind, pa.roleName = pkRole, n.Name
	case awsid.PrincipalSession:
		pa.kind, pa.roleName = pkSession, n.Name
		pa.roleArn = awsid.Role(a.seg[1], pa.account, "", pa.roleName)
	case awsid.PrincipalFederated:
		pa.kind = pkFederatedUser
	}
	return pa
}

// builtinWebIdentity reports whether p names one of the web identity
// providers a trust policy's Federated element names without an IAM
// OIDC provider ARN
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-federated-web-identity).
func builtinWebIdentity(p string) bool {
	switch p {
	case "cognito-identity.amazonaws.com", "www.amazon.com", "graph.facebook.com", "accounts.google.com":
		return true
	}
	return false
}
