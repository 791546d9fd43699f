package access

import (
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
)

// TestRuleACLOwnerIsTheBucketOwner: a bucket ACL's Owner is the bucket
// owner, so a grant to the ACL's own Owner ID is the owner account's —
// even when ListBuckets reported another canonical ID for the account — and
// never an external canonical user.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
func TestRuleACLOwnerIsTheBucketOwner(t *testing.T) {
	const aclOwner = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // not 222222222222's canonical_id
	bucket := `name: bkt
region: eu-west-1
ownership: BucketOwnerPreferred
acl: {owner_id: "` + aclOwner + `", grants: [{grantee: {type: CanonicalUser, id: "` + aclOwner + `"}, permission: FULL_CONTROL}, {grantee: {type: CanonicalUser, id: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}, permission: READ}]}`
	runRules(t, []ruleCase{{
		name:   "the grant to the ACL owner is the bucket owner's",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html",
		bucket: bucket,
		cells:  []expectCell{{path: "same_account.list", verdict: model.VerdictAllow}},
		check: func(t *testing.T, b *model.Bucket) {
			if _, ok := b.Access.External["canonical:"+aclOwner]; ok {
				t.Errorf("the ACL owner's own grant is reported as an external canonical user")
			}
			// Another canonical ID stays an unmapped external grantee.
			if _, ok := b.Access.External["canonical:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]; !ok {
				t.Errorf("the grant to an unknown canonical ID is missing from external (have %v)", keys(b.Access.External))
			}
		},
	}})
}

// TestRulePolicyStatusNotRead: a bucket whose GetBucketPolicyStatus was not
// read (policy_status error, no policy_is_public) has no AWS verdict to
// compare: aws_is_public stays absent and no disagreement is raised, even
// for a public policy. IsPublic is optional in S3's answer.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PolicyStatus.html
func TestRulePolicyStatusNotRead(t *testing.T) {
	bucket := `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: Public, Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: "arn:aws:s3:::bkt/*"}]}
errors: {policy_status: "ClientError: get policy status of bucket \"bkt\": the answer has no IsPublic"}`
	runRules(t, []ruleCase{{
		name:   "no AWS verdict, no comparison",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PolicyStatus.html",
		bucket: bucket,
		absent: []string{model.FindingPolicyStatusDisagreement},
		check: func(t *testing.T, b *model.Bucket) {
			if b.Config.AWSIsPublic != nil {
				t.Errorf("aws_is_public = %t from an unread policy status", *b.Config.AWSIsPublic)
			}
			if b.Config.PolicyIsPublic == nil || !*b.Config.PolicyIsPublic {
				t.Errorf("policy_is_public (bucketaudit's reading) = %v, want true", b.Config.PolicyIsPublic)
			}
		},
	}, {
		name:     "a read IsPublic=false that disagrees is a finding",
		doc:      "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PolicyStatus.html",
		bucket:   strings.Replace(bucket, `errors: {policy_status: "ClientError: get policy status of bucket \"bkt\": the answer has no IsPublic"}`, "policy_is_public: false", 1),
		findings: []string{model.FindingPolicyStatusDisagreement},
	}})
}
