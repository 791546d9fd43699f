package access

import (
	"slices"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
)

// Exact verdicts (issue 11, items 3-6): the manage column and ACLs,
// principal lists of resource-policy grants, unusable KMS keys, keys that
// were not read.

// principalsOf returns a cell's principals list.
func principalsOf(t *testing.T, b *model.Bucket, path string) []string {
	t.Helper()
	return cellAt(t, b, path).Principals
}

// TestRuleBucketPolicyPrincipalLists: within the account, a bucket policy
// that names an IAM user ARN or a role-session ARN grants it even when its
// permissions boundary or identity policies do not; one naming a role ARN
// is limited by the role's boundary (and session policy), not by its
// identity policies. The same_account principals list must say so.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func TestRuleBucketPolicyPrincipalLists(t *testing.T) {
	const iam = `iam:
  users:
    - arn: arn:aws:iam::222222222222:user/bounded
      permissions_boundary: arn:aws:iam::222222222222:policy/only-put
    - arn: arn:aws:iam::222222222222:user/nothing
    - arn: arn:aws:iam::222222222222:user/unnamed
      inline_policies: {p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "ec2:*", Resource: "*"}]}}
  roles:
    - arn: arn:aws:iam::222222222222:role/bounded-role
      permissions_boundary: arn:aws:iam::222222222222:policy/only-put
    - arn: arn:aws:iam::222222222222:role/free-role
  policies:
    - arn: arn:aws:iam::222222222222:policy/only-put
      document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:PutObject", Resource: "*"}]}`
	runRules(t, []ruleCase{{
		name: "a bucket policy naming a user or role ARN grants it without an identity policy; a role's boundary still limits",
		doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html",
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: Named, Effect: Allow, Principal: {AWS: ["arn:aws:iam::222222222222:user/bounded", "arn:aws:iam::222222222222:user/nothing", "arn:aws:iam::222222222222:role/bounded-role", "arn:aws:iam::222222222222:role/free-role"]}, Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"}]}`,
		extra: iam,
		cells: []expectCell{{path: "same_account.read", verdict: model.VerdictAllow}},
		check: func(t *testing.T, b *model.Bucket) {
			got := principalsOf(t, b, "same_account.read")
			want := []string{"arn:aws:iam::222222222222:role/free-role", "arn:aws:iam::222222222222:user/bounded", "arn:aws:iam::222222222222:user/nothing"}
			if !slices.Equal(got, want) {
				t.Errorf("same_account.read principals = %v, want %v (users named by the bucket policy are not limited by their boundary or identity policies; a named role is limited by its boundary)", got, want)
			}
			if got := principalsOf(t, b, "same_account.list"); len(got) != 0 {
				t.Errorf("same_account.list principals = %v, want none (nothing grants ListBucket)", got)
			}
		},
	}, {
		name: "Principal * in the bucket policy grants every principal of the account, boundary or not",
		doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html",
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: Everyone, Effect: Allow, Principal: "*", Action: s3:ListBucket, Resource: "arn:aws:s3:::bkt", Condition: {StringEquals: {"aws:PrincipalAccount": "222222222222"}}}]}`,
		extra: iam,
		check: func(t *testing.T, b *model.Bucket) {
			got := principalsOf(t, b, "same_account.list")
			if len(got) != 5 || !strings.HasSuffix(got[4], "user/unnamed") {
				t.Errorf("same_account.list principals = %v, want all five", got)
			}
		},
	}})
}

// TestRuleKMSKeyState: a key that is Disabled, PendingDeletion,
// PendingImport, Unavailable or PendingReplicaDeletion cannot be used in
// cryptographic operations, so reads (kms:Decrypt) and writes
// (kms:GenerateDataKey) of an SSE-KMS bucket using it are denied for every
// caller, decided by kms, with a finding; a key whose state could not be
// read is unknown, never allow. An Updating key can be used.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
// https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html (PendingReplicaDeletion)
// https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-update.html (Updating)
func TestRuleKMSKeyState(t *testing.T) {
	const arn = "arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000000"
	bucket := "name: bkt\nregion: eu-west-1\nencryption: {algorithm: \"aws:kms\", kms_key_id: \"" + arn + "\"}\n" +
		`policy: {Version: "2012-10-17", Statement: [{Sid: Partner, Effect: Allow, Principal: {AWS: "888877776666"}, Action: [s3:GetObject, s3:PutObject], Resource: "arn:aws:s3:::bkt/*"}]}`
	key := func(fields string) string {
		return "kms_keys:\n  - arn: " + arn + "\n    " + fields + `
    policy: {Version: "2012-10-17", Statement: [{Sid: Root, Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: "kms:*", Resource: "*"}, {Sid: Partner, Effect: Allow, Principal: {AWS: "arn:aws:iam::888877776666:root"}, Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*"}]}`
	}
	var cases []ruleCase
	for state, remediation := range map[string]string{
		"Disabled":               "aws kms enable-key --key-id " + arn,
		"PendingDeletion":        "aws kms cancel-key-deletion --key-id " + arn,
		"PendingReplicaDeletion": "aws kms cancel-key-deletion --key-id " + arn,
		"PendingImport":          "aws kms import-key-material --key-id " + arn,
		"Unavailable":            "aws kms connect-custom-key-store",
	} {
		cases = append(cases, ruleCase{
			name:   "a " + state + " key denies reads and writes",
			doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html",
			bucket: bucket,
			extra:  key("state: " + state),
			cells: []expectCell{
				{path: "same_account.read", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}, reason: state},
				{path: "same_account.write", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}, reason: "kms:GenerateDataKey"},
				{path: "external.888877776666.read", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}, reason: state},
				{path: "same_account.list", verdict: model.VerdictAllow},
				{path: "same_account.delete", verdict: model.VerdictAllow},
			},
			findings: []string{model.FindingKMSKeyUnusable},
			absent:   []string{model.FindingKMSKeyPolicyMissingGrant},
			check: func(t *testing.T, b *model.Bucket) {
				for _, f := range b.Findings {
					if f.ID == model.FindingKMSKeyUnusable && (f.Severity != model.SeverityHigh || !strings.Contains(f.Remediation, remediation) || !strings.Contains(f.Detail, state)) {
						t.Errorf("kms-key-unusable = %+v, want severity high, remediation with %q", f, remediation)
					}
				}
			},
		})
	}
	cases = append(cases, ruleCase{
		name:   "an Enabled key is decided by its policy, without the finding",
		doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html",
		bucket: bucket,
		extra:  key("state: Enabled"),
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictAllow, layers: []string{model.LayerKMS}},
			{path: "external.888877776666.write", verdict: model.VerdictAllow, layers: []string{model.LayerKMS}},
		},
		absent: []string{model.FindingKMSKeyUnusable},
	}, ruleCase{
		name:   "a key whose state could not be read is unknown, never allow",
		doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html",
		bucket: bucket,
		extra:  "kms_keys:\n  - arn: " + arn + "\n    errors: {describe_key: \"AccessDeniedException: not authorized\"}",
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictUnknown, layers: []string{model.LayerKMS}, reason: "AccessDeniedException"},
			{path: "external.888877776666.write", verdict: model.VerdictUnknown, layers: []string{model.LayerKMS}},
			{path: "public.read", verdict: model.VerdictDeny},
			{path: "same_account.list", verdict: model.VerdictAllow},
		},
		findings: []string{model.FindingAssessmentIncomplete},
		absent:   []string{model.FindingKMSKeyUnusable},
	}, ruleCase{
		name:   "an Updating multi-Region key can be used",
		doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-update.html",
		bucket: bucket,
		extra:  key("state: Updating"),
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictAllow, layers: []string{model.LayerKMS}},
		},
		absent: []string{model.FindingKMSKeyUnusable},
	}, ruleCase{
		name:   "a replica key still Creating is not decided",
		doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html",
		bucket: bucket,
		extra:  key("state: Creating"),
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictUnknown, layers: []string{model.LayerKMS}, reason: "Creating"},
		},
		absent: []string{model.FindingKMSKeyUnusable},
	})
	runRules(t, cases)
}

// TestRuleKeyNotRead: a key that was not read is never made up. In a scan's
// snapshot (collect.kms: false, or a key the scan did not return), the
// reads and writes that need the key are unknown, saying it was not
// collected; the AWS managed aws/s3 key is not synthesised either. Its
// cross-account denial needs no key: AWS managed key policies allow only
// their own account.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
// https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
func TestRuleKeyNotRead(t *testing.T) {
	partner := `policy: {Version: "2012-10-17", Statement: [{Sid: Partner, Effect: Allow, Principal: {AWS: "888877776666"}, Action: [s3:GetObject, s3:PutObject], Resource: "arn:aws:s3:::bkt/*"}]}`
	snapshot := func(s string) string {
		return strings.Replace(s, "schema_version: 1\n", "schema_version: 1\nscan: {started_at: 2026-01-01T00:00:00Z, finished_at: 2026-01-01T00:01:00Z, complete: true}\n", 1)
	}
	notSynthesised := func(t *testing.T, b *model.Bucket) {
		if strings.Contains(b.Config.KMSKeyARN, ":key/") {
			t.Errorf("kms_key_arn = %q: a key that was not read has no ARN", b.Config.KMSKeyARN)
		}
	}
	runRules(t, []ruleCase{{
		name:   "a snapshot without the aws/s3 key: same-account reads and writes are unknown",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
		bucket: "name: bkt\nregion: eu-west-1\nencryption: {algorithm: \"aws:kms\"}\n" + partner,
		edit:   snapshot,
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictUnknown, layers: []string{model.LayerKMS}, reason: "collect.kms: false"},
			{path: "same_account.write", verdict: model.VerdictUnknown, layers: []string{model.LayerKMS}, reason: "aws/s3"},
			{path: "external.888877776666.read", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}, reason: "aws/s3"},
			{path: "same_account.list", verdict: model.VerdictAllow},
		},
		findings: []string{model.FindingAssessmentIncomplete, model.FindingAWSManagedKeyCrossAcct},
		check: func(t *testing.T, b *model.Bucket) {
			notSynthesised(t, b)
			for _, f := range b.Findings {
				if f.ID == model.FindingAssessmentIncomplete && !strings.Contains(f.Remediation, "collect.kms: true") {
					t.Errorf("assessment-incomplete remediation %q does not say to collect the key", f.Remediation)
				}
			}
		},
	}, {
		name:   "a snapshot without the customer managed key: reads and writes are unknown",
		doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html",
		bucket: "name: bkt\nregion: eu-west-1\nencryption: {algorithm: \"aws:kms\", kms_key_id: \"alias/data\"}\n" + partner,
		edit:   snapshot,
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictUnknown, layers: []string{model.LayerKMS}, reason: "not collected"},
			{path: "external.888877776666.write", verdict: model.VerdictUnknown, layers: []string{model.LayerKMS}},
		},
		findings: []string{model.FindingAssessmentIncomplete},
		check:    notSynthesised,
	}, {
		name:   "a fixture's aws/s3 key is the one the emulator serves (AWS creates it on first use)",
		doc:    "https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html",
		bucket: "name: bkt\nregion: eu-west-1\nencryption: {algorithm: \"aws:kms\"}\n" + partner,
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictAllow, layers: []string{model.LayerKMS}},
		},
	}})
}

// TestRuleManageIsAccessControl: the manage column is "can change the
// bucket's access control": s3:PutBucketPolicy, or s3:PutBucketAcl where
// ACLs are in force. A bucket-ACL WRITE_ACP (or FULL_CONTROL) grant allows
// s3:PutBucketAcl, never s3:PutBucketPolicy; under BucketOwnerEnforced
// PutBucketAcl accepts only the bucket-owner-full-control ACL, so it
// changes nothing. The reason names the action that allows.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
func TestRuleManageIsAccessControl(t *testing.T) {
	const canon = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"
	writeACP := "acl:\n  grants:\n    - {grantee: {type: CanonicalUser, id: " + canon + "}, permission: WRITE_ACP}\n" +
		"    - {grantee: {type: Group, uri: \"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\"}, permission: READ_ACP}"
	grant := func(action string) string {
		return `policy: {Version: "2012-10-17", Statement: [{Sid: PartnerACP, Effect: Allow, Principal: {AWS: "888877776666"}, Action: ` + action + `, Resource: "arn:aws:s3:::bkt"}]}`
	}
	runRules(t, []ruleCase{{
		name:   "an ACL WRITE_ACP grant lets its grantee change the ACL where ACLs are in force",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions",
		bucket: "name: bkt\nregion: eu-west-1\nownership: BucketOwnerPreferred\n" + writeACP,
		cells: []expectCell{
			{path: "external.canonical:" + canon + ".manage", verdict: model.VerdictAllow, layers: []string{model.LayerACL}, reason: `s3:PutBucketAcl allowed for the account of canonical user 9f8e7d6c5b4a… by the bucket ACL statement "ACL grant to canonical user 9f8e7d6c5b4a… WRITE_ACP"`},
			{path: "external.canonical:" + canon + ".list", verdict: model.VerdictDeny},
			// READ_ACP reads the ACL: it changes nothing.
			{path: "any_aws.manage", verdict: model.VerdictDeny, reason: "s3:PutBucketAcl implicitly denied"},
		},
		check: func(t *testing.T, b *model.Bucket) {
			if r := cellAt(t, b, "any_aws.manage").Reason; !strings.Contains(r, "s3:PutBucketPolicy implicitly denied") {
				t.Errorf("any_aws.manage reason %q: a deny names both actions", r)
			}
		},
	}, {
		name:   "under BucketOwnerEnforced the same grant changes nothing",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html",
		bucket: "name: bkt\nregion: eu-west-1\nownership: BucketOwnerEnforced\n" + writeACP + "\n" + grant("s3:PutBucketAcl"),
		cells: []expectCell{
			{path: "external.888877776666.manage", verdict: model.VerdictDeny, reason: "s3:PutBucketPolicy implicitly denied"},
		},
		check: func(t *testing.T, b *model.Bucket) {
			if _, ok := b.Access.External["canonical:"+canon]; ok {
				t.Errorf("a grant of a disabled ACL names an external account")
			}
			if r := cellAt(t, b, "external.888877776666.manage").Reason; strings.Contains(r, "PutBucketAcl") {
				t.Errorf("reason %q: PutBucketAcl does not count under BucketOwnerEnforced", r)
			}
		},
	}, {
		name:   "a bucket policy granting s3:PutBucketAcl allows manage where ACLs are in force, and says so",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions",
		bucket: "name: bkt\nregion: eu-west-1\nownership: ObjectWriter\n" + grant("s3:PutBucketAcl"),
		cells: []expectCell{
			{path: "external.888877776666.manage", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy}, reason: `s3:PutBucketAcl allowed for principals of account 888877776666 by the bucket policy statement "PartnerACP"`},
		},
		findings: []string{model.FindingExternalAccountAccess},
	}, {
		name:   "s3:PutBucketPolicy granted by the bucket policy is named",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html",
		bucket: "name: bkt\nregion: eu-west-1\nownership: ObjectWriter\n" + writeACP + "\n" + grant("s3:PutBucketPolicy"),
		cells: []expectCell{
			{path: "external.888877776666.manage", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy}, reason: `s3:PutBucketPolicy allowed for principals of account 888877776666 by the bucket policy statement "PartnerACP"`},
		},
	}, {
		// An allow narrowed to named principals must not hide the other
		// action's allow for every principal of the class.
		name: "s3:PutBucketPolicy narrowed to a role, s3:PutBucketAcl for the whole account: manage is allowed, not narrowed",
		doc:  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions",
		bucket: `name: bkt
region: eu-west-1
ownership: ObjectWriter
policy: {Version: "2012-10-17", Statement: [
  {Sid: PolicyForAdmin, Effect: Allow, Principal: {AWS: "arn:aws:iam::888877776666:role/Admin"}, Action: s3:PutBucketPolicy, Resource: "arn:aws:s3:::bkt"},
  {Sid: ACLForAccount, Effect: Allow, Principal: {AWS: "888877776666"}, Action: s3:PutBucketAcl, Resource: "arn:aws:s3:::bkt"}]}`,
		cells: []expectCell{
			{path: "external.888877776666.manage", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy}, reason: `s3:PutBucketAcl allowed for principals of account 888877776666 by the bucket policy statement "ACLForAccount"`},
		},
		findings: []string{model.FindingExternalAccountAccess},
		check: func(t *testing.T, b *model.Bucket) {
			if n := cellAt(t, b, "external.888877776666.manage").NarrowedTo; len(n) != 0 {
				t.Errorf("manage narrowed to %v: s3:PutBucketAcl is allowed for every principal of the account", n)
			}
		},
	}, {
		name: "two conditional grants: manage is allowed when either's conditions hold",
		doc:  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions",
		bucket: `name: bkt
region: eu-west-1
ownership: ObjectWriter
policy: {Version: "2012-10-17", Statement: [
  {Sid: PolicyFromA, Effect: Allow, Principal: {AWS: "888877776666"}, Action: s3:PutBucketPolicy, Resource: "arn:aws:s3:::bkt", Condition: {IpAddress: {"aws:SourceIp": 192.0.2.0/24}}},
  {Sid: ACLFromB, Effect: Allow, Principal: {AWS: "888877776666"}, Action: s3:PutBucketAcl, Resource: "arn:aws:s3:::bkt", Condition: {IpAddress: {"aws:SourceIp": 198.51.100.0/24}}}]}`,
		cells: []expectCell{
			{path: "external.888877776666.manage", verdict: model.VerdictConditional, layers: []string{model.LayerBucketPolicy}, cond: "198.51.100.0/24", reason: "s3:PutBucketAcl allowed for principals of account 888877776666 only if aws:SourceIp in 198.51.100.0/24"},
		},
		check: func(t *testing.T, b *model.Bucket) {
			c := cellAt(t, b, "external.888877776666.manage")
			if !c.AnyOf || len(c.Conditions) != 2 || !strings.Contains(c.Reason, "s3:PutBucketPolicy allowed for principals of account 888877776666 only if aws:SourceIp in 192.0.2.0/24") {
				t.Errorf("manage = %+v: want either request's conditions, both named", c)
			}
		},
	}, {
		name:   "with Object Ownership unread, a PutBucketAcl grant leaves manage unknown",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html",
		bucket: "name: bkt\nregion: eu-west-1\nerrors: {ownership: \"AccessDenied: denied\"}\n" + grant("s3:PutBucketAcl"),
		cells: []expectCell{
			{path: "external.888877776666.manage", verdict: model.VerdictUnknown, layers: []string{model.LayerACL}, reason: "Object Ownership could not be read"},
		},
	}})
}

// TestDecideManageActionsApart: Decide (explain's request) decides exactly
// the action asked; the matrix's manage cell is the OR of s3:PutBucketPolicy
// and s3:PutBucketAcl. The demo's legacy buckets are ObjectWriter, and the
// SCP ProtectBucketPolicies lets only platform-admin change bucket policies:
// their ACLs can still be changed.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
func TestDecideManageActionsApart(t *testing.T) {
	ix, bl := demoLayers(t, "acme-legacy-website")
	same := func() *Caller {
		return &Caller{Account: bl.Account.ID, InOrg: TriTrue, OrgPath: ix.OrgPath(bl.Account.ID), SCPs: ix.SCPs(bl.Account.ID)}
	}
	if d := bl.Decide(same(), ActionManage, ""); d.Verdict != model.VerdictAllow || len(d.NarrowedTo) == 0 || !strings.Contains(d.Reason, "s3:PutBucketPolicy") {
		t.Errorf("Decide(s3:PutBucketPolicy) = %s %q narrowed to %v, want allow narrowed to the SCP's platform-admin exception", d.Verdict, d.Reason, d.NarrowedTo)
	}
	if d := bl.Decide(same(), ActionPutBucketACL, ""); d.Verdict != model.VerdictAllow {
		t.Errorf("Decide(s3:PutBucketAcl) = %s %q, want allow", d.Verdict, d.Reason)
	}
	if o := bl.decide(same(), ActionManage, ""); o.verdict != model.VerdictAllow || len(o.narrow) > 0 || !strings.HasPrefix(o.reason, "s3:PutBucketAcl allowed") {
		t.Errorf("manage cell = %s %q narrowed to %v, want allow for everyone by s3:PutBucketAcl", o.verdict, o.reason, o.narrow)
	}
}

// TestRuleObjectACLNoteUnderExplicitDeny: the reason of a read denied by an
// explicit deny does not say object ACLs could still grant it (an object
// ACL grants as a policy statement does, and an explicit deny wins); an
// implicit deny still says so.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func TestRuleObjectACLNoteUnderExplicitDeny(t *testing.T) {
	const note = "object ACLs (not read)"
	runRules(t, []ruleCase{{
		name:   "explicit deny",
		doc:    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
		bucket: "name: bkt\nregion: eu-west-1\nownership: ObjectWriter\n" + `policy: {Version: "2012-10-17", Statement: [{Sid: NoReads, Effect: Deny, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"}]}`,
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictDeny, reason: "NoReads"},
			{path: "any_aws.read", verdict: model.VerdictDeny, reason: "NoReads"},
		},
		check: func(t *testing.T, b *model.Bucket) {
			for _, p := range []string{"public.read", "any_aws.read"} {
				if r := cellAt(t, b, p).Reason; strings.Contains(r, note) {
					t.Errorf("%s reason %q: an object ACL cannot lift an explicit deny", p, r)
				}
			}
		},
	}, {
		name:   "implicit deny",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html",
		bucket: "name: bkt\nregion: eu-west-1\nownership: ObjectWriter\n",
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictDeny, reason: note},
		},
	}})
}
