package access

import (
	"testing"

	"github.com/bucketaudit/bucketaudit/policy"
)

// TestDeadSlots: a principal's policy whose every statement names, in its
// Resource, only S3 buckets (or their objects) that are not the bucket
// asked about applies to no request on that bucket, so it decides nothing
// there: "the statement covers the resources its Resource element
// specifies".
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
func TestDeadSlots(t *testing.T) {
	stmt := func(res string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",` + res + `}]}`
	}
	for _, tc := range []struct {
		name, policy, bucket string
		keys                 []string // the bucket policy's key patterns (decideKeys)
		dead                 bool
	}{
		{"another account's buckets", stmt(`"Resource":["arn:aws:s3:::syn-222-*","arn:aws:s3:::syn-222-*/*"]`), "syn-111-00001", nil, true},
		{"its own buckets", stmt(`"Resource":["arn:aws:s3:::syn-111-*","arn:aws:s3:::syn-111-*/*"]`), "syn-111-00001", nil, false},
		{"objects of the bucket only", stmt(`"Resource":"arn:aws:s3:::syn-111-00001/*"`), "syn-111-00001", nil, false},
		{"a prefix of its keys", stmt(`"Resource":"arn:aws:s3:::syn-111-00001/logs/*"`), "syn-111-00001", []string{"logs/*"}, false},
		{"a longer name", stmt(`"Resource":"arn:aws:s3:::syn-111-000012"`), "syn-111-00001", nil, true},
		{"a wildcard first", stmt(`"Resource":"arn:aws:s3:::*-00001"`), "syn-111-00001", nil, false},
		{"a wildcard first, no match", stmt(`"Resource":"arn:aws:s3:::*-logs"`), "syn-111-00001", nil, true},
		{"every bucket", stmt(`"Resource":"arn:aws:s3:::*"`), "syn-111-00001", nil, false},
		{"any resource", stmt(`"Resource":"*"`), "syn-111-00001", nil, false},
		{"NotResource", stmt(`"NotResource":"arn:aws:s3:::syn-222-*"`), "syn-111-00001", nil, false},
		// A KMS key is a resource of the same request (decideKMS): only S3
		// ARNs with the service written out are out of its reach.
		{"a key too", stmt(`"Resource":["arn:aws:s3:::syn-222-*","arn:aws:kms:*:222:key/*"]`), "syn-111-00001", nil, false},
		{"any service", stmt(`"Resource":"arn:aws:*:::syn-222-*"`), "syn-111-00001", nil, false},
		{"a variable", stmt(`"Resource":"arn:aws:s3:::${aws:username}-*"`), "syn-111-00001", nil, false},
		{"a deny of other buckets", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::syn-222-*/*"}]}`, "syn-111-00001", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			ip := IAMPrincipal{slots: []policySlot{slotOf(p, map[string]*policy.ResourcePattern{})}}
			ip.narrow = ip.slots[0].limited
			arn := "arn:aws:s3:::" + tc.bucket
			res := []string{arn, arn + "/" + anyKey}
			for _, k := range tc.keys {
				res = append(res, arn+"/"+exampleKey(k))
			}
			if got := ip.deadSlots(tc.bucket, func() []string { return res }) != 0; got != tc.dead {
				t.Errorf("out of reach %v, want %v", got, tc.dead)
			}
		})
	}
}
