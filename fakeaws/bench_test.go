package fakeaws_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/internal/procstat"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// BenchmarkServer measures the emulator's throughput on loopback with no
// latency: signed requests (SigV4 verified on every call) cycling through
// the per-bucket GETs of the management account's buckets, on keep-alive
// connections. The requests are signed and serialised once up front and
// the answers read with a minimal reader, so the figure is the server's,
// not a client library's. cpu-µs/req is the CPU time of the whole process
// (load generator included) per request, which does not depend on other
// load on the machine.
//
//	go test -run '^$' -bench 'BenchmarkServer$' -benchtime 3s ./fakeaws/
func BenchmarkServer(b *testing.B) {
	doc := fakeaws.Synthetic(1, 64)
	srv, err := fakeaws.New(doc, fakeaws.Options{Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	base, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	var reqs [][]byte
	emptyHash := sha256.Sum256(nil)
	payload := hex.EncodeToString(emptyHash[:])
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: fakeaws.DefaultAccessKeyID, SecretAccessKey: fakeaws.DefaultSecretAccessKey}
	for _, bk := range doc.Accounts[0].Buckets {
		for _, sub := range []string{"policy", "acl", "encryption", "publicAccessBlock", "ownershipControls", "versioning", "tagging", "location"} {
			req, _ := http.NewRequest(http.MethodGet, base+"/"+bk.Name+"?"+sub, nil)
			req.Header.Set("X-Amz-Content-Sha256", payload)
			if err := signer.SignHTTP(context.Background(), creds, req, payload, "s3", bk.Region, time.Now()); err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			if err := req.Write(&buf); err != nil {
				b.Fatal(err)
			}
			reqs = append(reqs, buf.Bytes())
		}
	}
	addr := strings.TrimPrefix(base, "http://")
	var next atomic.Uint64
	var failures atomic.Int64
	b.SetParallelism(16)
	cpuBefore := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		for pb.Next() {
			if _, err := conn.Write(reqs[next.Add(1)%uint64(len(reqs))]); err != nil {
				failures.Add(1)
				return
			}
			status, err := readResponse(br)
			if err != nil {
				failures.Add(1)
				return
			}
			if status >= 500 || status == http.StatusForbidden {
				failures.Add(1)
			}
		}
	})
	b.StopTimer()
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d requests failed (signature or server errors)", n)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64((processCPU()-cpuBefore).Microseconds())/float64(b.N), "cpu-µs/req")
}

// readResponse reads one HTTP/1.1 response with a Content-Length body and
// returns its status, parsing no more than the load generator needs.
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 {
		return 0, io.ErrUnexpectedEOF
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, err
	}
	length := 0
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		if len(h) > 16 && strings.EqualFold(string(h[:15]), "Content-Length:") {
			if length, err = strconv.Atoi(strings.TrimSpace(string(h[15:]))); err != nil {
				return 0, err
			}
		}
	}
	_, err = br.Discard(length)
	return status, err
}

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	d, _ := procstat.CPUTime()
	return d
}

// BenchmarkServerSDK is the same with the real aws-sdk-go-v2 S3 client on
// the same machine (client signing and parsing included).
//
//	go test -run '^$' -bench BenchmarkServerSDK -benchtime 3s ./fakeaws/
func BenchmarkServerSDK(b *testing.B) {
	doc := fakeaws.Synthetic(1, 64)
	_, url := fakeawstest.Start(b, doc)
	cfg := fakeawstest.Config(url, "us-east-1", doc)
	// The SDK's default transport keeps 10 idle connections per host; more
	// concurrent callers would open a connection per request.
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.MaxIdleConnsPerHost = 64 })
	clients := map[string]*s3.Client{}
	for _, bk := range doc.Accounts[0].Buckets {
		if clients[bk.Region] == nil {
			c := cfg.Copy()
			c.Region = bk.Region
			clients[bk.Region] = s3.NewFromConfig(c, fakeawstest.S3Options)
		}
	}
	buckets := doc.Accounts[0].Buckets
	var next atomic.Uint64
	b.SetParallelism(16)
	cpuBefore := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			bk := buckets[next.Add(1)%uint64(len(buckets))]
			if _, err := clients[bk.Region].GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(bk.Name)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64((processCPU()-cpuBefore).Microseconds())/float64(b.N), "cpu-µs/req")
}

// BenchmarkParseSnapshot measures loading a 10,000-bucket snapshot
// (inventory.Parse of the normalised Synthetic(20, 500) as JSON: strict
// shape check, decode and validation).
//
//	go test -run '^$' -bench BenchmarkParseSnapshot -benchmem ./fakeaws/
func BenchmarkParseSnapshot(b *testing.B) {
	data, err := inventory.Marshal(inventory.Normalize(fakeaws.Synthetic(20, 500)), false)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := inventory.Parse(data, "snapshot.json"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/10000, "µs/bucket")
}

// BenchmarkHandler measures the emulator's own work per request (routing,
// SigV4 verification, answer), without the network and net/http's
// connection handling.
//
//	go test -run '^$' -bench BenchmarkHandler -benchmem ./fakeaws/
func BenchmarkHandler(b *testing.B) {
	doc := fakeaws.Synthetic(1, 64)
	srv, err := fakeaws.New(doc, fakeaws.Options{Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	emptyHash := sha256.Sum256(nil)
	payload := hex.EncodeToString(emptyHash[:])
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: fakeaws.DefaultAccessKeyID, SecretAccessKey: fakeaws.DefaultSecretAccessKey}
	var reqs []*http.Request
	for _, bk := range doc.Accounts[0].Buckets {
		for _, sub := range []string{"policy", "acl", "encryption", "publicAccessBlock", "ownershipControls", "versioning", "tagging", "location"} {
			req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/"+bk.Name+"?"+sub, nil)
			req.Header.Set("X-Amz-Content-Sha256", payload)
			if err := signer.SignHTTP(context.Background(), creds, req, payload, "s3", bk.Region, time.Now()); err != nil {
				b.Fatal(err)
			}
			reqs = append(reqs, req)
		}
	}
	var next atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, reqs[next.Add(1)%uint64(len(reqs))])
			if w.Code >= 500 || w.Code == http.StatusForbidden {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
