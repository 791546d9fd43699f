// Package awsid holds the AWS identifiers every stage shares: partitions
// (which group of regions an account lives in), ARNs (parse and build, in
// the partition of the resource), account IDs and S3 canonical user IDs.
//
// An ARN is arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE; the partition is
// "aws" in the commercial regions, "aws-us-gov" in AWS GovCloud (US) and
// "aws-cn" in the China regions, and each account is scoped to one
// partition:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html,
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html,
// https://docs.amazonaws.cn/en_us/aws/latest/userguide/ARNs.html.
//
// The package imports nothing of ours, so every stage (policy and
// inventory included) may use it.
package awsid

import (
	"errors"
	"fmt"
	"strings"
)

// Partition names, as they appear in the second field of an ARN.
const (
	AWS      = "aws"        // the commercial regions
	China    = "aws-cn"     // cn-north-1, cn-northwest-1
	GovCloud = "aws-us-gov" // us-gov-west-1, us-gov-east-1
	ISO      = "aws-iso"    // us-iso-*
	ISOB     = "aws-iso-b"  // us-isob-*
	ISOE     = "aws-iso-e"  // eu-isoe-*
	ISOF     = "aws-iso-f"  // us-isof-*
	EUSC     = "aws-eusc"   // eusc-* (AWS European Sovereign Cloud)
)

// partitions lists, per partition, the prefix of its region names and the
// DNS suffix of its endpoints (as the SDKs' partitions.json gives them).
// "aws" comes last: every other region is commercial.
var partitions = [...]struct{ name, regionPrefix, dnsSuffix string }{
	{China, "cn-", "amazonaws.com.cn"},
	{GovCloud, "us-gov-", "amazonaws.com"},
	{ISOB, "us-isob-", "sc2s.sgov.gov"},
	{ISOF, "us-isof-", "csp.hci.ic.gov"},
	{ISO, "us-iso-", "c2s.ic.gov"},
	{ISOE, "eu-isoe-", "cloud.adc-e.uk"},
	{EUSC, "eusc-", "amazonaws.eu"},
	{AWS, "", "amazonaws.com"},
}

// PartitionOf returns the partition of a region: "aws-us-gov" for
// us-gov-*, "aws-cn" for cn-*, the isolated partitions for theirs, and
// "aws" for every other region, the empty one included (S3 reports
// us-east-1 as "").
func PartitionOf(region string) string {
	for _, p := range partitions {
		if strings.HasPrefix(region, p.regionPrefix) {
			return p.name
		}
	}
	return AWS
}

// DNSSuffix returns the DNS suffix of a partition's service endpoints
// ("amazonaws.com", "amazonaws.com.cn" in China); "amazonaws.com" for a
// partition it does not know.
func DNSSuffix(partition string) string {
	for _, p := range partitions {
		if p.name == partition {
			return p.dnsSuffix
		}
	}
	return partitions[len(partitions)-1].dnsSuffix
}

// KnownPartition reports whether s is the name of a partition this package
// knows.
func KnownPartition(s string) bool {
	for _, p := range partitions {
		if p.name == s {
			return true
		}
	}
	return false
}

// ServiceEndpoint returns the regional endpoint host of a service
// ("s3.eu-west-1.amazonaws.com", "s3.cn-north-1.amazonaws.com.cn"): the
// value of kms:ViaService for a KMS call that service makes.
func ServiceEndpoint(service, region string) string {
	return service + "." + region + "." + DNSSuffix(PartitionOf(region))
}

// ARN is an Amazon Resource Name split into its six fields.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	// Resource is everything after the fifth colon ("role/path/name",
	// "bucket/key", "key/ID"); it may itself hold colons.
	Resource string
}

// ErrNotARN is the error Parse wraps for a string that is not an ARN.
var ErrNotARN = errors.New("not an ARN")

// Parse splits an ARN into its fields. It checks the form only
// (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE with a partition and a
// service), not that the partition or service exist.
func Parse(s string) (ARN, error) {
	f, ok := Fields(s)
	switch {
	case !ok || f[0] != "arn":
		return ARN{}, fmt.Errorf("%q is %w (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)", s, ErrNotARN)
	case f[1] == "":
		return ARN{}, fmt.Errorf("%q is %w: the partition is empty", s, ErrNotARN)
	case f[2] == "":
		return ARN{}, fmt.Errorf("%q is %w: the service is empty", s, ErrNotARN)
	}
	return ARN{Partition: f[1], Service: f[2], Region: f[3], Account: f[4], Resource: f[5]}, nil
}

// Fields splits s at its first five colons, as strings.SplitN(s, ":", 6)
// does but without allocating; ok is false when s has fewer than five.
func Fields(s string) (f [6]string, ok bool) {
	for i := range 5 {
		var found bool
		if f[i], s, found = strings.Cut(s, ":"); !found {
			return [6]string{}, false
		}
	}
	f[5] = s
	return f, true
}

// String returns the ARN in its text form.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// PartitionOfARN returns the partition field of an ARN, or "" when s is
// not one.
func PartitionOfARN(s string) string {
	if a, err := Parse(s); err == nil {
		return a.Partition
	}
	return ""
}

// S3Bucket returns the ARN of a bucket: arn:PARTITION:s3:::NAME.
func S3Bucket(partition, bucket string) string { return S3Prefix(partition) + bucket }

// S3Object returns the ARN of an object (key "*" for every object):
// arn:PARTITION:s3:::BUCKET/KEY.
func S3Object(partition, bucket, key string) string {
	return S3Prefix(partition) + bucket + "/" + key
}

// S3Prefix returns the start of every S3 bucket and object ARN of a
// partition: arn:PARTITION:s3:::.
func S3Prefix(partition string) string { return "arn:" + partition + ":s3:::" }

// Root returns the ARN of an account's root user, which stands for the
// whole account in a Principal: arn:PARTITION:iam::ACCOUNT:root.
func Root(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":root"
}

// Role returns the ARN of an IAM role: arn:PARTITION:iam::ACCOUNT:role/PATH/NAME
// (path "" means "/").
func Role(partition, account, path, name string) string {
	return iamPathARN(partition, account, "role", path, name)
}

// User returns the ARN of an IAM user: arn:PARTITION:iam::ACCOUNT:user/PATH/NAME.
func User(partition, account, path, name string) string {
	return iamPathARN(partition, account, "user", path, name)
}

func iamPathARN(partition, account, kind, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:" + partition + ":iam::" + account + ":" + kind + path + name
}

// ManagedPolicy returns the ARN of an AWS managed IAM policy:
// arn:PARTITION:iam::aws:policy/NAME.
func ManagedPolicy(partition, name string) string {
	return "arn:" + partition + ":iam::aws:policy/" + name
}

// AssumedRole returns the ARN of an STS role session:
// arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION.
func AssumedRole(partition, account, role, session string) string {
	return "arn:" + partition + ":sts::" + account + ":assumed-role/" + role + "/" + session
}

// KMSKey returns the ARN of a KMS key, in the partition of its region:
// arn:PARTITION:kms:REGION:ACCOUNT:key/ID.
func KMSKey(region, account, id string) string {
	return "arn:" + PartitionOf(region) + ":kms:" + region + ":" + account + ":key/" + id
}

// KMSAlias returns the ARN of a KMS alias ("alias/NAME"), in the partition
// of its region: arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME.
func KMSAlias(region, account, alias string) string {
	return "arn:" + PartitionOf(region) + ":kms:" + region + ":" + account + ":" + alias
}

// IsAccountID reports whether s is an AWS account ID: 12 decimal digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsCanonicalID reports whether s is an S3 canonical user ID: 64
// lower-case hexadecimal digits.
func IsCanonicalID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
