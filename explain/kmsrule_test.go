package explain

import (
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/model"
)

// TestKMSRowRendersAccessRule: the KMS row follows the rule access decides
// by (access.KMSRuleFor), for the rules the golden scenarios do not reach:
// anonymous requests, which cannot use SSE-KMS, and a disabled key, which
// KMS refuses for every caller whatever its policy says.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
func TestKMSRowRendersAccessRule(t *testing.T) {
	const key = "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	kmsRow := func(t *testing.T, x *Explanation) Row {
		t.Helper()
		for _, r := range x.Layers {
			if r.Layer == model.LayerKMS {
				return r
			}
		}
		t.Fatal("no KMS row")
		return Row{}
	}
	t.Run("anonymous", func(t *testing.T) {
		x, err := Explain(loadFixture(t), Request{Principal: Anonymous, Action: "s3:GetObject", Bucket: "customer-exports", Key: "a.csv"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := kmsRow(t, x)
		if r.Verdict != VerdictDenies || !strings.Contains(strings.Join(r.Evidence, "\n"), "anonymous requests cannot use KMS") {
			t.Errorf("KMS row = %+v, want an anonymous deny", r)
		}
	})
	t.Run("disabled key", func(t *testing.T) {
		doc := loadFixture(t)
		found := false
		for i := range doc.Accounts {
			for j := range doc.Accounts[i].KMSKeys {
				if k := &doc.Accounts[i].KMSKeys[j]; k.ARN == key {
					k.State, found = access.KeyStateDisabled, true
				}
			}
		}
		if !found {
			t.Fatalf("fixture has no key %s", key)
		}
		x, err := Explain(doc, Request{Principal: reader, Action: "s3:GetObject", Bucket: "customer-exports", Key: "a.csv"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := kmsRow(t, x)
		if r.Verdict != VerdictDenies || r.Fix != access.KeyStateRemediation(key, access.KeyStateDisabled) {
			t.Errorf("KMS row = %+v, want a deny fixed by enabling the key", r)
		}
		if x.Decision == DecisionAllow {
			t.Errorf("decision %s, want a deny: the key is disabled", x.Decision)
		}
	})
}
