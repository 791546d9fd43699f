package explain

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/demo"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// TestExplainViaRole: the SIEM vendor's account (outside the demo
// organisation) cannot read acme-prod-reports directly, but can assume
// vendor-support, whose identity policy allows it: explain prints the
// path. A role trust policy naming an account lets that account's
// principals assume the role when their own policies allow it
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
func TestExplainViaRole(t *testing.T) {
	doc, err := inventory.Parse(demo.Fixture(), "demo/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	x, err := Explain(doc, Request{Principal: "arn:aws:iam::135792468013:root", Action: "s3:GetObject", Bucket: "acme-prod-reports", Key: "q1.csv"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if x.Decision == DecisionAllow {
		t.Fatalf("decision %s, want the vendor denied directly", x.Decision)
	}
	const want = "account 135792468013 → arn:aws:iam::427361850293:role/vendor-support"
	if len(x.ViaRoles) != 1 || x.ViaRoles[0].Path != want || x.ViaRoles[0].Verdict != model.VerdictAllow ||
		x.ViaRoles[0].Role != "arn:aws:iam::427361850293:role/vendor-support" {
		t.Fatalf("via roles = %+v, want %s (allow)", x.ViaRoles, want)
	}
	var text bytes.Buffer
	if err := x.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "Through role assumption (sts:AssumeRole):\n  - allow: "+want+", then the request as arn:aws:iam::427361850293:role/vendor-support\n") {
		t.Errorf("text does not print the path:\n%s", text.String())
	}
	// A write: vendor-support may only read, so no route.
	x, err = Explain(doc, Request{Principal: "arn:aws:iam::135792468013:root", Action: "s3:PutObject", Bucket: "acme-prod-reports", Key: "q1.csv"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(x.ViaRoles) != 0 {
		t.Errorf("PutObject via roles = %+v, want none", x.ViaRoles)
	}
}
