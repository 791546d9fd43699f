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
}

// ParsePrincipal parses an IAM user, role, assumed-role session,
// federated-user or root ARN, a bare account ID (its root user), or
// "anonymous".
func ParsePrincipal(s string) (Principal, error) {
	if s == Anonymous || s == "*" {
		return Principal{Kind: KindAnonymous, ARN: Anonymous}, nil
	}
	if awsid.IsAccountID(s) {
		return Principal{Kind: KindRoot, ARN: awsid.Root(awsid.AWS, s), Partition: awsid.AWS, Account: s}, nil
	}
	bad := func(why string) (Principal, error) {
		return Principal{}, fmt.Errorf("principal %q: %s (want arn:aws:iam::ACCOUNT:role/NAME, arn:aws:iam::ACCOUNT:user/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCOUNT:root, an account ID or \"anonymous\")", s, why)
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
			return bad("an IAM ARN of a user, a role or root is expected")
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
