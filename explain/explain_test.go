package explain

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/internal/golden"
	"github.com/bucketaudit/bucketaudit/inventory"
)

const fixture = "testdata/org.yaml"

func loadFixture(t testing.TB) *inventory.Document {
	t.Helper()
	doc, err := inventory.Load(fixture)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

const (
	reader   = "arn:aws:sts::333333333333:assumed-role/reader/alice"
	writer   = "arn:aws:sts::333333333333:assumed-role/writer/w1"
	etl      = "arn:aws:iam::222222222222:role/etl"
	app      = "arn:aws:sts::222222222222:assumed-role/app/i-0abc"
	bob      = "arn:aws:iam::333333333333:user/bob"
	partner  = "arn:aws:sts::999988887777:assumed-role/partner-sync/job"
	endpoint = "vpce-0a1b2c3d4e5f60718"
)

// classicCase is one classic cause of an S3 403 and the layer that must be
// named as the first blocking one. doc is the AWS documentation page of the
// rule it exercises.
type classicCase struct {
	name      string
	doc       string
	req       Request
	decision  Decision
	blockedBy string // "" = allowed
	// rowVerdicts are verdicts some rows must have.
	rowVerdicts map[string]Verdict
	// evidence must appear in some row's evidence or fix.
	evidence []string
	check    func(t *testing.T, x *Explanation)
}

func classicCases() []classicCase {
	ctx := func(kv ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				m[kv[i]] = []string{}
			} else {
				m[kv[i]] = append(m[kv[i]], kv[i+1])
			}
		}
		return m
	}
	return []classicCase{
		{
			name:     "missing-slash",
			doc:      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html",
			req:      Request{Principal: reader, Action: "s3:GetObject", Bucket: "missing-slash", Key: "reports/2024.csv"},
			decision: DecisionImplicitDeny, blockedBy: "bucket_policy",
			rowVerdicts: map[string]Verdict{"bucket_policy": VerdictDenies, "identity": VerdictAllows},
			evidence:    []string{`grants s3:GetObject on arn:aws:s3:::missing-slash, the bucket itself`, `"arn:aws:s3:::missing-slash/*"`},
		},
		{
			name:     "explicit-deny",
			doc:      "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html",
			req:      Request{Principal: reader, Action: "s3:GetObject", Bucket: "explicit-deny", Key: "ledger.csv"},
			decision: DecisionExplicitDeny, blockedBy: "bucket_policy",
			rowVerdicts: map[string]Verdict{"bucket_policy": VerdictDenies},
			evidence:    []string{`statement "OnlyFinanceAdmin" (Deny)`},
		},
		{
			name:     "block-public-access",
			doc:      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
			req:      Request{Principal: reader, Action: "s3:GetObject", Bucket: "public-reports", Key: "q1.pdf"},
			decision: DecisionImplicitDeny, blockedBy: "bpa",
			rowVerdicts: map[string]Verdict{"bpa": VerdictDenies, "bucket_policy": VerdictAllows},
			evidence:    []string{"RestrictPublicBuckets is on (bucket level)", `"Principal": {"AWS": "arn:aws:iam::333333333333:role/reader"}`},
		},
		{
			name:     "objectwriter-ownership",
			doc:      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html",
			req:      Request{Principal: etl, Action: "s3:GetObject", Bucket: "partner-uploads", Key: "incoming/data.csv", ObjectOwner: "333333333333"},
			decision: DecisionUnknown, blockedBy: "acl",
			rowVerdicts: map[string]Verdict{"acl": VerdictCouldNot, "identity": VerdictAllows},
			evidence:    []string{"ObjectOwnership=BucketOwnerEnforced", "--acl bucket-owner-full-control"},
		},
		{
			name:     "aws-managed-key-cross-account",
			doc:      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
			req:      Request{Principal: reader, Action: "s3:GetObject", Bucket: "ml-datasets", Key: "train/part-0.parquet"},
			decision: DecisionImplicitDeny, blockedBy: "kms",
			rowVerdicts: map[string]Verdict{"kms": VerdictDenies, "bucket_policy": VerdictAllows, "identity": VerdictAllows},
			evidence:    []string{"AWS managed key aws/s3 of account 222222222222", "put-bucket-encryption"},
		},
		{
			name:     "key-policy-without-grantee",
			doc:      "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html",
			req:      Request{Principal: reader, Action: "s3:GetObject", Bucket: "customer-exports", Key: "2024/export.json"},
			decision: DecisionImplicitDeny, blockedBy: "kms",
			rowVerdicts: map[string]Verdict{"kms": VerdictDenies, "bucket_policy": VerdictAllows},
			evidence:    []string{"the key policy does not allow kms:Decrypt", "aws kms put-key-policy"},
		},
		{
			name:        "kms-grant-instead-of-key-policy",
			doc:         "https://docs.aws.amazon.com/kms/latest/developerguide/grants.html",
			req:         Request{Principal: reader, Action: "s3:GetObject", Bucket: "granted-exports", Key: "2024/export.json"},
			decision:    DecisionAllow,
			rowVerdicts: map[string]Verdict{"kms": VerdictAllows},
			evidence:    []string{"but a KMS grant does"},
		},
		{
			name:     "cross-account-one-side",
			doc:      "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html",
			req:      Request{Principal: writer, Action: "s3:GetObject", Bucket: "one-side", Key: "drop/file.bin"},
			decision: DecisionImplicitDeny, blockedBy: "identity",
			rowVerdicts: map[string]Verdict{"identity": VerdictDenies, "bucket_policy": VerdictAllows},
			evidence:    []string{"aws iam put-role-policy --role-name writer"},
		},
		{
			name: "endpoint-only-bucket-from-outside",
			doc:  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html",
			req: Request{Principal: reader, Action: "s3:GetObject", Bucket: "vpc-only", Key: "a.txt",
				Context: ctx("aws:SourceVpce", "", "aws:SourceIp", "203.0.113.10")},
			decision: DecisionExplicitDeny, blockedBy: "bucket_policy",
			rowVerdicts: map[string]Verdict{"bucket_policy": VerdictDenies, "vpce": VerdictNotInvolved},
			evidence:    []string{`statement "OnlyThroughTheEndpoint" (Deny)`},
		},
		{
			name: "endpoint-policy-denies",
			doc:  "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html",
			req: Request{Principal: reader, Action: "s3:GetObject", Bucket: "vpc-only", Key: "a.txt",
				Context: ctx("aws:SourceVpce", endpoint)},
			decision: DecisionImplicitDeny, blockedBy: "vpce",
			rowVerdicts: map[string]Verdict{"vpce": VerdictDenies, "bucket_policy": VerdictAllows},
			evidence:    []string{"aws ec2 modify-vpc-endpoint --vpc-endpoint-id " + endpoint},
		},
		{
			name:        "endpoint-only-bucket-path-unstated",
			doc:         "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html",
			req:         Request{Principal: reader, Action: "s3:GetObject", Bucket: "vpc-only", Key: "a.txt"},
			decision:    DecisionImplicitDeny,
			blockedBy:   "vpce",
			rowVerdicts: map[string]Verdict{"vpce": VerdictDenies, "bucket_policy": VerdictConditional},
			evidence:    []string{"the bucket policy requires a VPC endpoint"},
		},
		{
			name:     "scp-deny",
			doc:      "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html",
			req:      Request{Principal: reader, Action: "s3:DeleteObject", Bucket: "shared-data", Key: "old/run-1.json"},
			decision: DecisionExplicitDeny, blockedBy: "scp",
			rowVerdicts: map[string]Verdict{"scp": VerdictDenies, "bucket_policy": VerdictAllows, "identity": VerdictAllows},
			evidence:    []string{`OU ou-ex01-prod0001 (Prod): statement "NoObjectDeletion" (Deny)`},
		},
		{
			name:     "rcp-deny",
			doc:      "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html",
			req:      Request{Principal: partner, Action: "s3:GetObject", Bucket: "partner-share", Key: "feed.csv"},
			decision: DecisionExplicitDeny, blockedBy: "rcp",
			rowVerdicts: map[string]Verdict{"rcp": VerdictDenies, "bucket_policy": VerdictAllows, "scp": VerdictNotInvolved},
			evidence:    []string{`statement "OnlyOrganizationPrincipals" (Deny)`},
		},
		{
			name:        "missing-listbucket-on-missing-key",
			doc:         "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html",
			req:         Request{Principal: app, Action: "s3:GetObject", Bucket: "missing-key", Key: "does/not/exist.txt", ErrorCode: "AccessDenied"},
			decision:    DecisionAllow,
			rowVerdicts: map[string]Verdict{"identity": VerdictAllows},
			check: func(t *testing.T, x *Explanation) {
				n := x.NoSuchKey
				if n == nil || n.Status != 403 || n.BlockedBy == nil || *n.BlockedBy != "identity" {
					t.Fatalf("no_such_key = %+v, want status 403 blocked by identity", n)
				}
				if !strings.Contains(n.Detail, "means NO SUCH KEY") || !strings.Contains(n.Fix, `"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::missing-key"`) {
					t.Errorf("no_such_key detail/fix: %q / %q", n.Detail, n.Fix)
				}
			},
		},
		{
			name:        "acl-grant-allows-cross-account-write",
			doc:         "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions",
			req:         Request{Principal: writer, Action: "s3:PutObject", Bucket: "partner-uploads", Key: "incoming/data.csv"},
			decision:    DecisionAllow,
			rowVerdicts: map[string]Verdict{"acl": VerdictAllows, "bucket_policy": VerdictNotInvolved, "identity": VerdictAllows},
			evidence:    []string{"ACL grant to account 333333333333 WRITE grants s3:PutObject"},
		},
		{
			name:     "permissions-boundary",
			doc:      "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
			req:      Request{Principal: bob, Action: "s3:GetObject", Bucket: "shared-data", Key: "x.json"},
			decision: DecisionImplicitDeny, blockedBy: "identity",
			rowVerdicts: map[string]Verdict{"identity": VerdictDenies},
			evidence:    []string{"permissions boundary arn:aws:iam::333333333333:policy/OnlyEC2 does not allow"},
		},
	}
}

// TestClassicCauses: each classic cause of a 403, in snapshot mode, names
// the right first blocking layer, explicit or implicit, with the evidence
// and the fix, and renders as its golden text.
func TestClassicCauses(t *testing.T) {
	for _, tc := range classicCases() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.doc == "" {
				t.Fatal("every case names the AWS documentation of its rule")
			}
			x, err := Explain(loadFixture(t), tc.req, Options{Source: "snapshot " + fixture})
			if err != nil {
				t.Fatal(err)
			}
			checkCase(t, tc, x)
			var text bytes.Buffer
			if err := x.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "golden/"+tc.name+".txt", text.Bytes())
		})
	}
}

func checkCase(t *testing.T, tc classicCase, x *Explanation) {
	t.Helper()
	blocked := ""
	if x.BlockedBy != nil {
		blocked = *x.BlockedBy
	}
	if x.Decision != tc.decision || blocked != tc.blockedBy {
		t.Errorf("decision %s blocked_by %q, want %s %q (decided_by %v: %s)", x.Decision, blocked, tc.decision, tc.blockedBy, x.DecidedBy, x.Reason)
	}
	rows := map[string]Row{}
	for _, r := range x.Layers {
		rows[r.Layer] = r
	}
	if len(rows) != len(checklist()) {
		t.Errorf("%d rows, want one per checklist layer %v", len(x.Layers), checklist())
	}
	for layer, want := range tc.rowVerdicts {
		if got := rows[layer].Verdict; got != want {
			t.Errorf("row %s: verdict %s, want %s; evidence %q", layer, got, want, rows[layer].Evidence)
		}
	}
	if tc.blockedBy != "" && !rows[tc.blockedBy].Blocks {
		t.Errorf("row %s is not marked as blocking", tc.blockedBy)
	}
	var all strings.Builder
	for _, r := range x.Layers {
		all.WriteString(strings.Join(r.Evidence, "\n") + "\n" + r.Fix + "\n")
	}
	for _, ev := range tc.evidence {
		if !strings.Contains(all.String(), ev) {
			t.Errorf("no row says %q; rows:\n%s", ev, all.String())
		}
	}
	if tc.check != nil {
		tc.check(t, x)
	}
}

func TestBadRequests(t *testing.T) {
	cases := []struct {
		name string
		req  Request
		want string
		is   error
	}{
		{"unknown action", Request{Principal: reader, Action: "s3:GetObjekt", Bucket: "missing-slash"}, `action "s3:GetObjekt" is not an S3 action`, ErrInvalidRequest},
		{"not s3", Request{Principal: reader, Action: "kms:Decrypt", Bucket: "missing-slash"}, "is not an S3 action", ErrInvalidRequest},
		{"bad principal", Request{Principal: "arn:aws:iam::12:role/x", Action: "s3:GetObject", Bucket: "b"}, "not a 12-digit account ID", ErrInvalidRequest},
		{"no principal", Request{Action: "s3:GetObject", Bucket: "b"}, "the principal is missing", ErrInvalidRequest},
		{"bucket ARN", Request{Principal: reader, Action: "s3:GetObject", Bucket: "arn:aws:s3:::b"}, "is not a bucket name", ErrInvalidRequest},
		{"key on a bucket action", Request{Principal: reader, Action: "s3:ListBucket", Bucket: "b", Key: "k"}, "acts on the bucket", ErrInvalidRequest},
		{"unknown bucket", Request{Principal: reader, Action: "s3:GetObject", Bucket: "nope"}, `"nope" is not in`, ErrBucketNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Explain(loadFixture(t), tc.req, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want one containing %q (%v)", err, tc.want, tc.is)
			}
		})
	}
}

func TestParseContext(t *testing.T) {
	got, err := ParseContext([]string{"aws:SourceIp=203.0.113.7", "aws:SourceVpce=", "aws:PrincipalTag/team=a", "aws:PrincipalTag/team=b"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"aws:SourceIp": {"203.0.113.7"}, "aws:SourceVpce": {}, "aws:PrincipalTag/team": {"a", "b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	for _, bad := range []string{"novalue", "=x", "SourceIp=1.2.3.4"} {
		if _, err := ParseContext([]string{bad}); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%q: error %v, want ErrInvalidRequest", bad, err)
		}
	}
	if _, err := ParseContext([]string{"aws:SourceVpce=", "aws:SourceVpce=vpce-1"}); err == nil {
		t.Error("a key both absent and present was accepted")
	}
}
