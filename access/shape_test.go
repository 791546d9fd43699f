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
	for name, load := range map[string]func() *inventory.Document{
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
			rep, err := Analyze(context.Background(), load(), Options{Now: func() time.Time { return time.Unix(0, 0) }, noShapes: noShapes})
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
