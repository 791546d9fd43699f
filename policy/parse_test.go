package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return p
}

// Grammar forms AWS accepts
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
func TestParseGrammarForms(t *testing.T) {
	p := mustParse(t, `{
  "Version": "2012-10-17",
  "Id": "x",
  "Statement": {
    "Sid": "one",
    "Effect": "Allow",
    "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:role/r"], "Service": "s3.amazonaws.com", "Federated": "cognito-identity.amazonaws.com", "CanonicalUser": "79a59df9"},
    "Action": "S3:GetObject",
    "NotResource": "arn:aws:s3:::b/secret/*",
    "Condition": {
      "Bool": {"aws:SecureTransport": true},
      "NumericLessThan": {"s3:max-keys": 10},
      "ForAnyValue:StringLike": {"aws:TagKeys": ["a*", "b?"]}
    }
  }
}`)
	want := Statement{
		Sid: "one", Effect: "Allow",
		Principal: &Principals{AWS: []string{"111122223333", "arn:aws:iam::444455556666:role/r"}, Service: []string{"s3.amazonaws.com"},
			Federated: []string{"cognito-identity.amazonaws.com"}, CanonicalUser: []string{"79a59df9"}},
		Action:      []string{"S3:GetObject"},
		NotResource: []string{"arn:aws:s3:::b/secret/*"},
		Conditions: []Condition{
			{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"true"}},
			{Operator: "NumericLessThan", Key: "s3:max-keys", Values: []string{"10"}},
			{Operator: "ForAnyValue:StringLike", Key: "aws:TagKeys", Values: []string{"a*", "b?"}},
		},
		Line: 4, Column: 16,
	}
	got := p.Statements[0]
	got.Elements = ElementPos{}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}
	if p.Version != Version2012 || p.ID != "x" {
		t.Errorf("Version %q Id %q", p.Version, p.ID)
	}
	if pos, _ := p.Statements[0].Elements.Get("Condition"); pos != (Pos{Line: 10, Column: 5}) {
		t.Errorf("Condition position %+v", pos)
	}

	for _, src := range []string{
		`{"Statement":[{"Effect":"Deny","NotAction":["s3:*"],"Resource":"*"}]}`,                  // no Version
		`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}`, // no Resource (trust-policy style)
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:Get*","Resource":["arn:aws:s3:::b/*"]}]}`,
		"\ufeff" + `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, // byte order mark
	} {
		mustParse(t, src)
	}
}

// Duplicate keys: AWS keeps the last one
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_policies.html#troubleshoot_policies-json,
// "Duplicate keys"); we warn with the position.
func TestParseDuplicateKeys(t *testing.T) {
	p := mustParse(t, `{
      "Version": "2012-10-17",
      "Statement": {
        "Effect": "Deny",
        "Effect": "Allow",
        "Action": "ec2:*",
        "Resource": "*"
      }
    }`)
	if p.Statements[0].Effect != "Allow" {
		t.Errorf("Effect = %q, want the last one, Allow", p.Statements[0].Effect)
	}
	if len(p.Warnings) != 1 || p.Warnings[0].Code != "duplicate-key" || p.Warnings[0].Line != 5 || p.Warnings[0].Column != 9 {
		t.Errorf("warnings = %+v", p.Warnings)
	}
	p = mustParse(t, `{"Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"},"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	if len(p.Statements) != 1 || p.Statements[0].Action[0] != "s3:*" || len(p.Warnings) != 1 {
		t.Errorf("statements %+v warnings %+v", p.Statements, p.Warnings)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		src       string
		line, col int
		msg       string
	}{
		{`{"Statement": [}`, 1, 16, "invalid JSON"},
		{`{"Version":"2012-10-17"`, 1, 24, "unexpected end of input"},
		{"{\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\",}\n}", 2, 53, "trailing comma"},
		{`{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}`, 1, 24, `Effect must be "Allow" or "Deny"`},
		{`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}}`, 1, 76, `unknown condition operator "StringEqualz"`},
		{`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"a":"true"}}}}`, 1, 76, `unknown condition operator`},
		{`{"Statement":{"Effect":"Allow","Action":1,"Resource":"*"}}`, 1, 41, "Action must be a string or a list of strings, not a number"},
		{`{"Statement":{"Effect":"Allow","Action":["s3:*",null],"Resource":"*"}}`, 1, 49, "Action entries must be strings, not null"},
		{`{"Statement":[]}`, 1, 14, "the Statement list is empty"},
		{`{"Statement":[{}]}`, 1, 15, "statement 0 is empty"},
		{`{"Statement":{"Effect":"Allow","Resource":"*"}}`, 1, 14, "neither Action nor NotAction"},
		{`{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:*"}}`, 1, 14, "both Action and NotAction"},
		{`{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*"}}`, 1, 12, "unsupported Version"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Principal":"arn:aws:iam::1:root"}}`, 1, 57, `Principal must be "*" or an object`},
		{`{"Statement":{"Effect":"Allow","Action":"*","Principal":{"IAM":"x"}}}`, 1, 58, `unknown element "IAM" in Principal`},
		{`{"Statement":{"effect":"Allow","Action":"*"}}`, 1, 15, `(element names are case-sensitive: "Effect")`},
		{`{"Statement":{"Effect":"Allow","Action":"*","Condition":{"Bool":{"k":{"x":1}}}}}`, 1, 70, "must be a string, number or boolean"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Condition":{"Bool":{}}}}`, 1, 65, "has no condition keys"},
		{`[1]`, 1, 1, "a policy must be a JSON object"},
		{``, 1, 1, "empty document"},
		{"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\"}}\n{}", 2, 1, "after the end of the policy document"},
		{"{\"Sid\":\"é\" x}", 1, 12, "unexpected \"x\""},
		{`{"Statement":{"Effect":"Allow","Action":"*"},"Version":2012}`, 1, 56, "Version must be a string"},
	} {
		_, err := Parse([]byte(tc.src))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %v is not a *ParseError", tc.src, err)
			continue
		}
		if pe.Line != tc.line || pe.Column != tc.col || !strings.Contains(pe.Msg, tc.msg) {
			t.Errorf("%s:\n got  %v\n want line %d, column %d: ...%s...", tc.src, err, tc.line, tc.col, tc.msg)
		}
	}
}

func TestParseOperatorCase(t *testing.T) {
	// "ForAnyValue:Stringlike" appears in a published RCP example
	// (aws-samples/resource-control-policy-examples STS-protect-IAMRA-session-tags).
	p := mustParse(t, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ForAnyValue:Stringlike":{"aws:TagKeys":"x*"}}}}`)
	if len(p.Warnings) != 1 || p.Warnings[0].Code != "operator-case" {
		t.Errorf("warnings %+v", p.Warnings)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	src := `{"Version":"2012-10-17","Id":"i","Statement":[
	  {"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
	   "Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"Bool":{"aws:SecureTransport":false}}},
	  {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::1:user/<x>&"},"NotAction":"s3:*","NotResource":["x","y"]}]}`
	p := mustParse(t, src)
	out, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	p2 := mustParse(t, string(out))
	out2, err := p2.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(out2) {
		t.Errorf("marshal not stable:\n%s\n%s", out, out2)
	}
	if !strings.Contains(string(out), `user/<x>&"`) || !strings.Contains(string(out), `"aws:SecureTransport":["false"]`) {
		t.Errorf("unexpected output %s", out)
	}
	if _, err := Unreadable("x").MarshalJSON(); err == nil {
		t.Error("marshalling an unreadable policy succeeded")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"1.2.3.0/24"}}}]}`,
		`{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["1","2"]},"NotAction":"*","Condition":{"ForAllValues:StringLikeIfExists":{"k":[1,true,"x"]}}}}`,
		`{"Statement":{"Effect":"Allow","Action":"*","Effect":"Deny"}}`,
		`{"a":"\ud83d\ude00\u0000"}`,
		`[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Column < 1 {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		out, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		p2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		out2, err := p2.MarshalJSON()
		if err != nil || string(out) != string(out2) {
			t.Fatalf("unstable: %s vs %s (%v)", out, out2, err)
		}
		IsPublic(p)
	})
}

func TestParseStringEscapes(t *testing.T) {
	p := mustParse(t, `{"Statement":{"Sid":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","Effect":"Allow","Action":"*"}}`)
	if want := "a\"\\/\b\f\n\r\té😀"; p.Statements[0].Sid != want {
		t.Errorf("Sid %q, want %q", p.Statements[0].Sid, want)
	}
	if _, err := Parse([]byte(`{"Statement":{"Sid":"\x","Effect":"Allow","Action":"*"}}`)); err == nil || !strings.Contains(err.Error(), `invalid escape`) {
		t.Errorf("bad escape: %v", err)
	}
}
