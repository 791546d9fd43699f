// Package fakeaws is an AWS API emulator: one HTTP server on loopback that
// the unmodified aws-sdk-go-v2 clients and the AWS CLI talk to, serving an
// organisation described by an inventory document over the real wire
// protocols (Organizations, STS, S3, S3 Control, KMS, IAM, EC2), with fault
// injection.
package fakeaws

// NOTE(skeleton): signatures are the contract other packages (scanner
// tests, demo, benchmarks) are written against; the emulator issue
// implements them.

import (
	"errors"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// Default management credentials, accepted when the fixture sets none.
const (
	DefaultAccessKeyID     = "AKIAFAKEAWSMANAGEMENT"
	DefaultSecretAccessKey = "fakeaws-management-secret"
)

// Options tune a Server.
type Options struct {
	// Latency overrides the fixture's faults.latency when > 0.
	Latency time.Duration
	Log     zerolog.Logger
	// Now is the clock (session expiry); nil means time.Now.
	Now func() time.Time
}

// Stats counts the requests served.
type Stats struct {
	Requests    int64            `json:"requests"`
	ByOperation map[string]int64 `json:"by_operation"`
}

// Server is the emulator. It is an http.Handler.
type Server struct{}

// New returns an emulator serving doc (validated by the caller).
func New(doc *inventory.Document, opts Options) (*Server, error) {
	return nil, errors.New("fakeaws: not implemented yet")
}

// ServeHTTP answers one AWS API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// Listen starts serving on addr (e.g. "127.0.0.1:0") in the background and
// returns the base URL, "http://127.0.0.1:PORT".
func (s *Server) Listen(addr string) (string, error) {
	return "", errors.New("fakeaws: not implemented yet")
}

// Close stops the server.
func (s *Server) Close() error { return nil }

// Stats returns the request counts so far.
func (s *Server) Stats() Stats { return Stats{} }

// Synthetic generates a deterministic organisation of accounts member
// accounts (plus the management account) with buckets buckets each.
func Synthetic(accounts, buckets int) *inventory.Document { return nil }
