package explain

import (
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestExplainAnonymousPrincipalKeys: explain decides an anonymous caller
// on aws:userid and aws:PrincipalType for certain: an anonymous caller of
// Amazon S3 has aws:userid "anonymous" and aws:PrincipalType "Anonymous"
// (the principal key values table of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable;
// the global condition keys page says anonymous requests carry no
// aws:userid,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid,
// and the S3-specific table is followed).
func TestExplainAnonymousPrincipalKeys(t *testing.T) {
	const fixture = `schema_version: 1
accounts:
  - id: "222222222222"
    membership: {standalone: true}
    buckets:
      - name: no-anonymous
        region: eu-west-1
        policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "*"}, {Effect: Deny, Principal: "*", Action: s3:GetObject, Resource: "*", Condition: {StringEquals: {"aws:userid": anonymous}}}]}
      - name: anonymous-only
        region: eu-west-1
        policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "*"}, {Effect: Deny, Principal: "*", Action: s3:GetObject, Resource: "*", Condition: {StringNotEquals: {"aws:PrincipalType": Anonymous}}}]}
`
	doc, err := inventory.Parse([]byte(fixture), "anonymous.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for bucket, want := range map[string]Decision{"no-anonymous": DecisionExplicitDeny, "anonymous-only": DecisionAllow} {
		out, err := Explain(doc, Request{Principal: Anonymous, Action: "s3:GetObject", Bucket: bucket, Key: "k"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Decision != want {
			t.Errorf("anonymous on %s: %s (%s), want %s", bucket, out.Decision, out.Reason, want)
		}
	}
}
