package fakeaws

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
)

// sigv4 is a parsed AWS Signature Version 4 Authorization header.
type sigv4 struct {
	accessKey     string
	date          string // yyyymmdd
	region        string
	service       string
	signedHeaders []string
	// signedList is the SignedHeaders component as sent (names joined by ';').
	signedList string
	signature  string
}

const sigv4Algorithm = "AWS4-HMAC-SHA256"

// parseAuth parses the Authorization header; (nil, nil) means unsigned.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
func parseAuth(r *http.Request) (*sigv4, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	rest, ok := strings.CutPrefix(h, sigv4Algorithm+" ")
	if !ok {
		return nil, errors.New("unsupported authorization type (only AWS4-HMAC-SHA256 is accepted)")
	}
	a := &sigv4{}
	for more := true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("malformed authorization component %q", part)
		}
		switch k {
		case "Credential":
			var f [5]string
			n, rest := 0, v
			for ; n < len(f)-1; n++ {
				var ok bool
				if f[n], rest, ok = strings.Cut(rest, "/"); !ok {
					break
				}
			}
			f[n] = rest
			if n != len(f)-1 || f[4] != "aws4_request" {
				return nil, fmt.Errorf("malformed credential %q", v)
			}
			a.accessKey, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders, a.signedList = strings.Split(v, ";"), v
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKey == "" || a.signature == "" || len(a.signedHeaders) == 0 {
		return nil, errors.New("authorization header lacks Credential, SignedHeaders or Signature")
	}
	return a, nil
}

// signingKeys caches SigV4 signing keys, which depend only on the secret,
// the date, the region and the service, each with the HMACs keyed by it
// that verify reuses (hmac.New hashes the key's pads every time).
type signingKeys struct {
	mu   sync.RWMutex
	keys map[signingScope]*signingKey
	// bufs are idle buffers of canonical requests (*bytes.Buffer).
	bufs sync.Pool
}

// signingKey is a signing key and idle HMAC-SHA256 hashes keyed by it.
type signingKey struct {
	key   []byte
	macs  sync.Pool // hash.Hash, Reset before use
	label string    // the string to sign's scope line: date/region/service/aws4_request
}

// mac returns an HMAC keyed by k, reset; put it back with k.macs.Put.
func (k *signingKey) mac() hash.Hash {
	if m, ok := k.macs.Get().(hash.Hash); ok {
		m.Reset()
		return m
	}
	return hmac.New(sha256.New, k.key)
}

// maxSigningKeys bounds the cache (sessions × regions × services × days).
const maxSigningKeys = 4096

// signingScope is what a signing key derives from.
type signingScope struct{ secret, date, region, service string }

func (c *signingKeys) get(secret, date, region, service string) *signingKey {
	id := signingScope{secret, date, region, service}
	c.mu.RLock()
	k, ok := c.keys[id]
	c.mu.RUnlock()
	if ok {
		return k
	}
	key := hmacSHA256([]byte("AWS4"+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "aws4_request")
	k = &signingKey{key: key, label: date + "/" + region + "/" + service + "/aws4_request\n"}
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxSigningKeys {
		c.keys = map[signingScope]*signingKey{}
	}
	c.keys[id] = k
	c.mu.Unlock()
	return k
}

// verify checks the request's signature with secret.
func (a *sigv4) verify(q *request, secret string, keys *signingKeys) bool {
	r := q.r
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		amzDate = r.Header.Get("Date")
	}
	if !strings.HasPrefix(amzDate, a.date) {
		return false
	}
	cr, _ := keys.bufs.Get().(*bytes.Buffer)
	if cr == nil {
		cr = bytes.NewBuffer(make([]byte, 0, 1024))
	}
	defer keys.bufs.Put(cr)
	cr.Reset()
	cr.WriteString(r.Method)
	cr.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if q.svc != svcS3 && q.svc != svcS3Control {
		// Every service but S3 signs the URI-encoded path once more.
		path = awsEscape(path, false)
	}
	cr.WriteString(path)
	cr.WriteByte('\n')
	cr.WriteString(canonicalQuery(r.URL.RawQuery))
	cr.WriteByte('\n')
	for _, h := range a.signedHeaders {
		cr.WriteString(h)
		cr.WriteByte(':')
		cr.WriteString(canonicalHeaderValue(r, h))
		cr.WriteByte('\n')
	}
	cr.WriteByte('\n')
	cr.WriteString(a.signedList)
	cr.WriteByte('\n')
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		sum := sha256.Sum256(q.body)
		payload = hex.EncodeToString(sum[:])
	}
	cr.WriteString(payload)

	crHash := sha256.Sum256(cr.Bytes())
	// The string to sign, reusing the canonical request's buffer.
	cr.Reset()
	cr.WriteString(sigv4Algorithm + "\n")
	cr.WriteString(amzDate)
	cr.WriteByte('\n')
	k := keys.get(secret, a.date, a.region, a.service)
	cr.WriteString(k.label)
	var hexHash [2 * sha256.Size]byte
	hex.Encode(hexHash[:], crHash[:])
	cr.Write(hexHash[:])
	m := k.mac()
	m.Write(cr.Bytes())
	var sig, got [sha256.Size]byte
	sum := m.Sum(sig[:0])
	k.macs.Put(m)
	if len(a.signature) != hex.EncodedLen(sha256.Size) {
		return false
	}
	_, err := hex.Decode(got[:], []byte(a.signature))
	return err == nil && hmac.Equal(sum, got[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func canonicalHeaderValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header[signedHeaderKey(name)]
	if len(vals) == 1 && canonicalValue(vals[0]) {
		return vals[0]
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// signedHeaderKey is the http.Header key of a signed header's lower-case
// name: the usual ones without textproto's allocation.
func signedHeaderKey(name string) string {
	switch name {
	case "x-amz-date":
		return "X-Amz-Date"
	case "x-amz-content-sha256":
		return "X-Amz-Content-Sha256"
	case "x-amz-security-token":
		return "X-Amz-Security-Token"
	case "amz-sdk-invocation-id":
		return "Amz-Sdk-Invocation-Id"
	case "amz-sdk-request":
		return "Amz-Sdk-Request"
	case "content-type":
		return "Content-Type"
	case "x-amz-target":
		return "X-Amz-Target"
	case "x-amz-account-id":
		return "X-Amz-Account-Id"
	case "x-amz-user-agent":
		return "X-Amz-User-Agent"
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// canonicalValue reports whether v is its own SigV4 canonical form: ASCII,
// no leading or trailing space, no run of spaces and no other white space
// (what strings.Join(strings.Fields(v), " ") would change).
func canonicalValue(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 0x80, c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			return false
		case c == ' ' && (i == 0 || i == len(v)-1 || v[i+1] == ' '):
			return false
		}
	}
	return true
}

// canonicalQuery sorts and re-encodes a raw query string as SigV4 wants it.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	if k, v, _ := strings.Cut(raw, "="); unreservedQuery(k) && unreservedQuery(v) {
		// One parameter (a bucket's subresource, list-type=2) that needs
		// no escaping: it is its own canonical form, with its "=".
		if len(k) == len(raw) {
			return raw + "="
		}
		return raw
	}
	type kv struct{ k, v string }
	var pairs []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		pairs = append(pairs, kv{awsEscape(k, true), awsEscape(v, true)})
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// unreservedQuery reports whether s is made of the characters awsEscape
// leaves as they are (a "/" it escapes in a query), nothing else.
func unreservedQuery(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// awsEscape percent-encodes every byte but the unreserved characters
// (A-Z a-z 0-9 - _ . ~) and, unless encodeSlash, '/'.
func awsEscape(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// caller is the authenticated identity of a request.
type caller struct {
	account   string
	arn       string
	userID    string
	anonymous bool
	session   *session // nil for the management credentials
}

// session is a set of temporary credentials minted by AssumeRole.
type session struct {
	accessKey, secret, token string
	account                  string
	roleName, rolePath       string
	roleID                   string
	sessionName              string
	expires                  time.Time
}

// arn returns the session's ARN in partition.
func (s *session) arn(partition string) string {
	return awsid.AssumedRole(partition, s.account, s.roleName, s.sessionName)
}

// sessionStore holds minted sessions. Keys and secrets are derived from
// the fixture's seed and a counter, so a run is reproducible.
type sessionStore struct {
	seed int64
	mu   sync.Mutex
	seq  uint64
	byAK map[string]*session
}

func newSessionStore(seed int64) *sessionStore {
	return &sessionStore{seed: seed, byAK: map[string]*session{}}
}

func (st *sessionStore) mint(account, roleName, rolePath, sessionName string, expires time.Time) *session {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.seq++
	material := sha256.Sum256(fmt.Appendf(nil, "fakeaws-session/%d/%d", st.seed, st.seq))
	h := strings.ToUpper(hex.EncodeToString(material[:]))
	s := &session{
		accessKey:   "ASIA" + h[:16],
		secret:      hex.EncodeToString(material[8:28]),
		token:       "FakeSessionToken/" + hex.EncodeToString(material[:]),
		account:     account,
		roleName:    roleName,
		rolePath:    rolePath,
		roleID:      roleID(account, rolePath, roleName),
		sessionName: sessionName,
		expires:     expires,
	}
	st.byAK[s.accessKey] = s
	return s
}

func (st *sessionStore) get(accessKey string) *session {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.byAK[accessKey]
}

// roleID returns a stable unique ID (AROA…) for a role.
func roleID(account, path, name string) string {
	sum := sha256.Sum256([]byte("role/" + account + path + name))
	return "AROA" + strings.ToUpper(hex.EncodeToString(sum[:]))[:17]
}

// authenticate identifies the caller of a request.
func (s *Server) authenticate(q *request) (*caller, *apiError) {
	if q.authErr != nil {
		return nil, authError(q.svc, authMalformed, q.authErr.Error())
	}
	if q.auth == nil {
		// AssumeRoleWithWebIdentity is not signed: the web identity token
		// is the credential.
		// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
		if q.svc == svcS3 || (q.svc == svcSTS && q.op == "AssumeRoleWithWebIdentity") {
			return &caller{anonymous: true, arn: "anonymous"}, nil
		}
		return nil, authError(q.svc, authMissing, "")
	}
	a := q.auth
	if strings.HasPrefix(a.accessKey, "ASIA") {
		sess := s.sessions.get(a.accessKey)
		if sess == nil {
			return nil, authError(q.svc, authUnknownKey, "")
		}
		if !a.verify(q, sess.secret, &s.sigKeys) {
			return nil, authError(q.svc, authBadSignature, "")
		}
		if q.r.Header.Get("X-Amz-Security-Token") != sess.token {
			return nil, authError(q.svc, authBadToken, "")
		}
		if !s.now().Before(sess.expires) {
			return nil, authError(q.svc, authExpired, "")
		}
		return &caller{account: sess.account, arn: sess.arn(s.idx.partition), userID: sess.roleID + ":" + sess.sessionName, session: sess}, nil
	}
	mgmt := s.idx.managementAccount
	if mc := s.idx.managementCredentials; mc != nil {
		if a.accessKey != mc.AccessKeyID {
			return nil, authError(q.svc, authUnknownKey, "")
		}
		if !a.verify(q, mc.SecretAccessKey, &s.sigKeys) {
			return nil, authError(q.svc, authBadSignature, "")
		}
	} else if a.accessKey == DefaultAccessKeyID && !a.verify(q, DefaultSecretAccessKey, &s.sigKeys) {
		return nil, authError(q.svc, authBadSignature, "")
	}
	return &caller{account: mgmt, arn: awsid.Root(s.idx.partition, mgmt), userID: mgmt}, nil
}

// authProblem is a kind of authentication failure.
type authProblem uint8

const (
	authMissing authProblem = iota
	authMalformed
	authUnknownKey
	authBadSignature
	authBadToken
	authExpired
)

// authError renders an authentication failure with the code each
// protocol uses for it.
func authError(svc service, p authProblem, detail string) *apiError {
	type answer struct {
		code, msg string
		status    int
	}
	var a answer
	switch svc {
	case svcS3, svcS3Control:
		a = map[authProblem]answer{
			authMissing:      {"AccessDenied", "Access Denied", 403},
			authMalformed:    {"AuthorizationHeaderMalformed", "The authorization header is malformed; " + detail, 400},
			authUnknownKey:   {"InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403},
			authBadSignature: {"SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", 403},
			authBadToken:     {"InvalidToken", "The provided token is malformed or otherwise invalid.", 400},
			authExpired:      {"ExpiredToken", "The provided token has expired.", 400},
		}[p]
	case svcOrganizations, svcKMS:
		a = map[authProblem]answer{
			authMissing:      {"MissingAuthenticationTokenException", "Missing Authentication Token", 400},
			authMalformed:    {"IncompleteSignatureException", "Authorization header is malformed: " + detail, 400},
			authUnknownKey:   {"UnrecognizedClientException", "The security token included in the request is invalid.", 400},
			authBadSignature: {"InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", 400},
			authBadToken:     {"UnrecognizedClientException", "The security token included in the request is invalid.", 400},
			authExpired:      {"ExpiredTokenException", "The security token included in the request is expired", 400},
		}[p]
	case svcEC2:
		a = map[authProblem]answer{
			authMissing:      {"MissingAuthenticationToken", "Request is missing Authentication Token", 401},
			authMalformed:    {"IncompleteSignature", "Authorization header is malformed: " + detail, 400},
			authUnknownKey:   {"AuthFailure", "AWS was not able to validate the provided access credentials", 401},
			authBadSignature: {"SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", 403},
			authBadToken:     {"AuthFailure", "AWS was not able to validate the provided access credentials", 401},
			authExpired:      {"RequestExpired", "Request has expired.", 400},
		}[p]
	default: // Query: STS, IAM
		a = map[authProblem]answer{
			authMissing:      {"MissingAuthenticationToken", "Request is missing Authentication Token", 403},
			authMalformed:    {"IncompleteSignature", "Authorization header is malformed: " + detail, 400},
			authUnknownKey:   {"InvalidClientTokenId", "The security token included in the request is invalid.", 403},
			authBadSignature: {"SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", 403},
			authBadToken:     {"InvalidClientTokenId", "The security token included in the request is invalid.", 403},
			authExpired:      {"ExpiredToken", "The security token included in the request is expired", 403},
		}[p]
	}
	return &apiError{code: a.code, message: a.msg, status: a.status}
}
