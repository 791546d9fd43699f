package report

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bucketaudit/bucketaudit/model"
)

// TestExcerptMostExposedFirst streams buckets of every verdict class in
// a shuffled order, with names too long for the terminal, and checks the
// matrix excerpt: public, external, org, unknown, private (report order
// within a class), only the maxRows most exposed kept, every line within
// 80 columns, a cut name ending in "…".
func TestExcerptMostExposedFirst(t *testing.T) {
	classes := []string{model.ExposurePrivate, model.ExposureUnknown, model.ExposurePublic, model.ExposureOrg,
		model.ExposureExternal, model.ExposurePrivate, model.ExposurePublic, model.ExposureExternal, model.ExposureUnknown}
	r := &model.Report{SchemaVersion: 1}
	for i, e := range classes {
		r.Buckets = append(r.Buckets, model.Bucket{AccountID: "111111111111",
			AccountName: "an-account-name-much-longer-than-the-column",
			Name:        fmt.Sprintf("b%d-%s-%s", i, e, strings.Repeat("x", 50)), Exposure: e})
	}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, r, 6); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
	var got []string
	for _, m := range regexp.MustCompile(`(?m)^  an-account\S*\s+b(\d)-(\w+)-x*…`).FindAllStringSubmatch(out, -1) {
		got = append(got, m[1]+" "+m[2])
	}
	// The six most exposed: 2 and 6 public, 4 and 7 external, 3 org, 1 unknown.
	want := []string{"2 public", "6 public", "4 external", "7 external", "3 org", "1 unknown"}
	if !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q\n%s", got, want, out)
	}
	for _, heading := range []string{"\npublic (2)\n", "\nexternal (2)\n", "\norg (1)\n", "\nunknown (2)\n"} {
		if !strings.Contains(out, heading) {
			t.Errorf("no heading %q:\n%s", heading, out)
		}
	}
	if !strings.Contains(out, "… and 3 less exposed in report.xlsx") {
		t.Errorf("no line for the 3 buckets left out:\n%s", out)
	}
}

func TestWrapText(t *testing.T) {
	got := wrapText("aaa bbb ccc dddd e", 8)
	if want := "aaa bbb\nccc dddd\ne\n"; got != want {
		t.Errorf("wrapText = %q, want %q", got, want)
	}
}
