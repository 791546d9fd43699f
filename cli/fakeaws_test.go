package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bucketaudit/bucketaudit/fakeaws"
)

// TestFakeAWSCommand runs `bucketaudit fakeaws` as the binary does: the
// first stdout line gives the URL, it serves until the context (SIGINT or
// SIGTERM in main) is cancelled, then writes the stats file.
func TestFakeAWSCommand(t *testing.T) {
	stats := filepath.Join(t.TempDir(), "stats.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"fakeaws", "--fixture", "synthetic:accounts=2,buckets=3", "--stats-file", stats, "--log-format", "json"},
			strings.NewReader(""), outW, &stderr)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("read first line: %v (stderr: %s)", err, stderr.String())
	}
	m := regexp.MustCompile(`^listening on (http://127\.0\.0\.1:\d+)\n$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line = %q", line)
	}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(m[1]),
		Credentials: credentials.NewStaticCredentialsProvider(fakeaws.DefaultAccessKeyID, fakeaws.DefaultSecretAccessKey, "")}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Account != fakeaws.SyntheticAccountID(0) {
		t.Errorf("account = %s", *id.Account)
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("exit code %d, stderr: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fakeaws did not stop after the signal")
	}
	st, err := os.Stat(stats)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("stats file mode %v", st.Mode().Perm())
	}
	data, _ := os.ReadFile(stats)
	var got fakeaws.Stats
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("stats file: %v\n%s", err, data)
	}
	if got.Requests != 1 || got.ByOperation["sts:GetCallerIdentity"] != 1 {
		t.Errorf("stats = %+v", got)
	}
}

func TestFakeAWSCommandUsage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("schema_version: 1\naccounts: [{id: 1}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		args []string
		want string
	}{
		"no fixture":         {[]string{"fakeaws"}, "--fixture is required"},
		"bad synthetic":      {[]string{"fakeaws", "--fixture", "synthetic:accounts=2"}, "both accounts and buckets are required"},
		"synthetic typo":     {[]string{"fakeaws", "--fixture", "synthetic:acounts=2,buckets=1"}, `unknown parameter "acounts"`},
		"too many roles":     {[]string{"fakeaws", "--fixture", "synthetic:accounts=1,buckets=1,roles=1001"}, "roles=1001 must not exceed 1000"},
		"missing file":       {[]string{"fakeaws", "--fixture", "/nonexistent/org.yaml"}, "no such file"},
		"invalid fixture":    {[]string{"fakeaws", "--fixture", bad}, "accounts[0].id: expected a string"},
		"negative latency":   {[]string{"fakeaws", "--fixture", "synthetic:accounts=1,buckets=1", "--latency", "-1s"}, "--latency must not be negative"},
		"bad listen address": {[]string{"fakeaws", "--fixture", "synthetic:accounts=1,buckets=1", "--listen", "256.0.0.1:x"}, "listen on"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != ExitUsage || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), ExitUsage, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}
