package access

import (
	"context"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// TestAllowRepeatedByDeny: a bucket policy whose Allow a Deny repeats
// condition for condition grants nothing in any context: every class is
// denied by the bucket policy (the analysis panicked on it before). An
// explicit deny overrides any allow:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func TestAllowRepeatedByDeny(t *testing.T) {
	doc, err := inventory.Parse([]byte(`schema_version: 1
accounts:
  - id: "222222222222"
    buckets:
      - name: vpce-data
        region: eu-west-1
        policy: {Version: "2012-10-17", Statement: [
          {Sid: ViaVpce, Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::vpce-data/*", Condition: {StringEquals: {"aws:SourceVpce": "vpce-1a2b3c4d"}}},
          {Sid: NotViaVpce, Effect: Deny, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::vpce-data/*", Condition: {StringEquals: {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]}
`), "contradiction.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(context.Background(), doc, Options{Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	acc := rep.Buckets[0].Access
	for name, c := range map[string]model.Cell{"public": acc.Public.Read, "any_aws": acc.AnyAWS.Read} {
		if c.Verdict != model.VerdictDeny || len(c.Conditions) > 0 {
			t.Errorf("%s read: %s %v (%s), want deny", name, c.Verdict, c.Conditions, c.Reason)
		}
	}
}
