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

// SimResponse is one line of `bucketaudit simulate` output.
type SimResponse struct {
	ID         json.RawMessage `json:"id"`
	Decision   string          `json:"decision"`
	DecidedBy  []string        `json:"decided_by,omitempty"`
	Statements []string        `json:"statements,omitempty"`
	Error      string          `json:"error,omitempty"`
}

// Simulator runs simulate requests. It caches parsed policies by their
// JSON text, so that requests sharing policies parse them once, and
// compiles each statement when an evaluation first needs it. Not safe for
// concurrent use, nor are the policies it parses.
type Simulator struct {
	// cache maps a policy's JSON text to the policies parsed from it, one
	// per name requests give it (the same document under two names shares
	// its parse).
	cache policyCache
	// jp parses request lines, reusing its memory from line to line.
	jp jparser
	// eager compiles policies whole when parsed rather than lazily (the
	// reference path of the tests).
	eager bool
	ev    Evaluator
	res   Result
}

// NewSimulator returns a Simulator.
func NewSimulator() *Simulator { return &Simulator{cache: newPolicyCache()} }

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
			for b := range jobs {
				buf.Reset()
				for j, line := range b.lines {
					if len(bytes.TrimSpace(line)) == 0 {
						continue
					}
					resp := sim.Line(line, b.first+j)
					appendResponse(&buf, &resp)
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

// Line evaluates one request line (the request shape of the policy oracle,
// ../shared/oracle/README.md): id, principal, action, resource,
// resource_account, context, identity_policies, permission_boundary,
// session_policy, resource_policy, scps, rcps, vpc_endpoint_policies,
// restrict_public_buckets. Policies are JSON objects or JSON strings
// holding the document.
func (s *Simulator) Line(line []byte, lineNo int) SimResponse {
	jp := &s.jp
	jp.reset(string(line))
	root, err := jp.parseDocument()
	if err != nil {
		var se *syntaxError
		msg := err.Error()
		if errors.As(err, &se) {
			_, col := jp.position(se.off)
			msg = fmt.Sprintf("column %d: %s", col, se.msg)
		}
		return SimResponse{ID: json.RawMessage("null"), Decision: "error", Error: fmt.Sprintf("line %d: invalid request: %s", lineNo, msg)}
	}
	resp := SimResponse{ID: json.RawMessage("null")}
	if root.kind == jObject {
		for _, m := range root.members {
			if m.key == "id" {
				resp.ID = json.RawMessage(jp.src[m.val.off:m.val.end])
			}
		}
	}
	in, err := s.input(jp, root)
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

// input builds the Input of a request object.
func (s *Simulator) input(jp *jparser, root *jnode) (*Input, error) {
	if root.kind != jObject {
		return nil, fmt.Errorf("a request must be a JSON object, not %s", root.kind)
	}
	in := &Input{Context: NewContext()}
	str := func(m jmember) (string, error) {
		if m.val.kind != jString {
			return "", fmt.Errorf("%q must be a string, not %s", m.key, m.val.kind)
		}
		return m.val.str, nil
	}
	var err error
	for _, m := range root.members {
		switch m.key {
		case "id":
		case "principal":
			in.Principal, err = str(m)
		case "action":
			in.Action, err = str(m)
		case "resource":
			in.Resource, err = str(m)
		case "resource_account":
			in.ResourceAccount, err = str(m)
		case "context":
			err = s.context(in.Context, m.val)
		case "identity_policies":
			in.IdentityPolicies, err = s.policyList(jp, m.val, "identity policy %d")
		case "permission_boundary":
			in.PermissionBoundary, err = s.policy(jp, m.val, "permission boundary")
		case "session_policy":
			in.SessionPolicy, err = s.policy(jp, m.val, "session policy")
		case "resource_policy":
			in.ResourcePolicy, err = s.policy(jp, m.val, "resource policy")
		case "scps":
			in.SCPs, err = s.levels(jp, m.val, "scp")
		case "rcps":
			in.RCPs, err = s.levels(jp, m.val, "rcp")
		case "vpc_endpoint_policies":
			in.VPCEndpointPolicies, err = s.policyList(jp, m.val, "VPC endpoint policy %d")
		case "restrict_public_buckets":
			if m.val.kind != jBool && m.val.kind != jNull {
				err = fmt.Errorf("%q must be a boolean, not %s", m.key, m.val.kind)
			}
			in.RestrictPublicBuckets = m.val.str == "true"
		default:
			err = fmt.Errorf("unknown field %q", m.key)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case in.Principal == "":
		return nil, errors.New(`"principal" is required (an ARN or "anonymous")`)
	case in.Action == "":
		return nil, errors.New(`"action" is required`)
	case in.Resource == "":
		return nil, errors.New(`"resource" is required`)
	}
	return in, nil
}

// context fills ctx from a context object: each value a string, number or
// boolean, or a list of them.
func (s *Simulator) context(ctx *Context, n *jnode) error {
	if n.kind == jNull {
		return nil
	}
	if n.kind != jObject {
		return fmt.Errorf(`"context" must be an object, not %s`, n.kind)
	}
	for _, m := range n.members {
		vals := []*jnode{m.val}
		if m.val.kind == jArray {
			vals = m.val.elems
		}
		out := make([]string, 0, len(vals))
		for _, v := range vals {
			switch v.kind {
			case jString, jNumber, jBool:
				out = append(out, v.str)
			default:
				return fmt.Errorf("context key %q: value must be a string, number or boolean, not %s", m.key, v.kind)
			}
		}
		ctx.Set(m.key, out...)
	}
	return nil
}

func (s *Simulator) levels(jp *jparser, n *jnode, what string) ([][]*Policy, error) {
	if n.kind == jNull {
		return nil, nil
	}
	if n.kind != jArray {
		return nil, fmt.Errorf("%ss must be a list of levels, not %s", what, n.kind)
	}
	out := make([][]*Policy, len(n.elems))
	for i, lvl := range n.elems {
		ps, err := s.policyList(jp, lvl, what+" level "+strconv.Itoa(i)+" policy %d")
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

func (s *Simulator) policyList(jp *jparser, n *jnode, what string) ([]*Policy, error) {
	if n.kind == jNull {
		return nil, nil
	}
	if n.kind != jArray {
		return nil, fmt.Errorf("%s: expected a list of policies, not %s", strings.TrimSuffix(what, " %d"), n.kind)
	}
	var out []*Policy
	for i, e := range n.elems {
		p, err := s.policy(jp, e, strings.Replace(what, "%d", strconv.Itoa(i), 1))
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// policy builds a policy given as a JSON object (parsed with the request)
// or as a JSON string holding the document (as AWS APIs return it).
func (s *Simulator) policy(jp *jparser, n *jnode, name string) (*Policy, error) {
	raw := jp.src[n.off:n.end]
	switch n.kind {
	case jNull:
		return nil, nil
	case jObject, jString:
	default:
		return nil, fmt.Errorf("%s: a policy must be an object or a string, not %s", name, n.kind)
	}
	named := s.cache.get(raw)
	for _, p := range named {
		if p.Name == name {
			return p, nil
		}
	}
	if len(named) > 0 {
		p := *named[0] // same document, another name: share the parse
		p.Name = name
		s.cache.set(raw, append(named, &p))
		return &p, nil
	}
	var p *Policy
	var err error
	build := parseNodeLazy
	if s.eager {
		build = parseNode
	}
	if n.kind == jString {
		p, err = parseWith([]byte(n.str), build)
	} else {
		p, err = build(jp, n)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.Name = name
	s.cache.set(raw, []*Policy{p})
	return p, nil
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
