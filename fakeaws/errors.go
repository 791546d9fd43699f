package fakeaws

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// apiError is an error answer. status 0 means the status AWS uses for the
// code in the request's protocol.
type apiError struct {
	code    string
	message string
	status  int
	// S3 extras: the bucket named in the error and, for PermanentRedirect,
	// the bucket's region (x-amz-bucket-region).
	bucket       string
	bucketRegion string
}

func errf(code, message string) *apiError { return &apiError{code: code, message: message} }

// fixtureError is a fixture's error as AWS answers it: its code and
// message; an error written without a code (free text, see
// inventory.ParseFetchError) is an AccessDenied with the text as message.
func fixtureError(e inventory.FetchError) *apiError {
	if e.Code == "" || strings.ContainsAny(e.Code, " \t\n:") {
		return &apiError{code: "AccessDenied", message: strings.TrimSpace(e.String())}
	}
	return &apiError{code: e.Code, message: e.Message}
}

// statusFor returns the HTTP status AWS answers code with, per service.
func statusFor(svc service, code string) int {
	if st, ok := commonStatus(code); ok {
		if svc == svcOrganizations || svc == svcKMS {
			// JSON 1.1 services answer client errors with 400.
			if st < 500 {
				return 400
			}
		}
		return st
	}
	switch svc {
	case svcS3, svcS3Control:
		if strings.HasPrefix(code, "NoSuch") || strings.HasSuffix(code, "NotFoundError") {
			return 404
		}
	case svcEC2:
		if strings.HasSuffix(code, ".NotFound") || strings.HasSuffix(code, ".Malformed") {
			return 400
		}
	}
	switch {
	case strings.Contains(code, "Internal") || strings.HasSuffix(code, "ServiceException"):
		return 500
	case strings.Contains(code, "Unavailable"):
		return 503
	}
	return 400
}

// commonStatus returns the status of the codes that do not answer 400.
func commonStatus(code string) (int, bool) {
	switch code {
	case "AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch",
		"InvalidClientTokenId", "MissingAuthenticationToken", "UnauthorizedOperation":
		return 403, true
	case "AuthFailure":
		return 401, true
	case "NoSuchEntity", "NoSuchBucket", "NotFound":
		return 404, true
	case "PermanentRedirect":
		return 301, true
	case "TemporaryRedirect":
		return 307, true
	case "MethodNotAllowed":
		return 405, true
	case "NotImplemented":
		return 501, true
	case "InternalError", "InternalFailure", "ServiceFailure":
		return 500, true
	case "ServiceUnavailable", "SlowDown", "RequestLimitExceeded", "Unavailable", "ServiceUnavailableException":
		return 503, true
	}
	return 0, false
}

// defaultMessage is AWS's message for a code a fixture names without one.
func defaultMessage(code string) string {
	switch code {
	case "AccessDenied":
		return "Access Denied"
	case "AccessDeniedException":
		return "You don't have permissions to access this resource."
	case "NoSuchBucket":
		return "The specified bucket does not exist"
	case "NoSuchBucketPolicy":
		return "The bucket policy does not exist"
	case "NoSuchPublicAccessBlockConfiguration":
		return "The public access block configuration was not found"
	case "OwnershipControlsNotFoundError":
		return "The bucket ownership controls were not found"
	case "ServerSideEncryptionConfigurationNotFoundError":
		return "The server side encryption configuration was not found"
	case "NoSuchTagSet":
		return "The TagSet does not exist"
	case "InternalError":
		return "We encountered an internal error. Please try again."
	case "SlowDown":
		return "Please reduce your request rate."
	case "ServiceUnavailable":
		return "Service is unable to handle request."
	case "Throttling", "ThrottlingException":
		return "Rate exceeded"
	case "RequestLimitExceeded":
		return "Request limit exceeded."
	case "TooManyRequestsException":
		return "AWS Organizations can't complete your request because another request is already in progress. Try again later."
	case "UnauthorizedOperation":
		return "You are not authorized to perform this operation."
	}
	return code
}

func (e *apiError) msg() string {
	if e.message != "" {
		return e.message
	}
	return defaultMessage(e.code)
}

// writeError renders e in the request's protocol.
func (s *Server) writeError(w http.ResponseWriter, q *request, e *apiError) {
	status := e.status
	if status == 0 {
		status = statusFor(q.svc, e.code)
	}
	h := w.Header()
	switch q.svc {
	case svcS3:
		h.Set("x-amz-request-id", q.reqID)
		h.Set("x-amz-id-2", hostID(q.reqID))
		if e.bucketRegion != "" {
			h.Set("x-amz-bucket-region", e.bucketRegion)
		}
		if q.r.Method == http.MethodHead {
			// HEAD answers carry no body; the SDK derives the code from the status.
			w.WriteHeader(status)
			return
		}
		x := newXML()
		x.open("Error")
		x.elem("Code", e.code)
		x.elem("Message", e.msg())
		if e.code == "PermanentRedirect" && e.bucket != "" {
			x.elem("Endpoint", e.bucket+"."+awsid.ServiceEndpoint("s3", e.bucketRegion))
		}
		if e.bucket != "" {
			x.elem("BucketName", e.bucket)
		}
		x.elem("RequestId", q.reqID)
		x.elem("HostId", hostID(q.reqID))
		x.close("Error")
		x.write(w, status, "application/xml")
	case svcS3Control:
		h.Set("x-amz-request-id", q.reqID)
		h.Set("x-amz-id-2", hostID(q.reqID))
		x := newXML()
		x.open("ErrorResponse")
		x.open("Error")
		x.elem("Code", e.code)
		x.elem("Message", e.msg())
		x.close("Error")
		x.elem("RequestId", q.reqID)
		x.elem("HostId", hostID(q.reqID))
		x.close("ErrorResponse")
		x.write(w, status, "application/xml")
	case svcEC2:
		h.Set("x-amzn-RequestId", q.reqID)
		x := newXML()
		x.open("Response")
		x.open("Errors")
		x.open("Error")
		x.elem("Code", e.code)
		x.elem("Message", e.msg())
		x.close("Error")
		x.close("Errors")
		x.elem("RequestID", q.reqID)
		x.close("Response")
		x.write(w, status, "text/xml;charset=UTF-8")
	case svcOrganizations, svcKMS:
		h.Set("x-amzn-RequestId", q.reqID)
		body, _ := json.Marshal(struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}{e.code, e.msg()})
		h.Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		w.Write(body)
	default: // Query (STS, IAM) and unknown services
		ns := "https://sts.amazonaws.com/doc/" + stsVersion + "/"
		if q.svc == svcIAM {
			ns = "https://iam.amazonaws.com/doc/" + iamVersion + "/"
		}
		h.Set("x-amzn-RequestId", q.reqID)
		x := newXML()
		x.openNS("ErrorResponse", ns)
		x.open("Error")
		if status >= 500 {
			x.elem("Type", "Receiver")
		} else {
			x.elem("Type", "Sender")
		}
		x.elem("Code", e.code)
		x.elem("Message", e.msg())
		x.close("Error")
		x.elem("RequestId", q.reqID)
		x.close("ErrorResponse")
		x.write(w, status, "text/xml")
	}
}

// hostID is the x-amz-id-2 value for a request ID.
func hostID(reqID string) string { return "fakeaws/" + reqID }

// unsupported answers an operation the emulator does not implement. The
// emulator is read-only: every mutating call is refused this way.
func unsupported(q *request) *apiError {
	msg := "fakeaws does not emulate " + q.svc.String() + ":" + q.op + " (it serves read-only auditing calls)"
	switch q.svc {
	case svcS3, svcS3Control:
		return &apiError{code: "NotImplemented", message: msg, status: http.StatusNotImplemented}
	case svcOrganizations, svcKMS:
		return &apiError{code: "UnknownOperationException", message: msg}
	case svcEC2:
		return &apiError{code: "InvalidAction", message: msg}
	}
	return &apiError{code: "InvalidAction", message: msg}
}

// codeForTooLarge is the code for an oversized request body.
func codeForTooLarge(svc service) string {
	switch svc {
	case svcS3, svcS3Control:
		return "MaxMessageLengthExceeded"
	case svcOrganizations, svcKMS:
		return "ValidationException"
	}
	return "ValidationError"
}

// accessDenied is the AccessDenied answer of each protocol for an action
// on a resource the caller cannot reach.
func accessDenied(q *request, action, resource string) *apiError {
	who := "anonymous"
	if q.caller != nil && q.caller.arn != "" {
		who = q.caller.arn
	}
	switch q.svc {
	case svcS3, svcS3Control:
		return &apiError{code: "AccessDenied", message: "Access Denied", bucket: q.bucket}
	case svcOrganizations:
		return errf("AccessDeniedException", "You don't have permissions to access this resource.")
	case svcKMS:
		return errf("AccessDeniedException", "User: "+who+" is not authorized to perform: "+action+" on resource: "+resource+" because no resource-based policy allows the "+action+" action")
	case svcEC2:
		return errf("UnauthorizedOperation", "You are not authorized to perform this operation. User: "+who+" is not authorized to perform: "+action)
	}
	return errf("AccessDenied", "User: "+who+" is not authorized to perform: "+action+" on resource: "+resource)
}
