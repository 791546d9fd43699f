package explain

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// govDoc is a GovCloud account with a bucket whose policy denies the
// account's root (by aws:PrincipalArn, in the aws-us-gov partition) and
// grants public read.
const govDoc = `schema_version: 1
accounts:
  - id: "222222222222"
    buckets:
      - name: gov-bkt
        region: us-gov-west-1
        policy: {Version: "2012-10-17", Statement: [
          {Sid: NoRoot, Effect: Deny, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws-us-gov:s3:::gov-bkt/*", Condition: {ArnEquals: {"aws:PrincipalArn": "arn:aws-us-gov:iam::222222222222:root"}}},
          {Sid: PublicRead, Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws-us-gov:s3:::gov-bkt/*"}]}
`

// TestExplainPartition: a bare account ID is that account's root in the
// bucket's partition (arn:aws-us-gov:iam::ACCOUNT:root for a GovCloud
// bucket), the request's resource is the bucket's GovCloud ARN, and a
// GovCloud bucket policy decides.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
func TestExplainPartition(t *testing.T) {
	load := func() *inventory.Document {
		doc, err := inventory.Parse([]byte(govDoc), "gov.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	x, err := Explain(load(), Request{Principal: "222222222222", Action: "s3:GetObject", Bucket: "gov-bkt", Key: "k"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if x.Request.Principal != "arn:aws-us-gov:iam::222222222222:root" || x.Request.Resource != "arn:aws-us-gov:s3:::gov-bkt/k" {
		t.Errorf("request %s on %s", x.Request.Principal, x.Request.Resource)
	}
	if x.Decision != DecisionExplicitDeny {
		t.Errorf("the root of 222222222222: %s (%s), want explicit_deny by NoRoot", x.Decision, x.Reason)
	}
	x, err = Explain(load(), Request{Principal: Anonymous, Action: "s3:GetObject", Bucket: "gov-bkt", Key: "k"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if x.Decision != DecisionAllow {
		t.Errorf("anonymous: %s (%s), want allow by PublicRead", x.Decision, x.Reason)
	}
}

// TestParseCloudTrailPartition: a GovCloud CloudTrail record names its
// bucket and object by aws-us-gov ARNs; the bucket and key are read from
// them.
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-understanding-s3-entries.html
func TestParseCloudTrailPartition(t *testing.T) {
	rec := `{"eventVersion": "1.09",
  "userIdentity": {"type": "AWSAccount", "principalId": "", "accountId": "anonymous"},
  "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-gov-west-1",
  "sourceIPAddress": "192.0.2.55", "errorCode": "AccessDenied",
  "resources": [{"accountId": "222222222222", "type": "AWS::S3::Bucket", "ARN": "arn:aws-us-gov:s3:::gov-bkt"},
                {"type": "AWS::S3::Object", "ARN": "arn:aws-us-gov:s3:::gov-bkt/a/b.txt"}]}`
	req, err := ParseCloudTrail([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	if req.Bucket != "gov-bkt" || req.Key != "a/b.txt" || req.BucketAccount != "222222222222" {
		t.Errorf("bucket %q key %q account %q", req.Bucket, req.Key, req.BucketAccount)
	}
	if strings.Contains(req.Bucket, ":") {
		t.Errorf("bucket %q is an ARN", req.Bucket)
	}
}

// TestLivePartition: explain's fixture moved to AWS GovCloud (US) (ARNs
// arn:aws-us-gov:, region us-gov-west-1), collected live from the
// emulator through the real SDK with a GovCloud home region, gives every
// classic cause the same decision, blocking layer, row verdicts and
// evidence as in the commercial partition.
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
func TestLivePartition(t *testing.T) {
	gov := strings.NewReplacer("arn:aws:", "arn:aws-us-gov:", "eu-west-1", "us-gov-west-1")
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := inventory.Parse([]byte(gov.Replace(string(data))), "org-gov.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rig := newLiveRigFor(t, doc, func(c *config.Config) { c.Region = "us-gov-west-1" })
	for _, tc := range classicCases() {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Principal = gov.Replace(tc.req.Principal)
			ctx := map[string][]string{}
			for k, vs := range tc.req.Context {
				for _, v := range vs {
					ctx[k] = append(ctx[k], gov.Replace(v))
				}
				if len(vs) == 0 {
					ctx[k] = []string{}
				}
			}
			if tc.req.Context != nil {
				tc.req.Context = ctx
			}
			for i := range tc.evidence {
				tc.evidence[i] = gov.Replace(tc.evidence[i])
			}
			check := tc.check
			tc.check = nil
			x := rig.explain(t, tc.req)
			checkCase(t, tc, x)
			if check != nil {
				// The case's own checks, on the explanation moved back to
				// the commercial partition (the mapping is one to one).
				data, err := json.Marshal(x)
				if err != nil {
					t.Fatal(err)
				}
				back := strings.NewReplacer("arn:aws-us-gov:", "arn:aws:", "us-gov-west-1", "eu-west-1").Replace(string(data))
				var y Explanation
				if err := json.Unmarshal([]byte(back), &y); err != nil {
					t.Fatal(err)
				}
				check(t, &y)
			}
			if strings.Contains(x.Request.Resource, "arn:aws:") || !strings.HasPrefix(x.Request.Resource, "arn:aws-us-gov:s3:::") {
				t.Errorf("resource %s", x.Request.Resource)
			}
		})
	}
}
