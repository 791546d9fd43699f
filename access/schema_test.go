package access

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
)

// The schema accepts a real report and rejects one that breaks it.
func TestSchemaRejects(t *testing.T) {
	rep := analyzeYAML(t, testOrg("name: bkt\nregion: eu-west-1", ""), nil)
	good, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := model.ValidateJSON(good); err != nil {
		t.Fatalf("a real report does not validate: %v", err)
	}
	for name, edit := range map[string]func(r *model.Report){
		"bad verdict":           func(r *model.Report) { r.Buckets[0].Access.Public.Read.Verdict = "maybe" },
		"bad layer":             func(r *model.Report) { r.Buckets[0].Access.Org.List.DecidedBy = []string{"firewall"} },
		"conditional, no conds": func(r *model.Report) { r.Buckets[0].Access.Public.Read.Verdict = model.VerdictConditional },
		"bad finding id": func(r *model.Report) {
			r.Buckets[0].Findings = append(r.Buckets[0].Findings, model.Finding{ID: "made-up", Severity: "low", Title: "t", Detail: "d", Remediation: "r"})
		},
		"bad external key": func(r *model.Report) {
			r.Buckets[0].Access.External["partner"] = model.ExternalActions{Actions: r.Buckets[0].Access.Public}
		},
		"no assumptions": func(r *model.Report) { r.Assumptions = nil },
	} {
		var r model.Report
		if err := json.Unmarshal(good, &r); err != nil {
			t.Fatal(err)
		}
		edit(&r)
		bad, _ := json.Marshal(&r)
		if err := model.ValidateJSON(bad); err == nil || !strings.Contains(err.Error(), "schema") {
			t.Errorf("%s: accepted (err %v)", name, err)
		}
	}
}
