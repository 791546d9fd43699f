package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/deploy"
)

func TestRolePolicyFormats(t *testing.T) {
	for format, file := range map[string]string{
		"cloudformation": "cloudformation/audit-role-stackset.yaml",
		"terraform":      "terraform/modules/audit-role/main.tf",
	} {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), []string{"role-policy", "--format", format}, nil, &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errb.String())
		}
		committed, err := os.ReadFile(filepath.Join("..", "deploy", file))
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != string(committed) {
			t.Errorf("role-policy --format %s differs from the committed deploy/%s", format, file)
		}
	}
}

// TestRolePolicyJSONLintsClean runs each printed policy through
// `bucketaudit lint`, which must pass it without a warning.
func TestRolePolicyJSONLintsClean(t *testing.T) {
	dir := t.TempDir()
	base := []string{"role-policy", "--organization-id", "o-a1b2c3d4e5", "--trusted-principal", "arn:aws:iam::111111111111:role/BucketAuditScanner", "--external-id", "ext-0123"}
	var out, errb bytes.Buffer
	if code := Run(context.Background(), base, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var all struct {
		Permissions, Trust, Scanner json.RawMessage
	}
	dec := json.NewDecoder(strings.NewReader(out.String()))
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	all.Permissions, all.Trust, all.Scanner = raw["permissions_policy"], raw["trust_policy"], raw["scanner_policy"]
	var want bytes.Buffer
	json.Compact(&want, deploy.PermissionsPolicy().JSON())
	var got bytes.Buffer
	json.Compact(&got, all.Permissions)
	if got.String() != want.String() {
		t.Errorf("permissions policy %s, want %s", got.String(), want.String())
	}
	if !strings.Contains(string(all.Trust), `"sts:ExternalId": "ext-0123"`) || !strings.Contains(string(all.Trust), `"aws:PrincipalOrgID": "o-a1b2c3d4e5"`) {
		t.Errorf("trust policy lacks its conditions: %s", all.Trust)
	}
	var files []string
	for _, name := range []string{"permissions", "trust", "scanner"} {
		var o, e bytes.Buffer
		if code := Run(context.Background(), append(base, "--policy", name), nil, &o, &e); code != 0 {
			t.Fatalf("--policy %s: exit %d: %s", name, code, e.String())
		}
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, o.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	var o, e bytes.Buffer
	code := Run(context.Background(), append([]string{"lint", "--format", "json"}, files...), nil, &o, &e)
	if code != 0 {
		t.Fatalf("lint exit %d: %s %s", code, o.String(), e.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(o.String()), "\n") {
		var r struct {
			File     string
			Parsed   bool
			Warnings []any
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("lint output %q: %v", line, err)
		}
		if !r.Parsed || len(r.Warnings) > 0 {
			t.Errorf("lint %s: parsed=%v warnings=%v", r.File, r.Parsed, r.Warnings)
		}
	}
}

func TestRolePolicyUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"role-policy", "--format", "yaml"},
		{"role-policy"},
		{"role-policy", "--organization-id", "o-a1b2c3d4e5", "--trusted-principal", "bob"},
		{"role-policy", "--organization-id", "o-a1b2c3d4e5", "--trusted-principal", "arn:aws:iam::111111111111:role/x"},
		{"role-policy", "--policy", "nope"},
	} {
		var o, e bytes.Buffer
		if code := Run(context.Background(), args, nil, &o, &e); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, ExitUsage, e.String())
		}
	}
}

// role-policy names every missing or malformed flag in one error, and
// checks --external-id as scan checks audit_role.external_id (2-1224 of
// letters, digits and +=,.@:/_-; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
// never echoing it.
func TestRolePolicyAllProblemsAtOnce(t *testing.T) {
	tests := []struct {
		args      []string
		want      []string
		wantNoID  bool
		wantLines int
	}{
		{[]string{"role-policy"}, []string{"--organization-id is missing", "--trusted-principal is missing", "an external ID is needed"}, false, 3},
		{[]string{"role-policy", "--external-id", "secret value!", "--trusted-principal", "bob"},
			[]string{"--external-id: must be 2-1224", "--organization-id is missing", `--trusted-principal: "bob" is not the ARN`}, true, 3},
		{[]string{"role-policy", "--external-id", "x", "--organization-id", "o-a1b2c3d4e5", "--trusted-principal", "arn:aws:iam::111111111111:role/x"},
			[]string{"--external-id: must be 2-1224"}, false, 1},
		{[]string{"role-policy", "--policy", "scanner"}, []string{"--organization-id is missing"}, false, 1},
	}
	for _, tt := range tests {
		var o, e bytes.Buffer
		code := Run(context.Background(), tt.args, nil, &o, &e)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", tt.args, code, ExitUsage)
		}
		for _, w := range tt.want {
			if !strings.Contains(e.String(), w) {
				t.Errorf("%v: stderr %q lacks %q", tt.args, e.String(), w)
			}
		}
		if n := strings.Count(e.String(), "\n  "); tt.wantLines > 1 && n != tt.wantLines {
			t.Errorf("%v: %d problems listed, want %d:\n%s", tt.args, n, tt.wantLines, e.String())
		}
		if tt.wantNoID && strings.Contains(e.String(), "secret value") {
			t.Errorf("%v: the external ID is echoed: %s", tt.args, e.String())
		}
	}
	// A valid external ID passes.
	var o, e bytes.Buffer
	if code := Run(context.Background(), []string{"role-policy", "--external-id", "ab", "--organization-id", "o-a1b2c3d4e5",
		"--trusted-principal", "arn:aws:iam::111111111111:role/x", "--policy", "trust"}, nil, &o, &e); code != ExitOK {
		t.Errorf("valid flags: exit %d: %s", code, e.String())
	}
}
