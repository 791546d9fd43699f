package org

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// AWS error codes that bucketaudit treats specially. Every classification
// of an AWS error goes through ErrorCode (smithy.APIError codes), never
// through the message text.
const (
	// Not-found codes: the only answers read as "not configured".
	CodeNoSuchBucketPolicy                      = "NoSuchBucketPolicy"
	CodeNoSuchPublicAccessBlockConfiguration    = "NoSuchPublicAccessBlockConfiguration"
	CodeOwnershipControlsNotFound               = "OwnershipControlsNotFoundError"
	CodeServerSideEncryptionConfigurationAbsent = "ServerSideEncryptionConfigurationNotFoundError"
	CodeNoSuchTagSet                            = "NoSuchTagSet"
	CodePolicyTypeNotEnabled                    = "PolicyTypeNotEnabledException"
	// CodeOrganizationsNotInUse: the calling account belongs to no
	// organisation (DescribeOrganization), so no SCP or RCP applies to it.
	CodeOrganizationsNotInUse = "AWSOrganizationsNotInUseException"

	// Codes that change what the scanner does next.
	CodeAccessDenied      = "AccessDenied"
	CodePermanentRedirect = "PermanentRedirect"
	CodeExpiredToken      = "ExpiredToken"
	CodeNoSuchBucket      = "NoSuchBucket"

	// Codes for failures that are not AWS answers.
	CodeCanceled = "Canceled"
	CodeTimeout  = "Timeout"
	CodeClient   = "ClientError"
)

// ExpiredTokenCodes are the codes AWS services use for expired session
// credentials; the scanner refreshes the session and retries on them.
func ExpiredTokenCodes() []string {
	return []string{CodeExpiredToken, "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
}

// ErrorCode returns the AWS error code of err (smithy.APIError), or one of
// CodeCanceled, CodeTimeout and CodeClient for failures that are not AWS
// answers. It returns "" for a nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() != "" {
		return ae.ErrorCode()
	}
	if errors.Is(err, context.Canceled) {
		return CodeCanceled
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return CodeTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return CodeTimeout
	}
	return CodeClient
}

// HasCode reports whether err is an AWS error with one of codes.
func HasCode(err error, codes ...string) bool {
	if err == nil {
		return false
	}
	code := ErrorCode(err)
	for _, c := range codes {
		if code == c {
			return true
		}
	}
	return false
}

// FetchErrorOf is err as the inventory records a fetch error: the AWS
// error code (ErrorCode) and message as AWS returned it; for a failure that
// is not an AWS answer, the cause of the error's text.
func FetchErrorOf(err error) inventory.FetchError {
	code := ErrorCode(err)
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() != "" {
		return inventory.NewFetchError(code, ae.ErrorMessage())
	}
	msg := err.Error()
	// Operation errors repeat the operation and request ID; keep the cause.
	if i := strings.LastIndex(msg, ", "); i >= 0 && strings.HasPrefix(msg, "operation error") {
		msg = msg[i+2:]
	}
	return inventory.NewFetchError(code, msg)
}

// SetError records err under key in the Errors map *m (made when nil), as
// FetchErrorOf gives it.
func SetError(m *inventory.Errors, key string, err error) { m.Set(key, FetchErrorOf(err)) }
