// Command benchscan measures a whole scan against the emulator (make
// bench-scan): it starts `bucketaudit fakeaws` on a synthetic organisation
// with injected latency, runs `bucketaudit scan` against it and prints the
// wall time, the API calls the emulator served (--stats-file), calls per
// bucket, the lower bound calls × latency ÷ requests-in-flight, the ratio,
// and the scan's peak RSS. It is a benchmark, not a test: it asserts nothing.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/bucketaudit", "bucketaudit binary")
	accounts := flag.Int("accounts", 60, "synthetic member accounts")
	buckets := flag.Int("buckets", 25, "buckets per account")
	latency := flag.Duration("latency", 25*time.Millisecond, "latency the emulator adds to every request")
	requests := flag.Int("requests", 64, "concurrency.requests of the scan")
	extra := flag.String("config", "", "extra YAML appended to the scan configuration (top-level keys other than concurrency and outputs)")
	scanEnv := flag.String("scan-env", "", "extra environment of the scan process only, KEY=VALUE[,KEY=VALUE...] (e.g. GOGC=400)")
	flag.Parse()
	if err := run(*bin, *accounts, *buckets, *latency, *requests, *extra, *scanEnv); err != nil {
		fmt.Fprintln(os.Stderr, "benchscan:", err)
		os.Exit(1)
	}
}

type stats struct {
	Requests    int64            `json:"requests"`
	ByOperation map[string]int64 `json:"by_operation"`
}

func run(bin string, accounts, buckets int, latency time.Duration, requests int, extra, scanEnv string) error {
	dir, err := os.MkdirTemp("", "bench-scan-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	statsFile := filepath.Join(dir, "stats.json")

	fake := exec.Command(bin, "fakeaws", "--fixture", fmt.Sprintf("synthetic:accounts=%d,buckets=%d", accounts, buckets),
		"--listen", "127.0.0.1:0", "--latency", latency.String(), "--stats-file", statsFile, "--log-level", "error")
	out, err := fake.StdoutPipe()
	if err != nil {
		return err
	}
	fake.Stderr = os.Stderr
	if err := fake.Start(); err != nil {
		return fmt.Errorf("start fakeaws: %w", err)
	}
	defer fake.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read fakeaws address: %w", err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "listening on "))

	cfgPath := filepath.Join(dir, "scan.yaml")
	cfg := fmt.Sprintf("concurrency:\n  requests: %d\noutputs:\n  dir: %s\n  formats: [json]\n%s\n", requests, filepath.Join(dir, "out"), extra)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	snapshot := filepath.Join(dir, "snapshot.json")
	scan := exec.Command(bin, "scan", "--config", cfgPath, "--endpoint-url", url, "--save-snapshot", snapshot,
		"--no-progress", "--log-level", "warn", "--log-format", "json")
	scan.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=AKIAFAKEAWSMANAGEMENT", "AWS_SECRET_ACCESS_KEY=fakeaws-management-secret",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
		"AWS_PROFILE=", "AWS_SESSION_TOKEN=", "AWS_EC2_METADATA_DISABLED=true")
	if scanEnv != "" {
		scan.Env = append(scan.Env, strings.Split(scanEnv, ",")...)
	}
	scan.Stdout = os.Stdout
	scan.Stderr = os.Stderr
	start := time.Now()
	err = scan.Run()
	wall := time.Since(start)
	if code := scan.ProcessState.ExitCode(); err != nil && code != 3 && code != 1 {
		return fmt.Errorf("scan: %w", err)
	}
	rss := int64(0)
	if ru, ok := scan.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss // KiB on Linux
	}
	scanCPU := scan.ProcessState.UserTime() + scan.ProcessState.SystemTime()

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
		return err
	}
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("read snapshot: %w", err)
	}
	nb := 0
	for _, a := range snap.Accounts {
		nb += len(a.Buckets)
	}

	if err := fake.Process.Signal(os.Interrupt); err != nil {
		return err
	}
	if err := fake.Wait(); err != nil {
		return fmt.Errorf("fakeaws: %w", err)
	}
	fakeCPU := fake.ProcessState.UserTime() + fake.ProcessState.SystemTime()
	var st stats
	data, err = os.ReadFile(statsFile)
	if err != nil {
		return fmt.Errorf("read stats: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("parse stats: %w", err)
	}

	scanTime := snap.Scan.FinishedAt.Sub(snap.Scan.StartedAt)
	lower := time.Duration(float64(st.Requests) * float64(latency) / float64(requests))
	fmt.Printf("bench-scan: synthetic:accounts=%d,buckets=%d --latency %v, concurrency.requests %d\n", accounts, buckets, latency, requests)
	fmt.Printf("  buckets scanned        %d (complete: %v)\n", nb, snap.Scan.Complete)
	fmt.Printf("  wall time (command)    %v\n", wall.Round(time.Millisecond))
	fmt.Printf("  scan time (snapshot)   %v\n", scanTime.Round(time.Millisecond))
	fmt.Printf("  API calls (stats file) %d\n", st.Requests)
	if nb > 0 {
		fmt.Printf("  calls per bucket       %.2f\n", float64(st.Requests)/float64(nb))
	}
	fmt.Printf("  lower bound            %v (calls × %v ÷ %d)\n", lower.Round(time.Millisecond), latency, requests)
	if lower > 0 {
		fmt.Printf("  ratio scan/lower bound %.2f (command wall time: %.2f)\n", float64(scanTime)/float64(lower), float64(wall)/float64(lower))
	}
	fmt.Printf("  peak RSS of scan       %.1f MB\n", float64(rss)/1024)
	fmt.Printf("  CPU time               scan %v, fakeaws %v\n", scanCPU.Round(time.Millisecond), fakeCPU.Round(time.Millisecond))
	fmt.Println("  calls by operation:")
	for _, op := range sortedOps(st.ByOperation) {
		fmt.Printf("    %-45s %d\n", op, st.ByOperation[op])
	}
	return nil
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
