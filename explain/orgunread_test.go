package explain

import (
	"testing"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// TestSnapshotWithoutOrganization: explain and the access matrix give one
// meaning to a snapshot without an organization section. When nothing says
// the accounts belong to one, no SCP or RCP applies (not involved). When
// the organisation could not be read (scan.errors.organization), or the
// account belongs to one whose policies were not read (a scan of an
// accounts: list), SCPs and RCPs are unknown: a request every other layer
// allows is unknown, exactly as the matrix's cell.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html
func TestSnapshotWithoutOrganization(t *testing.T) {
	withoutOrg := func(edit func(d *inventory.Document)) *inventory.Document {
		d := loadFixture(t)
		d.Organization = nil
		for i := range d.Accounts {
			d.Accounts[i].Policies = nil
		}
		edit(d)
		return d
	}
	member := func(d *inventory.Document) {
		for i := range d.Accounts {
			a := &d.Accounts[i]
			a.Membership = &inventory.Membership{OrganizationID: "o-expl41n0rg", ManagementAccountID: "111111111111"}
			if a.ID != "111111111111" {
				a.Errors = inventory.Errors{inventory.FieldOrganization: {Code: "OrganizationNotRead", Message: "not walked"}}
			}
		}
	}
	req := Request{Principal: app, Action: "s3:GetObject", Bucket: "missing-key", Key: "k"}
	for _, tc := range []struct {
		name     string
		doc      *inventory.Document
		decision Decision
		rows     Verdict
		cell     model.Verdict
	}{
		{"nothing says the accounts belong to an organisation", withoutOrg(func(*inventory.Document) {}), DecisionAllow, VerdictNotInvolved, model.VerdictAllow},
		{"the accounts said they belong to none", withoutOrg(func(d *inventory.Document) {
			for i := range d.Accounts {
				d.Accounts[i].Membership = &inventory.Membership{Standalone: true}
			}
		}), DecisionAllow, VerdictNotInvolved, model.VerdictAllow},
		{"the organisation could not be read", withoutOrg(func(d *inventory.Document) {
			d.Scan = &inventory.ScanInfo{Errors: inventory.Errors{inventory.FieldOrganization: {Code: "AccessDeniedException", Message: "not the management account"}}}
		}), DecisionUnknown, VerdictCouldNot, model.VerdictUnknown},
		{"members of an organisation whose policies were not read", withoutOrg(member), DecisionUnknown, VerdictCouldNot, model.VerdictUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := Explain(inventory.Clone(tc.doc), req, Options{Source: "snapshot"})
			if err != nil {
				t.Fatal(err)
			}
			if x.Decision != tc.decision {
				t.Errorf("decision %s (%s), want %s", x.Decision, x.Reason, tc.decision)
			}
			for _, r := range x.Layers {
				if (r.Layer == model.LayerSCP || r.Layer == model.LayerRCP) && r.Verdict != tc.rows {
					t.Errorf("%s row: %s %q, want %s", r.Layer, r.Verdict, r.Evidence, tc.rows)
				}
			}
			if tc.decision == DecisionUnknown && (x.BlockedBy == nil || *x.BlockedBy != model.LayerSCP) {
				t.Errorf("blocked_by %v, want scp", x.BlockedBy)
			}
			// The matrix's same_account read cell is the class of this
			// request (a principal of the bucket's account).
			rep, err := access.Analyze(t.Context(), inventory.Clone(tc.doc), access.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range rep.Buckets {
				if b.Name == "missing-key" && b.Access.SameAccount.Read.Verdict != tc.cell {
					t.Errorf("matrix same_account.read %s (%s), want %s", b.Access.SameAccount.Read.Verdict, b.Access.SameAccount.Read.Reason, tc.cell)
				}
			}
		})
	}
}
