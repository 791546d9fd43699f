package policy

import (
	"fmt"
	"strings"
	"testing"
)

// TestParseAllReportsEveryError checks that ParseAll reports every error
// of a document, each with its position, where Parse stops at the first;
// and that a document that parses, or invalid JSON, gives what Parse
// gives.
func TestParseAllReportsEveryError(t *testing.T) {
	src := `{
  "Version": "2012-10-17",
  "Bogus": 1,
  "Statement": [
    {"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"},
    {"Effect": "Allow", "Action": [], "Resource": 7, "Sidd": "x"},
    "not a statement",
    {"Effect": "Deny", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEqulas": {"aws:SourceIp": "1.2.3.4"}}},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
  ]
}`
	if _, err := Parse([]byte(src)); err == nil {
		t.Fatal("Parse accepts the document")
	}
	p, errs := ParseAll([]byte(src))
	if p != nil {
		t.Error("ParseAll returned a policy with errors")
	}
	var got []string
	for _, e := range errs {
		got = append(got, fmt.Sprintf("%d:%d %s", e.Line, e.Column, e.Msg))
	}
	want := []string{
		`3:3 unknown element "Bogus" in the policy`,
		`5:16 Effect must be "Allow" or "Deny", not "Permit"`,
		`6:35 Action is an empty list`,
		`6:51 Resource must be a string or a list of strings, not a number`,
		`6:54 unknown element "Sidd" in statement 1`,
		`7:5 statement 2 must be an object, not a string`,
		`8:5 statement 3 has both Action and NotAction`,
		`9:82 unknown condition operator "StringEqulas"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	good := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`
	if p, errs := ParseAll([]byte(good)); p == nil || len(errs) != 0 {
		t.Errorf("a valid policy: %v, %v", p, errs)
	}
	// Invalid JSON: the first syntax error, as Parse says it.
	bad := "{\"Statement\": [\n  {\"Effect\": \"Allow\",}\n]}"
	_, perr := Parse([]byte(bad))
	if _, errs := ParseAll([]byte(bad)); len(errs) != 1 || errs[0].Error() != perr.Error() {
		t.Errorf("invalid JSON: %v, want [%v]", errs, perr)
	}
	// One error: the same as Parse's.
	one := `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Oops":1}}`
	_, perr = Parse([]byte(one))
	if _, errs := ParseAll([]byte(one)); len(errs) != 1 || errs[0].Error() != perr.Error() {
		t.Errorf("one error: %v, want [%v]", errs, perr)
	}
}

// TestLintSize checks the size limits of each kind of policy, measured
// as AWS measures them:
// S3 bucket policy 20 KB (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html),
// SCP and RCP 5,120 characters (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html),
// IAM managed policy 6,144 characters without whitespace (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
// VPC endpoint policy 20,480 characters with whitespace (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html),
// KMS key policy 32,768 bytes (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html).
func TestLintSize(t *testing.T) {
	// A policy of n characters: Resource padded with a string of x.
	doc := func(n int, indent string) []byte {
		head := `{"Version":"2012-10-17",` + indent + `"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::`
		tail := `"}}`
		return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
	}
	tests := []struct {
		name string
		data []byte
		kind string
		over bool
	}{
		{"scp at the limit", doc(5120, ""), "scp", false},
		{"scp over", doc(5121, ""), "scp", true},
		{"rcp over", doc(5121, ""), "rcp", true},
		{"identity: whitespace not counted", doc(6200, strings.Repeat(" ", 100)), "identity", false},
		{"identity over", doc(6145, ""), "identity", true},
		{"identity: spaces in strings count", []byte(strings.Replace(string(doc(6145, "")), "xxxx", "x  x", 1)), "identity", true},
		{"bucket at 20 KB", doc(20480, ""), "bucket", false},
		{"bucket over", doc(20481, ""), "bucket", true},
		{"vpce: whitespace counted", doc(20481, strings.Repeat(" ", 100)), "vpce", true},
		{"kms at 32 KB", doc(32768, ""), "kms", false},
		{"kms over", doc(32769, ""), "kms", true},
		{"bucket policy of 8 KB", doc(8000, ""), "bucket", false},
	}
	for _, tt := range tests {
		ws, err := LintSize(tt.data, tt.kind)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if (len(ws) == 1) != tt.over || len(ws) > 1 {
			t.Errorf("%s: warnings %v, want over=%v", tt.name, ws, tt.over)
		}
		for _, w := range ws {
			if w.Code != LintPolicyTooLarge || w.Line != 1 || !strings.Contains(w.Message, "https://docs.aws.amazon.com/") {
				t.Errorf("%s: warning %+v", tt.name, w)
			}
		}
	}
	// No kind: every limit exceeded, in one warning.
	ws, err := LintSize(doc(8000, ""), "")
	if err != nil || len(ws) != 1 || !strings.Contains(ws[0].Message, "a service control policy") ||
		!strings.Contains(ws[0].Message, "an IAM managed policy") || strings.Contains(ws[0].Message, "an S3 bucket policy") {
		t.Errorf("no kind: %v, %v", ws, err)
	}
	if ws, err := LintSize(doc(200, ""), ""); err != nil || len(ws) != 0 {
		t.Errorf("small policy: %v, %v", ws, err)
	}
	if _, err := LintSize(doc(200, ""), "sqs"); err == nil {
		t.Error("an unknown kind is accepted")
	}
}

// FuzzParseAll: ParseAll never panics; it accepts what Parse accepts, and
// for a document Parse rejects it reports errors with positions, Parse's
// among them.
func FuzzParseAll(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Bogus":1,"Statement":[{"Effect":"Permit","Action":[],"Resource":7},"x",{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*"}]}`,
		`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Condition":{"StringEqulas":{"k":"v"}},"Principal":{"AWS":[]}}}`,
		`{"Version":7,"Id":[],"Statement":[]}`,
		`{"Statement":{}}`,
		`[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, perr := Parse(data)
		all, errs := ParseAll(data)
		if perr == nil {
			if all == nil || len(errs) != 0 {
				t.Fatalf("Parse accepts, ParseAll says %v", errs)
			}
			return
		}
		if all != nil || len(errs) == 0 {
			t.Fatalf("Parse: %v; ParseAll: %v, %v", perr, all, errs)
		}
		found := false
		for _, e := range errs {
			if e.Line < 1 || e.Column < 1 || e.Msg == "" {
				t.Fatalf("error without position: %+v", e)
			}
			found = found || e.Error() == perr.Error()
		}
		if !found {
			t.Fatalf("Parse's error %v not among ParseAll's %v", perr, errs)
		}
	})
}
