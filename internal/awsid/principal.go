package awsid

import "strings"

// PrincipalKind is the kind of IAM or STS principal an ARN names.
type PrincipalKind uint8

// Principal kinds of PrincipalOf.
const (
	PrincipalOther     PrincipalKind = iota // not a principal ARN this package knows
	PrincipalRoot                           // iam ... :root
	PrincipalUser                           // iam ... :user/PATH/NAME
	PrincipalRole                           // iam ... :role/PATH/NAME
	PrincipalSession                        // sts ... :assumed-role/ROLE/SESSION
	PrincipalFederated                      // sts ... :federated-user/NAME
)

// PrincipalName is the resource part of an IAM or STS principal ARN,
// classified.
type PrincipalName struct {
	Kind PrincipalKind
	// Path is the IAM path of a user or role ("/" when none, "/a/b/" else).
	Path string
	// Name is the user, role or federated user name; for a session, the
	// role's name.
	Name string
	// Session is what follows the role's name in an assumed-role ARN; it
	// may be empty or hold a slash, which callers that validate reject.
	Session string
}

// PrincipalOf classifies the service and resource fields of a principal
// ARN: the root user, an IAM user or role (path and name), an assumed-role
// session (a non-empty role name followed by "/") or a federated user.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
func PrincipalOf(service, resource string) PrincipalName {
	switch service {
	case "iam":
		switch {
		case resource == "root":
			return PrincipalName{Kind: PrincipalRoot}
		case strings.HasPrefix(resource, "user/"):
			p, n := splitIAMPath(resource, len("user"))
			return PrincipalName{Kind: PrincipalUser, Path: p, Name: n}
		case strings.HasPrefix(resource, "role/"):
			p, n := splitIAMPath(resource, len("role"))
			return PrincipalName{Kind: PrincipalRole, Path: p, Name: n}
		}
	case "sts":
		switch {
		case strings.HasPrefix(resource, "assumed-role/"):
			rest := resource[len("assumed-role/"):]
			if i := strings.IndexByte(rest, '/'); i > 0 {
				return PrincipalName{Kind: PrincipalSession, Name: rest[:i], Session: rest[i+1:]}
			}
		case strings.HasPrefix(resource, "federated-user/"):
			return PrincipalName{Kind: PrincipalFederated, Name: resource[len("federated-user/"):]}
		}
	}
	return PrincipalName{Kind: PrincipalOther}
}

// splitIAMPath splits "user/path/to/name" (the slash after the type at
// index slash) into "/path/to/" and "name", without allocating.
func splitIAMPath(resource string, slash int) (string, string) {
	i := strings.LastIndexByte(resource, '/')
	if i <= slash {
		return "/", resource[slash+1:]
	}
	return resource[slash : i+1], resource[i+1:]
}
