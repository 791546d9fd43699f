package scanner

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// policyStatusAPI answers GetBucketPolicy with a policy and
// GetBucketPolicyStatus with status.
type policyStatusAPI struct {
	S3API
	status *types.PolicyStatus
}

func (a policyStatusAPI) GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	return &s3.GetBucketPolicyOutput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[]}`)}, nil
}

func (a policyStatusAPI) GetBucketPolicyStatus(context.Context, *s3.GetBucketPolicyStatusInput, ...func(*s3.Options)) (*s3.GetBucketPolicyStatusOutput, error) {
	return &s3.GetBucketPolicyStatusOutput{PolicyStatus: a.status}, nil
}

// TestReadPolicyStatusWithoutIsPublic: PolicyStatus.IsPublic is optional in
// S3's API ("Required: No"); an answer without it says nothing, so the
// policy status is recorded as not read, never as IsPublic=false.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PolicyStatus.html
func TestReadPolicyStatusWithoutIsPublic(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status *types.PolicyStatus
		want   *bool // nil: not read
	}{
		{"public", &types.PolicyStatus{IsPublic: aws.Bool(true)}, aws.Bool(true)},
		{"not public", &types.PolicyStatus{IsPublic: aws.Bool(false)}, aws.Bool(false)},
		{"no IsPublic", &types.PolicyStatus{}, nil},
		{"no PolicyStatus", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &inventory.Bucket{Name: "bkt"}
			err := readPolicy(context.Background(), policyStatusAPI{status: tc.status}, b)
			if b.Policy == nil {
				t.Fatal("the policy was not recorded")
			}
			if tc.want != nil {
				if err != nil || b.PolicyIsPublic == nil || *b.PolicyIsPublic != *tc.want {
					t.Errorf("PolicyIsPublic %v, err %v; want %t", b.PolicyIsPublic, err, *tc.want)
				}
				return
			}
			if b.PolicyIsPublic != nil {
				t.Errorf("PolicyIsPublic = %t from an answer without it; want not read", *b.PolicyIsPublic)
			}
			fe, ok := err.(fieldErrors)
			if !ok || fe[inventory.FieldPolicyStatus] == nil || fe[inventory.FieldPolicy] != nil {
				t.Fatalf("err %v: want a policy_status error only", err)
			}
			if msg := fe[inventory.FieldPolicyStatus].Error(); !strings.Contains(msg, `bucket "bkt"`) {
				t.Errorf("error %q does not name the bucket", msg)
			}
		})
	}
}
