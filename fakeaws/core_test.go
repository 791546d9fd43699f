package fakeaws_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
)

func TestSmoke(t *testing.T) {
	e := start(t, loadOrg(t))
	c := ctx(t)
	id, err := sts.NewFromConfig(e.cfg).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(*id.Arn, *id.Account)
	org, err := organizations.NewFromConfig(e.cfg).DescribeOrganization(c, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(*org.Organization.Id)
	cfg := e.assumed(t, prodAccount, "eu-west-1")
	s3c := s3.NewFromConfig(cfg, fakeawstest.S3Options)
	lb, err := s3c.ListBuckets(c, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range lb.Buckets {
		t.Log(*b.Name, aws.ToString(b.BucketRegion), b.CreationDate)
	}
	pol, err := s3c.GetBucketPolicy(c, &s3.GetBucketPolicyInput{Bucket: aws.String("prod-reports")})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(*pol.Policy)
	acl, err := s3c.GetBucketAcl(c, &s3.GetBucketAclInput{Bucket: aws.String("prod-reports")})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range acl.Grants {
		t.Log(g.Grantee.Type, aws.ToString(g.Grantee.ID), aws.ToString(g.Grantee.URI), g.Permission)
	}
	_, err = s3c.GetBucketPolicy(c, &s3.GetBucketPolicyInput{Bucket: aws.String("prod-c")})
	t.Log(err)
	_, err = s3c.HeadBucket(c, &s3.HeadBucketInput{Bucket: aws.String("prod-c")})
	t.Log(err)
	ctl := s3control.NewFromConfig(cfg, fakeawstest.S3ControlOptions(e.url))
	pab, err := ctl.GetPublicAccessBlock(c, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(prodAccount)})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(*pab.PublicAccessBlockConfiguration.RestrictPublicBuckets)
	t.Log(e.srv.Stats())
}
