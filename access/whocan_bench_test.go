package access

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// withRoles returns a synthetic organisation of accounts member accounts
// with roles IAM roles each (and a user in a group for every tenth), and
// buckets buckets in all, in the first member accounts: roles drawn from
// a few kinds (S3 read-only, read-write on the account's buckets,
// administrator with a read-only boundary, tagged, no S3), as real
// accounts hold many roles of few policy shapes.
func withRoles(accounts, roles, buckets int) *inventory.Document {
	doc := fakeaws.Synthetic(accounts, 1)
	left := buckets
	for i := range doc.Accounts {
		a := &doc.Accounts[i]
		if len(a.Buckets) > left {
			a.Buckets = a.Buckets[:left]
		}
		left -= len(a.Buckets)
		if a.IAM == nil {
			a.IAM = &inventory.IAM{}
		}
		id := a.ID
		doc := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
		a.IAM.Policies = append(a.IAM.Policies, inventory.IAMManagedPolicy{ARN: "arn:aws:iam::" + id + ":policy/read-boundary",
			Document: doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}`)})
		for r := 0; r < roles; r++ {
			role := inventory.IAMRole{ARN: fmt.Sprintf("arn:aws:iam::%s:role/app-%03d", id, r)}
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
	run := func(opts Options) []byte {
		opts.Now = func() time.Time { return time.Unix(0, 0) }
		rep, err := Analyze(context.Background(), withRoles(12, 10, 30), opts)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	grouped, alone := run(Options{}), run(Options{noShapes: true, noPrincipalGroups: true, Workers: 1})
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

func benchmarkWhoCan(b *testing.B, accounts, roles, buckets int) {
	var peak atomic.Uint64
	listed := 0
	for b.Loop() {
		rep := measureAnalyze(b, func() *inventory.Document { return withRoles(accounts, roles, buckets) }, &peak)
		listed = 0
		for i := range rep.Buckets {
			rep.Buckets[i].PrincipalRows(func(PrincipalRow) { listed++ }, nil)
		}
	}
	b.ReportMetric(float64(accounts*roles*buckets), "pairs/op")
	b.ReportMetric(float64(listed), "listed/op")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
}
