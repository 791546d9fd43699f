package policy

import (
	"reflect"
	"testing"
)

// TestCompileMatchesParseOfMarshal checks that Compile of a policy built in
// code decides every request as Parse(MarshalJSON) of it does (the same
// results, statements and conditions), and fails where Parse fails: the
// bucket ACL's and KMS grants' policies access builds, conditions of two
// operators interleaved, and invalid statements.
func TestCompileMatchesParseOfMarshal(t *testing.T) {
	arn := "arn:aws:s3:::bucket"
	acl := &Policy{Version: Version2012, Statements: []Statement{
		{Sid: "AllUsers READ", Effect: "Allow", Principal: &Principals{Wildcard: true}, Action: []string{"s3:GetObject"}, Resource: []string{arn, arn + "/*"}},
		{Sid: "account 111122223333 FULL_CONTROL", Effect: "Allow", Principal: &Principals{Wildcard: true}, Action: []string{"s3:GetObject"}, Resource: []string{arn, arn + "/*"}},
	}}
	grants := &Policy{Version: Version2012, Statements: []Statement{
		{Sid: "Grantg-1", Effect: "Allow", Principal: &Principals{AWS: []string{"arn:aws:iam::111122223333:role/app"}}, Action: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: []string{"*"}},
		{Sid: "Grantg-2", Effect: "Allow", Principal: &Principals{Service: []string{"s3.amazonaws.com"}}, Action: []string{"kms:Decrypt"}, Resource: []string{"*"}},
	}}
	conds := &Policy{Version: Version2012, Statements: []Statement{
		{Effect: "Allow", Principal: &Principals{Wildcard: true, AWS: []string{"ignored"}}, Action: []string{"s3:*"}, Resource: []string{arn + "/*"}, Conditions: []Condition{
			{Operator: "StringEquals", Key: "aws:SourceVpce", Values: []string{"vpce-1"}},
			{Operator: "IpAddress", Key: "aws:SourceIp", Values: []string{"10.0.0.0/8"}},
			{Operator: "StringEquals", Key: "aws:PrincipalOrgID", Values: []string{"o-1"}},
		}},
		{Effect: "Deny", NotPrincipal: &Principals{AWS: []string{"arn:aws:iam::111122223333:root"}}, NotAction: []string{"s3:GetObject"}, NotResource: []string{arn}},
	}}
	inputs := []Input{
		{Principal: "anonymous", Action: "s3:GetObject", Resource: arn + "/k", ResourceAccount: "444455556666"},
		{Principal: "arn:aws:iam::111122223333:role/app", Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:444455556666:key/k", ResourceAccount: "444455556666"},
		{Principal: "", Action: "s3:PutObject", Resource: arn + "/k", ResourceAccount: "444455556666", Context: NewOpenContext()},
		{Principal: "arn:aws:iam::777788889999:user/u", Action: "s3:DeleteObject", Resource: arn + "/k", ResourceAccount: "444455556666", Context: NewOpenContext()},
	}
	for _, tc := range []struct {
		name string
		p    *Policy
	}{{"bucket ACL", acl}, {"KMS grants", grants}, {"conditions", conds}} {
		t.Run(tc.name, func(t *testing.T) {
			text, err := tc.p.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			want, err := Parse(text)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Compile(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if gotText, _ := got.MarshalJSON(); string(gotText) != string(text) {
				t.Errorf("Compile marshals to\n%s\nwant\n%s", gotText, text)
			}
			for _, in := range inputs {
				for _, layer := range []string{"resource", "grant"} {
					a, b := in, in
					if layer == "resource" {
						a.ResourcePolicy, b.ResourcePolicy = got, want
					} else {
						a.Grants, b.Grants = got, want
					}
					a.Trace, b.Trace = true, true
					if ra, rb := Evaluate(&a), Evaluate(&b); !reflect.DeepEqual(ra, rb) {
						t.Errorf("%s %s as %s: Compile's %+v, Parse's %+v", in.Principal, in.Action, layer, ra, rb)
					}
				}
			}
		})
	}
	for _, bad := range []*Policy{
		{Version: "2020-01-01", Statements: acl.Statements},
		{Version: Version2012},
		{Statements: []Statement{{Effect: "allow", Action: []string{"s3:*"}}}},
		{Statements: []Statement{{Effect: "Allow"}}},
		{Statements: []Statement{{Effect: "Allow", Action: []string{""}}}},
		{Statements: []Statement{{Effect: "Allow", Action: []string{"s3:*"}, Resource: []string{}}}},
		{Statements: []Statement{{Effect: "Allow", Action: []string{"s3:*"}, Principal: &Principals{}}}},
		{Statements: []Statement{{Effect: "Allow", Action: []string{"s3:*"}, Conditions: []Condition{{Operator: "StringEqualz", Key: "k", Values: []string{"v"}}}}}},
	} {
		text, err := bad.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		_, perr := Parse(text)
		if _, err := Compile(bad); (err == nil) != (perr == nil) {
			t.Errorf("Compile(%s): %v, Parse: %v", text, err, perr)
		}
	}
}
