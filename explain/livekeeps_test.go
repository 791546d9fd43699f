package explain

import (
	"testing"
)

// TestLiveKeepsWhatWasRead: a live collection is read, not a fixture: an
// account for which Organizations listed no SCP keeps none (an SCP level
// without Allow denies), and is never filled in with the fixture default
// FullAWSAccess. (The emulator serves the account an explicit empty list, a
// state AWS never leaves a target in, to prove it.)
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
func TestLiveKeepsWhatWasRead(t *testing.T) {
	doc := loadFixture(t)
	for i := range doc.Accounts {
		if doc.Accounts[i].ID == "222222222222" {
			doc.Accounts[i].Policies = []string{}
		}
	}
	rig := newLiveRigFor(t, doc)
	x := rig.explain(t, Request{Principal: app, Action: "s3:GetObject", Bucket: "missing-key", Key: "does/not/exist.txt"})
	if x.Decision != DecisionImplicitDeny || x.BlockedBy == nil || *x.BlockedBy != "scp" {
		t.Fatalf("decision %s blocked_by %v (%s): want implicit_deny by scp (no SCP was listed on the account)", x.Decision, x.BlockedBy, x.Reason)
	}
}
