package scanner

import (
	"context"
	"fmt"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"

	"github.com/bucketaudit/bucketaudit/internal/readonly"
)

// Who makes a call: it decides which IAM policy must allow the action
// (readonly.Caller*; the allowlist lives in internal/readonly, plain data
// without the SDK, so that deploy can generate policies from it).
const (
	CallerAuditRole  = readonly.CallerAuditRole
	CallerScanner    = readonly.CallerScanner
	CallerManagement = readonly.CallerManagement
)

// Operation is one AWS API operation the scanner may call.
type Operation = readonly.Operation

// Allowlist returns every operation the scanner is allowed to call, each
// mapped to its IAM action; the read-only guard refuses any other
// (readonly.Allowlist).
func Allowlist() []Operation { return readonly.Allowlist() }

// NotAllowedError is returned, before anything is sent, for an operation
// that is not on the allowlist.
type NotAllowedError struct {
	Service, Operation string
}

func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("read-only guard: %s %s is not on the allowlist of read operations; refused before sending", e.Service, e.Operation)
}

// readOnlyGuard is an Initialize-step middleware: the first thing every
// operation runs after the SDK registers its service and operation name.
type readOnlyGuard struct {
	allowed map[opKey]bool
}

// opKey is an operation's SDK service ID and name.
type opKey struct{ service, operation string }

func newReadOnlyGuard() *readOnlyGuard {
	g := &readOnlyGuard{allowed: map[opKey]bool{}}
	for _, op := range Allowlist() {
		g.allowed[opKey{op.Service, op.Name}] = true
	}
	return g
}

func (*readOnlyGuard) ID() string { return "BucketauditReadOnlyGuard" }

func (g *readOnlyGuard) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	svc, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
	if !g.allowed[opKey{svc, op}] {
		return middleware.InitializeOutput{}, middleware.Metadata{}, &NotAllowedError{Service: svc, Operation: op}
	}
	return next.HandleInitialize(ctx, in)
}

// addReadOnlyGuard installs the guard on a stack (an aws.Config APIOptions entry).
func addReadOnlyGuard(g *readOnlyGuard) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(g, middleware.After)
	}
}
