package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/bucketaudit/bucketaudit/internal/readonly"
	"github.com/bucketaudit/bucketaudit/policy"

	"github.com/bucketaudit/bucketaudit/internal/testenv"
)

// allowlistActions is computed straight from the allowlist, independently
// of Actions.
func allowlistActions(caller string) []string {
	set := map[string]bool{}
	for _, op := range readonly.Allowlist() {
		if op.Caller == caller {
			set[op.Action] = true
		}
	}
	var out []string
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// TestCommittedFilesAreGenerated: the committed templates are exactly what
// the generator writes (run `make generate` after changing the allowlist).
func TestCommittedFilesAreGenerated(t *testing.T) {
	for path, want := range Files() {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (run make generate)", path, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%s is stale: run make generate\n%s", path, cmp.Diff(string(want), string(got)))
		}
	}
}

// policyActions returns the sorted actions of a policy document's statements.
func policyActions(t *testing.T, doc []byte) []string {
	t.Helper()
	var d struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource string
		}
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("policy does not parse: %v\n%s", err, doc)
	}
	var out []string
	for _, s := range d.Statement {
		if s.Effect != "Allow" || s.Resource != "*" {
			t.Errorf("unexpected statement %+v", s)
		}
		out = append(out, s.Action...)
	}
	sort.Strings(out)
	return out
}

// TestTemplatesCarryTheAllowlist reads the policy back out of each
// committed template and compares its actions with the allowlist's: no
// more, no less.
func TestTemplatesCarryTheAllowlist(t *testing.T) {
	want := allowlistActions(readonly.CallerAuditRole)
	if len(want) == 0 {
		t.Fatal("empty allowlist")
	}

	cfn, err := os.ReadFile("cloudformation/audit-role-stackset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(cfn, &root); err != nil {
		t.Fatalf("CloudFormation template is not YAML: %v", err)
	}
	var tmpl struct {
		Resources struct {
			AuditRole struct {
				Properties struct {
					Policies []struct {
						PolicyDocument map[string]any `yaml:"PolicyDocument"`
					} `yaml:"Policies"`
				} `yaml:"Properties"`
			} `yaml:"AuditRole"`
		} `yaml:"Resources"`
	}
	if err := root.Decode(&tmpl); err != nil {
		t.Fatal(err)
	}
	pols := tmpl.Resources.AuditRole.Properties.Policies
	if len(pols) != 1 {
		t.Fatalf("CloudFormation role has %d policies, want 1", len(pols))
	}
	doc, _ := json.Marshal(pols[0].PolicyDocument)
	if diff := cmp.Diff(want, policyActions(t, doc)); diff != "" {
		t.Errorf("CloudFormation policy actions differ from the allowlist (-allowlist +template):\n%s", diff)
	}

	tf, err := os.ReadFile("terraform/modules/audit-role/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)policy = <<-EOT\n(.*?)\n\s*EOT`).FindSubmatch(tf)
	if m == nil {
		t.Fatal("no policy heredoc in the Terraform audit-role module")
	}
	if diff := cmp.Diff(want, policyActions(t, m[1])); diff != "" {
		t.Errorf("Terraform policy actions differ from the allowlist (-allowlist +module):\n%s", diff)
	}

	scannerTF, err := os.ReadFile("terraform/modules/scanner-role/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range allowlistActions(readonly.CallerManagement) {
		if !strings.Contains(string(scannerTF), `"`+a+`"`) {
			t.Errorf("scanner-role module lacks %s", a)
		}
	}
}

// TestActionsAreReadOrList: every action the roles are granted exists in the
// IAM action data with access level Read or List — except sts:AssumeRole
// of the scanning principal, which is how it reaches the audit roles — and
// none reads object data (no action on the S3 "object" resource type, no
// KMS cryptographic operation).
func TestActionsAreReadOrList(t *testing.T) {
	corpus := loadCorpusLevels(t)
	for _, caller := range []string{readonly.CallerAuditRole, readonly.CallerManagement, readonly.CallerScanner} {
		for _, a := range allowlistActions(caller) {
			info, ok := policy.LookupAction(a)
			if !ok {
				t.Errorf("%s (%s): not an IAM action in the generated action data", a, caller)
				continue
			}
			if corpus != nil && corpus[a] != info.AccessLevel {
				t.Errorf("%s: generated lookup says %q, ../shared/corpus/actions says %q", a, info.AccessLevel, corpus[a])
			}
			if a == "sts:AssumeRole" && caller == readonly.CallerScanner {
				continue
			}
			if !info.ReadOnly() {
				t.Errorf("%s (%s): access level %q, want Read or List", a, caller, info.AccessLevel)
			}
			for _, rt := range info.ResourceTypes {
				if strings.HasPrefix(a, "s3:") && rt == "object" {
					t.Errorf("%s acts on objects: the audit role must not read data", a)
				}
			}
		}
	}
	for _, a := range allowlistActions(readonly.CallerAuditRole) {
		if a == "s3:GetObject" || strings.HasPrefix(a, "kms:Decrypt") || strings.HasPrefix(a, "kms:GenerateDataKey") {
			t.Errorf("%s reads data", a)
		}
	}
}

// loadCorpusLevels reads the access level of every action from
// ../shared/corpus/actions, or returns nil (with a message) without it.
func loadCorpusLevels(t *testing.T) map[string]string {
	dir := filepath.Join("..", "..", "shared", "corpus", "actions")
	if _, err := os.Stat(dir); err != nil {
		if testenv.InCI() {
			t.Fatalf("CI requires the shared corpus for the cross-check: %s is absent", dir)
		}
		t.Logf("skipping the cross-check with the corpus: %s is absent", dir)
		return nil
	}
	out := map[string]string{}
	for _, f := range []string{"s3.json", "kms.json", "iam.json", "ec2.json", "sts.json", "organizations.json"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]struct {
			AccessLevel string `json:"accessLevel"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for k, v := range m {
			out[k] = v.AccessLevel
		}
	}
	return out
}

// TestGeneratedPoliciesLintClean: `bucketaudit lint` has nothing to say
// about the generated policies.
func TestGeneratedPoliciesLintClean(t *testing.T) {
	docs := map[string]Document{
		"permissions": PermissionsPolicy(),
		"trust":       TrustPolicy("arn:aws:iam::111111111111:role/BucketAuditScanner", "example-external-id", "o-a1b2c3d4e5"),
		"scanner":     ScannerPolicy("aws", "/", DefaultRoleName, "o-a1b2c3d4e5"),
	}
	for name, d := range docs {
		p, err := policy.Parse(d.JSON())
		if err != nil {
			t.Errorf("%s policy does not parse: %v", name, err)
			continue
		}
		if w := policy.Lint(p); len(w) > 0 {
			t.Errorf("%s policy has lint warnings: %v", name, w)
		}
	}
}
