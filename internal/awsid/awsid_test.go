package awsid

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The partition of a region: "aws-us-gov" for the GovCloud (US) regions,
// "aws-cn" for the China regions, "aws" for the commercial ones.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
// https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html
// https://docs.amazonaws.cn/en_us/aws/latest/userguide/ARNs.html
func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":       AWS,
		"eu-west-1":       AWS,
		"":                AWS, // S3's name for us-east-1
		"us-gov-west-1":   GovCloud,
		"us-gov-east-1":   GovCloud,
		"cn-north-1":      China,
		"cn-northwest-1":  China,
		"us-iso-east-1":   ISO,
		"us-isob-east-1":  ISOB,
		"us-isof-south-1": ISOF,
		"eu-isoe-west-1":  ISOE,
		"eusc-de-east-1":  EUSC,
	} {
		if got := PartitionOf(region); got != want {
			t.Errorf("PartitionOf(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestDNSSuffixAndEndpoint(t *testing.T) {
	for _, c := range []struct{ service, region, want string }{
		{"s3", "eu-west-1", "s3.eu-west-1.amazonaws.com"},
		{"s3", "us-gov-west-1", "s3.us-gov-west-1.amazonaws.com"},
		{"s3", "cn-north-1", "s3.cn-north-1.amazonaws.com.cn"},
	} {
		if got := ServiceEndpoint(c.service, c.region); got != c.want {
			t.Errorf("ServiceEndpoint(%q, %q) = %q, want %q", c.service, c.region, got, c.want)
		}
	}
	if got := DNSSuffix("aws-unknown"); got != "amazonaws.com" {
		t.Errorf("DNSSuffix of an unknown partition = %q", got)
	}
	for _, p := range []string{AWS, China, GovCloud, ISO, ISOB, ISOE, ISOF, EUSC} {
		if !KnownPartition(p) {
			t.Errorf("KnownPartition(%q) = false", p)
		}
	}
	if KnownPartition("aws-mars") || KnownPartition("") {
		t.Error("KnownPartition accepts an unknown partition")
	}
}

func TestBuild(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{S3Bucket(GovCloud, "bkt"), "arn:aws-us-gov:s3:::bkt"},
		{S3Object(China, "bkt", "*"), "arn:aws-cn:s3:::bkt/*"},
		{S3Object(AWS, "bkt", "a/b.txt"), "arn:aws:s3:::bkt/a/b.txt"},
		{Root(GovCloud, "111111111111"), "arn:aws-us-gov:iam::111111111111:root"},
		{Role(China, "111111111111", "", "Audit"), "arn:aws-cn:iam::111111111111:role/Audit"},
		{Role(AWS, "111111111111", "/security/", "Audit"), "arn:aws:iam::111111111111:role/security/Audit"},
		{User(GovCloud, "111111111111", "/", "alice"), "arn:aws-us-gov:iam::111111111111:user/alice"},
		{ManagedPolicy(China, "SecurityAudit"), "arn:aws-cn:iam::aws:policy/SecurityAudit"},
		{AssumedRole(GovCloud, "111111111111", "Audit", "bucketaudit"), "arn:aws-us-gov:sts::111111111111:assumed-role/Audit/bucketaudit"},
		{KMSKey("us-gov-west-1", "111111111111", "k1"), "arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/k1"},
		{KMSKey("cn-north-1", "111111111111", "k1"), "arn:aws-cn:kms:cn-north-1:111111111111:key/k1"},
		{KMSAlias("eu-west-1", "111111111111", "alias/aws/s3"), "arn:aws:kms:eu-west-1:111111111111:alias/aws/s3"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	a, err := Parse("arn:aws-us-gov:sts::111111111111:assumed-role/Audit/s:1")
	want := ARN{Partition: GovCloud, Service: "sts", Account: "111111111111", Resource: "assumed-role/Audit/s:1"}
	if err != nil || a != want {
		t.Fatalf("Parse = %+v, %v; want %+v", a, err, want)
	}
	if a.String() != "arn:aws-us-gov:sts::111111111111:assumed-role/Audit/s:1" {
		t.Errorf("String = %q", a.String())
	}
	if p := PartitionOfARN("arn:aws-cn:s3:::bkt"); p != China {
		t.Errorf("PartitionOfARN = %q", p)
	}
	for _, bad := range []string{"", "111111111111", "arn:aws:s3::bkt", "arn::s3:::bkt", "arn:aws::::x", "ARN:aws:s3:::bkt", "*"} {
		_, err := Parse(bad)
		if !errors.Is(err, ErrNotARN) || !strings.Contains(err.Error(), "arn") {
			t.Errorf("Parse(%q) error = %v, want ErrNotARN", bad, err)
		}
		if PartitionOfARN(bad) != "" {
			t.Errorf("PartitionOfARN(%q) is not empty", bad)
		}
	}
}

func TestIsAccountID(t *testing.T) {
	for s, want := range map[string]bool{
		"111111111111": true, "000000000000": true,
		"11111111111": false, "1111111111111": false, "11111111111a": false,
		"": false, "１１１１１１１１１１１１": false, "-11111111111": false,
	} {
		if got := IsAccountID(s); got != want {
			t.Errorf("IsAccountID(%q) = %v", s, got)
		}
	}
}

func TestIsCanonicalID(t *testing.T) {
	ok := strings.Repeat("0123456789abcdef", 4)
	for s, want := range map[string]bool{
		ok: true, strings.ToUpper(ok): false, ok[:63]: false, ok + "0": false,
		ok[:63] + "g": false, "": false,
	} {
		if got := IsCanonicalID(s); got != want {
			t.Errorf("IsCanonicalID(%q) = %v", s, got)
		}
	}
}

// FuzzParse checks that Parse never panics, that what it accepts prints
// back to the same text, and that it rejects what is not arn:P:S:R:A:RES.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"arn:aws:s3:::bkt/*", "arn:aws-us-gov:iam::111111111111:root", "arn:aws-cn:kms:cn-north-1:111111111111:key/k", "arn:", "arn:::::", "arn:a:b:c:d:e:f:g", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrNotARN) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrNotARN", s, err)
			}
			return
		}
		if a.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, a.String())
		}
		if a.Partition == "" || a.Service == "" || strings.Contains(a.Partition+a.Service+a.Region+a.Account, ":") {
			t.Fatalf("Parse(%q) = %+v", s, a)
		}
		if PartitionOfARN(s) != a.Partition {
			t.Fatalf("PartitionOfARN(%q) = %q", s, PartitionOfARN(s))
		}
	})
}

// TestFieldsIsSplitN checks Fields against strings.SplitN(s, ":", 6), which
// it replaces without allocating: the same six fields, and !ok when there
// are fewer.
func TestFieldsIsSplitN(t *testing.T) {
	for _, s := range []string{"", ":", "arn", "arn:aws:s3:::bkt", "arn:aws:s3:::bkt/a:b:c", "arn:aws:iam::123456789012:role/x",
		"a:b:c:d:e", "a:b:c:d:e:", ":::::", "arn:aws:kms:eu-west-1:123456789012:key/k"} {
		want := strings.SplitN(s, ":", 6)
		f, ok := Fields(s)
		if ok != (len(want) == 6) {
			t.Errorf("Fields(%q) ok = %v, SplitN gives %d fields", s, ok, len(want))
			continue
		}
		if ok && !slices.Equal(f[:], want) {
			t.Errorf("Fields(%q) = %q, want %q", s, f, want)
		}
		if !ok && f != [6]string{} {
			t.Errorf("Fields(%q) = %q with !ok, want no fields", s, f)
		}
	}
}
