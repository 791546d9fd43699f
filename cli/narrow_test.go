package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/report"
)

// TestNarrowedEndToEnd scans testdata/narrow.yaml through fakeaws with the
// real SDK: a cell a Principal element or a condition on a key about the
// principal limits to named principals is "allow", carrying them in
// report.json (narrowed_to), the why text of report.csv and report.xlsx,
// the External access sheet and the terminal excerpt ("a"); only request
// keys keep a cell conditional; principal tags narrow only where IAM (and
// its tags) was collected.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principal-properties
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func TestNarrowedEndToEnd(t *testing.T) {
	scanEnv(t)
	fixture, err := inventory.Load("testdata/narrow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, url := fakeawstest.Start(t, fixture)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", "audit_role:\n  external_id: nr-external-id\noutputs:\n  formats: [json, csv, xlsx]\n")
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	// Account 333333333333's IAM is unreadable (a recorded error): exit 3.
	if code := Run(context.Background(), []string{"scan", "--config", cfg, "--endpoint-url", url, "--output-dir", out, "--log-format", "json"}, nil, &stdout, &stderr); code != ExitIncomplete {
		t.Fatalf("scan exit %d, want %d\nstderr: %s", code, ExitIncomplete, stderr.String())
	}
	rep := readReportJSON(t, out)

	// The scan path loses and invents nothing: the fixture's own analysis.
	direct, err := access.Analyze(context.Background(), fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{}), access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(direct.Buckets, rep.Buckets); diff != "" {
		t.Errorf("scanned buckets differ from the fixture's analysis (-fixture +scan):\n%s", diff)
	}

	byName := map[string]*model.Bucket{}
	for i := range rep.Buckets {
		byName[rep.Buckets[i].Name] = &rep.Buckets[i]
	}
	platform := "aws:PrincipalArn like arn:aws:iam::*:role/platform-admin"
	for _, tc := range []struct {
		bucket, cell string
		verdict      model.Verdict
		conditions   []string
		narrowed     []string
		principals   []string
	}{
		{"nr-partner", "external.999988887777.write", model.VerdictAllow, nil, []string{"aws:PrincipalArn = arn:aws:iam::999988887777:role/PartnerIngest"}, nil},
		{"nr-partner", "same_account.manage", model.VerdictAllow, nil, []string{platform}, []string{"arn:aws:iam::222222222222:role/platform-admin"}},
		{"nr-partner", "same_account.write", model.VerdictAllow, nil, nil, []string{"arn:aws:iam::222222222222:role/app", "arn:aws:iam::222222222222:role/platform-admin"}},
		{"nr-partner-org", "any_aws.read", model.VerdictAllow, nil, []string{"aws:PrincipalOrgID = o-partner0001"}, nil},
		{"nr-partner-org", "public.read", model.VerdictDeny, nil, nil, nil},
		{"nr-member", "org.read", model.VerdictAllow, nil, []string{"aws:PrincipalArn = arn:aws:iam::333333333333:role/etl"}, nil},
		{"nr-tagged", "same_account.read", model.VerdictAllow, nil, []string{"aws:PrincipalTag/team = data"}, []string{"arn:aws:iam::222222222222:role/app"}},
		{"nr-untagged", "same_account.read", model.VerdictConditional, []string{"aws:PrincipalTag/team = data"}, nil, nil},
		{"nr-untagged", "same_account.manage", model.VerdictAllow, nil, []string{platform}, nil},
		{"nr-vpce", "same_account.read", model.VerdictConditional, []string{"aws:SourceVpce = vpce-0aaa1111"}, []string{"aws:PrincipalArn like arn:aws:iam::*:role/reader"}, nil},
	} {
		b := byName[tc.bucket]
		if b == nil {
			t.Fatalf("no bucket %s", tc.bucket)
		}
		c := cellPath(t, b, tc.cell)
		if c.Verdict != tc.verdict || !slices.Equal(c.Conditions, tc.conditions) || !slices.Equal(c.NarrowedTo, tc.narrowed) || !slices.Equal(c.Principals, tc.principals) {
			t.Errorf("%s %s: %s conditions %q narrowed_to %q principals %q; want %s %q %q %q (%s)",
				tc.bucket, tc.cell, c.Verdict, c.Conditions, c.NarrowedTo, c.Principals, tc.verdict, tc.conditions, tc.narrowed, tc.principals, c.Reason)
		}
		if len(tc.narrowed) > 0 && !strings.Contains(c.Reason, tc.narrowed[0]) {
			t.Errorf("%s %s: the reason does not name the principals: %s", tc.bucket, tc.cell, c.Reason)
		}
	}

	// Wherever IAM was collected, the principals listed as able agree with
	// the narrowing: each matches an aws:PrincipalArn pattern it names.
	for _, b := range rep.Buckets {
		for _, row := range []model.Actions{b.Access.SameAccount, b.Access.Org} {
			for _, c := range []model.Cell{row.Read, row.List, row.Write, row.Delete, row.Manage} {
				for _, p := range c.Principals {
					if !matchesNarrowing(strings.TrimSuffix(p, " (conditional)"), c.NarrowedTo) {
						t.Errorf("%s: principal %s is outside the narrowing %q", b.Name, p, c.NarrowedTo)
					}
				}
			}
		}
	}

	// report.csv: the why column of a narrowed cell names the principals.
	f, err := os.Open(filepath.Join(out, "report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(records[0], "same_account manage why")
	if col < 0 {
		t.Fatalf("report.csv has no 'same_account manage why' column: %q", records[0])
	}
	for _, r := range records[1:] {
		if r[2] == "nr-partner" && !strings.Contains(r[col], "| only for principals with: "+platform) {
			t.Errorf("report.csv nr-partner same_account manage why = %q", r[col])
		}
	}

	// report.xlsx: the Matrix's why column and External access's Narrowed to.
	x, err := excelize.OpenFile(filepath.Join(out, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	matrix, err := x.GetRows(report.SheetMatrix)
	if err != nil {
		t.Fatal(err)
	}
	if c := slices.Index(matrix[0], "same_account manage why"); c < 0 {
		t.Errorf("Matrix has no 'same_account manage why' column")
	} else if !strings.Contains(matrix[1][c], "only for principals with: "+platform) {
		t.Errorf("Matrix %s same_account manage why = %q", matrix[1][2], matrix[1][c])
	}
	ext, err := x.GetRows(report.SheetExternal)
	if err != nil {
		t.Fatal(err)
	}
	nc := slices.Index(ext[0], "Narrowed to")
	found := false
	for _, r := range ext[1:] {
		if nc >= 0 && len(r) > nc && r[5] == "nr-partner" && r[6] == "write" {
			found = r[7] == "allow" && r[nc] == "aws:PrincipalArn = arn:aws:iam::999988887777:role/PartnerIngest"
		}
	}
	if !found {
		t.Errorf("External access has no allow row of nr-partner write narrowed to PartnerIngest: %q", ext)
	}

	// The terminal excerpt: "a" for an allow narrowed to named principals.
	e := report.NewExcerpt(-1)
	for i := range rep.Buckets {
		e.Bucket(&rep.Buckets[i])
	}
	e.End(rep)
	var term bytes.Buffer
	if err := e.Write(&term); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a allow only for named principals", "nr-partner ", "nr-tagged "} {
		if !strings.Contains(term.String(), want) {
			t.Errorf("terminal summary lacks %q:\n%s", want, term.String())
		}
	}
	seen := false
	for _, line := range strings.Split(term.String(), "\n") {
		if f := strings.Fields(line); len(f) == 7 && f[1] == "nr-partner" {
			seen = true
			if f[5] != "..a.." || f[6] != "AAAAa" {
				t.Errorf("nr-partner excerpt external %q same_account %q, want ..a.. and AAAAa", f[5], f[6])
			}
		}
	}
	if !seen {
		t.Errorf("no excerpt line of nr-partner:\n%s", term.String())
	}
}

// cellPath returns a cell by its path in report.json's access section:
// "public.read", "same_account.manage", "external.999988887777.write".
func cellPath(t *testing.T, b *model.Bucket, path string) model.Cell {
	t.Helper()
	data, err := json.Marshal(b.Access)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range strings.Split(path, ".") {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil || m[k] == nil {
			t.Fatalf("no cell %s in %s", path, b.Name)
		}
		data = m[k]
	}
	var c model.Cell
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// matchesNarrowing reports whether an ARN matches every aws:PrincipalArn
// condition of some alternative of narrowed ("like" with * and ?, or "="),
// or narrowed names no ARN condition (nothing to disagree with).
func matchesNarrowing(arn string, narrowed []string) bool {
	if len(narrowed) == 0 {
		return true
	}
	for _, alt := range narrowed {
		ok := true
		for _, cond := range strings.Split(alt, " and ") {
			if pat, found := strings.CutPrefix(cond, "aws:PrincipalArn like "); found {
				re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pat)) + "$"
				ok = ok && regexp.MustCompile(re).MatchString(arn)
			} else if v, found := strings.CutPrefix(cond, "aws:PrincipalArn = "); found {
				ok = ok && v == arn
			}
		}
		if ok {
			return true
		}
	}
	return false
}
