package config

import (
	"errors"
	"strings"
	"testing"
)

// TestPartitionOfRegions: a scan's credentials belong to one partition, so
// the scope's regions and the management role must be in the home
// region's partition (aws, aws-us-gov, aws-cn); a GovCloud home region with
// GovCloud ARNs is valid.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
func TestPartitionOfRegions(t *testing.T) {
	ok := "region: us-gov-west-1\norganization:\n  management_role_arn: arn:aws-us-gov:iam::111111111111:role/Mgmt\nscope:\n  regions: [us-gov-west-1, us-gov-east-1]\n"
	if _, err := Parse([]byte(ok), "gov.yaml", Overrides{}, env(nil)); err != nil {
		t.Errorf("GovCloud configuration: %v", err)
	}
	bad := "region: us-gov-west-1\norganization:\n  management_role_arn: arn:aws:iam::111111111111:role/Mgmt\nscope:\n  regions: [us-gov-east-1, cn-north-1]\n"
	_, err := Parse([]byte(bad), "bad.yaml", Overrides{}, env(nil))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *Error, got %v", err)
	}
	var got []string
	for _, p := range ce.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`bad.yaml:3: organization.management_role_arn: "arn:aws:iam::111111111111:role/Mgmt" is in partition aws, but region us-gov-west-1 is in aws-us-gov`,
		`bad.yaml:5: scope.regions[1]: "cn-north-1" is in partition aws-cn, but region us-gov-west-1 is in aws-us-gov`,
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want %q…", i, got[i], want[i])
		}
	}
}
