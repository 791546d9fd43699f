package access

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestShapesChangeNothing checks that reusing the matrix of a bucket of the
// same shape gives exactly the report computed bucket by bucket.
func TestShapesChangeNothing(t *testing.T) {
	// Two buckets alike but for the canonical user their ACL grants READ
	// to (IDs that share the 12 digits reasons show).
	grantTo := func(name, id string) string {
		return "- {name: " + name + ", region: eu-west-1, ownership: ObjectWriter, acl: {grants: [{grantee: {type: CanonicalUser, id: " + id + "}, permission: READ}]}}"
	}
	canonical := `schema_version: 1
accounts:
  - id: "222222222222"
    buckets:
      ` + grantTo("bkt1", "aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111") + `
      ` + grantTo("bkt2", "aaaaaaaaaaaa2222222222222222222222222222222222222222222222222222") + `
`
	// Buckets alike whose names IAM principals' policies match differently.
	iam := `schema_version: 1
accounts:
  - id: "222222222222"
    buckets:
      - {name: logs-a, region: eu-west-1}
      - {name: logs-b, region: eu-west-1}
      - {name: data-a, region: eu-west-1}
      - {name: data-b, region: eu-west-1, policy: {Version: "2012-10-17", Statement: [{Effect: Deny, Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::data-b/secret/*"}]}}
      - {name: data-c, region: eu-west-1, policy: {Version: "2012-10-17", Statement: [{Effect: Deny, Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::data-c/secret/*"}]}}
    iam:
      roles:
        - arn: arn:aws:iam::222222222222:role/one-bucket
          inline_policies: {p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: ["arn:aws:s3:::logs-a", "arn:aws:s3:::logs-a/*"]}]}}
        - arn: arn:aws:iam::222222222222:role/prefix
          inline_policies: {p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::data-*/*"}, {Effect: Deny, Action: "s3:GetObject", NotResource: "arn:aws:s3:::data-c/*"}]}}
        - arn: arn:aws:iam::222222222222:role/keys
          inline_policies: {p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::*/secret/*"}]}}
  - id: "333333333333"
    buckets:
      - {name: 333333333333-home, region: eu-west-1}
      - {name: home-b, region: eu-west-1}
    iam:
      users:
        - arn: arn:aws:iam::333333333333:user/home
          inline_policies: {p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "arn:aws:s3:::${aws:PrincipalAccount}-*"}]}}
`
	for name, load := range map[string]func() *inventory.Document{
		"IAM principals naming buckets": func() *inventory.Document {
			doc, err := inventory.Parse([]byte(iam), "iam.yaml")
			if err != nil {
				t.Fatal(err)
			}
			return doc
		},
		"synthetic": func() *inventory.Document { return fakeaws.Synthetic(6, 40) },
		"canonical grantees": func() *inventory.Document {
			doc, err := inventory.Parse([]byte(canonical), "canonical.yaml")
			if err != nil {
				t.Fatal(err)
			}
			return doc
		},
	} {
		run := func(noShapes bool) []byte {
			// One worker: reuse then happens in a fixed order (with more, a
			// bucket may be computed while its twin is, and reuse nothing).
			rep, err := Analyze(context.Background(), load(), Options{Now: func() time.Time { return time.Unix(0, 0) }, noShapes: noShapes, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			data, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
		shared, alone := run(false), run(true)
		if string(shared) != string(alone) {
			t.Errorf("%s: reports differ with and without shape reuse:\n%s", name, cmp.Diff(string(alone), string(shared)))
		}
	}
}

func TestNameIndependent(t *testing.T) {
	for text, want := range map[string]bool{
		`{"Resource":"arn:aws:s3:::` + "\x00" + `/*"}`:       true,
		`{"Resource":["arn:aws:s3:::*","arn:aws:s3:::*/*"]}`: true,
		`{"Resource":"*"}`:                           true,
		`{"Resource":"arn:aws:s3:::other-bucket/*"}`: false,
		`{"Resource":"arn:aws:s3:::*-logs/*"}`:       false,
		`{"Resource":"arn:aws:s3:::log*"}`:           false,
	} {
		if got := nameIndependent(text); got != want {
			t.Errorf("nameIndependent(%q) = %t, want %t", text, got, want)
		}
	}
}
