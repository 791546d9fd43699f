package explain

import (
	"testing"

	"github.com/bucketaudit/bucketaudit/access"
)

// TestVPCERowFollowsTheDecision: when the request's network path is not
// stated and the access model weighed the endpoint a bucket policy requires,
// the vpce row reports the model's verdict — and a verdict that depends on
// unread data reads "could not read", never "conditional".
func TestVPCERowFollowsTheDecision(t *testing.T) {
	for _, tc := range []struct {
		cell access.Verdict
		want Verdict
	}{
		{access.VerdictAllow, VerdictAllows},
		{access.VerdictDeny, VerdictDenies},
		{access.VerdictConditional, VerdictConditional},
		{access.VerdictUnknown, VerdictCouldNot},
	} {
		e := &explainer{req: &Request{Action: "s3:GetObject"}}
		e.dec.Cell = access.Cell{Verdict: tc.cell, DecidedBy: []string{access.LayerBucketPolicy, access.LayerVPCE}, Reason: "test"}
		if got := e.vpceRow().Verdict; got != tc.want {
			t.Errorf("cell %s: vpce row %s, want %s", tc.cell, got, tc.want)
		}
	}
}
