package fakeaws_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
)

// TestOutputBucket: the designated output bucket takes PutObject, GetObject
// and ListObjectsV2 through the real SDK (streamed with its checksums,
// larger than any API request), from any caller but an audit-role
// session; no fixture bucket takes an object operation.
func TestOutputBucket(t *testing.T) {
	e := start(t, loadOrg(t), fakeaws.Options{OutputBucket: "audit-outputs"})
	home := e.cfg.Copy()
	home.Region = "us-east-1" // the output bucket's
	c := s3.NewFromConfig(home, fakeawstest.S3Options)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<17) // 2 MiB: more than an API request may carry
	for _, key := range []string{"snaps/shard-2.json", "snaps/shard-1.json", "reports/report.json"} {
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("audit-outputs"), Key: aws.String(key), Body: bytes.NewReader(big)}); err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
	}
	if got, ok := e.srv.OutputObject("snaps/shard-1.json"); !ok || !bytes.Equal(got, big) {
		t.Fatalf("stored object: %d bytes (%v), want %d", len(got), ok, len(big))
	}
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("audit-outputs"), Key: aws.String("snaps/shard-2.json")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, big) {
		t.Errorf("GetObject: %d bytes, want the %d written", len(got), len(big))
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("audit-outputs"), Prefix: aws.String("snaps/"), MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if strings.Join(keys, ",") != "snaps/shard-1.json,snaps/shard-2.json" {
		t.Errorf("ListObjectsV2 prefix snaps/, one a page: %v", keys)
	}
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("audit-outputs"), Key: aws.String("none")})
	wantCode(t, err, "NoSuchKey")
	// The bucket is in us-east-1: a request signed for another region is redirected.
	_, err = s3.NewFromConfig(e.cfg, fakeawstest.S3Options).GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("audit-outputs"), Key: aws.String("snaps/shard-1.json")})
	wantCode(t, err, "PermanentRedirect")

	// The audit role writes nothing and reads no object, not even here.
	audit := s3.NewFromConfig(e.assumed(t, prodAccount, "us-east-1"), fakeawstest.S3Options)
	_, err = audit.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("audit-outputs"), Key: aws.String("x"), Body: strings.NewReader("x")})
	wantCode(t, err, "AccessDenied")
	_, err = audit.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("audit-outputs"), Key: aws.String("snaps/shard-1.json")})
	wantCode(t, err, "AccessDenied")

	// The audited buckets take no object operation.
	bucket := e.doc.Accounts[0].Buckets[0].Name
	_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("x"), Body: strings.NewReader("x")})
	wantCode(t, err, "NotImplemented")

	if _, err := fakeaws.New(loadOrg(t), fakeaws.Options{OutputBucket: bucket}); err == nil {
		t.Error("a fixture bucket accepted as the output bucket")
	}
}
