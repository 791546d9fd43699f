package fakeaws

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// page is one page of a listing: items [start, end) and the token for the
// next page ("" on the last page).
type page struct {
	start, end int
	next       string
}

// paginate cuts a listing of n items. scope names the listing (operation
// and parameters) so that a token from another listing is refused; token
// is the caller's token ("" for the first page); limit is the caller's
// page size (0 for none), capped at the server's page size.
func (s *Server) paginate(n int, scope, token string, limit int) (page, bool) {
	size := s.pageSize
	if limit > 0 && limit < size {
		size = limit
	}
	start := 0
	if token != "" {
		var ok bool
		if start, ok = decodeToken(token, scope); !ok || start > n {
			return page{}, false
		}
	}
	end := min(start+size, n)
	p := page{start: start, end: end}
	if end < n {
		p.next = encodeToken(scope, end)
	}
	return p, true
}

func encodeToken(scope string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("fakeaws\x00" + scope + "\x00" + strconv.Itoa(offset)))
}

func decodeToken(token, scope string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[0] != "fakeaws" || parts[1] != scope {
		return 0, false
	}
	off, err := strconv.Atoi(parts[2])
	if err != nil || off < 0 {
		return 0, false
	}
	return off, true
}

// handlerFunc answers one operation; a non-nil error is rendered in the
// request's protocol.
type handlerFunc func(w http.ResponseWriter, q *request) *apiError

// handlerFor returns the handler of a request's operation, nil when the
// emulator does not implement it.
func (s *Server) handlerFor(q *request) handlerFunc {
	switch q.svc {
	case svcS3:
		return s.s3Handler(q)
	case svcS3Control:
		if q.op == "GetPublicAccessBlock" {
			return s.s3ControlGetPublicAccessBlock
		}
	case svcSTS:
		switch q.op {
		case "AssumeRole":
			return s.stsAssumeRole
		case "AssumeRoleWithWebIdentity":
			return s.stsAssumeRoleWithWebIdentity
		case "GetCallerIdentity":
			return s.stsGetCallerIdentity
		}
	case svcOrganizations:
		return s.organizationsHandler(q.op)
	case svcKMS:
		return s.kmsHandler(q.op)
	case svcIAM:
		if q.op == "GetAccountAuthorizationDetails" {
			return s.iamGetAccountAuthorizationDetails
		}
	case svcEC2:
		if q.op == "DescribeVpcEndpoints" {
			return s.ec2DescribeVpcEndpoints
		}
	}
	return nil
}
