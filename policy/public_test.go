package policy

import "testing"

// S3 "The meaning of public":
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
func TestIsPublic(t *testing.T) {
	wrap := func(stmt string) string { return `{"Version":"2012-10-17","Statement":[` + stmt + `]}` }
	for _, tc := range []struct {
		name   string
		stmt   string
		public bool
	}{
		// The page's three public examples.
		{"federated", `{"Principal":{"Federated":"graph.facebook.com"},"Resource":"*","Action":"s3:PutObject","Effect":"Allow"}`, true},
		{"star", `{"Principal":"*","Resource":"*","Action":"s3:PutObject","Effect":"Allow"}`, true},
		{"vpc wildcard", `{"Principal":"*","Resource":"*","Action":"s3:PutObject","Effect":"Allow","Condition":{"StringLike":{"aws:SourceVpc":"vpc-*"}}}`, true},
		// ... made non-public with a fixed value.
		{"vpc fixed", `{"Principal":"*","Resource":"*","Action":"s3:PutObject","Effect":"Allow","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-91237329"}}}`, false},
		{"aws star", `{"Principal":{"AWS":"*"},"Resource":"*","Action":"s3:GetObject","Effect":"Allow"}`, true},
		{"account", `{"Principal":{"AWS":"111122223333"},"Resource":"*","Action":"s3:GetObject","Effect":"Allow"}`, false},
		{"role and service", `{"Principal":{"AWS":"arn:aws:iam::111122223333:role/r","Service":"cloudtrail.amazonaws.com"},"Resource":"*","Action":"s3:GetObject","Effect":"Allow"}`, false},
		{"org id", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`, false},
		{"org id variable", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"StringEquals":{"aws:PrincipalOrgID":"${aws:ResourceOrgID}"}}}`, true},
		{"org id IfExists", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`, true},
		{"org id negated", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`, true},
		{"unlisted key", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`, true},
		// aws:SourceIp: broader than /8 (IPv4) or /32 (IPv6) is public.
		{"ip /8", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`, false},
		{"ip /7", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","0.0.0.0/1"]}}}`, true},
		{"ip v6 /32", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}}`, false},
		{"ip v6 /31", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"IpAddress":{"aws:SourceIp":"2001:db8::/31"}}}`, true},
		{"not ip", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`, true},
		// Access point ARN: a wildcard name with a fixed account stays non-public.
		{"ap wildcard", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:123456789012:accesspoint/*"}}}`, false},
		{"ap any account", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:*:accesspoint/*"}}}`, true},
		{"userid role pattern", `{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow","Condition":{"StringLike":{"aws:userid":"AROAEXAMPLEID:*"}}}`, false},
		{"source account", `{"Principal":{"Service":"logging.s3.amazonaws.com"},"Resource":"*","Action":"s3:PutObject","Effect":"Allow","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}`, false},
		{"deny star", `{"Principal":"*","Resource":"*","Action":"s3:*","Effect":"Deny","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, false},
		{"allow notprincipal", `{"NotPrincipal":{"AWS":"111122223333"},"Resource":"*","Action":"s3:GetObject","Effect":"Allow"}`, true},
	} {
		p := mustParse(t, wrap(tc.stmt))
		if got := IsPublic(p); got != tc.public {
			t.Errorf("%s: IsPublic = %v, want %v", tc.name, got, tc.public)
		}
	}
	// The page's mixed example: one public statement makes the whole policy public.
	mixed := mustParse(t, wrap(`{"Principal":{"Service":"cloudtrail.amazonaws.com"},"Resource":"*","Action":"s3:PutObject","Effect":"Allow"},
		{"Principal":{"AWS":"222233334444"},"Resource":"*","Action":"s3:GetObject","Effect":"Allow"},
		{"Principal":"*","Resource":"*","Action":"s3:GetObject","Effect":"Allow"}`))
	if !IsPublic(mixed) {
		t.Error("mixed policy not public")
	}
	if got := PublicStatements(mixed); len(got) != 1 || got[0] != 2 {
		t.Errorf("PublicStatements = %v, want [2]", got)
	}
	if IsPublic(Unreadable("x")) || IsPublic(nil) {
		t.Error("unreadable or nil policy reported public")
	}
}
