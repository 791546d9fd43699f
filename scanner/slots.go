package scanner

import (
	"context"
	"slices"
	"sync"
)

// inFlightSlots is the session's cap of calls in flight, handed out first
// to the calls that others wait for. With the cap full and hundreds of
// bucket reads queued for it, a first-in-first-out cap made each page of
// the organisation walk (whose next page, and the accounts on it, wait for
// its answer), each AssumeRole and each ListBuckets wait behind the whole
// queue: at 25 ms latency and 256 in flight the walk's 10 rounds took
// 1–1.4 s instead of 0.25 s, and every account started that much later.
// A waiting call of the first class gets the next free slot before any of
// the rest; within a class, the order is first come, first served.
type inFlightSlots struct {
	mu   sync.Mutex
	free int
	// waiting holds the waiters of each class: 0 first, 1 the rest.
	waiting [2][]chan struct{}
}

func newInFlightSlots(n int) *inFlightSlots { return &inFlightSlots{free: n} }

// acquire takes a slot for a call (first: of the first class), waiting
// until one is free or ctx ends.
func (p *inFlightSlots) acquire(ctx context.Context, first bool) error {
	class := 1
	if first {
		class = 0
	}
	p.mu.Lock()
	if p.free > 0 && len(p.waiting[0]) == 0 && (first || len(p.waiting[1]) == 0) {
		p.free--
		p.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	p.waiting[class] = append(p.waiting[class], ch)
	p.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	if i := slices.Index(p.waiting[class], ch); i >= 0 {
		p.waiting[class] = slices.Delete(p.waiting[class], i, i+1)
		p.mu.Unlock()
		return ctx.Err()
	}
	p.mu.Unlock()
	// The slot was handed over as ctx ended: give it back.
	p.release()
	return ctx.Err()
}

// release gives a slot back: to the longest waiter of the first class,
// else of the rest, else to the free ones.
func (p *inFlightSlots) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for class := range p.waiting {
		if q := p.waiting[class]; len(q) > 0 {
			close(q[0])
			q[0] = nil
			p.waiting[class] = q[1:]
			return
		}
	}
	p.free++
}

// firstCall reports whether a call of service and operation is of the
// first class of the in-flight cap: the calls that other calls wait for
// and that are few — the organisation walk, assuming the audit role,
// listing an account's buckets.
func firstCall(service, operation string) bool {
	switch service {
	case "Organizations", "STS":
		return true
	case "S3":
		return operation == "ListBuckets"
	}
	return false
}
