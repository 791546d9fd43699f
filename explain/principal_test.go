package explain

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParsePrincipal: every caller form, as IAM writes its ARNs.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
func TestParsePrincipal(t *testing.T) {
	cases := []struct {
		in   string
		want Principal
	}{
		{"arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob", Principal{Kind: KindUser, ARN: "arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob", Partition: "aws", Account: "123456789012", Name: "Bob", Path: "/division_abc/subdivision_xyz/"}},
		{"arn:aws:iam::123456789012:role/app", Principal{Kind: KindRole, ARN: "arn:aws:iam::123456789012:role/app", Partition: "aws", Account: "123456789012", Name: "app", Path: "/"}},
		{"arn:aws-cn:sts::123456789012:assumed-role/app/i-0abc", Principal{Kind: KindSession, ARN: "arn:aws-cn:sts::123456789012:assumed-role/app/i-0abc", Partition: "aws-cn", Account: "123456789012", Name: "app", Session: "i-0abc"}},
		{"arn:aws:sts::123456789012:federated-user/carol", Principal{Kind: KindFederated, ARN: "arn:aws:sts::123456789012:federated-user/carol", Partition: "aws", Account: "123456789012", Name: "carol"}},
		{"arn:aws:iam::123456789012:root", Principal{Kind: KindRoot, ARN: "arn:aws:iam::123456789012:root", Partition: "aws", Account: "123456789012"}},
		{"123456789012", Principal{Kind: KindRoot, ARN: "arn:aws:iam::123456789012:root", Partition: "aws", Account: "123456789012"}},
		{"anonymous", Principal{Kind: KindAnonymous, ARN: "anonymous"}},
	}
	for _, tc := range cases {
		got, err := ParsePrincipal(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.in, diff)
		}
	}
	for in, want := range map[string]string{
		"role/app":                                     "not an ARN",
		"arn:aws:iam::12345:role/app":                  "12-digit",
		"arn:aws:s3:::bucket":                          "12-digit",
		"arn:aws:iam::123456789012:group/admins":       "a user, a role or root",
		"arn:aws:sts::123456789012:assumed-role/app":   "ROLE/SESSION",
		"arn:aws:ec2::123456789012:instance/i-1":       "iam or sts",
		"arn:aws:iam::123456789012:role/":              "the name is empty",
		"arn:aws:sts::123456789012:assumed-role/a/b/c": "ROLE/SESSION",
	} {
		if _, err := ParsePrincipal(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", in, err, want)
		}
	}
}
