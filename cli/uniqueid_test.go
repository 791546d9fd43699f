package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// uniqueIDFixture: in account 222222222222, roles app-a and app-b with
// the same policy and the RoleIds the fixture gives, users alice and bob
// with the same policy and the UserIds the emulator derives; bucket
// ids-only denies reads to all but app-a's sessions, alice and the root by
// aws:userid (the pattern of reference_identifiers), bucket roles-only to
// all but role sessions by aws:PrincipalType, bucket alice-only to all but
// user alice by aws:username.
func uniqueIDFixture() string {
	alice := fakeaws.DerivedUniqueID("AIDA", "arn:aws:iam::222222222222:user/alice")
	deny := func(bucket, cond string) string {
		return fmt.Sprintf(`      - name: %s
        region: eu-west-1
        policy: {Version: "2012-10-17", Statement: [{Sid: OnlySome, Effect: Deny, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::%s/*", Condition: %s}]}
`, bucket, bucket, cond)
	}
	read := `inline_policies: {read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]}}`
	trust := `trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]}, `
	// verdictsFixture's organisation and accounts, with other buckets.
	head := verdictsFixture[:strings.Index(verdictsFixture, "    buckets:\n")+len("    buckets:\n")]
	return strings.ReplaceAll(head, "vd-external-id", "rt-external-id") + deny("ids-only", `{StringNotLike: {"aws:userid": ["AROAEXAMPLEAPPA000001:*", "`+alice+`", "222222222222"]}}`) +
		deny("roles-only", `{StringNotEquals: {"aws:PrincipalType": AssumedRole}}`) +
		deny("alice-only", `{StringNotEquals: {"aws:username": alice}}`) + `    iam:
      roles:
        - {arn: "arn:aws:iam::222222222222:role/app-a", id: AROAEXAMPLEAPPA000001, ` + trust + read + `}
        - {arn: "arn:aws:iam::222222222222:role/app-b", id: AROAEXAMPLEAPPB000001, ` + trust + read + `}
      users:
        - {arn: "arn:aws:iam::222222222222:user/alice", ` + read + `}
        - {arn: "arn:aws:iam::222222222222:user/bob", ` + read + `}
`
}

// TestScanUniqueIDKeysE2E: scanned through the emulator with the real
// SDK, the roles' and users' unique IDs are collected (GetAccountAuthorizationDetails
// RoleId, UserId) into the snapshot, and report.json lists for each bucket
// exactly the principals its policy leaves: aws:userid is a role
// session's "role-id:caller-specified-role-name", an IAM user's unique ID
// and the root's account ID; aws:username only an IAM user's name;
// aws:PrincipalType AssumedRole, User or Account. The snapshot analysed
// again gives the same lists.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-username
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltype
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
func TestScanUniqueIDKeysE2E(t *testing.T) {
	fixture, err := inventory.Parse([]byte(uniqueIDFixture()), "uniqueid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, snap := scanFixture(t, fixture)
	const (
		a, b  = "arn:aws:iam::222222222222:role/app-a", "arn:aws:iam::222222222222:role/app-b"
		alice = "arn:aws:iam::222222222222:user/alice"
		bob   = "arn:aws:iam::222222222222:user/bob"
		root  = "arn:aws:iam::222222222222:root"
	)
	want := map[string][]string{
		"ids-only":   {a + " allow", alice + " allow", root + " allow"},
		"roles-only": {a + " allow", b + " allow"},
		"alice-only": {alice + " allow"},
	}
	// The class cell: allowed only for the principals the condition names.
	narrowed := map[string]string{
		"ids-only":   "aws:userid like [AROAEXAMPLEAPPA000001:*, " + fakeaws.DerivedUniqueID("AIDA", alice) + ", 222222222222]",
		"roles-only": "aws:PrincipalType = AssumedRole",
		"alice-only": "aws:username = alice",
	}
	check := func(what string, rep *model.Report) {
		for name, w := range want {
			c := reportBucket(t, rep, name).Access.SameAccount.Read
			if c.Verdict != model.VerdictAllow || !slices.Equal(c.NarrowedTo, []string{narrowed[name]}) || strings.Contains(c.Reason, "unknown") {
				t.Errorf("%s: %s same_account.read = %s narrowed to %q (%s), want allow narrowed to %q", what, name, c.Verdict, c.NarrowedTo, c.Reason, narrowed[name])
			}
			var got []string
			for _, p := range c.PrincipalAccess {
				got = append(got, p.ARN+" "+string(p.Verdict))
			}
			if !slices.Equal(got, w) {
				t.Errorf("%s: %s same_account.read (%s) principals\n got %q\nwant %q", what, name, c.Verdict, got, w)
			}
		}
	}
	check("scan", rep)
	var ids []string
	for _, a := range snap.Accounts {
		if a.IAM == nil {
			continue
		}
		for _, r := range a.IAM.Roles {
			ids = append(ids, r.ID)
		}
		for _, u := range a.IAM.Users {
			ids = append(ids, u.ID)
		}
	}
	wantIDs := []string{"AROAEXAMPLEAPPA000001", "AROAEXAMPLEAPPB000001", fakeaws.DerivedUniqueID("AIDA", alice), fakeaws.DerivedUniqueID("AIDA", bob)}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("snapshot ids %q, want %q", ids, wantIDs)
	}
	again, err := access.Analyze(context.Background(), snap, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	check("snapshot analysed again", again)
}
