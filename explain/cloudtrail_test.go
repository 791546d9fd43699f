package explain

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/internal/golden"
)

func readRecord(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/cloudtrail/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestParseCloudTrail: the request of each record shape.
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
func TestParseCloudTrail(t *testing.T) {
	cases := []struct {
		file string
		want Request
	}{
		{"getobject-accessdenied.json", Request{
			Principal: reader, Action: "s3:GetObject", Bucket: "missing-slash", Key: "reports/2024.csv",
			BucketAccount: "222222222222", ErrorCode: "AccessDenied", EventName: "GetObject",
			Context: map[string][]string{
				"aws:SourceIp": {"203.0.113.10"}, "aws:SourceVpce": {}, "aws:RequestedRegion": {"eu-west-1"},
				"aws:SecureTransport": {"true"}, "s3:signatureversion": {"AWS4-HMAC-SHA256"},
				"aws:MultiFactorAuthPresent": {"false"},
			},
		}},
		{"expired-token.json", Request{
			Principal: reader, Action: "s3:ListBucket", Bucket: "shared-data", BucketAccount: "222222222222",
			ErrorCode: "ExpiredToken", EventName: "ListObjectsV2",
			Context: map[string][]string{
				"aws:SourceVpce": {endpoint}, "aws:SourceIp": {}, "aws:VpcSourceIp": {"10.20.30.40"}, "aws:RequestedRegion": {"eu-west-1"},
			},
		}},
		{"cross-account-by-account.json", Request{
			Account: "999988887777", Action: "s3:GetObject", Bucket: "partner-share", Key: "feed.csv", BucketAccount: "222222222222",
			ErrorCode: "AccessDenied", EventName: "HeadObject",
			Context: map[string][]string{"aws:SourceIp": {"198.51.100.23"}, "aws:SourceVpce": {}, "aws:RequestedRegion": {"eu-west-1"}},
		}},
		{"anonymous.json", Request{
			Principal: Anonymous, Action: "s3:GetObject", Bucket: "public-reports", Key: "q1.pdf", BucketAccount: "222222222222",
			ErrorCode: "AccessDenied", EventName: "GetObject",
			Context: map[string][]string{"aws:SourceIp": {"192.0.2.55"}, "aws:SourceVpce": {}, "aws:RequestedRegion": {"eu-west-1"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseCloudTrail(readRecord(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCloudTrailErrors(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"not JSON", `{"eventSource": `, "not JSON"},
		{"syntax position", "{\n  \"eventSource\": \"s3.amazonaws.com\",\n  \"eventName\": GetObject\n}", "line 3, column"},
		{"not S3", `{"eventSource": "kms.amazonaws.com", "eventName": "Decrypt", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111111111111:root"}}`, `eventSource is "kms.amazonaws.com"`},
		{"two records", `{"Records": [{"eventSource": "s3.amazonaws.com"}, {"eventSource": "s3.amazonaws.com"}]}`, "holds 2 S3 records"},
		{"no S3 record", `{"Records": [{"eventSource": "ec2.amazonaws.com"}]}`, "no S3 record"},
		{"no identity", `{"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "requestParameters": {"bucketName": "b", "key": "k"}}`, "userIdentity is missing"},
		{"service identity", `{"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "userIdentity": {"type": "AWSService", "invokedBy": "athena.amazonaws.com"}, "requestParameters": {"bucketName": "b"}}`, `type "AWSService"`},
		{"unknown event", `{"eventSource": "s3.amazonaws.com", "eventName": "FrobnicateObject", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111111111111:root"}, "requestParameters": {"bucketName": "b"}}`, "maps to no known IAM action"},
		{"no bucket", `{"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111111111111:root"}}`, "no bucket"},
		{"bad parameters", `{"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111111111111:root"}, "requestParameters": {"bucketName": 7}}`, "requestParameters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCloudTrail([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestCloudTrailEvent: a denied GetObject read from its CloudTrail record
// is explained like the same request given by flags: the missing /* of the
// bucket policy blocks it, with the record's source IP and no endpoint.
func TestCloudTrailEvent(t *testing.T) {
	req, err := ParseCloudTrail(readRecord(t, "getobject-accessdenied.json"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := Explain(loadFixture(t), req, Options{Source: "snapshot " + fixture})
	if err != nil {
		t.Fatal(err)
	}
	tc := classicCases()[0]
	if tc.name != "missing-slash" {
		t.Fatal("classicCases()[0] is the missing-slash case")
	}
	checkCase(t, tc, x)
	if x.Request.ErrorCode != "AccessDenied" || x.Credentials != nil {
		t.Errorf("error code %q, credentials %+v", x.Request.ErrorCode, x.Credentials)
	}
	var vpce Row
	for _, r := range x.Layers {
		if r.Layer == "vpce" {
			vpce = r
		}
	}
	if vpce.Verdict != VerdictNotInvolved || !strings.Contains(strings.Join(vpce.Evidence, " "), "does not go through a VPC endpoint") {
		t.Errorf("vpce row %+v: the record has no vpcEndpointId", vpce)
	}
	var text strings.Builder
	if err := x.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "golden/cloudtrail-getobject-accessdenied.txt", []byte(text.String()))

	// The same record, live.
	live := newLiveRig(t).explain(t, req)
	live.Request.Source = x.Request.Source
	if diff := cmp.Diff(x, live); diff != "" {
		t.Errorf("live differs from snapshot (-snapshot +live):\n%s", diff)
	}
}

// TestCloudTrailCredentials: an ExpiredToken answer is flagged as
// expired credentials, before any policy.
func TestCloudTrailCredentials(t *testing.T) {
	req, err := ParseCloudTrail(readRecord(t, "expired-token.json"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := Explain(loadFixture(t), req, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if x.Credentials == nil || x.Credentials.Problem != "expired" {
		t.Fatalf("credentials %+v, want expired", x.Credentials)
	}
	if r := x.Layers[0]; r.Layer != LayerCaller || r.Verdict != VerdictDenies || !r.Blocks {
		t.Errorf("caller row %+v, want a blocking denial", r)
	}
}

// TestCloudTrailOtherCallers: a cross-account call named only by its
// account, and an anonymous call.
func TestCloudTrailOtherCallers(t *testing.T) {
	cases := []struct {
		file      string
		decision  Decision
		blockedBy string
		caller    Verdict
	}{
		// The RCP perimeter denies outside principals whatever their ARN.
		{"cross-account-by-account.json", DecisionExplicitDeny, "rcp", VerdictCouldNot},
		// Anonymous callers are outside the organisation too.
		{"anonymous.json", DecisionExplicitDeny, "rcp", VerdictAllows},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			req, err := ParseCloudTrail(readRecord(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			x, err := Explain(loadFixture(t), req, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if x.Decision != tc.decision || x.BlockedBy == nil || *x.BlockedBy != tc.blockedBy {
				t.Errorf("decision %s blocked_by %v, want %s %s (%s)", x.Decision, x.BlockedBy, tc.decision, tc.blockedBy, x.Reason)
			}
			if x.Layers[0].Verdict != tc.caller {
				t.Errorf("caller row %+v, want %s", x.Layers[0], tc.caller)
			}
		})
	}
}

// FuzzParseCloudTrail: any input gives a request or an ErrInvalidRequest
// error, never a panic; a parsed request is always valid.
func FuzzParseCloudTrail(f *testing.F) {
	for _, name := range []string{"getobject-accessdenied.json", "expired-token.json", "cross-account-by-account.json", "anonymous.json"} {
		f.Add(readRecord(f, name))
	}
	f.Add([]byte(`{"Records": []}`))
	f.Add([]byte(`{"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "userIdentity": {"type": "AWSAccount", "accountId": "x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := ParseCloudTrail(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("error %v is not ErrInvalidRequest", err)
			}
			return
		}
		if req.Action == "" || req.Bucket == "" || (req.Principal == "" && req.Account == "") {
			t.Fatalf("parsed an incomplete request: %+v", req)
		}
	})
}

// FuzzParseContext: --context values never panic and either parse or give
// ErrInvalidRequest.
func FuzzParseContext(f *testing.F) {
	f.Add("aws:SourceIp=203.0.113.7", "aws:SourceVpce=")
	f.Add("=", "a=b")
	f.Fuzz(func(t *testing.T, a, b string) {
		m, err := ParseContext([]string{a, b})
		if err != nil {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("error %v is not ErrInvalidRequest", err)
			}
			return
		}
		for k := range m {
			if !strings.Contains(k, ":") {
				t.Fatalf("key %q accepted", k)
			}
		}
	})
}
