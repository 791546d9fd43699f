package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(vars map[string]string) LookupEnv {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestDefaultsAreValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestLoadLayering(t *testing.T) {
	file := `
region: eu-west-1
audit_role:
  name: Auditor
  external_id: "${AUDIT_EXT_ID}"
  duration: 2h
concurrency:
  requests: 32
outputs:
  dir: out
  formats: [json]
trusted_accounts:
  - id: "444455556666"
    name: Partner
`
	c, err := Parse([]byte(file), "scan.yaml", Overrides{OutputDir: "flagdir", EndpointURL: "http://127.0.0.1:9"}, env(map[string]string{"AUDIT_EXT_ID": "s3cr3t-id"}))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"region from file", c.Region, "eu-west-1"},
		{"role name from file", c.AuditRole.Name, "Auditor"},
		{"external id expanded", c.AuditRole.ExternalID, "s3cr3t-id"},
		{"duration from file", c.AuditRole.Duration, 2 * time.Hour},
		{"session name default", c.AuditRole.SessionName, "bucketaudit"},
		{"requests from file", c.Concurrency.Requests, 32},
		{"accounts concurrency default", c.Concurrency.Accounts, 16},
		{"output dir from flag", c.Outputs.Dir, "flagdir"},
		{"formats from file", c.Outputs.Formats, []string{"json"}},
		{"endpoint from flag", c.EndpointURL, "http://127.0.0.1:9"},
		{"trusted", c.TrustedAccountMap(), map[string]string{"444455556666": "Partner"}},
		{"collect default", c.Collect, Collect{IAM: true, VPCEndpoints: true, KMS: true}},
	}
	for _, ck := range checks {
		if diff := cmp.Diff(ck.want, ck.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", ck.name, diff)
		}
	}
	if c.Digest() == "" || strings.Contains(c.Digest(), "s3cr3t") {
		t.Errorf("digest = %q", c.Digest())
	}
}

// TestProblemsAllAtOnce proves that every problem is reported in one error,
// each with its key path and line.
func TestProblemsAllAtOnce(t *testing.T) {
	file := `region: eu-west-1
audit_rol:
  name: x
audit_role:
  name: "bad name!"
  duration: 90
  external_id: "${MISSING_VAR}"
concurrency:
  requests: 0
  acounts: 3
accounts:
  - id: "12345"
  - {id: "123456789012", nam: prod}
scope:
  regions: [eu-west-1, "not a region"]
  include_ous: [ou-abc]
collect:
  iam: "yes"
outputs:
  formats: [xlsx, pdf]
region: us-east-1
`
	_, err := Parse([]byte(file), "c.yaml", Overrides{}, env(nil))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *Error, got %v", err)
	}
	want := []string{
		"c.yaml:2: audit_rol: unknown key",
		"c.yaml:6: audit_role.duration: must be a duration",
		"c.yaml:10: concurrency.acounts: unknown key",
		"c.yaml:13: accounts[1].nam: unknown key",
		"c.yaml:18: collect.iam: must be true or false",
		"c.yaml:7: audit_role.external_id: environment variable MISSING_VAR is not set",
		"c.yaml:12: accounts[0].id: \"12345\" is not an account ID",
		"c.yaml:5: audit_role.name: \"bad name!\" is not a valid role name",
		"c.yaml:15: scope.regions[1]: \"not a region\" is not a region name",
		"c.yaml:16: scope.include_ous[0]: \"ou-abc\" is not an OU or root ID",
		"c.yaml:9: concurrency.requests: 0 must be between 1 and 4096",
		"c.yaml:20: outputs.formats[1]: \"pdf\" is not a format",
		"c.yaml:21: region: duplicate key (first at line 1)",
	}
	var got []string
	for _, p := range ce.Problems {
		got = append(got, p.String())
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing problem %q in:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
}

func TestFlagProblemsNameTheFlag(t *testing.T) {
	_, err := Parse(nil, "", Overrides{Formats: []string{"pdf"}, EndpointURL: "ftp://x"}, env(nil))
	if err == nil {
		t.Fatal("want error")
	}
	for _, w := range []string{"flag --format: outputs.formats[0]", "flag --endpoint-url: endpoint_url"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

func TestExternalIDNeverEchoed(t *testing.T) {
	_, err := Parse([]byte("audit_role:\n  external_id: \"bad secret with spaces\"\n"), "c.yaml", Overrides{}, env(nil))
	if err == nil || strings.Contains(err.Error(), "secret with") {
		t.Fatalf("want an error without the value, got %v", err)
	}
}

func TestMalformedYAML(t *testing.T) {
	for _, in := range []string{"a: [", "- 1\n- 2\n", "region: [1]\n", "\t x", "audit_role: 3\n"} {
		_, err := Parse([]byte(in), "c.yaml", Overrides{}, env(nil))
		if err == nil {
			t.Errorf("%q: want error", in)
		}
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	path := filepath.Join("..", "config.example.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("config.example.yaml missing: %v", err)
	}
	c, err := Load(path, Overrides{}, env(map[string]string{"BUCKETAUDIT_EXTERNAL_ID": "example-external-id"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.AuditRole.ExternalID != "example-external-id" {
		t.Errorf("external_id = %q", c.AuditRole.ExternalID)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("region: eu-west-1\naudit_role: {name: x}\n"))
	f.Add([]byte("accounts:\n  - id: 1\n    name: [a]\n"))
	f.Add([]byte("concurrency: {requests: -1}\nscope: {regions: [a]}\n&a x: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "f.yaml", Overrides{}, env(map[string]string{"X": "abc"}))
		if err == nil && c.Validate() != nil {
			t.Fatalf("Parse accepted a configuration that does not validate")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}
