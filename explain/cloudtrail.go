package explain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/policy"
)

// ctRecord is the part of a CloudTrail record explain reads.
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
type ctRecord struct {
	EventSource       string          `json:"eventSource"`
	EventName         string          `json:"eventName"`
	AWSRegion         string          `json:"awsRegion"`
	SourceIPAddress   string          `json:"sourceIPAddress"`
	UserAgent         string          `json:"userAgent"`
	ErrorCode         string          `json:"errorCode"`
	VPCEndpointID     string          `json:"vpcEndpointId"`
	UserIdentity      *ctIdentity     `json:"userIdentity"`
	RequestParameters json.RawMessage `json:"requestParameters"`
	Resources         []ctResource    `json:"resources"`
	TLSDetails        json.RawMessage `json:"tlsDetails"`
	AdditionalData    struct {
		SignatureVersion string `json:"SignatureVersion"`
	} `json:"additionalEventData"`
}

// ctIdentity is a record's userIdentity element.
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
type ctIdentity struct {
	Type           string `json:"type"`
	PrincipalID    string `json:"principalId"`
	ARN            string `json:"arn"`
	AccountID      string `json:"accountId"`
	SessionContext *struct {
		SessionIssuer *struct {
			Type string `json:"type"`
			ARN  string `json:"arn"`
		} `json:"sessionIssuer"`
		Attributes *struct {
			MFAAuthenticated string `json:"mfaAuthenticated"`
		} `json:"attributes"`
	} `json:"sessionContext"`
}

type ctResource struct {
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
}

// s3EventActions maps the S3 API operations whose IAM action is not
// "s3:" + the operation name.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
var s3EventActions = map[string]string{
	"HeadObject":              "s3:GetObject",
	"SelectObjectContent":     "s3:GetObject",
	"GetObjectAttributes":     "s3:GetObject",
	"CopyObject":              "s3:PutObject",
	"CreateMultipartUpload":   "s3:PutObject",
	"UploadPart":              "s3:PutObject",
	"UploadPartCopy":          "s3:PutObject",
	"CompleteMultipartUpload": "s3:PutObject",
	"DeleteObjects":           "s3:DeleteObject",
	"HeadBucket":              "s3:ListBucket",
	"ListBuckets":             "s3:ListAllMyBuckets",
	"ListObjects":             "s3:ListBucket",
	"ListObjectsV2":           "s3:ListBucket",
	"ListObjectVersions":      "s3:ListBucketVersions",
	"ListMultipartUploads":    "s3:ListBucketMultipartUploads",
	"ListParts":               "s3:ListMultipartUploadParts",
	"GetBucketEncryption":     "s3:GetEncryptionConfiguration",
	"PutBucketEncryption":     "s3:PutEncryptionConfiguration",
	"DeleteBucketEncryption":  "s3:PutEncryptionConfiguration",
	"GetBucketPolicyStatus":   "s3:GetBucketPolicyStatus",
	"GetPublicAccessBlock":    "s3:GetBucketPublicAccessBlock",
	"PutPublicAccessBlock":    "s3:PutBucketPublicAccessBlock",
	"DeleteObjectTagging":     "s3:DeleteObjectTagging",
	"GetBucketLifecycle":      "s3:GetLifecycleConfiguration",
	"PutBucketLifecycle":      "s3:PutLifecycleConfiguration",
	"GetBucketReplication":    "s3:GetReplicationConfiguration",
	"PutBucketReplication":    "s3:PutReplicationConfiguration",
}

// credentialErrorCodes are the error codes AWS answers when the request's
// credentials themselves are bad: no policy was evaluated.
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
var credentialErrorCodes = map[string]string{
	"ExpiredToken":          "the temporary credentials had expired",
	"TokenRefreshRequired":  "the temporary credentials must be refreshed",
	"InvalidToken":          "the session token is malformed or invalid",
	"InvalidAccessKeyId":    "the access key does not exist in AWS (deleted, or of another partition)",
	"SignatureDoesNotMatch": "the signature does not match: wrong secret key for this access key",
	"AccountProblem":        "a problem with the caller's AWS account",
}

// CredentialProblem says what a credential error code means, or "".
func CredentialProblem(code string) string { return credentialErrorCodes[code] }

// ParseCloudTrail reads the request of one CloudTrail record (a record, or
// a log file whose Records array holds exactly one S3 record): principal
// (userIdentity), action (eventSource + eventName), bucket, key, source IP,
// VPC endpoint, MFA, TLS, signature version and errorCode.
func ParseCloudTrail(data []byte) (Request, error) {
	bad := func(format string, a ...any) (Request, error) {
		return Request{}, fmt.Errorf("%w: CloudTrail record: %s", ErrInvalidRequest, fmt.Sprintf(format, a...))
	}
	var probe struct {
		Records []json.RawMessage `json:"Records"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&probe); err != nil {
		return bad("not JSON: %v", jsonErrorText(data, err))
	}
	raw := data
	if probe.Records != nil {
		var s3 []json.RawMessage
		for _, r := range probe.Records {
			var src struct {
				EventSource string `json:"eventSource"`
			}
			if json.Unmarshal(r, &src) == nil && src.EventSource == "s3.amazonaws.com" {
				s3 = append(s3, r)
			}
		}
		switch len(s3) {
		case 0:
			return bad("the Records array holds no S3 record (eventSource s3.amazonaws.com)")
		case 1:
			raw = s3[0]
		default:
			return bad("the Records array holds %d S3 records; extract the one to explain (e.g. jq '.Records[N]')", len(s3))
		}
	}
	var rec ctRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return bad("%v", jsonErrorText(raw, err))
	}
	if rec.EventSource != "s3.amazonaws.com" {
		return bad("eventSource is %q: explain reads S3 data events (s3.amazonaws.com)", rec.EventSource)
	}
	if rec.EventName == "" {
		return bad("eventName is missing")
	}
	req := Request{EventName: rec.EventName, ErrorCode: rec.ErrorCode, Context: map[string][]string{}}
	action, ok := s3EventActions[rec.EventName]
	if !ok {
		action = "s3:" + rec.EventName
	}
	if info, known := policy.LookupAction(action); known {
		req.Action = info.Name
	} else {
		return bad("eventName %q maps to no known IAM action; give --action instead", rec.EventName)
	}
	var params struct {
		BucketName string `json:"bucketName"`
		Key        string `json:"key"`
		ACL        string `json:"x-amz-acl"`
		SSE        string `json:"x-amz-server-side-encryption"`
		SSEKey     string `json:"x-amz-server-side-encryption-aws-kms-key-id"`
	}
	if len(rec.RequestParameters) > 0 && string(rec.RequestParameters) != "null" {
		if err := json.Unmarshal(rec.RequestParameters, &params); err != nil {
			return bad("requestParameters: %v", err)
		}
	}
	req.Bucket, req.Key = params.BucketName, params.Key
	for _, r := range rec.Resources {
		switch r.Type {
		case "AWS::S3::Bucket":
			if req.Bucket == "" {
				req.Bucket = s3Resource(r.ARN)
			}
			if awsid.IsAccountID(r.AccountID) {
				req.BucketAccount = r.AccountID
			}
		case "AWS::S3::Object":
			if req.Key == "" && req.Bucket != "" {
				req.Key = strings.TrimPrefix(s3Resource(r.ARN), req.Bucket+"/")
			}
		}
	}
	if req.Bucket == "" {
		return bad("no bucket: requestParameters.bucketName and resources are both missing")
	}
	if policy.S3ActionScope(req.Action) == policy.ScopeBucket {
		req.Key = ""
	}
	if err := identityFromRecord(rec.UserIdentity, &req); err != nil {
		return bad("%v", err)
	}
	contextFromRecord(&rec, params.ACL, params.SSE, params.SSEKey, &req)
	return req, nil
}

// identityFromRecord sets the request's principal from userIdentity.
// s3Resource returns the resource of an S3 ARN of any partition
// ("arn:aws-us-gov:s3:::bkt/key" → "bkt/key"), or s unchanged when it is
// not one.
func s3Resource(s string) string {
	if a, err := awsid.Parse(s); err == nil && a.Service == "s3" && a.Region == "" && a.Account == "" {
		return a.Resource
	}
	return s
}

func identityFromRecord(id *ctIdentity, req *Request) error {
	if id == nil {
		return errors.New("userIdentity is missing")
	}
	switch id.Type {
	case "IAMUser", "Root", "FederatedUser":
		if id.ARN == "" {
			return fmt.Errorf("userIdentity of type %s has no arn", id.Type)
		}
		req.Principal = id.ARN
	case "AssumedRole":
		if id.ARN == "" {
			return errors.New("userIdentity of type AssumedRole has no arn (the session ARN)")
		}
		req.Principal = id.ARN
	case "AWSAccount":
		// A call from another account (or anonymous): the bucket owner's
		// trail names the caller's account, not its ARN.
		switch {
		case id.AccountID == "" || strings.EqualFold(id.AccountID, "anonymous") || strings.EqualFold(id.AccountID, "ANONYMOUS_PRINCIPAL"):
			req.Principal = Anonymous
		case awsid.IsAccountID(id.AccountID):
			req.Account = id.AccountID
		default:
			return fmt.Errorf("userIdentity accountId %q is not an account ID", id.AccountID)
		}
	case "":
		return errors.New("userIdentity.type is missing")
	default:
		return fmt.Errorf("userIdentity type %q is not a caller explain can evaluate (IAMUser, AssumedRole, Root, FederatedUser, AWSAccount)", id.Type)
	}
	return nil
}

// contextFromRecord fills the request-context keys the record tells.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
func contextFromRecord(rec *ctRecord, acl, sse, sseKey string, req *Request) {
	set := func(k string, v ...string) { req.Context[k] = append([]string{}, v...) }
	ip, ipErr := netip.ParseAddr(rec.SourceIPAddress)
	switch {
	case rec.VPCEndpointID != "":
		// Through a VPC endpoint: aws:SourceVpce is set and aws:SourceIp is
		// absent (the private address is aws:VpcSourceIp).
		set("aws:SourceVpce", rec.VPCEndpointID)
		set("aws:SourceIp")
		if ipErr == nil {
			set("aws:VpcSourceIp", ip.String())
		}
	case ipErr == nil:
		set("aws:SourceIp", ip.String())
		set("aws:SourceVpce")
	case strings.HasSuffix(rec.SourceIPAddress, ".amazonaws.com"):
		// An AWS service called on the principal's behalf.
		set("aws:ViaAWSService", "true")
		set("aws:CalledVia", rec.SourceIPAddress)
	}
	if rec.AWSRegion != "" {
		set("aws:RequestedRegion", rec.AWSRegion)
	}
	if len(rec.TLSDetails) > 0 && string(rec.TLSDetails) != "null" {
		set("aws:SecureTransport", "true")
	}
	switch rec.AdditionalData.SignatureVersion {
	case "SigV4":
		set("s3:signatureversion", "AWS4-HMAC-SHA256")
	case "SigV2":
		set("s3:signatureversion", "AWS")
	}
	if id := rec.UserIdentity; id != nil && id.SessionContext != nil && id.SessionContext.Attributes != nil {
		switch id.SessionContext.Attributes.MFAAuthenticated {
		case "true":
			set("aws:MultiFactorAuthPresent", "true")
		case "false":
			set("aws:MultiFactorAuthPresent", "false")
		}
	}
	if acl != "" {
		set("s3:x-amz-acl", acl)
	}
	if sse != "" {
		set("s3:x-amz-server-side-encryption", sse)
	}
	if sseKey != "" {
		set("s3:x-amz-server-side-encryption-aws-kms-key-id", sseKey)
	}
}

// jsonErrorText gives a JSON error with its line and column.
func jsonErrorText(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return err.Error()
	}
	line, col := 1, 1
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}
