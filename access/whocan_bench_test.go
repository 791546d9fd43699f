package access

import (
	"bytes"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/internal/procstat"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// withRoles returns a synthetic organisation of accounts member accounts
// with roles IAM roles each (and a user in a group for every tenth), and
// buckets buckets in all, in the first member accounts: roles drawn from
// a few kinds (S3 read-only, read-write on the account's buckets,
// administrator with a read-only boundary, tagged, no S3), as real
// accounts hold many roles of few policy shapes.
func withRoles(accounts, roles, buckets int) *inventory.Document {
	doc := firstBuckets(fakeaws.Synthetic(accounts, 1), buckets)
	for i := range doc.Accounts {
		a := &doc.Accounts[i]
		if a.IAM == nil {
			a.IAM = &inventory.IAM{}
		}
		id := a.ID
		doc := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
		a.IAM.Policies = append(a.IAM.Policies, inventory.IAMManagedPolicy{ARN: "arn:aws:iam::" + id + ":policy/read-boundary",
			Document: doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}`)})
		for r := 0; r < roles; r++ {
			// Every role has a trust policy, as GetAccountAuthorizationDetails
			// gives it: a role whose trust was not read is an unknown edge
			// from every principal of the organisation.
			trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
			if r%5 == 0 {
				trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + id + `:root"},"Action":"sts:AssumeRole"}]}`
			}
			role := inventory.IAMRole{ARN: fmt.Sprintf("arn:aws:iam::%s:role/app-%03d", id, r), TrustPolicy: doc(trust)}
			switch r % 5 {
			case 0:
				role.InlinePolicies = map[string]*inventory.PolicyDocument{"read": doc(`{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`)}
			case 1:
				role.InlinePolicies = map[string]*inventory.PolicyDocument{"rw": doc(`{"Version":"2012-10-17","Statement":[{"Sid":"RW","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::syn-` + id + `-*","arn:aws:s3:::syn-` + id + `-*/*"]}]}`)}
			case 2:
				role.InlinePolicies = map[string]*inventory.PolicyDocument{"admin": doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}
				role.PermissionsBoundary = "arn:aws:iam::" + id + ":policy/read-boundary"
			case 3:
				role.InlinePolicies = map[string]*inventory.PolicyDocument{"admin": doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}
				role.Tags = map[string]string{"team": fmt.Sprint(r % 3)}
			default:
				role.InlinePolicies = map[string]*inventory.PolicyDocument{"logs": doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`)}
			}
			a.IAM.Roles = append(a.IAM.Roles, role)
		}
		if i%10 == 0 {
			a.IAM.Groups = append(a.IAM.Groups, inventory.IAMGroup{ARN: "arn:aws:iam::" + id + ":group/readers",
				InlinePolicies: map[string]*inventory.PolicyDocument{"read": doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}})
			a.IAM.Users = append(a.IAM.Users, inventory.IAMUser{ARN: "arn:aws:iam::" + id + ":user/reader", Groups: []string{"readers"}})
		}
	}
	return doc
}

// TestPrincipalGroupsExact: deciding principals once per policy shape
// (and per bucket shape) gives the same report as deciding each on its
// own, bucket by bucket.
func TestPrincipalGroupsExact(t *testing.T) {
	doc := withRoles(12, 10, 30)
	grouped, _ := analyzeJSON(t, doc, Options{Now: epoch})
	alone, _ := analyzeJSON(t, doc, exactOptions())
	if !bytes.Equal(grouped, alone) {
		t.Fatalf("grouped and per-principal analyses differ (%d and %d bytes)", len(grouped), len(alone))
	}
	if !bytes.Contains(grouped, []byte(`"principal_access"`)) || !bytes.Contains(grouped, []byte(`:role/app-003"`)) {
		t.Fatal("no principal listed: the comparison proves nothing")
	}
}

// BenchmarkWhoCanSynthetic1M analyses a synthetic organisation of 1,000
// member accounts of 50 IAM roles each and 20 buckets: 1M principal ×
// bucket pairs, 5 actions each. The budget (issue 12) is 60 s and 2 GB
// peak RSS on a 2-core machine:
//
//	go test ./access -run '^$' -bench WhoCanSynthetic1M -benchtime 1x -benchmem
func BenchmarkWhoCanSynthetic1M(b *testing.B) {
	benchmarkWhoCan(b, 1000, 50, 20)
}

// BenchmarkWhoCanSynthetic100k is the same mix at 100 accounts.
func BenchmarkWhoCanSynthetic100k(b *testing.B) {
	benchmarkWhoCan(b, 100, 50, 20)
}

// BenchmarkWhoCanSyntheticRoles1M is the issue 12 budget on the real
// generator's organisation (fakeaws.SyntheticWith: its role mix, trust
// chains across accounts, users and groups that assume roles, boundaries,
// SCPs and RCPs): 1,000 member accounts of 50 extra roles each, and 20
// buckets in all (SyntheticOptions.Buckets is per account: one each,
// those of the first 20 accounts kept), so 1M principal × bucket pairs:
//
//	go test ./access -run '^$' -bench WhoCanSyntheticRoles1M -benchtime 1x -benchmem
//
// peak-RSS-MB is the process's high-water mark (VmHWM) from the document
// built (held in memory) to the report analysed.
func BenchmarkWhoCanSyntheticRoles1M(b *testing.B) {
	const accounts, roles, buckets = 1000, 50, 20
	benchmarkWhoCanDoc(b, accounts*roles*buckets, func() *inventory.Document {
		doc := firstBuckets(fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: accounts, Buckets: 1, Roles: roles}), buckets)
		runtime.GC()
		procstat.ResetPeak() // the generator's garbage is not the analysis's
		return doc
	})
}

// firstBuckets keeps the first n buckets of doc (in account order).
func firstBuckets(doc *inventory.Document, n int) *inventory.Document {
	for i := range doc.Accounts {
		a := &doc.Accounts[i]
		if len(a.Buckets) > n {
			a.Buckets = a.Buckets[:n]
		}
		n -= len(a.Buckets)
	}
	return doc
}

func benchmarkWhoCan(b *testing.B, accounts, roles, buckets int) {
	benchmarkWhoCanDoc(b, accounts*roles*buckets, func() *inventory.Document { return withRoles(accounts, roles, buckets) })
}

func benchmarkWhoCanDoc(b *testing.B, pairs int, mk func() *inventory.Document) {
	var peak atomic.Uint64
	listed, via := 0, 0
	for b.Loop() {
		rep := measureAnalyze(b, mk, &peak)
		listed, via = 0, 0
		for i := range rep.Buckets {
			rep.Buckets[i].PrincipalRows(func(r model.PrincipalRow) {
				listed++
				if len(r.Via) > 0 {
					via++
				}
			}, nil)
		}
	}
	b.ReportMetric(float64(pairs), "pairs/op")
	b.ReportMetric(float64(listed), "listed/op")
	b.ReportMetric(float64(via), "via/op")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	if kb := procstat.StatusKB("VmHWM"); kb > 0 {
		b.ReportMetric(float64(kb)/1024, "peak-RSS-MB")
	}
}
