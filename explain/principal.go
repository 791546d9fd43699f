package explain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/policy"
)

// PrincipalKind says what kind of caller a principal is.
type PrincipalKind string

// Principal kinds.
const (
	KindUser      PrincipalKind = "iam_user"
	KindRole      PrincipalKind = "iam_role"
	KindSession   PrincipalKind = "assumed_role_session"
	KindFederated PrincipalKind = "federated_user"
	KindRoot      PrincipalKind = "root"
	KindAnonymous PrincipalKind = "anonymous"
	// KindAccount is a principal known only by its account.
	KindAccount PrincipalKind = "account"
	// KindProvider is an IAM OIDC or SAML identity provider: its users,
	// who act on AWS only through the roles whose trust policies name the
	// provider (sts:AssumeRoleWithWebIdentity, sts:AssumeRoleWithSAML).
	KindProvider PrincipalKind = "identity_provider"
)

// Principal is a parsed caller.
type Principal struct {
	Kind PrincipalKind
	// ARN is the caller as the policy engine sees it ("" for KindAccount).
	ARN       string
	Partition string
	Account   string
	// Name is the user, role or federated user name; Path its IAM path.
	Name string
	Path string
	// Session is the role session name (KindSession).
	Session string
	// SAML is set for a SAML identity provider (KindProvider; else OIDC).
	SAML bool
}

// ParsePrincipal parses an IAM user, role, assumed-role session,
// federated-user, root or identity provider (oidc-provider/HOST,
// saml-provider/NAME) ARN, a bare account ID (its root user), or
// "anonymous".
func ParsePrincipal(s string) (Principal, error) {
	if s == Anonymous || s == "*" {
		return Principal{Kind: KindAnonymous, ARN: Anonymous}, nil
	}
	if awsid.IsAccountID(s) {
		return Principal{Kind: KindRoot, ARN: awsid.Root(awsid.AWS, s), Partition: awsid.AWS, Account: s}, nil
	}
	bad := func(why string) (Principal, error) {
		return Principal{}, fmt.Errorf("principal %q: %s (want arn:aws:iam::ACCOUNT:role/NAME, arn:aws:iam::ACCOUNT:user/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCOUNT:root, arn:aws:iam::ACCOUNT:oidc-provider/HOST, arn:aws:iam::ACCOUNT:saml-provider/NAME, an account ID or \"anonymous\")", s, why)
	}
	a, err := awsid.Parse(s)
	if err != nil {
		return bad("not an ARN")
	}
	p := Principal{ARN: s, Partition: a.Partition, Account: a.Account}
	if !awsid.IsAccountID(p.Account) {
		return bad("the account field is not a 12-digit account ID")
	}
	res := a.Resource
	if a.Service == "iam" && (strings.HasPrefix(res, "oidc-provider/") || strings.HasPrefix(res, "saml-provider/")) {
		if why := providerProblem(res); why != "" {
			return bad(why)
		}
		p.Kind, p.SAML = KindProvider, strings.HasPrefix(res, "saml-provider/")
		p.Name = res[strings.IndexByte(res, '/')+1:]
		return p, nil
	}
	n := awsid.PrincipalOf(a.Service, res)
	p.Path, p.Name = n.Path, n.Name
	switch n.Kind {
	case awsid.PrincipalRoot:
		p.Kind = KindRoot
	case awsid.PrincipalUser:
		p.Kind = KindUser
	case awsid.PrincipalRole:
		p.Kind = KindRole
	case awsid.PrincipalSession:
		if n.Session == "" || strings.Contains(n.Session, "/") {
			return bad("an assumed-role ARN is arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION")
		}
		p.Kind, p.Session = KindSession, n.Session
	case awsid.PrincipalFederated:
		p.Kind = KindFederated
	default:
		switch {
		case a.Service == "iam":
			return bad("an IAM ARN of a user, a role or root, or an identity provider's, is expected")
		case a.Service == "sts" && strings.HasPrefix(res, "assumed-role/"):
			return bad("an assumed-role ARN is arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION")
		case a.Service == "sts":
			return bad("an STS ARN of an assumed-role session or a federated user is expected")
		}
		return bad("the service field must be iam or sts")
	}
	if p.Kind != KindRoot && p.Name == "" {
		return bad("the name is empty")
	}
	return p, nil
}

// providerProblem says what is wrong with the resource field of an
// identity provider ARN ("" when nothing): an IAM OIDC provider's is
// oidc-provider/ and its URL without the https:// scheme (host, then an
// optional path: token.actions.githubusercontent.com,
// oidc.eks.REGION.amazonaws.com/id/ID); a SAML provider's is
// saml-provider/ and its name, 1 to 128 of A-Z a-z 0-9 _ . -
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html,
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateSAMLProvider.html).
func providerProblem(res string) string {
	name := res[strings.IndexByte(res, '/')+1:]
	if strings.HasPrefix(res, "saml-provider/") {
		switch {
		case name == "":
			return "the SAML provider's name is empty (arn:aws:iam::ACCOUNT:saml-provider/NAME)"
		case len(name) > 128:
			return "a SAML provider's name is at most 128 characters"
		case strings.IndexFunc(name, func(r rune) bool { return !isWordRune(r) && r != '.' && r != '-' }) >= 0:
			return "a SAML provider's name holds only letters, digits, _ . and -"
		}
		return ""
	}
	host, path, _ := strings.Cut(name, "/")
	switch {
	case name == "":
		return "the OIDC provider's URL is empty (arn:aws:iam::ACCOUNT:oidc-provider/HOST, e.g. oidc-provider/token.actions.githubusercontent.com)"
	case strings.Contains(res, ":"):
		return "an OIDC provider ARN names the provider's URL without its scheme (oidc-provider/token.actions.githubusercontent.com, not oidc-provider/https://…)"
	case host == "" || strings.IndexFunc(host, func(r rune) bool { return !isWordRune(r) && r != '.' && r != '-' || r == '_' }) >= 0:
		return fmt.Sprintf("the OIDC provider's host %q is not a host name", host)
	case strings.ContainsAny(path, " \t*?#") || strings.HasSuffix(name, "/"):
		return fmt.Sprintf("the OIDC provider's path %q is not a URL path (no spaces, wildcards or trailing /)", path)
	}
	return ""
}

// isWordRune reports whether r is an ASCII letter, digit or underscore.
func isWordRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// Describe names the principal for people.
func (p Principal) Describe() string {
	switch p.Kind {
	case KindUser:
		return fmt.Sprintf("IAM user %s of account %s", p.Name, p.Account)
	case KindRole:
		return fmt.Sprintf("IAM role %s of account %s", p.Name, p.Account)
	case KindSession:
		return fmt.Sprintf("session %q of IAM role %s of account %s", p.Session, p.Name, p.Account)
	case KindFederated:
		return fmt.Sprintf("federated user %s of account %s", p.Name, p.Account)
	case KindRoot:
		return fmt.Sprintf("the root user of account %s", p.Account)
	case KindProvider:
		if p.SAML {
			return fmt.Sprintf("the users of SAML identity provider %s of account %s", p.Name, p.Account)
		}
		return fmt.Sprintf("the users of OIDC identity provider %s of account %s", p.Name, p.Account)
	case KindAnonymous:
		return "an anonymous (unsigned) caller"
	}
	return fmt.Sprintf("a principal of account %s (its ARN is not known)", p.Account)
}

// identity is what the access model resolved of the caller's own
// policies (access.Index.PrincipalByARN, RoleNamed), with what explain says
// of it.
type identity struct {
	// policies are the identity policies (nil for anonymous and root).
	policies []*policy.Policy
	boundary *policy.Policy
	// boundaryARN is the permissions boundary's managed policy ARN.
	boundaryARN string
	// source says where they come from, for the identity row.
	source []string
	// read is false when the identity policies could not be read (IAM not
	// collected, account not in the document, principal unknown).
	read bool
	// why says why they could not be read.
	why string
	// missing is set when IAM was read and the principal is not in it
	// (wrong-account credentials, or a deleted user or role).
	missing bool
	// roleARN is the role of a session.
	roleARN string
	// tags are the IAM tags of a user or role (tagsKnown), its
	// aws:PrincipalTag keys.
	tags      map[string]string
	tagsKnown bool
}

// resolveIdentity finds the caller's identity policies, permission boundary
// and (for a session) role as the access model parsed them from the
// document's IAM data, so that explain decides with the policies, and
// names them as, the access report does. What cannot be read is an
// Unreadable policy, so that the engine answers "unknown" rather than
// guessing.
func resolveIdentity(ix *access.Index, p Principal) identity {
	switch p.Kind {
	case KindAnonymous:
		return identity{read: true}
	case KindRoot:
		// The root user's permissions are not defined by policies.
		return identity{read: true, policies: []*policy.Policy{}, source: []string{"the root user has every permission in its own account (no identity policy applies)"}}
	}
	unreadable := func(why string) identity {
		name := "identity policies of " + p.Describe() + " (" + why + ")"
		return identity{policies: []*policy.Policy{policy.Unreadable(name)}, why: why}
	}
	if p.Kind == KindAccount {
		return unreadable("the request names only the account, not the principal")
	}
	if p.Kind == KindFederated {
		return unreadable("federated users get their permissions from the session policy of GetFederationToken, which is not collected")
	}
	a := ix.Account(p.Account)
	switch {
	case a == nil:
		return unreadable("account " + p.Account + " is not among the collected accounts")
	case a.Errors.Has(inventory.KeyIAM):
		return unreadable("IAM of account " + p.Account + " could not be read: " + a.Errors.Text(inventory.KeyIAM))
	case a.IAM == nil:
		return unreadable("IAM of account " + p.Account + " was not collected (scan with collect.iam: true)")
	}
	var ip *access.IAMPrincipal
	kind := "user"
	switch p.Kind {
	case KindUser:
		ip = ix.PrincipalByARN(p.Account, p.ARN)
	case KindRole:
		ip, kind = ix.PrincipalByARN(p.Account, p.ARN), "role"
	case KindSession:
		ip, kind = ix.RoleNamed(p.Account, p.Name), "role"
	}
	if ip == nil {
		return identity{missing: true, read: true, policies: []*policy.Policy{}, why: fmt.Sprintf("account %s's IAM data has no %s %s", p.Account, kind, p.Name)}
	}
	id := identity{read: !ip.Unread(), policies: slices.Clone(ip.Identity), boundary: ip.Boundary, boundaryARN: ip.BoundaryARN}
	if id.policies == nil {
		id.policies = []*policy.Policy{}
	}
	for _, pol := range ip.Identity {
		if !pol.IsUnreadable() {
			id.source = append(id.source, pol.Name)
		}
	}
	if p.Kind == KindSession {
		// A session's tags are its role's and its session tags, which are
		// not collected.
		id.roleARN = ip.ARN
	} else {
		id.tags, id.tagsKnown = ip.Tags, true
	}
	if !id.read {
		id.why = "some of its policies were not collected"
	}
	return id
}
