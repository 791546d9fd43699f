package policy

import (
	"testing"
)

func TestLint(t *testing.T) {
	wrap := func(stmt string) string { return `{"Version":"2012-10-17","Statement":[` + stmt + `]}` }
	for _, tc := range []struct {
		name string
		src  string
		want []string // codes, in order
	}{
		// "The missing /*": object actions need object ARNs
		// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security_iam_service-with-iam.html#security_iam_service-with-iam-id-based-policies-resources).
		{"missing slash star", wrap(`{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::b"}`),
			[]string{LintObjectActionOnBucketARN}},
		{"bucket action on objects", wrap(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/*"}`), []string{LintBucketActionOnObjectARN}},
		{"bucket action on literal object", wrap(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/key"}`), []string{LintBucketActionOnObjectARN}},
		{"both ARNs fine", wrap(`{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`), nil},
		{"wildcard resource fine", wrap(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b*"}`), nil},
		{"access point fine", wrap(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:us-west-2:123456789012:accesspoint/ap"}`), nil},
		{"s3 star on bucket fine", wrap(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b"}`), nil},
		{"allow notprincipal", wrap(`{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), []string{LintAllowWithNotPrincipal}},
		{"public", wrap(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), []string{LintWildcardPrincipalNoCond}},
		{"public with condition", wrap(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}`), nil},
		{"deny star fine", wrap(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), nil},
		{"typo", wrap(`{"Effect":"Allow","Action":["s3:DeletObject","s3:Get*","kms:Decrypt","foo:Bar"],"Resource":"*"}`), []string{LintActionMatchesNothing}},
		{"placeholder", wrap(`{"Effect":"Allow","Action":"<action>","Resource":"*"}`), []string{LintActionMatchesNothing}},
		{"variable without version", `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}}`, []string{LintVariablesWithoutVersion}},
		{"partial principal wildcard", wrap(`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/*"},"Action":"s3:*","Resource":"*"}`), []string{LintPrincipalWildcardFragment}},
		{"duplicate key kept", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`, []string{"duplicate-key"}},
	} {
		p := mustParse(t, tc.src)
		got := Lint(p)
		var codes []string
		for _, w := range got {
			codes = append(codes, w.Code)
			if w.Line < 1 || w.Column < 1 || w.Message == "" {
				t.Errorf("%s: warning without position or message: %+v", tc.name, w)
			}
		}
		if len(codes) != len(tc.want) {
			t.Errorf("%s: codes %v, want %v (%+v)", tc.name, codes, tc.want, got)
			continue
		}
		for i := range codes {
			if codes[i] != tc.want[i] {
				t.Errorf("%s: codes %v, want %v", tc.name, codes, tc.want)
			}
		}
	}
	p := mustParse(t, wrap(`{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}`))
	w := Lint(p)[0]
	if w.Statement != "Read" || w.Line != 1 || w.Column != 128 {
		t.Errorf("warning %+v: want statement Read at the Resource element (1:128)", w)
	}
}

func TestActionData(t *testing.T) {
	a, ok := LookupAction("S3:getbucketpolicy")
	if !ok || a.Name != "s3:GetBucketPolicy" || !a.ReadOnly() {
		t.Errorf("LookupAction(s3:GetBucketPolicy) = %+v, %v", a, ok)
	}
	if a, ok := LookupAction("s3:PutBucketPolicy"); !ok || a.ReadOnly() {
		t.Errorf("s3:PutBucketPolicy = %+v, %v; want a non-read-only action", a, ok)
	}
	for _, name := range []string{"organizations:ListAccounts", "sts:AssumeRole", "iam:GetAccountAuthorizationDetails", "ec2:DescribeVpcEndpoints", "kms:GetKeyPolicy"} {
		if _, ok := LookupAction(name); !ok {
			t.Errorf("LookupAction(%s) not found", name)
		}
	}
	if _, ok := LookupAction("s3:NoSuchAction"); ok {
		t.Error("found s3:NoSuchAction")
	}
	for action, want := range map[string]Scope{"s3:GetObject": ScopeObject, "s3:ListBucket": ScopeBucket, "s3:PutBucketPolicy": ScopeBucket,
		"s3:DeleteObject": ScopeObject, "s3:ListAllMyBuckets": ScopeNone, "kms:Decrypt": ScopeNone} {
		if got := S3ActionScope(action); got != want {
			t.Errorf("S3ActionScope(%s) = %v, want %v", action, got, want)
		}
	}
	if n := len(MatchingActions("s3:Get*")); n < 30 {
		t.Errorf("s3:Get* matches %d actions", n)
	}
	if !ConditionKeyApplies("s3:ListBucket", "", "s3:prefix") || ConditionKeyApplies("s3:GetObject", "", "s3:prefix") ||
		!ConditionKeyApplies("s3:GetObject", "", "aws:SourceIp") || !ConditionKeyApplies("s3:GetObject", "object", "s3:ExistingObjectTag/team") {
		t.Error("ConditionKeyApplies")
	}
	if !rcpApplies("s3") || !rcpApplies("kms") || rcpApplies("ec2") {
		t.Error("rcpApplies")
	}
}
