package scanner

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/internal/procstat"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// BenchmarkBucketCalls measures the scan process's own cost of an API
// call: the reads of a bucket's access layers (GetBucketPolicy,
// GetPublicAccessBlock, GetBucketOwnershipControls, GetBucketEncryption,
// through readPolicy … readEncryption) with a Session's S3 client — the
// read-only guard, retryer, in-flight cap, signing and parsing — against
// a minimal server of canned answers on loopback, which allocates almost
// nothing, so that allocs/op and cpu-µs/call are the client's. One op is
// one bucket (5 calls: the policy, its status, the three others).
//
//	go test ./scanner -run '^$' -bench BucketCalls -benchmem
func BenchmarkBucketCalls(b *testing.B) {
	addr := startCannedS3(b)
	opts := SessionOptions{
		Region: "us-east-1", EndpointURL: "http://" + addr, MaxAttempts: 3, CallTimeout: 30 * time.Second,
		Requests: 64, Log: zerolog.Nop(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAFAKE", "secret", ""),
	}
	sess, err := NewSession(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	api := sess.S3(sess.Base(), "eu-west-1")
	var n atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	cpu := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			bk := &inventory.Bucket{Name: fmt.Sprintf("bucket-%d", n.Add(1)%64), Region: "eu-west-1"}
			if err := readPolicy(ctx, api, bk); err != nil {
				b.Error(err)
				return
			}
			if err := readBucketPAB(ctx, api, bk); err != nil {
				b.Error(err)
				return
			}
			if err := readOwnership(ctx, api, bk); err != nil {
				b.Error(err)
				return
			}
			if err := readEncryption(ctx, api, bk); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(5*b.N), "cpu-µs/call")
}

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	d, _ := procstat.CPUTime()
	return d
}

// cannedS3 answers the GETs of BenchmarkBucketCalls by their subresource.
var cannedS3 = map[string]string{
	"policy":            "application/json\r\n\r\n" + `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
	"policyStatus":      "application/xml\r\n\r\n" + `<?xml version="1.0" encoding="UTF-8"?><PolicyStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsPublic>false</IsPublic></PolicyStatus>`,
	"publicAccessBlock": "application/xml\r\n\r\n" + `<?xml version="1.0" encoding="UTF-8"?><PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`,
	"ownershipControls": "application/xml\r\n\r\n" + `<?xml version="1.0" encoding="UTF-8"?><OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`,
	"encryption":        "application/xml\r\n\r\n" + `<?xml version="1.0" encoding="UTF-8"?><ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
}

// startCannedS3 serves cannedS3 on loopback with keep-alive connections.
func startCannedS3(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	answers := map[string][]byte{}
	for sub, a := range cannedS3 {
		ctype, body, _ := strings.Cut(a, "\r\n\r\n")
		answers[sub] = []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nX-Amz-Request-Id: FAKE\r\nContent-Length: %d\r\n\r\n%s", ctype, len(body), body))
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						return
					}
					var answer []byte
					if i := strings.IndexByte(string(line), '?'); i >= 0 {
						sub := string(line[i+1:])
						sub, _, _ = strings.Cut(sub, " ")
						sub, _, _ = strings.Cut(sub, "&")
						sub, _, _ = strings.Cut(sub, "=")
						answer = answers[sub]
					}
					for {
						h, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(h) <= 2 {
							break
						}
					}
					if answer == nil {
						answer = []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
					}
					if _, err := c.Write(answer); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}
