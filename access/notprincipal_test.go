package access

import (
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// TestNotPrincipalAccountRoot: a Deny whose NotPrincipal names an account
// (its root ARN or its 12-digit ID) exempts the account's root user alone,
// not the account's roles' sessions or its users, which are checked
// against their own ARNs; naming a role does not exempt its sessions
// either (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
// A class of callers known only through their account (same_account, an
// external account's principals) therefore includes a principal the Deny
// spares when the account is named: the cell is allowed for the root user
// (narrowed to it), not denied for the whole class. Before, the class cell
// said "explicitly denied for principals of the owning account" while the
// owner's root user could write.
func TestNotPrincipalAccountRoot(t *testing.T) {
	const owner, partner = "222222222222", "333333333333"
	doc := func(notPrincipal string) *inventory.Document {
		d, err := inventory.Parse([]byte(`
schema_version: 1
accounts:
  - id: "`+owner+`"
    buckets:
      - name: bkt
        region: eu-west-1
        policy: {Version: "2012-10-17", Statement: [
          {Sid: Partner, Effect: Allow, Principal: {AWS: "arn:aws:iam::`+partner+`:root"}, Action: "s3:PutObject", Resource: "arn:aws:s3:::bkt/*"},
          {Sid: NotThem, Effect: Deny, NotPrincipal: {AWS: [`+notPrincipal+`]}, Action: "s3:PutObject", Resource: "arn:aws:s3:::bkt/*"}]}
    iam:
      roles:
        - arn: arn:aws:iam::`+owner+`:role/writer
          inline_policies: {p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}}
`), "notprincipal.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ownerRoot, partnerRoot := "arn:aws:iam::"+owner+":root", "arn:aws:iam::"+partner+":root"
	for _, tc := range []struct {
		name, notPrincipal string
		// same and ext: the verdicts of same_account.write and of the
		// partner's external write, and the root each is narrowed to ("":
		// none).
		same, ext             model.Verdict
		sameNarrow, extNarrow string
	}{
		{"the owner's root ARN", `"` + ownerRoot + `"`, model.VerdictAllow, model.VerdictDeny, ownerRoot, ""},
		{"the owner's account ID", `"` + owner + `"`, model.VerdictAllow, model.VerdictDeny, owner, ""},
		{"a role and the owner's root: the role's sessions are still denied", `"arn:aws:iam::` + owner + `:role/writer", "` + ownerRoot + `"`,
			model.VerdictAllow, model.VerdictDeny, ownerRoot, ""},
		{"the partner's root", `"` + partnerRoot + `"`, model.VerdictDeny, model.VerdictAllow, "", partnerRoot},
		{"a role of the partner's: its sessions are denied", `"arn:aws:iam::` + partner + `:role/app"`, model.VerdictDeny, model.VerdictDeny, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := analyzeValid(t, doc(tc.notPrincipal), Options{})
			b := &rep.Buckets[0]
			same, ext := b.Access.SameAccount.Write, b.Access.External[partner].Write
			for _, c := range []struct {
				what   string
				cell   model.Cell
				want   model.Verdict
				narrow string
			}{{"same_account", same, tc.same, tc.sameNarrow}, {"external " + partner, ext, tc.ext, tc.extNarrow}} {
				narrowed := strings.Join(c.cell.NarrowedTo, "; ")
				if c.cell.Verdict != c.want || (c.narrow == "") != (narrowed == "") || !strings.Contains(narrowed, c.narrow) {
					t.Errorf("%s write: %s narrowed to %q (%s), want %s narrowed to %q", c.what, c.cell.Verdict, narrowed, c.cell.Reason, c.want, c.narrow)
				}
			}
			// The owner's root is listed as able to write when spared, the
			// owner's role never: its requests are its sessions', which
			// the role's ARN does not name.
			spared := false
			for _, pa := range same.PrincipalAccess {
				switch {
				case pa.ARN == ownerRoot && pa.Verdict == model.VerdictAllow:
					spared = true
				case strings.HasSuffix(pa.ARN, ":role/writer") && pa.Verdict != model.VerdictDeny:
					t.Errorf("same_account write lists %s as %s, want it denied (its sessions are not in NotPrincipal)", pa.ARN, pa.Verdict)
				}
			}
			if spared != (tc.same == model.VerdictAllow) {
				t.Errorf("same_account write lists the owner's root as allowed: %v, want %v", spared, tc.same == model.VerdictAllow)
			}
		})
	}
}
