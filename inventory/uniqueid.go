package inventory

import "strings"

// The unique IDs of IAM roles and users: a four-letter prefix naming the
// resource type (AROA a role, AIDA an IAM user), then upper-case letters
// and digits; RoleId and UserId are 16 to 128 characters long.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html
const (
	uniqueIDRole = "AROA"
	uniqueIDUser = "AIDA"
)

// IsUniqueID reports whether id looks like the unique ID of an IAM role
// (prefix "AROA") or user ("AIDA").
func IsUniqueID(id, prefix string) bool {
	if len(id) < 16 || len(id) > 128 || !strings.HasPrefix(id, prefix) {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// uniqueID checks an optional unique ID of a role or user.
func (v *validator) uniqueID(path, id, prefix string) {
	if id == "" || IsUniqueID(id, prefix) {
		return
	}
	what := "role"
	if prefix == uniqueIDUser {
		what = "user"
	}
	v.addf(path, "%q is not the unique ID of an IAM %s (%s followed by upper-case letters and digits, 16 to 128 characters)", id, what, prefix)
}
