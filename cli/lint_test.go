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

// lint reports every error of a file, warns on a document over AWS's size
// limit for its kind (--kind; SCPs: 5,120 characters,
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html),
// and with --fail-on-warning exits 1 on a warning.
func TestLintAllErrorsSizeAndFailOnWarning(t *testing.T) {
	dir := t.TempDir()
	twoErrors := filepath.Join(dir, "two.json")
	big := filepath.Join(dir, "big.json")
	good := filepath.Join(dir, "good.json")
	bigDoc := `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::` + strings.Repeat("x", 6000) + `"}}`
	for path, body := range map[string]string{
		twoErrors: "{\"Statement\": [\n  {\"Effect\": \"Permit\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"},\n  {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resourc\": \"*\"}\n]}",
		big:       bigDoc,
		good:      `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), append([]string{"lint"}, args...), strings.NewReader(""), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, _ := run(twoErrors)
	if code != ExitFindings || !strings.Contains(out, "two.json:2:14: error: Effect must be") ||
		!strings.Contains(out, `two.json:3:49: error: unknown element "Resourc" in statement 1`) {
		t.Errorf("two errors: exit %d, output:\n%s", code, out)
	}

	code, out, _ = run("--kind", "scp", big, good)
	if code != ExitOK || !strings.Contains(out, "big.json:1:1: warning [policy-too-large]") || !strings.Contains(out, "a service control policy (5120 characters") {
		t.Errorf("--kind scp: exit %d, output:\n%s", code, out)
	}
	if code, out, _ = run("--kind", "bucket", big); code != ExitOK || strings.Contains(out, "policy-too-large") {
		t.Errorf("--kind bucket: exit %d, output:\n%s (6 KB is within 20 KB)", code, out)
	}
	if code, out, _ = run("--fail-on-warning", "--kind", "scp", big, good); code != ExitFindings {
		t.Errorf("--fail-on-warning with a warning: exit %d, want %d:\n%s", code, ExitFindings, out)
	}
	if code, out, _ = run("--fail-on-warning", good); code != ExitOK {
		t.Errorf("--fail-on-warning without a warning: exit %d:\n%s", code, out)
	}
	if code, _, stderr := run("--kind", "sqs", good); code != ExitUsage || !strings.Contains(stderr, "--kind") {
		t.Errorf("--kind sqs: exit %d, stderr %q", code, stderr)
	}
}
