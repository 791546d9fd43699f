package explain

import (
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestExplainUniqueIDKeys: explain decides a named principal with the
// aws:userid, aws:username and aws:PrincipalType the access matrix uses:
// a session of a role is "role-id:session-name" (known when explain is
// given the session ARN, the session name unknown for the role's ARN), an
// IAM user's unique ID and name, the root's account ID; roles and the
// root carry no aws:username.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-username
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
func TestExplainUniqueIDKeys(t *testing.T) {
	const fixture = `schema_version: 1
accounts:
  - id: "222222222222"
    membership: {standalone: true}
    buckets:
      - name: ids-only
        region: eu-west-1
        policy: {Version: "2012-10-17", Statement: [{Effect: Deny, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::ids-only/*", Condition: {StringNotLike: {"aws:userid": ["AROAEXAMPLEAPPA000001:ci-*", "AIDAEXAMPLEALICE00001", "222222222222"]}}}]}
      - name: alice-only
        region: eu-west-1
        policy: {Version: "2012-10-17", Statement: [{Effect: Deny, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::alice-only/*", Condition: {StringNotEquals: {"aws:username": alice}}}]}
    iam:
      roles:
        - {arn: "arn:aws:iam::222222222222:role/app-a", id: AROAEXAMPLEAPPA000001, inline_policies: {read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]}}}
        - {arn: "arn:aws:iam::222222222222:role/app-b", id: AROAEXAMPLEAPPB000001, inline_policies: {read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]}}}
      users:
        - {arn: "arn:aws:iam::222222222222:user/alice", id: AIDAEXAMPLEALICE00001, inline_policies: {read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]}}}
`
	for _, tc := range []struct {
		principal, bucket string
		want              Decision
	}{
		{"arn:aws:sts::222222222222:assumed-role/app-a/ci-42", "ids-only", DecisionAllow},
		{"arn:aws:sts::222222222222:assumed-role/app-a/laptop", "ids-only", DecisionExplicitDeny},
		{"arn:aws:iam::222222222222:role/app-a", "ids-only", DecisionUnknown}, // the session name decides
		{"arn:aws:sts::222222222222:assumed-role/app-b/ci-42", "ids-only", DecisionExplicitDeny},
		{"arn:aws:iam::222222222222:user/alice", "ids-only", DecisionAllow},
		{"222222222222", "ids-only", DecisionAllow},
		{"arn:aws:iam::222222222222:user/alice", "alice-only", DecisionAllow},
		{"arn:aws:sts::222222222222:assumed-role/app-a/alice", "alice-only", DecisionExplicitDeny},
		{"222222222222", "alice-only", DecisionExplicitDeny},
	} {
		doc, err := inventory.Parse([]byte(fixture), "uniqueid.yaml")
		if err != nil {
			t.Fatal(err)
		}
		out, err := Explain(doc, Request{Principal: tc.principal, Action: "s3:GetObject", Bucket: tc.bucket, Key: "k"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Decision != tc.want {
			t.Errorf("%s on %s: %s (%s), want %s", tc.principal, tc.bucket, out.Decision, out.Reason, tc.want)
		}
	}
}
