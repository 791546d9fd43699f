package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// principalsReport is the sample report with principals in its first
// bucket's cells: two roles of two accounts read it (one conditionally),
// and account 444444444444's principals could not be listed.
func principalsReport() *model.Report {
	r := sampleReport()
	b := &r.Buckets[0]
	b.Access.Org.Read.PrincipalAccess = []model.PrincipalAccess{
		{ARN: "arn:aws:iam::222222222222:role/app", Account: "222222222222", Type: model.PrincipalRole, Verdict: model.VerdictAllow,
			Statements: []string{`inline policy p of arn:aws:iam::222222222222:role/app statement "Read"`, `the bucket policy statement "OrgRead"`}},
		{ARN: "arn:aws:iam::333333333333:role/etl", Account: "333333333333", Type: model.PrincipalRole, Verdict: model.VerdictConditional,
			Via: []string{"arn:aws:iam::333333333333:user/alice"}, Statements: []string{`the bucket policy statement "ViaVPCE"`}, Conditions: []string{"aws:SourceVpce = vpce-1"}},
	}
	b.Access.Org.Read.PrincipalsUnlisted = []string{"444444444444"}
	return r
}

// TestXLSXPrincipalsSheet: one row per bucket, action and principal, with
// its verdict, path and why; a row for the accounts not listed; the Matrix
// cell counts them; an autofilter over the table.
func TestXLSXPrincipalsSheet(t *testing.T) {
	r := principalsReport()
	f, data := writeXLSX(t, r)
	b := r.Buckets[0]
	want := [][]string{
		{"Bucket account ID", "Bucket", "Action", "Principal", "Account", "Type", "Verdict", "Via", "Why"},
		{b.AccountID, b.Name, "read", "arn:aws:iam::222222222222:role/app", "222222222222", "role", "allow", "",
			`inline policy p of arn:aws:iam::222222222222:role/app statement "Read", the bucket policy statement "OrgRead"`},
		{b.AccountID, b.Name, "read", "arn:aws:iam::333333333333:role/etl", "333333333333", "role", "conditional", "arn:aws:iam::333333333333:user/alice",
			`the bucket policy statement "ViaVPCE"; only if aws:SourceVpce = vpce-1`},
		{b.AccountID, b.Name, "read", "principals not listed (org): 444444444444", "", "", string(b.Access.Org.Read.Verdict), "", b.Access.Org.Read.Reason},
	}
	if diff := cmp.Diff(want, rows(t, f, "Principals")); diff != "" {
		t.Errorf("Principals (-want +got):\n%s", diff)
	}
	xml := zipEntry(t, data, sheetPart(t, f, "Principals"))
	if m := regexp.MustCompile(`<autoFilter ref="([A-Z0-9:$]+)"`).FindStringSubmatch(xml); m == nil || strings.ReplaceAll(m[1], "$", "") != "A1:I4" {
		t.Errorf("Principals autoFilter %v, want A1:I4", m)
	}
	// The Matrix's org read cell counts them.
	col := matrixColumn(t, f, "org read")
	if got := rows(t, f, "Matrix")[1][col]; got != string(b.Access.Org.Read.Verdict)+" · 2 roles in 2 accounts" {
		t.Errorf("Matrix org read = %q", got)
	}
}

// TestXLSXPrincipalsRowLimit: past Excel's row limit the rows are counted
// and a last row says how many report.json has beyond it.
func TestXLSXPrincipalsRowLimit(t *testing.T) {
	r := principalsReport()
	var buf bytes.Buffer
	w, err := newXLSXWriter(&buf, t.TempDir(), Layout{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.principals.limit = 2 // as if Excel held two rows
	for i := range r.Buckets {
		if err := w.Bucket(&r.Buckets[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs := rows(t, f, "Principals")
	if len(rs) != 4 || rs[3][3] != fmt.Sprintf("%d more rows beyond Excel's row limit: see report.json (principal_access)", 1) {
		t.Errorf("rows %q, want 2 and the note of 1 more", rs)
	}
}

// matrixColumn returns the index of the Matrix sheet's column named name.
func matrixColumn(t *testing.T, f *excelize.File, name string) int {
	t.Helper()
	head := rows(t, f, "Matrix")[0]
	for i, h := range head {
		if h == name {
			return i
		}
	}
	t.Fatalf("no %s column in %v", name, head)
	return -1
}
