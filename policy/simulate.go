package policy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// SimRequest is one request of `bucketaudit simulate`, in the JSON-lines
// shape of the policy oracle (../shared/oracle/README.md).
type SimRequest struct {
	ID                    json.RawMessage            `json:"id"`
	Principal             string                     `json:"principal"`
	Action                string                     `json:"action"`
	Resource              string                     `json:"resource"`
	ResourceAccount       string                     `json:"resource_account"`
	Context               map[string]json.RawMessage `json:"context"`
	IdentityPolicies      []json.RawMessage          `json:"identity_policies"`
	PermissionBoundary    json.RawMessage            `json:"permission_boundary"`
	SessionPolicy         json.RawMessage            `json:"session_policy"`
	ResourcePolicy        json.RawMessage            `json:"resource_policy"`
	SCPs                  [][]json.RawMessage        `json:"scps"`
	RCPs                  [][]json.RawMessage        `json:"rcps"`
	VPCEndpointPolicies   []json.RawMessage          `json:"vpc_endpoint_policies"`
	RestrictPublicBuckets bool                       `json:"restrict_public_buckets"`
}

// SimResponse is one line of `bucketaudit simulate` output.
type SimResponse struct {
	ID         json.RawMessage `json:"id"`
	Decision   string          `json:"decision"`
	DecidedBy  []string        `json:"decided_by,omitempty"`
	Statements []string        `json:"statements,omitempty"`
	Error      string          `json:"error,omitempty"`
}

// Simulator runs simulate requests. It caches parsed policies by their
// JSON text, so that requests sharing policies parse them once. Not safe
// for concurrent use.
type Simulator struct {
	// cache maps a policy's JSON text, then the name it is given in the
	// request, to the parsed policy (the same document under two names
	// shares its parse).
	cache  map[string]map[string]*Policy
	cached int
	ev     Evaluator
	res    Result
}

// NewSimulator returns a Simulator.
func NewSimulator() *Simulator { return &Simulator{cache: map[string]map[string]*Policy{}} }

// maxCache bounds the policy cache.
const maxCache = 100000

// Run reads requests as JSON lines from r and writes one response line per
// request to w, in order. A malformed line gets a response with decision
// "error" and the run goes on; Run fails only on I/O errors. Lines are
// evaluated in parallel (one worker per CPU, each with its own cache).
func (s *Simulator) Run(r io.Reader, w io.Writer) error {
	type batch struct {
		seq   int
		first int // line number of lines[0]
		lines [][]byte
		out   []byte
	}
	const batchSize = 64
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan *batch, workers)
	done := make(chan *batch, workers)
	var readErr error
	go func() {
		defer close(jobs)
		br := bufio.NewReaderSize(r, 1<<20)
		b := &batch{first: 1}
		lineNo := 0
		for {
			line, err := br.ReadBytes('\n')
			lineNo++
			if len(line) > 0 {
				b.lines = append(b.lines, line)
			}
			if len(b.lines) == batchSize || (err != nil && len(b.lines) > 0) {
				jobs <- b
				b = &batch{seq: b.seq + 1, first: lineNo + 1}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = fmt.Errorf("read requests: %w", err)
				}
				return
			}
			if len(b.lines) == 0 {
				b.first = lineNo + 1
			}
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		sim := s
		if i > 0 {
			sim = NewSimulator()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			for b := range jobs {
				buf.Reset()
				for j, line := range b.lines {
					if len(bytes.TrimSpace(line)) == 0 {
						continue
					}
					_ = enc.Encode(sim.Line(line, b.first+j)) // a SimResponse always encodes
				}
				b.out = append([]byte(nil), buf.Bytes()...)
				b.lines = nil
				done <- b
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	bw := bufio.NewWriterSize(w, 1<<16)
	pending := map[int]*batch{}
	next := 0
	var writeErr error
	for b := range done {
		pending[b.seq] = b
		for {
			nb, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if writeErr == nil {
				if _, err := bw.Write(nb.out); err != nil {
					writeErr = fmt.Errorf("write response: %w", err)
				}
			}
		}
	}
	if writeErr != nil {
		return writeErr
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return readErr
}

// Line evaluates one request line.
func (s *Simulator) Line(line []byte, lineNo int) SimResponse {
	var req SimRequest
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var id struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(line, &id)
		return SimResponse{ID: nullID(id.ID), Decision: "error", Error: fmt.Sprintf("line %d: invalid request: %v", lineNo, err)}
	}
	resp := SimResponse{ID: nullID(req.ID)}
	in, err := s.input(&req)
	if err != nil {
		resp.Decision, resp.Error = "error", fmt.Sprintf("line %d: %v", lineNo, err)
		return resp
	}
	s.ev.Evaluate(in, &s.res)
	resp.Decision = s.res.Decision.String()
	for _, l := range s.res.DecidedBy {
		resp.DecidedBy = append(resp.DecidedBy, l.String())
	}
	for _, st := range s.res.Statements {
		resp.Statements = append(resp.Statements, st.String())
	}
	return resp
}

func nullID(id json.RawMessage) json.RawMessage {
	if len(id) == 0 {
		return json.RawMessage("null")
	}
	return id
}

func (s *Simulator) input(req *SimRequest) (*Input, error) {
	switch {
	case req.Principal == "":
		return nil, errors.New(`"principal" is required (an ARN or "anonymous")`)
	case req.Action == "":
		return nil, errors.New(`"action" is required`)
	case req.Resource == "":
		return nil, errors.New(`"resource" is required`)
	}
	in := &Input{
		Principal:             req.Principal,
		Action:                req.Action,
		Resource:              req.Resource,
		ResourceAccount:       req.ResourceAccount,
		Context:               NewContext(),
		RestrictPublicBuckets: req.RestrictPublicBuckets,
	}
	for k, raw := range req.Context {
		vals, err := contextValues(raw)
		if err != nil {
			return nil, fmt.Errorf("context key %q: %w", k, err)
		}
		in.Context.Set(k, vals...)
	}
	var err error
	if in.IdentityPolicies, err = s.policies(req.IdentityPolicies, "identity policy %d"); err != nil {
		return nil, err
	}
	if in.PermissionBoundary, err = s.policy(req.PermissionBoundary, "permission boundary"); err != nil {
		return nil, err
	}
	if in.SessionPolicy, err = s.policy(req.SessionPolicy, "session policy"); err != nil {
		return nil, err
	}
	if in.ResourcePolicy, err = s.policy(req.ResourcePolicy, "resource policy"); err != nil {
		return nil, err
	}
	if in.SCPs, err = s.levels(req.SCPs, "scp"); err != nil {
		return nil, err
	}
	if in.RCPs, err = s.levels(req.RCPs, "rcp"); err != nil {
		return nil, err
	}
	if in.VPCEndpointPolicies, err = s.policies(req.VPCEndpointPolicies, "VPC endpoint policy %d"); err != nil {
		return nil, err
	}
	return in, nil
}

func (s *Simulator) levels(raw [][]json.RawMessage, what string) ([][]*Policy, error) {
	if raw == nil {
		return nil, nil
	}
	out := make([][]*Policy, len(raw))
	for i, lvl := range raw {
		ps, err := s.policies(lvl, what+" level "+strconv.Itoa(i)+" policy %d")
		if err != nil {
			return nil, err
		}
		if ps == nil {
			ps = []*Policy{}
		}
		out[i] = ps
	}
	return out, nil
}

func (s *Simulator) policies(raw []json.RawMessage, what string) ([]*Policy, error) {
	var out []*Policy
	for i, r := range raw {
		p, err := s.policy(r, fmt.Sprintf(what, i))
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// policy parses a policy given as a JSON object or as a JSON string holding
// the document (as AWS APIs return it).
func (s *Simulator) policy(raw json.RawMessage, name string) (*Policy, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	byName := s.cache[string(raw)]
	if p, ok := byName[name]; ok {
		return p, nil
	}
	if byName != nil {
		for _, p := range byName {
			named := *p // same document, another name: share the parse
			named.Name = name
			byName[name] = &named
			return &named, nil
		}
	}
	doc := []byte(raw)
	if raw[0] == '"' {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		doc = []byte(text)
	}
	p, err := Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.Name = name
	if s.cached >= maxCache {
		clear(s.cache)
		s.cached = 0
	}
	s.cache[string(raw)] = map[string]*Policy{name: p}
	s.cached++
	return p, nil
}

// contextValues reads a context value: a string, number or boolean, or a
// list of them.
func contextValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(list))
		for _, r := range list {
			v, err := scalarValue(r)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	v, err := scalarValue(raw)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}

func scalarValue(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strings.TrimSpace(string(raw)), nil
	}
	return "", fmt.Errorf("value must be a string, number or boolean, not %s", strings.TrimSpace(string(raw)))
}

// String returns "policy name#Sid" or "policy name#index", with the level
// for SCPs and RCPs: "scp level 1 policy 0#DenyDelete".
func (r StatementRef) String() string {
	id := r.Sid
	if id == "" {
		id = strconv.Itoa(r.Index)
	}
	return r.Policy + "#" + id
}
