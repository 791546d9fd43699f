package explain

import (
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
)

// TestVPCERowFollowsTheDecision: when the request's network path is not
// stated and the access model weighed the endpoint a bucket policy requires,
// the vpce row reports the model's verdict — and a verdict that depends on
// unread data reads "could not read", never "conditional".
func TestVPCERowFollowsTheDecision(t *testing.T) {
	for _, tc := range []struct {
		cell model.Verdict
		want Verdict
	}{
		{model.VerdictAllow, VerdictAllows},
		{model.VerdictDeny, VerdictDenies},
		{model.VerdictConditional, VerdictConditional},
		{model.VerdictUnknown, VerdictCouldNot},
	} {
		e := &explainer{req: &Request{Action: "s3:GetObject"}}
		e.dec.Cell = model.Cell{Verdict: tc.cell, DecidedBy: []string{model.LayerBucketPolicy, model.LayerVPCE}, Reason: "test"}
		if got := e.vpceRow().Verdict; got != tc.want {
			t.Errorf("cell %s: vpce row %s, want %s", tc.cell, got, tc.want)
		}
	}
}

// TestOrgLevels: an SCP/RCP level is named, and its target ID read, from
// the structured level (kind, ID, name), and a policy's ID from its Origin;
// nothing is parsed back out of a display name.
func TestOrgLevels(t *testing.T) {
	levels := []orgLevel{{"root", "r-ab12", "Root"}, {"OU", "ou-ab12-prod0001", ""}, {"account", "111111111111", ""}}
	for _, tt := range []struct {
		i            int
		name, target string
	}{
		{0, "root r-ab12 (Root)", "r-ab12"},
		{1, "OU ou-ab12-prod0001", "ou-ab12-prod0001"},
		{2, "account 111111111111", "111111111111"},
		{3, "level 3", "111111111111"},
		{-1, "level -1", "111111111111"},
	} {
		if got := levelName(levels, tt.i); got != tt.name {
			t.Errorf("levelName(%d) = %q, want %q", tt.i, got, tt.name)
		}
		if got := levelTarget(levels, tt.i, "111111111111"); got != tt.target {
			t.Errorf("levelTarget(%d) = %q, want %q", tt.i, got, tt.target)
		}
	}
}
