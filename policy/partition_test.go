package policy

import "testing"

// A bare account ID as the caller stands for that account's root user,
// whose ARN is in the partition of the resource it acts on: an account is
// scoped to one partition, so a GovCloud account's root is
// arn:aws-us-gov:iam::ACCOUNT:root, and aws:PrincipalArn carries that ARN
// (a Deny on it applies; the owning account's root is otherwise allowed).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
func TestBareAccountCallerPartition(t *testing.T) {
	for _, tc := range []struct {
		resource, root string
		want           Decision
	}{
		{"aws-us-gov", "aws-us-gov", ExplicitDeny},
		{"aws-cn", "aws-cn", ExplicitDeny},
		{"aws", "aws", ExplicitDeny},
		{"aws-us-gov", "aws", Allow},
		{"aws", "aws-cn", Allow},
	} {
		rp := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:`+tc.root+`:iam::111111111111:root"}}}]}`)
		in := &Input{Principal: "111111111111", Action: "s3:GetObject", Resource: "arn:" + tc.resource + ":s3:::bkt/k", ResourceAccount: "111111111111", ResourcePolicy: rp}
		if r := Evaluate(in); r.Decision != tc.want {
			t.Errorf("resource in %s, condition on the root of %s: %s, want %s", tc.resource, tc.root, r.Decision, tc.want)
		}
	}
}
