package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/internal/golden"
)

func mustLoad(t *testing.T, path string) *Document {
	t.Helper()
	d, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoadFixture(t *testing.T) {
	d := mustLoad(t, "testdata/fixture.yaml")
	prod := d.Accounts[1]
	b := prod.Buckets[0]
	if b.Name != "prod-reports" || b.Region != "eu-west-1" || !b.Created.Equal(time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("bucket = %+v", b)
	}
	if !strings.Contains(b.Policy.String(), `"Principal":"*"`) {
		t.Errorf("YAML policy object not kept as JSON: %s", b.Policy)
	}
	// A policy given as a JSON string keeps its text.
	if got := d.Organization.Policies[1].Document.String(); !strings.HasPrefix(got, `{"Version": "2012-10-17",`) {
		t.Errorf("string policy = %s", got)
	}
	if d.Faults == nil || time.Duration(d.Faults.Latency) != 20*time.Millisecond || d.Faults.Errors[0].Times != 2 {
		t.Errorf("faults = %+v", d.Faults)
	}
	if prod.Buckets[1].Errors.Text(FieldPolicy) != "AccessDenied: Access Denied" {
		t.Errorf("errors = %v", prod.Buckets[1].Errors)
	}
}

// TestPolicyForms checks that a policy loads the same from a JSON object
// and from a JSON string (as AWS APIs return it).
func TestPolicyForms(t *testing.T) {
	base := `{"schema_version":1,"accounts":[{"id":"123456789012","buckets":[{"name":"b-1","region":"eu-west-1","policy":%s}]}]}`
	obj := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b-1/*"}]}`
	str := `"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b-1/*\"}]}"`
	a, err := Parse([]byte(strings.Replace(base, "%s", obj, 1)), "object")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse([]byte(strings.Replace(base, "%s", str, 1)), "string")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("object and string policies differ:\n%s", diff)
	}
}

// TestYAMLFlowStyle checks that a YAML document in flow style, which starts
// like JSON, still loads.
func TestYAMLFlowStyle(t *testing.T) {
	d, err := Parse([]byte(`{schema_version: 1, accounts: [{id: "123456789012"}]}`), "flow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Accounts) != 1 || d.Accounts[0].ID != "123456789012" {
		t.Errorf("accounts = %+v", d.Accounts)
	}
}

// TestParseErrors checks that problems name their path.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"empty", "", []string{"the document is empty"}},
		{"yaml syntax", "schema_version: 1\naccounts: [\n", []string{"invalid YAML", "line"}},
		{"json syntax", `{"schema_version": 1, "accounts": [}`, []string{"invalid JSON: line 1, column 36"}},
		{"duplicate yaml key", "schema_version: 1\nschema_version: 1\naccounts: []\n", []string{"invalid YAML"}},
		{"unknown key with suggestion", "schema_version: 1\naccounts:\n  - id: \"123456789012\"\n    bucket: []\n", []string{`accounts[0].bucket: unknown key (did you mean "buckets"?)`}},
		{"unquoted account id", "schema_version: 1\naccounts:\n  - id: 123456789012\n", []string{"accounts[0].id: expected a string, got number 123456789012 (quote numbers that are IDs"}},
		{"yaml boolean", "schema_version: 1\naccounts:\n  - id: \"123456789012\"\n    buckets: [{name: b-1, region: eu-west-1, versioning: true}]\n", []string{"accounts[0].buckets[0].versioning: expected a string, got boolean true"}},
		// YAML 1.2 (go.yaml.in/yaml/v3): on is a string, not YAML 1.1's boolean.
		{"yaml 1.2 on", "schema_version: 1\naccounts:\n  - id: \"123456789012\"\n    buckets: [{name: b-1, region: eu-west-1, versioning: on}]\n", []string{`accounts[0].buckets[0].versioning: "on" is not one of Enabled, Suspended`}},
		{"yaml duplicate key line", "schema_version: 1\naccounts: []\nschema_version: 1\n", []string{"invalid YAML: line 3: schema_version: duplicate key"}},
		{"yaml not a mapping", "- a\n- b\n", []string{"the document must be a mapping"}},
		{"yaml merge then override", "schema_version: 1\nx: &b {schema_version: 1}\ny:\n  <<: *b\n  schema_version: 2\naccounts: []\n", []string{"line 5: y.schema_version: duplicate key"}},
		{"yaml merge of a scalar", "schema_version: 1\ny:\n  <<: 3\naccounts: []\n", []string{"line 3: y.<<: a merge key (<<) must name a mapping"}},
		{"bad duration", "schema_version: 1\naccounts: [{id: \"123456789012\"}]\nfaults: {latency: fast}\n", []string{`faults.latency: invalid duration "fast"`}},
		{"bad timestamp", "schema_version: 1\naccounts: [{id: \"123456789012\", buckets: [{name: b-1, region: eu-west-1, created: yesterday}]}]\n", []string{"accounts[0].buckets[0].created: invalid timestamp"}},
		{"policy not object", `{"schema_version":1,"accounts":[{"id":"123456789012","buckets":[{"name":"b-1","region":"eu-west-1","policy":[1]}]}]}`, []string{"accounts[0].buckets[0].policy: expected a policy document"}},
		{"malformed policy string", `{"schema_version":1,"accounts":[{"id":"123456789012","buckets":[{"name":"b-1","region":"eu-west-1","policy":"{\"Version\":\n}"}]}]}`, []string{"accounts[0].buckets[0].policy: malformed policy JSON: line 2, column 1"}},
		{"no accounts key is fine but wrong version is not", `{"schema_version":3}`, []string{"schema_version: must be 1, got 3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "doc.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "doc.yaml: ") {
				t.Errorf("error does not name the file: %q", err)
			}
		})
	}
}

// TestValidateGolden checks the full list of problems of an invalid
// document against testdata/invalid.golden (go test -update rewrites it).
func TestValidateGolden(t *testing.T) {
	_, err := Load("testdata/invalid.yaml")
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *ValidationError, got %v", err)
	}
	golden.Check(t, "invalid.golden", []byte(err.Error()+"\n"))
}

func TestMarshalRoundTrip(t *testing.T) {
	d := mustLoad(t, "testdata/fixture.yaml")
	for _, asYAML := range []bool{false, true} {
		data, err := Marshal(d, asYAML)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(data, "marshalled")
		if err != nil {
			t.Fatalf("yaml=%v: marshalled document does not load: %v\n%s", asYAML, err, data)
		}
		if diff := cmp.Diff(d, back); diff != "" {
			t.Errorf("yaml=%v: round trip differs:\n%s", asYAML, diff)
		}
		again, _ := Marshal(back, asYAML)
		if string(again) != string(data) {
			t.Errorf("yaml=%v: Marshal is not deterministic", asYAML)
		}
	}
	y, _ := Marshal(d, true)
	// Account IDs stay strings in YAML; keys keep the struct order.
	if !strings.Contains(string(y), `- id: "222222222222"`) || strings.Index(string(y), "schema_version") > strings.Index(string(y), "accounts:") {
		t.Errorf("YAML output:\n%s", y)
	}
}

func TestSave(t *testing.T) {
	d := mustLoad(t, "testdata/fixture.yaml")
	dir := t.TempDir()
	for _, name := range []string{"snap.json", "snap.yaml", "snap.yml"} {
		path := filepath.Join(dir, name)
		if err := Save(path, d); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, st.Mode().Perm())
		}
		back := mustLoad(t, path)
		if diff := cmp.Diff(d, back); diff != "" {
			t.Errorf("%s: saved document differs:\n%s", name, diff)
		}
	}
	if err := Save(filepath.Join(dir, "snap.txt"), d); err == nil {
		t.Error("Save accepted an unknown extension")
	}
}

// TestNormalize checks that a fixture relying on defaults and a snapshot
// stating them explicitly (in another order, with scan metadata) compare
// equal, and that Normalize is idempotent.
func TestNormalize(t *testing.T) {
	fixture := mustLoad(t, "testdata/fixture.yaml")
	n := Normalize(fixture)
	if n.Faults != nil || n.Organization.ManagementCredentials != nil || n.Accounts[1].AuditRole != nil {
		t.Error("fixture-only fields kept")
	}
	if fixture.Faults == nil {
		t.Error("Normalize modified its argument")
	}
	prod := n.Accounts[1]
	if prod.OUPath != "Root/Workloads" || prod.CanonicalID != DefaultCanonicalID("222222222222") || prod.Status != AccountActive {
		t.Errorf("account defaults: %+v", prod)
	}
	logs := prod.Buckets[0] // sorted: prod-logs first
	if logs.Name != "prod-logs" || logs.Ownership != OwnershipBucketOwnerEnforced || logs.ACL == nil || logs.ACL.Grants[0].Permission != PermFullControl {
		t.Errorf("bucket defaults: %+v", logs)
	}
	// The aws:kms bucket without a key implies the AWS managed aws/s3 key in us-east-1.
	var managed *KMSKey
	for i := range prod.KMSKeys {
		if prod.KMSKeys[i].ARN == AWSManagedS3KeyARN("222222222222", "us-east-1") {
			managed = &prod.KMSKeys[i]
		}
	}
	if managed == nil || managed.Manager != KeyManagerAWS || !strings.Contains(managed.Policy.String(), "kms:ViaService") {
		t.Errorf("implicit aws/s3 key: %+v", managed)
	}
	if diff := cmp.Diff(n, Normalize(n)); diff != "" {
		t.Errorf("Normalize is not idempotent:\n%s", diff)
	}
	// A snapshot: scan metadata, explicit defaults, other order, pretty policies.
	snap := Clone(n)
	snap.Scan = &ScanInfo{StartedAt: time.Now(), Complete: true}
	snap.Accounts[0], snap.Accounts[1] = snap.Accounts[1], snap.Accounts[0]
	b := &snap.Accounts[0].Buckets[1]
	b.Policy = NewPolicyDocument([]byte("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::prod-reports/*\"}]\n}"))
	b.Tags["extra"] = "x"
	delete(b.Tags, "extra")
	snap.Accounts[0].Errors = Errors{}
	if diff := cmp.Diff(Normalize(fixture), Normalize(snap)); diff != "" {
		t.Errorf("fixture and equivalent snapshot differ:\n%s", diff)
	}
	// A real difference is still one.
	snap.Accounts[0].Buckets[1].Versioning = ""
	if cmp.Equal(Normalize(fixture), Normalize(snap)) {
		t.Error("Normalize hides a versioning difference")
	}
}

// TestCanonical checks that Canonical strips and sorts like Normalize but
// fills in no default, so that a field a scan did not record stays absent.
func TestCanonical(t *testing.T) {
	fixture := mustLoad(t, "testdata/fixture.yaml")
	c := Canonical(fixture)
	if c.Faults != nil || c.Organization.ManagementCredentials != nil || c.Accounts[1].AuditRole != nil {
		t.Error("fixture-only fields kept")
	}
	logs := c.Accounts[1].Buckets[0]
	if logs.Name != "prod-logs" || logs.Ownership != "" || logs.ACL != nil || c.Accounts[1].CanonicalID != "" || len(c.Accounts[1].KMSKeys) != 1 {
		t.Errorf("Canonical filled in defaults: %+v", c.Accounts[1])
	}
	if diff := cmp.Diff(Normalize(c), Normalize(fixture)); diff != "" {
		t.Errorf("Normalize(Canonical(d)) != Normalize(d):\n%s", diff)
	}
}

// TestValidateRules checks individual rules on small documents.
func TestValidateRules(t *testing.T) {
	org := func(tree string) string {
		return `{"schema_version":1,"organization":{"id":"o-a1b2c3d4e5","management_account_id":"111111111111","root":` + tree +
			`,"policies":[{"id":"p-1","name":"P","type":"SERVICE_CONTROL_POLICY","document":{"Version":"2012-10-17","Statement":[]}}]},` +
			`"accounts":[{"id":"111111111111"},{"id":"222222222222"}]}`
	}
	// scoped is a snapshot of organisation o-a1b2c3d4e5 (management account
	// 111111111111, members 222222222222 and 333333333333) that scanned
	// 222222222222 only.
	scoped := func(scan, orgExtra string) string {
		return `{"schema_version":1,"scan":{"started_at":"2024-01-01T00:00:00Z","finished_at":"2024-01-01T00:00:00Z","complete":true,` + scan + `},` +
			`"organization":{"id":"o-a1b2c3d4e5","management_account_id":"111111111111","root":{"id":"r-a1b2","accounts":["111111111111","222222222222","333333333333"]},` + orgExtra +
			`"policies":[{"id":"p-1","name":"P","type":"SERVICE_CONTROL_POLICY","document":{"Version":"2012-10-17","Statement":[]}}]},` +
			`"accounts":[{"id":"222222222222"}]}`
	}
	cases := []struct {
		name, doc, want string
	}{
		{"ok", org(`{"id":"r-a1b2","accounts":["111111111111","222222222222"]}`), ""},
		{"account not placed", org(`{"id":"r-a1b2","accounts":["111111111111"]}`), "accounts[1]: account 222222222222 is not placed"},
		{"unplaced allowed when the tree is incomplete", org(`{"id":"r-a1b2","accounts":["111111111111"],"errors":{"ous":"AccessDenied: x"}}`), ""},
		{"tree names a missing account", org(`{"id":"r-a1b2","accounts":["111111111111","222222222222","333333333333"]}`), "organization.root.accounts[2]: account 333333333333 is not listed in accounts"},
		{"account placed twice", org(`{"id":"r-a1b2","accounts":["111111111111","222222222222"],"ous":[{"id":"ou-a1b2-12345678","name":"X","accounts":["222222222222"]}]}`), "organization.root.ous[0].accounts[0]: account 222222222222 is already placed at organization.root.accounts[1]"},
		{"missing policy", org(`{"id":"r-a1b2","policies":["p-2"],"accounts":["111111111111","222222222222"]}`), `organization.root.policies[0]: policy "p-2" is not defined`},
		{"OU without name", org(`{"id":"r-a1b2","accounts":["111111111111","222222222222"],"ous":[{"id":"ou-a1b2-12345678"}]}`), "organization.root.ous[0].name: required"},
		{"duplicate bucket across accounts", `{"schema_version":1,"accounts":[{"id":"111111111111","buckets":[{"name":"b-1","region":"us-east-1"}]},{"id":"222222222222","buckets":[{"name":"b-1","region":"us-east-1"}]}]}`, "accounts[1].buckets[0].name: duplicate bucket name b-1 (also accounts[0].buckets[0])"},
		{"region may be absent when unreadable", `{"schema_version":1,"accounts":[{"id":"111111111111","buckets":[{"name":"b-1","errors":{"region":"AccessDenied: x"}}]}]}`, ""},
		{"bucket name as an IP", `{"schema_version":1,"accounts":[{"id":"111111111111","buckets":[{"name":"192.168.1.10","region":"us-east-1"}]}]}`, "formatted as an IP address"},
		{"key of another account", `{"schema_version":1,"accounts":[{"id":"111111111111","kms_keys":[{"arn":"arn:aws:kms:us-east-1:222222222222:key/k"}]}]}`, "key belongs to account 222222222222"},
		{"customer key with an AWS alias", `{"schema_version":1,"accounts":[{"id":"111111111111","kms_keys":[{"arn":"arn:aws:kms:us-east-1:111111111111:key/k","aliases":["alias/aws/s3"]}]}]}`, "reserved for AWS managed keys"},
		// Unique IDs: AROA (role) or AIDA (user), then upper-case letters
		// and digits, 16 to 128 characters
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes,
		// https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html).
		{"role unique ID", `{"schema_version":1,"accounts":[{"id":"111111111111","iam":{"roles":[{"arn":"arn:aws:iam::111111111111:role/x","id":"AROADBQP57FF2AEXAMPLE"}],"users":[{"arn":"arn:aws:iam::111111111111:user/u","id":"AIDACKCEVSQ6C2EXAMPLE"}]}}]}`, ""},
		{"role unique ID of a user", `{"schema_version":1,"accounts":[{"id":"111111111111","iam":{"roles":[{"arn":"arn:aws:iam::111111111111:role/x","id":"AIDACKCEVSQ6C2EXAMPLE"}]}}]}`, `accounts[0].iam.roles[0].id: "AIDACKCEVSQ6C2EXAMPLE" is not the unique ID of an IAM role (AROA followed by upper-case letters and digits, 16 to 128 characters)`},
		{"user unique ID in lower case", `{"schema_version":1,"accounts":[{"id":"111111111111","iam":{"users":[{"arn":"arn:aws:iam::111111111111:user/u","id":"AIDAckcevsq6c2example"}]}}]}`, `accounts[0].iam.users[0].id: "AIDAckcevsq6c2example" is not the unique ID of an IAM user`},
		{"unique ID too short", `{"schema_version":1,"accounts":[{"id":"111111111111","iam":{"roles":[{"arn":"arn:aws:iam::111111111111:role/x","id":"AROA1"}]}}]}`, `accounts[0].iam.roles[0].id: "AROA1" is not the unique ID`},
		{"IAM role of another account", `{"schema_version":1,"accounts":[{"id":"111111111111","iam":{"roles":[{"arn":"arn:aws:iam::222222222222:role/x"}]}}]}`, "does not belong to account 111111111111"},
		{"fault bucket on another service", `{"schema_version":1,"accounts":[{"id":"111111111111"}],"faults":{"errors":[{"service":"kms","bucket":"b","code":"X"}]}}`, "faults.errors[0].bucket: only allowed with service s3"},
		// A scan limited by its scope reads the whole OU tree but lists only
		// the accounts in scope; the others are in scan.excluded_accounts.
		{"scoped snapshot", scoped(`"excluded_accounts":["111111111111","333333333333"]`, `"account_policies":{"333333333333":["p-1"],"111111111111":[]},`), ""},
		{"tree names an account neither scanned nor excluded", scoped(`"excluded_accounts":["111111111111"]`, ""), "organization.root.accounts[2]: account 333333333333 is not listed in accounts (nor in scan.excluded_accounts)"},
		{"management account neither scanned nor excluded", scoped(`"excluded_accounts":["333333333333"]`, ""), "organization.management_account_id: account 111111111111 is not listed in accounts (nor in scan.excluded_accounts)"},
		{"excluded and scanned", scoped(`"excluded_accounts":["111111111111","222222222222","333333333333"]`, ""), "scan.excluded_accounts[1]: account 222222222222 is listed in accounts too"},
		{"excluded twice", scoped(`"excluded_accounts":["111111111111","333333333333","333333333333"]`, ""), "scan.excluded_accounts[2]: account 333333333333 is listed twice"},
		{"excluded outside the tree", scoped(`"excluded_accounts":["111111111111","333333333333","444444444444"]`, ""), "scan.excluded_accounts: account 444444444444 is not placed in the organization's OU tree"},
		{"excluded without an organization", `{"schema_version":1,"scan":{"started_at":"2024-01-01T00:00:00Z","finished_at":"2024-01-01T00:00:00Z","complete":true,"excluded_accounts":["333333333333"]},"accounts":[{"id":"222222222222"}]}`, "scan.excluded_accounts[0]: accounts excluded by the scope need the organization"},
		{"account policies of a scanned account", scoped(`"excluded_accounts":["111111111111","333333333333"]`, `"account_policies":{"222222222222":["p-1"]},`), "organization.account_policies.222222222222: account 222222222222 is listed in accounts"},
		{"account policies of an undefined policy", scoped(`"excluded_accounts":["111111111111","333333333333"]`, `"account_policies":{"333333333333":["p-9"]},`), `organization.account_policies.333333333333[0]: policy "p-9" is not defined`},
		{"standalone account", `{"schema_version":1,"accounts":[{"id":"111111111111","membership":{"standalone":true}}]}`, ""},
		{"member of an organisation not walked", `{"schema_version":1,"accounts":[{"id":"111111111111","membership":{"organization_id":"o-a1b2c3d4e5","management_account_id":"999999999999"},"errors":{"organization":"OrganizationNotRead: x"}}]}`, ""},
		{"membership without an organisation ID", `{"schema_version":1,"accounts":[{"id":"111111111111","membership":{"management_account_id":"999999999999"}}]}`, "accounts[0].membership.organization_id: required"},
		{"standalone with an organisation", `{"schema_version":1,"accounts":[{"id":"111111111111","membership":{"standalone":true,"organization_id":"o-a1b2c3d4e5"}}]}`, "accounts[0].membership: a standalone account has no organization_id"},
		{"membership next to the organization section", `{"schema_version":1,"organization":{"id":"o-a1b2c3d4e5","management_account_id":"111111111111","root":{"id":"r-a1b2","accounts":["111111111111"]}},"accounts":[{"id":"111111111111","membership":{"standalone":true}}]}`, "accounts[0].membership: only in a document without an organization section"},
		{"ACL not collected with ACLs disabled", `{"schema_version":1,"accounts":[{"id":"111111111111","buckets":[{"name":"b-1","region":"us-east-1","ownership":"BucketOwnerEnforced","not_collected":["acl","tags","versioning"]}]}]}`, ""},
		{"ACL not collected with ACLs enabled", `{"schema_version":1,"accounts":[{"id":"111111111111","buckets":[{"name":"b-1","region":"us-east-1","ownership":"ObjectWriter","not_collected":["acl"]}]}]}`, "accounts[0].buckets[0].not_collected[0]: the ACL may be left uncollected only when ownership is BucketOwnerEnforced (ACLs disabled), not ObjectWriter"},
		{"ACL not collected and stated", `{"schema_version":1,"accounts":[{"id":"111111111111","buckets":[{"name":"b-1","region":"us-east-1","acl":{"owner_id":""},"not_collected":["acl"]}]}]}`, "acl is not collected but the bucket states one"},
		{"versioning not collected and stated", `{"schema_version":1,"accounts":[{"id":"111111111111","buckets":[{"name":"b-1","region":"us-east-1","versioning":"Enabled","not_collected":["versioning"]}]}]}`, `versioning is not collected but the bucket states "Enabled"`},
		{"policy cannot be left uncollected", `{"schema_version":1,"accounts":[{"id":"111111111111","buckets":[{"name":"b-1","region":"us-east-1","not_collected":["policy"]}]}]}`, `accounts[0].buckets[0].not_collected[0]: "policy" is not a field that may be left uncollected`},
		{"not collected and an error", `{"schema_version":1,"accounts":[{"id":"111111111111","buckets":[{"name":"b-1","region":"us-east-1","not_collected":["tags"],"errors":{"tags":"AccessDenied: x"}}]}]}`, "tags is both not collected and an error"},
		{"account of another shard", `{"schema_version":1,"scan":{"started_at":"2024-01-01T00:00:00Z","finished_at":"2024-01-01T00:00:00Z","complete":true,"shard":{"index":1,"count":4}},"accounts":[{"id":"111111111111"}]}`, "accounts[0].id: account 111111111111 belongs to shard 3/4, not to this shard 1/4"},
		{"shard out of range", `{"schema_version":1,"scan":{"started_at":"2024-01-01T00:00:00Z","finished_at":"2024-01-01T00:00:00Z","complete":true,"shard":{"index":5,"count":4}},"accounts":[]}`, "scan.shard: shard 5/4: want 1 <= index <= count"},
		{"foreign key of an account of the shard", `{"schema_version":1,"scan":{"started_at":"2024-01-01T00:00:00Z","finished_at":"2024-01-01T00:00:00Z","complete":true,"shard":{"index":3,"count":4,"kms_keys":{"111111111111":[{"arn":"arn:aws:kms:us-east-1:111111111111:key/k"}]}}},"accounts":[{"id":"111111111111"}]}`, "scan.shard.kms_keys.111111111111: account 111111111111 is in this shard"},
		{"foreign key of another account", `{"schema_version":1,"scan":{"started_at":"2024-01-01T00:00:00Z","finished_at":"2024-01-01T00:00:00Z","complete":true,"shard":{"index":3,"count":4,"kms_keys":{"222222222222":[{"arn":"arn:aws:kms:us-east-1:333333333333:key/k"}]}}},"accounts":[]}`, "key belongs to account 333333333333, not to 222222222222"},
		{"organisation walk with buckets", `{"schema_version":1,"scan":{"started_at":"2024-01-01T00:00:00Z","finished_at":"2024-01-01T00:00:00Z","complete":true,"org_only":true},"organization":{"id":"o-a1b2c3d4e5","management_account_id":"111111111111","root":{"id":"r-a1b2","accounts":["111111111111"]}},"accounts":[{"id":"111111111111","buckets":[{"name":"b-1","region":"us-east-1"}]}]}`, "accounts[0]: an organisation walk holds no collected data"},
		{"management credentials incomplete", `{"schema_version":1,"organization":{"id":"o-a1b2c3d4e5","management_account_id":"111111111111","management_credentials":{"access_key_id":"AKIAEXAMPLEMGMT00001"},"root":{"id":"r-a1b2","accounts":["111111111111"]}},"accounts":[{"id":"111111111111"}]}`, "organization.management_credentials.secret_access_key: required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "doc")
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v does not contain %q", err, tc.want)
			}
		})
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts
// marshals and loads back to the same document.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/fixture.yaml", "testdata/invalid.yaml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"schema_version":1,"accounts":[{"id":"123456789012","buckets":[{"name":"b-1","region":"eu-west-1","policy":"{}"}]}]}`))
	f.Add([]byte("schema_version: 1\naccounts: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data, "fuzz")
		if err != nil {
			return
		}
		for _, asYAML := range []bool{false, true} {
			out, err := Marshal(d, asYAML)
			if err != nil {
				t.Fatalf("Marshal(yaml=%v) of an accepted document: %v", asYAML, err)
			}
			back, err := Parse(out, "again")
			if err != nil {
				t.Fatalf("yaml=%v: marshalled document does not load: %v\n%s", asYAML, err, out)
			}
			if !cmp.Equal(Normalize(d), Normalize(back)) {
				t.Fatalf("yaml=%v: round trip changed the document:\n%s", asYAML, cmp.Diff(Normalize(d), Normalize(back)))
			}
		}
		_ = Normalize(d)
	})
}

// TestShardOf: an account's shard depends on its ID alone (pinned: a new
// hash would move accounts between shards of one scan run by two
// versions), is within 1..N, and spreads accounts evenly.
func TestShardOf(t *testing.T) {
	for _, tt := range []struct {
		id       string
		n, shard int
	}{{"111111111111", 4, 3}, {"222222222222", 4, 4}, {"333333333333", 4, 1}, {"333333333333", 1, 1}} {
		if got := ShardOf(tt.id, tt.n); got != tt.shard {
			t.Errorf("ShardOf(%s, %d) = %d, want %d", tt.id, tt.n, got, tt.shard)
		}
	}
	const n, accounts = 8, 8000
	counts := make([]int, n+1)
	for i := range accounts {
		k := ShardOf(fmt.Sprintf("%012d", 100000000000+i), n)
		if k < 1 || k > n {
			t.Fatalf("shard %d outside 1..%d", k, n)
		}
		counts[k]++
	}
	for k := 1; k <= n; k++ {
		if c := counts[k]; c < accounts/n*8/10 || c > accounts/n*12/10 {
			t.Errorf("shard %d/%d holds %d of %d sequential account IDs, want within 20%% of %d", k, n, c, accounts, accounts/n)
		}
	}
}

// TestYAMLToJSONOrderAliasesMerges: the YAML → JSON conversion keeps every
// mapping's key order (an embedded policy's statements and keys read as
// written), expands aliases and merge keys in place, and keeps timestamps
// as the strings they were written as.
func TestYAMLToJSONOrderAliasesMerges(t *testing.T) {
	src := "z: 1\na: &p {Version: \"2012-10-17\", Statement: [{Sid: B, Effect: Deny}, {Sid: A, Effect: Allow}]}\nm:\n  <<: *p\n  Id: x\nc: *p\nd: 2024-01-02\nn: ~\n"
	got, err := yamlToJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p := `{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Deny"},{"Sid":"A","Effect":"Allow"}]}`
	want := `{"z":1,"a":` + p + `,"m":{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Deny"},{"Sid":"A","Effect":"Allow"}],"Id":"x"},"c":` + p + `,"d":"2024-01-02","n":null}`
	if string(got) != want {
		t.Errorf("yamlToJSON =\n%s\nwant\n%s", got, want)
	}
}
