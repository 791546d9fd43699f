package policy

import (
	"strings"
	"testing"
)

// TestFederatedProviderCaller: the users of an identity provider calling
// sts:AssumeRoleWithWebIdentity or sts:AssumeRoleWithSAML are no IAM
// principal of any account: the role's trust policy alone allows them,
// through a Principal's Federated element naming the provider (its IAM
// OIDC or SAML provider ARN, or a built-in provider's name)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-federated-web-identity);
// no identity policy or SCP is needed or applies, and the request carries
// no aws:PrincipalArn or aws:PrincipalAccount
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn:
// "included in the request context for all signed requests"; these calls
// are not signed). Their claims are context keys: unknown, a condition on
// them is conditional.
func TestFederatedProviderCaller(t *testing.T) {
	const (
		role = "arn:aws:iam::222222222222:role/deploy"
		gh   = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
		saml = "arn:aws:iam::222222222222:saml-provider/Okta"
	)
	trust := func(principal, action, cond string) *Policy {
		if cond != "" {
			cond = `,"Condition":` + cond
		}
		p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"` + action + `"` + cond + `}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, caller, action string
		trust                *Policy
		want                 Decision
	}{
		{"OIDC provider ARN named", gh, "sts:AssumeRoleWithWebIdentity", trust(`{"Federated":"`+gh+`"}`, "sts:AssumeRoleWithWebIdentity", ""), Allow},
		{"claim condition unknown", gh, "sts:AssumeRoleWithWebIdentity", trust(`{"Federated":"`+gh+`"}`, "sts:AssumeRoleWithWebIdentity", `{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/*"}}`), Conditional},
		{"another provider named", gh, "sts:AssumeRoleWithWebIdentity", trust(`{"Federated":"accounts.google.com"}`, "sts:AssumeRoleWithWebIdentity", ""), ImplicitDeny},
		{"the account named (no federated)", gh, "sts:AssumeRoleWithWebIdentity", trust(`{"AWS":"arn:aws:iam::222222222222:root"}`, "sts:AssumeRoleWithWebIdentity", ""), ImplicitDeny},
		{"only AssumeRole allowed", gh, "sts:AssumeRoleWithWebIdentity", trust(`{"Federated":"`+gh+`"}`, "sts:AssumeRole", ""), ImplicitDeny},
		{"no aws:PrincipalArn", gh, "sts:AssumeRoleWithWebIdentity", trust(`{"Federated":"`+gh+`"}`, "sts:AssumeRoleWithWebIdentity", `{"StringEquals":{"aws:PrincipalAccount":"222222222222"}}`), ImplicitDeny},
		{"SAML provider ARN", saml, "sts:AssumeRoleWithSAML", trust(`{"Federated":"`+saml+`"}`, "sts:AssumeRoleWithSAML", ""), Allow},
		{"built-in provider name", "cognito-identity.amazonaws.com", "sts:AssumeRoleWithWebIdentity", trust(`{"Federated":"cognito-identity.amazonaws.com"}`, "sts:AssumeRoleWithWebIdentity", ""), Allow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Evaluate(&Input{Principal: tc.caller, Action: tc.action, Resource: role, ResourceAccount: "222222222222",
				ResourcePolicy: tc.trust, Context: NewOpenContext()})
			if res.Decision != tc.want {
				t.Errorf("decision = %s, want %s", res.Decision, tc.want)
			}
		})
	}
}

// TestFederatedProviderWildcard: a trust policy's wildcard and an identity
// provider's users. {"AWS": "*"} "does not allow web identity session
// principals, SAML session principals, or service principals"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous):
// denied. Of "Principal": "*" the same page says it "allows anyone, even
// if they're not signed in to AWS", and the STS API reference that the
// identity provider "must be specified in the role's trust policy"
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html,
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html):
// whether "*" lets them in is not documented, so the decision is
// conditional on the pseudo-requirement {Principal, "*"}, never allow or
// deny by guess. A statement that names the provider still decides
// alone; other callers are unchanged.
func TestFederatedProviderWildcard(t *testing.T) {
	const (
		role = "arn:aws:iam::222222222222:role/open"
		gh   = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
		saml = "arn:aws:iam::222222222222:saml-provider/Okta"
		web  = "sts:AssumeRoleWithWebIdentity"
	)
	trust := func(stmts ...string) *Policy {
		p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	stmt := func(principal, action string) string {
		return `{"Effect":"Allow","Principal":` + principal + `,"Action":"` + action + `"}`
	}
	cases := []struct {
		name, caller, action string
		trust                *Policy
		want                 Decision
	}{
		{"Principal * and a web identity", gh, web, trust(stmt(`"*"`, web)), Conditional},
		{"Principal * and SAML", saml, "sts:AssumeRoleWithSAML", trust(stmt(`"*"`, "sts:AssumeRoleWithSAML")), Conditional},
		{"Principal * and a built-in provider", "accounts.google.com", web, trust(stmt(`"*"`, web)), Conditional},
		{"AWS * and a web identity", gh, web, trust(stmt(`{"AWS":"*"}`, web)), ImplicitDeny},
		{"AWS * and SAML", saml, "sts:AssumeRoleWithSAML", trust(stmt(`{"AWS":"*"}`, "sts:AssumeRoleWithSAML")), ImplicitDeny},
		{"AWS * and the provider named", gh, web, trust(stmt(`{"AWS":"*","Federated":"`+gh+`"}`, web)), Allow},
		{"Principal * beside a statement naming the provider", gh, web, trust(stmt(`"*"`, web), stmt(`{"Federated":"`+gh+`"}`, web)), Allow},
		{"Principal * denies explicitly", gh, web, trust(stmt(`{"Federated":"`+gh+`"}`, web), `{"Effect":"Deny","Principal":"*","Action":"`+web+`"}`), Conditional},
		// Unchanged: an IAM principal and a service still match "*".
		{"Principal * and an IAM role", "arn:aws:iam::333333333333:role/x", "sts:AssumeRole", trust(stmt(`"*"`, "sts:AssumeRole")), Allow},
		{"AWS * and an IAM role", "arn:aws:iam::333333333333:role/x", "sts:AssumeRole", trust(stmt(`{"AWS":"*"}`, "sts:AssumeRole")), Allow},
		{"Principal * and a service", "lambda.amazonaws.com", "sts:AssumeRole", trust(stmt(`"*"`, "sts:AssumeRole")), Allow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &Input{Principal: tc.caller, Action: tc.action, Resource: role, ResourceAccount: "222222222222",
				ResourcePolicy: tc.trust, Context: NewOpenContext()}
			if strings.Contains(tc.caller, ":role/") {
				// Across accounts the caller's identity policy must allow it too.
				in.IdentityPolicies = []*Policy{trust(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`)}
			}
			res := Evaluate(in)
			if res.Decision != tc.want {
				t.Fatalf("decision = %s, want %s", res.Decision, tc.want)
			}
			if tc.want == Conditional {
				found := false
				for _, alt := range res.Alternatives {
					for _, q := range alt {
						found = found || (q.Key == "Principal" && q.Operator == "*")
					}
				}
				if !found {
					t.Errorf("alternatives %v, want the Principal \"*\" requirement", res.Alternatives)
				}
			}
		})
	}
}
