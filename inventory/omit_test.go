package inventory

import (
	"strings"
	"testing"
)

// TestFaultOmitValidation: faults.omit accepts the answer elements AWS
// documents as optional that the emulator can leave out
// (OmittableElements), and names anything else with its path.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PolicyStatus.html
func TestFaultOmitValidation(t *testing.T) {
	const base = "schema_version: 1\naccounts: [{id: \"123456789012\"}]\nfaults:\n  omit: [%s]\n"
	ok := strings.Replace(base, "%s", "{service: s3, operation: GetBucketPolicyStatus, bucket: b-1, element: IsPublic}", 1)
	if _, err := Parse([]byte(ok), "ok.yaml"); err != nil {
		t.Fatalf("a supported omission: %v", err)
	}
	for _, tc := range []struct{ omit, want string }{
		{"{service: s3, operation: GetBucketAcl, element: Owner}", `faults.omit[0]: "s3 GetBucketAcl Owner" cannot be omitted (supported: s3 GetBucketPolicyStatus IsPublic)`},
		{"{service: s3, operation: GetBucketPolicyStatus, element: IsPublic, account: \"12\"}", `faults.omit[0].account: "12" is not a 12-digit account ID`},
		{"{service: s3, operation: GetBucketPolicyStatus, elem: IsPublic}", "faults.omit[0].elem: unknown key"},
	} {
		_, err := Parse([]byte(strings.Replace(base, "%s", tc.omit, 1)), "doc.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("omit %s: error %v, want %q", tc.omit, err, tc.want)
		}
	}
}
