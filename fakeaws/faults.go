package fakeaws

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// faultState injects the fixture's throttling and chosen errors. It is
// deterministic: a token bucket driven by the server's clock, and error
// rules matched in fixture order with per-rule counters.
type faultState struct {
	now      func() time.Time
	throttle *inventory.Throttle
	burst    float64

	mu      sync.Mutex
	buckets map[string]*tokenBucket
	rules   []faultRule
	omit    []inventory.FaultOmission // read only
}

type faultRule struct {
	inventory.FaultError
	served int
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

func newFaultState(f *inventory.Faults, now func() time.Time) (*faultState, error) {
	fs := &faultState{now: now, buckets: map[string]*tokenBucket{}}
	if f == nil {
		return fs, nil
	}
	if t := f.Throttle; t != nil && t.RequestsPerSecond > 0 {
		fs.throttle = t
		fs.burst = float64(t.Burst)
		if fs.burst <= 0 {
			fs.burst = math.Max(1, math.Ceil(t.RequestsPerSecond))
		}
	}
	ops := operationsByService()
	for i, e := range f.Errors {
		known, ok := ops[e.Service]
		if !ok {
			return nil, fmt.Errorf("faults.errors[%d].service: unknown service %q", i, e.Service)
		}
		if e.Operation != "" && !slices.Contains(known, e.Operation) {
			return nil, fmt.Errorf("faults.errors[%d].operation: %s does not emulate %q (it emulates %s)", i, e.Service, e.Operation, strings.Join(known, ", "))
		}
		fs.rules = append(fs.rules, faultRule{FaultError: e})
	}
	for i, o := range f.Omit {
		if what := o.Service + " " + o.Operation + " " + o.Element; !slices.Contains(inventory.OmittableElements(), what) {
			return nil, fmt.Errorf("faults.omit[%d]: %q cannot be omitted (supported: %s)", i, what, strings.Join(inventory.OmittableElements(), ", "))
		}
	}
	fs.omit = f.Omit
	return fs, nil
}

// omitted reports whether the answer to q, on account's resources (and
// bucket, for S3), leaves element out (faults.omit).
func (f *faultState) omitted(q *request, account, bucket, element string) bool {
	svc := q.svc.String()
	for _, o := range f.omit {
		if o.Service == svc && o.Operation == q.op && o.Element == element &&
			(o.Account == "" || o.Account == account) && (o.Bucket == "" || o.Bucket == bucket) {
			return true
		}
	}
	return false
}

// throttleCode is the code each protocol throttles with.
func throttleCode(svc service) string {
	switch svc {
	case svcS3, svcS3Control:
		return "SlowDown"
	case svcOrganizations:
		return "TooManyRequestsException"
	case svcKMS:
		return "ThrottlingException"
	case svcEC2:
		return "RequestLimitExceeded"
	}
	return "Throttling"
}

// throttled takes a token from the caller's bucket and answers the
// protocol's throttling error when there is none.
func (f *faultState) throttled(q *request) *apiError {
	if f.throttle == nil {
		return nil
	}
	key := ""
	if f.throttle.Per != "global" {
		key = q.callerAccount()
	}
	now := f.now()
	f.mu.Lock()
	b, ok := f.buckets[key]
	if !ok {
		b = &tokenBucket{tokens: f.burst, last: now}
		f.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(f.burst, b.tokens+elapsed*f.throttle.RequestsPerSecond)
		b.last = now
	}
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	f.mu.Unlock()
	if allowed {
		return nil
	}
	return errf(throttleCode(q.svc), "")
}

// chosen returns the first matching chosen error for a request on
// account's resources (and bucket, for S3), counting it against its times.
func (f *faultState) chosen(q *request, account, bucket string) *apiError {
	if len(f.rules) == 0 {
		return nil
	}
	svc := q.svc.String()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.rules {
		r := &f.rules[i]
		if r.Service != svc || (r.Operation != "" && r.Operation != q.op) ||
			(r.Account != "" && r.Account != account) || (r.Bucket != "" && r.Bucket != bucket) {
			continue
		}
		if r.Times > 0 && r.served >= r.Times {
			continue
		}
		r.served++
		return &apiError{code: r.Code, message: r.Message, status: r.Status, bucket: bucket}
	}
	return nil
}

// operationsByService lists the emulated operations per service.
func operationsByService() map[string][]string {
	out := map[string][]string{}
	for _, op := range knownOperations() {
		svc, name, _ := strings.Cut(op, ":")
		out[svc] = append(out[svc], name)
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

// knownOperations lists every emulated "service:Operation".
func knownOperations() []string {
	return []string{
		"organizations:DescribeOrganization",
		"organizations:ListRoots",
		"organizations:ListOrganizationalUnitsForParent",
		"organizations:ListAccounts",
		"organizations:ListAccountsForParent",
		"organizations:ListPoliciesForTarget",
		"organizations:DescribePolicy",
		"organizations:ListParents",
		"organizations:ListTagsForResource",
		"organizations:DescribeAccount",
		"sts:AssumeRole",
		"sts:GetCallerIdentity",
		"s3:ListBuckets",
		"s3:HeadBucket",
		"s3:GetBucketLocation",
		"s3:GetBucketPolicy",
		"s3:GetBucketPolicyStatus",
		"s3:GetPublicAccessBlock",
		"s3:GetBucketOwnershipControls",
		"s3:GetBucketAcl",
		"s3:GetBucketEncryption",
		"s3:GetBucketVersioning",
		"s3:GetBucketTagging",
		"s3control:GetPublicAccessBlock",
		"kms:DescribeKey",
		"kms:GetKeyPolicy",
		"kms:ListGrants",
		"kms:ListAliases",
		"iam:GetAccountAuthorizationDetails",
		"ec2:DescribeVpcEndpoints",
	}
}
