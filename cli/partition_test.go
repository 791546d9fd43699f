package cli

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// publicBucket is a bucket of 222222222222 (whose account BPA does not
// restrict public buckets) that a bucket policy makes publicly readable.
const publicBucket = `      - name: prod-open
        region: eu-west-1
        policy: {Version: "2012-10-17", Statement: [{Sid: OpenRead, Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::prod-open/*"}]}
`

// inPartition returns the scanner's round-trip fixture, with publicBucket
// added, in a partition: its ARNs (arn:aws: → arn:PARTITION:) and its
// regions rewritten.
func inPartition(t *testing.T, partition string, regions map[string]string) *inventory.Document {
	t.Helper()
	data, err := os.ReadFile("../scanner/testdata/roundtrip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "      - name: prod-extra\n        region: us-east-1\n"
	if !bytes.Contains(data, []byte(anchor)) {
		t.Fatal("roundtrip.yaml changed: no bucket prod-extra to add the public bucket after")
	}
	text := strings.Replace(string(data), anchor, anchor+publicBucket, 1)
	text = strings.ReplaceAll(text, "arn:aws:", "arn:"+partition+":")
	for from, to := range regions {
		// The S3 endpoint service names follow (com.amazonaws.REGION.s3,
		// in China too).
		text = strings.ReplaceAll(text, from, to)
	}
	doc, err := inventory.Parse([]byte(text), "roundtrip-"+partition+".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// scanFixtureFrom scans a fixture served by fakeaws with the scan command from
// home region, and returns the saved snapshot, the report and the raw
// report.json.
func scanFixtureFrom(t *testing.T, fixture *inventory.Document, home, extra string) (*inventory.Document, *model.Report, string) {
	t.Helper()
	scanEnv(t)
	_, url := fakeawstest.Start(t, fixture)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", "region: "+home+"\naudit_role:\n  external_id: rt-external-id\noutputs:\n  formats: [json]\n"+extra)
	snap, out := filepath.Join(dir, "snapshot.json"), filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"scan", "--config", cfg, "--endpoint-url", url, "--output-dir", out, "--save-snapshot", snap, "--log-format", "json"}, nil, &stdout, &stderr)
	if code != ExitIncomplete { // the fixture records unreadable fields
		t.Fatalf("scan from %s: exit %d, want %d\nstderr: %s", home, code, ExitIncomplete, stderr.String())
	}
	got, err := inventory.Load(snap)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	return got, readReportJSON(t, out), string(raw)
}

// verdicts lists every cell's verdict and deciding layers, and every
// finding ID, bucket by bucket: what must not depend on the partition.
func verdicts(r *model.Report) map[string][]string {
	out := map[string][]string{}
	for _, b := range r.Buckets {
		var l []string
		row := func(class string, a model.Actions) {
			for _, c := range []struct {
				name string
				cell model.Cell
			}{{"read", a.Read}, {"list", a.List}, {"write", a.Write}, {"delete", a.Delete}, {"manage", a.Manage}} {
				l = append(l, fmt.Sprintf("%s.%s=%s %v", class, c.name, c.cell.Verdict, c.cell.DecidedBy))
			}
		}
		row("public", b.Access.Public)
		row("any_aws", b.Access.AnyAWS)
		row("same_account", b.Access.SameAccount)
		for _, id := range slices.Sorted(maps.Keys(b.Access.External)) {
			row("external."+id, b.Access.External[id].Actions)
		}
		for _, f := range b.Findings {
			l = append(l, "finding "+f.ID)
		}
		out[b.Name] = append(l, "exposure "+b.Exposure)
	}
	return out
}

// TestScanPartitions: the round-trip organisation, moved to AWS GovCloud
// (US) and to the China regions, scanned from a home region of that
// partition through the emulator and the real SDK, comes back as the same
// snapshot; every ARN the emulator served and the report names is in the
// partition (no arn:aws: left); and every verdict is the one the same
// organisation gets in the commercial partition — in particular the bucket
// policy granting "*" s3:GetObject on arn:aws-us-gov:s3:::prod-open/*
// makes the bucket publicly readable.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
// https://docs.amazonaws.cn/en_us/aws/latest/userguide/ARNs.html
func TestScanPartitions(t *testing.T) {
	_, base, _ := scanFixtureFrom(t, inPartition(t, "aws", nil), "us-east-1", "")
	want := verdicts(base)
	if got := cellVerdict(t, base, "prod-open"); got != model.VerdictAllow {
		t.Fatalf("commercial prod-open public.read = %s, want allow", got)
	}
	for _, tc := range []struct {
		partition, home string
		regions         map[string]string
	}{
		{"aws-us-gov", "us-gov-west-1", map[string]string{"us-east-1": "us-gov-west-1", "us-west-2": "us-gov-west-1", "eu-west-1": "us-gov-east-1"}},
		{"aws-cn", "cn-north-1", map[string]string{"us-east-1": "cn-north-1", "us-west-2": "cn-north-1", "eu-west-1": "cn-northwest-1"}},
	} {
		t.Run(tc.partition, func(t *testing.T) {
			fixture := inPartition(t, tc.partition, tc.regions)
			snap, rep, raw := scanFixtureFrom(t, fixture, tc.home, "")
			if diff := cmp.Diff(fakeaws.ExpectedScan(fixture, fakeaws.ScanOptions{}), inventory.Canonical(snap)); diff != "" {
				t.Errorf("snapshot differs from the fixture (-fixture +snapshot):\n%s", diff)
			}
			data, err := inventory.Marshal(snap, false)
			if err != nil {
				t.Fatal(err)
			}
			for what, text := range map[string]string{"snapshot": string(data), "report.json": raw} {
				if i := strings.Index(text, "arn:aws:"); i >= 0 {
					t.Errorf("%s holds an ARN of the aws partition: %s", what, text[max(0, i-80):min(len(text), i+80)])
				}
				if !strings.Contains(text, "arn:"+tc.partition+":") {
					t.Errorf("%s holds no ARN of %s", what, tc.partition)
				}
			}
			if diff := cmp.Diff(want, verdicts(rep)); diff != "" {
				t.Errorf("verdicts differ from the commercial partition's (-aws +%s):\n%s", tc.partition, diff)
			}
			if got := cellVerdict(t, rep, "prod-open"); got != model.VerdictAllow {
				t.Errorf("prod-open public.read = %s, want allow", got)
			}
			// A scan of an accounts: list (no Organizations walk) assumes the
			// audit role in the home region's partition.
			listed, _, _ := scanFixtureFrom(t, fixture, tc.home, "accounts:\n  - {id: \"222222222222\"}\n")
			if len(listed.Accounts) != 1 || len(listed.Accounts[0].Buckets) == 0 || listed.Accounts[0].Errors.Has("assume_role") {
				t.Errorf("accounts-list scan: %+v", listed.Accounts)
			}
		})
	}
}

func cellVerdict(t *testing.T, r *model.Report, bucket string) model.Verdict {
	t.Helper()
	for _, b := range r.Buckets {
		if b.Name == bucket {
			return b.Access.Public.Read.Verdict
		}
	}
	t.Fatalf("no bucket %s", bucket)
	return ""
}

// TestRolePolicyPartition: the scanning principal's policy names the audit
// role in the partition of the trusted principal's ARN, or, for an account
// ID, of the configured home region (arn:aws-us-gov:iam::*:role/... from
// us-gov-west-1).
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
func TestRolePolicyPartition(t *testing.T) {
	dir := t.TempDir()
	gov := writeFile(t, dir, "gov.yaml", "region: us-gov-west-1\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--trusted-principal", "111111111111", "--config", gov}, `"arn:aws-us-gov:iam::*:role/BucketAuditRole"`},
		{[]string{"--trusted-principal", "arn:aws-cn:iam::111111111111:role/Scanner", "--config", gov}, `"arn:aws-cn:iam::*:role/BucketAuditRole"`},
		{[]string{"--trusted-principal", "111111111111"}, `"arn:aws:iam::*:role/BucketAuditRole"`},
	} {
		var out, errb bytes.Buffer
		args := append([]string{"role-policy", "--policy", "scanner", "--organization-id", "o-a1b2c3d4e5"}, tc.args...)
		if code := Run(context.Background(), args, nil, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errb.String())
		}
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("%v: scanner policy lacks %s:\n%s", tc.args, tc.want, out.String())
		}
	}
}
