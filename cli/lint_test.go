package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLintCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	warn := filepath.Join(dir, "warn.json")
	bad := filepath.Join(dir, "bad.json")
	for path, body := range map[string]string{
		good: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
		warn: "{\"Version\":\"2012-10-17\",\n\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b\"}}",
		bad:  "{\"Statement\": [\n  {\"Effect\": \"Allow\",}\n]}",
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"lint", "--format", "json", good, warn, bad}, strings.NewReader(""), &out, &errOut)
	if code != ExitFindings {
		t.Errorf("exit code %d, want %d (a file does not parse); stderr %s", code, ExitFindings, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want one JSON line per file, got %q", out.String())
	}
	var res []lintResult
	for _, l := range lines {
		var r lintResult
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		res = append(res, r)
	}
	if !res[0].Parsed || len(res[0].Warnings) != 0 || len(res[0].Errors) != 0 {
		t.Errorf("good file: %+v", res[0])
	}
	codes := map[string]bool{}
	for _, w := range res[1].Warnings {
		codes[w.Code] = true
	}
	if !res[1].Parsed || !codes["wildcard-principal-without-condition"] || !codes["object-action-on-bucket-arn"] {
		t.Errorf("warn file: %+v", res[1])
	}
	if res[2].Parsed || len(res[2].Errors) != 1 || res[2].Errors[0].Line != 2 || res[2].Errors[0].Column != 22 {
		t.Errorf("bad file: %+v", res[2])
	}

	out.Reset()
	if code := Run(context.Background(), []string{"lint", good, warn}, strings.NewReader(""), &out, &errOut); code != ExitOK {
		t.Errorf("exit code %d for parsable files", code)
	}
	if !strings.Contains(out.String(), good+": ok") || !strings.Contains(out.String(), warn+":2:") {
		t.Errorf("text output %q", out.String())
	}
	if code := Run(context.Background(), []string{"lint", "--format", "yaml", good}, strings.NewReader(""), &out, &errOut); code != ExitUsage {
		t.Errorf("bad --format: exit code %d", code)
	}
}

func TestSimulateCommand(t *testing.T) {
	in := strings.Join([]string{
		`{"id":1,"principal":"arn:aws:iam::111111111111:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","resource_account":"111111111111","identity_policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}]}`,
		`{"id":"x","principal":"anonymous","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","resource_account":"111111111111","resource_policy":{"Version":"2012-10-17","Statement":[{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]},"context":{"aws:SecureTransport":false}}`,
		`{"id":3,"principal":"arn:aws:iam::111111111111:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","identity_policies":["{\"Statement\":[}]}"]}`,
		`not json`,
		``,
		`{"id":5,"principal":"arn:aws:iam::111111111111:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","resource_account":"222222222222"}`,
	}, "\n")
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"simulate"}, strings.NewReader(in), &out, &errOut); code != ExitOK {
		t.Fatalf("exit code %d: %s", code, errOut.String())
	}
	want := []string{
		`{"id":1,"decision":"allow","decided_by":["identity"],"statements":["identity policy 0#0"]}`,
		`{"id":"x","decision":"explicit_deny","decided_by":["resource"],"statements":["resource policy#TLS"]}`,
		`{"id":3,"decision":"error","error":"line 3: identity policy 0: line 1, column 15: invalid JSON: unexpected \"}\": expected a value"}`,
		`{"id":null,"decision":"error","error":"line 4: invalid request: column 1: unexpected \"n\": expected a value"}`,
		`{"id":5,"decision":"implicit_deny","decided_by":["identity","resource"]}`,
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), out.String())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got  %s\n want %s", i+1, got[i], want[i])
		}
	}
}
