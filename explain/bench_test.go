package explain

import (
	"context"
	"testing"

	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// BenchmarkExplainSnapshot: one request explained from a loaded document
// (index, decision, traces, rows, the ListBucket check).
func BenchmarkExplainSnapshot(b *testing.B) {
	src := loadFixture(b)
	req := Request{Principal: reader, Action: "s3:GetObject", Bucket: "customer-exports", Key: "2024/export.json"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Explain(inventory.Clone(src), req, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExplainLive: one request collected from fakeaws through the real
// SDK (organisation walk, bucket search, bucket, key, IAM) and explained;
// it reports the AWS API calls per request.
func BenchmarkExplainLive(b *testing.B) {
	rig := newLiveRigFor(b, loadFixture(b))
	req := Request{Principal: reader, Action: "s3:GetObject", Bucket: "customer-exports", Key: "2024/export.json"}
	before := rig.sess.TotalCalls()
	n := 0
	for b.Loop() {
		doc, err := Collect(context.Background(), req, LiveOptions{Session: rig.sess, Config: rig.cfg, Log: zerolog.Nop()})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Explain(doc, req, Options{}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(rig.sess.TotalCalls()-before)/float64(n), "calls/op")
}
