package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/fakeaws"
)

// TestScanExternalViaRoleE2E scans a synthetic organisation with IAM roles
// (trust chains across member accounts, a partner account with and without
// sts:ExternalId, AWS services) through the emulator with the real SDK:
// report.json holds the external-via-role findings the analysis of the
// fixture itself gives, among them a path of two hops from the partner
// account.
func TestScanExternalViaRoleE2E(t *testing.T) {
	fixture := fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 2, Buckets: 3, Roles: 12})
	rep, _ := scanFixture(t, fixture)
	want, err := access.Analyze(context.Background(), fixture, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	viaRole := func(r *access.Report) []string {
		var out []string
		for _, b := range r.Buckets {
			for _, f := range b.Findings {
				if f.ID == access.FindingExternalViaRole {
					out = append(out, b.Name+" "+f.Severity+" "+f.Detail)
				}
			}
		}
		return out
	}
	got := viaRole(rep)
	if d := cmp.Diff(viaRole(want), got); d != "" {
		t.Errorf("external-via-role findings of the scan differ from the fixture's (-fixture +scan):\n%s", d)
	}
	twoHops := false
	for _, f := range got {
		if strings.Contains(f, "account "+fakeaws.SyntheticPartnerAccount+" → arn:aws:iam::") && strings.Count(f[strings.Index(f, ": account "):], " → ") == 2 {
			twoHops = true
		}
	}
	if !twoHops {
		t.Errorf("no two-hop path from the partner account among:\n%s", strings.Join(got, "\n"))
	}
}
