package policy

import (
	"bytes"
	"io"
	"testing"

	"github.com/bucketaudit/bucketaudit/internal/testenv"
)

// typicalInput is the benchmark's typical request: a bucket policy (TLS-only
// deny, a cross-account grant, an org-wide read), two SCP levels
// (FullAWSAccess at the root; FullAWSAccess and a deny policy on the OU)
// and one identity policy, all pre-parsed.
func typicalInput(tb testing.TB) *Input {
	bucket := mustParse(tb, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::prod-reports","arn:aws:s3:::prod-reports/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
	  {"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/ingest"},"Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::prod-reports/incoming/*"},
	  {"Sid":"OrgRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::prod-reports","arn:aws:s3:::prod-reports/*"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`)
	bucket.Name = "bucket policy"
	full := mustParse(tb, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	full.Name = "FullAWSAccess"
	deny := mustParse(tb, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"DenyDelete","Effect":"Deny","Action":["s3:DeleteBucket","s3:DeleteObject*"],"Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"}}},
	  {"Sid":"Regions","Effect":"Deny","NotAction":["iam:*","organizations:*","sts:*","s3:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}}]}`)
	deny.Name = "SCP deny"
	identity := mustParse(tb, `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::prod-*","arn:aws:s3:::prod-*/*"]},
	  {"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`)
	identity.Name = "identity"
	return &Input{
		Principal:        "arn:aws:sts::111122223333:assumed-role/analyst/alice",
		Action:           "s3:GetObject",
		Resource:         "arn:aws:s3:::prod-reports/2024/q1.csv",
		ResourceAccount:  "222233334444",
		Context:          NewContext().Set("aws:SecureTransport", "true").Set("aws:PrincipalOrgID", "o-a1b2c3d4e5").Set("aws:SourceIp", "203.0.113.7"),
		IdentityPolicies: []*Policy{identity},
		ResourcePolicy:   bucket,
		SCPs:             [][]*Policy{{full}, {full, deny}},
	}
}

func TestTypicalInput(t *testing.T) {
	in := typicalInput(t)
	r := Evaluate(in)
	if r.Decision != Allow {
		t.Fatalf("typical request: %v %v", r.Decision, r.DecidedBy)
	}
	var ev Evaluator
	var res Result
	ev.Evaluate(in, &res) // warm up
	if testenv.Race {
		t.Skip("the allocation count is meaningless under -race (the detector allocates)")
	}
	if n := testing.AllocsPerRun(100, func() { ev.Evaluate(in, &res) }); n != 0 {
		t.Errorf("Evaluate allocates %.1f times per call on the hot path, want 0", n)
	}
}

// BenchmarkEvaluate: `go test -run '^$' -bench Evaluate -benchmem ./policy`.
func BenchmarkEvaluate(b *testing.B) {
	in := typicalInput(b)
	var ev Evaluator
	var r Result
	b.ReportAllocs()
	for b.Loop() {
		ev.Evaluate(in, &r)
	}
	if r.Decision != Allow {
		b.Fatal(r.Decision)
	}
}

// BenchmarkEvaluateConditional: an open-world context (unknown keys).
func BenchmarkEvaluateConditional(b *testing.B) {
	in := typicalInput(b)
	in.Principal = ""
	in.Context = NewOpenContext().SetUnknownExcept("aws:PrincipalOrgID", "o-a1b2c3d4e5").Set("aws:PrincipalAccount", "999988887777")
	var ev Evaluator
	var r Result
	b.ReportAllocs()
	for b.Loop() {
		ev.Evaluate(in, &r)
	}
}

// BenchmarkSimulate measures `bucketaudit simulate` end to end on the
// differential generator's requests (compare with `../shared/oracle/run --bench 1`).
func BenchmarkSimulate(b *testing.B) {
	lines := genRequests(7, 2000)
	input := append(bytes.Join(lines, []byte("\n")), '\n')
	b.ReportAllocs()
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		if err := NewSimulator().Run(bytes.NewReader(input), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(lines))*float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

// BenchmarkLint: a typical bucket policy (access lints every bucket policy).
func BenchmarkLint(b *testing.B) {
	p := typicalInput(b).ResourcePolicy
	b.ReportAllocs()
	for b.Loop() {
		Lint(p)
	}
}

// BenchmarkParse: parse and compile a typical bucket policy.
func BenchmarkParse(b *testing.B) {
	src := []byte(`{"Version":"2012-10-17","Statement":[
	  {"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::prod-reports","arn:aws:s3:::prod-reports/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
	  {"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/ingest"},"Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::prod-reports/incoming/*"},
	  {"Sid":"OrgRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::prod-reports","arn:aws:s3:::prod-reports/*"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}
