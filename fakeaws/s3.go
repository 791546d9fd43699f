package fakeaws

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
)

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// s3BucketOps maps the emulated bucket GETs to their handler and the
// inventory field whose fixture error they answer with.
func (s *Server) s3Handler(q *request) handlerFunc {
	if s.outputs.holds(q) {
		return s.outputs.handler(q.op)
	}
	switch q.op {
	case "ListBuckets":
		return s.s3ListBuckets
	case "HeadBucket":
		return s.bucketOp(inventory.FieldRegion, true, s.s3HeadBucket)
	case "GetBucketLocation":
		return s.bucketOp(inventory.FieldRegion, false, s.s3GetBucketLocation)
	case "GetBucketPolicy":
		return s.bucketOp(inventory.FieldPolicy, true, s.s3GetBucketPolicy)
	case "GetBucketPolicyStatus":
		return s.bucketOp(inventory.FieldPolicyStatus, true, s.s3GetBucketPolicyStatus)
	case "GetPublicAccessBlock":
		return s.bucketOp(inventory.FieldPublicAccessBlock, true, s.s3GetPublicAccessBlock)
	case "GetBucketOwnershipControls":
		return s.bucketOp(inventory.FieldOwnership, true, s.s3GetBucketOwnershipControls)
	case "GetBucketAcl":
		return s.bucketOp(inventory.FieldACL, true, s.s3GetBucketACL)
	case "GetBucketEncryption":
		return s.bucketOp(inventory.FieldEncryption, true, s.s3GetBucketEncryption)
	case "GetBucketVersioning":
		return s.bucketOp(inventory.FieldVersioning, true, s.s3GetBucketVersioning)
	case "GetBucketTagging":
		return s.bucketOp(inventory.FieldTags, true, s.s3GetBucketTagging)
	}
	return nil
}

// bucketOp wraps a per-bucket handler with S3's checks, in S3's order:
// the bucket exists (NoSuchBucket), the request went to the bucket's
// region (301 PermanentRedirect with x-amz-bucket-region; skipped for
// GetBucketLocation), the caller's account owns it (AccessDenied), then
// chosen faults and the fixture's recorded error for field.
func (s *Server) bucketOp(field string, regional bool, h func(w http.ResponseWriter, q *request, b *bucketState) *apiError) handlerFunc {
	return func(w http.ResponseWriter, q *request) *apiError {
		b := s.idx.buckets[q.bucket]
		if b == nil {
			return &apiError{code: "NoSuchBucket", bucket: q.bucket}
		}
		if regional && q.region != "" && b.region != q.region {
			return &apiError{
				code:         "PermanentRedirect",
				message:      "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
				status:       http.StatusMovedPermanently,
				bucket:       q.bucket,
				bucketRegion: b.region,
			}
		}
		if q.caller.anonymous || q.caller.account != b.owner.acct.ID {
			return accessDenied(q, "s3:"+q.op, awsid.S3Bucket(s.idx.partition, q.bucket))
		}
		if aerr := s.faults.chosen(q, b.owner.acct.ID, q.bucket); aerr != nil {
			return aerr
		}
		if e, ok := b.b.Errors.Get(field); ok {
			aerr := fixtureError(e)
			aerr.bucket = q.bucket
			return aerr
		}
		return h(w, q, b)
	}
}

// s3Write sends an S3 XML answer with S3's request ID headers.
func s3Write(w http.ResponseWriter, q *request, x *xmlOut) *apiError {
	w.Header().Set("x-amz-request-id", q.reqID)
	w.Header().Set("x-amz-id-2", hostID(q.reqID))
	x.write(w, http.StatusOK, "application/xml")
	return nil
}

func (s *Server) s3ListBuckets(w http.ResponseWriter, q *request) *apiError {
	if q.caller.anonymous {
		return accessDenied(q, "s3:ListAllMyBuckets", "*")
	}
	acct := s.idx.accounts[q.caller.account]
	if aerr := s.faults.chosen(q, acct.acct.ID, ""); aerr != nil {
		return aerr
	}
	if e, ok := acct.acct.Errors.Get(inventory.KeyBuckets); ok {
		return fixtureError(e)
	}
	prefix := q.query.Get("prefix")
	regionFilter := q.query.Get("bucket-region")
	var list []*bucketState
	for _, b := range acct.buckets {
		if strings.HasPrefix(b.b.Name, prefix) && (regionFilter == "" || b.region == regionFilter) {
			list = append(list, b)
		}
	}
	// Without max-buckets S3 lists every bucket at once; with it, pages
	// of that size chained by continuation tokens.
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
	start, end, next := 0, len(list), ""
	if v := q.query.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return &apiError{code: "InvalidArgument", message: "Argument max-buckets must be an integer between 1 and 10000."}
		}
		if tok := q.query.Get("continuation-token"); tok != "" {
			off, ok := decodeToken(tok, "ListBuckets/"+prefix+"/"+regionFilter)
			if !ok || off > len(list) {
				return &apiError{code: "InvalidArgument", message: "The continuation token provided is incorrect"}
			}
			start = off
		}
		end = min(start+n, len(list))
		if end < len(list) {
			next = encodeToken("ListBuckets/"+prefix+"/"+regionFilter, end)
		}
	}
	x := newXML()
	x.openNS("ListAllMyBucketsResult", s3NS)
	x.open("Owner")
	x.elem("ID", acct.acct.CanonicalID)
	x.close("Owner")
	x.open("Buckets")
	for _, b := range list[start:end] {
		x.open("Bucket")
		x.elem("Name", b.b.Name)
		created := b.b.Created
		if created.IsZero() {
			created = inventory.DefaultBucketCreated()
		}
		x.time("CreationDate", created)
		x.elemIf("BucketRegion", b.b.Region)
		x.close("Bucket")
	}
	x.close("Buckets")
	x.elemIf("ContinuationToken", next)
	x.elemIf("Prefix", prefix)
	x.close("ListAllMyBucketsResult")
	return s3Write(w, q, x)
}

func (s *Server) s3HeadBucket(w http.ResponseWriter, q *request, b *bucketState) *apiError {
	h := w.Header()
	h.Set("x-amz-request-id", q.reqID)
	h.Set("x-amz-id-2", hostID(q.reqID))
	h.Set("x-amz-bucket-region", b.region)
	h.Set("x-amz-access-point-alias", "false")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) s3GetBucketLocation(w http.ResponseWriter, q *request, b *bucketState) *apiError {
	// us-east-1 buckets have an empty location constraint.
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
	loc := b.b.Region
	if loc == defaultRegion {
		loc = ""
	}
	x := newXML()
	x.b.WriteString(`<LocationConstraint xmlns="` + s3NS + `">`)
	x.b.WriteString(xmlEscape(loc))
	x.close("LocationConstraint")
	return s3Write(w, q, x)
}

func (s *Server) s3GetBucketPolicy(w http.ResponseWriter, q *request, b *bucketState) *apiError {
	if b.b.Policy == nil {
		return &apiError{code: "NoSuchBucketPolicy", bucket: q.bucket}
	}
	body := b.b.Policy.Raw()
	h := w.Header()
	h.Set("x-amz-request-id", q.reqID)
	h.Set("x-amz-id-2", hostID(q.reqID))
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

func (s *Server) s3GetBucketPolicyStatus(w http.ResponseWriter, q *request, b *bucketState) *apiError {
	if b.b.Policy == nil {
		return &apiError{code: "NoSuchBucketPolicy", bucket: q.bucket}
	}
	public, err := b.policyIsPublic()
	if err != nil {
		return &apiError{code: "InternalError", message: "fakeaws cannot evaluate the bucket policy: " + err.Error(), bucket: q.bucket}
	}
	x := newXML()
	x.openNS("PolicyStatus", s3NS)
	if !s.faults.omitted(q, b.owner.acct.ID, b.b.Name, "IsPublic") { // IsPublic is optional (faults.omit)
		x.bool("IsPublic", public)
	}
	x.close("PolicyStatus")
	return s3Write(w, q, x)
}

func writePublicAccessBlock(x *xmlOut, p *inventory.PublicAccessBlock) {
	x.openNS("PublicAccessBlockConfiguration", s3NS)
	x.bool("BlockPublicAcls", p.BlockPublicACLs)
	x.bool("IgnorePublicAcls", p.IgnorePublicACLs)
	x.bool("BlockPublicPolicy", p.BlockPublicPolicy)
	x.bool("RestrictPublicBuckets", p.RestrictPublicBuckets)
	x.close("PublicAccessBlockConfiguration")
}

func (s *Server) s3GetPublicAccessBlock(w http.ResponseWriter, q *request, b *bucketState) *apiError {
	if b.b.PublicAccessBlock == nil {
		return &apiError{code: "NoSuchPublicAccessBlockConfiguration", bucket: q.bucket}
	}
	x := newXML()
	writePublicAccessBlock(x, b.b.PublicAccessBlock)
	return s3Write(w, q, x)
}

func (s *Server) s3GetBucketOwnershipControls(w http.ResponseWriter, q *request, b *bucketState) *apiError {
	own := b.effective().Ownership
	if own == inventory.OwnershipNone {
		return &apiError{code: "OwnershipControlsNotFoundError", bucket: q.bucket}
	}
	x := newXML()
	x.openNS("OwnershipControls", s3NS)
	x.open("Rule")
	x.elem("ObjectOwnership", own)
	x.close("Rule")
	x.close("OwnershipControls")
	return s3Write(w, q, x)
}

func (s *Server) s3GetBucketACL(w http.ResponseWriter, q *request, b *bucketState) *apiError {
	acl := b.effective().ACL
	x := newXML()
	x.openNS("AccessControlPolicy", s3NS)
	x.open("Owner")
	x.elem("ID", acl.OwnerID)
	x.close("Owner")
	x.open("AccessControlList")
	for _, g := range acl.Grants {
		x.open("Grant")
		x.b.WriteString(`<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="` + xmlEscape(g.Grantee.Type) + `">`)
		x.elemIf("ID", g.Grantee.ID)
		x.elemIf("DisplayName", g.Grantee.DisplayName)
		x.elemIf("URI", g.Grantee.URI)
		x.elemIf("EmailAddress", g.Grantee.Email)
		x.close("Grantee")
		x.elem("Permission", g.Permission)
		x.close("Grant")
	}
	x.close("AccessControlList")
	x.close("AccessControlPolicy")
	return s3Write(w, q, x)
}

func (s *Server) s3GetBucketEncryption(w http.ResponseWriter, q *request, b *bucketState) *apiError {
	enc := b.effective().Encryption
	if enc.Algorithm == inventory.AlgorithmNone {
		return &apiError{code: "ServerSideEncryptionConfigurationNotFoundError", bucket: q.bucket}
	}
	x := newXML()
	x.openNS("ServerSideEncryptionConfiguration", s3NS)
	x.open("Rule")
	x.open("ApplyServerSideEncryptionByDefault")
	x.elem("SSEAlgorithm", enc.Algorithm)
	x.elemIf("KMSMasterKeyID", enc.KMSKeyID)
	x.close("ApplyServerSideEncryptionByDefault")
	x.bool("BucketKeyEnabled", enc.BucketKey)
	x.close("Rule")
	x.close("ServerSideEncryptionConfiguration")
	return s3Write(w, q, x)
}

func (s *Server) s3GetBucketVersioning(w http.ResponseWriter, q *request, b *bucketState) *apiError {
	x := newXML()
	x.openNS("VersioningConfiguration", s3NS)
	x.elemIf("Status", b.b.Versioning)
	x.close("VersioningConfiguration")
	return s3Write(w, q, x)
}

func (s *Server) s3GetBucketTagging(w http.ResponseWriter, q *request, b *bucketState) *apiError {
	tags := b.b.Tags
	if len(tags) == 0 {
		return &apiError{code: "NoSuchTagSet", bucket: q.bucket}
	}
	x := newXML()
	x.openNS("Tagging", s3NS)
	writeTagSet(x, "TagSet", "Tag", tags)
	x.close("Tagging")
	return s3Write(w, q, x)
}

// s3ControlGetPublicAccessBlock answers the account-level Block Public
// Access configuration of the account named by x-amz-account-id.
func (s *Server) s3ControlGetPublicAccessBlock(w http.ResponseWriter, q *request) *apiError {
	account := q.r.Header.Get("X-Amz-Account-Id")
	if account == "" {
		return errf("InvalidRequest", "Missing required header for this request: x-amz-account-id")
	}
	acct := s.idx.accounts[account]
	if acct == nil || q.caller.account != account {
		return accessDenied(q, "s3:GetAccountPublicAccessBlock", awsid.S3Prefix(s.idx.partition))
	}
	if aerr := s.faults.chosen(q, account, ""); aerr != nil {
		return aerr
	}
	if e, ok := acct.acct.Errors.Get(inventory.KeyPublicAccessBlock); ok {
		return fixtureError(e)
	}
	if acct.acct.PublicAccessBlock == nil {
		return errf("NoSuchPublicAccessBlockConfiguration", "")
	}
	x := newXML()
	writePublicAccessBlock(x, acct.acct.PublicAccessBlock)
	w.Header().Set("x-amz-request-id", q.reqID)
	w.Header().Set("x-amz-id-2", hostID(q.reqID))
	x.write(w, http.StatusOK, "application/xml")
	return nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// maxOutputObjectBytes bounds an object written to the output bucket.
const maxOutputObjectBytes = 256 << 20

// outputBucket is the emulator's one writable bucket (Options.OutputBucket),
// in memory.
type outputBucket struct {
	name    string
	mu      sync.Mutex
	objects map[string][]byte
}

// holds reports whether q addresses the output bucket (nil-safe).
func (o *outputBucket) holds(q *request) bool {
	return o != nil && q.svc == svcS3 && q.bucket == o.name
}

func (o *outputBucket) handler(op string) handlerFunc {
	var h handlerFunc
	switch op {
	case "PutObject":
		h = o.put
	case "GetObject":
		h = o.get
	case "ListObjectsV2":
		h = o.list
	default:
		return nil
	}
	return func(w http.ResponseWriter, q *request) *apiError {
		if q.region != "" && q.region != outputBucketRegion {
			// As S3 answers a request signed for another region.
			return &apiError{code: "PermanentRedirect", status: http.StatusMovedPermanently, bucket: o.name, bucketRegion: outputBucketRegion,
				message: "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint."}
		}
		return h(w, q)
	}
}

// outputBucketRegion is the region of the output bucket.
const outputBucketRegion = "us-east-1"

// allowed refuses anonymous callers and the audit role's sessions: the
// audit role never writes, nor reads objects.
func (o *outputBucket) allowed(q *request, action string) *apiError {
	if q.caller.anonymous || q.caller.session != nil {
		return accessDenied(q, action, "arn:aws:s3:::"+o.name)
	}
	return nil
}

func (o *outputBucket) put(w http.ResponseWriter, q *request) *apiError {
	if aerr := o.allowed(q, "s3:PutObject"); aerr != nil {
		return aerr
	}
	body, err := decodeAWSChunked(q)
	if err != nil {
		return &apiError{code: "InvalidRequest", message: err.Error(), bucket: o.name}
	}
	o.mu.Lock()
	o.objects[q.objectKey] = body
	o.mu.Unlock()
	sum := md5.Sum(body)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	w.Header().Set("x-amz-request-id", q.reqID)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (o *outputBucket) get(w http.ResponseWriter, q *request) *apiError {
	if aerr := o.allowed(q, "s3:GetObject"); aerr != nil {
		return aerr
	}
	o.mu.Lock()
	body, ok := o.objects[q.objectKey]
	o.mu.Unlock()
	if !ok {
		return &apiError{code: "NoSuchKey", message: "The specified key does not exist.", status: http.StatusNotFound, bucket: o.name}
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("x-amz-request-id", q.reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}

// list answers ListObjectsV2 with prefix and continuation tokens (no
// delimiter), in key order.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
func (o *outputBucket) list(w http.ResponseWriter, q *request) *apiError {
	if aerr := o.allowed(q, "s3:ListBucket"); aerr != nil {
		return aerr
	}
	if q.query.Get("delimiter") != "" {
		return &apiError{code: "NotImplemented", message: "fakeaws: ListObjectsV2 with a delimiter is not emulated", status: http.StatusNotImplemented, bucket: o.name}
	}
	prefix := q.query.Get("prefix")
	o.mu.Lock()
	var keys []string
	sizes := map[string]int{}
	for k, v := range o.objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
			sizes[k] = len(v)
		}
	}
	o.mu.Unlock()
	sort.Strings(keys)
	maxKeys := 1000
	if v := q.query.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return &apiError{code: "InvalidArgument", message: "Provided max-keys not an integer or within integer range", bucket: o.name}
		}
		maxKeys = min(n, 1000)
	}
	start := 0
	if tok := q.query.Get("continuation-token"); tok != "" {
		off, ok := decodeToken(tok, "ListObjectsV2/"+prefix)
		if !ok || off > len(keys) {
			return &apiError{code: "InvalidArgument", message: "The continuation token provided is incorrect", bucket: o.name}
		}
		start = off
	}
	end := min(start+maxKeys, len(keys))
	x := newXML()
	x.openNS("ListBucketResult", s3NS)
	x.elem("Name", o.name)
	x.elem("Prefix", prefix)
	x.elem("KeyCount", strconv.Itoa(end-start))
	x.elem("MaxKeys", strconv.Itoa(maxKeys))
	x.elem("IsTruncated", strconv.FormatBool(end < len(keys)))
	if end < len(keys) {
		x.elem("NextContinuationToken", encodeToken("ListObjectsV2/"+prefix, end))
	}
	for _, k := range keys[start:end] {
		x.open("Contents")
		x.elem("Key", k)
		x.elem("Size", strconv.Itoa(sizes[k]))
		x.close("Contents")
	}
	x.close("ListBucketResult")
	return s3Write(w, q, x)
}

// decodeAWSChunked returns an upload's payload: the body itself, or,
// with Content-Encoding aws-chunked (the SDK's streaming checksums), the
// data of its chunks.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
func decodeAWSChunked(q *request) ([]byte, error) {
	if !strings.Contains(q.r.Header.Get("Content-Encoding"), "aws-chunked") && !strings.HasPrefix(q.r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return q.body, nil
	}
	var out []byte
	rest := q.body
	for {
		line, after, ok := bytes.Cut(rest, []byte("\r\n"))
		if !ok {
			return nil, fmt.Errorf("aws-chunked body: a chunk header without CRLF")
		}
		size, _, _ := strings.Cut(string(line), ";")
		n, err := strconv.ParseInt(size, 16, 64)
		if err != nil || n < 0 || n > int64(len(after)) {
			return nil, fmt.Errorf("aws-chunked body: bad chunk size %q", size)
		}
		if n == 0 {
			return out, nil // trailers (checksums) follow
		}
		out = append(out, after[:n]...)
		rest = bytes.TrimPrefix(after[n:], []byte("\r\n"))
	}
}

// OutputObject returns an object of the output bucket (tests).
func (s *Server) OutputObject(key string) ([]byte, bool) {
	if s.outputs == nil {
		return nil, false
	}
	s.outputs.mu.Lock()
	defer s.outputs.mu.Unlock()
	b, ok := s.outputs.objects[key]
	return b, ok
}
