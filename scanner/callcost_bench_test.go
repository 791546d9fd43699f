package scanner

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	sess := benchSession(b, startCannedS3(b), nil)
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

// benchSession is the Session of the call-cost benchmarks, sending every
// call to addr (through client when it is set), closed when b ends.
func benchSession(b *testing.B, addr string, client aws.HTTPClient) *Session {
	sess, err := NewSession(context.Background(), SessionOptions{
		Region: "us-east-1", EndpointURL: "http://" + addr, MaxAttempts: 3, CallTimeout: 30 * time.Second,
		Requests: 64, Log: zerolog.Nop(), HTTPClient: client,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAFAKE", "secret", ""),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sess.Close)
	return sess
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

// startCannedS3 serves cannedS3 on loopback with keep-alive connections:
// a GET's answer is the one of its first query parameter (the
// subresource).
func startCannedS3(b *testing.B) string {
	return startCanned(b, cannedS3, func(line []byte) ([]byte, bool) {
		if !bytes.HasPrefix(line, []byte("GET ")) {
			return nil, false
		}
		_, query, ok := bytes.Cut(line, []byte("?"))
		if !ok {
			return nil, true
		}
		end := bytes.IndexAny(query, " &=")
		if end < 0 {
			end = len(query)
		}
		return query[:end], true
	})
}

// BenchmarkKeyCalls measures the scan process's own cost of the calls of
// a JSON protocol service, POSTs with a body: CollectKey's reads of a KMS
// key (DescribeKey, then GetKeyPolicy and ListGrants) with a Session's KMS
// client against a minimal server of canned answers on loopback, as
// BenchmarkBucketCalls does for S3. One op is one key (3 calls); besides
// allocs/op and cpu-µs/call it reports the writes to the connection per
// call (writes/call): net/http writes a request's headers and a body it
// knows to be in memory at once, other bodies after flushing the headers.
//
//	go test ./scanner -run '^$' -bench KeyCalls -benchmem
func BenchmarkKeyCalls(b *testing.B) {
	addr := startCannedKMS(b)
	var writes atomic.Int64
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, writes: &writes}, nil
	}}
	sess := benchSession(b, addr, &http.Client{Transport: tr})
	defer tr.CloseIdleConnections()
	api := sess.KMS(sess.Base(), "eu-west-1")
	var n atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	cpu := processCPU()
	w0 := writes.Load()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			ref := KeyRef{Account: "111122223333", Region: "eu-west-1", ID: fmt.Sprintf("k-%d", n.Add(1)%64)}
			if k := CollectKey(ctx, api, ref, nil, nil); len(k.Errors) > 0 {
				b.Error(k.Errors)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(3*b.N), "cpu-µs/call")
	b.ReportMetric(float64(writes.Load()-w0)/float64(3*b.N), "writes/call")
}

// countingConn counts the writes to a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// cannedKMS answers the POSTs of BenchmarkKeyCalls by their X-Amz-Target.
var cannedKMS = map[string]string{
	"TrentService.DescribeKey":  "application/x-amz-json-1.1\r\n\r\n" + `{"KeyMetadata":{"KeyId":"k","Arn":"arn:aws:kms:eu-west-1:111122223333:key/k","KeyManager":"CUSTOMER","KeyState":"Enabled"}}`,
	"TrentService.GetKeyPolicy": "application/x-amz-json-1.1\r\n\r\n" + `{"Policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}","PolicyName":"default"}`,
	"TrentService.ListGrants":   "application/x-amz-json-1.1\r\n\r\n" + `{"Grants":[],"Truncated":false}`,
}

// startCannedKMS serves cannedKMS on loopback with keep-alive connections.
func startCannedKMS(b *testing.B) string {
	return startCanned(b, cannedKMS, func(line []byte) ([]byte, bool) {
		v, ok := bytes.CutPrefix(line, []byte("X-Amz-Target:"))
		return bytes.TrimSpace(v), ok
	})
}

// startCanned serves answers ("CONTENT-TYPE\r\n\r\nBODY" by key) on
// loopback with keep-alive connections, allocating almost nothing per
// request, so that a benchmark's allocs/op are the client's: a request's
// answer is the one of the key that keyOf finds in its request line or a
// header line (a 400 when there is none); its body is read and dropped.
func startCanned(b *testing.B, answers map[string]string, keyOf func(line []byte) (key []byte, ok bool)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	raw := map[string][]byte{}
	for key, a := range answers {
		ctype, body, _ := strings.Cut(a, "\r\n\r\n")
		raw[key] = []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nX-Amz-Request-Id: FAKE\r\nX-Amzn-Requestid: FAKE\r\nContent-Length: %d\r\n\r\n%s", ctype, len(body), body))
	}
	badRequest := []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
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
					var (
						answer []byte
						length int
					)
					for first := true; ; first = false {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if !first && len(line) <= 2 {
							break
						}
						if key, ok := keyOf(line); ok {
							answer = raw[string(key)]
						}
						if v, ok := bytes.CutPrefix(line, []byte("Content-Length:")); ok {
							length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
						}
					}
					if _, err := br.Discard(length); err != nil {
						return
					}
					if answer == nil {
						answer = badRequest
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
