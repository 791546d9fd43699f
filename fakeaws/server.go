// Package fakeaws is an AWS API emulator: one HTTP server on loopback that
// the unmodified aws-sdk-go-v2 clients and the AWS CLI talk to, serving an
// organisation described by an inventory document over the real wire
// protocols (Organizations, STS, S3, S3 Control, KMS, IAM, EC2), with fault
// injection.
//
// The emulator identifies the caller from the SigV4 Authorization header:
// keys minted by its own AssumeRole are sessions of the assumed role (their
// signatures are verified and they expire), every other key is the
// management account's credentials (verified when the fixture sets
// organization.management_credentials). Every answer is scoped to the
// caller's account.
//
// A fixture field listed in an errors map (bucket, account, KMS key, OU,
// organisation policy) is answered with that error ("Code: message"), so a
// scan of a fixture gives the same errors back.
package fakeaws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// Default management credentials, accepted when the fixture sets none.
const (
	DefaultAccessKeyID     = "AKIAFAKEAWSMANAGEMENT"
	DefaultSecretAccessKey = "fakeaws-management-secret"
)

// DefaultPageSize is the largest page the emulator returns from a list
// operation (unless Options.PageSize says otherwise), so that paginators
// are exercised with a handful of items. S3 ListBuckets honours max-buckets
// as AWS does.
const DefaultPageSize = 3

// maxBodyBytes bounds a request body; every emulated operation has a small one.
const maxBodyBytes = 1 << 20

// Options tune a Server.
type Options struct {
	// Latency overrides the fixture's faults.latency when > 0.
	Latency time.Duration
	Log     zerolog.Logger
	// Now is the clock (session expiry, throttling); nil means time.Now.
	Now func() time.Time
	// PageSize caps list pages; 0 means DefaultPageSize.
	PageSize int
	// OutputBucket, when set, is a bucket of no account of the fixture, in
	// us-east-1, that accepts PutObject, GetObject and ListObjectsV2 from
	// any caller but the audit role's sessions: where snapshots and
	// reports go. No other bucket accepts an object operation.
	OutputBucket string
}

// Stats counts the requests served.
type Stats struct {
	Requests    int64            `json:"requests"`
	ByOperation map[string]int64 `json:"by_operation"`
}

// Server is the emulator. It is an http.Handler.
type Server struct {
	log      zerolog.Logger
	now      func() time.Time
	latency  time.Duration
	pageSize int
	// sessionTTL overrides AssumeRole's DurationSeconds when > 0.
	sessionTTL time.Duration
	idx        *index
	sessions   *sessionStore
	outputs    *outputBucket
	sigKeys    signingKeys
	faults     *faultState
	stats      *statsCounter
	reqSeq     atomic.Uint64

	mu      sync.Mutex
	httpSrv *http.Server
	served  chan struct{}
}

// New returns an emulator serving doc (validated by the caller). The
// emulator reads doc while it serves; the caller must not modify it.
func New(doc *inventory.Document, opts Options) (*Server, error) {
	if doc == nil {
		return nil, errors.New("fakeaws: nil document")
	}
	idx, err := buildIndex(doc)
	if err != nil {
		return nil, fmt.Errorf("fakeaws: %w", err)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{
		log:      opts.Log,
		now:      now,
		pageSize: opts.PageSize,
		idx:      idx,
		stats:    newStatsCounter(),
	}
	if s.pageSize <= 0 {
		s.pageSize = DefaultPageSize
	}
	var seed int64
	if f := doc.Faults; f != nil {
		s.latency = time.Duration(f.Latency)
		s.sessionTTL = time.Duration(f.SessionTTL)
		seed = f.Seed
	}
	if opts.Latency > 0 {
		s.latency = opts.Latency
	}
	s.sessions = newSessionStore(seed)
	if opts.OutputBucket != "" {
		if idx.buckets[opts.OutputBucket] != nil {
			return nil, fmt.Errorf("fakeaws: output bucket %s is a bucket of the fixture: the audited buckets accept no write", opts.OutputBucket)
		}
		s.outputs = &outputBucket{name: opts.OutputBucket, objects: map[string][]byte{}}
	}
	s.faults, err = newFaultState(doc.Faults, now)
	if err != nil {
		return nil, fmt.Errorf("fakeaws: %w", err)
	}
	return s, nil
}

// ServeHTTP answers one AWS API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		http.Error(w, "fakeaws answers plain-HTTP proxy requests only (use an http:// endpoint)", http.StatusMethodNotAllowed)
		return
	}
	var body []byte
	if r.ContentLength != 0 {
		var err error
		limit := int64(maxBodyBytes)
		if s.outputs != nil && r.Method == http.MethodPut {
			limit = maxOutputObjectBytes // an object for the output bucket, checked below
		}
		body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			http.Error(w, "read request body: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	req := &request{
		r:     r,
		body:  body,
		reqID: s.requestID(),
	}
	req.classify()
	s.stats.count(req.svc, req.op)
	if len(body) > maxBodyBytes && !(s.outputs.holds(req) && len(body) <= maxOutputObjectBytes) {
		s.writeError(w, req, errf(codeForTooLarge(req.svc), "request body too large"))
		return
	}
	if s.latency > 0 {
		t := time.NewTimer(s.latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	if aerr := s.serve(w, req); aerr != nil {
		s.writeError(w, req, aerr)
	}
	if s.log.GetLevel() <= zerolog.DebugLevel {
		s.log.Debug().Str("service", req.svc.String()).Str("operation", req.op).
			Str("account_id", req.callerAccount()).Str("region", req.region).Str("bucket", req.bucket).
			Msg("fakeaws request")
	}
}

// serve authenticates, applies faults and dispatches the request.
func (s *Server) serve(w http.ResponseWriter, req *request) *apiError {
	if req.svc == svcUnknown {
		return errf("InvalidAction", "fakeaws cannot tell which AWS service this request is for")
	}
	c, aerr := s.authenticate(req)
	if aerr != nil {
		return aerr
	}
	req.caller = c
	if aerr := s.faults.throttled(req); aerr != nil {
		return aerr
	}
	handler := s.handlerFor(req)
	if handler == nil {
		return unsupported(req)
	}
	return handler(w, req)
}

func (s *Server) requestID() string {
	n := s.reqSeq.Add(1)
	const digits = "0123456789ABCDEF"
	var b [20]byte
	copy(b[:], "FAKE")
	for i := 19; i >= 4; i-- {
		b[i] = digits[n&15]
		n >>= 4
	}
	return string(b[:])
}

// Listen starts serving on addr (e.g. "127.0.0.1:0") in the background and
// returns the base URL, "http://127.0.0.1:PORT".
func (s *Server) Listen(addr string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpSrv != nil {
		return "", errors.New("fakeaws: already listening")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("fakeaws: listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan struct{})
	s.httpSrv, s.served = srv, served
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error().Err(err).Msg("fakeaws: serve")
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close stops the server: it stops accepting connections, waits up to two
// seconds for requests in flight, then closes what is left (clients often
// keep connections they dialled but never used, which would otherwise
// hold Shutdown for five seconds).
func (s *Server) Close() error {
	s.mu.Lock()
	srv, served := s.httpSrv, s.served
	s.httpSrv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	<-served
	return err
}

// Stats returns the request counts so far.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// statsCounter counts requests per "service:Operation" without a lock on
// the hot path for known operations.
type statsCounter struct {
	total atomic.Int64
	known map[serviceOp]*atomic.Int64
	mu    sync.Mutex
	other map[string]int64
}

// serviceOp is a known operation: its service's name and its own.
type serviceOp struct{ service, op string }

func newStatsCounter() *statsCounter {
	c := &statsCounter{known: map[serviceOp]*atomic.Int64{}, other: map[string]int64{}}
	for _, op := range knownOperations() {
		svc, name, _ := strings.Cut(op, ":")
		c.known[serviceOp{svc, name}] = new(atomic.Int64)
	}
	return c
}

func (c *statsCounter) count(svc service, op string) {
	c.total.Add(1)
	if n, ok := c.known[serviceOp{svc.String(), op}]; ok {
		n.Add(1)
		return
	}
	c.mu.Lock()
	c.other[svc.String()+":"+op]++
	c.mu.Unlock()
}

func (c *statsCounter) snapshot() Stats {
	st := Stats{Requests: c.total.Load(), ByOperation: map[string]int64{}}
	for op, n := range c.known {
		if v := n.Load(); v > 0 {
			st.ByOperation[op.service+":"+op.op] = v
		}
	}
	c.mu.Lock()
	for op, n := range c.other {
		st.ByOperation[op] += n
	}
	c.mu.Unlock()
	return st
}

// ManagementKeys returns the static credentials the emulator accepts for
// doc's management account: the fixture's management_credentials, or the
// default pair.
func ManagementKeys(doc *inventory.Document) (accessKeyID, secretAccessKey string) {
	if doc != nil && doc.Organization != nil && doc.Organization.ManagementCredentials != nil {
		c := doc.Organization.ManagementCredentials
		return c.AccessKeyID, c.SecretAccessKey
	}
	return DefaultAccessKeyID, DefaultSecretAccessKey
}
