package scanner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/scanner/internal/inflight"
)

// TestScanKeepsRequestSlotsBusy: against an emulator that answers every
// call after a latency, a scan of an organisation with many more accounts
// than concurrency.accounts keeps its concurrency.requests slots busy: the
// accounts do not start and end in waves of concurrency.accounts. It counts,
// at each call's arrival at the emulator, the session's slots held (what
// the scheduling controls) and the calls the emulator has in flight (which
// also lose the time each call spends in the client, so they are asserted
// more loosely): counts, not times. The walk and the end of the scan,
// where few calls can be in flight, have few calls.
func TestScanKeepsRequestSlotsBusy(t *testing.T) {
	if testing.Short() {
		t.Skip("a scan with latency")
	}
	const requests = 16
	doc := fakeaws.Synthetic(24, 6)
	srv, err := fakeaws.New(doc, fakeaws.Options{Latency: 40 * time.Millisecond, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	var (
		sess     atomic.Pointer[Session]
		arrivals atomic.Int64
		held     atomic.Int64 // slots held, summed over the arrivals
	)
	meter := inflight.New(srv)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := sess.Load(); s != nil {
			arrivals.Add(1)
			held.Add(s.InFlight())
		}
		meter.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	rig := newRig(t, doc)
	rig.cfg.EndpointURL = hs.URL
	rig.cfg.AuditRole.ExternalID = "" // the synthetic roles have none
	rig.cfg.Concurrency.Accounts = 2
	rig.cfg.Concurrency.Requests = requests

	s := rig.session(t)
	sess.Store(s)
	got := Scan(context.Background(), Options{Session: s, Config: rig.cfg, ToolVersion: "test", Log: zerolog.Nop()})
	if !got.Scan.Complete {
		t.Fatalf("scan incomplete: %+v", got.Scan.Errors)
	}
	st := meter.Stats()
	slots := float64(held.Load()) / float64(max(arrivals.Load(), 1))
	t.Logf("%d calls; on arrival: %.1f slots held, %.1f calls in flight at the emulator (max %d), %.0f%% of calls found at least %d",
		st.Arrivals, slots, st.MeanAtArrival, st.Max, 100*st.AtLeast(requests/2), requests/2)
	if st.Max > requests {
		t.Errorf("%d calls in flight at once > concurrency.requests %d", st.Max, requests)
	}
	if slots < 0.9*requests {
		t.Errorf("a call found %.1f of the %d slots held on average, want at least 90%%", slots, requests)
	}
	if f := st.AtLeast(requests / 2); f < 0.8 {
		t.Errorf("%.0f%% of calls found at least %d calls in flight at the emulator, want 80%%", 100*f, requests/2)
	}
}

// TestBucketsInProgress: the buckets read at once start at least as many
// reads as there are calls in flight (the cap is filled at once), and no
// more than about twice as many (the rest wait for a slot parked in the
// SDK's middleware, where every garbage collection scans their stacks),
// for the four reads of a bucket and the six with versioning and tags.
func TestBucketsInProgress(t *testing.T) {
	for _, requests := range []int{1, 4, 16, 64, 256, 1024} {
		for _, fields := range []int{len(fieldsFor(BucketOptions{})), len(fieldsFor(BucketOptions{Versioning: true, Tags: true}))} {
			b := bucketsInProgress(requests, fields)
			if b < 2 {
				t.Errorf("bucketsInProgress(%d, %d) = %d, want at least 2", requests, fields, b)
			}
			if reads := b * fields; reads < requests || reads > 2*requests+2*fields {
				t.Errorf("bucketsInProgress(%d, %d) = %d: %d reads started, want %d to %d", requests, fields, b, reads, requests, 2*requests+2*fields)
			}
		}
	}
	if b := bucketsInProgress(64, 0); b < 2 {
		t.Errorf("bucketsInProgress(64, 0) = %d, want at least 2", b)
	}
}
