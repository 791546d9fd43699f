// Package inflight measures how many requests a server has in flight: an
// http.Handler wrapper (Meter) that records, at each request's arrival,
// how many requests are in flight (the new one included), the largest
// number seen and the time-weighted mean. Tests assert on the counts
// (arrivals by requests in flight), which do not depend on the machine's
// speed; benchmarks also print the time-weighted mean.
package inflight

import (
	"net/http"
	"sync"
	"time"
)

// Meter wraps an http.Handler and measures the requests in flight. It is
// safe for concurrent use.
type Meter struct {
	next http.Handler
	now  func() time.Time

	mu       sync.Mutex
	cur      int
	max      int
	arrivals int64
	sum      int64 // in flight at each arrival, summed
	// byLevel[n] counts the arrivals that found n requests in flight
	// (themselves included).
	byLevel []int64
	// area is the integral of the requests in flight over time (in
	// request-seconds) from the first arrival to the last change.
	area        float64
	first, last time.Time
}

// New returns a Meter in front of next.
func New(next http.Handler) *Meter { return &Meter{next: next, now: time.Now} }

// ServeHTTP counts the request in flight while next serves it.
func (m *Meter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.change(+1)
	defer m.change(-1)
	m.next.ServeHTTP(w, r)
}

func (m *Meter) change(d int) {
	t := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.first.IsZero() {
		m.first, m.last = t, t
	}
	m.area += float64(m.cur) * t.Sub(m.last).Seconds()
	m.last = t
	m.cur += d
	if d < 0 {
		return
	}
	m.arrivals++
	m.sum += int64(m.cur)
	m.max = max(m.max, m.cur)
	for len(m.byLevel) <= m.cur {
		m.byLevel = append(m.byLevel, 0)
	}
	m.byLevel[m.cur]++
}

// Stats is what a Meter measured.
type Stats struct {
	// Arrivals is the number of requests served.
	Arrivals int64
	// Max is the most requests in flight at once.
	Max int
	// MeanAtArrival is the mean number in flight that a request found on
	// arrival (itself included).
	MeanAtArrival float64
	// TimeMean is the time-weighted mean number in flight between the
	// first arrival and the last answer.
	TimeMean float64
	// ByLevel[n] counts the arrivals that found n requests in flight.
	ByLevel []int64
}

// AtLeast returns the fraction of arrivals that found at least n requests
// in flight (themselves included).
func (s Stats) AtLeast(n int) float64 {
	if s.Arrivals == 0 {
		return 0
	}
	var k int64
	for lvl := max(n, 0); lvl < len(s.ByLevel); lvl++ {
		k += s.ByLevel[lvl]
	}
	return float64(k) / float64(s.Arrivals)
}

// Current returns the number of requests in flight now.
func (m *Meter) Current() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur
}

// Stats returns what was measured so far.
func (m *Meter) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Stats{Arrivals: m.arrivals, Max: m.max, ByLevel: append([]int64(nil), m.byLevel...)}
	if m.arrivals > 0 {
		st.MeanAtArrival = float64(m.sum) / float64(m.arrivals)
	}
	if d := m.last.Sub(m.first).Seconds(); d > 0 {
		st.TimeMean = m.area / d
	}
	return st
}
