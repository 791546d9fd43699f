package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// envRunAsCLI makes the test binary run as the bucketaudit command (see
// TestMain): the multi-process tests start it as their processes.
const envRunAsCLI = "BUCKETAUDIT_TEST_RUN_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(envRunAsCLI) == "1" {
		os.Exit(Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runProcess runs bucketaudit args as a separate process (this test binary
// in CLI mode) with extra environment, and returns its exit code and stderr.
func runProcess(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), envRunAsCLI+"=1"), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("start %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// comparableReport reads dir/report.json without what differs between two
// runs of the same analysis: when it was generated, from which files, and
// the scan's start and end times.
func comparableReport(t *testing.T, dir string) map[string]any {
	t.Helper()
	readReportJSON(t, dir) // validates against the schema
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	delete(rep, "generated_at")
	if sc, ok := rep["scan"].(map[string]any); ok {
		for _, k := range []string{"sources", "started_at", "finished_at"} {
			delete(sc, k)
		}
	}
	return rep
}

// TestShardedScanEqualsOneScan: the organisation walked once (scan
// --org-only), scanned in 4 shards by 4 processes (--shard auto/4, the
// index from a Kubernetes Indexed Job's JOB_COMPLETION_INDEX or an AWS
// Batch array job's AWS_BATCH_JOB_ARRAY_INDEX), merged by analyze: the
// report equals, cell for cell, the one scan's report.json. One shard
// first fails (its endpoint is wrong): the merge then differs and says it
// is incomplete; without it the merge refuses; re-run alone, it completes
// the merge exactly. With 4 shards the fixture's accounts spread so that
// one shard is empty and a bucket uses a KMS key of an account of another
// shard.
func TestShardedScanEqualsOneScan(t *testing.T) {
	url := roundTripEmulator(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", "audit_role:\n  external_id: rt-external-id\noutputs:\n  formats: [json]\n")
	common := []string{"--config", cfg, "--no-progress", "--log-format", "json", "--log-level", "warn"}
	const n = 4
	counts := map[int]int{}
	for _, id := range []string{"111111111111", "222222222222", "333333333333"} {
		counts[inventory.ShardOf(id, n)]++
	}
	if len(counts) != 3 || inventory.ShardOf("222222222222", n) == inventory.ShardOf("333333333333", n) {
		t.Fatalf("accounts by shard %v: the test needs an empty shard and 222222222222 (key owner) apart from 333333333333", counts)
	}

	// One scan: the golden report.
	single := filepath.Join(dir, "single")
	if code, stderr := runProcess(t, nil, append([]string{"scan", "--endpoint-url", url, "--output-dir", single}, common...)...); code != ExitIncomplete {
		t.Fatalf("single scan: exit %d, want %d (the fixture records unreadable fields)\n%s", code, ExitIncomplete, stderr)
	}
	golden := comparableReport(t, single)

	// The organisation, walked once.
	orgSnap := filepath.Join(dir, "org.json")
	if code, stderr := runProcess(t, nil, append([]string{"scan", "--org-only", "--endpoint-url", url, "--save-snapshot", orgSnap}, common...)...); code != ExitOK {
		t.Fatalf("scan --org-only: exit %d\n%s", code, stderr)
	}
	walk, err := inventory.Load(orgSnap)
	if err != nil || !walk.Scan.OrgOnly || len(walk.Accounts) != 3 {
		t.Fatalf("organisation walk %v: %+v", err, walk)
	}

	// The shards, in parallel; shard 3 with a wrong endpoint.
	snapshot := filepath.Join(dir, "shard-{shard}.json")
	shard := func(k int, endpoint string) (int, string) {
		env := []string{EnvJobCompletionIndex + "=" + fmt.Sprint(k-1)}
		if k%2 == 0 {
			env = []string{EnvBatchArrayIndex + "=" + fmt.Sprint(k-1)}
		}
		return runProcess(t, env, append([]string{"scan", "--shard", fmt.Sprintf("auto/%d", n), "--org-snapshot", orgSnap, "--endpoint-url", endpoint, "--save-snapshot", snapshot}, common...)...)
	}
	var wg sync.WaitGroup
	codes, logs := make([]int, n+1), make([]string, n+1)
	for k := 1; k <= n; k++ {
		endpoint := url
		if k == 3 {
			endpoint = "http://127.0.0.1:1" // nothing listens: every call of the shard fails
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[k], logs[k] = shard(k, endpoint)
		}()
	}
	wg.Wait()
	for k := 1; k <= n; k++ {
		if k != 3 && codes[k] != ExitOK && codes[k] != ExitIncomplete {
			t.Fatalf("shard %d: exit %d\n%s", k, codes[k], logs[k])
		}
	}
	// A shard that reached no endpoint failed (its preflight): it exits 4
	// and saves no snapshot that could pass for its share.
	if codes[3] != ExitFailed {
		t.Fatalf("shard 3 with a wrong endpoint: exit %d, want %d\n%s", codes[3], ExitFailed, logs[3])
	}
	snaps, err := filepath.Glob(filepath.Join(dir, "shard-*.json"))
	if err != nil || len(snaps) != n-1 {
		t.Fatalf("shard snapshots %v (%v), want %d (none of the failed shard 3)", snaps, err, n-1)
	}
	sort.Strings(snaps)
	for _, p := range snaps {
		d, err := inventory.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if d.Scan == nil || d.Scan.Shard == nil {
			t.Fatalf("%s: not a shard's snapshot", p)
		}
		k := d.Scan.Shard.Index
		if filepath.Base(p) != fmt.Sprintf("shard-%d.json", k) || d.Scan.Shard.Count != n {
			t.Fatalf("%s: shard %+v, want its file's index of %d", p, d.Scan.Shard, n)
		}
		if k == inventory.ShardOf("333333333333", n) && len(d.Scan.Shard.KMSKeys["222222222222"]) == 0 {
			t.Errorf("%s: the key of 222222222222 that a bucket of 333333333333 uses was not read into the shard", p)
		}
	}

	analyze := func(name string, snaps ...string) (int, string, string) {
		out := filepath.Join(dir, name)
		code, stderr := runProcess(t, nil, append(append([]string{"analyze"}, snaps...), "--output-dir", out, "--format", "json", "--log-format", "json")...)
		return code, stderr, out
	}
	if code, stderr, _ := analyze("merged-missing", snaps...); code != ExitUsage || !strings.Contains(stderr, "missing shard(s) 3/4") {
		t.Errorf("analyze without shard 3: exit %d, want %d and the missing shard named\n%s", code, ExitUsage, stderr)
	}

	// Shard 3 again, alone, where it belongs.
	if code, log := shard(3, url); code != ExitOK && code != ExitIncomplete {
		t.Fatalf("shard 3 re-run: exit %d\n%s", code, log)
	}
	// As a Job runs it, without a shell: analyze expands the pattern.
	code, stderr, out := analyze("merged", filepath.Join(dir, "shard-*.json"))
	if code != ExitIncomplete {
		t.Fatalf("analyze: exit %d, want %d as the one scan\n%s", code, ExitIncomplete, stderr)
	}
	if diff := cmp.Diff(golden, comparableReport(t, out)); diff != "" {
		t.Errorf("merged shards differ from the one scan (-one scan +shards):\n%s", diff)
	}
}

func TestExpandPatterns(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"shard-2.json", "shard-1.json", "org.json"} {
		writeFile(t, dir, n, "{}")
	}
	got, err := expandPatterns([]string{filepath.Join(dir, "org.json"), filepath.Join(dir, "shard-*.json")})
	want := []string{filepath.Join(dir, "org.json"), filepath.Join(dir, "shard-1.json"), filepath.Join(dir, "shard-2.json")}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	if _, err := expandPatterns([]string{filepath.Join(dir, "none-*.json")}); err == nil || !strings.Contains(err.Error(), "matches no file") {
		t.Errorf("a pattern matching nothing: %v", err)
	}
}

func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	ok := []struct {
		spec string
		env  func(string) (string, bool)
		want inventory.Shard
	}{
		{"1/4", env(), inventory.Shard{Index: 1, Count: 4}},
		{"4/4", env(), inventory.Shard{Index: 4, Count: 4}},
		// Kubernetes and AWS Batch count from 0.
		{"auto/4", env(EnvJobCompletionIndex, "0"), inventory.Shard{Index: 1, Count: 4}},
		{"auto/4", env(EnvBatchArrayIndex, "3"), inventory.Shard{Index: 4, Count: 4}},
		{"auto/4", env(EnvJobCompletionIndex, "2", EnvBatchArrayIndex, "2"), inventory.Shard{Index: 3, Count: 4}},
	}
	for _, tt := range ok {
		got, err := parseShard(tt.spec, tt.env)
		if err != nil || got.Index != tt.want.Index || got.Count != tt.want.Count {
			t.Errorf("parseShard(%q) = %+v, %v; want %+v", tt.spec, got, err, tt.want)
		}
	}
	bad := []struct {
		spec string
		env  func(string) (string, bool)
		want string
	}{
		{"3", env(), "want K/N"},
		{"0/4", env(), "not an integer from 1 to 4"},
		{"5/4", env(), "not an integer from 1 to 4"},
		{"1/0", env(), "not a positive integer"},
		{"auto/4", env(), "neither JOB_COMPLETION_INDEX"},
		{"auto/4", env(EnvJobCompletionIndex, "4"), "not an index from 0 to 3"},
		{"auto/4", env(EnvJobCompletionIndex, "x"), "not an index from 0 to 3"},
		{"auto/4", env(EnvJobCompletionIndex, "1", EnvBatchArrayIndex, "2"), "disagree"},
	}
	for _, tt := range bad {
		if _, err := parseShard(tt.spec, tt.env); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseShard(%q): error %v, want one containing %q", tt.spec, err, tt.want)
		}
	}
}

// TestShardsAndReportsOnS3: the walk, the shards, the snapshot and the
// reports of a scan go to s3:// locations (the emulator's output bucket,
// written with the process's own credentials, never the audit role's);
// analyze reads the shards back by pattern (following S3's redirect to the
// bucket's region) and writes the merged reports there too, equal to the
// one scan's.
func TestShardsAndReportsOnS3(t *testing.T) {
	srv, url := roundTripServer(t, fakeaws.Options{OutputBucket: "bucketaudit-out"})
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", "audit_role:\n  external_id: rt-external-id\noutputs:\n  formats: [json]\n")
	run := func(want int, args ...string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Run(context.Background(), append(args, "--log-format", "json", "--log-level", "warn"), nil, &stdout, &stderr); code != want {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, stdout.String(), stderr.String())
		}
	}
	scan := []string{"scan", "--config", cfg, "--endpoint-url", url, "--no-progress"}
	run(ExitIncomplete, append(scan, "--output-dir", "s3://bucketaudit-out/single", "--save-snapshot", "s3://bucketaudit-out/single.json")...)
	run(ExitOK, append(scan, "--org-only", "--save-snapshot", "s3://bucketaudit-out/org.json")...)
	for k := 1; k <= 2; k++ {
		code := ExitOK
		for _, id := range []string{"111111111111", "222222222222", "333333333333"} {
			if inventory.ShardOf(id, 2) == k {
				code = ExitIncomplete // every account of the fixture records unreadable fields
			}
		}
		run(code, append(scan, "--shard", fmt.Sprintf("%d/2", k), "--org-snapshot", "s3://bucketaudit-out/org.json", "--save-snapshot", "s3://bucketaudit-out/shards/shard-{shard}.json")...)
	}
	// The output bucket is in us-east-1: analyze, told eu-west-1, follows S3's redirect.
	run(ExitIncomplete, "analyze", "s3://bucketaudit-out/shards/shard-*.json", "--endpoint-url", url, "--region", "eu-west-1", "--output-dir", "s3://bucketaudit-out/merged", "--format", "json")

	local := func(key string) string {
		t.Helper()
		data, ok := srv.OutputObject(key)
		if !ok {
			t.Fatalf("s3://bucketaudit-out/%s was not written", key)
		}
		d := filepath.Join(dir, strings.ReplaceAll(key, "/", "_"))
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, d, "report.json", string(data))
		return d
	}
	if _, ok := srv.OutputObject("single.json"); !ok {
		t.Error("the snapshot was not saved to s3://bucketaudit-out/single.json")
	}
	if diff := cmp.Diff(comparableReport(t, local("single/report.json")), comparableReport(t, local("merged/report.json"))); diff != "" {
		t.Errorf("merged shards on S3 differ from the one scan (-one scan +shards):\n%s", diff)
	}
}
