package access

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// TestPrincipalAccessMatchesOracle: the principal lists of every row, with
// every shortcut of whocan.go (groups of principals decided alike, policies
// out of a bucket's reach left out of the group key, groups shared by the
// buckets of a shape), are byte for byte those of deciding each principal
// on its own, bucket by bucket, on synthetic organisations whose bucket
// policies, ACLs and roles are drawn at random: principals named by ARN,
// NotPrincipal, aws:PrincipalArn conditions, ACL grants to other accounts,
// roles limited to another account's buckets, roles whose trust policy
// was not read.
func TestPrincipalAccessMatchesOracle(t *testing.T) {
	listed, cross := 0, 0
	for seed := uint64(1); seed <= 6; seed++ {
		doc := oracleDoc(seed)
		fast, rep := analyzeJSON(t, doc, Options{Now: epoch})
		exact, _ := analyzeJSON(t, doc, exactOptions())
		if !bytes.Equal(fast, exact) {
			a, b := firstDiff(fast, exact)
			t.Errorf("seed %d: the fast and the exact analyses differ:\n fast %s\nexact %s", seed, a, b)
		}
		for i := range rep.Buckets {
			b := &rep.Buckets[i]
			b.PrincipalRows(func(r model.PrincipalRow) {
				listed++
				if r.Account != b.AccountID && len(r.Via) == 0 {
					cross++
				}
			}, nil)
		}
	}
	if listed < 3000 || cross < 1000 {
		t.Fatalf("%d principals listed, %d of other accounts: the comparison proves little", listed, cross)
	}
	t.Logf("%d principals listed, %d of other accounts", listed, cross)
}

// exactOptions analyses without the shortcuts: every matrix of its own,
// every principal decided on its own.
func exactOptions() Options {
	return Options{Now: epoch, noShapes: true, noPrincipalGroups: true, Workers: 1}
}

// epoch is the clock of the compared analyses.
func epoch() time.Time { return time.Unix(0, 0) }

// firstDiff returns the text around the first difference of a and b.
func firstDiff(a, b []byte) (string, string) {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	cut := func(s []byte) string {
		lo, hi := max(i-300, 0), min(i+300, len(s))
		return string(s[lo:hi])
	}
	return cut(a), cut(b)
}

// oracleDoc is a small synthetic organisation (fakeaws.SyntheticWith, with
// roles) with bucket policies, ACLs and roles drawn from seed.
func oracleDoc(seed uint64) *inventory.Document {
	rng := rand.New(rand.NewPCG(seed, 0x6f7261636c65))
	accounts := 4 + rng.IntN(5)
	doc := fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: accounts, Buckets: 3 + rng.IntN(4), Roles: 3 + rng.IntN(5)})
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
		// Roles limited to buckets of this account, of another, or of both.
		for r := 0; r < 3; r++ {
			res := fmt.Sprintf(`"arn:aws:s3:::syn-%s-*","arn:aws:s3:::syn-%s-*/*"`, other(), other())
			if r == 0 {
				res = fmt.Sprintf(`"arn:aws:s3:::syn-%s-0000%d/*"`, a.ID, rng.IntN(3))
			}
			role := inventory.IAMRole{ARN: fmt.Sprintf("arn:aws:iam::%s:role/limited-%d", a.ID, r),
				TrustPolicy:      pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + a.ID + `:root"},"Action":"sts:AssumeRole"}]}`),
				AttachedPolicies: []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
				InlinePolicies: map[string]*inventory.PolicyDocument{"limited": pd(`{"Version":"2012-10-17","Statement":[{"Sid":"Own","Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject","s3:PutBucketPolicy"],"Resource":[` + res + `]},` +
					`{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::syn-` + other() + `-*/*"}]}`)}}
			if rng.IntN(3) == 0 {
				role.TrustPolicy = nil // not read
			}
			if rng.IntN(3) == 0 {
				role.Tags = map[string]string{"team": []string{"data", "web"}[rng.IntN(2)]}
			}
			a.IAM.Roles = append(a.IAM.Roles, role)
		}
		for bi := range a.Buckets {
			b := &a.Buckets[bi]
			arn := "arn:aws:s3:::" + b.Name
			role := fmt.Sprintf("arn:aws:iam::%s:role/limited-%d", other(), rng.IntN(3))
			switch rng.IntN(7) {
			case 0: // a role of another account by ARN
				b.Policy = pd(`{"Version":"2012-10-17","Statement":[{"Sid":"Named","Effect":"Allow","Principal":{"AWS":"` + role + `"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"` + arn + `/*"}]}`)
			case 1: // every other member, but one role
				b.Policy = pd(`{"Version":"2012-10-17","Statement":[{"Sid":"Org","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":["` + arn + `","` + arn + `/*"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-synthetic0"}}},` +
					`{"Sid":"NotThem","Effect":"Deny","NotPrincipal":{"AWS":["` + role + `","arn:aws:iam::` + a.ID + `:root"]},"Action":"s3:PutObject","Resource":"` + arn + `/*"}]}`)
			case 2: // by aws:PrincipalArn
				b.Policy = pd(`{"Version":"2012-10-17","Statement":[{"Sid":"ByArn","Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:GetObject","s3:DeleteObject"],"Resource":"` + arn + `/*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/limited-*"}}}]}`)
			case 3: // another account, and a key prefix
				b.Policy = pd(`{"Version":"2012-10-17","Statement":[{"Sid":"Peer","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + other() + `:root"},"Action":"s3:*","Resource":["` + arn + `","` + arn + `/shared/*"]}]}`)
			case 4: // an ACL grant to another account
				b.Ownership = inventory.OwnershipBucketOwnerPreferred
				b.ACL = &inventory.ACL{Grants: []inventory.Grant{
					{Grantee: inventory.Grantee{Type: inventory.GranteeCanonicalUser, ID: inventory.DefaultCanonicalID(a.ID)}, Permission: inventory.PermFullControl},
					{Grantee: inventory.Grantee{Type: inventory.GranteeCanonicalUser, ID: inventory.DefaultCanonicalID(other())}, Permission: []string{inventory.PermRead, inventory.PermWrite, inventory.PermFullControl}[rng.IntN(3)]},
				}}
			}
		}
	}
	return doc
}
