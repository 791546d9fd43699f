package scanner

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/fakeaws"
)

func TestZZMem(t *testing.T) {
	url := os.Getenv("ZZ_URL")
	if url == "" {
		t.Skip()
	}
	cfg := config.Default()
	cfg.EndpointURL = url
	opts := SessionOptionsFrom(cfg, zerolog.Nop())
	opts.Credentials = credentials.NewStaticCredentialsProvider(fakeaws.DefaultAccessKeyID, fakeaws.DefaultSecretAccessKey, "")
	sess, _ := NewSession(context.Background(), opts)
	var peak uint64
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak {
					peak = m.HeapInuse
				}
			}
		}
	}()
	start := time.Now()
	doc := Scan(context.Background(), Options{Session: sess, Config: cfg, Log: zerolog.Nop()})
	close(done)
	n := 0
	for _, a := range doc.Accounts {
		n += len(a.Buckets)
	}
	st, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmHWM") {
			fmt.Println(l)
		}
	}
	fmt.Println("buckets", n, "peak heap inuse MB", peak>>20, "took", time.Since(start), "calls", sess.TotalCalls())
}
