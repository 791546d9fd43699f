package policy

import "testing"

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
