package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// verdictsFixture is an organisation for the exact-verdict checks (issue
// 11, items 3-6), scanned through fakeaws with the real SDK: the manage
// column and ACLs, a bucket policy naming IAM principals, unusable KMS
// keys, keys that are not collected.
const verdictsFixture = `schema_version: 1
organization:
  id: o-verdicts01
  management_account_id: "111111111111"
  root:
    id: r-vd01
    policies: [p-FullAWSAccess]
    accounts: ["111111111111", "222222222222"]
  policies:
    - {id: p-FullAWSAccess, name: FullAWSAccess, type: SERVICE_CONTROL_POLICY, aws_managed: true, document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}}
accounts:
  - id: "111111111111"
    name: management
    audit_role: {name: BucketAuditRole, external_id: vd-external-id}
  - id: "222222222222"
    name: data
    policies: [p-FullAWSAccess]
    audit_role: {name: BucketAuditRole, external_id: vd-external-id}
    buckets:
      - name: acl-manage
        region: eu-west-1
        ownership: BucketOwnerPreferred
        acl: {grants: [{grantee: {type: CanonicalUser, id: 9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0}, permission: WRITE_ACP}]}
        policy: {Version: "2012-10-17", Statement: [{Sid: PartnerACP, Effect: Allow, Principal: {AWS: "888877776666"}, Action: s3:PutBucketAcl, Resource: "arn:aws:s3:::acl-manage"}]}
      - name: enforced-manage
        region: eu-west-1
        ownership: BucketOwnerEnforced
        policy: {Version: "2012-10-17", Statement: [{Sid: PartnerACP, Effect: Allow, Principal: {AWS: "888877776666"}, Action: s3:PutBucketAcl, Resource: "arn:aws:s3:::enforced-manage"}]}
      - name: named-user
        region: eu-west-1
        policy: {Version: "2012-10-17", Statement: [{Sid: Named, Effect: Allow, Principal: {AWS: ["arn:aws:iam::222222222222:user/bounded", "arn:aws:iam::222222222222:role/bounded-role"]}, Action: s3:GetObject, Resource: "arn:aws:s3:::named-user/*"}]}
      - {name: disabled-key, region: eu-west-1, encryption: {algorithm: "aws:kms", kms_key_id: "arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000001"}}
      - {name: pending-key, region: eu-west-1, encryption: {algorithm: "aws:kms", kms_key_id: "alias/retiring"}}
      - {name: unread-key, region: eu-west-1, encryption: {algorithm: "aws:kms", kms_key_id: "arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000003"}}
      - {name: enabled-key, region: eu-west-1, encryption: {algorithm: "aws:kms", kms_key_id: "arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000004"}}
      - {name: managed-key, region: eu-west-1, encryption: {algorithm: "aws:kms"}}
    kms_keys:
      - {arn: "arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000001", state: Disabled}
      - {arn: "arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000002", state: PendingDeletion, aliases: [alias/retiring]}
      - {arn: "arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000003", errors: {describe_key: "AccessDeniedException: not authorized to perform kms:DescribeKey"}}
      - {arn: "arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000004"}
    iam:
      users:
        - arn: arn:aws:iam::222222222222:user/bounded
          permissions_boundary: arn:aws:iam::222222222222:policy/only-put
        - arn: arn:aws:iam::222222222222:user/reader
          inline_policies: {read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["s3:GetObject", "kms:Decrypt"], Resource: ["arn:aws:s3:::disabled-key/*", "arn:aws:kms:eu-west-1:222222222222:key/*"]}]}}
      roles:
        - arn: arn:aws:iam::222222222222:role/bounded-role
          permissions_boundary: arn:aws:iam::222222222222:policy/only-put
      policies:
        - arn: arn:aws:iam::222222222222:policy/only-put
          document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:PutObject", Resource: "*"}]}
`

// scanVerdicts scans verdictsFixture through fakeaws with the scan
// configuration's extra YAML, and returns the report.
func scanVerdicts(t *testing.T, extraConfig string) *model.Report {
	t.Helper()
	scanEnv(t)
	doc, err := inventory.Parse([]byte(verdictsFixture), "verdicts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, url := fakeawstest.Start(t, doc)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "scan.yaml", "audit_role:\n  external_id: vd-external-id\noutputs:\n  formats: [json]\n"+extraConfig)
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"scan", "--config", cfg, "--endpoint-url", url, "--output-dir", out, "--log-format", "json"}, nil, &stdout, &stderr)
	if code != ExitOK && code != ExitIncomplete {
		t.Fatalf("scan exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	return readReportJSON(t, out)
}

func reportBucket(t *testing.T, rep *model.Report, name string) *model.Bucket {
	t.Helper()
	i := slices.IndexFunc(rep.Buckets, func(b model.Bucket) bool { return b.Name == name })
	if i < 0 {
		t.Fatalf("bucket %s not in the report", name)
	}
	return &rep.Buckets[i]
}

func wantCell(t *testing.T, bucket, path string, c model.Cell, verdict model.Verdict, layer, reason string) {
	t.Helper()
	if c.Verdict != verdict || (layer != "" && !slices.Contains(c.DecidedBy, layer)) || !strings.Contains(c.Reason, reason) {
		t.Errorf("%s %s = %s %v %q; want %s by %s, reason with %q", bucket, path, c.Verdict, c.DecidedBy, c.Reason, verdict, layer, reason)
	}
}

func bucketHasFinding(b *model.Bucket, id string) bool {
	return slices.ContainsFunc(b.Findings, func(f model.Finding) bool { return f.ID == id })
}

// TestScanManageIsAccessControl (item 3): through the emulator, a
// bucket-ACL WRITE_ACP grant and a bucket policy granting s3:PutBucketAcl
// make manage allow where ACLs are in force, naming s3:PutBucketAcl; under
// BucketOwnerEnforced they do not.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
func TestScanManageIsAccessControl(t *testing.T) {
	rep := scanVerdicts(t, "")
	b := reportBucket(t, rep, "acl-manage")
	wantCell(t, b.Name, "external 888877776666 manage", b.Access.External["888877776666"].Manage, model.VerdictAllow, model.LayerBucketPolicy, `s3:PutBucketAcl allowed for principals of account 888877776666 by the bucket policy statement "PartnerACP"`)
	canon := b.Access.External["canonical:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"]
	wantCell(t, b.Name, "external canonical manage", canon.Manage, model.VerdictAllow, model.LayerACL, "s3:PutBucketAcl allowed")
	wantCell(t, b.Name, "external canonical list", canon.List, model.VerdictDeny, "", "")
	e := reportBucket(t, rep, "enforced-manage")
	wantCell(t, e.Name, "external 888877776666 manage", e.Access.External["888877776666"].Manage, model.VerdictDeny, model.LayerBucketPolicy, "s3:PutBucketPolicy implicitly denied")
}

// TestScanBucketPolicyPrincipalLists (item 4): a bucket policy naming a
// same-account IAM user grants it although its boundary does not; a named
// role stays limited by its boundary.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
func TestScanBucketPolicyPrincipalLists(t *testing.T) {
	rep := scanVerdicts(t, "")
	b := reportBucket(t, rep, "named-user")
	if got, want := b.Access.SameAccount.Read.Principals, []string{"arn:aws:iam::222222222222:user/bounded"}; !slices.Equal(got, want) {
		t.Errorf("named-user same_account.read principals = %v, want %v", got, want)
	}
}

// TestScanUnusableKMSKeys (item 5): a Disabled or PendingDeletion key
// denies reads and writes (kms) with a kms-key-unusable finding; a key
// whose state could not be read leaves them unknown.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
func TestScanUnusableKMSKeys(t *testing.T) {
	rep := scanVerdicts(t, "")
	for name, state := range map[string]string{"disabled-key": "Disabled", "pending-key": "PendingDeletion"} {
		b := reportBucket(t, rep, name)
		wantCell(t, name, "same_account read", b.Access.SameAccount.Read, model.VerdictDeny, model.LayerKMS, state)
		wantCell(t, name, "same_account write", b.Access.SameAccount.Write, model.VerdictDeny, model.LayerKMS, state)
		wantCell(t, name, "same_account list", b.Access.SameAccount.List, model.VerdictAllow, "", "")
		if !bucketHasFinding(b, model.FindingKMSKeyUnusable) {
			t.Errorf("%s: no %s finding: %+v", name, model.FindingKMSKeyUnusable, b.Findings)
		}
	}
	u := reportBucket(t, rep, "unread-key")
	wantCell(t, u.Name, "same_account read", u.Access.SameAccount.Read, model.VerdictUnknown, model.LayerKMS, "AccessDeniedException")
	wantCell(t, u.Name, "same_account write", u.Access.SameAccount.Write, model.VerdictUnknown, model.LayerKMS, "")
	ok := reportBucket(t, rep, "enabled-key")
	wantCell(t, ok.Name, "same_account read", ok.Access.SameAccount.Read, model.VerdictAllow, model.LayerKMS, "")
	if bucketHasFinding(ok, model.FindingKMSKeyUnusable) || bucketHasFinding(u, model.FindingKMSKeyUnusable) {
		t.Errorf("kms-key-unusable raised for a usable or unread key")
	}
}

// TestScanKMSNotCollected (item 6): with collect.kms: false no key is
// made up, not even aws/s3: the reads and writes that need one are
// unknown, saying KMS was not collected; with it on, the aws/s3 key the
// emulator creates on DescribeKey (as AWS does) decides.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
func TestScanKMSNotCollected(t *testing.T) {
	rep := scanVerdicts(t, "collect: {kms: false}\n")
	for _, name := range []string{"managed-key", "enabled-key", "disabled-key"} {
		b := reportBucket(t, rep, name)
		wantCell(t, name, "same_account read", b.Access.SameAccount.Read, model.VerdictUnknown, model.LayerKMS, "collect.kms: false")
		wantCell(t, name, "same_account write", b.Access.SameAccount.Write, model.VerdictUnknown, model.LayerKMS, "not collected")
		if strings.Contains(b.Config.KMSKeyARN, ":key/") && name == "managed-key" {
			t.Errorf("%s: kms_key_arn %q was made up", name, b.Config.KMSKeyARN)
		}
	}
	on := reportBucket(t, scanVerdicts(t, ""), "managed-key")
	wantCell(t, on.Name, "same_account read (collect.kms on)", on.Access.SameAccount.Read, model.VerdictAllow, model.LayerKMS, "aws/s3")
}

// TestExplainUnusableKMSKey: explain agrees with the matrix on a key that
// is Disabled: the kms layer denies, with the command that enables it.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
func TestExplainUnusableKMSKey(t *testing.T) {
	snap := writeFile(t, t.TempDir(), "verdicts.yaml", verdictsFixture)
	code, out, errOut := runExplain(t, "--snapshot", snap, "--principal", "arn:aws:iam::222222222222:user/reader",
		"--action", "s3:GetObject", "--bucket", "disabled-key", "--key", "k", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	x := decodeExplain(t, out)
	if x.BlockedBy == nil || *x.BlockedBy != model.LayerKMS {
		t.Fatalf("decision %s blocked_by %v, want kms:\n%s", x.Decision, x.BlockedBy, out)
	}
	for _, l := range x.Layers {
		if l.Layer == model.LayerKMS && (l.Verdict != "denies" || !strings.Contains(l.Fix, "aws kms enable-key --key-id arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000001")) {
			t.Errorf("kms row %+v: want denies, with aws kms enable-key", l)
		}
		if l.Layer == "identity" && l.Verdict != "allows" {
			t.Errorf("identity row %+v: the reader's policy allows the read", l)
		}
	}
}
