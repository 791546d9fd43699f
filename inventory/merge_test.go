package inventory

import (
	"strings"
	"testing"
)

const orgHead = `schema_version: 1
organization:
  id: o-abcdefghij
  management_account_id: "111111111111"
  root:
    id: r-abcd
    policies: [p-FullAWSAccess]
    accounts: ["111111111111", "222222222222", "333333333333"]
  policies:
    - id: p-FullAWSAccess
      name: FullAWSAccess
      type: SERVICE_CONTROL_POLICY
      document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
`

func parseDoc(t *testing.T, text string) *Document {
	t.Helper()
	d, err := Parse([]byte(text), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMerge(t *testing.T) {
	accounts := `accounts:
  - {id: "111111111111", policies: [p-FullAWSAccess]}
  - {id: "222222222222", policies: [p-FullAWSAccess]}
  - {id: "333333333333", policies: [p-FullAWSAccess]}
`
	euWest := parseDoc(t, orgHead+accounts+`
scan: {started_at: 2026-01-01T10:00:00Z, finished_at: 2026-01-01T10:05:00Z, complete: true, regions: [eu-west-1], trusted_accounts: {"999999999999": partner}}
`)
	euWest.Accounts[1].Buckets = []Bucket{{Name: "eu-data", Region: "eu-west-1"}}
	usEast := parseDoc(t, orgHead+accounts+`
scan: {started_at: 2026-01-01T09:00:00Z, finished_at: 2026-01-01T10:06:00Z, complete: false, regions: [us-east-1]}
`)
	usEast.Accounts[1].Buckets = []Bucket{{Name: "us-data", Region: "us-east-1"}}
	usEast.Accounts[2].Errors = Errors{KeyIAM: {Code: "AccessDenied", Message: "no"}}

	got, err := Merge([]*Document{euWest, usEast}, []string{"eu.json", "us.json"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Accounts); n != 3 {
		t.Fatalf("merged accounts = %d, want 3", n)
	}
	var names []string
	for _, b := range got.Accounts[1].Buckets {
		names = append(names, b.Name)
	}
	if strings.Join(names, ",") != "eu-data,us-data" {
		t.Errorf("merged buckets = %v", names)
	}
	if !got.Accounts[2].Errors.Has("iam") {
		t.Error("errors of the second snapshot were lost")
	}
	s := got.Scan
	if s.Complete || !s.StartedAt.Equal(usEast.Scan.StartedAt) || !s.FinishedAt.Equal(usEast.Scan.FinishedAt) ||
		strings.Join(s.Regions, ",") != "eu-west-1,us-east-1" || s.TrustedAccounts["999999999999"] != "partner" {
		t.Errorf("merged scan info = %+v", s)
	}

	// The same bucket twice, differently: refused.
	dup := parseDoc(t, orgHead+accounts)
	dup.Accounts[1].Buckets = []Bucket{{Name: "eu-data", Region: "eu-west-2"}}
	if _, err := Merge([]*Document{euWest, dup}, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "bucket eu-data differs") {
		t.Errorf("conflicting bucket: err = %v", err)
	}
	// Another organisation: refused.
	other := parseDoc(t, strings.Replace(orgHead, "o-abcdefghij", "o-zzzzzzzzzz", 1)+accounts)
	if _, err := Merge([]*Document{euWest, other}, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "different organisations") {
		t.Errorf("different organisations: err = %v", err)
	}
}

// TestShardMergeErrors: Merge refuses shards that cannot make one scan,
// each with a clear error.
func TestShardMergeErrors(t *testing.T) {
	shardDoc := func(orgID string, k, n int, accounts ...string) *Document {
		d := &Document{SchemaVersion: SchemaVersion, Scan: &ScanInfo{Shard: &Shard{Index: k, Count: n}},
			Organization: &Organization{ID: orgID}}
		for _, a := range accounts {
			d.Accounts = append(d.Accounts, Account{ID: a})
		}
		return d
	}
	plain := &Document{SchemaVersion: SchemaVersion, Scan: &ScanInfo{}}
	walk := &Document{SchemaVersion: SchemaVersion, Scan: &ScanInfo{OrgOnly: true}}
	tests := []struct {
		name string
		docs []*Document
		want string
	}{
		{"missing", []*Document{shardDoc("o-1", 1, 3), shardDoc("o-1", 3, 3)}, "missing shard(s) 2/3"},
		{"twice", []*Document{shardDoc("o-1", 1, 2), shardDoc("o-1", 1, 2), shardDoc("o-1", 2, 2)}, "shard 1/2 is given twice (a and b)"},
		{"overlap", []*Document{shardDoc("o-1", 1, 2, "111111111111"), shardDoc("o-1", 2, 2, "111111111111")}, "account 111111111111 is in two shards (a and b)"},
		{"counts", []*Document{shardDoc("o-1", 1, 2), shardDoc("o-1", 2, 3)}, "shard 1/2 but b is shard 2/3"},
		{"organisations", []*Document{shardDoc("o-1", 1, 2), shardDoc("o-2", 2, 2)}, "different organisations (o-1, o-2)"},
		{"with a plain snapshot", []*Document{shardDoc("o-1", 1, 1), plain}, "a is a shard of a sharded scan and b is not"},
		{"organisation walk", []*Document{walk}, "a is an organisation walk (scan --org-only)"},
	}
	for _, tt := range tests {
		names := []string{"a", "b", "c"}[:len(tt.docs)]
		if _, err := Merge(tt.docs, names); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
