package access

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// testOrg is an organisation for rule tests: management account
// 111111111111 (Root), members 222222222222 and 333333333333 (OU Prod, SCP
// p-denydelete), 444444444444 (OU Dev). Bucket "b" in 222222222222 is
// described by the bucket YAML (named "bkt"); extra is appended to account 222222222222
// (kms_keys, vpc_endpoints); rcps are attached to OU Prod.
func testOrg(bucket, extra string, prodPolicies ...string) string {
	pp := append([]string{"p-full"}, prodPolicies...)
	return fmt.Sprintf(`schema_version: 1
organization:
  id: o-test000001
  management_account_id: "111111111111"
  root:
    id: r-test
    policies: [p-full]
    accounts: ["111111111111"]
    ous:
      - id: ou-test-prod0001
        name: Prod
        policies: [%s]
        accounts: ["222222222222", "333333333333"]
      - id: ou-test-dev00001
        name: Dev
        policies: [p-full]
        accounts: ["444444444444"]
  policies:
    - {id: p-full, name: FullAWSAccess, type: SERVICE_CONTROL_POLICY, document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}}
    - {id: p-denydelete, name: DenyDelete, type: SERVICE_CONTROL_POLICY, document: {Version: "2012-10-17", Statement: [{Sid: NoDelete, Effect: Deny, Action: "s3:DeleteObject", Resource: "*"}]}}
    - {id: p-rcpext, name: OrgOnly, type: RESOURCE_CONTROL_POLICY, document: {Version: "2012-10-17", Statement: [{Sid: OrgOnly, Effect: Deny, Principal: "*", Action: ["s3:*", "kms:*"], Resource: "*", Condition: {StringNotEqualsIfExists: {"aws:PrincipalOrgID": o-test000001}, BoolIfExists: {"aws:PrincipalIsAWSService": "false"}}}]}}
    - {id: p-rcptls, name: TLSOnly, type: RESOURCE_CONTROL_POLICY, document: {Version: "2012-10-17", Statement: [{Sid: TLSOnly, Effect: Deny, Principal: "*", Action: "s3:*", Resource: "*", Condition: {BoolIfExists: {"aws:SecureTransport": "false"}}}]}}
accounts:
  - {id: "111111111111", policies: [p-full]}
  - id: "222222222222"
    policies: [p-full]
    buckets:
      - %s
    %s
  - {id: "333333333333", policies: [p-full]}
  - {id: "444444444444", policies: [p-full]}
`, strings.Join(pp, ", "), indent(bucket, "        "), indent(extra, "    "))
}

// indent indents every line but the first by prefix.
func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+prefix)
}

func analyzeYAML(t *testing.T, text string, trusted map[string]string) *model.Report {
	t.Helper()
	doc, err := inventory.Parse([]byte(text), t.Name())
	if err != nil {
		t.Fatalf("fixture: %v\n%s", err, text)
	}
	return analyzeValid(t, doc, Options{Now: func() time.Time { return time.Unix(0, 0) }, TrustedAccounts: trusted})
}

// analyzeValid analyses doc and checks that its report.json matches the
// schema.
func analyzeValid(t *testing.T, doc *inventory.Document, opts Options) *model.Report {
	t.Helper()
	data, rep := analyzeJSON(t, doc, opts)
	if err := model.ValidateJSON(data); err != nil {
		t.Fatal(err)
	}
	return rep
}

// analyzeJSON analyses doc and returns its report.json and the report.
func analyzeJSON(t *testing.T, doc *inventory.Document, opts Options) ([]byte, *model.Report) {
	t.Helper()
	rep, err := Analyze(context.Background(), doc, opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return data, rep
}

// cellAt returns a cell by path: "public.read", "org.write",
// "external.888877776666.list", "same_account.manage".
func cellAt(t *testing.T, b *model.Bucket, path string) model.Cell {
	t.Helper()
	parts := strings.Split(path, ".")
	var acts model.Actions
	switch parts[0] {
	case "public":
		acts = b.Access.Public
	case "any_aws":
		acts = b.Access.AnyAWS
	case "org":
		acts = b.Access.Org
	case "same_account":
		acts = b.Access.SameAccount
	case "external":
		e, ok := b.Access.External[parts[1]]
		if !ok {
			t.Fatalf("no external row %s (have %v)", parts[1], keys(b.Access.External))
		}
		acts = e.Actions
		parts = parts[1:]
	default:
		t.Fatalf("bad cell path %q", path)
	}
	switch parts[1] {
	case "read":
		return acts.Read
	case "list":
		return acts.List
	case "write":
		return acts.Write
	case "delete":
		return acts.Delete
	case "manage":
		return acts.Manage
	}
	t.Fatalf("bad cell path %q", path)
	return model.Cell{}
}

func keys[V any](m map[string]V) []string { return sortedKeys(m) }

func bucketNamed(t *testing.T, r *model.Report, name string) *model.Bucket {
	t.Helper()
	for i := range r.Buckets {
		if r.Buckets[i].Name == name {
			return &r.Buckets[i]
		}
	}
	t.Fatalf("no bucket %s", name)
	return nil
}

func hasFinding(b *model.Bucket, id string) bool {
	for _, f := range b.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// expectCell is one expected cell: verdict, and the layers decided_by must
// contain (and, if set, a condition substring and a reason substring).
type expectCell struct {
	path    string
	verdict model.Verdict
	layers  []string
	cond    string
	reason  string
	// narrowed must be in the cell's narrowed_to ("-": narrowed_to is empty).
	narrowed string
}

func checkCells(t *testing.T, b *model.Bucket, want []expectCell) {
	t.Helper()
	for _, w := range want {
		c := cellAt(t, b, w.path)
		ok := c.Verdict == w.verdict
		for _, l := range w.layers {
			found := false
			for _, h := range c.DecidedBy {
				if h == l {
					found = true
				}
			}
			ok = ok && found
		}
		if w.cond != "" && !strings.Contains(strings.Join(c.Conditions, "; "), w.cond) {
			ok = false
		}
		if w.reason != "" && !strings.Contains(c.Reason, w.reason) {
			ok = false
		}
		switch narrowed := strings.Join(c.NarrowedTo, "; "); {
		case w.narrowed == "-" && narrowed != "", w.narrowed != "-" && !strings.Contains(narrowed, w.narrowed):
			ok = false
		}
		if !ok {
			t.Errorf("%s: got %s %v %q narrowed to %q (%s); want %s with %v cond %q narrowed %q reason %q", w.path, c.Verdict, c.DecidedBy, c.Conditions, c.NarrowedTo, c.Reason, w.verdict, w.layers, w.cond, w.narrowed, w.reason)
		}
	}
}

// textDNF returns the dnf of alternatives of conditions known by their
// texts (textCond), as given (not normalised).
func textDNF(alts ...[]string) dnf {
	d := make(dnf, len(alts))
	for i, a := range alts {
		d[i] = textConj(a...)
	}
	return d
}

// eachDecidedBucket calls f for every bucket of doc with its report in
// rep and its layers in a fresh index of doc, evaluated quietly by a
// worker of their own: for the tests that decide principals one by one
// against the lists the analysis made.
func eachDecidedBucket(rep *model.Report, doc *inventory.Document, f func(ix *Index, w *worker, a *inventory.Account, b *inventory.Bucket, bl *BucketLayers, out *model.Bucket)) {
	ix := NewIndex(doc)
	w := newMatrixer(ix, nil, Options{}).newWorker()
	byName := map[string]*model.Bucket{}
	for i := range rep.Buckets {
		byName[rep.Buckets[i].Name] = &rep.Buckets[i]
	}
	for ai := range doc.Accounts {
		a := &doc.Accounts[ai]
		for bi := range a.Buckets {
			b := &a.Buckets[bi]
			bl := ix.NewBucketLayers(a, b)
			bl.ev, bl.scratch, bl.quiet = w.ev, &w.scratch, true
			f(ix, w, a, b, bl, byName[b.Name])
		}
	}
}

// principalEntry is how a cell lists the principal of caller decided on
// its own for action: its ARN when allowed, marked " (conditional)" when
// conditionally allowed, "" when not listed.
func principalEntry(bl *BucketLayers, caller *Caller, action string) string {
	switch bl.decide(caller, action, "").verdict {
	case model.VerdictAllow:
		return caller.Principal
	case model.VerdictConditional:
		return caller.Principal + " (conditional)"
	}
	return ""
}
