package access

import (
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/policy"
)

// The keys that say who the caller is by its unique ID and name: a
// principal's aws:userid, aws:username and aws:PrincipalType, as AWS
// defines them per kind of principal (the "Principal key values" table):
//
//	account root   aws:userid the account ID, no aws:username, Account
//	IAM user       aws:userid its unique ID, aws:username its name, User
//	assumed role   aws:userid "role-id:caller-specified-role-name", no aws:username, AssumedRole
//	federated user aws:userid "account:caller-specified-name", no aws:username, FederatedUser
//
// A listed role decides for its sessions, whose names the scan cannot
// know: its aws:userid is its RoleId followed by an unknown session name
// (policy.Context.SetPrefixed). A role or user whose unique ID was not
// collected has an unknown aws:userid, never a guessed one.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-username
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltype
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids

// idState is what is known of a principal's aws:userid or aws:username.
type idState uint8

const (
	idUnknown  idState = iota // not collected (or not an IAM principal)
	idKnown                   // the value
	idPrefixed                // the value followed by an unknown session name
	idAbsent                  // not in the request
)

// principalIDs are a principal's aws:userid, aws:username and
// aws:PrincipalType ("" when unknown).
type principalIDs struct {
	userid, username    string
	uidState, nameState idState
	typ                 string
	ctx                 *policy.Context // the keys set (context), shared
}

// idsOf returns the keys of the principal of ARN arn whose unique ID is id
// (a session's: its role's; "" when not collected).
func idsOf(arn, id string) principalIDs {
	a, err := awsid.Parse(arn)
	if err != nil {
		return principalIDs{}
	}
	k := principalIDs{nameState: idAbsent}
	known := func(v string, st idState) {
		if id != "" {
			k.userid, k.uidState = v, st
		}
	}
	switch n := awsid.PrincipalOf(a.Service, a.Resource); n.Kind {
	case awsid.PrincipalRoot:
		k.userid, k.uidState, k.typ = a.Account, idKnown, "Account"
	case awsid.PrincipalUser:
		known(id, idKnown)
		k.username, k.nameState, k.typ = n.Name, idKnown, "User"
	case awsid.PrincipalRole:
		known(id+":", idPrefixed)
		k.typ = "AssumedRole"
	case awsid.PrincipalSession:
		known(id+":"+n.Session, idKnown)
		k.typ = "AssumedRole"
	case awsid.PrincipalFederated:
		k.userid, k.uidState, k.typ = a.Account+":"+n.Name, idKnown, "FederatedUser"
	default:
		return principalIDs{}
	}
	return k
}

// callerIDs returns the keys of a caller's principal, with the unique ID
// of the role or user the index holds (kept by the index, by ARN).
func (ix *Index) callerIDs(principal string) *principalIDs {
	ix.iam.mu.Lock()
	k := ix.iam.ids[principal]
	ix.iam.mu.Unlock()
	if k != nil {
		return k
	}
	id := ""
	if a, err := awsid.Parse(principal); err == nil {
		switch n := awsid.PrincipalOf(a.Service, a.Resource); n.Kind {
		case awsid.PrincipalUser, awsid.PrincipalRole:
			if p := ix.PrincipalByARN(a.Account, principal); p != nil {
				id = p.ID
			}
		case awsid.PrincipalSession:
			if p := ix.RoleNamed(a.Account, n.Name); p != nil {
				id = p.ID
			}
		}
	}
	ids := idsOf(principal, id)
	k = &ids
	k.ctx = k.context()
	ix.iam.mu.Lock()
	if ix.iam.ids == nil {
		ix.iam.ids = map[string]*principalIDs{}
	}
	ix.iam.ids[principal] = k
	ix.iam.mu.Unlock()
	return k
}

// context returns the keys as a context, a layer of the callers'
// (callerKeys).
func (k *principalIDs) context() *policy.Context {
	ctx := policy.NewContext().Reserve(3)
	set := func(key, v string, st idState) {
		switch st {
		case idKnown:
			ctx.Set(key, v)
		case idPrefixed:
			ctx.SetPrefixed(key, v)
		case idAbsent:
			ctx.SetAbsent(key)
		}
	}
	set("aws:userid", k.userid, k.uidState)
	set("aws:username", k.username, k.nameState)
	if k.typ != "" {
		ctx.Set("aws:PrincipalType", k.typ)
	}
	return ctx
}

// idMark starts the principal-naming values of aws:userid ("\x00i") and
// aws:username ("\x00n") conditions (principalValues): signature tells how
// they match a principal's keys (principalIDs.bits).
const idMark = '\x00'

// idValues adds the values of a condition on aws:userid or aws:username
// to set, marked; true when the principals must be decided one by one: a
// value holds a policy variable, or the operator is neither a string
// operator nor Null (principalIDs.bits tells only those apart).
func idValues(c *policy.Condition, set map[string]bool) (byName bool) {
	mark := "\x00i"
	if strings.EqualFold(c.Key, "aws:username") {
		mark = "\x00n"
	}
	for _, v := range c.Values {
		set[mark+v] = true
		byName = byName || strings.Contains(v, "${")
	}
	return byName || !policy.IsStringOrNull(c.Operator)
}

// bits tells how a value of an aws:username (username) or aws:userid
// condition, compiled (worker.idValue), matches the principal's key: what
// is known of the key, and under each string operator whether the value
// matches (policy.StringValue.MatchBits). Principals whose bits are equal
// decide every condition on the value alike.
func (k *principalIDs) bits(username bool, sv *policy.StringValue) byte {
	v, st := k.userid, k.uidState
	if username {
		v, st = k.username, k.nameState
	}
	b := byte(st) << 6
	if st == idKnown || st == idPrefixed {
		b |= sv.MatchBits(v, st == idPrefixed)
	}
	return b
}
