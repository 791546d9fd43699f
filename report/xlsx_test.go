package report

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// writeXLSX writes r and opens the result with excelize.
func writeXLSX(t *testing.T, r *model.Report) (*excelize.File, []byte) {
	t.Helper()
	data := writeFormat(t, FormatXLSX, r)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open written workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f, data
}

func rows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rs, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("rows of %q: %v", sheet, err)
	}
	return rs
}

// zipEntry returns one part of the xlsx package.
func zipEntry(t *testing.T, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == name {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	return ""
}

// sheetPart returns the package part of a sheet ("xl/worksheets/sheet2.xml").
func sheetPart(t *testing.T, f *excelize.File, sheet string) string {
	t.Helper()
	for i, name := range f.GetSheetList() {
		if name == sheet {
			return "xl/worksheets/sheet" + string(rune('1'+i)) + ".xml"
		}
	}
	t.Fatalf("no sheet %q", sheet)
	return ""
}

func TestXLSXSheetsAndHeaders(t *testing.T) {
	f, _ := writeXLSX(t, sampleReport())
	if diff := cmp.Diff([]string{"Summary", "Heatmap", "Matrix", "Findings", "Accounts", "External access", "Principals", "Errors", "Method"}, f.GetSheetList()); diff != "" {
		t.Errorf("sheet names (-want +got):\n%s", diff)
	}
	matrixHead := []string{"Account ID", "Account", "Bucket", "OU path", "Region", "Exposure", "Encryption", "Ownership", "Effective BPA",
		"public read", "public read why", "public list", "public list why"}
	tests := []struct {
		sheet string
		want  []string
	}{
		{"Matrix", matrixHead},
		{"Findings", []string{"Severity", "ID", "Account ID", "Account", "Bucket", "Title", "Detail", "Remediation", "CIS"}},
		{"Accounts", []string{"Account ID", "Account", "OU path", "Management", "Scan status", "Buckets", "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets", "Findings", "Errors", "Error detail"}},
		{"External access", []string{"External account", "Label", "Trusted", "Bucket account ID", "Bucket account", "Bucket", "Action", "Verdict", "Decided by", "Conditions", "Narrowed to", "Reason"}},
		{"Errors", []string{"Account ID", "Account", "Bucket", "Field", "Operation", "Code", "Message"}},
		{"Principals", []string{"Bucket account ID", "Bucket", "Action", "Principal", "Account", "Type", "Verdict", "Via", "Why"}},
	}
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) {
			rs := rows(t, f, tt.sheet)
			if len(rs) == 0 {
				t.Fatal("empty sheet")
			}
			got := rs[0]
			if len(got) > len(tt.want) {
				got = got[:len(tt.want)]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
		})
	}
	// 9 identifying columns + 5 classes × 5 actions × (verdict, why).
	if got := len(rows(t, f, "Matrix")[0]); got != 9+50 {
		t.Errorf("Matrix has %d columns, want 59", got)
	}
}

func TestXLSXMatrixOneRowPerBucket(t *testing.T) {
	r := sampleReport()
	f, _ := writeXLSX(t, r)
	rs := rows(t, f, "Matrix")
	if len(rs)-1 != len(r.Buckets) {
		t.Fatalf("Matrix has %d data rows, want %d", len(rs)-1, len(r.Buckets))
	}
	head := rs[0]
	col := func(name string) int {
		for i, h := range head {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %q", name)
		return -1
	}
	for i, b := range r.Buckets {
		row := rs[i+1]
		if row[col("Bucket")] != b.Name || row[col("Account ID")] != b.AccountID {
			t.Errorf("row %d = %q/%q, want %s/%s", i+2, row[col("Account ID")], row[col("Bucket")], b.AccountID, b.Name)
		}
	}
	// Spot checks of the content: public-site is row 3.
	site := rs[2]
	checks := map[string]string{
		"public read":       "allow",
		"public write":      "conditional",
		"public list":       "deny",
		"Effective BPA":     "all off",
		"Exposure":          "public",
		"external read":     "", // no external account named
		"same_account read": "allow",
	}
	for c, want := range checks {
		got := ""
		if i := col(c); i < len(site) {
			got = site[i]
		}
		if got != want {
			t.Errorf("public-site %q = %q, want %q", c, got, want)
		}
	}
	if why, want := site[col("public write why")], `[bucket_policy] statement "UploadFromOffice" allows s3:PutObject from the office or the VPC | conditions (any one of): aws:SourceIp = 203.0.113.0/24 OR aws:SourceVpce = vpce-0abc`; why != want {
		t.Errorf("public write why = %q, want %q", why, want)
	}
	if got := site[col("Ownership")]; got != "ObjectWriter; ACL: AllUsers READ" {
		t.Errorf("Ownership = %q, want the ACL grants that count", got)
	}
	// partner-share: the widest external verdict, naming the account.
	partner := rs[3]
	if why, want := partner[col("org read why")], `[bucket_policy, scp] statement "OrgRead" allows s3:GetObject to the organisation | member accounts allowed: 2 (111111111111, 333333333333)`; why != want {
		t.Errorf("org read why = %q, want %q", why, want)
	}
	if got := partner[col("external read")]; got != "allow" {
		t.Errorf("partner-share external read = %q, want allow (999999999999 is allowed)", got)
	}
	if got := partner[col("external list")]; got != "allow" {
		t.Errorf("partner-share external list = %q, want allow", got)
	}
	if why := partner[col("external read why")]; !strings.HasPrefix(why, "1 of 2 external accounts allow (others: 1 unknown) — 999999999999 (auditor-co, trusted): ") || strings.Contains(why, "444455556666") {
		t.Errorf("external read why = %q, want the allowed account labelled, and the unknown one counted", why)
	}
	if got := partner[col("Encryption")]; !strings.Contains(got, "aws:kms arn:aws:kms:eu-west-1:222222222222:key/") {
		t.Errorf("Encryption = %q, want the KMS key", got)
	}
	if got := rs[4][col("Effective BPA")]; got != "block_public_policy=unknown, restrict_public_buckets=unknown" {
		t.Errorf("locked Effective BPA = %q", got)
	}
}

func fillOf(t *testing.T, f *excelize.File, sheet, cellRef string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cellRef)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Fill.Color) == 0 {
		return ""
	}
	return strings.ToUpper(st.Fill.Color[0])
}

func TestXLSXDistinctFillPerVerdict(t *testing.T) {
	f, _ := writeXLSX(t, sampleReport())
	rs := rows(t, f, "Matrix")
	fills := map[string]string{} // verdict → fill
	for r, row := range rs[1:] {
		for c := identColumns; c < len(row); c += 2 {
			v := row[c]
			if v == "" {
				continue
			}
			ref, _ := excelize.CoordinatesToCellName(c+1, r+2)
			fill := fillOf(t, f, "Matrix", ref)
			if fill == "" {
				t.Fatalf("%s (%s) has no fill", ref, v)
			}
			if prev, ok := fills[v]; ok && prev != fill {
				t.Errorf("verdict %s has two fills: %s and %s (at %s)", v, prev, fill, ref)
			}
			fills[v] = fill
		}
	}
	if len(fills) != 4 {
		t.Fatalf("verdicts seen in the Matrix: %v, want all four", fills)
	}
	seen := map[string]string{}
	for v, fill := range fills {
		if other, dup := seen[fill]; dup {
			t.Errorf("verdicts %s and %s share the fill %s", v, other, fill)
		}
		seen[fill] = v
	}
	// The why columns carry no verdict fill.
	if fill := fillOf(t, f, "Matrix", "K2"); fill != "" {
		t.Errorf("why column K2 has fill %s", fill)
	}
}

func TestXLSXPanesAutofilterWidths(t *testing.T) {
	r := sampleReport()
	f, data := writeXLSX(t, r)
	panes, err := f.GetPanes("Matrix")
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.XSplit != 3 || panes.YSplit != 1 || panes.TopLeftCell != "D2" {
		t.Errorf("Matrix panes = %+v, want frozen header row and the 3 identifying columns", panes)
	}
	for _, sheet := range []string{"Findings", "Accounts", "External access", "Errors"} {
		p, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Freeze || p.YSplit != 1 {
			t.Errorf("%s: header not frozen: %+v", sheet, p)
		}
	}
	// autoFilter over the whole table, and the defined name Excel uses.
	wantRefs := map[string]string{
		"Matrix":          "A1:BG5",
		"Findings":        "A1:J7",
		"Accounts":        "A1:M3",
		"External access": "A1:L4",
		"Errors":          "A1:G4",
	}
	names := map[string]bool{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			names[dn.RefersTo] = true
		}
	}
	for sheet, ref := range wantRefs {
		xml := zipEntry(t, data, sheetPart(t, f, sheet))
		m := regexp.MustCompile(`<autoFilter ref="([A-Z0-9:$]+)"`).FindStringSubmatch(xml)
		if m == nil {
			t.Errorf("%s: no autoFilter element", sheet)
			continue
		}
		// excelize writes the range with $ (absolute), as its own AutoFilter does.
		if strings.ReplaceAll(m[1], "$", "") != ref {
			t.Errorf("%s: autoFilter ref = %s, want %s", sheet, m[1], ref)
		}
		if !names["'"+sheet+"'!"+absRef(ref)] {
			t.Errorf("%s: no _FilterDatabase defined name for %s (have %v)", sheet, ref, names)
		}
	}
	for col, want := range map[string]float64{"C": 30, "J": 11, "K": 40} {
		got, err := f.GetColWidth("Matrix", col)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("Matrix column %s width = %v, want %v", col, got, want)
		}
	}
}

// absRef turns A1:B2 into $A$1:$B$2.
func absRef(ref string) string {
	return regexp.MustCompile(`([A-Z]+)([0-9]+)`).ReplaceAllString(ref, "$$$1$$$2")
}

func TestXLSXFindingsMatchJSON(t *testing.T) {
	r := sampleReport()
	f, _ := writeXLSX(t, r)
	buf := bytes.NewBuffer(writeFormat(t, FormatJSON, r))
	var doc struct {
		Accounts []struct {
			Findings []json.RawMessage `json:"findings"`
		} `json:"accounts"`
		Buckets []struct {
			Findings []json.RawMessage `json:"findings"`
		} `json:"buckets"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range doc.Accounts {
		n += len(a.Findings)
	}
	for _, b := range doc.Buckets {
		n += len(b.Findings)
	}
	rs := rows(t, f, "Findings")
	if len(rs)-1 != n || n == 0 {
		t.Fatalf("Findings sheet has %d rows, report.json has %d findings", len(rs)-1, n)
	}
	var sevs []string
	for _, row := range rs[1:] {
		sevs = append(sevs, row[0])
	}
	want := []string{"critical", "high", "high", "medium", "low", "info"}
	if diff := cmp.Diff(want, sevs); diff != "" {
		t.Errorf("Findings not sorted by severity (-want +got):\n%s", diff)
	}
	// The account-level finding lists the account name and no bucket.
	for _, row := range rs[1:] {
		if row[1] == "account-bpa-off" && (row[3] != "management" || row[4] != "") {
			t.Errorf("account finding row = %q", row)
		}
	}
	if fillOf(t, f, "Findings", "A2") == fillOf(t, f, "Findings", "A3") {
		t.Error("critical and high findings share a fill")
	}
}

func TestXLSXAccountsExternalErrors(t *testing.T) {
	f, _ := writeXLSX(t, sampleReport())
	acc := rows(t, f, "Accounts")
	want := [][]string{
		{"111111111111", "management", "Root", "yes", "complete", "1", "not configured", "not configured", "not configured", "not configured", "1", "0"},
		{"222222222222", "prod-data", "Root/Workloads/Prod", "", "partial", "3", "true", "true", "false", "false", "0", "1",
			"iam:GetAccountAuthorizationDetails (iam): AccessDenied"},
	}
	if diff := cmp.Diff(want, acc[1:]); diff != "" {
		t.Errorf("Accounts (-want +got):\n%s", diff)
	}
	ext := rows(t, f, "External access")
	var got []string
	for _, row := range ext[1:] {
		got = append(got, row[0]+" "+row[5]+" "+row[6]+" "+row[7])
	}
	// allow and conditional only: 444455556666's unknown read and the denies are left out.
	wantExt := []string{
		"444455556666 partner-share list conditional",
		"999999999999 partner-share read allow",
		"999999999999 partner-share list allow",
	}
	if diff := cmp.Diff(wantExt, got); diff != "" {
		t.Errorf("External access (-want +got):\n%s", diff)
	}
	errs := rows(t, f, "Errors")
	wantErr := [][]string{
		{"111111111111", "management", "", "organization.policies", "organizations:DescribePolicy", "AccessDeniedException"},
		{"222222222222", "prod-data", "", "iam", "iam:GetAccountAuthorizationDetails", "AccessDenied"},
		{"222222222222", "prod-data", "locked", "policy", "s3:GetBucketPolicy", "AccessDenied", "Access Denied"},
	}
	if diff := cmp.Diff(wantErr, errs[1:]); diff != "" {
		t.Errorf("Errors (-want +got):\n%s", diff)
	}
}

func TestXLSXAccountBPAUnread(t *testing.T) {
	a := model.Account{ID: "1", Errors: []model.Error{{Field: "public_access_block", Operation: "s3control:GetPublicAccessBlock", Code: "AccessDenied"}}}
	if got := accountBPA(&a); got[0] != "unknown" {
		t.Errorf("unreadable account BPA = %q, want unknown", got[0])
	}
	failed := model.Account{ID: "1", Status: model.StatusFailed}
	if got := accountBPA(&failed); got[0] != "unknown" {
		t.Errorf("failed account BPA = %q, want unknown", got[0])
	}
}

func TestXLSXSummaryAndChart(t *testing.T) {
	f, data := writeXLSX(t, sampleReport())
	rs := rows(t, f, "Summary")
	find := func(label string) []string {
		for _, row := range rs {
			if len(row) > 0 && row[0] == label {
				return row
			}
		}
		t.Fatalf("Summary has no row %q", label)
		return nil
	}
	for label, want := range map[string]string{
		"Organisation": "o-a1b2c3d4e5", "Buckets": "4", "Findings": "6", "public": "1", "external": "1",
		"org": "0", "private": "1", "unknown": "1", "critical": "1", "high": "2", "Config digest": "sha256:abc123",
		"Scan time": "2026-03-01T09:58:00Z", "SCPs / RCPs": "2 / 1", "Failed reads": "3",
	} {
		if got := find(label); got[1] != want {
			t.Errorf("Summary %q = %q, want %q", label, got[1], want)
		}
	}
	// Findings by account: most severe account first.
	if got := find("SCPs / RCPs"); got[2] != "SCP FullAWSAccess, SCP DenyS3Outside, RCP p-rcp1 (unreadable)" {
		t.Errorf("policies = %q", got[2])
	}
	if got := find("222222222222"); strings.Join(got, ",") != "222222222222,prod-data,1,1,1,1,1,5" {
		t.Errorf("findings of 222222222222 = %q", got)
	}
	if got := find("111111111111"); strings.Join(got, ",") != "111111111111,management,0,1,0,0,0,1" {
		t.Errorf("findings of 111111111111 = %q", got)
	}
	chart := zipEntry(t, data, "xl/charts/chart1.xml")
	if chart == "" {
		t.Fatal("no chart in the workbook")
	}
	chart = html.UnescapeString(chart)
	// One stacked series per severity over the two accounts of the
	// findings-by-account table, in severity colours.
	head := 0
	for i, row := range rs {
		if len(row) > 2 && row[0] == "Findings by account" && row[2] == "critical" {
			head = i + 1
		}
	}
	if head == 0 {
		t.Fatal("no findings-by-account table")
	}
	for _, want := range []string{"Findings by severity per account", `<grouping val="stacked">`, `<barDir val="bar">`,
		fmt.Sprintf("<f>'Summary'!$C$%d</f>", head), fmt.Sprintf("<f>'Summary'!$A$%d:$A$%d</f>", head+1, head+2),
		fmt.Sprintf("<f>'Summary'!$C$%d:$C$%d</f>", head+1, head+2), fmt.Sprintf("<f>'Summary'!$G$%d:$G$%d</f>", head+1, head+2),
		`<a:srgbClr val="C00000">`} {
		if !strings.Contains(chart, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if !strings.Contains(zipEntry(t, data, "xl/worksheets/_rels/sheet1.xml.rels"), "drawing") {
		t.Error("the chart is not on the Summary sheet")
	}
}

func TestXLSXMethod(t *testing.T) {
	r := sampleReport()
	f, _ := writeXLSX(t, r)
	var all []string
	for _, row := range rows(t, f, "Method") {
		all = append(all, strings.Join(row, " | "))
	}
	text := strings.Join(all, "\n")
	for _, want := range append([]string{"allow", "deny", "conditional", "unknown", "Tool version | test", "sha256:abc123", "s3:PutBucketPolicy", "same_account"}, r.Assumptions...) {
		if !strings.Contains(text, want) {
			t.Errorf("Method sheet lacks %q", want)
		}
	}
}

func TestXLSXEmptyReport(t *testing.T) {
	r := &model.Report{SchemaVersion: model.SchemaVersion}
	f, data := writeXLSX(t, r)
	if rs := rows(t, f, "Matrix"); len(rs) != 1 {
		t.Errorf("empty report Matrix has %d rows, want the header only", len(rs))
	}
	if zipEntry(t, data, "xl/charts/chart1.xml") != "" {
		t.Error("chart drawn without findings")
	}
	if got := rows(t, f, "Summary"); !strings.Contains(strings.Join(got[len(got)-1], ""), "No findings.") {
		t.Errorf("last Summary row = %q", got[len(got)-1])
	}
}
