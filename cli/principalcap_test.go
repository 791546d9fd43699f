package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// TestPrincipalsPerCellFlag checks --principals-per-cell on analyze: a
// report capped at 1 lists one principal per cell and counts them all;
// who-can on the same snapshot still lists every one of them (it
// analyses with no cap); a negative value is a usage error.
func TestPrincipalsPerCellFlag(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.json")
	if err := inventory.Save(snap, fakeaws.Synthetic(12, 2)); err != nil {
		t.Fatal(err)
	}
	if config.DefaultPrincipalsPerCell != access.DefaultPrincipalsPerCell {
		t.Errorf("config's default %d, access's %d", config.DefaultPrincipalsPerCell, access.DefaultPrincipalsPerCell)
	}
	cfg := filepath.Join(dir, "scan.yaml")
	if err := os.WriteFile(cfg, []byte("region: us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "scan", "--config", cfg, "--principals-per-cell", "-2", "-q")
	if code != ExitUsage || !strings.Contains(errOut, "flag --principals-per-cell: outputs.principals_per_cell: -2 must not be negative") {
		t.Errorf("scan --principals-per-cell -2: exit %d, %q", code, errOut)
	}
	for _, bad := range []string{"-1", "many"} {
		for _, cmd := range [][]string{{"analyze", snap, "--output-dir", dir}, {"demo", "--output-dir", dir}} {
			code, _, errOut := runCLI(t, append(cmd, "--principals-per-cell", bad, "-q")...)
			if code != ExitUsage || !strings.Contains(errOut, "principals-per-cell") {
				t.Errorf("%s --principals-per-cell %s: exit %d, %q; want a usage error naming the flag", cmd[0], bad, code, errOut)
			}
		}
	}

	out := filepath.Join(dir, "capped")
	code, _, errOut = runCLI(t, "analyze", snap, "--output-dir", out, "--format", "json,csv", "--principals-per-cell", "1", "-q")
	if code != ExitOK && code != ExitIncomplete {
		t.Fatalf("analyze exit %d: %s", code, errOut)
	}
	rep := readReportJSON(t, out) // validated against the schema
	checked := 0
	for i := range rep.Buckets {
		b := &rep.Buckets[i]
		c := b.Access.Org.Read
		if c.PrincipalsTotal == 0 {
			continue
		}
		if len(c.PrincipalAccess) != 1 || c.PrincipalsTotal < 2 {
			t.Fatalf("%s org read: %d listed of %d, want 1 of several", b.Name, len(c.PrincipalAccess), c.PrincipalsTotal)
		}
		code, stdout, errOut := runCLI(t, "who-can", "--snapshot", snap, "--bucket", b.Name, "--action", "read", "--format", "json")
		if code != ExitOK {
			t.Fatalf("who-can exit %d: %s", code, errOut)
		}
		var res whoCanResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("who-can json: %v", err)
		}
		org := 0
		for _, p := range res.Principals {
			if p.Class == model.ClassOrg {
				org++
			}
		}
		if org != c.PrincipalsTotal {
			t.Errorf("%s: who-can lists %d org principals, the capped report counts %d", b.Name, org, c.PrincipalsTotal)
		}
		checked++
		if checked == 2 {
			break
		}
	}
	if checked == 0 {
		t.Fatal("no org cell capped: the test proves nothing")
	}
	csv, err := os.ReadFile(filepath.Join(out, "report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csv), "more: bucketaudit who-can --bucket ") {
		t.Error("the CSV does not say who-can lists the principals of a capped cell")
	}

	// 0 lists all: no cell is capped.
	all := filepath.Join(dir, "all")
	if code, _, errOut := runCLI(t, "analyze", snap, "--output-dir", all, "--format", "json", "--principals-per-cell", "0", "-q"); code != ExitOK && code != ExitIncomplete {
		t.Fatalf("analyze exit %d: %s", code, errOut)
	}
	if data, err := os.ReadFile(filepath.Join(all, "report.json")); err != nil || strings.Contains(string(data), `"principals_total"`) {
		t.Errorf("--principals-per-cell 0: principals_total present (err %v)", err)
	}
}
