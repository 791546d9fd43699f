package access

import (
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// assumeDoc is an organisation with a web of trust policies:
// management 111111111111; 222222222222 and 333333333333 in OU Prod;
// 444444444444 in OU Dev, whose SCP denies sts:AssumeRole. 999988887777
// is outside the organisation.
func assumeDoc(t *testing.T) *inventory.Document {
	t.Helper()
	trust := func(principal string, cond string) *inventory.PolicyDocument {
		c := ""
		if cond != "" {
			c = `,"Condition":` + cond
		}
		return inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"` + c + `}]}`))
	}
	allowAssume := map[string]*inventory.PolicyDocument{"assume": inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`))}
	role := func(acct, name, principal, cond string, inline map[string]*inventory.PolicyDocument) inventory.IAMRole {
		return inventory.IAMRole{ARN: "arn:aws:iam::" + acct + ":role/" + name, TrustPolicy: trust(principal, cond), InlinePolicies: inline}
	}
	aws := func(arn string) string { return `{"AWS":"` + arn + `"}` }
	full := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	noAssume := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}`))
	doc := &inventory.Document{
		SchemaVersion: inventory.SchemaVersion,
		Organization: &inventory.Organization{
			ID: "o-test000001", ManagementAccountID: "111111111111",
			Policies: []inventory.OrgPolicy{
				{ID: "p-full", Name: "FullAWSAccess", Type: inventory.ServiceControlPolicy, Document: full},
				{ID: "p-noassume", Name: "NoAssume", Type: inventory.ServiceControlPolicy, Document: noAssume},
			},
			Root: inventory.OU{ID: "r-test", Policies: []string{"p-full"}, Accounts: []string{"111111111111"}, OUs: []inventory.OU{
				{ID: "ou-test-prod0001", Name: "Prod", Policies: []string{"p-full"}, Accounts: []string{"222222222222", "333333333333"}},
				{ID: "ou-test-dev00001", Name: "Dev", Policies: []string{"p-full", "p-noassume"}, Accounts: []string{"444444444444"}},
			}},
		},
		Accounts: []inventory.Account{
			{ID: "111111111111", Policies: []string{"p-full"}},
			{ID: "222222222222", Policies: []string{"p-full"}, IAM: &inventory.IAM{
				Users: []inventory.IAMUser{
					{ARN: "arn:aws:iam::222222222222:user/alice"},
					{ARN: "arn:aws:iam::222222222222:user/bob", InlinePolicies: allowAssume},
				},
				Roles: []inventory.IAMRole{
					role("222222222222", "named", aws("arn:aws:iam::222222222222:user/alice"), "", nil),
					role("222222222222", "byroot", aws("arn:aws:iam::222222222222:root"), "", nil),
					role("222222222222", "vendor", aws("arn:aws:iam::999988887777:root"), `{"StringEquals":{"sts:ExternalId":"x-123"}}`, nil),
					role("222222222222", "lambda", `{"Service":"lambda.amazonaws.com"}`, "", nil),
					role("222222222222", "hop1", aws("999988887777"), "", nil),
					role("222222222222", "hop2", aws("arn:aws:iam::222222222222:role/hop1"), "", nil),
					role("222222222222", "hop3", aws("arn:aws:iam::222222222222:role/hop2"), "", nil),
					role("222222222222", "c1", aws("arn:aws:iam::222222222222:role/c2"), "", nil),
					role("222222222222", "c2", aws("arn:aws:iam::222222222222:role/c1"), "", nil),
					role("222222222222", "xacct", `{"AWS":["arn:aws:iam::333333333333:root","arn:aws:iam::444444444444:root"]}`, "", nil),
					role("222222222222", "xnamed", aws("arn:aws:iam::333333333333:user/erin"), "", nil),
					role("222222222222", "mfa", aws("arn:aws:iam::222222222222:root"), `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, nil),
					role("222222222222", "anyone", `"*"`, "", nil),
					role("222222222222", "orgonly", `{"AWS":"*"}`, `{"StringEquals":{"aws:PrincipalOrgID":"o-test000001"}}`, nil),
				},
			}},
			{ID: "333333333333", Policies: []string{"p-full"}, IAM: &inventory.IAM{Users: []inventory.IAMUser{
				{ARN: "arn:aws:iam::333333333333:user/dave", InlinePolicies: allowAssume},
				{ARN: "arn:aws:iam::333333333333:user/erin"},
			}}},
			{ID: "444444444444", Policies: []string{"p-full"}, IAM: &inventory.IAM{Users: []inventory.IAMUser{
				{ARN: "arn:aws:iam::444444444444:user/carol", InlinePolicies: allowAssume},
			}}},
		},
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestAssumeGraphEdges checks the edges of the assume-role graph.
// Same account, a trust policy naming the principal's ARN suffices; one
// naming the account delegates to the principal's identity policy
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html:
// "Role trust policies and KMS key policies are exceptions"); across
// accounts both the trust policy and the caller's identity policy must
// allow
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html),
// and the caller's SCPs too
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
// sts:ExternalId conditions make the edge conditional
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html).
func TestAssumeGraphEdges(t *testing.T) {
	g := NewIndex(assumeDoc(t)).AssumeGraph()
	const p = "arn:aws:iam::222222222222:"
	cases := []struct {
		name, from, to string
		want           model.Verdict // "" = no edge
		cond           string        // a condition the edge lists
	}{
		{"trust names the user ARN (no identity policy needed)", p + "user/alice", p + "role/named", model.VerdictAllow, ""},
		{"trust names the account, identity does not allow", p + "user/alice", p + "role/byroot", "", ""},
		{"trust names the account, identity allows", p + "user/bob", p + "role/byroot", model.VerdictAllow, ""},
		{"external account with ExternalId", "arn:aws:iam::999988887777:root", p + "role/vendor", model.VerdictConditional, "sts:ExternalId = x-123"},
		{"external account by ID, no condition", "arn:aws:iam::999988887777:root", p + "role/hop1", model.VerdictAllow, ""},
		{"service principal", "lambda.amazonaws.com", p + "role/lambda", model.VerdictAllow, ""},
		{"role to role, same account", p + "role/hop1", p + "role/hop2", model.VerdictAllow, ""},
		{"cross account, identity allows", "arn:aws:iam::333333333333:user/dave", p + "role/xacct", model.VerdictAllow, ""},
		{"cross account, SCP denies sts:AssumeRole", "arn:aws:iam::444444444444:user/carol", p + "role/xacct", "", ""},
		{"cross account, trust names the user, identity does not allow", "arn:aws:iam::333333333333:user/erin", p + "role/xnamed", "", ""},
		{"MFA condition", p + "user/bob", p + "role/mfa", model.VerdictConditional, "aws:MultiFactorAuthPresent = true"},
		{"a user not trusted", p + "user/bob", p + "role/named", "", ""},
		{"trust policy names everyone", "*", p + "role/anyone", model.VerdictAllow, ""},
		// aws:PrincipalOrgID in a trust policy keeps principals outside the
		// organisation out and lets members in.
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
		{"aws:PrincipalOrgID: outside principals", "*", p + "role/orgonly", "", ""},
		{"aws:PrincipalOrgID: a member", "arn:aws:iam::333333333333:user/dave", p + "role/orgonly", model.VerdictAllow, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got *AssumeEdge
			for _, e := range g.EdgesTo(tc.to) {
				if e.From == tc.from {
					got = &e
				}
			}
			if tc.want == "" {
				if got != nil {
					t.Fatalf("edge %s → %s = %+v, want none", tc.from, tc.to, *got)
				}
				return
			}
			if got == nil {
				t.Fatalf("no edge %s → %s; edges into it: %+v", tc.from, tc.to, g.EdgesTo(tc.to))
			}
			if got.Verdict != tc.want {
				t.Errorf("verdict = %s, want %s (%+v)", got.Verdict, tc.want, *got)
			}
			if tc.cond != "" && !strings.Contains(strings.Join(got.Conditions, "; "), tc.cond) {
				t.Errorf("conditions = %q, want one with %q", got.Conditions, tc.cond)
			}
		})
	}
	if n := g.Node("arn:aws:iam::999988887777:root"); n == nil || n.Kind != NodeAccount || !n.Outside {
		t.Errorf("external account node = %+v", n)
	}
	if n := g.Node("lambda.amazonaws.com"); n == nil || n.Kind != NodeService {
		t.Errorf("service node = %+v", n)
	}
}

// TestAssumeGraphPaths checks multi-hop paths, the length bound, cycles
// and the order.
func TestAssumeGraphPaths(t *testing.T) {
	g := NewIndex(assumeDoc(t)).AssumeGraph()
	const p = "arn:aws:iam::222222222222:role/"
	render := func(ps []AssumePath) []string {
		var out []string
		for _, x := range ps {
			out = append(out, x.String(g)+" ["+string(x.Verdict)+"]")
		}
		return out
	}
	cases := []struct {
		name, to string
		maxLen   int
		want     []string
	}{
		{"two hops", p + "hop2", 3, []string{
			p + "hop1 → " + p + "hop2 [allow]",
			"account 999988887777 → " + p + "hop1 → " + p + "hop2 [allow]",
		}},
		{"length bound", p + "hop3", 2, []string{
			p + "hop2 → " + p + "hop3 [allow]",
			p + "hop1 → " + p + "hop2 → " + p + "hop3 [allow]",
		}},
		{"three hops", p + "hop3", 3, []string{
			p + "hop2 → " + p + "hop3 [allow]",
			p + "hop1 → " + p + "hop2 → " + p + "hop3 [allow]",
			"account 999988887777 → " + p + "hop1 → " + p + "hop2 → " + p + "hop3 [allow]",
		}},
		{"cycle", p + "c1", 5, []string{p + "c2 → " + p + "c1 [allow]"}},
		{"conditional", p + "vendor", 3, []string{"account 999988887777 → " + p + "vendor [conditional]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := render(g.Paths(tc.to, tc.maxLen))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestExternalViaRoleFindings: an account outside the organisation that
// can assume (directly or through a chain) a role that can act on a bucket
// reaches the bucket; write makes it critical, an sts:ExternalId
// condition lowers it, a trusted account is not reported, an AWS service
// is info.
func TestExternalViaRoleFindings(t *testing.T) {
	doc := assumeDoc(t)
	a := &doc.Accounts[1]
	a.Buckets = []inventory.Bucket{{Name: "data", Region: "us-east-1"}}
	pol := func(actions string) map[string]*inventory.PolicyDocument {
		return map[string]*inventory.PolicyDocument{"s3": inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + actions + `,"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}]}`))}
	}
	for i := range a.IAM.Roles {
		switch r := &a.IAM.Roles[i]; r.ARN[strings.LastIndexByte(r.ARN, '/')+1:] {
		case "hop2":
			r.InlinePolicies = pol(`["s3:GetObject","s3:PutObject"]`)
		case "vendor", "lambda":
			r.InlinePolicies = pol(`"s3:GetObject"`)
		}
	}
	find := func(rep *model.Report) map[string]model.Finding {
		out := map[string]model.Finding{}
		for _, f := range rep.Buckets[0].Findings {
			if f.ID == model.FindingExternalViaRole {
				out[f.Detail[:strings.Index(f.Detail, " can ")]] = f
			}
		}
		return out
	}
	got := find(analyzeValid(t, doc, Options{}))
	const p = "arn:aws:iam::222222222222:role/"
	want := map[string]struct {
		sev    model.Severity
		detail string
	}{
		"account 999988887777":         {model.SeverityCritical, "account 999988887777 can read, write through role " + p + "hop2: account 999988887777 → " + p + "hop1 → " + p + "hop2"},
		"service lambda.amazonaws.com": {model.SeverityInfo, "service lambda.amazonaws.com can read through role " + p + "lambda: service lambda.amazonaws.com → " + p + "lambda"},
	}
	if len(got) != len(want) {
		t.Fatalf("external-via-role findings = %+v, want %d", got, len(want))
	}
	for k, w := range want {
		f, ok := got[k]
		if !ok {
			t.Errorf("no finding for %s in %+v", k, got)
			continue
		}
		if f.Severity != w.sev || !strings.HasPrefix(f.Detail, w.detail) {
			t.Errorf("%s: %s %q, want %s %q", k, f.Severity, f.Detail, w.sev, w.detail)
		}
	}
	// The vendor role (conditional on sts:ExternalId) shows in the roles of
	// the account's finding.
	if d := got["account 999988887777"].Detail; !strings.Contains(d, p+"vendor") {
		t.Errorf("detail %q does not list the vendor role", d)
	}
	// Only through the vendor role: conditional on sts:ExternalId, one
	// severity lower.
	for i := range a.IAM.Roles {
		if strings.HasSuffix(a.IAM.Roles[i].ARN, "/hop2") {
			a.IAM.Roles[i].InlinePolicies = nil
		}
	}
	f := find(analyzeValid(t, doc, Options{}))["account 999988887777"]
	if f.Severity != model.SeverityMedium || !strings.Contains(f.Detail, "through role "+p+"vendor") || !strings.Contains(f.Detail, "(conditional: sts:ExternalId = x-123)") {
		t.Errorf("vendor only: %s %q, want medium, conditional on sts:ExternalId", f.Severity, f.Detail)
	}
	// A trusted account is not reported.
	got = find(analyzeValid(t, doc, Options{TrustedAccounts: map[string]string{"999988887777": "partner"}}))
	if _, ok := got["account 999988887777"]; ok || len(got) != 1 {
		t.Errorf("with 999988887777 trusted: %+v", got)
	}
}

// TestAssumeGraphPathsFrom checks the forward paths from a principal.
func TestAssumeGraphPathsFrom(t *testing.T) {
	g := NewIndex(assumeDoc(t)).AssumeGraph()
	const p = "arn:aws:iam::222222222222:role/"
	var got []string
	for _, x := range g.PathsFrom("arn:aws:iam::999988887777:root", 2) {
		got = append(got, x.String(g)+" ["+string(x.Verdict)+"]")
	}
	// hop1 and vendor are roles of the organisation: the trust policies of
	// anyone ("*") and orgonly (aws:PrincipalOrgID) let their sessions in.
	want := []string{
		"account 999988887777 → " + p + "hop1 [allow]",
		"account 999988887777 → " + p + "vendor [conditional]",
		"account 999988887777 → " + p + "hop1 → " + p + "anyone [allow]",
		"account 999988887777 → " + p + "hop1 → " + p + "hop2 [allow]",
		"account 999988887777 → " + p + "hop1 → " + p + "orgonly [allow]",
		"account 999988887777 → " + p + "vendor → " + p + "anyone [conditional]",
		"account 999988887777 → " + p + "vendor → " + p + "orgonly [conditional]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("paths from the external account:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAssumeGraphOrganizationNotRead: without the organisation, a member
// account's SCPs are unknown, so its principals' AssumeRole edges are
// unknown rather than allowed; a standalone account's are decided.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
func TestAssumeGraphOrganizationNotRead(t *testing.T) {
	doc := assumeDoc(t)
	doc.Organization = nil
	for i := range doc.Accounts {
		doc.Accounts[i].Policies = nil
	}
	doc.Accounts[2].Membership = &inventory.Membership{OrganizationID: "o-test000001", ManagementAccountID: "111111111111"}
	doc.Accounts[3].Membership = &inventory.Membership{Standalone: true}
	g := NewIndex(doc).AssumeGraph()
	verdict := func(from string) model.Verdict {
		for _, e := range g.EdgesTo("arn:aws:iam::222222222222:role/xacct") {
			if e.From == from {
				return e.Verdict
			}
		}
		return ""
	}
	if v := verdict("arn:aws:iam::333333333333:user/dave"); v != model.VerdictUnknown {
		t.Errorf("member of an organisation not read: %q, want unknown", v)
	}
	if v := verdict("arn:aws:iam::444444444444:user/carol"); v != model.VerdictAllow {
		t.Errorf("standalone account (no SCP): %q, want allow", v)
	}
}
