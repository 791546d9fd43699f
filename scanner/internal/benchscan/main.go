// Command benchscan measures a whole scan against the emulator (make
// bench-scan): it serves a synthetic organisation with fakeaws in process,
// with injected latency and a meter of the requests in flight, runs
// `bucketaudit scan` against it and prints the wall time, the API calls
// the emulator served, calls per bucket, the requests in flight (mean and
// max), the bound, the ratio to it, and the scan's peak RSS. With -matrix
// it runs several latency × requests-in-flight cases and prints one row
// each. It is a benchmark, not a test: it asserts nothing.
//
// The bound is what a greedy schedule of the scan's calls achieves (Brent's
// bound): calls × latency ÷ requests in flight (the work, if every slot
// were busy all the time), plus the critical path × latency — the chain of
// calls that depend on each other and no concurrency can overlap (see
// criticalPath). The strict lower bound, the larger of the two, is also
// printed.
//
// The scan is CPU-bound at short latencies and many requests in flight
// (the scan process, the emulator and the machine's other work share its
// cores), so each run also prints the CPU time (user+sys) that the scan
// process and this process — the emulator — spent in the scan's window,
// per API call: a figure that the machine's load does not change much,
// unlike the wall times. -cpuprofile profiles this process (the
// emulator); BUCKETAUDIT_CPUPROFILE=FILE in -scan-env profiles the scan
// process (cmd/bucketaudit).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/internal/procstat"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/scanner/internal/inflight"
)

func main() {
	bin := flag.String("bin", "bin/bucketaudit", "bucketaudit binary")
	accounts := flag.Int("accounts", 60, "synthetic member accounts")
	buckets := flag.Int("buckets", 25, "buckets per account")
	latency := flag.Duration("latency", 25*time.Millisecond, "latency the emulator adds to every request")
	requests := flag.Int("requests", 64, "concurrency.requests of the scan")
	extra := flag.String("config", "", "extra YAML appended to the scan configuration (top-level keys other than concurrency and outputs)")
	scanEnv := flag.String("scan-env", "", "extra environment of the scan process only, KEY=VALUE[,KEY=VALUE...] (e.g. GOGC=400)")
	timeline := flag.Bool("timeline", false, "print the requests in flight every 100 ms of the scan (mean of samples every 10 ms; not with -matrix)")
	matrix := flag.String("matrix", "", "cases LATENCY/REQUESTS/ACCOUNTS[,...] (e.g. 25ms/64/60,100ms/256/60): one row each, with -buckets buckets per account")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of this process (the emulator, while the scans run) to this file; BUCKETAUDIT_CPUPROFILE=FILE in -scan-env profiles the scan process")
	flag.Parse()
	if os.Getenv("GOGC") == "" {
		// The emulator stands in for AWS: its garbage collections are the
		// harness's cost, taken from the cores the scan runs on.
		debug.SetGCPercent(emulatorGCPercent)
	}
	stopProfile := procstat.StartCPUProfile(*cpuProfile, os.Stderr)
	c := benchCase{timeline: *timeline, bin: *bin, accounts: *accounts, buckets: *buckets, latency: *latency, requests: *requests, extra: *extra, scanEnv: *scanEnv}
	err := runAll(c, *matrix)
	stopProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchscan:", err)
		os.Exit(1)
	}
}

// emulatorGCPercent is this process's GC target (GOGC, unless set): the
// emulator's heap is the synthetic organisation and its index, which do
// not change, and its garbage is per request.
const emulatorGCPercent = 400

type benchCase struct {
	bin               string
	accounts, buckets int
	latency           time.Duration
	requests          int
	extra, scanEnv    string
	quiet             bool // matrix row: no per-run details
	timeline          bool
}

func runAll(c benchCase, matrix string) error {
	if matrix == "" {
		_, err := run(c)
		return err
	}
	var cases []benchCase
	for _, spec := range strings.Split(matrix, ",") {
		parts := strings.Split(strings.TrimSpace(spec), "/")
		if len(parts) != 3 {
			return fmt.Errorf("-matrix: %q is not LATENCY/REQUESTS/ACCOUNTS", spec)
		}
		lat, err := time.ParseDuration(parts[0])
		if err != nil {
			return fmt.Errorf("-matrix %q: %w", spec, err)
		}
		req, err1 := strconv.Atoi(parts[1])
		acc, err2 := strconv.Atoi(parts[2])
		if err := errors.Join(err1, err2); err != nil || req < 1 || acc < 1 {
			return fmt.Errorf("-matrix %q: requests and accounts must be positive integers", spec)
		}
		k := c
		k.latency, k.requests, k.accounts, k.quiet = lat, req, acc, true
		cases = append(cases, k)
	}
	var rows []result
	for _, k := range cases {
		r, err := run(k)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	fmt.Printf("bench-scan matrix (synthetic, %d buckets per account; bound = calls × latency ÷ in-flight + critical path × latency;\n", c.buckets)
	fmt.Printf("  µs/call: CPU time (user+sys) in the scan window ÷ API calls, of the scan process and of the emulator)\n")
	fmt.Printf("  %-8s %-9s %-8s %-8s %-7s %-8s %-8s %-9s %-9s %-8s %-6s %-6s %-18s %-12s %s\n",
		"latency", "in-flight", "accounts", "buckets", "calls", "scan", "command", "work/cap", "critical", "bound", "ratio", "mean", "CPU (scan process)", "µs/call scan", "µs/call emulator")
	for _, r := range rows {
		fmt.Printf("  %-8v %-9d %-8d %-8d %-7d %-8v %-8v %-9v %-9v %-8v %-6.2f %-6.0f %-18v %-12.0f %.0f\n",
			r.latency, r.requests, r.accounts, r.buckets, r.calls, r.scan.Round(10*time.Millisecond), r.wall.Round(10*time.Millisecond),
			r.work.Round(10*time.Millisecond), r.critical.Round(10*time.Millisecond), r.bound.Round(10*time.Millisecond),
			r.ratio, r.meter.TimeMean, r.scanCPU.Round(10*time.Millisecond), r.perCall(r.window.scan), r.perCall(r.window.emulator))
	}
	return nil
}

type result struct {
	benchCase
	calls          int64
	scan, wall     time.Duration
	work, critical time.Duration
	bound          time.Duration
	ratio          float64
	meter          inflight.Stats
	scanCPU        time.Duration
	// conns is the number of connections the scan opened.
	conns int64
	// window is the CPU time, in the scan's window (snapshot's started_at
	// to finished_at), of the scan process and of this process (the
	// emulator and the meter).
	window cpuTimes
}

// perCall returns d per API call, in µs.
func (r result) perCall(d time.Duration) float64 {
	if r.calls == 0 {
		return 0
	}
	return float64(d) / float64(time.Microsecond) / float64(r.calls)
}

func run(c benchCase) (result, error) {
	res := result{benchCase: c}
	dir, err := os.MkdirTemp("", "bench-scan-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)

	doc := fakeaws.Synthetic(c.accounts, c.buckets)
	srv, err := fakeaws.New(doc, fakeaws.Options{Latency: c.latency, PageSize: fakeaws.DefaultPageSize})
	if err != nil {
		return res, err
	}
	meter := inflight.New(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	var conns atomic.Int64
	hs := &http.Server{Handler: meter, ReadHeaderTimeout: 30 * time.Second, ConnState: func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}}
	go hs.Serve(ln)
	defer hs.Close()
	url := "http://" + ln.Addr().String()

	cfgPath := filepath.Join(dir, "scan.yaml")
	cfg := fmt.Sprintf("concurrency:\n  requests: %d\noutputs:\n  dir: %s\n  formats: [json]\n%s\n", c.requests, filepath.Join(dir, "out"), c.extra)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return res, err
	}
	snapshot := filepath.Join(dir, "snapshot.json")
	scan := exec.Command(c.bin, "scan", "--config", cfgPath, "--endpoint-url", url, "--save-snapshot", snapshot,
		"--no-progress", "--log-level", "warn", "--log-format", "json")
	scan.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=AKIAFAKEAWSMANAGEMENT", "AWS_SECRET_ACCESS_KEY=fakeaws-management-secret",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
		"AWS_PROFILE=", "AWS_SESSION_TOKEN=", "AWS_EC2_METADATA_DISABLED=true")
	if c.scanEnv != "" {
		scan.Env = append(scan.Env, strings.Split(c.scanEnv, ",")...)
	}
	if !c.quiet {
		scan.Stdout = os.Stdout
	}
	scan.Stderr = os.Stderr
	start := time.Now()
	if err := scan.Start(); err != nil {
		return res, fmt.Errorf("scan: %w", err)
	}
	cpu := sampleCPU(scan.Process.Pid)
	levels := sampleInFlight(meter, c.timeline)
	err = scan.Wait()
	wall := time.Since(start)
	samples := cpu.stop()
	series := levels()
	res.wall = wall
	if code := scan.ProcessState.ExitCode(); err != nil && code != 3 && code != 1 {
		return res, fmt.Errorf("scan: %w", err)
	}
	rss := int64(0)
	if ru, ok := scan.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss // KiB on Linux
	}
	res.scanCPU = scan.ProcessState.UserTime() + scan.ProcessState.SystemTime()

	var snap struct {
		Scan struct {
			StartedAt  time.Time `json:"started_at"`
			FinishedAt time.Time `json:"finished_at"`
			Complete   bool      `json:"complete"`
		} `json:"scan"`
		Accounts []struct {
			Buckets []json.RawMessage `json:"buckets"`
		} `json:"accounts"`
	}
	data, err := os.ReadFile(snapshot)
	if err != nil {
		return res, err
	}
	if err := json.Unmarshal(data, &snap); err != nil {
		return res, fmt.Errorf("read snapshot: %w", err)
	}
	nb := 0
	for _, a := range snap.Accounts {
		nb += len(a.Buckets)
	}
	st := srv.Stats()
	res.meter = meter.Stats()
	res.calls = st.Requests
	res.conns = conns.Load()
	res.buckets = nb
	res.scan = snap.Scan.FinishedAt.Sub(snap.Scan.StartedAt)
	// The preflight's sts:GetCallerIdentity is answered before the scan's
	// started_at: neither its work nor its round trip is in the scan time.
	inScan := st.Requests - min(1, st.ByOperation["sts:GetCallerIdentity"])
	res.work = time.Duration(float64(inScan) * float64(c.latency) / float64(c.requests))
	rounds := criticalPath(doc, fakeaws.DefaultPageSize)
	res.critical = time.Duration(rounds) * c.latency
	res.bound = res.work + res.critical
	if res.bound > 0 {
		res.ratio = float64(res.scan) / float64(res.bound)
	}
	res.window = samples.between(snap.Scan.StartedAt, snap.Scan.FinishedAt)
	if c.quiet {
		return res, nil
	}

	fmt.Printf("bench-scan: synthetic:accounts=%d,buckets=%d --latency %v, concurrency.requests %d\n", c.accounts, c.buckets, c.latency, c.requests)
	fmt.Printf("  buckets scanned        %d (complete: %v)\n", nb, snap.Scan.Complete)
	fmt.Printf("  wall time (command)    %v\n", wall.Round(time.Millisecond))
	fmt.Printf("  scan time (snapshot)   %v\n", res.scan.Round(time.Millisecond))
	fmt.Printf("  API calls (emulator)   %d\n", st.Requests)
	if nb > 0 {
		fmt.Printf("  calls per bucket       %.2f\n", float64(st.Requests)/float64(nb))
	}
	fmt.Printf("  connections opened     %d\n", res.conns)
	fmt.Printf("  in flight              mean %.1f (time-weighted), %.1f at arrival, max %d of %d\n", res.meter.TimeMean, res.meter.MeanAtArrival, res.meter.Max, c.requests)
	fmt.Printf("  bound                  %v = %v (calls × %v ÷ %d) + %v (critical path: %d calls × %v)\n",
		res.bound.Round(time.Millisecond), res.work.Round(time.Millisecond), c.latency, c.requests, res.critical.Round(time.Millisecond), rounds, c.latency)
	fmt.Printf("  strict lower bound     %v\n", max(res.work, res.critical).Round(time.Millisecond))
	if res.bound > 0 {
		fmt.Printf("  ratio scan/bound       %.2f (command wall time: %.2f)\n", res.ratio, float64(wall)/float64(res.bound))
	}
	fmt.Printf("  peak RSS of scan       %.1f MB\n", float64(rss)/1024)
	fmt.Printf("  CPU time of scan       %v (whole command: scan, analysis, reports)\n", res.scanCPU.Round(time.Millisecond))
	fmt.Printf("  CPU in the scan window scan process %v (%.0f µs per call), emulator %v (%.0f µs per call)\n",
		res.window.scan.Round(time.Millisecond), res.perCall(res.window.scan), res.window.emulator.Round(time.Millisecond), res.perCall(res.window.emulator))
	if c.timeline {
		printTimeline(series, snap.Scan.StartedAt, snap.Scan.FinishedAt, c.requests)
	}
	fmt.Println("  calls by operation:")
	for _, op := range sortedOps(st.ByOperation) {
		fmt.Printf("    %-45s %d\n", op, st.ByOperation[op])
	}
	return res, nil
}

// criticalPath is the length, in calls, of the longest chain of calls of a
// scan of doc that depend on each other (each needs the answer of the one
// before), with list pages of pageSize items:
//
//   - organizations:DescribeOrganization, organizations:ListRoots (the
//     preflight's sts:GetCallerIdentity is answered before the scan's
//     started_at, from which the scan time is measured);
//   - down the OU tree, each OU's child OUs page after page
//     (ListOrganizationalUnitsForParent), then its accounts page after page
//     (ListAccountsForParent): the last account is found at the end of the
//     longest such chain;
//   - that account's sts:AssumeRole, s3:ListBuckets (1,000 a page),
//     then a bucket's s3:GetBucketPolicy → s3:GetBucketPolicyStatus, then
//     its KMS key's kms:ListAliases → kms:DescribeKey → kms:GetKeyPolicy;
//   - after every account, the keys used across accounts:
//     kms:ListAliases → kms:DescribeKey → kms:GetKeyPolicy.
func criticalPath(doc *inventory.Document, pageSize int) int {
	pages := func(n int) int { return max(1, (n+pageSize-1)/pageSize) }
	found := 0
	var walk func(ou inventory.OU, at int)
	walk = func(ou inventory.OU, at int) {
		// The child OUs and the accounts are listed concurrently.
		found = max(found, at+pages(len(ou.Accounts)))
		for _, c := range ou.OUs {
			walk(c, at+pages(len(ou.OUs)))
		}
	}
	if doc.Organization != nil {
		walk(doc.Organization.Root, 2)
	}
	most := 0
	for _, a := range doc.Accounts {
		most = max(most, len(a.Buckets))
	}
	return found + 1 + max(1, (most+999)/1000) + 2 + 3 + 3
}

func sortedOps(m map[string]int64) []string {
	var out []string
	for k, v := range m {
		if v > 0 {
			out = append(out, k)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
