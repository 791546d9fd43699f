package access

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// viaDoc is one account (222222222222, bucket "data", no bucket policy)
// whose role actor reads the bucket and trusts role mid and user carol;
// mid trusts user alice; mfaactor reads the bucket and trusts user bob
// only with MFA; opaque reads the bucket and its trust policy was not
// collected. Only actor, mfaactor, opaque and carol have S3 permissions.
func viaDoc(t *testing.T) *inventory.Document {
	t.Helper()
	const a = "arn:aws:iam::222222222222:"
	pd := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
	trust := func(principal, cond string) *inventory.PolicyDocument {
		if cond != "" {
			cond = `,"Condition":` + cond
		}
		return pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + principal + `},"Action":"sts:AssumeRole"` + cond + `}]}`)
	}
	read := map[string]*inventory.PolicyDocument{"s3": pd(`{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`)}
	doc := &inventory.Document{
		SchemaVersion: inventory.SchemaVersion,
		Accounts: []inventory.Account{{ID: "222222222222", Buckets: []inventory.Bucket{{Name: "data", Region: "us-east-1"}},
			IAM: &inventory.IAM{
				Users: []inventory.IAMUser{{ARN: a + "user/alice"}, {ARN: a + "user/bob"}, {ARN: a + "user/carol", InlinePolicies: read}, {ARN: a + "user/dave"}},
				Roles: []inventory.IAMRole{
					{ARN: a + "role/actor", TrustPolicy: trust(`["`+a+`role/mid","`+a+`user/carol"]`, ""), InlinePolicies: read},
					{ARN: a + "role/mid", TrustPolicy: trust(`"`+a+`user/alice"`, "")},
					{ARN: a + "role/mfaactor", TrustPolicy: trust(`"`+a+`user/bob"`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), InlinePolicies: read},
					{ARN: a + "role/opaque", InlinePolicies: read},
				},
			}}},
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestPrincipalAccessVia: a principal that cannot read the bucket itself
// but can assume (in one hop or a chain) a role that can, reaches it
// through that role: the request is the role's once assumed
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage-assume.html;
// chaining: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles.html#iam-term-role-chaining).
// Within one account a trust policy naming the principal's ARN suffices
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
// An MFA condition on the trust makes the path conditional; a trust policy
// that was not read makes it unknown, named in the reason, not listed.
func TestPrincipalAccessVia(t *testing.T) {
	rep := analyzeValid(t, viaDoc(t), Options{})
	const a = "arn:aws:iam::222222222222:"
	c := rep.Buckets[0].Access.SameAccount.Read
	got := map[string]model.PrincipalAccess{}
	for _, p := range c.PrincipalAccess {
		if _, dup := got[p.ARN]; dup {
			t.Errorf("%s listed twice: %+v", p.ARN, c.PrincipalAccess)
		}
		got[p.ARN] = p
	}
	want := map[string]string{
		a + "role/actor":    "allow",
		a + "role/mfaactor": "allow",
		a + "role/opaque":   "allow",
		a + "user/carol":    "allow", // directly, though it can assume actor too
		a + "root":          "allow",
		a + "role/mid":      "allow via " + a + "role/actor",
		a + "user/alice":    "allow via " + a + "role/mid → " + a + "role/actor",
		a + "user/bob":      "conditional via " + a + "role/mfaactor",
	}
	for arn, w := range want {
		p, ok := got[arn]
		if !ok {
			t.Errorf("%s not listed", arn)
			continue
		}
		s := string(p.Verdict)
		if len(p.Via) > 0 {
			s += " via " + strings.Join(p.Via, " → ")
		}
		if s != w {
			t.Errorf("%s: %s, want %s", arn, s, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("listed %d principals, want %d: %v", len(got), len(want), got)
	}
	bob := got[a+"user/bob"]
	if len(bob.Conditions) != 1 || !strings.Contains(bob.Conditions[0], "aws:MultiFactorAuthPresent") {
		t.Errorf("bob's conditions = %q, want the trust's MFA condition", bob.Conditions)
	}
	alice := got[a+"user/alice"]
	if alice.Account != "222222222222" || alice.Type != model.PrincipalUser || !strings.Contains(strings.Join(alice.Statements, ", "), "trust policy of "+a+"role/mid") {
		t.Errorf("alice = %+v, want a user of 222222222222 decided by mid's trust policy", alice)
	}
	// dave reaches nothing but opaque, whose trust policy was not collected:
	// unknown, said in the reason, not listed as allowed.
	if !strings.Contains(c.Reason, "unknown whether") || !strings.Contains(c.Reason, a+"user/dave") {
		t.Errorf("reason %q does not say dave's reach through roles is unknown", c.Reason)
	}
	// List is not granted to anyone: no principal is listed through roles.
	for _, p := range rep.Buckets[0].Access.SameAccount.List.PrincipalAccess {
		if len(p.Via) > 0 {
			t.Errorf("list cell lists %s via %v", p.ARN, p.Via)
		}
	}
}

// TestPrincipalAccessViaCap: a cell lists at most maxViaPerCell principals
// through roles and counts those it leaves out.
func TestPrincipalAccessViaCap(t *testing.T) {
	doc := viaDoc(t)
	iam := doc.Accounts[0].IAM
	names := []string{}
	for i := range maxViaPerCell + 7 {
		arn := fmt.Sprintf("arn:aws:iam::222222222222:user/u%03d", i)
		iam.Users = append(iam.Users, inventory.IAMUser{ARN: arn})
		names = append(names, `"`+arn+`"`)
	}
	iam.Roles[0].TrustPolicy = inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[` + strings.Join(names, ",") + `]},"Action":"sts:AssumeRole"}]}`))
	c := analyzeValid(t, doc, Options{}).Buckets[0].Access.SameAccount.Read
	n := 0
	for _, p := range c.PrincipalAccess {
		if len(p.Via) > 0 {
			n++
		}
	}
	if n != maxViaPerCell {
		t.Errorf("%d principals listed through roles, want %d", n, maxViaPerCell)
	}
	// alice and mid no longer reach actor (its trust names the users
	// only); bob is conditional via mfaactor: 57 + bob - 50 listed.
	if !strings.Contains(c.Reason, "8 more principals reach it through roles (not listed)") {
		t.Errorf("reason %q does not count the principals left out", c.Reason)
	}
}
