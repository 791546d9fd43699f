package access

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// sameCellDocs are the documents TestSameAccountPrincipalsAsDecided
// compares on: synthetic organisations with roles, the oracle's and the
// org plan's random ones, the narrowed one, and the fixtures of the
// scanner, the emulator, the CLI and explain.
func sameCellDocs(t *testing.T) map[string]func() *inventory.Document {
	docs := map[string]func() *inventory.Document{
		"synthetic with roles": func() *inventory.Document {
			return fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 12, Buckets: 4, Roles: 9})
		},
		"synthetic federated": func() *inventory.Document {
			return fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 6, Buckets: 3, Roles: 4, Federated: 3})
		},
		"narrowed": narrowedOrgDoc,
		"management account of an organisation not read": func() *inventory.Document {
			doc, err := inventory.Parse([]byte(otherOrgOwnerDoc), "other org")
			if err != nil {
				t.Fatal(err)
			}
			return doc
		},
	}
	for seed := uint64(1); seed <= 6; seed++ {
		docs[fmt.Sprintf("oracle %d", seed)] = func() *inventory.Document { return oracleDoc(seed) }
		docs[fmt.Sprintf("plan %d", seed)] = func() *inventory.Document { return orgPlanDoc(seed) }
	}
	for _, path := range []string{"../scanner/testdata/roundtrip.yaml", "../fakeaws/testdata/org.yaml", "../cli/testdata/whocan.yaml",
		"../cli/testdata/narrow.yaml", "../explain/testdata/org.yaml", "../inventory/testdata/fixture.yaml"} {
		docs[path] = func() *inventory.Document {
			doc, err := inventory.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			return doc
		}
	}
	return docs
}

// otherOrgOwnerDoc is a document without an organization section whose
// account 222222222222 said it is the management account of organisation
// o-a1b2c3d4e5 (no SCP governs it): its bucket's policy lets the
// principals of that organisation read, and denies the writes of any
// other. Its principals' aws:PrincipalOrgID is o-a1b2c3d4e5, as the
// same_account class's is.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
const otherOrgOwnerDoc = `schema_version: 1
accounts:
  - id: "222222222222"
    membership: {organization_id: o-a1b2c3d4e5, management_account_id: "222222222222"}
    buckets:
      - name: bkt
        region: us-east-1
        policy: {Version: "2012-10-17", Statement: [
          {Sid: Org, Effect: Allow, Principal: "*", Action: [s3:GetObject, s3:PutObject], Resource: "arn:aws:s3:::bkt/*", Condition: {StringEquals: {"aws:PrincipalOrgID": o-a1b2c3d4e5}}},
          {Sid: NotOrg, Effect: Deny, Principal: "*", Action: s3:PutObject, Resource: "arn:aws:s3:::bkt/*", Condition: {StringNotEquals: {"aws:PrincipalOrgID": o-a1b2c3d4e5}}}]}
    iam:
      roles:
        - arn: arn:aws:iam::222222222222:role/reader
          inline_policies: {read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]}}
        - arn: arn:aws:iam::222222222222:role/writer
          inline_policies: {write: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:PutObject", Resource: "*"}]}}
        - arn: arn:aws:iam::222222222222:role/ec2
          inline_policies: {ec2: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "ec2:*", Resource: "*"}]}}
`

// TestSameAccountPrincipalsAsDecided: a same_account cell's Principals
// (taken from the same_account row's principal_access, uncapped) are, in
// order, the owner's IAM roles and users that deciding each of them on its
// own with its real caller (its identity policies, boundary, tags, the
// owner's organisation and SCP chain, the bucket's every layer) allows or
// allows conditionally, those of the latter marked " (conditional)"; the
// root and the principals through roles are not among them. Within its
// account a principal is allowed by its identity policy or by the bucket
// policy naming it, so the principals are those whose identity policies
// may reach the bucket or whom the bucket's policy or ACL may grant.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
func TestSameAccountPrincipalsAsDecided(t *testing.T) {
	cells, listed, conditional := 0, 0, 0
	for name, mk := range sameCellDocs(t) {
		for _, opts := range []Options{{Now: epoch}, {Now: epoch, noShapes: true, noPrincipalGroups: true, Workers: 1}} {
			rep, err := Analyze(context.Background(), mk(), opts)
			if err != nil {
				t.Fatal(err)
			}
			eachDecidedBucket(rep, mk(), func(ix *Index, _ *worker, a *inventory.Account, b *inventory.Bucket, bl *BucketLayers, out *model.Bucket) {
				orgID, inOrg := ix.MemberOf(a.ID)
				if orgID == ix.OrgID {
					orgID = ""
				}
				all, named := bl.directGrantees()
				for i, c := range out.Access.SameAccount.Cells() {
					var want []string
					for _, p := range ix.Principals(a.ID) {
						if !all && !named[granteeKey(p.ARN)] && (!p.s3 || !mayReachBucket(p.Identity, b.Name)) {
							continue
						}
						caller := &Caller{Principal: p.ARN, Account: a.ID, InOrg: inOrg, OrgID: orgID, OrgPath: ix.OrgPath(a.ID), SCPs: ix.SCPs(a.ID),
							Identity: append([]*policy.Policy{}, p.Identity...), Boundary: p.Boundary, Label: p.ARN, TagsKnown: true, PrincipalTags: p.Tags}
						if e := principalEntry(bl, caller, MatrixActions()[i]); e != "" {
							want = append(want, e)
							if strings.HasSuffix(e, " (conditional)") {
								conditional++
							}
						}
					}
					if c.Verdict == model.VerdictDeny {
						want = nil
					}
					if len(want) > 0 {
						cells++
					}
					listed += len(want)
					if !slices.Equal(c.Principals, want) || c.PrincipalsMore != 0 {
						t.Errorf("%s, grouped %v, %s same_account %d (%s): principals %v (%d more), want %v", name, !opts.noPrincipalGroups, b.Name, i, c.Verdict, c.Principals, c.PrincipalsMore, want)
					}
				}
			})
		}
	}
	if cells < 50 || listed < 200 || conditional == 0 {
		t.Fatalf("%d same_account cells listing principals, %d principals, %d conditional: the comparison proves little", cells, listed, conditional)
	}
	t.Logf("%d same_account cells listing principals, %d principals (%d conditional)", cells, listed, conditional)
}
