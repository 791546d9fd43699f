package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/demo"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// ocsfRequired lists, for the OCSF 1.6.0 IAM Analysis Finding class and
// the objects bucketaudit fills, the attributes the schema marks required
// (https://schema.ocsf.io/1.6.0/classes/iam_analysis_finding; its objects:
// https://schema.ocsf.io/1.6.0/objects/finding_info,
// https://schema.ocsf.io/1.6.0/objects/metadata,
// https://schema.ocsf.io/1.6.0/objects/access_analysis_result,
// https://schema.ocsf.io/1.6.0/objects/remediation,
// https://schema.ocsf.io/1.6.0/objects/cloud). The class also requires at
// least one of access_analysis_result, identity_activity_metrics and
// permission_analysis_results; bucketaudit fills access_analysis_result.
var ocsfRequired = map[string][]string{
	"":                                 {"activity_id", "category_uid", "class_uid", "finding_info", "metadata", "severity_id", "time", "type_uid", "access_analysis_result"},
	"finding_info":                     {"uid", "title"},
	"metadata":                         {"product", "version"},
	"access_analysis_result":           {"accessors"},
	"remediation":                      {"desc"},
	"cloud":                            {"provider"},
	"access_analysis_result.accessors": {"uid"},
	"resources":                        {"uid"},
}

// demoReport analyses the demo organisation, whose findings cover the
// whole catalogue (TestDemoCoversCatalogue).
func demoReport(t *testing.T) *model.Report {
	t.Helper()
	doc, err := inventory.Parse(demo.Fixture(), "demo/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := access.Analyze(context.Background(), doc, access.Options{TrustedAccounts: demo.TrustedAccounts(),
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }, ToolVersion: "test-1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestOCSFEvents writes the demo report as OCSF and checks every event:
// one per finding, every required attribute of the class and of its
// objects present and non-empty, type_uid = class_uid*100 + activity_id,
// the severity mapped, and each line decoding back into OCSFEvent.
func TestOCSFEvents(t *testing.T) {
	r := demoReport(t)
	out := writeFormat(t, FormatOCSF, r)
	want := map[string]int{} // finding id → count
	n := 0
	for _, a := range r.Accounts {
		for _, f := range a.Findings {
			want[f.ID]++
			n++
		}
	}
	for _, b := range r.Buckets {
		for _, f := range b.Findings {
			want[f.ID]++
			n++
		}
	}
	got := map[string]int{}
	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines++
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatalf("line %d is not JSON: %v", lines, err)
		}
		checkRequired(t, lines, "", raw)
		var ev OCSFEvent
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("line %d does not decode into OCSFEvent: %v", lines, err)
		}
		if ev.ClassUID != 2008 || ev.CategoryUID != 2 || ev.TypeUID != ev.ClassUID*100+ev.ActivityID || ev.ActivityID != 1 {
			t.Errorf("line %d: class %d category %d type %d activity %d", lines, ev.ClassUID, ev.CategoryUID, ev.TypeUID, ev.ActivityID)
		}
		if ev.Time != r.GeneratedAt.UnixMilli() || ev.Metadata.Version != "1.6.0" || ev.Metadata.Product.Version != "test-1.2.3" {
			t.Errorf("line %d: time %d, metadata %+v", lines, ev.Time, ev.Metadata)
		}
		if len(ev.FindingInfo.Types) != 1 {
			t.Fatalf("line %d: finding_info.types %v", lines, ev.FindingInfo.Types)
		}
		id := ev.FindingInfo.Types[0]
		got[id]++
		if sev := map[int]string{5: "critical", 4: "high", 3: "medium", 2: "low", 1: "info"}[ev.SeverityID]; sev == "" {
			t.Errorf("line %d: severity_id %d", lines, ev.SeverityID)
		}
		switch id {
		case model.FindingPublicRead:
			if ev.AccessAnalysisResult.Accessors[0].UID != "anonymous" || !slices.Contains(ev.AccessAnalysisResult.GrantedPrivileges, "s3:GetObject") {
				t.Errorf("public-read accessors %+v", ev.AccessAnalysisResult)
			}
		case model.FindingExternalViaRole:
			if strings.HasPrefix(ev.Message, "account 135792468013 ") && ev.AccessAnalysisResult.Accessors[0].UID != "135792468013" {
				t.Errorf("external-via-role accessors %+v", ev.AccessAnalysisResult.Accessors)
			}
		case model.FindingFederatedSubjectUnpinned:
			// The demo's github-deploy role: the accessor is GitHub's provider.
			if a := ev.AccessAnalysisResult.Accessors; len(a) != 1 || a[0].UID != "token.actions.githubusercontent.com" || a[0].Type != "Federated Identity Provider" ||
				ev.AccessAnalysisResult.AccessType != "Federated" {
				t.Errorf("federated-subject-unpinned access %+v", ev.AccessAnalysisResult)
			}
		}
		if ev.Resources[0].Type == "AWS::S3::Bucket" && !strings.HasPrefix(ev.Resources[0].UID, "arn:aws:s3:::") {
			t.Errorf("line %d: bucket resource uid %q", lines, ev.Resources[0].UID)
		}
	}
	if lines != n {
		t.Errorf("%d events, want %d (one per finding)", lines, n)
	}
	for id, c := range want {
		if got[id] != c {
			t.Errorf("%s: %d events, want %d", id, got[id], c)
		}
	}
	if _, ok := got[model.FindingExternalViaRole]; !ok {
		t.Error("no external-via-role event")
	}
}

// checkRequired asserts the required attributes of the object at path.
func checkRequired(t *testing.T, line int, path string, obj map[string]any) {
	t.Helper()
	for _, k := range ocsfRequired[path] {
		v, ok := obj[k]
		if !ok || v == nil || v == "" {
			t.Errorf("line %d: %s lacks required %q", line, strings.TrimPrefix(path+"."+k, "."), k)
			continue
		}
		if l, isList := v.([]any); isList && len(l) == 0 {
			t.Errorf("line %d: %s.%s is empty", line, path, k)
		}
	}
	for k, v := range obj {
		sub := strings.TrimPrefix(path+"."+k, ".")
		switch x := v.(type) {
		case map[string]any:
			checkRequired(t, line, sub, x)
		case []any:
			for _, e := range x {
				if m, ok := e.(map[string]any); ok {
					checkRequired(t, line, sub, m)
				}
			}
		}
	}
}
