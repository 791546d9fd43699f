package access

import (
	"slices"
	"strings"
	"testing"
)

// Exact verdicts (issue 11, items 3-6): the manage column and ACLs,
// principal lists of resource-policy grants, unusable KMS keys, keys that
// were not read.

// principalsOf returns a cell's principals list.
func principalsOf(t *testing.T, b *Bucket, path string) []string {
	t.Helper()
	return cellAt(t, b, path).Principals
}

// TestRuleBucketPolicyPrincipalLists: within the account, a bucket policy
// that names an IAM user ARN or a role-session ARN grants it even when its
// permissions boundary or identity policies do not; one naming a role ARN
// is limited by the role's boundary (and session policy), not by its
// identity policies. The same_account principals list must say so.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func TestRuleBucketPolicyPrincipalLists(t *testing.T) {
	const iam = `iam:
  users:
    - arn: arn:aws:iam::222222222222:user/bounded
      permissions_boundary: arn:aws:iam::222222222222:policy/only-put
    - arn: arn:aws:iam::222222222222:user/nothing
    - arn: arn:aws:iam::222222222222:user/unnamed
      inline_policies: {p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "ec2:*", Resource: "*"}]}}
  roles:
    - arn: arn:aws:iam::222222222222:role/bounded-role
      permissions_boundary: arn:aws:iam::222222222222:policy/only-put
    - arn: arn:aws:iam::222222222222:role/free-role
  policies:
    - arn: arn:aws:iam::222222222222:policy/only-put
      document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:PutObject", Resource: "*"}]}`
	runRules(t, []ruleCase{{
		name: "a bucket policy naming a user or role ARN grants it without an identity policy; a role's boundary still limits",
		doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html",
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: Named, Effect: Allow, Principal: {AWS: ["arn:aws:iam::222222222222:user/bounded", "arn:aws:iam::222222222222:user/nothing", "arn:aws:iam::222222222222:role/bounded-role", "arn:aws:iam::222222222222:role/free-role"]}, Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"}]}`,
		extra: iam,
		cells: []expectCell{{path: "same_account.read", verdict: VerdictAllow}},
		check: func(t *testing.T, b *Bucket) {
			got := principalsOf(t, b, "same_account.read")
			want := []string{"arn:aws:iam::222222222222:role/free-role", "arn:aws:iam::222222222222:user/bounded", "arn:aws:iam::222222222222:user/nothing"}
			if !slices.Equal(got, want) {
				t.Errorf("same_account.read principals = %v, want %v (users named by the bucket policy are not limited by their boundary or identity policies; a named role is limited by its boundary)", got, want)
			}
			if got := principalsOf(t, b, "same_account.list"); len(got) != 0 {
				t.Errorf("same_account.list principals = %v, want none (nothing grants ListBucket)", got)
			}
		},
	}, {
		name: "Principal * in the bucket policy grants every principal of the account, boundary or not",
		doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html",
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: Everyone, Effect: Allow, Principal: "*", Action: s3:ListBucket, Resource: "arn:aws:s3:::bkt", Condition: {StringEquals: {"aws:PrincipalAccount": "222222222222"}}}]}`,
		extra: iam,
		check: func(t *testing.T, b *Bucket) {
			got := principalsOf(t, b, "same_account.list")
			if len(got) != 5 || !strings.HasSuffix(got[4], "user/unnamed") {
				t.Errorf("same_account.list principals = %v, want all five", got)
			}
		},
	}})
}
