package fakeaws

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// service is an emulated AWS service.
type service uint8

const (
	svcUnknown service = iota
	svcS3
	svcS3Control
	svcSTS
	svcIAM
	svcEC2
	svcOrganizations
	svcKMS
)

// String returns the service's name as used in IAM actions and fault rules.
func (s service) String() string {
	switch s {
	case svcS3:
		return "s3"
	case svcS3Control:
		return "s3control"
	case svcSTS:
		return "sts"
	case svcIAM:
		return "iam"
	case svcEC2:
		return "ec2"
	case svcOrganizations:
		return "organizations"
	case svcKMS:
		return "kms"
	}
	return "unknown"
}

// Query API versions and JSON target prefixes, as the SDKs send them.
const (
	stsVersion          = "2011-06-15"
	iamVersion          = "2010-05-08"
	ec2Version          = "2016-11-15"
	organizationsTarget = "AWSOrganizationsV20161128."
	kmsTarget           = "TrentService."
	s3ControlPrefix     = "/v20180820/"
	defaultRegion       = "us-east-1"
)

// request is one API call being answered.
type request struct {
	r     *http.Request
	body  []byte
	reqID string

	svc     service
	op      string
	form    url.Values // Query and EC2 parameters
	query   url.Values // URL query
	region  string
	auth    *sigv4 // nil when unsigned
	authErr error

	// S3
	bucket    string
	objectKey string

	caller *caller
}

// callerAccount is the caller's account ID ("" before authentication).
func (q *request) callerAccount() string {
	if q.caller == nil {
		return ""
	}
	return q.caller.account
}

// classify works out the service, operation and region of the request
// from its shape: X-Amz-Target (JSON 1.1), Action and Version (Query,
// EC2), the S3 Control path prefix, and S3 for the rest. The SigV4
// credential scope gives the region and breaks ties.
func (q *request) classify() {
	r := q.r
	q.query = r.URL.Query()
	q.auth, q.authErr = parseAuth(r)
	// Unsigned requests carry no region (the emulator has one endpoint for all).
	q.region = ""
	scopeService := ""
	if q.auth != nil {
		q.region = q.auth.region
		scopeService = q.auth.service
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		switch {
		case strings.HasPrefix(t, organizationsTarget):
			q.svc, q.op = svcOrganizations, strings.TrimPrefix(t, organizationsTarget)
		case strings.HasPrefix(t, kmsTarget):
			q.svc, q.op = svcKMS, strings.TrimPrefix(t, kmsTarget)
		default:
			q.svc, q.op = svcUnknown, t
		}
		return
	}
	if r.Method == http.MethodPost && isForm(r) {
		form, err := url.ParseQuery(string(q.body))
		if err == nil && form.Get("Action") != "" {
			q.form = form
			q.op = form.Get("Action")
			switch {
			case form.Get("Version") == stsVersion || (form.Get("Version") == "" && scopeService == "sts"):
				q.svc = svcSTS
			case form.Get("Version") == iamVersion || (form.Get("Version") == "" && scopeService == "iam"):
				q.svc = svcIAM
			case form.Get("Version") == ec2Version || (form.Get("Version") == "" && scopeService == "ec2"):
				q.svc = svcEC2
			default:
				q.svc = svcUnknown
			}
			return
		}
	}
	if r.Method == http.MethodGet && q.query.Get("Action") != "" && q.query.Get("Version") != "" {
		// Query APIs also accept GET with the parameters in the URL.
		q.form = q.query
		q.op = q.query.Get("Action")
		switch q.query.Get("Version") {
		case stsVersion:
			q.svc = svcSTS
		case iamVersion:
			q.svc = svcIAM
		case ec2Version:
			q.svc = svcEC2
		}
		return
	}
	if strings.HasPrefix(r.URL.Path, s3ControlPrefix) {
		q.svc = svcS3Control
		q.op = s3ControlOperation(r)
		return
	}
	q.svc = svcS3
	q.bucket, q.objectKey = s3Target(r)
	q.op = s3Operation(r.Method, q.bucket, q.objectKey, q.query)
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded")
}

// virtualHostRe matches S3 virtual-hosted-style hosts:
// BUCKET.s3.amazonaws.com, BUCKET.s3.REGION.amazonaws.com,
// BUCKET.s3-REGION.amazonaws.com and BUCKET.localhost.
var virtualHostRe = regexp.MustCompile(`^(.+)\.(s3([.-][a-z0-9-]+)?\.amazonaws\.com|localhost)$`)

// s3Target returns the bucket and object key a request addresses, path
// style (/BUCKET/KEY) or virtual-hosted style (BUCKET.s3.amazonaws.com/KEY).
func s3Target(r *http.Request) (bucket, key string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	if m := virtualHostRe.FindStringSubmatch(strings.ToLower(host)); m != nil {
		return m[1], path
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// s3Subresource is a bucket subresource and its operation name suffix.
type s3Subresource struct{ query, name string }

// s3Subresources lists the bucket subresources the emulator recognises
// (to name operations, emulated or not), policyStatus before policy.
func s3Subresources() [18]s3Subresource {
	return [...]s3Subresource{
		{"location", "BucketLocation"},
		{"policyStatus", "BucketPolicyStatus"},
		{"policy", "BucketPolicy"},
		{"publicAccessBlock", "PublicAccessBlock"},
		{"ownershipControls", "BucketOwnershipControls"},
		{"acl", "BucketAcl"},
		{"encryption", "BucketEncryption"},
		{"versioning", "BucketVersioning"},
		{"tagging", "BucketTagging"},
		{"cors", "BucketCors"},
		{"lifecycle", "BucketLifecycleConfiguration"},
		{"logging", "BucketLogging"},
		{"notification", "BucketNotificationConfiguration"},
		{"replication", "BucketReplication"},
		{"website", "BucketWebsite"},
		{"object-lock", "ObjectLockConfiguration"},
		{"uploads", "MultipartUploads"},
		{"versions", "ObjectVersions"},
	}
}

// s3GetOperation names the GET of a bucket's subresource without building
// the name, for the reads a scan makes of every bucket.
func s3GetOperation(sr s3Subresource) string {
	switch sr.query {
	case "policyStatus":
		return "GetBucketPolicyStatus"
	case "policy":
		return "GetBucketPolicy"
	case "publicAccessBlock":
		return "GetPublicAccessBlock"
	case "ownershipControls":
		return "GetBucketOwnershipControls"
	case "acl":
		return "GetBucketAcl"
	case "encryption":
		return "GetBucketEncryption"
	case "uploads", "versions":
		return "List" + sr.name
	}
	return "Get" + sr.name
}

// s3Operation names an S3 request's operation.
func s3Operation(method, bucket, key string, q url.Values) string {
	if bucket == "" {
		switch method {
		case http.MethodGet:
			return "ListBuckets"
		}
		return "Unknown"
	}
	if key != "" {
		switch method {
		case http.MethodGet:
			return "GetObject"
		case http.MethodHead:
			return "HeadObject"
		case http.MethodPut:
			return "PutObject"
		case http.MethodDelete:
			return "DeleteObject"
		}
		return "Unknown"
	}
	for _, sr := range s3Subresources() {
		if !q.Has(sr.query) {
			continue
		}
		switch method {
		case http.MethodGet:
			return s3GetOperation(sr)
		case http.MethodPut:
			return "Put" + sr.name
		case http.MethodDelete:
			return "Delete" + sr.name
		}
		return "Unknown"
	}
	switch method {
	case http.MethodHead:
		return "HeadBucket"
	case http.MethodGet:
		if q.Get("list-type") == "2" {
			return "ListObjectsV2"
		}
		return "ListObjects"
	case http.MethodPut:
		return "CreateBucket"
	case http.MethodDelete:
		return "DeleteBucket"
	case http.MethodPost:
		if q.Has("delete") {
			return "DeleteObjects"
		}
	}
	return "Unknown"
}

// s3ControlOperation names an S3 Control request's operation.
func s3ControlOperation(r *http.Request) string {
	path := strings.TrimPrefix(r.URL.Path, s3ControlPrefix)
	if path == "configuration/publicAccessBlock" {
		switch r.Method {
		case http.MethodGet:
			return "GetPublicAccessBlock"
		case http.MethodPut:
			return "PutPublicAccessBlock"
		case http.MethodDelete:
			return "DeletePublicAccessBlock"
		}
	}
	return "Unknown"
}
