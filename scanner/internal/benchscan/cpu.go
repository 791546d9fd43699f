package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bucketaudit/bucketaudit/internal/procstat"
	"github.com/bucketaudit/bucketaudit/scanner/internal/inflight"
)

// cpuTimes is the CPU time (user+sys) of the scan process and of this one.
type cpuTimes struct {
	scan, emulator time.Duration
}

// cpuSample is cpuTimes at one instant.
type cpuSample struct {
	at time.Time
	cpuTimes
}

// cpuSampler reads, every few milliseconds, the CPU time of the scan
// process (/proc/PID/stat, in clock ticks) and of this process
// (getrusage), so that the CPU spent in the scan's window — which the
// snapshot gives, without the command's start and its analysis and
// reports — can be interpolated.
type cpuSampler struct {
	done    chan struct{}
	samples chan []cpuSample
}

// clockTick is the unit of /proc/PID/stat's utime and stime (USER_HZ,
// 100 on Linux).
const clockTick = 10 * time.Millisecond

func sampleCPU(pid int) *cpuSampler {
	c := &cpuSampler{done: make(chan struct{}), samples: make(chan []cpuSample, 1)}
	// One open file read again from its start: the sampler's own CPU
	// counts as the emulator's.
	f, err := os.Open(fmt.Sprintf("/proc/%d/stat", pid))
	go func() {
		var out []cpuSample
		if err != nil {
			c.samples <- out
			return
		}
		defer f.Close()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		buf := make([]byte, 4096)
		for {
			if s, ok := readSample(f, buf); ok {
				out = append(out, s)
			}
			select {
			case <-c.done:
				c.samples <- out
				return
			case <-tick.C:
			}
		}
	}()
	return c
}

// stop ends the sampling (once the scan process has exited: its last
// sample is before its exit) and returns the samples.
func (c *cpuSampler) stop() cpuSamples {
	close(c.done)
	return <-c.samples
}

func readSample(f *os.File, buf []byte) (cpuSample, bool) {
	n, err := f.ReadAt(buf, 0)
	if n == 0 || (err != nil && !errors.Is(err, io.EOF)) {
		return cpuSample{}, false
	}
	data := buf[:n]
	// The fields after the command name (which may hold spaces, in
	// parentheses): state is field 3, utime 14 and stime 15.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return cpuSample{}, false
	}
	fields := bytes.Fields(data[i+1:])
	if len(fields) < 13 {
		return cpuSample{}, false
	}
	ut, err1 := strconv.ParseInt(string(fields[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(fields[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return cpuSample{}, false
	}
	self, ok := procstat.CPUTime()
	if !ok {
		return cpuSample{}, false
	}
	return cpuSample{at: time.Now(), cpuTimes: cpuTimes{scan: time.Duration(ut+st) * clockTick, emulator: self}}, true
}

// cpuSamples are samples in time order.
type cpuSamples []cpuSample

// between returns the CPU time spent from a to b, interpolated between
// the samples around each.
func (s cpuSamples) between(a, b time.Time) cpuTimes {
	x, y := s.at(a), s.at(b)
	return cpuTimes{scan: y.scan - x.scan, emulator: y.emulator - x.emulator}
}

// at interpolates the CPU times at t.
func (s cpuSamples) at(t time.Time) cpuTimes {
	if len(s) == 0 {
		return cpuTimes{}
	}
	if !t.After(s[0].at) {
		return s[0].cpuTimes
	}
	for i := 1; i < len(s); i++ {
		if t.After(s[i].at) {
			continue
		}
		p, q := s[i-1], s[i]
		f := float64(t.Sub(p.at)) / float64(q.at.Sub(p.at))
		lerp := func(a, b time.Duration) time.Duration { return a + time.Duration(f*float64(b-a)) }
		return cpuTimes{scan: lerp(p.scan, q.scan), emulator: lerp(p.emulator, q.emulator)}
	}
	return s[len(s)-1].cpuTimes
}

// inFlightSample is the requests in flight at one instant.
type inFlightSample struct {
	at time.Time
	n  int
}

// sampleInFlight samples meter every 10 ms while on (the returned function
// stops it and returns the samples).
func sampleInFlight(meter *inflight.Meter, on bool) func() []inFlightSample {
	if !on {
		return func() []inFlightSample { return nil }
	}
	done, out := make(chan struct{}), make(chan []inFlightSample, 1)
	go func() {
		var s []inFlightSample
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			s = append(s, inFlightSample{time.Now(), meter.Current()})
			select {
			case <-done:
				out <- s
				return
			case <-tick.C:
			}
		}
	}()
	return func() []inFlightSample { close(done); return <-out }
}

// printTimeline prints the mean requests in flight of every 100 ms from
// start to end, with a bar of the share of the cap.
func printTimeline(s []inFlightSample, start, end time.Time, limit int) {
	fmt.Println("  in flight by 100 ms of the scan (mean of 10 ms samples):")
	for t := start; t.Before(end); t = t.Add(100 * time.Millisecond) {
		sum, n := 0, 0
		for _, x := range s {
			if !x.at.Before(t) && x.at.Before(t.Add(100*time.Millisecond)) {
				sum += x.n
				n++
			}
		}
		if n == 0 {
			continue
		}
		mean := float64(sum) / float64(n)
		fmt.Printf("    %6v %6.1f %s\n", t.Sub(start).Round(time.Millisecond), mean, strings.Repeat("#", int(40*mean/float64(limit)+0.5)))
	}
}
