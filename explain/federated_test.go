package explain

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

const (
	fedGitHub = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
	fedOkta   = "arn:aws:iam::222222222222:saml-provider/Okta"
	fedRole   = "arn:aws:iam::222222222222:role/"
)

// TestParseProviderPrincipal: an IAM OIDC provider's ARN is
// oidc-provider/ and the provider's URL without its scheme, a SAML
// provider's saml-provider/ and its name (1 to 128 of \w . -)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns,
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html,
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateSAMLProvider.html);
// anything else is a clear error, not a panic.
func TestParseProviderPrincipal(t *testing.T) {
	cases := []struct {
		in   string
		name string // "" = an error, whose text holds err
		saml bool
		err  string
	}{
		{in: fedGitHub, name: "token.actions.githubusercontent.com"},
		{in: "arn:aws:iam::222222222222:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABCDEF", name: "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF"},
		{in: "arn:aws-us-gov:iam::222222222222:oidc-provider/gitlab.com", name: "gitlab.com"},
		{in: fedOkta, name: "Okta", saml: true},
		{in: "arn:aws:iam::222222222222:saml-provider/Azure_AD.prod-1", name: "Azure_AD.prod-1", saml: true},
		{in: "arn:aws:iam::222222222222:oidc-provider/", err: "URL is empty"},
		{in: "arn:aws:iam::222222222222:oidc-provider/https://token.actions.githubusercontent.com", err: "without its scheme"},
		{in: "arn:aws:iam::222222222222:oidc-provider/token actions", err: "not a host name"},
		{in: "arn:aws:iam::222222222222:oidc-provider/*", err: "not a host name"},
		{in: "arn:aws:iam::222222222222:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/*", err: "not a URL path"},
		{in: "arn:aws:iam::222222222222:oidc-provider/gitlab.com/", err: "not a URL path"},
		{in: "arn:aws:iam::222222222222:saml-provider/", err: "name is empty"},
		{in: "arn:aws:iam::222222222222:saml-provider/a/b", err: "only letters, digits"},
		{in: "arn:aws:iam::222222222222:saml-provider/" + strings.Repeat("x", 129), err: "at most 128"},
		{in: "arn:aws:iam::22222222:oidc-provider/token.actions.githubusercontent.com", err: "12-digit"},
		{in: "arn:aws:iam::222222222222:openid-provider/x", err: "or an identity provider's, is expected"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePrincipal(tc.in)
			if tc.name == "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "oidc-provider/HOST") {
					t.Fatalf("err = %v, want one saying %q and the accepted forms", err, tc.err)
				}
				r := Request{Principal: tc.in, Action: "s3:GetObject", Bucket: "data"}
				if verr := r.Validate(); verr == nil || !strings.Contains(verr.Error(), tc.err) {
					t.Errorf("Validate = %v, want the principal's error", verr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != KindProvider || p.Name != tc.name || p.SAML != tc.saml || p.Account != "222222222222" || p.ARN != tc.in {
				t.Errorf("principal = %+v, want provider %q (saml %v) of 222222222222", p, tc.name, tc.saml)
			}
		})
	}
}

// fedExplainDoc is account 222222222222 with bucket "data" (private: no
// bucket policy) and roles trusting identity providers: gh-aud (GitHub,
// only the audience tested) and gh-pinned (GitHub, :sub pinned to one
// repository) read it, gh-nothing (GitHub) has no permission, okta-reader
// (SAML, SAML:aud tested) reads it.
func fedExplainDoc(t *testing.T) *inventory.Document {
	t.Helper()
	pd := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
	read := map[string]*inventory.PolicyDocument{"s3": pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`)}
	trust := func(provider, action, cond string) *inventory.PolicyDocument {
		return pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"` + action + `","Condition":` + cond + `}]}`)
	}
	const aud = `"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"`
	web := "sts:AssumeRoleWithWebIdentity"
	doc := &inventory.Document{
		SchemaVersion: inventory.SchemaVersion,
		Accounts: []inventory.Account{{ID: "222222222222", Buckets: []inventory.Bucket{{Name: "data", Region: "us-east-1"}},
			IAM: &inventory.IAM{Roles: []inventory.IAMRole{
				{ARN: fedRole + "gh-aud", InlinePolicies: read, TrustPolicy: trust(fedGitHub, web, `{"StringEquals":{`+aud+`}}`)},
				{ARN: fedRole + "gh-nothing", TrustPolicy: trust(fedGitHub, web, `{"StringEquals":{`+aud+`}}`)},
				{ARN: fedRole + "gh-pinned", InlinePolicies: read, TrustPolicy: trust(fedGitHub, web, `{"StringEquals":{`+aud+`},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/deploy:*"}}`)},
				{ARN: fedRole + "okta-reader", InlinePolicies: read, TrustPolicy: trust(fedOkta, "sts:AssumeRoleWithSAML", `{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`)},
			}}}},
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestExplainProvider: "can my GitHub Actions workflow read bucket data?"
// The provider's users act on AWS only through a role whose trust policy
// names the provider, with sts:AssumeRoleWithWebIdentity (OIDC) or
// sts:AssumeRoleWithSAML
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html:
// "the identity provider must be specified in the role's trust policy";
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html);
// without a role's credentials their request is unsigned, an anonymous
// one. The trust policies' conditions on the provider's claims
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif)
// are what the request must meet: each route is conditional and names them.
func TestExplainProvider(t *testing.T) {
	cases := []struct {
		name, principal string
		routes          map[string]string // role name → a condition its route names
		call            string            // the STS call the text names
		note            string            // a note, when no route
	}{
		{name: "github", principal: fedGitHub, call: "sts:AssumeRoleWithWebIdentity", routes: map[string]string{
			"gh-aud":    "token.actions.githubusercontent.com:aud",
			"gh-pinned": "token.actions.githubusercontent.com:sub",
		}},
		{name: "saml", principal: fedOkta, call: "sts:AssumeRoleWithSAML", routes: map[string]string{"okta-reader": "SAML:aud"}},
		{name: "a provider no role trusts", principal: "arn:aws:iam::222222222222:oidc-provider/gitlab.com",
			note: "no role of the collected accounts trusts arn:aws:iam::222222222222:oidc-provider/gitlab.com"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x, err := Explain(fedExplainDoc(t), Request{Principal: tc.principal, Action: "s3:GetObject", Bucket: "data", Key: "k"}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if x.Request.PrincipalKind != KindProvider || x.Request.Principal != tc.principal {
				t.Errorf("request = %s %s, want the provider", x.Request.PrincipalKind, x.Request.Principal)
			}
			// The unsigned request: the bucket is private.
			if x.Decision != DecisionImplicitDeny || !strings.HasPrefix(x.Reason, "without assuming a role") {
				t.Errorf("decision = %s (%s), want implicit_deny of the unsigned request", x.Decision, x.Reason)
			}
			if x.Credentials != nil || x.Layers[0].Verdict != VerdictAllows {
				t.Errorf("caller row %s, credentials %+v: want no credential problem (the provider is no IAM user)", x.Layers[0].Verdict, x.Credentials)
			}
			if !strings.Contains(strings.Join(x.Layers[0].Evidence, "\n"), "an unsigned (anonymous) request") {
				t.Errorf("caller row = %q, want it to say the request is unsigned", x.Layers[0].Evidence)
			}
			for _, l := range x.Layers {
				if l.Fix != "" {
					t.Errorf("row %s fix %q: a fix of the unsigned request would grant it to anyone", l.Layer, l.Fix)
				}
			}
			got := map[string]string{}
			for _, r := range x.ViaRoles {
				name := r.Role[strings.LastIndexByte(r.Role, '/')+1:]
				if r.Verdict != model.VerdictConditional || !strings.HasPrefix(r.Path, "federated: ") {
					t.Errorf("route %+v, want conditional from the provider", r)
				}
				got[name] = strings.Join(r.Conditions, "; ")
			}
			if len(got) != len(tc.routes) {
				t.Errorf("routes = %v, want %v", got, tc.routes)
			}
			for role, cond := range tc.routes {
				if !strings.Contains(got[role], cond) {
					t.Errorf("route via %s: conditions %q, want %q", role, got[role], cond)
				}
			}
			if tc.note != "" && !strings.Contains(strings.Join(x.Notes, "\n"), tc.note) {
				t.Errorf("notes = %q, want %q", x.Notes, tc.note)
			}
			var text bytes.Buffer
			if err := x.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if tc.call != "" && !strings.Contains(text.String(), "Through role assumption ("+tc.call+"):\n") {
				t.Errorf("text does not name %s:\n%s", tc.call, text.String())
			}
		})
	}
	// The GitHub provider trusted by a role that cannot read: said so.
	doc := fedExplainDoc(t)
	x, err := Explain(doc, Request{Principal: fedGitHub, Action: "s3:PutObject", Bucket: "data", Key: "k"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(x.ViaRoles) != 0 || !strings.Contains(strings.Join(x.Notes, "\n"), fedRole+"gh-nothing") {
		t.Errorf("PutObject: routes %+v, notes %q: want none, and the roles it can assume named", x.ViaRoles, x.Notes)
	}
}

// TestExplainProviderWildcardTrust: a role whose trust policy allows
// sts:AssumeRoleWithWebIdentity to "Principal": "*" is a route for any
// OIDC provider's users, conditional on what AWS does not document
// (whether "*" matches them; the provider "must be specified in the
// role's trust policy":
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html);
// {"AWS": "*"} is none: it "does not allow web identity session
// principals, SAML session principals"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous).
func TestExplainProviderWildcardTrust(t *testing.T) {
	doc := fedExplainDoc(t)
	read := doc.Accounts[0].IAM.Roles[0].InlinePolicies
	for name, principal := range map[string]string{"open-web": `"*"`, "aws-star": `{"AWS":"*"}`} {
		doc.Accounts[0].IAM.Roles = append(doc.Accounts[0].IAM.Roles, inventory.IAMRole{ARN: fedRole + name, InlinePolicies: read,
			TrustPolicy: inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRoleWithWebIdentity"}]}`))})
	}
	for _, tc := range []struct {
		principal string
		roles     []string
	}{
		{fedGitHub, []string{"gh-aud", "gh-pinned", "open-web"}},
		{fedOkta, []string{"okta-reader"}},
		{"arn:aws:iam::222222222222:oidc-provider/gitlab.com", []string{"open-web"}},
	} {
		x, err := Explain(doc, Request{Principal: tc.principal, Action: "s3:GetObject", Bucket: "data", Key: "k"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var roles []string
		for _, r := range x.ViaRoles {
			name := r.Role[strings.LastIndexByte(r.Role, '/')+1:]
			roles = append(roles, name)
			undocumented := strings.Contains(strings.Join(r.Conditions, ";"), `"Principal": "*" matches an identity provider's users (AWS does not document it`)
			if r.Verdict != model.VerdictConditional || undocumented != (name == "open-web") {
				t.Errorf("%s: route %+v, want conditional, on the undocumented match for open-web only", tc.principal, r)
			}
		}
		if strings.Join(roles, ",") != strings.Join(tc.roles, ",") {
			t.Errorf("%s: routes via %v, want %v", tc.principal, roles, tc.roles)
		}
	}
}

// TestExplainProviderClaims: the claims a request states with --context
// (a GitHub Actions token's token.actions.githubusercontent.com:sub and
// :aud, a SAML assertion's SAML:aud) are the keys AWS STS sets in the
// request context of AssumeRoleWithWebIdentity and AssumeRoleWithSAML
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-saml):
// they decide the trust policies that test them. A route whose trust
// policy they meet is no longer conditional on them; a role whose trust
// policy they fail is no route, and a note names it. Condition key names
// are case-insensitive
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
func TestExplainProviderClaims(t *testing.T) {
	const sub, aud = "token.actions.githubusercontent.com:sub", "token.actions.githubusercontent.com:aud"
	cases := []struct {
		name, principal string
		ctx             map[string][]string
		routes          map[string]model.Verdict // role name → its route's verdict
		refused         []string                 // role names the note says deny the claims
		met             string                   // a claim key the routes' conditions no longer name
	}{
		{name: "the pinned repository", principal: fedGitHub,
			ctx:    map[string][]string{sub: {"repo:octo-org/deploy:ref:refs/heads/main"}, aud: {"sts.amazonaws.com"}},
			routes: map[string]model.Verdict{"gh-aud": model.VerdictAllow, "gh-pinned": model.VerdictAllow}},
		{name: "another repository", principal: fedGitHub,
			ctx:     map[string][]string{sub: {"repo:evil/x:ref:refs/heads/main"}, aud: {"sts.amazonaws.com"}},
			routes:  map[string]model.Verdict{"gh-aud": model.VerdictAllow},
			refused: []string{"gh-pinned"}},
		{name: "only the subject: the audience stays a condition", principal: fedGitHub,
			ctx:    map[string][]string{"Token.Actions.GitHubUserContent.com:SUB": {"repo:octo-org/deploy:pull_request"}},
			routes: map[string]model.Verdict{"gh-aud": model.VerdictConditional, "gh-pinned": model.VerdictConditional}, met: sub},
		{name: "the wrong audience", principal: fedGitHub,
			ctx:     map[string][]string{aud: {"https://example.com"}},
			refused: []string{"gh-aud", "gh-nothing", "gh-pinned"}},
		{name: "keys of no claim of the provider change nothing", principal: fedGitHub,
			ctx:    map[string][]string{"gitlab.com:sub": {"x"}, "SAML:aud": {"x"}},
			routes: map[string]model.Verdict{"gh-aud": model.VerdictConditional, "gh-pinned": model.VerdictConditional}},
		{name: "SAML", principal: fedOkta,
			ctx:    map[string][]string{"SAML:aud": {"https://signin.aws.amazon.com/saml"}},
			routes: map[string]model.Verdict{"okta-reader": model.VerdictAllow}},
		{name: "SAML, another audience", principal: fedOkta,
			ctx:     map[string][]string{"saml:aud": {"https://elsewhere.example/saml"}},
			refused: []string{"okta-reader"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x, err := Explain(fedExplainDoc(t), Request{Principal: tc.principal, Action: "s3:GetObject", Bucket: "data", Key: "k", Context: tc.ctx}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]model.Verdict{}
			for _, r := range x.ViaRoles {
				got[r.Role[strings.LastIndexByte(r.Role, '/')+1:]] = r.Verdict
				if r.Verdict == model.VerdictAllow && len(r.Conditions) > 0 {
					t.Errorf("route %+v: allowed, yet with conditions", r)
				}
				if tc.met != "" && strings.Contains(strings.ToLower(strings.Join(r.Conditions, ";")), tc.met) {
					t.Errorf("route %+v: still conditional on %s, which the claims meet", r, tc.met)
				}
			}
			if len(got) != len(tc.routes) {
				t.Errorf("routes = %v, want %v", got, tc.routes)
			}
			for role, v := range tc.routes {
				if got[role] != v {
					t.Errorf("route via %s: %q, want %q (routes %+v)", role, got[role], v, x.ViaRoles)
				}
			}
			notes := strings.Join(x.Notes, "\n")
			var refused []string
			for _, r := range tc.refused {
				refused = append(refused, fedRole+r)
			}
			want := "the trust policies of " + strings.Join(refused, ", ") + " deny " + tc.principal
			if has := strings.Contains(notes, "with the claims the request states"); has != (len(refused) > 0) || (has && !strings.Contains(notes, want)) {
				t.Errorf("notes = %q, want the refusals %v", notes, tc.refused)
			}
			if len(tc.routes) == 0 && strings.Contains(notes, "none of which can make") {
				t.Errorf("notes = %q: the roles refused are no roles it can assume", notes)
			}
		})
	}
}
