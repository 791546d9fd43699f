package access

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/policy"
)

// keyGrantsPolicy builds a key's grants in code: they decide as the
// document of their text does (each grant lets its grantee call its
// operations on the key), sorted by grantee whatever the order ListGrants
// gave, without the grants that name no operation or no grantee.
// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
func TestKeyGrantsPolicyAsItsText(t *testing.T) {
	const arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	grants := []inventory.KMSGrant{
		{GrantID: "g3", GranteePrincipal: "arn:aws:iam::111122223333:role/writer", Operations: []string{"Encrypt", "GenerateDataKey"}},
		{GrantID: "g1", GranteePrincipal: "arn:aws:iam::444455556666:role/reader", Operations: []string{"Decrypt"}},
		{GrantID: "g2", GranteePrincipal: "s3.amazonaws.com", Operations: []string{"Decrypt", "GenerateDataKey"}},
		{GrantID: "g0", GranteePrincipal: "arn:aws:iam::111122223333:role/none"},
		{GrantID: "g4", Operations: []string{"Decrypt"}},
		{GrantID: "g5", GranteePrincipal: "arn:aws:iam::111122223333:role/writer", Operations: []string{"Decrypt"}},
	}
	before := append([]inventory.KMSGrant(nil), grants...)
	got, err := keyGrantsPolicy(arn, grants, inventory.FetchError{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, grants); d != "" {
		t.Errorf("the key's grants changed (-before +after):\n%s", d)
	}
	text := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Grantg3","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/writer"},"Action":["kms:Encrypt","kms:GenerateDataKey"],"Resource":"*"},
		{"Sid":"Grantg5","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/writer"},"Action":["kms:Decrypt"],"Resource":"*"},
		{"Sid":"Grantg1","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/reader"},"Action":["kms:Decrypt"],"Resource":"*"},
		{"Sid":"Grantg2","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*"}]}`
	want, err := policy.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "grants of KMS key "+arn {
		t.Errorf("Name = %q", got.Name)
	}
	want.Name = got.Name
	strip := func(p *policy.Policy) []policy.Statement {
		out := append([]policy.Statement(nil), p.Statements...)
		for i := range out {
			out[i].Line, out[i].Column, out[i].Elements = 0, 0, policy.ElementPos{}
		}
		return out
	}
	if d := cmp.Diff(strip(want), strip(got)); d != "" {
		t.Errorf("statements (-text +built):\n%s", d)
	}
	for _, c := range []struct{ principal, action string }{
		{"arn:aws:iam::444455556666:role/reader", "kms:Decrypt"},
		{"arn:aws:iam::444455556666:role/reader", "kms:Encrypt"},
		{"arn:aws:iam::111122223333:role/writer", "kms:Decrypt"},
		{"arn:aws:iam::111122223333:role/writer", "kms:GenerateDataKey"},
		{"arn:aws:iam::111122223333:role/none", "kms:Decrypt"},
		{"s3.amazonaws.com", "kms:Decrypt"},
	} {
		in := func(g *policy.Policy) *policy.Input {
			return &policy.Input{Principal: c.principal, Action: c.action, Resource: arn, ResourceAccount: "111122223333", Grants: g, Context: policy.NewContext()}
		}
		if g, w := policy.Evaluate(in(got)), policy.Evaluate(in(want)); g.Decision != w.Decision || !cmp.Equal(g.Statements, w.Statements) {
			t.Errorf("%s %s: built %v %v, text %v %v", c.principal, c.action, g.Decision, g.Statements, w.Decision, w.Statements)
		}
	}
	if p, err := keyGrantsPolicy(arn, grants[3:5], inventory.FetchError{}); p != nil || err != nil {
		t.Errorf("grants of no operation or grantee = %v, %v; want none", p, err)
	}
	if p, _ := keyGrantsPolicy(arn, nil, inventory.FetchError{Code: "AccessDenied"}); !p.IsUnreadable() {
		t.Errorf("grants not read = %v, want unreadable", p)
	}
}

// Endpoints of different accounts with the same policy text share its
// parse, each under its own name and account; a text that does not parse
// is a problem of each account that has it.
// https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
func TestEndpointPoliciesSharedByText(t *testing.T) {
	same := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`))
	other := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`))
	bad := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[]}`))
	ep := func(id string, doc *inventory.PolicyDocument) inventory.VPCEndpoint {
		return inventory.VPCEndpoint{ID: id, VPCID: "vpc-" + id, Region: "us-east-1", Service: "com.amazonaws.us-east-1.s3", Type: "Gateway", Policy: doc}
	}
	doc := &inventory.Document{SchemaVersion: 1, Accounts: []inventory.Account{
		{ID: "111111111111", VPCEndpoints: []inventory.VPCEndpoint{ep("vpce-a1", same), ep("vpce-a2", other), ep("vpce-a3", bad)}},
		{ID: "222222222222", VPCEndpoints: []inventory.VPCEndpoint{ep("vpce-b1", same), ep("vpce-b2", bad)}},
		{ID: "333333333333", VPCEndpoints: []inventory.VPCEndpoint{ep("vpce-c1", same)}},
	}}
	ix := NewIndex(doc)
	seen := map[*policy.Policy]string{}
	for id, want := range map[string]struct {
		account, effect string
		unreadable      bool
	}{
		"vpce-a1": {"111111111111", "Allow", false}, "vpce-a2": {"111111111111", "Deny", false}, "vpce-a3": {"111111111111", "", true},
		"vpce-b1": {"222222222222", "Allow", false}, "vpce-b2": {"222222222222", "", true},
		"vpce-c1": {"333333333333", "Allow", false},
	} {
		e, p, ok := ix.Endpoint(id)
		if !ok || e.ID != id {
			t.Fatalf("Endpoint(%s) = %v, %t", id, e, ok)
		}
		name := "VPC endpoint policy of " + id
		if want.unreadable {
			name += " (does not parse)"
		}
		if p.Name != name || p.IsUnreadable() != want.unreadable || !want.unreadable && p.Statements[0].Effect != want.effect {
			t.Errorf("Endpoint(%s) policy %q (unreadable %t)", id, p.Name, p.IsUnreadable())
		}
		if other, ok := seen[p]; ok {
			t.Errorf("endpoints %s and %s have one policy", id, other)
		}
		seen[p] = id
		if a := ix.endpoints[id].account; a != want.account {
			t.Errorf("Endpoint(%s) of account %s, want %s", id, a, want.account)
		}
	}
	var problems []string
	for _, p := range ix.Problems {
		problems = append(problems, p.AccountID+" "+p.Field)
	}
	if d := cmp.Diff([]string{"111111111111 vpc_endpoints.vpce-a3.policy", "222222222222 vpc_endpoints.vpce-b2.policy"}, problems); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}
