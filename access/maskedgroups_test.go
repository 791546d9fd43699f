package access

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// maskedRolesDoc is a synthetic organisation whose accounts have roles
// with the same policies but for the buckets and keys they name: each
// names buckets or the KMS key of the next account, by ARN, by prefix or
// in NotResource, and one also in a condition (it cannot be masked). Two
// buckets of each account are readable across the organisation, the
// first encrypted with a key every member may use.
func maskedRolesDoc() *inventory.Document {
	doc := fakeaws.Synthetic(8, 4)
	n := len(doc.Accounts)
	keyOf := func(a *inventory.Account) string {
		return "arn:aws:kms:" + a.Buckets[0].Region + ":" + a.ID + ":key/masked-test"
	}
	for i := range doc.Accounts {
		a := &doc.Accounts[i]
		// Its first bucket encrypted with a key any member's principal may
		// use as its identity policies allow.
		a.KMSKeys = append(a.KMSKeys, inventory.KMSKey{ARN: keyOf(a), Policy: inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + doc.Organization.ID + `"}}}]}`))})
		a.Buckets[0].Encryption = &inventory.Encryption{Algorithm: inventory.AlgorithmKMS, KMSKeyID: keyOf(a)}
	}
	for i := range doc.Accounts {
		a := &doc.Accounts[i]
		for j := range a.Buckets[:2] {
			arn := "arn:aws:s3:::" + a.Buckets[j].Name
			a.Buckets[j].Policy = inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"OrgRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket","s3:PutObject"],"Resource":["` + arn + `","` + arn + `/*"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + doc.Organization.ID + `"}}}]}`))
		}
		next := &doc.Accounts[(i+1)%n]
		b := "arn:aws:s3:::" + next.Buckets[i%2].Name
		key := keyOf(next)
		doc := func(s string) map[string]*inventory.PolicyDocument {
			return map[string]*inventory.PolicyDocument{"p": inventory.NewPolicyDocument([]byte(s))}
		}
		role := func(name string, pol map[string]*inventory.PolicyDocument) inventory.IAMRole {
			return inventory.IAMRole{ARN: "arn:aws:iam::" + a.ID + ":role/" + name, InlinePolicies: pol,
				TrustPolicy: inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`))}
		}
		a.IAM.Roles = append(a.IAM.Roles,
			role("named", doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","s3:PutObject","kms:Decrypt","kms:GenerateDataKey"],"Resource":["`+b+`","`+b+`/*","`+key+`"]}]}`)),
			role("prefix", doc(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::syn-%s-*","arn:aws:s3:::syn-%s-*/*"]},{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`, next.ID, next.ID))),
			role("notres", doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"NotResource":["`+b+`/*"]}]}`)),
			role("keyonly", doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"`+key+`"}]}`)),
			// Its second value matches no bucket, and is its condition's.
			role("cond", doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::syn-*/*","arn:aws:s3:::zz-`+next.ID+`*"],"Condition":{"StringEquals":{"s3:ExistingObjectTag/src":"arn:aws:s3:::zz-`+next.ID+`*"}}}]}`)),
		)
	}
	return doc
}

// TestMaskedPrincipalGroupsExact: principals whose policies differ only
// in the buckets and keys they name (by ARN, prefix, NotResource, KMS key,
// a value reused in a condition), which the principal groups decide
// together where those policies are out of a bucket's reach (deadSlots):
// the report is the one deciding each on its own, bucket by bucket.
func TestMaskedPrincipalGroupsExact(t *testing.T) {
	run := func(opts Options) []byte {
		opts.Now = func() time.Time { return time.Unix(0, 0) }
		data, _ := analyzeJSON(t, maskedRolesDoc(), opts)
		return data
	}
	grouped, alone := run(Options{}), run(Options{noShapes: true, noPrincipalGroups: true, Workers: 1})
	if !bytes.Equal(grouped, alone) {
		t.Fatalf("grouped and per-principal analyses differ (%d and %d bytes)", len(grouped), len(alone))
	}
	for _, want := range []string{":role/named\"", ":role/prefix\"", ":role/notres\"", ":role/keyonly\"", ":role/cond\""} {
		if !bytes.Contains(grouped, []byte(want)) {
			t.Fatalf("%s listed nowhere: the comparison proves little", want)
		}
	}
}
