package access

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// FuzzAnalyze feeds Analyze any inventory document the loader accepts:
// it must never panic, and its report must match the JSON Schema. (The seeds
// are small: the fuzzer minimises every interesting input by re-running
// Analyze on it.)
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte(testOrg("name: bkt\nregion: eu-west-1\nownership: ObjectWriter\nacl: {grants: [{grantee: {type: Group, uri: \"http://acs.amazonaws.com/groups/global/AllUsers\"}, permission: WRITE}]}", "")))
	f.Add([]byte(testOrg("name: bkt\nregion: eu-west-1\nerrors: {policy: \"AccessDenied: x\", ownership: \"AccessDenied: y\", encryption: \"AccessDenied: z\"}", "", "p-rcpext")))
	f.Add([]byte(`{"schema_version":1,"accounts":[{"id":"123456789012","buckets":[{"name":"solo-bucket","region":"us-east-1","policy":{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := inventory.Parse(data, "fuzz")
		if err != nil {
			return
		}
		rep, err := Analyze(context.Background(), doc, Options{Now: func() time.Time { return time.Unix(0, 0) }})
		if err != nil {
			t.Fatalf("Analyze: %v", err)
		}
		out, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		if err := model.ValidateJSON(out); err != nil {
			t.Fatal(err)
		}
	})
}
