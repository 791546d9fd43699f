package access

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// Docs the narrowing rules encode.
const (
	docPrincipal  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
	docPrinKeys   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principal-properties"
	docEvaluation = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
)

// twoRoles is account 222222222222's IAM: platform-admin and app, both
// with s3:* on everything, app tagged team=data.
const twoRoles = `iam:
  roles:
    - arn: arn:aws:iam::222222222222:role/platform-admin
      inline_policies:
        admin: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}
    - arn: arn:aws:iam::222222222222:role/app
      tags: {team: data}
      inline_policies:
        app: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}`

// platformAdminSCP denies bucket-policy changes to all but platform-admin
// (the demo's ProtectBucketPolicies): Deny with ArnNotLike.
const platformAdminSCP = `    - {id: p-platform, name: OnlyPlatformAdmin, type: SERVICE_CONTROL_POLICY, document: {Version: "2012-10-17", Statement: [{Sid: OnlyPlatformAdmin, Effect: Deny, Action: "s3:PutBucketPolicy", Resource: "*", Condition: {ArnNotLike: {"aws:PrincipalArn": "arn:aws:iam::*:role/platform-admin"}}}]}}`

// teamDataSCP denies reads to principals not tagged team=data.
const teamDataSCP = `    - {id: p-team, name: TeamData, type: SERVICE_CONTROL_POLICY, document: {Version: "2012-10-17", Statement: [{Sid: TeamDataOnly, Effect: Deny, Action: "s3:GetObject", Resource: "*", Condition: {StringNotEquals: {"aws:PrincipalTag/team": data}}}]}}`

// withSCP adds an SCP to the test organisation's policies.
func withSCP(scp string) func(string) string {
	return func(s string) string {
		return strings.Replace(s, "accounts:\n  - {id: \"111111111111\"", scp+"\naccounts:\n  - {id: \"111111111111\"", 1)
	}
}

// TestNarrowedToPrincipals: who the caller is is not a condition of the
// request. A class's cell allowed for the principals a Principal element or
// a condition on a key about the principal names is "allow", narrowed to
// them (narrowed_to); it stays "conditional" only on request keys.
func TestNarrowedToPrincipals(t *testing.T) {
	runRules(t, []ruleCase{{
		name: "a bucket policy granting a partner's named role: allow for that account, narrowed to the role",
		doc:  docPrincipal,
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: Ingest, Effect: Allow, Principal: {AWS: "arn:aws:iam::999988887777:role/PartnerIngest"}, Action: s3:PutObject, Resource: "arn:aws:s3:::bkt/*"}]}`,
		cells: []expectCell{
			{path: "external.999988887777.write", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy},
				narrowed: "aws:PrincipalArn = arn:aws:iam::999988887777:role/PartnerIngest", reason: "only for the principals with aws:PrincipalArn = arn:aws:iam::999988887777:role/PartnerIngest"},
			{path: "external.999988887777.read", verdict: model.VerdictDeny, narrowed: "-"},
			{path: "any_aws.write", verdict: model.VerdictDeny},
			{path: "public.write", verdict: model.VerdictDeny},
			{path: "same_account.write", verdict: model.VerdictAllow, narrowed: "-"},
		},
		findings: []string{model.FindingExternalAccountAccess},
		check: func(t *testing.T, b *model.Bucket) {
			for _, f := range b.Findings {
				// Full severity: the role is granted, whatever the request.
				if f.ID == model.FindingExternalAccountAccess && (f.Severity != model.SeverityHigh || !strings.Contains(f.Detail, "role/PartnerIngest")) {
					t.Errorf("external-account-access %s: %s", f.Severity, f.Detail)
				}
			}
		},
	}, {
		name: "an SCP allowing bucket-policy changes only to aws:PrincipalArn like role/platform-admin: allow, narrowed",
		doc:  docPrinKeys,
		bucket: `name: bkt
region: eu-west-1`,
		prod: []string{"p-platform"},
		edit: withSCP(platformAdminSCP),
		cells: []expectCell{
			{path: "same_account.manage", verdict: model.VerdictAllow, layers: []string{model.LayerSCP},
				narrowed: "aws:PrincipalArn like arn:aws:iam::*:role/platform-admin", reason: "only for the principals with aws:PrincipalArn like arn:aws:iam::*:role/platform-admin"},
			{path: "same_account.read", verdict: model.VerdictAllow, narrowed: "-"},
		},
	}, {
		name:   "with IAM collected the narrowing agrees with the principals that actually can",
		doc:    docEvaluation,
		bucket: "name: bkt\nregion: eu-west-1",
		extra:  twoRoles,
		prod:   []string{"p-platform"},
		edit:   withSCP(platformAdminSCP),
		cells: []expectCell{
			{path: "same_account.manage", verdict: model.VerdictAllow, narrowed: "aws:PrincipalArn like arn:aws:iam::*:role/platform-admin"},
		},
		check: func(t *testing.T, b *model.Bucket) {
			if got := b.Access.SameAccount.Manage.Principals; !slices.Equal(got, []string{"arn:aws:iam::222222222222:role/platform-admin"}) {
				t.Errorf("same_account.manage principals = %v, want only platform-admin", got)
			}
			if got := b.Access.SameAccount.Read.Principals; len(got) != 2 {
				t.Errorf("same_account.read principals = %v, want both roles", got)
			}
		},
	}, {
		name: "a bucket policy Deny with StringNotLike on aws:PrincipalArn: allowed only for the matching ARNs",
		doc:  docEvaluation,
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: OnlyAdmin, Effect: Deny, Principal: "*", Action: s3:PutBucketPolicy, Resource: "arn:aws:s3:::bkt", Condition: {StringNotLike: {"aws:PrincipalArn": "arn:aws:iam::*:role/platform-admin"}}}]}`,
		cells: []expectCell{
			{path: "same_account.manage", verdict: model.VerdictAllow, layers: []string{model.LayerBucketPolicy}, narrowed: "aws:PrincipalArn like arn:aws:iam::*:role/platform-admin"},
			{path: "same_account.write", verdict: model.VerdictAllow, narrowed: "-"},
		},
	}, {
		name: "Principal * with aws:PrincipalOrgID of another organisation: any AWS principal of that organisation",
		doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid",
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: PartnerOrg, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*", Condition: {StringEquals: {"aws:PrincipalOrgID": o-partner0001}}}]}`,
		cells: []expectCell{
			{path: "any_aws.read", verdict: model.VerdictAllow, narrowed: "aws:PrincipalOrgID = o-partner0001"},
			{path: "public.read", verdict: model.VerdictDeny},
			{path: "org.read", verdict: model.VerdictDeny},
		},
	}, {
		name:   "aws:PrincipalTag without IAM collected stays conditional (the tags are not known)",
		doc:    docPrinKeys,
		bucket: "name: bkt\nregion: eu-west-1",
		prod:   []string{"p-team"},
		edit:   withSCP(teamDataSCP),
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictConditional, cond: "aws:PrincipalTag/team = data", narrowed: "-"},
		},
	}, {
		name:   "aws:PrincipalTag with IAM (and its tags) collected narrows to the tagged principals",
		doc:    docPrinKeys,
		bucket: "name: bkt\nregion: eu-west-1",
		extra:  twoRoles,
		prod:   []string{"p-team"},
		edit:   withSCP(teamDataSCP),
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictAllow, narrowed: "aws:PrincipalTag/team = data"},
		},
		check: func(t *testing.T, b *model.Bucket) {
			// The untagged role lacks the tag (absent), it is not "conditional".
			if got := b.Access.SameAccount.Read.Principals; !slices.Equal(got, []string{"arn:aws:iam::222222222222:role/app"}) {
				t.Errorf("same_account.read principals = %v, want only the tagged role", got)
			}
		},
	}, {
		name: "a principal narrowing with an aws:SourceVpce condition stays conditional, on the endpoint only",
		doc:  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html",
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [
  {Sid: OnlyReader, Effect: Deny, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*", Condition: {ArnNotLike: {"aws:PrincipalArn": "arn:aws:iam::*:role/reader"}}},
  {Sid: OnlyEndpoint, Effect: Deny, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*", Condition: {StringNotEquals: {"aws:SourceVpce": vpce-0aaa}}}]}`,
		cells: []expectCell{
			{path: "same_account.read", verdict: model.VerdictConditional, cond: "aws:SourceVpce = vpce-0aaa", narrowed: "aws:PrincipalArn like arn:aws:iam::*:role/reader"},
		},
		check: func(t *testing.T, b *model.Bucket) {
			if c := b.Access.SameAccount.Read; strings.Contains(strings.Join(c.Conditions, ";"), "PrincipalArn") {
				t.Errorf("conditions %q hold the principal narrowing", c.Conditions)
			}
		},
	}, {
		name: "a member account's named role: the org cell is allow for that account, narrowed to the role",
		doc:  docPrincipal,
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: ETL, Effect: Allow, Principal: {AWS: "arn:aws:iam::444444444444:role/etl"}, Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"}]}`,
		cells: []expectCell{
			{path: "org.read", verdict: model.VerdictAllow, narrowed: "aws:PrincipalArn = arn:aws:iam::444444444444:role/etl"},
			{path: "org.write", verdict: model.VerdictDeny},
		},
		check: func(t *testing.T, b *model.Bucket) {
			if c := b.Access.Org.Read; c.AllowedAccounts == nil || *c.AllowedAccounts != 1 || !slices.Equal(c.Accounts, []string{"444444444444"}) {
				t.Errorf("org.read allowed %v accounts %v, want 1 [444444444444]", c.AllowedAccounts, c.Accounts)
			}
		},
	}, {
		name: "with the member account's IAM collected, the narrowed org cell lists its roles that actually can",
		doc:  docEvaluation,
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: ETL, Effect: Allow, Principal: {AWS: "arn:aws:iam::444444444444:role/etl"}, Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"}]}`,
		edit: func(s string) string {
			return strings.Replace(s, `  - {id: "444444444444", policies: [p-full]}`, `  - id: "444444444444"
    policies: [p-full]
    iam:
      roles:
        - arn: arn:aws:iam::444444444444:role/etl
          inline_policies: {read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]}}
        - arn: arn:aws:iam::444444444444:role/other
          inline_policies: {read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]}}
        - arn: arn:aws:iam::444444444444:role/etl2
          inline_policies: {none: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "ec2:*", Resource: "*"}]}}`, 1)
		},
		cells: []expectCell{
			{path: "org.read", verdict: model.VerdictAllow, narrowed: "aws:PrincipalArn = arn:aws:iam::444444444444:role/etl"},
		},
		check: func(t *testing.T, b *model.Bucket) {
			if got := b.Access.Org.Read.Principals; !slices.Equal(got, []string{"arn:aws:iam::444444444444:role/etl"}) {
				t.Errorf("org.read principals = %v, want only role/etl", got)
			}
		},
	}, {
		name: "a named role, or the whole account from one network: allow, narrowed to the role",
		doc:  docEvaluation,
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [
  {Sid: Role, Effect: Allow, Principal: {AWS: "arn:aws:iam::999988887777:role/a"}, Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"},
  {Sid: Net, Effect: Allow, Principal: {AWS: "999988887777"}, Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*", Condition: {IpAddress: {"aws:SourceIp": 203.0.113.0/24}}}]}`,
		cells: []expectCell{
			{path: "external.999988887777.read", verdict: model.VerdictAllow, narrowed: "aws:PrincipalArn = arn:aws:iam::999988887777:role/a"},
		},
	}})
}

// TestSettle checks the outcome algebra of narrowing on its own.
func TestSettle(t *testing.T) {
	class := &Caller{Account: "222222222222"}
	tagged := &Caller{Account: "222222222222", TagsKnown: true}
	concrete := &Caller{Principal: "arn:aws:iam::222222222222:role/x", Account: "222222222222"}
	arn := "aws:PrincipalArn like arn:aws:iam::*:role/a"
	tag := "aws:PrincipalTag/team = data"
	ip := "aws:SourceIp in 203.0.113.0/24"
	for _, tc := range []struct {
		name     string
		c        *Caller
		alts     dnf
		verdict  model.Verdict
		conds    string
		narrowed string
	}{
		{"principal only", class, textDNF([]string{arn}), model.VerdictAllow, "", arn},
		{"negated principal key", class, textDNF([]string{"not (aws:PrincipalOrgID = o-x)"}), model.VerdictAllow, "", "not (aws:PrincipalOrgID = o-x)"},
		{"set operator on a principal key", class, textDNF([]string{"ForAnyValue: aws:PrincipalOrgPaths like o-x/*"}), model.VerdictAllow, "", "ForAnyValue: aws:PrincipalOrgPaths like o-x/*"},
		{"request only", class, textDNF([]string{ip}), model.VerdictConditional, ip, ""},
		{"principal and request", class, textDNF([]string{arn, ip}), model.VerdictConditional, ip, arn},
		{"principal, or request", class, textDNF([]string{arn}, []string{ip}), model.VerdictAllow, "", arn},
		{"two principals under two requests", class, textDNF([]string{arn, ip}, []string{"aws:PrincipalAccount = 1", "aws:MultiFactorAuthPresent = true"}), model.VerdictConditional,
			"aws:PrincipalArn like arn:aws:iam::*:role/a and aws:SourceIp in 203.0.113.0/24 OR aws:PrincipalAccount = 1 and aws:MultiFactorAuthPresent = true",
			"aws:PrincipalArn like arn:aws:iam::*:role/a OR aws:PrincipalAccount = 1"},
		{"tag without IAM tags", class, textDNF([]string{tag}), model.VerdictConditional, tag, ""},
		{"tag with IAM tags", tagged, textDNF([]string{tag}), model.VerdictAllow, "", tag},
		{"object key is no principal", class, textDNF([]string{`object key like "a/*"`}), model.VerdictConditional, `object key like "a/*"`, ""},
		{"a concrete principal is not narrowed", concrete, textDNF([]string{"aws:username = bob"}), model.VerdictConditional, "aws:username = bob", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := outcome{verdict: model.VerdictConditional, alts: tc.alts, reason: "x allowed only if " + tc.alts.String()}.settle(tc.c)
			c := o.cell()
			sep := "; "
			if c.AnyOf {
				sep = " OR "
			}
			if c.Verdict != tc.verdict || strings.Join(c.Conditions, sep) != tc.conds || strings.Join(c.NarrowedTo, " OR ") != tc.narrowed {
				t.Errorf("got %s conditions %q narrowed %q, want %s %q %q", c.Verdict, c.Conditions, c.NarrowedTo, tc.verdict, tc.conds, tc.narrowed)
			}
		})
	}
}

// TestNarrowedOrgPrincipalsAsDecided: a narrowed org cell's Principals
// (taken from the org row's principal_access, uncapped) are, in order,
// the IAM roles and users of the other member accounts that deciding each
// of them on its own with its real caller (its identity policies,
// boundary, tags and SCP chain, the bucket's every layer) allows or allows
// conditionally, as the second pass that filled them did; roots and the
// principals through roles are not among them, nor those of accounts whose
// IAM was not collected (principals_unlisted names those accounts).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
func TestNarrowedOrgPrincipalsAsDecided(t *testing.T) {
	docs := map[string]func() *inventory.Document{"narrowed": narrowedOrgDoc}
	for seed := uint64(1); seed <= 6; seed++ {
		docs[fmt.Sprintf("oracle %d", seed)] = func() *inventory.Document { return oracleDoc(seed) }
		docs[fmt.Sprintf("plan %d", seed)] = func() *inventory.Document { return orgPlanDoc(seed) }
	}
	cells, listed := 0, 0
	for name, mk := range docs {
		for _, l := range []orgListing{orgListingAccounts, orgListingPlan} {
			rep, err := Analyze(context.Background(), mk(), Options{Now: epoch, orgListing: l})
			if err != nil {
				t.Fatal(err)
			}
			eachDecidedBucket(rep, mk(), func(ix *Index, w *worker, a *inventory.Account, b *inventory.Bucket, bl *BucketLayers, out *model.Bucket) {
				for i, c := range out.Access.Org.Cells() {
					if len(c.NarrowedTo) == 0 || (c.Verdict != model.VerdictAllow && c.Verdict != model.VerdictConditional) {
						if len(c.Principals) > 0 {
							t.Errorf("%s, %s org %d: principals %v of a cell not narrowed or denied", name, b.Name, i, c.Principals)
						}
						continue
					}
					cells++
					var want []string
					for _, id := range w.members {
						if id == a.ID {
							continue
						}
						for _, p := range ix.Principals(id) {
							if !p.s3 || !mayReachBucket(p.Identity, b.Name) {
								continue
							}
							caller := &Caller{Principal: p.ARN, Account: id, InOrg: TriTrue, OrgPath: ix.OrgPath(id), SCPs: ix.SCPs(id),
								Identity: append([]*policy.Policy{}, p.Identity...), Boundary: p.Boundary, Label: p.ARN, TagsKnown: true, PrincipalTags: p.Tags}
							if e := principalEntry(bl, caller, MatrixActions()[i]); e != "" {
								want = append(want, e)
							}
						}
					}
					listed += len(want)
					if !slices.Equal(c.Principals, want) || c.PrincipalsMore != 0 {
						t.Errorf("%s, listing %d, %s org %d: principals %v (%d more), want %v", name, l, b.Name, i, c.Principals, c.PrincipalsMore, want)
					}
				}
			})
		}
	}
	if cells < 20 || listed < 50 {
		t.Fatalf("%d narrowed org cells, %d principals: the comparison proves little", cells, listed)
	}
	t.Logf("%d narrowed org cells, %d principals", cells, listed)
}
