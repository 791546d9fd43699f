package report

import (
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
)

// TestNarrowedCells: a cell allowed only for named principals says so in
// its why text (Matrix sheet, CSV) and has its own letter in the terminal
// excerpt; the external column is "a" only when every allowed account's
// cell is narrowed.
func TestNarrowedCells(t *testing.T) {
	narrowed := model.Cell{Verdict: model.VerdictAllow, DecidedBy: []string{"bucket_policy"}, Reason: "s3:PutObject allowed",
		NarrowedTo: []string{"aws:PrincipalArn = arn:aws:iam::999988887777:role/PartnerIngest"}}
	if got := whyText(narrowed); !strings.HasSuffix(got, " | only for principals with: aws:PrincipalArn = arn:aws:iam::999988887777:role/PartnerIngest") {
		t.Errorf("why = %q", got)
	}
	plain := model.Cell{Verdict: model.VerdictAllow, DecidedBy: []string{"bucket_policy"}, Reason: "s3:PutObject allowed"}
	if got := whyText(plain); strings.Contains(got, "only for principals") {
		t.Errorf("why of an unnarrowed cell = %q", got)
	}
	b := &model.Bucket{AccountID: "222222222222", Name: "bkt", Access: model.Access{
		SameAccount: model.Actions{Read: plain, Write: narrowed},
		External: map[string]model.ExternalActions{
			"999988887777": {Actions: model.Actions{Write: narrowed, Read: narrowed}},
			"888877776666": {Actions: model.Actions{Read: plain}},
		},
	}}
	e := NewExcerpt(-1)
	e.Bucket(b)
	fields := strings.Fields(e.rows[0].letters)
	// public, any_aws, org, external, same_account (read
	// list write delete manage; "-" where the test leaves a cell out). The
	// external read is "A": 888877776666's read is not narrowed.
	if ext, same := fields[3], fields[4]; ext != "A-a--" || same != "A-a--" {
		t.Errorf("external %q same_account %q, want A-a-- for both", ext, same)
	}
}
