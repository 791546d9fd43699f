package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketaudit/bucketaudit/fakeaws"
)

// TestOutputWriterGuard: the output writer's client refuses, before
// sending, any S3 operation but PutObject, GetObject and ListObjectsV2.
func TestOutputWriterGuard(t *testing.T) {
	srv, url := roundTripServer(t, fakeaws.Options{OutputBucket: "out"})
	store := newOutputStore(url, "us-east-1")
	c, err := store.s3(context.Background(), "out")
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Stats().Requests
	for name, call := range map[string]func() error{
		"DeleteObject": func() error {
			_, err := c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("out"), Key: aws.String("k")})
			return err
		},
		"PutBucketPolicy": func() error {
			_, err := c.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String("out"), Policy: aws.String("{}")})
			return err
		},
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "refused before sending") {
			t.Errorf("%s: %v, want the writer guard's refusal", name, err)
		}
	}
	if n := srv.Stats().Requests - before; n != 0 {
		t.Errorf("%d requests reached the emulator, want none", n)
	}
	if _, _, err := parseS3("s3:///key"); err == nil {
		t.Error("s3:///key (no bucket) accepted")
	}
}
