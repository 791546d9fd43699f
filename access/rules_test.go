package access

import (
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
)

// ruleCase is one AWS access rule, encoded as a fixture and the cells and
// findings it must produce. doc is the AWS documentation page it encodes.
type ruleCase struct {
	name     string
	doc      string
	bucket   string
	extra    string
	prod     []string            // policies attached to OU Prod besides FullAWSAccess
	edit     func(string) string // optional edit of the whole fixture
	trusted  map[string]string
	cells    []expectCell
	findings []string // must be raised
	absent   []string // must not be raised
	check    func(t *testing.T, b *model.Bucket)
}

func runRules(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.doc == "" {
				t.Fatal("every rule test names the AWS documentation it encodes")
			}
			text := testOrg(tc.bucket, tc.extra, tc.prod...)
			if tc.edit != nil {
				text = tc.edit(text)
			}
			rep := analyzeYAML(t, text, tc.trusted)
			b := bucketNamed(t, rep, "bkt")
			checkCells(t, b, tc.cells)
			for _, id := range tc.findings {
				if !hasFinding(b, id) {
					t.Errorf("finding %s not raised; findings: %v", id, findingIDs(b))
				}
			}
			for _, id := range tc.absent {
				if hasFinding(b, id) {
					t.Errorf("finding %s raised, want not; findings: %v", id, findingIDs(b))
				}
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
}

func findingIDs(b *model.Bucket) []string {
	var ids []string
	for _, f := range b.Findings {
		ids = append(ids, f.ID+"("+string(f.Severity)+")")
	}
	return ids
}

const tlsDeny = `{Sid: TLS, Effect: Deny, Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::bkt", "arn:aws:s3:::bkt/*"], Condition: {Bool: {"aws:SecureTransport": "false"}}}`

func TestRulePrincipalsAndConditions(t *testing.T) {
	runRules(t, []ruleCase{{
		name: "Principal * with aws:PrincipalOrgID grants the organisation only",
		doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid",
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: OrgRead, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*", Condition: {StringEquals: {"aws:PrincipalOrgID": o-test000001}}}]}`,
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictDeny, layers: []string{model.LayerBucketPolicy}},
			{path: "any_aws.read", verdict: model.VerdictDeny, layers: []string{model.LayerBucketPolicy}},
			{path: "org.read", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy, model.LayerIdentity}, reason: "3 of 3"},
			{path: "same_account.read", verdict: model.VerdictAllow},
			{path: "org.write", verdict: model.VerdictDeny},
		},
		absent: []string{model.FindingPublicRead, model.FindingAnyAuthenticatedAccess},
	}, {
		name: "aws:SourceIp cannot be known: the public cell is conditional",
		doc:  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html#example-bucket-policies-IP",
		bucket: `name: bkt
region: eu-west-1
policy_is_public: true
policy: {Version: "2012-10-17", Statement: [{Sid: Office, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*", Condition: {IpAddress: {"aws:SourceIp": 203.0.113.0/24}}}]}`,
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictConditional, cond: "aws:SourceIp in 203.0.113.0/24", reason: `"Office"`},
			{path: "public.list", verdict: model.VerdictDeny},
		},
		// S3 does not count a /24 as public; the collected status says it is.
		findings: []string{model.FindingPublicRead, model.FindingPolicyStatusDisagreement},
		check: func(t *testing.T, b *model.Bucket) {
			if b.Config.PolicyIsPublic == nil || *b.Config.PolicyIsPublic {
				t.Errorf("policy_is_public = %v, want false", b.Config.PolicyIsPublic)
			}
			for _, f := range b.Findings {
				if f.ID == model.FindingPublicRead && f.Severity != model.SeverityHigh {
					t.Errorf("conditional public read severity %s, want high", f.Severity)
				}
			}
		},
	}, {
		name: "a grant to a member account is counted account by account",
		doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts",
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: Dev, Effect: Allow, Principal: {AWS: "arn:aws:iam::444444444444:root"}, Action: s3:ListBucket, Resource: "arn:aws:s3:::bkt"}]}`,
		cells: []expectCell{{path: "org.list", verdict: model.VerdictAllow, reason: "1 of 3"}, {path: "org.read", verdict: model.VerdictDeny}},
		check: func(t *testing.T, b *model.Bucket) {
			c := b.Access.Org.List
			if c.AllowedAccounts == nil || *c.AllowedAccounts != 1 || strings.Join(c.Accounts, ",") != "444444444444" {
				t.Errorf("org.list allowed %v accounts %v, want 1 [444444444444]", c.AllowedAccounts, c.Accounts)
			}
		},
	}, {
		name: "an external account named by the policy gets its own row; trusted ones are labelled",
		doc:  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-walkthroughs-managing-access-example2.html",
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [
  {Sid: Partner, Effect: Allow, Principal: {AWS: "arn:aws:iam::888877776666:root"}, Action: [s3:GetObject, s3:ListBucket], Resource: ["arn:aws:s3:::bkt", "arn:aws:s3:::bkt/*"]},
  {Sid: Vendor, Effect: Allow, Principal: {AWS: "arn:aws:iam::999988887777:role/sync"}, Action: s3:PutObject, Resource: "arn:aws:s3:::bkt/*"}]}`,
		trusted: map[string]string{"888877776666": "partner"},
		cells: []expectCell{
			{path: "external.888877776666.read", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy, model.LayerIdentity}},
			{path: "external.888877776666.write", verdict: model.VerdictDeny},
			// A grant to a named role is no request condition: allow, narrowed to it.
			{path: "external.999988887777.write", verdict: model.VerdictAllow, narrowed: "aws:PrincipalArn = arn:aws:iam::999988887777:role/sync"},
			{path: "any_aws.read", verdict: model.VerdictDeny},
		},
		findings: []string{model.FindingExternalAccountAccess},
		check: func(t *testing.T, b *model.Bucket) {
			if e := b.Access.External["888877776666"]; !e.Trusted || e.Label != "partner" {
				t.Errorf("trusted row = %+v", e)
			}
			for _, f := range b.Findings {
				if f.ID == model.FindingExternalAccountAccess && strings.Contains(f.Detail, "888877776666") {
					t.Errorf("external-account-access raised for a trusted account: %s", f.Detail)
				}
			}
		},
	}, {
		name: "Allow with NotPrincipal grants everyone else",
		doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
		bucket: `name: bkt
region: eu-west-1
public_access_block: {block_public_acls: false, ignore_public_acls: false, block_public_policy: false, restrict_public_buckets: false}
policy: {Version: "2012-10-17", Statement: [{Sid: AllButAdmin, Effect: Allow, NotPrincipal: {AWS: "arn:aws:iam::222222222222:role/admin"}, Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"}]}`,
		cells:    []expectCell{{path: "public.read", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy}}},
		findings: []string{model.FindingAllowWithNotPrincipal, model.FindingPublicRead, model.FindingBucketBPAOff},
	}})
}

func TestRuleBlockPublicAccess(t *testing.T) {
	policy := `policy: {Version: "2012-10-17", Statement: [
  {Sid: PublicRead, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"},
  {Sid: PartnerWrite, Effect: Allow, Principal: {AWS: "888877776666"}, Action: s3:PutObject, Resource: "arn:aws:s3:::bkt/*"}]}`
	runRules(t, []ruleCase{{
		name:   "RestrictPublicBuckets voids a public policy's grants to every other account",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-options",
		bucket: "name: bkt\nregion: eu-west-1\npublic_access_block: {block_public_acls: false, ignore_public_acls: false, block_public_policy: false, restrict_public_buckets: true}\n" + policy,
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictDeny, layers: []string{model.LayerBPA}},
			{path: "external.888877776666.write", verdict: model.VerdictDeny, layers: []string{model.LayerBPA}},
			{path: "org.read", verdict: model.VerdictDeny, layers: []string{model.LayerBPA}},
			{path: "same_account.read", verdict: model.VerdictAllow},
		},
		findings: []string{model.FindingBPABlocksGrantedAccess},
		absent:   []string{model.FindingPublicRead, model.FindingExternalAccountAccess},
	}, {
		name:   "without RestrictPublicBuckets the same policy is public",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status",
		bucket: "name: bkt\nregion: eu-west-1\n" + policy,
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy}},
			{path: "external.888877776666.write", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy, model.LayerIdentity}},
		},
		findings: []string{model.FindingPublicRead, model.FindingExternalAccountAccess, model.FindingBucketBPAOff},
	}, {
		name:   "the account-level setting is ORed with the bucket's",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
		bucket: "name: bkt\nregion: eu-west-1\n" + policy,
		edit: func(s string) string {
			return strings.Replace(s, "  - id: \"222222222222\"\n    policies: [p-full]\n", "  - id: \"222222222222\"\n    policies: [p-full]\n    public_access_block: {block_public_acls: true, ignore_public_acls: true, block_public_policy: true, restrict_public_buckets: true}\n", 1)
		},
		cells:  []expectCell{{path: "public.read", verdict: model.VerdictDeny, layers: []string{model.LayerBPA}}},
		absent: []string{model.FindingBucketBPAOff},
	}, {
		name:   "an unreadable account-level BPA makes the public cells unknown",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
		bucket: "name: bkt\nregion: eu-west-1\n" + policy,
		edit: func(s string) string {
			return strings.Replace(s, "  - id: \"222222222222\"\n    policies: [p-full]\n", "  - id: \"222222222222\"\n    policies: [p-full]\n    errors: {public_access_block: \"AccessDenied: denied\"}\n", 1)
		},
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictUnknown, layers: []string{model.LayerBPA}, reason: "RestrictPublicBuckets"},
			{path: "same_account.read", verdict: model.VerdictAllow},
		},
		findings: []string{model.FindingAssessmentIncomplete},
	}})
}

func TestRuleACLs(t *testing.T) {
	acl := `acl:
  grants:
    - {grantee: {type: Group, uri: "http://acs.amazonaws.com/groups/global/AllUsers"}, permission: READ}
    - {grantee: {type: Group, uri: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}, permission: WRITE}
    - {grantee: {type: CanonicalUser, id: 9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0}, permission: FULL_CONTROL}`
	runRules(t, []ruleCase{{
		name:   "bucket ACL grants count when ACLs are enabled",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions",
		bucket: "name: bkt\nregion: eu-west-1\nownership: ObjectWriter\n" + acl,
		cells: []expectCell{
			{path: "public.list", verdict: model.VerdictAllow, layers: []string{model.LayerACL}, reason: "AllUsers READ"},
			{path: "public.write", verdict: model.VerdictDeny},
			{path: "public.read", verdict: model.VerdictDeny, reason: "object ACLs (not read)"},
			{path: "any_aws.write", verdict: model.VerdictAllow, layers: []string{model.LayerACL}},
			{path: "any_aws.delete", verdict: model.VerdictAllow, layers: []string{model.LayerACL}},
			{path: "any_aws.manage", verdict: model.VerdictDeny},
			{path: "external.canonical:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0.manage", verdict: model.VerdictAllow, layers: []string{model.LayerACL}},
		},
		findings: []string{model.FindingPublicList, model.FindingAnyAuthenticatedAccess, model.FindingPublicACLGrant, model.FindingACLsEnabled, model.FindingExternalAccountAccess},
		check: func(t *testing.T, b *model.Bucket) {
			for _, f := range b.Findings {
				if f.ID == model.FindingACLsEnabled && f.Severity != model.SeverityMedium {
					t.Errorf("ObjectWriter acls-enabled severity %s, want medium", f.Severity)
				}
			}
		},
	}, {
		name:   "an ACL grant allowed only under a bucket-policy condition names the grant",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions",
		bucket: "name: bkt\nregion: eu-west-1\nownership: ObjectWriter\n" + acl + "\npolicy: {Version: \"2012-10-17\", Statement: [{Sid: OnlyOffice, Effect: Deny, Principal: \"*\", Action: s3:ListBucket, Resource: \"arn:aws:s3:::bkt\", Condition: {NotIpAddress: {\"aws:SourceIp\": 192.0.2.0/24}}}]}",
		cells: []expectCell{
			{path: "public.list", verdict: model.VerdictConditional, layers: []string{model.LayerACL, model.LayerBucketPolicy}, cond: "aws:SourceIp in 192.0.2.0/24", reason: `by the bucket ACL statement "ACL grant AllUsers READ" only if`},
		},
	}, {
		name:   "IgnorePublicAcls ignores AllUsers and AuthenticatedUsers grants",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-options",
		bucket: "name: bkt\nregion: eu-west-1\nownership: ObjectWriter\npublic_access_block: {block_public_acls: false, ignore_public_acls: true, block_public_policy: false, restrict_public_buckets: false}\n" + acl,
		cells: []expectCell{
			{path: "public.list", verdict: model.VerdictDeny, layers: []string{model.LayerBPA}},
			{path: "any_aws.write", verdict: model.VerdictDeny, layers: []string{model.LayerBPA}},
		},
		findings: []string{model.FindingBPABlocksGrantedAccess, model.FindingPublicACLGrant},
		absent:   []string{model.FindingPublicList, model.FindingAnyAuthenticatedAccess},
	}, {
		name:   "BucketOwnerEnforced disables ACLs",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html",
		bucket: "name: bkt\nregion: eu-west-1\nownership: BucketOwnerEnforced\n" + acl,
		cells:  []expectCell{{path: "public.list", verdict: model.VerdictDeny}, {path: "any_aws.write", verdict: model.VerdictDeny}},
		absent: []string{model.FindingPublicList, model.FindingACLsEnabled, model.FindingPublicACLGrant},
	}, {
		name: "an explicit deny in the bucket policy overrides an ACL grant",
		doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
		bucket: "name: bkt\nregion: eu-west-1\nownership: ObjectWriter\n" + acl + `
policy: {Version: "2012-10-17", Statement: [{Sid: NoList, Effect: Deny, Principal: "*", Action: s3:ListBucket, Resource: "arn:aws:s3:::bkt"}]}`,
		cells: []expectCell{{path: "public.list", verdict: model.VerdictDeny, layers: []string{model.LayerBucketPolicy}, reason: `"NoList"`}},
	}, {
		name:   "an ACL grant to a member account's canonical ID counts for that account",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/finding-canonical-user-id.html",
		bucket: "name: bkt\nregion: eu-west-1\nownership: BucketOwnerPreferred\nacl:\n  grants:\n    - {grantee: {type: CanonicalUser, id: \"3333333333333333333333333333333333333333333333333333333333333333\"}, permission: READ}",
		edit: func(s string) string {
			return strings.Replace(s, `{id: "333333333333", policies: [p-full]}`, `{id: "333333333333", policies: [p-full], canonical_id: "3333333333333333333333333333333333333333333333333333333333333333"}`, 1)
		},
		cells: []expectCell{{path: "org.list", verdict: model.VerdictAllow, layers: []string{model.LayerACL}, reason: "1 of 3"}},
	}})
}

func TestRuleKMS(t *testing.T) {
	partnerRead := `policy: {Version: "2012-10-17", Statement: [
  {Sid: Public, Effect: Allow, Principal: "*", Action: s3:ListBucket, Resource: "arn:aws:s3:::bkt"},
  {Sid: Partner, Effect: Allow, Principal: {AWS: "888877776666"}, Action: [s3:GetObject, s3:PutObject], Resource: "arn:aws:s3:::bkt/*"},
  {Sid: PublicGet, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"}]}`
	key := func(policy string) string {
		return "kms_keys:\n  - arn: arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000000\n    " + policy
	}
	rootOnly := `policy: {Version: "2012-10-17", Statement: [{Sid: Root, Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: "kms:*", Resource: "*"}]}`
	withPartner := `policy: {Version: "2012-10-17", Statement: [{Sid: Root, Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: "kms:*", Resource: "*"}, {Sid: Partner, Effect: Allow, Principal: {AWS: "arn:aws:iam::888877776666:root"}, Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*"}]}`
	cmk := "encryption: {algorithm: \"aws:kms\", kms_key_id: \"arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000000\"}\n"
	runRules(t, []ruleCase{{
		name:   "the AWS managed key aws/s3 cannot be used by another account",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
		bucket: "name: bkt\nregion: eu-west-1\nencryption: {algorithm: \"aws:kms\"}\n" + partnerRead,
		cells: []expectCell{
			{path: "external.888877776666.read", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}, reason: "aws/s3"},
			{path: "external.888877776666.write", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}},
			{path: "same_account.read", verdict: model.VerdictAllow, layers: []string{model.LayerKMS}},
			{path: "public.list", verdict: model.VerdictAllow},
		},
		findings: []string{model.FindingAWSManagedKeyCrossAcct},
	}, {
		name:   "anonymous callers can never use SSE-KMS",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
		bucket: "name: bkt\nregion: eu-west-1\n" + cmk + partnerRead,
		extra:  key(withPartner),
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}, reason: "anonymous"},
			{path: "public.list", verdict: model.VerdictAllow},
		},
		findings: []string{model.FindingPublicList},
		absent:   []string{model.FindingPublicRead},
	}, {
		name:   "cross-account needs the key policy to allow the grantee",
		doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html",
		bucket: "name: bkt\nregion: eu-west-1\n" + cmk + partnerRead,
		extra:  key(rootOnly),
		cells: []expectCell{
			{path: "external.888877776666.read", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}, reason: "key policy"},
			{path: "same_account.read", verdict: model.VerdictAllow},
		},
		findings: []string{model.FindingKMSKeyPolicyMissingGrant},
	}, {
		name:   "a key policy that allows the grantee's account lets its principals through (with their identity policy)",
		doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html",
		bucket: "name: bkt\nregion: eu-west-1\n" + cmk + partnerRead,
		extra:  key(withPartner),
		cells: []expectCell{
			{path: "external.888877776666.read", verdict: model.VerdictAllow, layers: []string{model.LayerKMS}},
			{path: "external.888877776666.write", verdict: model.VerdictAllow},
			// Any other account is granted by PublicGet but not by the key policy.
			{path: "any_aws.read", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}},
		},
		findings: []string{model.FindingKMSKeyPolicyMissingGrant},
		check: func(t *testing.T, b *model.Bucket) {
			for _, f := range b.Findings {
				if f.ID == model.FindingKMSKeyPolicyMissingGrant && strings.Contains(f.Detail, "888877776666") {
					t.Errorf("the key policy allows 888877776666, yet: %s", f.Detail)
				}
			}
		},
	}, {
		name:   "a KMS grant lets its grantee use the key although the key policy does not name it",
		doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/grants.html",
		bucket: "name: bkt\nregion: eu-west-1\n" + cmk + partnerRead,
		extra:  key(rootOnly + "\n    grants: [{grantee_principal: \"arn:aws:iam::888877776666:role/reader\", operations: [Decrypt]}]"),
		cells: []expectCell{
			{path: "external.888877776666.read", verdict: model.VerdictAllow, layers: []string{model.LayerKMS}, narrowed: "aws:PrincipalArn = arn:aws:iam::888877776666:role/reader"},
			{path: "external.888877776666.write", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}},
		},
	}, {
		name:   "KMS grants that could not be listed make the key's decisions unknown",
		doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/grants.html",
		bucket: "name: bkt\nregion: eu-west-1\n" + cmk + partnerRead,
		extra:  key(rootOnly + "\n    errors: {grants: \"AccessDeniedException: no\"}"),
		cells: []expectCell{
			{path: "external.888877776666.read", verdict: model.VerdictUnknown, layers: []string{model.LayerKMS}},
			{path: "public.read", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}},
		},
	}, {
		name:   "a key policy that could not be read makes reads and writes unknown",
		doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html",
		bucket: "name: bkt\nregion: eu-west-1\n" + cmk,
		extra:  key(`errors: {policy: "AccessDeniedException: no"}`),
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictUnknown, layers: []string{model.LayerKMS}},
			{path: "same_account.list", verdict: model.VerdictAllow},
		},
		findings: []string{model.FindingAssessmentIncomplete},
	}, {
		name:   "a layer that decides for certain wins over one that could not be read",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
		bucket: "name: bkt\nregion: eu-west-1\n" + cmk + `errors: {policy: "AccessDenied: denied"}`,
		extra:  key(rootOnly),
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictDeny, layers: []string{model.LayerKMS}},
			{path: "public.list", verdict: model.VerdictUnknown, layers: []string{model.LayerBucketPolicy}},
		},
		findings: []string{model.FindingAssessmentIncomplete},
	}})
}

func TestRuleOrganizationPolicies(t *testing.T) {
	orgWide := `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [
  {Sid: OrgAll, Effect: Allow, Principal: "*", Action: [s3:GetObject, s3:DeleteObject], Resource: "arn:aws:s3:::bkt/*", Condition: {StringEquals: {"aws:PrincipalOrgID": o-test000001}}},
  {Sid: Partner, Effect: Allow, Principal: {AWS: "888877776666"}, Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"}]}`
	runRules(t, []ruleCase{{
		name:   "an SCP deny applies to the accounts under it; the org cell counts the others",
		doc:    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html",
		bucket: orgWide,
		prod:   []string{"p-denydelete"},
		cells: []expectCell{
			{path: "same_account.delete", verdict: model.VerdictDeny, layers: []string{model.LayerSCP}, reason: `"NoDelete"`},
			{path: "org.delete", verdict: model.VerdictAllow, reason: "2 of 3"},
			{path: "org.read", verdict: model.VerdictAllow, reason: "3 of 3"},
		},
		findings: []string{model.FindingOrgPolicyDeniesGranted},
	}, {
		name:   "SCPs do not apply to the management account",
		doc:    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html",
		bucket: orgWide,
		edit: func(s string) string {
			return strings.Replace(s, "    policies: [p-full]\n    accounts: [\"111111111111\"]", "    policies: [p-full, p-denydelete]\n    accounts: [\"111111111111\"]", 1)
		},
		cells: []expectCell{{path: "org.delete", verdict: model.VerdictAllow, reason: "1 of 3"}},
		check: func(t *testing.T, b *model.Bucket) {
			if got := strings.Join(b.Access.Org.Delete.Accounts, ","); got != "111111111111" {
				t.Errorf("org.delete accounts = %q, want the management account", got)
			}
		},
	}, {
		name:   "an RCP denies callers outside the organisation what the bucket grants",
		doc:    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html",
		bucket: orgWide,
		prod:   []string{"p-rcpext"},
		cells: []expectCell{
			{path: "external.888877776666.read", verdict: model.VerdictDeny, layers: []string{model.LayerRCP}, reason: `"OrgOnly"`},
			{path: "org.read", verdict: model.VerdictAllow},
		},
		findings: []string{model.FindingOrgPolicyDeniesGranted},
		absent:   []string{model.FindingExternalAccountAccess},
	}, {
		name:     "no TLS-only statement: no-tls-enforcement",
		doc:      "https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-ssl-requests-only.html",
		bucket:   orgWide,
		findings: []string{model.FindingNoTLSEnforcement},
	}, {
		name:   "a bucket statement denying aws:SecureTransport false enforces TLS",
		doc:    "https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-ssl-requests-only.html",
		bucket: "name: bkt\nregion: eu-west-1\npolicy: {Version: \"2012-10-17\", Statement: [" + tlsDeny + "]}",
		absent: []string{model.FindingNoTLSEnforcement},
	}, {
		name:   "an applicable RCP denying aws:SecureTransport false enforces TLS",
		doc:    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_examples.html",
		bucket: orgWide,
		prod:   []string{"p-rcptls"},
		absent: []string{model.FindingNoTLSEnforcement},
	}})
}

func TestRuleVPCEndpoints(t *testing.T) {
	bucket := `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [
  {Sid: OnlyViaVpce, Effect: Deny, Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::bkt", "arn:aws:s3:::bkt/*"], Condition: {StringNotEquals: {"aws:SourceVpce": vpce-0aaa}}},
  {Sid: Partner, Effect: Allow, Principal: {AWS: "888877776666"}, Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"}]}`
	endpoint := `vpc_endpoints:
  - id: vpce-0aaa
    region: eu-west-1
    service: com.amazonaws.eu-west-1.s3
    policy: {Version: "2012-10-17", Statement: [{Sid: OrgOnly, Effect: Allow, Principal: "*", Action: "s3:*", Resource: "*", Condition: {StringEquals: {"aws:PrincipalOrgID": o-test000001}}}]}`
	runRules(t, []ruleCase{{
		name:   "an endpoint-only bucket is conditional on the endpoint, whose policy is evaluated",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html",
		bucket: bucket,
		extra:  endpoint,
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictConditional, layers: []string{model.LayerVPCE}, cond: "aws:SourceVpce = vpce-0aaa"},
			{path: "external.888877776666.read", verdict: model.VerdictDeny, layers: []string{model.LayerVPCE}},
			{path: "public.read", verdict: model.VerdictDeny},
		},
		absent: []string{model.FindingExternalAccountAccess},
	}, {
		name:   "an endpoint that was not collected leaves the cell conditional",
		doc:    "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html",
		bucket: bucket,
		cells: []expectCell{
			{path: "external.888877776666.read", verdict: model.VerdictConditional, cond: "vpce-0aaa", reason: "not collected"},
		},
		findings: []string{model.FindingExternalAccountAccess},
	}})
}

func TestRuleUnreadable(t *testing.T) {
	runRules(t, []ruleCase{{
		name:   "a bucket policy that could not be read makes every cell it could decide unknown",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html",
		bucket: "name: bkt\nregion: eu-west-1\nerrors: {policy: \"AccessDenied: Access Denied\"}",
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictUnknown, layers: []string{model.LayerBucketPolicy}},
			{path: "any_aws.list", verdict: model.VerdictUnknown},
		},
		findings: []string{model.FindingAssessmentIncomplete},
		absent:   []string{model.FindingNoTLSEnforcement},
		check: func(t *testing.T, b *model.Bucket) {
			if b.Exposure != model.ExposureUnknown || b.Config.HasPolicy != "unknown" || len(b.Errors) != 1 || b.Errors[0].Operation != "s3:GetBucketPolicy" || b.Errors[0].Code != "AccessDenied" {
				t.Errorf("exposure %s has_policy %s errors %+v", b.Exposure, b.Config.HasPolicy, b.Errors)
			}
		},
	}})
}

func TestRuleObjectKeys(t *testing.T) {
	runRules(t, []ruleCase{{
		name: "a grant on a key prefix makes the cell conditional on the object key",
		doc:  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html",
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: PublicAssets, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/public/*"}]}`,
		cells: []expectCell{
			{path: "public.read", verdict: model.VerdictConditional, cond: `object key like "public/*"`, reason: `"PublicAssets"`},
			{path: "public.write", verdict: model.VerdictDeny},
		},
		findings: []string{model.FindingPublicRead},
	}, {
		name: "a deny on a key prefix leaves the other keys allowed",
		doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [
  {Sid: OrgRead, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*", Condition: {StringEquals: {"aws:PrincipalOrgID": o-test000001}}},
  {Sid: NoSecrets, Effect: Deny, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/secret/*"}]}`,
		cells: []expectCell{
			{path: "org.read", verdict: model.VerdictConditional, cond: `object key not like "secret/*"`},
			{path: "public.read", verdict: model.VerdictDeny},
		},
	}, {
		name: "RestrictPublicBuckets voids a grant on a key prefix too",
		doc:  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-options",
		bucket: `name: bkt
region: eu-west-1
public_access_block: {block_public_acls: true, ignore_public_acls: true, block_public_policy: true, restrict_public_buckets: true}
policy: {Version: "2012-10-17", Statement: [
  {Sid: PublicRead, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"},
  {Sid: PartnerUpload, Effect: Allow, Principal: {AWS: "888877776666"}, Action: s3:PutObject, Resource: "arn:aws:s3:::bkt/incoming/*"}]}`,
		cells: []expectCell{
			{path: "external.888877776666.write", verdict: model.VerdictDeny, layers: []string{model.LayerBPA}},
		},
		findings: []string{model.FindingBPABlocksGrantedAccess},
		check: func(t *testing.T, b *model.Bucket) {
			for _, f := range b.Findings {
				if f.ID == model.FindingBPABlocksGrantedAccess && !strings.Contains(f.Detail, "external 888877776666 (read, write)") {
					t.Errorf("bpa-blocks-granted-access does not name the partner's write: %s", f.Detail)
				}
			}
		},
	}})
}

func TestRuleNoOrganization(t *testing.T) {
	// A snapshot of standalone accounts: no SCPs or RCPs govern anything,
	// and the org class has no caller.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
	text := `schema_version: 1
accounts:
  - id: "222222222222"
    buckets:
      - name: standalone-site
        region: us-east-1
        policy: {Version: "2012-10-17", Statement: [{Sid: Public, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::standalone-site/*"}]}
  - id: "333333333333"
`
	rep := analyzeYAML(t, text, nil)
	b := bucketNamed(t, rep, "standalone-site")
	checkCells(t, b, []expectCell{
		{path: "public.read", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy}},
		{path: "org.read", verdict: model.VerdictDeny, reason: "no other active member account"},
		{path: "same_account.delete", verdict: model.VerdictAllow, layers: []string{model.LayerIdentity}},
	})
	if rep.Organization != nil {
		t.Errorf("organization = %+v, want none", rep.Organization)
	}
	if !hasFinding(b, model.FindingPublicRead) || !hasAccountFinding(rep, "222222222222", model.FindingAccountBPAOff) {
		t.Errorf("findings: %v", findingIDs(b))
	}
}

func hasAccountFinding(r *model.Report, account, id string) bool {
	for _, a := range r.Accounts {
		if a.ID != account {
			continue
		}
		for _, f := range a.Findings {
			if f.ID == id {
				return true
			}
		}
	}
	return false
}
