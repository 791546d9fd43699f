package fakeaws_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

func TestSyntheticValidAndDeterministic(t *testing.T) {
	doc := fakeaws.Synthetic(12, 40)
	if err := doc.Validate(); err != nil {
		t.Fatalf("synthetic document does not validate: %v", err)
	}
	if got := len(doc.Accounts); got != 13 {
		t.Fatalf("accounts = %d, want 13 (12 members + management)", got)
	}
	again := fakeaws.Synthetic(12, 40)
	if diff := cmp.Diff(doc, again); diff != "" {
		t.Fatalf("Synthetic is not deterministic:\n%s", diff)
	}
	// A realistic mix: count the kinds the issue asks for.
	var public, org, cross, vpce, aclEnabled, kmsCustomer, kmsManaged int
	for _, a := range doc.Accounts {
		if a.AuditRole == nil || a.AuditRole.Name != fakeaws.SyntheticAuditRole || a.AuditRole.ExternalID != "" {
			t.Fatalf("account %s: audit role %+v, want %s without ExternalId", a.ID, a.AuditRole, fakeaws.SyntheticAuditRole)
		}
		for _, b := range a.Buckets {
			p := b.Policy.String()
			switch {
			case strings.Contains(p, `"PublicRead"`):
				public++
			case strings.Contains(p, "aws:PrincipalOrgID"):
				org++
			case strings.Contains(p, fakeaws.SyntheticPartnerAccount):
				cross++
			case strings.Contains(p, "aws:SourceVpce"):
				vpce++
			}
			if b.Ownership == inventory.OwnershipObjectWriter || b.Ownership == inventory.OwnershipBucketOwnerPreferred {
				aclEnabled++
			}
			if b.Encryption != nil && b.Encryption.Algorithm == inventory.AlgorithmKMS {
				if b.Encryption.KMSKeyID == "" {
					kmsManaged++
				} else {
					kmsCustomer++
				}
			}
		}
	}
	for name, n := range map[string]int{"public": public, "org-only": org, "cross-account": cross, "vpce": vpce,
		"acl-enabled": aclEnabled, "sse-kms customer": kmsCustomer, "sse-kms aws-managed": kmsManaged} {
		if n == 0 {
			t.Errorf("no %s bucket in a 480-bucket synthetic organisation", name)
		}
	}
	var scp, rcp bool
	for _, p := range doc.Organization.Policies {
		scp = scp || p.Type == inventory.ServiceControlPolicy && !p.AWSManaged
		rcp = rcp || p.Type == inventory.ResourceControlPolicy
	}
	if !scp || !rcp {
		t.Errorf("want custom SCPs and an RCP, got SCP=%v RCP=%v", scp, rcp)
	}
	if _, err := fakeaws.New(doc, fakeaws.Options{}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkSynthetic50k measures generating and indexing a 50,000-bucket
// organisation (100 accounts × 500 buckets).
func BenchmarkSynthetic50k(b *testing.B) {
	for b.Loop() {
		doc := fakeaws.Synthetic(100, 500)
		if _, err := fakeaws.New(doc, fakeaws.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	doc := fakeaws.Synthetic(100, 500)
	srv, _ := fakeaws.New(doc, fakeaws.Options{})
	var m2 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m2)
	b.ReportMetric(float64(m2.HeapAlloc-m.HeapAlloc)/50000, "heap-B/bucket")
	runtime.KeepAlive(srv)
}
