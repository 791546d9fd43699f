package access

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestOrgPlanMatchesList checks that the org cells' principal lists made
// from the worker's plan (orgplan.go) — the member accounts' candidates
// for a bucket that concerns none of them, with the accounts a bucket does
// concern decided on their own — are the lists made account by account,
// byte for byte: on randomised organisations whose buckets name roles of
// other accounts (by ARN, by pattern, by NotPrincipal), whose roles are
// limited to buckets of their own account or of others, with ACL grants to
// other accounts, with the cap at every size (the merge of the groups'
// candidates and what viaAccess needs beyond the cap), and with the live
// accounts' shortcut (liveOrgAccounts) on and off.
func TestOrgPlanMatchesList(t *testing.T) {
	capped, listed := 0, 0
	for seed := uint64(1); seed <= 12; seed++ {
		doc, kind := orgPlanDoc(seed), "orgPlanDoc"
		if seed%2 == 0 {
			doc, kind = oracleDoc(seed), "oracleDoc"
		}
		for _, limit := range []int{0, 1, 2, 5, DefaultPrincipalsPerCell} {
			name := fmt.Sprintf("%s(%d), cap %d", kind, seed, limit)
			want, rep := analyzeJSON(t, doc, Options{Now: epoch, PrincipalsPerCell: limit, orgListing: orgListingAccounts})
			for _, l := range []orgListing{orgListingAuto, orgListingPlan} {
				got, _ := analyzeJSON(t, doc, Options{Now: epoch, PrincipalsPerCell: limit, orgListing: l})
				if !bytes.Equal(got, want) {
					a, b := firstDiff(got, want)
					t.Errorf("%s, listing %d: the plan's lists differ from the accounts':\n plan %s\n list %s", name, l, a, b)
				}
			}
			for i := range rep.Buckets {
				for _, c := range rep.Buckets[i].Access.Org.Cells() {
					listed += len(c.PrincipalAccess)
					if c.PrincipalsTotal > 0 {
						capped++
					}
				}
			}
		}
	}
	if capped < 50 || listed < 1000 {
		t.Fatalf("%d org cells capped, %d org entries listed: the comparison proves little", capped, listed)
	}
	t.Logf("%d org cells capped, %d org entries listed", capped, listed)
}

// orgPlanDoc is a synthetic organisation (with roles) whose buckets'
// policies grant the organisation, roles of other accounts by ARN, by
// pattern and by NotPrincipal, and whose accounts have roles that
// orgSpecials must find: limited to a bucket of another account by its
// exact name (objects only, or a key prefix), to buckets of any account by
// a pattern without a literal start, and by a policy variable. Roles
// other than these name only their own account's buckets, so each bucket
// concerns few accounts.
func orgPlanDoc(seed uint64) *inventory.Document {
	rng := rand.New(rand.NewPCG(seed, 0x6f7267706c616e))
	doc := fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 9 + rng.IntN(6), Buckets: 2 + rng.IntN(3), Roles: 2 + rng.IntN(3)})
	pd := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
	ids := make([]string, len(doc.Accounts))
	for i := range doc.Accounts {
		ids[i] = doc.Accounts[i].ID
	}
	other := func() string { return ids[rng.IntN(len(ids))] }
	for ai := range doc.Accounts {
		a := &doc.Accounts[ai]
		if a.IAM == nil {
			continue
		}
		peer := other()
		resources := []string{
			`"arn:aws:s3:::syn-` + peer + `-00001/*"`,
			`"arn:aws:s3:::syn-` + peer + `-00000","arn:aws:s3:::syn-` + peer + `-00000/data/*"`,
			`"arn:aws:s3:::*-00002/*"`,
			`"arn:aws:s3:::syn-${aws:PrincipalAccount}-*/*"`,
		}
		for k, res := range resources {
			if rng.IntN(3) == 0 {
				continue
			}
			a.IAM.Roles = append(a.IAM.Roles, inventory.IAMRole{ARN: fmt.Sprintf("arn:aws:iam::%s:role/special-%d", a.ID, k),
				TrustPolicy:    pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + a.ID + `:root"},"Action":"sts:AssumeRole"}]}`),
				InlinePolicies: map[string]*inventory.PolicyDocument{"special": pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":[` + res + `]}]}`)}})
		}
		for bi := range a.Buckets {
			b := &a.Buckets[bi]
			arn := "arn:aws:s3:::" + b.Name
			role := fmt.Sprintf("arn:aws:iam::%s:role/app-%03d", other(), rng.IntN(2))
			org := `{"Sid":"Org","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":["` + arn + `","` + arn + `/*"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-synthetic0"}}}`
			switch rng.IntN(5) {
			case 0: // the organisation
				b.Policy = pd(`{"Version":"2012-10-17","Statement":[` + org + `]}`)
			case 1: // the organisation, but one role
				b.Policy = pd(`{"Version":"2012-10-17","Statement":[` + org + `,{"Sid":"NotThem","Effect":"Deny","NotPrincipal":{"AWS":["` + role + `","arn:aws:iam::` + a.ID + `:root"]},"Action":"s3:PutObject","Resource":"` + arn + `/*"}]}`)
			case 2: // the organisation, a role of another account denied by ARN
				b.Policy = pd(`{"Version":"2012-10-17","Statement":[` + org + `,{"Sid":"NoRole","Effect":"Deny","Principal":{"AWS":"` + role + `"},"Action":"s3:GetObject","Resource":"` + arn + `/*"}]}`)
			case 3: // by aws:PrincipalArn pattern
				b.Policy = pd(`{"Version":"2012-10-17","Statement":[{"Sid":"ByArn","Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"` + arn + `/*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/special-*"}}}]}`)
			}
		}
	}
	return doc
}
