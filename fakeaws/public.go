package fakeaws

import (
	"fmt"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/policy"
)

// policyIsPublic answers GetBucketPolicyStatus.IsPublic: the fixture's
// policy_is_public when set (to model a disagreement with AWS), otherwise
// S3's definition of a public policy as the policy package implements it.
func policyIsPublic(b *inventory.Bucket) (bool, error) {
	if b.PolicyIsPublic != nil {
		return *b.PolicyIsPublic, nil
	}
	p, err := policy.Parse(b.Policy.Raw())
	if err != nil {
		return false, fmt.Errorf("parse bucket policy of %s: %w", b.Name, err)
	}
	return policy.IsPublic(p), nil
}
