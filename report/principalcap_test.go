package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
	"github.com/google/go-cmp/cmp"
)

// cappedReport is principalsReport with its org read list capped: the two
// roles listed of 1,202 principals (Options.PrincipalsPerCell).
func cappedReport() *model.Report {
	r := principalsReport()
	r.Buckets[0].Access.Org.Read.PrincipalsTotal = 1202
	return r
}

// TestCappedCellRendering: a capped cell's Principals rows end with a row
// saying how many more there are and that who-can lists them; the Matrix
// counts all of them; the CSV's why column says so too.
func TestCappedCellRendering(t *testing.T) {
	r := cappedReport()
	b := r.Buckets[0]
	f, _ := writeXLSX(t, r)
	more := "… 1200 more: bucketaudit who-can --bucket " + b.Name + " lists them"
	ps := rows(t, f, "Principals")
	want := []string{b.AccountID, b.Name, "read", more, "", "", "", "", "org: 2 of 1202 principals listed (outputs.principals_per_cell)"}
	if len(ps) != 5 {
		t.Fatalf("Principals rows %q, want the header, 2 principals, the capped note, the unlisted accounts", ps)
	}
	if diff := cmp.Diff(want, ps[3]); diff != "" {
		t.Errorf("capped note (-want +got):\n%s", diff)
	}
	col := matrixColumn(t, f, "org read")
	if got, want := rows(t, f, "Matrix")[1][col], string(b.Access.Org.Read.Verdict)+" · 1202 principals, the first 2: 2 roles in 2 accounts"; got != want {
		t.Errorf("Matrix org read = %q, want %q", got, want)
	}

	data := writeFormat(t, FormatCSV, r)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(utf8BOM)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	why := ""
	for i, h := range recs[0] {
		if h == "org read why" {
			why = recs[1][i]
		}
	}
	if !strings.HasSuffix(why, " | principals listed: 2 of 1202; "+more) {
		t.Errorf("CSV org read why = %q, want it to end with the capped note", why)
	}

	// Uncapped: neither note.
	f, _ = writeXLSX(t, principalsReport())
	for _, row := range rows(t, f, "Principals") {
		if strings.Contains(strings.Join(row, " "), "more: bucketaudit who-can") {
			t.Errorf("uncapped cell with a capped note: %q", row)
		}
	}
}

// TestDiffIgnoresCappedPrincipals: diff compares verdicts, not principal
// lists, so a report whose cell lists fewer principals under a cap (or
// other ones beyond it) has no change against the whole list.
func TestDiffIgnoresCappedPrincipals(t *testing.T) {
	capped := cappedReport()
	capped.Buckets[0].Access.Org.Read.PrincipalAccess = capped.Buckets[0].Access.Org.Read.PrincipalAccess[:1]
	for _, pair := range [][2]*model.Report{{principalsReport(), capped}, {capped, principalsReport()}} {
		if d := Compare(pair[0], pair[1]); !d.Empty() {
			t.Errorf("diff of the same analysis capped and not: %+v", d)
		}
	}
}

// TestCappedAccountsText: an org cell whose list of allowed accounts was
// capped (outputs.principals_per_cell) says how many more there are from
// allowed_accounts, not from the list's length.
func TestCappedAccountsText(t *testing.T) {
	n := 7800
	c := model.Cell{Verdict: model.VerdictAllow, Reason: "allowed", AllowedAccounts: &n,
		Accounts: []string{"111111111111", "222222222222", "333333333333"}}
	want := "allowed | member accounts allowed: 7800 (111111111111, 222222222222, 333333333333 and 7797 more)"
	if got := whyText(c); got != want {
		t.Errorf("capped: whyText = %q, want %q", got, want)
	}
	n = 3
	want = "allowed | member accounts allowed: 3 (111111111111, 222222222222, 333333333333)"
	if got := whyText(c); got != want {
		t.Errorf("whole list: whyText = %q, want %q", got, want)
	}
	many := make([]string, 12)
	for i := range many {
		many[i] = strings.Repeat(string(rune('0'+i%10)), 12)
	}
	n = 12
	c.Accounts = many
	if got := whyText(c); !strings.HasSuffix(got, " and 2 more)") {
		t.Errorf("12 listed: whyText = %q, want the first 10 and 2 more", got)
	}
}

// TestCappedPrincipalsText: a narrowed org cell whose principals were
// capped (outputs.principals_per_cell) says how many more there are from
// principals_more, not from the list's length.
func TestCappedPrincipalsText(t *testing.T) {
	c := model.Cell{Verdict: model.VerdictAllow, Reason: "allowed",
		Principals: []string{"arn:aws:iam::111111111111:role/a", "arn:aws:iam::222222222222:role/a (conditional)"}, PrincipalsMore: 65}
	want := "allowed | principals: arn:aws:iam::111111111111:role/a, arn:aws:iam::222222222222:role/a (conditional) and 65 more"
	if got := whyText(c); got != want {
		t.Errorf("capped: whyText = %q, want %q", got, want)
	}
	c.PrincipalsMore = 0
	want = "allowed | principals: arn:aws:iam::111111111111:role/a, arn:aws:iam::222222222222:role/a (conditional)"
	if got := whyText(c); got != want {
		t.Errorf("whole list: whyText = %q, want %q", got, want)
	}
}
