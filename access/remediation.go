package access

import "fmt"

// Remediation commands: the exact AWS CLI commands that the findings of
// the report and the rows of explain print, built here once.

// BucketBPACommand turns on every Block Public Access flag of a bucket.
func BucketBPACommand(bucket string) string {
	return fmt.Sprintf("aws s3api put-public-access-block --bucket %s --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true", bucket)
}

// AccountBPACommand turns on every Block Public Access flag of an account.
func AccountBPACommand(account string) string {
	return fmt.Sprintf("aws s3control put-public-access-block --account-id %s --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true", account)
}

// OwnershipEnforcedCommand sets a bucket's Object Ownership to
// BucketOwnerEnforced (ACLs disabled).
func OwnershipEnforcedCommand(bucket string) string {
	return fmt.Sprintf("aws s3api put-bucket-ownership-controls --bucket %s --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'", bucket)
}

// PrivateACLCommand resets a bucket's ACL to private.
func PrivateACLCommand(bucket string) string {
	return fmt.Sprintf("aws s3api put-bucket-acl --bucket %s --acl private", bucket)
}

// PutBucketPolicyCommand writes a bucket's policy from policy.json.
func PutBucketPolicyCommand(bucket string) string {
	return fmt.Sprintf("aws s3api put-bucket-policy --bucket %s --policy file://policy.json", bucket)
}

// PutKeyPolicyCommand writes a KMS key's default policy from
// key-policy.json.
func PutKeyPolicyCommand(key string) string {
	return fmt.Sprintf("aws kms put-key-policy --key-id %s --policy-name default --policy file://key-policy.json", key)
}

// UpdateOrgPolicyCommand writes an SCP's or RCP's content from file (run
// with the management account).
func UpdateOrgPolicyCommand(id, file string) string {
	return fmt.Sprintf("aws organizations update-policy --policy-id %s --content file://%s", id, file)
}

// CustomerKeyPlaceholder stands in the commands for the ARN of a customer
// managed key still to be created.
const CustomerKeyPlaceholder = "<customer managed key ARN>"

// KMSEncryptionCommand sets a bucket's default encryption to SSE-KMS with
// key key and S3 Bucket Keys on.
func KMSEncryptionCommand(bucket, key string) string {
	return fmt.Sprintf(`aws s3api put-bucket-encryption --bucket %s --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"%s"},"BucketKeyEnabled":true}]}'`, bucket, key)
}

// ReencryptObjectsCommand copies every object of a bucket onto itself
// encrypted with KMS key key (existing objects keep their encryption until
// copied).
func ReencryptObjectsCommand(bucket, key string) string {
	return fmt.Sprintf("aws s3 cp s3://%s/ s3://%s/ --recursive --sse aws:kms --sse-kms-key-id %s", bucket, bucket, key)
}
