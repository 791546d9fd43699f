package policy

import "strings"

// PrincipalKey reports whether a condition key describes who the caller
// is (a property of the principal) rather than the request it makes, and
// whether it is one of the principal's tags (aws:PrincipalTag/*): AWS's
// "Properties of the principal" keys
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principal-properties:
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgPaths,
// aws:PrincipalOrgID, aws:PrincipalTag/*, aws:PrincipalIsAWSService,
// aws:PrincipalServiceName, aws:PrincipalServiceNamesList,
// aws:PrincipalType, aws:userid, aws:username), kms:CallerAccount (the
// caller's account,
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account)
// and "Principal", the key of the Requirement an undecided Principal
// element becomes (a role session named in a resource policy,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
//
// For a class of callers known only through their account, a condition
// on such a key is not something of the request a scan cannot know: it
// narrows the class to the principals it names. Tags narrow only where the
// principals' tags are known (IAM collected); the caller decides that.
func PrincipalKey(key string) (principal, tag bool) {
	// Of an ASCII key EqualFold is the equality of the lower cases,
	// without ToLower's copy; another is lowered and compared (EqualFold
	// folds more than ToLower: "ſ" is "s").
	ascii := asciiKey(key)
	if !ascii {
		key = strings.ToLower(key)
	}
	is := func(s, k string) bool { return s == k || (ascii && strings.EqualFold(s, k)) }
	for _, k := range [...]string{keyPrincipalArn, keyPrincipalAccount, "aws:principalorgid", "aws:principalorgpaths",
		"aws:principalisawsservice", "aws:principalservicename", "aws:principalservicenameslist",
		"aws:principaltype", "aws:userid", "aws:username", "kms:calleraccount", "principal"} {
		if is(key, k) {
			return true, false
		}
	}
	const tagPrefix = "aws:principaltag/"
	if len(key) >= len(tagPrefix) && is(key[:len(tagPrefix)], tagPrefix) {
		return true, true
	}
	return false, false
}

// asciiKey reports whether s is ASCII.
func asciiKey(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
