package scanner

// workers runs functions on goroutines that are kept once they are done,
// waiting for the next function, until the pool is closed. A read of the
// SDK runs ~40 middlewares deep: a fresh goroutine starts with a small
// stack and copies it twice or more as the call goes down (runtime.newstack
// took ~8% of a scan's CPU at 256 calls in flight, one goroutine per
// field read); a kept goroutine has grown its stack already. A nil
// *workers starts a goroutine per function.
type workers struct {
	work chan func()
	done chan struct{}
}

func newWorkers() *workers {
	return &workers{work: make(chan func()), done: make(chan struct{})}
}

// Go runs f on an idle worker, or on a new one when none is idle: it never
// waits, so the pool is as large as the most functions running at once.
func (w *workers) Go(f func()) {
	if w == nil {
		go f()
		return
	}
	select {
	case w.work <- f:
	default:
		go w.run(f)
	}
}

func (w *workers) run(f func()) {
	for {
		f()
		f = nil // what it holds is not kept while the worker waits
		select {
		case f = <-w.work:
		case <-w.done:
			return
		}
	}
}

// close ends the idle workers (and the busy ones once their function
// returns); Go still runs functions afterwards, on new goroutines.
func (w *workers) close() {
	if w != nil {
		close(w.done)
	}
}
