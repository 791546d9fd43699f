package access

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
)

// TestShapesChangeNothing checks that reusing the matrix of a bucket of the
// same shape gives exactly the report computed bucket by bucket.
func TestShapesChangeNothing(t *testing.T) {
	run := func(noShapes bool) []byte {
		doc := fakeaws.Synthetic(6, 40)
		rep, err := Analyze(context.Background(), doc, Options{Now: func() time.Time { return time.Unix(0, 0) }, noShapes: noShapes})
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
		t.Errorf("reports differ with and without shape reuse:\n%s", cmp.Diff(string(alone), string(shared)))
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
