package access

import (
	"slices"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// fedDoc is one account (222222222222, bucket "data") whose roles trust
// identity providers, each role reading the bucket: trust is the trust
// policy's Principal and Condition by role name.
func fedDoc(t *testing.T, trust map[string][2]string) *inventory.Document {
	t.Helper()
	const a = "arn:aws:iam::222222222222:"
	pd := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
	read := map[string]*inventory.PolicyDocument{"s3": pd(`{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::data/*"}]}`)}
	var roles []inventory.IAMRole
	for _, name := range sortedKeys(trust) {
		pc := trust[name]
		action := "sts:AssumeRoleWithWebIdentity"
		if strings.Contains(pc[0], "saml-provider") {
			action = "sts:AssumeRoleWithSAML"
		}
		cond := ""
		if pc[1] != "" {
			cond = `,"Condition":` + pc[1]
		}
		roles = append(roles, inventory.IAMRole{ARN: a + "role/" + name, InlinePolicies: read,
			TrustPolicy: pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":` + pc[0] + `},"Action":"` + action + `"` + cond + `}]}`)})
	}
	doc := &inventory.Document{
		SchemaVersion: inventory.SchemaVersion,
		Accounts: []inventory.Account{{ID: "222222222222", Buckets: []inventory.Bucket{{Name: "data", Region: "us-east-1"}},
			IAM: &inventory.IAM{Roles: roles}}},
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	return doc
}

const (
	ghOIDC   = `"arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"`
	ghAud    = `"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"`
	eksOIDC  = `"arn:aws:iam::222222222222:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABCDEF"`
	samlIdP  = `"arn:aws:iam::222222222222:saml-provider/Okta"`
	cognito  = `"cognito-identity.amazonaws.com"`
	fedRole  = "arn:aws:iam::222222222222:role/"
	ghSubKey = "token.actions.githubusercontent.com:sub"
)

// fedCases are trust policies trusting identity providers and what the
// graph and the findings say of them.
//
// The provider's users call sts:AssumeRoleWithWebIdentity (OIDC) or
// sts:AssumeRoleWithSAML (SAML) and the trust policy alone decides
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_saml.html);
// their claims are context keys (<provider>:sub, :aud, :amr, saml:aud…:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif)
// the scanner does not know, so a condition on them is conditional. AWS
// IAM recommends a condition on token.actions.githubusercontent.com:sub in
// every role trusting GitHub's provider
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub);
// GitHub's provider-specific claims (repository, repository_owner_id,
// job_workflow_ref…) pin it too; a Cognito role must test
// cognito-identity.amazonaws.com:aud, the identity pool
// (https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html).
var fedCases = []struct {
	name, principal, cond string
	edge                  model.Verdict // the edge provider → role
	edgeCond              string        // a condition the edge lists
	unpinned              bool          // federated-subject-unpinned
}{
	{"github, no condition", ghOIDC, ``, model.VerdictAllow, "", true},
	{"github, aud only", ghOIDC, `{"StringEquals":{` + ghAud + `}}`, model.VerdictConditional, ":aud = sts.amazonaws.com", true},
	{"github, sub repo:*", ghOIDC, `{"StringEquals":{` + ghAud + `},"StringLike":{"` + ghSubKey + `":"repo:*"}}`, model.VerdictConditional, ghSubKey, true},
	{"github, sub pinned to a repository", ghOIDC, `{"StringEquals":{` + ghAud + `},"StringLike":{"` + ghSubKey + `":"repo:octo-org/deploy:*"}}`, model.VerdictConditional, ghSubKey, false},
	{"github, repository_owner_id pinned", ghOIDC, `{"StringEquals":{` + ghAud + `,"token.actions.githubusercontent.com:repository_owner_id":"123456"}}`, model.VerdictConditional, "repository_owner_id", false},
	{"github, sub StringNotEquals is no pin", ghOIDC, `{"StringNotEquals":{"` + ghSubKey + `":"repo:evil/x:ref:refs/heads/main"}}`, model.VerdictConditional, ghSubKey, true},
	{"github, a condition on the environment only is no pin", ghOIDC, `{"ForAllValues:StringEquals":{"token.actions.githubusercontent.com:environment":"prod"}}`, model.VerdictConditional, "environment", true},
	{"eks, no condition", eksOIDC, ``, model.VerdictAllow, "", true},
	{"eks, service account pinned", eksOIDC, `{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/ABCDEF:sub":"system:serviceaccount:app:reader"}}`, model.VerdictConditional, ":sub", false},
	{"cognito, no aud", cognito, `{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`, model.VerdictConditional, ":amr", true},
	{"cognito, aud pinned", cognito, `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:11111111-2222-3333-4444-555555555555"}}`, model.VerdictConditional, ":aud", false},
	{"saml, the organisation's IdP", samlIdP, `{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`, model.VerdictConditional, "SAML:aud", false},
	// A condition that denies every web-identity request: no edge.
	{"github, aws:PrincipalArn required", ghOIDC, `{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/x"}}`, "", "", false},
}

// TestFederatedEdges checks the provider nodes and their edges.
func TestFederatedEdges(t *testing.T) {
	for _, tc := range fedCases {
		t.Run(tc.name, func(t *testing.T) {
			doc := fedDoc(t, map[string][2]string{"r": {tc.principal, tc.cond}})
			g := NewIndex(doc).AssumeGraph()
			from := strings.Trim(tc.principal, `"`)
			var got *AssumeEdge
			for _, e := range g.EdgesTo(fedRole + "r") {
				if e.From == from {
					got = &e
				}
			}
			if tc.edge == "" {
				if got != nil {
					t.Fatalf("edge = %+v, want none", *got)
				}
				return
			}
			if got == nil {
				t.Fatalf("no edge from %s; edges: %+v", from, g.EdgesTo(fedRole+"r"))
			}
			if got.Verdict != tc.edge || !strings.Contains(strings.Join(got.Conditions, "; "), tc.edgeCond) {
				t.Errorf("edge = %s %q, want %s with %q", got.Verdict, got.Conditions, tc.edge, tc.edgeCond)
			}
			n := g.Node(from)
			if n == nil || n.Kind != NodeFederated || !n.Outside || n.Account != "" {
				t.Errorf("node = %+v, want a federated node outside the organisation", n)
			}
			if ft := g.federated[[2]string{from, fedRole + "r"}]; ft.Unpinned != tc.unpinned {
				t.Errorf("unpinned = %v (%+v), want %v", ft.Unpinned, ft, tc.unpinned)
			}
		})
	}
}

// TestFederatedFindings: a role reaching the bucket and trusting a
// provider without pinning the subject is federated-subject-unpinned
// (critical: the role writes); a pinned one is external-via-role, one
// severity lower for its conditions.
func TestFederatedFindings(t *testing.T) {
	for _, tc := range fedCases {
		if tc.edge == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			rep := analyzeValid(t, fedDoc(t, map[string][2]string{"r": {tc.principal, tc.cond}}), Options{})
			var ids []string
			var f model.Finding
			for _, x := range rep.Buckets[0].Findings {
				if x.ID == model.FindingFederatedSubjectUnpinned || x.ID == model.FindingExternalViaRole {
					ids = append(ids, x.ID)
					f = x
				}
			}
			want, sev := model.FindingExternalViaRole, model.SeverityHigh
			if tc.edge == model.VerdictAllow {
				sev = model.SeverityCritical
			}
			if tc.unpinned {
				want, sev = model.FindingFederatedSubjectUnpinned, model.SeverityCritical
			}
			if len(ids) != 1 || ids[0] != want || f.Severity != sev {
				t.Fatalf("findings %v (%s %q), want one %s %s", ids, f.Severity, f.Detail, sev, want)
			}
			name := federatedName(strings.Trim(tc.principal, `"`))
			if !strings.HasPrefix(f.Detail, "federated: "+name+" can read, write through role "+fedRole+"r: federated: "+name+" → "+fedRole+"r") {
				t.Errorf("detail %q", f.Detail)
			}
			who := map[string]string{ghOIDC: "any GitHub repository's workflow", cognito: "any Cognito identity pool's identity, of any account",
				eksOIDC: "any identity oidc.eks.us-east-1.amazonaws.com/id/ABCDEF issues"}[tc.principal]
			if tc.unpinned && !strings.Contains(f.Detail, "does not pin the subject: "+who+" can assume it") {
				t.Errorf("detail %q does not say %s can assume it", f.Detail, who)
			}
		})
	}
}

// TestFederatedPrincipalAccess: the provider is listed in the cell it
// reaches, as a federated principal via the role, with the trust
// policy's conditions; the cell's count names it.
func TestFederatedPrincipalAccess(t *testing.T) {
	doc := fedDoc(t, map[string][2]string{
		"open":   {ghOIDC, `{"StringEquals":{` + ghAud + `}}`},
		"pinned": {cognito, `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:11111111-2222-3333-4444-555555555555"}}`},
	})
	rep := analyzeValid(t, doc, Options{})
	c := rep.Buckets[0].Access.SameAccount.Read
	got := map[string]model.PrincipalAccess{}
	for _, p := range c.PrincipalAccess {
		got[p.ARN] = p
	}
	gh := got[strings.Trim(ghOIDC, `"`)]
	if gh.Type != model.PrincipalFederated || gh.Verdict != model.VerdictConditional || strings.Join(gh.Via, ",") != fedRole+"open" ||
		len(gh.Conditions) != 1 || !strings.Contains(gh.Conditions[0], "assuming "+fedRole+"open (token.actions.githubusercontent.com:aud = sts.amazonaws.com)") {
		t.Errorf("github = %+v", gh)
	}
	cg := got["cognito-identity.amazonaws.com"]
	if cg.Type != model.PrincipalFederated || cg.Account != "" || strings.Join(cg.Via, ",") != fedRole+"pinned" || !strings.Contains(strings.Join(cg.Statements, ","), "trust policy of "+fedRole+"pinned") {
		t.Errorf("cognito = %+v", cg)
	}
	if s := model.CountText(&c); !strings.Contains(s, "2 identity providers") || !strings.HasSuffix(s, "in 1 account") {
		t.Errorf("count = %q", s)
	}
}

// TestFederatedWildcardTrust: trust policies whose wildcard principal
// allows sts:AssumeRoleWithWebIdentity or sts:AssumeRoleWithSAML.
// {"AWS": "*"} "does not allow web identity session principals, SAML
// session principals, or service principals"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous):
// no provider reaches the role. Of "Principal": "*" the page says it
// "allows anyone, even if they're not signed in to AWS", and the STS API
// reference that the identity provider "must be specified in the role's
// trust policy"
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html,
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html):
// AWS does not document whether "*" lets a provider's users in, so the
// edge from any provider's users is conditional on it (never allow or
// deny), who-can lists them as conditional and the finding is
// external-via-role, one severity lower, asking to name the provider.
func TestFederatedWildcardTrust(t *testing.T) {
	const web, saml = "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"
	cases := []struct {
		name, principal, action string
		nodes                   []string // the wildcard provider nodes with an edge
	}{
		{"Principal * and web identity", `"*"`, web, []string{anyWebIdentity}},
		{"Principal * and SAML", `"*"`, saml, []string{anySAML}},
		{"Principal * and both", `"*"`, "sts:AssumeRoleWith*", []string{anySAML, anyWebIdentity}},
		{"AWS * and web identity", `{"AWS":"*"}`, web, nil},
		{"AWS * and SAML", `{"AWS":"*"}`, saml, nil},
		{"Principal * and AssumeRole only", `"*"`, "sts:AssumeRole", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := fedDoc(t, map[string][2]string{"r": {`"unused"`, ""}})
			doc.Accounts[0].IAM.Roles[0].TrustPolicy = inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + tc.principal + `,"Action":"` + tc.action + `"}]}`))
			g := NewIndex(doc).AssumeGraph()
			var fed []AssumeEdge
			for _, e := range g.EdgesTo(fedRole + "r") {
				if n := g.Node(e.From); n.Kind == NodeFederated {
					fed = append(fed, e)
				}
			}
			rep := analyzeValid(t, doc, Options{})
			var findings []model.Finding
			for _, f := range rep.Buckets[0].Findings {
				if strings.HasPrefix(f.Detail, "federated: ") {
					findings = append(findings, f)
				}
			}
			var rows []model.PrincipalRow
			rep.Buckets[0].PrincipalRows(func(r model.PrincipalRow) {
				if r.Type == model.PrincipalFederated {
					rows = append(rows, r)
				}
			}, func(model.UnlistedRow) {})
			if len(tc.nodes) == 0 {
				if len(fed) != 0 || len(findings) != 0 || len(rows) != 0 {
					t.Fatalf("federated edges %+v, findings %+v, who-can %+v; want none", fed, findings, rows)
				}
				return
			}
			if len(fed) != len(tc.nodes) {
				t.Fatalf("federated edges %+v, want one from each of %v", fed, tc.nodes)
			}
			for i, e := range fed {
				if e.From != tc.nodes[i] || e.Verdict != model.VerdictConditional ||
					!strings.Contains(strings.Join(e.Conditions, ";"), `"Principal": "*" matches an identity provider's users (AWS does not document it`) {
					t.Errorf("edge %+v, want a conditional edge from %s on the undocumented match", e, tc.nodes[i])
				}
			}
			if len(findings) != len(tc.nodes) {
				t.Errorf("findings %+v, want %d", findings, len(tc.nodes))
			}
			for _, f := range findings {
				if f.ID != model.FindingExternalViaRole || f.Severity != model.SeverityHigh || !strings.Contains(f.Remediation, `instead of "Principal": "*"`) {
					t.Errorf("finding %+v, want external-via-role, high (critical lowered: conditional), naming the provider as the fix", f)
				}
			}
			for _, r := range rows {
				if !slices.Contains(tc.nodes, r.ARN) || r.Verdict != model.VerdictConditional {
					t.Errorf("who-can row %+v, want one of %v, conditional", r, tc.nodes)
				}
			}
			if len(rows) == 0 {
				t.Error("who-can lists no federated principal")
			}
		})
	}
}
