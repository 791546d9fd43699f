package fakeaws_test

import (
	"cmp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestFaultOmitIsPublic: faults.omit leaves PolicyStatus.IsPublic out of
// GetBucketPolicyStatus for the matching bucket only — an answer S3's API
// allows (IsPublic is "Required: No") — and an element that cannot be
// omitted is refused.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PolicyStatus.html
func TestFaultOmitIsPublic(t *testing.T) {
	doc := loadOrg(t)
	doc.Faults = &inventory.Faults{Omit: []inventory.FaultOmission{{Service: "s3", Operation: "GetBucketPolicyStatus", Bucket: "prod-reports", Element: "IsPublic"}}}
	const other = "prod-a" // given a policy: its answer keeps IsPublic
	found := false
	for i := range doc.Accounts[1].Buckets {
		if b := &doc.Accounts[1].Buckets[i]; b.Name == other {
			b.Policy, found = inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::prod-a/*"}]}`)), true
		}
	}
	if !found {
		t.Fatalf("no bucket %s in the test organisation", other)
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	e := start(t, doc)
	c := ctx(t)
	prod := s3.NewFromConfig(e.assumed(t, prodAccount, "eu-west-1"), fakeawstest.S3Options)
	out, err := prod.GetBucketPolicyStatus(c, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("prod-reports")})
	if err != nil {
		t.Fatal(err)
	}
	if out.PolicyStatus == nil || out.PolicyStatus.IsPublic != nil {
		t.Errorf("PolicyStatus %+v: want one without IsPublic", out.PolicyStatus)
	}
	out, err = prod.GetBucketPolicyStatus(c, &s3.GetBucketPolicyStatusInput{Bucket: aws.String(other)})
	if err != nil || out.PolicyStatus == nil || out.PolicyStatus.IsPublic == nil || !*out.PolicyStatus.IsPublic {
		t.Errorf("GetBucketPolicyStatus(%s) = %+v, %v: want IsPublic true", other, out, err)
	}

	bad := loadOrg(t)
	bad.Faults = &inventory.Faults{Omit: []inventory.FaultOmission{{Service: "s3", Operation: "GetBucketAcl", Element: "Owner"}}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "faults.omit[0]: \"s3 GetBucketAcl Owner\" cannot be omitted") {
		t.Errorf("validation of an unsupported omission: %v", err)
	}
	if _, err := fakeaws.New(bad, fakeaws.Options{}); err == nil {
		t.Error("fakeaws.New accepted an unsupported omission")
	}
}

// TestPolicyStatusRepeated: GetBucketPolicyStatus, worked out once per
// bucket, gives each bucket its own answer on every call, concurrent
// ones included: IsPublic true for a policy granting s3:GetObject to "*"
// without a condition, false for one granting it to one account (S3's
// definition of public:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status).
func TestPolicyStatusRepeated(t *testing.T) {
	doc := loadOrg(t)
	want, regions := map[string]bool{}, map[string]string{}
	for i := range doc.Accounts[1].Buckets {
		b := &doc.Accounts[1].Buckets[i]
		regions[b.Name] = cmp.Or(b.Region, "us-east-1")
		b.PolicyIsPublic = nil
		principal := `{"AWS":"arn:aws:iam::` + devAccount + `:root"}`
		if i%2 == 0 {
			principal = `"*"`
		}
		b.Policy = inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + b.Name + `/*"}]}`))
		want[b.Name] = i%2 == 0
	}
	if len(want) < 2 {
		t.Fatalf("the test organisation's account %s has %d buckets, want 2 or more", prodAccount, len(want))
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	e := start(t, doc)
	c := ctx(t)
	clients := map[string]*s3.Client{}
	for _, region := range regions {
		if clients[region] == nil {
			clients[region] = s3.NewFromConfig(e.assumed(t, prodAccount, region), fakeawstest.S3Options)
		}
	}
	var wg sync.WaitGroup
	for round := 0; round < 4; round++ {
		for name, public := range want {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := clients[regions[name]].GetBucketPolicyStatus(c, &s3.GetBucketPolicyStatusInput{Bucket: aws.String(name)})
				if err != nil || out.PolicyStatus == nil || out.PolicyStatus.IsPublic == nil || *out.PolicyStatus.IsPublic != public {
					t.Errorf("GetBucketPolicyStatus(%s) = %+v, %v: want IsPublic %t", name, out, err, public)
				}
			}()
		}
	}
	wg.Wait()
}
