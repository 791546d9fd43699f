package scanner

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/fakeaws"
)

type timingClient struct {
	c     *http.Client
	n, ns atomic.Int64
}

func (t *timingClient) Do(r *http.Request) (*http.Response, error) {
	s := time.Now()
	resp, err := t.c.Do(r)
	t.ns.Add(int64(time.Since(s)))
	t.n.Add(1)
	return resp, err
}

func TestZZExperiment(t *testing.T) {
	url := os.Getenv("ZZ_URL")
	if url == "" {
		t.Skip()
	}
	cfg := config.Default()
	cfg.EndpointURL = url
	opts := SessionOptionsFrom(cfg, zerolog.Nop())
	opts.Credentials = credentials.NewStaticCredentialsProvider(fakeaws.DefaultAccessKeyID, fakeaws.DefaultSecretAccessKey, "")
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 100
	tc := &timingClient{c: &http.Client{Transport: tr}}
	opts.HTTPClient = tc
	sess, _ := NewSession(context.Background(), opts)
	done := make(chan struct{})
	var samples []int64
	go func() {
		tk := time.NewTicker(10 * time.Millisecond)
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				samples = append(samples, sess.InFlight())
			}
		}
	}()
	start := time.Now()
	Scan(context.Background(), Options{Session: sess, Config: cfg, Log: zerolog.Nop()})
	close(done)
	el := time.Since(start)
	for i := 0; i < len(samples); i += 50 {
		var sum int64
		n := 0
		for j := i; j < i+50 && j < len(samples); j++ {
			sum += samples[j]
			n++
		}
		fmt.Printf("%5.2fs %5.1f\n", float64(i)/100, float64(sum)/float64(n))
	}
	fmt.Println("elapsed", el, "calls", sess.TotalCalls(), "lower", time.Duration(float64(sess.TotalCalls())*25e6/64), "avg http", time.Duration(tc.ns.Load()/tc.n.Load()))
}
