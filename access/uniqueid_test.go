package access

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// The AWS pages the unique-ID keys follow.
const (
	// docPrincipalTable: aws:username, aws:userid and aws:PrincipalType per
	// principal: a root's userid is its account ID, with no username,
	// "Account"; an IAM user's its unique ID, with its name, "User"; an
	// assumed role's "role-id:caller-specified-role-name", no username,
	// "AssumedRole". "not present ... any attempt to match it fails".
	docPrincipalTable = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable"
	// docUserID: aws:userid, in every request, single-valued.
	docUserID = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid"
	// docUserName: aws:username, "always included in the request context
	// for IAM users. Anonymous requests and requests that are made using
	// the AWS account root user or IAM roles do not include this key."
	docUserName = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-username"
	// docPrincipalType: aws:PrincipalType, in every request.
	docPrincipalType = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltype"
	// docUniqueIDs: RoleId "AROA…", UserId "AIDA…"; a policy denies all but
	// some by aws:userid ("AROA…:*" every session of a role).
	docUniqueIDs = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids"
	// docAbsentKeys: a condition on a key the request lacks is false but
	// for negated operators, ...IfExists and Null "true".
	docAbsentKeys = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
)

const (
	idA     = "AROAAAAAAAAAAAAAAAAAA"
	idB     = "AROABBBBBBBBBBBBBBBBB"
	idAlice = "AIDAAAAAAAAAAAAAAAAAA"
)

// uniqueIDOrg is the test organisation with, in the bucket's account, roles
// app-a and app-b of identical policies but their RoleIds, app-c whose
// RoleId was not collected, and user alice; the bucket's policy denies
// reads but when condition holds.
func uniqueIDOrg(denyUnless string) string {
	bucket := "name: bkt\nregion: eu-west-1"
	if denyUnless != "" {
		bucket += `
policy: {Version: "2012-10-17", Statement: [{Sid: OnlySome, Effect: Deny, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::bkt/*", Condition: ` + denyUnless + `}]}`
	}
	iam := iamRoles(
		role("arn:aws:iam::222222222222:role/app-a", s3Read, "id: "+idA),
		role("arn:aws:iam::222222222222:role/app-b", s3Read, "id: "+idB),
		role("arn:aws:iam::222222222222:role/app-c", s3Read),
	) + `  users:
    - arn: arn:aws:iam::222222222222:user/alice
      id: ` + idAlice + `
      inline_policies: {p: {Version: "2012-10-17", Statement: [` + s3Read + `]}}`
	return testOrg(bucket, iam)
}

// TestUniqueIDKeys: aws:userid, aws:username and aws:PrincipalType of a
// listed principal are AWS's values, so the common "deny all but these
// IDs" bucket policy lists exactly who can; roles of identical policies
// that differ only by RoleId are not decided alike; an ID not collected
// leaves the key unknown (conditional), never guessed.
func TestUniqueIDKeys(t *testing.T) {
	const (
		a, b, c = "arn:aws:iam::222222222222:role/app-a", "arn:aws:iam::222222222222:role/app-b", "arn:aws:iam::222222222222:role/app-c"
		alice   = "arn:aws:iam::222222222222:user/alice"
		root    = "arn:aws:iam::222222222222:root"
	)
	for _, tc := range []struct {
		name, doc, cond string
		want            []string
	}{{
		name: "no condition: every principal with a grant", doc: docEvaluation,
		want: []string{a + " allow", b + " allow", c + " allow", alice + " allow", root + " allow"},
	}, {
		name: "deny all but one role's sessions, one user and the root, by aws:userid", doc: docUniqueIDs,
		cond: `{StringNotLike: {"aws:userid": ["` + idA + `:*", "` + idAlice + `", "222222222222"]}}`,
		want: []string{a + " allow", c + " conditional", alice + " allow", root + " allow"},
	}, {
		name: "deny all but the other role: the roles of one policy are told apart", doc: docUniqueIDs,
		cond: `{StringNotLike: {"aws:userid": "` + idB + `:*"}}`,
		want: []string{b + " allow", c + " conditional"},
	}, {
		name: "one session name: depends on the session, so conditional", doc: docPrincipalTable,
		cond: `{StringNotEquals: {"aws:userid": "` + idA + `:ci"}}`,
		want: []string{a + " conditional", c + " conditional"},
	}, {
		name: "deny all but user alice by aws:username: roles and the root have none", doc: docUserName,
		cond: `{StringNotEquals: {"aws:username": "alice"}}`,
		want: []string{alice + " allow"},
	}, {
		name: "...IfExists on an absent aws:username is true: the deny applies to roles and root", doc: docAbsentKeys,
		cond: `{StringNotEqualsIfExists: {"aws:username": "alice"}}`,
		want: []string{alice + " allow"},
	}, {
		name: "Null: deny the requests that carry aws:username (IAM users)", doc: docAbsentKeys,
		cond: `{"Null": {"aws:username": "false"}}`,
		want: []string{a + " allow", b + " allow", c + " allow", root + " allow"},
	}, {
		name: "deny all but role sessions by aws:PrincipalType", doc: docPrincipalType,
		cond: `{StringNotEquals: {"aws:PrincipalType": "AssumedRole"}}`,
		want: []string{a + " allow", b + " allow", c + " allow"},
	}, {
		name: "deny all but the root by aws:PrincipalType", doc: docPrincipalType,
		cond: `{StringNotEquals: {"aws:PrincipalType": "Account"}}`,
		want: []string{root + " allow"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			text := uniqueIDOrg(tc.cond)
			doc, err := inventory.Parse([]byte(text), t.Name())
			if err != nil {
				t.Fatalf("fixture: %v\n%s", err, text)
			}
			for _, opts := range []Options{{}, {noShapes: true, noPrincipalGroups: true, Workers: 1}} {
				opts.Now = func() time.Time { return time.Unix(0, 0) }
				rep := analyzeValid(t, doc, opts)
				cell := cellAt(t, bucketNamed(t, rep, "bkt"), "same_account.read")
				if got := accessOf(cell); !slices.Equal(got, tc.want) {
					t.Errorf("grouped %v: same_account.read principals\n got %q\nwant %q\n(%s)", !opts.noPrincipalGroups, got, tc.want, tc.doc)
				}
			}
		})
	}
}

// TestUniqueIDOfCaller: the keys a caller's request carries, by kind of
// principal (docPrincipalTable), with the unique IDs the snapshot holds.
func TestUniqueIDOfCaller(t *testing.T) {
	doc, err := inventory.Parse([]byte(uniqueIDOrg("")), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(doc)
	for _, c := range []struct {
		principal string
		want      principalIDs
	}{
		{"arn:aws:iam::222222222222:root", principalIDs{userid: "222222222222", uidState: idKnown, nameState: idAbsent, typ: "Account"}},
		{"arn:aws:iam::222222222222:user/alice", principalIDs{userid: idAlice, uidState: idKnown, username: "alice", nameState: idKnown, typ: "User"}},
		{"arn:aws:iam::222222222222:role/app-a", principalIDs{userid: idA + ":", uidState: idPrefixed, nameState: idAbsent, typ: "AssumedRole"}},
		{"arn:aws:sts::222222222222:assumed-role/app-a/ci", principalIDs{userid: idA + ":ci", uidState: idKnown, nameState: idAbsent, typ: "AssumedRole"}},
		{"arn:aws:iam::222222222222:role/app-c", principalIDs{uidState: idUnknown, nameState: idAbsent, typ: "AssumedRole"}},
		{"arn:aws:iam::999999999999:user/bob", principalIDs{uidState: idUnknown, username: "bob", nameState: idKnown, typ: "User"}},
		{"arn:aws:sts::222222222222:federated-user/carol", principalIDs{userid: "222222222222:carol", uidState: idKnown, nameState: idAbsent, typ: "FederatedUser"}},
		{"cloudtrail.amazonaws.com", principalIDs{}},
	} {
		if got := *ix.callerIDs(c.principal); got.userid != c.want.userid || got.uidState != c.want.uidState ||
			got.username != c.want.username || got.nameState != c.want.nameState || got.typ != c.want.typ {
			t.Errorf("%s: %+v, want %+v (%s)", c.principal, got, c.want, docPrincipalTable)
		}
	}
}

// TestUniqueIDKeysSCP: an SCP that denies all but one role by aws:userid
// (its account's chain, not the bucket, names the IDs) leaves, of two
// roles of identical policies in a member account, only that role.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
func TestUniqueIDKeysSCP(t *testing.T) {
	text := testOrg("name: bkt\nregion: eu-west-1\n"+orgRead, "", "p-onlya")
	text = strings.Replace(text, "  policies:\n    - {id: p-full,", `  policies:
    - {id: p-onlya, name: OnlyA, type: SERVICE_CONTROL_POLICY, document: {Version: "2012-10-17", Statement: [{Sid: OnlyA, Effect: Deny, Action: "s3:*", Resource: "*", Condition: {StringNotLike: {"aws:userid": "`+idA+`:*"}}}]}}
    - {id: p-full,`, 1)
	text = memberIAM("333333333333", iamRoles(
		role("arn:aws:iam::333333333333:role/app-a", s3Read, "id: "+idA),
		role("arn:aws:iam::333333333333:role/app-b", s3Read, "id: "+idB),
	))(text)
	doc, err := inventory.Parse([]byte(text), t.Name())
	if err != nil {
		t.Fatalf("fixture: %v\n%s", err, text)
	}
	want := []string{"arn:aws:iam::333333333333:role/app-a allow"}
	for _, opts := range []Options{{}, {noShapes: true, noPrincipalGroups: true, Workers: 1}} {
		opts.Now = func() time.Time { return time.Unix(0, 0) }
		cell := cellAt(t, bucketNamed(t, analyzeValid(t, doc, opts), "bkt"), "org.read")
		var got []string
		for _, p := range cell.PrincipalAccess {
			if strings.HasPrefix(p.ARN, "arn:aws:iam::333333333333:") {
				got = append(got, p.ARN+" "+string(p.Verdict))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("grouped %v: org.read principals of 333333333333\n got %q\nwant %q (%s, %s)", !opts.noPrincipalGroups, got, want, docSCPEffect, docUniqueIDs)
		}
	}
}
