package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/internal/golden"
)

// AWS documentation pages the golden cases encode.
const (
	docEvalLogic    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
	docDenyAllow    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"
	docCrossAccount = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"
	docPrincipal    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
	docNotPrincipal = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
	docBoundaries   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
	docOperators    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
	docMultiValue   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html"
	docSetOps       = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html"
	docVariables    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"
	docVersion      = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html"
	docBPA          = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"
	docSCP          = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"
	docRCP          = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"
	docKMS          = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
	docVPCE         = "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html"
)

const (
	acct1 = "111122223333"
	acct2 = "444455556666"
)

// pol parses a policy and names it.
func pol(t testing.TB, name, src string) *Policy {
	t.Helper()
	p := mustParse(t, src)
	p.Name = name
	return p
}

func allowAll(t testing.TB, name string) *Policy {
	return pol(t, name, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
}

func stmts(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }

type goldenCase struct {
	name   string
	doc    string
	in     func(t testing.TB) *Input
	want   Decision
	golden bool // compare the full traced Result with testdata/golden/<name>.json
}

func getObj(principal, resAcct string) *Input {
	return &Input{Principal: principal, Action: "s3:GetObject", Resource: "arn:aws:s3:::amzn-s3-demo-bucket/k", ResourceAccount: resAcct, Context: NewContext()}
}

func goldenCases() []goldenCase {
	user := "arn:aws:iam::" + acct1 + ":user/carlossalazar"
	role := "arn:aws:iam::" + acct1 + ":role/examplerole"
	session := "arn:aws:sts::" + acct1 + ":assumed-role/examplerole/examplerolesessionname"
	bucketTo := func(t testing.TB, principal string) *Policy {
		return pol(t, "bucket policy", stmts(`{"Sid":"Grant","Effect":"Allow","Principal":`+principal+`,"Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}`))
	}
	onlyPut := func(t testing.TB, name string) *Policy {
		return pol(t, name, stmts(`{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}`))
	}
	return []goldenCase{
		// --- Evaluation logic, single account.
		{"carlos-explicit-deny", docEvalLogic, func(t testing.TB) *Input {
			in := &Input{Principal: user, Action: "s3:PutObject", Resource: "arn:aws:s3:::carlossalazar-logs/f", ResourceAccount: acct1, Context: NewContext(), Trace: true}
			in.IdentityPolicies = []*Policy{pol(t, "carlossalazar", stmts(`{"Sid":"AllowS3ListRead","Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListAllMyBuckets"],"Resource":"arn:aws:s3:::*"},
				{"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},
				{"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}`))}
			return in
		}, ExplicitDeny, true},
		{"carlos-allowed", docEvalLogic, func(t testing.TB) *Input {
			in := &Input{Principal: user, Action: "s3:PutObject", Resource: "arn:aws:s3:::carlossalazar/f", ResourceAccount: acct1, Context: NewContext()}
			in.IdentityPolicies = []*Policy{pol(t, "carlossalazar", stmts(`{"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},{"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}`))}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct1+`:user/carlossalazar"},"Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]}`))
			return in
		}, Allow, false},
		{"same-account-resource-policy-alone", docDenyAllow, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.ResourcePolicy = bucketTo(t, `{"AWS":"`+user+`"}`)
			return in
		}, Allow, false},
		{"same-account-identity-alone", docDenyAllow, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			return in
		}, Allow, false},
		{"nothing-allows", docDenyAllow, func(t testing.TB) *Input { return getObj(user, acct1) }, ImplicitDeny, false},
		{"root-full-access", docDenyAllow, func(t testing.TB) *Input { return getObj("arn:aws:iam::"+acct1+":root", acct1) }, Allow, false},
		{"root-scp-deny", docSCP, func(t testing.TB) *Input {
			in := getObj("arn:aws:iam::"+acct1+":root", acct1)
			in.SCPs = [][]*Policy{{allowAll(t, "FullAWSAccess"), pol(t, "DenyRootS3", stmts(`{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}`))}}
			return in
		}, ExplicitDeny, false},
		// --- Boundaries and session policies against resource-based grants (same account).
		{"boundary-limits-identity", docBoundaries, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.PermissionBoundary = onlyPut(t, "boundary")
			return in
		}, ImplicitDeny, false},
		{"boundary-not-limiting-user-arn-grant", docDenyAllow, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.PermissionBoundary = onlyPut(t, "boundary")
			in.ResourcePolicy = bucketTo(t, `{"AWS":"`+user+`"}`)
			return in
		}, Allow, false},
		{"boundary-limits-role-arn-grant", docDenyAllow, func(t testing.TB) *Input {
			in := getObj(session, acct1)
			in.PermissionBoundary = onlyPut(t, "boundary")
			in.ResourcePolicy = bucketTo(t, `{"AWS":"`+role+`"}`)
			return in
		}, ImplicitDeny, false},
		{"session-policy-limits-role-arn-grant", docDenyAllow, func(t testing.TB) *Input {
			in := getObj(session, acct1)
			in.SessionPolicy = onlyPut(t, "session policy")
			in.ResourcePolicy = bucketTo(t, `{"AWS":"`+role+`"}`)
			return in
		}, ImplicitDeny, false},
		{"role-arn-grant-within-limits", docDenyAllow, func(t testing.TB) *Input {
			in := getObj(session, acct1)
			in.PermissionBoundary = allowAll(t, "boundary")
			in.ResourcePolicy = bucketTo(t, `{"AWS":"`+role+`"}`)
			return in
		}, Allow, false},
		{"session-arn-grant-not-limited", docDenyAllow, func(t testing.TB) *Input {
			in := getObj(session, acct1)
			in.PermissionBoundary = onlyPut(t, "boundary")
			in.SessionPolicy = onlyPut(t, "session policy")
			in.ResourcePolicy = bucketTo(t, `{"AWS":"`+session+`"}`)
			return in
		}, Allow, false},
		{"wildcard-principalarn-not-limited", docPrincipal, func(t testing.TB) *Input {
			in := getObj(session, acct1)
			in.PermissionBoundary = onlyPut(t, "boundary")
			in.SessionPolicy = onlyPut(t, "session policy")
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"`+role+`"}}}`))
			return in
		}, Allow, false},
		{"session-policy-limits-identity", docDenyAllow, func(t testing.TB) *Input {
			in := getObj(session, acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "role policy")}
			in.SessionPolicy = onlyPut(t, "session policy")
			return in
		}, ImplicitDeny, false},
		{"federated-user-needs-session-policy", docDenyAllow, func(t testing.TB) *Input {
			in := getObj("arn:aws:sts::"+acct1+":federated-user/bob", acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "bob's policy")}
			return in
		}, ImplicitDeny, false},
		{"account-principal-delegates-to-iam", docPrincipal, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.ResourcePolicy = bucketTo(t, `{"AWS":"`+acct1+`"}`)
			return in
		}, ImplicitDeny, false},
		{"role-arn-principal-matches-session", docPrincipal, func(t testing.TB) *Input {
			in := getObj(session, acct2)
			in.IdentityPolicies = []*Policy{allowAll(t, "role policy")}
			in.ResourcePolicy = bucketTo(t, `{"AWS":"`+role+`"}`)
			return in
		}, Allow, false},
		// --- Cross account: both sides.
		{"cross-account-identity-only", docCrossAccount, func(t testing.TB) *Input {
			in := getObj(user, acct2)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			return in
		}, ImplicitDeny, false},
		{"cross-account-resource-only", docCrossAccount, func(t testing.TB) *Input {
			in := getObj(user, acct2)
			in.ResourcePolicy = bucketTo(t, `{"AWS":"`+acct1+`"}`)
			return in
		}, ImplicitDeny, false},
		{"cross-account-both", docCrossAccount, func(t testing.TB) *Input {
			in := getObj(user, acct2)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.ResourcePolicy = bucketTo(t, `{"AWS":"arn:aws:iam::`+acct1+`:root"}`)
			in.Trace = true
			return in
		}, Allow, true},
		// --- Principal "*" and anonymous callers.
		{"anonymous-star", docPrincipal, func(t testing.TB) *Input {
			in := getObj("anonymous", acct2)
			in.ResourcePolicy = bucketTo(t, `"*"`)
			return in
		}, Allow, false},
		{"anonymous-aws-star", docPrincipal, func(t testing.TB) *Input {
			in := getObj("anonymous", acct2)
			in.ResourcePolicy = bucketTo(t, `{"AWS":"*"}`)
			return in
		}, Allow, false},
		{"anonymous-account-grant", docPrincipal, func(t testing.TB) *Input {
			in := getObj("anonymous", acct2)
			in.ResourcePolicy = bucketTo(t, `{"AWS":"`+acct2+`"}`)
			return in
		}, ImplicitDeny, false},
		{"service-principal", docPrincipal, func(t testing.TB) *Input {
			in := &Input{Principal: "cloudtrail.amazonaws.com", Action: "s3:PutObject", Resource: "arn:aws:s3:::trail/AWSLogs/x", ResourceAccount: acct2, Context: NewContext()}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::trail/AWSLogs/*"}`))
			return in
		}, Allow, false},
		// --- NotPrincipal.
		{"notprincipal-deny-exempts-named-user", docNotPrincipal, func(t testing.TB) *Input {
			in := getObj("arn:aws:iam::"+acct2+":user/Bob", acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "bob")}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::`+acct2+`:user/Bob","arn:aws:iam::`+acct2+`:root"]},"Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"]},
				{"Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}`))
			return in
		}, Allow, false},
		{"notprincipal-deny-others", docNotPrincipal, func(t testing.TB) *Input {
			in := getObj("arn:aws:iam::"+acct2+":user/Alice", acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "alice")}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::`+acct2+`:user/Bob","arn:aws:iam::`+acct2+`:root"]},"Action":"s3:*","Resource":"*"},
				{"Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:GetObject","Resource":"*"}`))
			return in
		}, ExplicitDeny, false},
		{"notprincipal-role-does-not-exempt-session", docNotPrincipal, func(t testing.TB) *Input {
			in := getObj("arn:aws:sts::"+acct2+":assumed-role/cross-account-read-only-role/other-app", acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "role")}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::`+acct2+`:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::`+acct2+`:role/cross-account-read-only-role","arn:aws:iam::`+acct2+`:root"]},"Action":"s3:*","Resource":"*"}`))
			return in
		}, ExplicitDeny, false},
		// A role makes its requests as its sessions: a role ARN as the
		// caller is a session of unknown name, spared neither by the role's
		// ARN nor by its account's, only by one of its sessions' ARNs (then
		// the session name decides).
		{"notprincipal-role-arn-caller-is-its-sessions", docNotPrincipal, func(t testing.TB) *Input {
			in := getObj("arn:aws:iam::"+acct2+":role/cross-account-read-only-role", acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "role")}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::`+acct2+`:role/cross-account-read-only-role","arn:aws:iam::`+acct2+`:root"]},"Action":"s3:*","Resource":"*"},
				{"Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:GetObject","Resource":"*"}`))
			return in
		}, ExplicitDeny, false},
		{"notprincipal-role-arn-caller-one-session-spared", docNotPrincipal, func(t testing.TB) *Input {
			in := getObj("arn:aws:iam::"+acct2+":role/cross-account-read-only-role", acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "role")}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::`+acct2+`:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::`+acct2+`:role/cross-account-read-only-role","arn:aws:iam::`+acct2+`:root"]},"Action":"s3:*","Resource":"*"},
				{"Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:GetObject","Resource":"*"}`))
			return in
		}, Conditional, false},
		{"notprincipal-root-spared", docNotPrincipal, func(t testing.TB) *Input {
			in := getObj("arn:aws:iam::"+acct2+":root", acct1)
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::`+acct2+`:root"},"Action":"s3:*","Resource":"*"},
				{"Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:GetObject","Resource":"*"}`))
			return in
		}, Allow, false},
		{"notprincipal-deny-with-boundary-always-denies", docBoundaries, func(t testing.TB) *Input {
			in := getObj("arn:aws:iam::"+acct2+":user/Bob", acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "bob")}
			in.PermissionBoundary = allowAll(t, "boundary")
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::`+acct2+`:user/Bob","arn:aws:iam::`+acct2+`:root"]},"Action":"s3:*","Resource":"*"},
				{"Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:GetObject","Resource":"*"}`))
			return in
		}, ExplicitDeny, false},
		{"allow-notprincipal-grants-anonymous", docNotPrincipal, func(t testing.TB) *Input {
			in := getObj("anonymous", acct1)
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::`+acct2+`:user/Bob"},"Action":"s3:GetObject","Resource":"*"}`))
			return in
		}, Allow, false},
		// --- SCPs, RCPs.
		{"scp-every-level-must-allow", docSCP, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.SCPs = [][]*Policy{{allowAll(t, "FullAWSAccess")}, {pol(t, "OnlyEC2", stmts(`{"Effect":"Allow","Action":"ec2:*","Resource":"*"}`))}, {allowAll(t, "FullAWSAccess")}}
			in.Trace = true
			return in
		}, ImplicitDeny, true},
		{"scp-levels-allow", docSCP, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.SCPs = [][]*Policy{{allowAll(t, "FullAWSAccess")}, {pol(t, "S3Only", stmts(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`))}}
			return in
		}, Allow, false},
		{"scp-does-not-grant", docSCP, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.SCPs = [][]*Policy{{allowAll(t, "FullAWSAccess")}}
			return in
		}, ImplicitDeny, false},
		{"scp-empty-level", docSCP, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.SCPs = [][]*Policy{{allowAll(t, "FullAWSAccess")}, {}}
			return in
		}, ImplicitDeny, false},
		{"scp-not-for-anonymous", docSCP, func(t testing.TB) *Input {
			in := getObj("anonymous", acct1)
			in.ResourcePolicy = bucketTo(t, `"*"`)
			in.SCPs = [][]*Policy{{pol(t, "OnlyEC2", stmts(`{"Effect":"Allow","Action":"ec2:*","Resource":"*"}`))}}
			return in
		}, Allow, false},
		{"rcp-deny-any-caller", docRCP, func(t testing.TB) *Input {
			in := getObj("arn:aws:iam::"+acct2+":user/x", acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.ResourcePolicy = bucketTo(t, `"*"`)
			in.RCPs = [][]*Policy{{pol(t, "EnforceOrg", stmts(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`))}}
			in.Context.Set("aws:PrincipalOrgID", "o-zzzzzzzzzz")
			return in
		}, ExplicitDeny, false},
		{"rcp-only-supported-services", docRCP, func(t testing.TB) *Input {
			in := &Input{Principal: user, Action: "ec2:DescribeInstances", Resource: "*", ResourceAccount: acct1, Context: NewContext()}
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.RCPs = [][]*Policy{{pol(t, "DenyAll", stmts(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`))}}
			return in
		}, Allow, false},
		// --- Block Public Access: RestrictPublicBuckets (the page's Account-1 example).
		{"bpa-restrict-public-cuts-cross-account", docBPA, func(t testing.TB) *Input {
			in := getObj("arn:aws:iam::"+acct2+":user/u", acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Sid":"CloudTrail","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"},
				{"Sid":"Account2","Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:GetObject","Resource":"*"},
				{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`))
			in.RestrictPublicBuckets = true
			in.Trace = true
			return in
		}, ImplicitDeny, true},
		{"bpa-non-public-policy-unaffected", docBPA, func(t testing.TB) *Input {
			in := getObj("arn:aws:iam::"+acct2+":user/u", acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Sid":"Account2","Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:GetObject","Resource":"*"}`))
			in.RestrictPublicBuckets = true
			return in
		}, Allow, false},
		{"bpa-service-principal-still-allowed", docBPA, func(t testing.TB) *Input {
			in := &Input{Principal: "cloudtrail.amazonaws.com", Action: "s3:PutObject", Resource: "arn:aws:s3:::amzn-s3-demo-bucket/x", ResourceAccount: acct1, Context: NewContext(), RestrictPublicBuckets: true}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`))
			return in
		}, Allow, false},
		{"bpa-owner-account-still-allowed", docBPA, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.ResourcePolicy = bucketTo(t, `"*"`)
			in.RestrictPublicBuckets = true
			return in
		}, Allow, false},
		// --- KMS key policies must allow; the root principal delegates to IAM.
		{"kms-identity-alone-not-enough", docKMS, func(t testing.TB) *Input {
			in := &Input{Principal: role, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acct1 + ":key/1234abcd", Context: NewContext()}
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.ResourcePolicy = pol(t, "key policy", stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct1+`:role/other"},"Action":"kms:*","Resource":"*"}`))
			return in
		}, ImplicitDeny, false},
		{"kms-root-enables-iam", docKMS, func(t testing.TB) *Input {
			in := &Input{Principal: role, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acct1 + ":key/1234abcd", Context: NewContext()}
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.ResourcePolicy = pol(t, "key policy", stmts(`{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct1+`:root"},"Action":"kms:*","Resource":"*"}`))
			return in
		}, Allow, false},
		// --- VPC endpoint policies.
		{"vpce-policy-must-allow", docVPCE, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.VPCEndpointPolicies = []*Policy{pol(t, "endpoint", stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other-bucket/*"}`))}
			return in
		}, ImplicitDeny, false},
		// --- Three-valued evaluation.
		{"conditional-vpce-and-tls", docOperators, func(t testing.TB) *Input {
			in := getObj("anonymous", acct1)
			in.Context = NewOpenContext()
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Sid":"VPCE","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}},
				{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`))
			in.Trace = true
			return in
		}, Conditional, true},
		{"conditional-alternatives", docMultiValue, func(t testing.TB) *Input {
			in := getObj("anonymous", acct1)
			in.Context = NewOpenContext()
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Sid":"Office","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}},
				{"Sid":"VPCE","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`))
			return in
		}, Conditional, true},
		{"unknown-except-org", docPrincipal, func(t testing.TB) *Input {
			in := getObj("", acct1)
			in.Context = NewOpenContext().SetUnknownExcept("aws:PrincipalOrgID", "o-a1b2c3d4e5").SetUnknownExcept("aws:PrincipalAccount", acct1, acct2)
			in.IdentityPolicies = []*Policy{allowAll(t, "their admin policy")}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Sid":"Org","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}},
				{"Sid":"Acct2","Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:GetObject","Resource":"*"}`))
			return in
		}, ImplicitDeny, false},
		{"unknown-account-conditional", docCrossAccount, func(t testing.TB) *Input {
			in := getObj("", acct1)
			in.Context = NewOpenContext().SetUnknownExcept("aws:PrincipalAccount", acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "their admin policy")}
			in.ResourcePolicy = pol(t, "bucket policy", stmts(`{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"`+acct2+`"},"Action":"s3:GetObject","Resource":"*"}`))
			return in
		}, Conditional, true},
		{"unreadable-bucket-policy", docEvalLogic, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.ResourcePolicy = Unreadable("bucket policy")
			return in
		}, Unknown, false},
		{"unreadable-but-scp-denies", docSCP, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.IdentityPolicies = []*Policy{allowAll(t, "admin")}
			in.ResourcePolicy = Unreadable("bucket policy")
			in.SCPs = [][]*Policy{{allowAll(t, "FullAWSAccess"), pol(t, "DenyS3", stmts(`{"Effect":"Deny","Action":"s3:*","Resource":"*"}`))}}
			return in
		}, ExplicitDeny, false},
		{"unreadable-scp-level-without-grant", docSCP, func(t testing.TB) *Input {
			in := getObj(user, acct1)
			in.SCPs = [][]*Policy{{Unreadable("root SCPs")}}
			return in
		}, ImplicitDeny, false},
	}
}

func TestGoldenEvaluation(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := Evaluate(tc.in(t))
			if r.Decision != tc.want {
				t.Fatalf("%s: decision %v (decided by %v, statements %v, conditions %v), want %v", tc.doc, r.Decision, r.DecidedBy, r.Statements, r.ConditionStrings(), tc.want)
			}
			if tc.golden {
				checkGolden(t, "golden/"+tc.name+".json", r)
			}
		})
	}
}

// checkGolden compares v, as indented JSON, with testdata/name (-update rewrites it).
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, name, append(got, '\n'))
}

func TestGoldenDocsCited(t *testing.T) {
	for _, tc := range goldenCases() {
		if !strings.HasPrefix(tc.doc, "https://docs.aws.amazon.com/") {
			t.Errorf("%s cites no AWS documentation page", tc.name)
		}
	}
}
