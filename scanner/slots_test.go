package scanner

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestInFlightSlots checks the in-flight cap's order: a waiting call of the
// first class (the organisation walk, AssumeRole, ListBuckets) gets the next
// free slot before calls of the rest that waited longer, each class first
// come, first served; a waiter whose context ends leaves the queue; every
// slot comes back.
func TestInFlightSlots(t *testing.T) {
	p := newInFlightSlots(1)
	ctx := context.Background()
	if err := p.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 3)
	wait := func(name string, first bool) {
		class := 1
		if first {
			class = 0
		}
		p.mu.Lock()
		n := len(p.waiting[class])
		p.mu.Unlock()
		go func() {
			if err := p.acquire(ctx, first); err != nil {
				t.Error(err)
			}
			got <- name
		}()
		waitQueued(t, p, class, n+1)
	}
	wait("bucket read 1", false)
	wait("bucket read 2", false)
	wait("walk page", true)

	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- p.acquire(cctx, false) }()
	waitQueued(t, p, 1, 3)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("acquire with an ended context returned no error")
	}
	waitQueued(t, p, 1, 2)

	var order []string
	for range 3 {
		p.release()
		order = append(order, <-got)
	}
	if want := []string{"walk page", "bucket read 1", "bucket read 2"}; !slices.Equal(order, want) {
		t.Fatalf("slots went to %q, want %q", order, want)
	}
	p.release()
	if p.free != 1 || len(p.waiting[0])+len(p.waiting[1]) != 0 {
		t.Fatalf("after every release: %d free, %d and %d waiting; want 1 free, none waiting", p.free, len(p.waiting[0]), len(p.waiting[1]))
	}
}

// waitQueued waits until n calls of class wait for a slot of p.
func waitQueued(t *testing.T, p *inFlightSlots, class, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		p.mu.Lock()
		got := len(p.waiting[class])
		p.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls of class %d wait, want %d", got, class, n)
		}
	}
}
