package deploy

import (
	"os"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/bucketaudit/bucketaudit/policy"
)

// scannerTrust evaluates the scanner-role module's assume_role_policy (and
// its locals) with HCL, as Terraform would for the variables vars, and
// parses the JSON it encodes. Only the functions the expression uses are
// defined: an expression using another fails the test.
func scannerTrust(t *testing.T, vars map[string]cty.Value) *policy.Policy {
	t.Helper()
	src, err := os.ReadFile("terraform/modules/scanner-role/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, "main.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var trust hclsyntax.Expression
	locals := map[string]hclsyntax.Expression{}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		switch {
		case b.Type == "locals":
			for name, a := range b.Body.Attributes {
				locals[name] = a.Expr
			}
		case b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == "aws_iam_role" && b.Labels[1] == "scanner":
			if a := b.Body.Attributes["assume_role_policy"]; a != nil {
				trust = a.Expr
			}
		}
	}
	if trust == nil {
		t.Fatal("no assume_role_policy in resource aws_iam_role.scanner")
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var": cty.ObjectVal(vars),
			"data": cty.ObjectVal(map[string]cty.Value{
				"aws_caller_identity": cty.ObjectVal(map[string]cty.Value{"current": cty.ObjectVal(map[string]cty.Value{"account_id": cty.StringVal("111111111111")})}),
				"aws_partition":       cty.ObjectVal(map[string]cty.Value{"current": cty.ObjectVal(map[string]cty.Value{"partition": cty.StringVal("aws")})}),
			}),
		},
		Functions: map[string]function.Function{
			"concat": stdlib.ConcatFunc, "element": stdlib.ElementFunc, "jsonencode": stdlib.JSONEncodeFunc,
			"length": stdlib.LengthFunc, "split": stdlib.SplitFunc,
		},
	}
	lv := map[string]cty.Value{}
	for name, e := range locals {
		v, diags := e.Value(ctx)
		if diags.HasErrors() {
			t.Fatalf("local.%s: %v", name, diags)
		}
		lv[name] = v
	}
	ctx.Variables["local"] = cty.ObjectVal(lv)
	v, diags := trust.Value(ctx)
	if diags.HasErrors() {
		t.Fatalf("assume_role_policy: %v", diags)
	}
	p, err := policy.Parse([]byte(v.AsString()))
	if err != nil {
		t.Fatalf("assume_role_policy does not parse: %v\n%s", err, v.AsString())
	}
	return p
}

// TestScannerRoleTrust: the scanning role trusts what the deploy/ engines
// run the scan as, and nothing more — the pods of the one Kubernetes
// service account (IRSA: AssumeRoleWithWebIdentity, subject and audience
// pinned, https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html),
// ECS tasks of AWS Batch jobs of this account (the job role:
// https://docs.aws.amazon.com/batch/latest/userguide/execution-IAM-role.html,
// aws:SourceAccount against the confused deputy:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)
// and the principals listed. The module's HCL is evaluated as Terraform
// would, and the trust policy it writes decided by the policy engine.
func TestScannerRoleTrust(t *testing.T) {
	const (
		role   = "arn:aws:iam::111111111111:role/BucketAuditScanner"
		issuer = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
		oidc   = "arn:aws:iam::111111111111:oidc-provider/" + issuer
		person = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_SecurityAudit_0123456789abcdef"
	)
	vars := func(people []string, provider string, batch bool) map[string]cty.Value {
		ps := cty.ListValEmpty(cty.String)
		if len(people) > 0 {
			var vs []cty.Value
			for _, p := range people {
				vs = append(vs, cty.StringVal(p))
			}
			ps = cty.ListVal(vs)
		}
		return map[string]cty.Value{
			"trusted_principal_arns": ps, "eks_oidc_provider_arn": cty.StringVal(provider),
			"kubernetes_service_account": cty.StringVal("bucketaudit:bucketaudit"), "batch_job_role": cty.BoolVal(batch),
		}
	}
	type req struct {
		name, principal, action string
		ctx                     map[string]string
		want                    policy.Decision
	}
	pod := func(sub, aud string) map[string]string {
		return map[string]string{issuer + ":sub": sub, issuer + ":aud": aud}
	}
	podOK := req{"the scan pods", oidc, "sts:AssumeRoleWithWebIdentity", pod("system:serviceaccount:bucketaudit:bucketaudit", "sts.amazonaws.com"), policy.Allow}
	otherPod := req{"another service account of the cluster", oidc, "sts:AssumeRoleWithWebIdentity", pod("system:serviceaccount:default:default", "sts.amazonaws.com"), policy.ImplicitDeny}
	otherAud := req{"a token for another audience", oidc, "sts:AssumeRoleWithWebIdentity", pod("system:serviceaccount:bucketaudit:bucketaudit", "example.com"), policy.ImplicitDeny}
	batchOK := req{"Batch jobs of the account", "ecs-tasks.amazonaws.com", "sts:AssumeRole", map[string]string{"aws:SourceAccount": "111111111111"}, policy.Allow}
	batchOther := req{"ECS tasks of another account", "ecs-tasks.amazonaws.com", "sts:AssumeRole", map[string]string{"aws:SourceAccount": "999999999999"}, policy.ImplicitDeny}
	personOK := req{"the person listed", person, "sts:AssumeRole", nil, policy.Allow}
	stranger := req{"another role of the account", "arn:aws:iam::111111111111:role/other", "sts:AssumeRole", nil, policy.ImplicitDeny}
	for _, tc := range []struct {
		name string
		vars map[string]cty.Value
		reqs []req
	}{
		{"people only", vars([]string{person}, "", false), []req{personOK, stranger, {podOK.name, podOK.principal, podOK.action, podOK.ctx, policy.ImplicitDeny}, {batchOK.name, batchOK.principal, batchOK.action, batchOK.ctx, policy.ImplicitDeny}}},
		{"kubernetes", vars(nil, oidc, false), []req{podOK, otherPod, otherAud, {personOK.name, person, "sts:AssumeRole", nil, policy.ImplicitDeny}}},
		{"batch", vars(nil, "", true), []req{batchOK, batchOther, stranger}},
		{"all three", vars([]string{person}, oidc, true), []req{personOK, podOK, otherPod, batchOK, batchOther, stranger}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			trust := scannerTrust(t, tc.vars)
			for _, r := range tc.reqs {
				c := policy.NewContext()
				c.Set("aws:SecureTransport", "true")
				for k, v := range r.ctx {
					c.Set(k, v)
				}
				res := policy.Evaluate(&policy.Input{Principal: r.principal, Action: r.action, Resource: role, ResourceAccount: "111111111111",
					ResourcePolicy: trust, RequireResourcePolicy: true, Context: c})
				if res.Decision != r.want {
					t.Errorf("%s (%s %s): %v, want %v", r.name, r.principal, r.action, res.Decision, r.want)
				}
			}
		})
	}
}
