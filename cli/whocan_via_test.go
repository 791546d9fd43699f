package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/internal/golden"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestWhoCanViaEndToEnd scans the who-can fixture with one more user of
// 333333333333, ops, who has no S3 permission but may assume the reader
// role (its identity policy allows sts:AssumeRole, and the role trusts
// its account): ops reaches wc-shared through reader, for what reader
// can do (read; not delete, which its account's SCP denies).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage-assume.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
func TestWhoCanViaEndToEnd(t *testing.T) {
	const ops, reader = "arn:aws:iam::333333333333:user/ops", "arn:aws:iam::333333333333:role/reader"
	snap := scanWhoCanFixture(t, func(fixture *inventory.Document) {
		for i := range fixture.Accounts {
			if a := &fixture.Accounts[i]; a.ID == "333333333333" {
				a.IAM.Users = append(a.IAM.Users, inventory.IAMUser{ARN: ops, InlinePolicies: map[string]*inventory.PolicyDocument{
					"assume": inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + reader + `"}]}`))}})
			}
		}
	})
	code, out, errOut := runCLI(t, "who-can", "--snapshot", snap, "--bucket", "wc-shared", "--format", "json")
	if code != ExitOK {
		t.Fatalf("who-can exit %d: %s", code, errOut)
	}
	var res whoCanResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("who-can json: %v\n%s", err, out)
	}
	var got []string
	for _, p := range res.Principals {
		if p.ARN == ops {
			got = append(got, p.Action+" "+p.Class+" "+string(p.Verdict)+" via "+strings.Join(p.Via, ","))
		}
	}
	if want := []string{"read org allow via " + reader}; !slices.Equal(got, want) {
		t.Errorf("who-can lists ops as %q, want %q", got, want)
	}
	code, out, errOut = runCLI(t, "can-reach", "--snapshot", snap, "--principal", ops, "-q")
	if code != ExitOK {
		t.Fatalf("can-reach exit %d: %s", code, errOut)
	}
	golden.Check(t, "whocan/ops-via.txt", []byte(out))
	if !strings.Contains(out, "s3://wc-shared") || !strings.Contains(out, "via "+reader) || strings.Contains(out, "delete") {
		t.Errorf("can-reach ops:\n%s", out)
	}
}
