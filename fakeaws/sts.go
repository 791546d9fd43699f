package fakeaws

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
)

var (
	roleARNRe     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role(/.*)?/([\w+=,.@-]{1,64})$`)
	sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	mfaSerialRe   = regexp.MustCompile(`^[\w+=/:,.@-]{9,256}$`)
	tokenCodeRe   = regexp.MustCompile(`^\d{6}$`)
)

// Role session durations (AssumeRole's DurationSeconds) and the default
// maximum of a role.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
const (
	minSessionSeconds     = 900
	defaultSessionSeconds = 3600
	maxRoleSessionSeconds = 3600
)

// queryResponse writes a Query protocol success answer: the result element
// filled by body, then the request ID.
func queryResponse(w http.ResponseWriter, q *request, ns string, body func(x *xmlOut)) *apiError {
	w.Header().Set("x-amzn-RequestId", q.reqID)
	x := newXML()
	x.openNS(q.op+"Response", ns)
	x.open(q.op + "Result")
	body(x)
	x.close(q.op + "Result")
	x.open("ResponseMetadata")
	x.elem("RequestId", q.reqID)
	x.close("ResponseMetadata")
	x.close(q.op + "Response")
	x.write(w, http.StatusOK, "text/xml")
	return nil
}

const stsNS = "https://sts.amazonaws.com/doc/" + stsVersion + "/"

func validationError(msg string) *apiError {
	return errf("ValidationError", msg)
}

func (s *Server) stsGetCallerIdentity(w http.ResponseWriter, q *request) *apiError {
	c := q.caller
	if aerr := s.faults.chosen(q, c.account, ""); aerr != nil {
		return aerr
	}
	return queryResponse(w, q, stsNS, func(x *xmlOut) {
		x.elem("UserId", c.userID)
		x.elem("Account", c.account)
		x.elem("Arn", c.arn)
	})
}

func (s *Server) stsAssumeRole(w http.ResponseWriter, q *request) *apiError {
	roleARN := q.form.Get("RoleArn")
	sessionName := q.form.Get("RoleSessionName")
	switch {
	case roleARN == "":
		return validationError("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	case sessionName == "":
		return validationError("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	case len(sessionName) < 2 || len(sessionName) > 64:
		return validationError("1 validation error detected: Value '" + sessionName + "' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2 and less than or equal to 64")
	case !sessionNameRe.MatchString(sessionName):
		return validationError("1 validation error detected: Value '" + sessionName + "' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
	}
	m := roleARNRe.FindStringSubmatch(roleARN)
	if m == nil {
		return validationError(roleARN + " is invalid")
	}
	if aerr := checkMFA(q); aerr != nil {
		return aerr
	}
	account, path, name := m[1], m[2]+"/", m[3]
	duration := defaultSessionSeconds
	if v := q.form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minSessionSeconds || n > 43200 {
			return validationError("1 validation error detected: Value '" + v + "' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900 and less than or equal to 43200")
		}
		if n > maxRoleSessionSeconds {
			return validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		duration = n
	}
	denied := func() *apiError {
		return errf("AccessDenied", "User: "+q.caller.arn+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	}
	// The audit role trusts the management account (any of its identities).
	if q.caller.account != s.idx.managementAccount {
		return denied()
	}
	target, ok := s.idx.accounts[account]
	if !ok || awsid.PartitionOfARN(roleARN) != s.idx.partition {
		return denied() // no such account in this partition
	}
	if aerr := s.faults.chosen(q, account, ""); aerr != nil {
		return aerr
	}
	if e, ok := target.acct.Errors.Get(inventory.KeyAssumeRole); ok {
		return fixtureError(e)
	}
	role := target.acct.AuditRole
	if role == nil || role.Name != name || rolePath(role) != path || target.acct.Status == inventory.AccountSuspended {
		return denied()
	}
	if role.ExternalID != "" && q.form.Get("ExternalId") != role.ExternalID {
		return denied()
	}
	now := s.now()
	expires := now.Add(time.Duration(duration) * time.Second)
	if s.sessionTTL > 0 {
		// faults.session_ttl overrides the requested duration.
		expires = now.Add(s.sessionTTL)
	}
	sess := s.sessions.mint(account, role.Name, rolePath(role), sessionName, expires)
	return queryResponse(w, q, stsNS, func(x *xmlOut) {
		writeCredentials(x, sess, expires)
		x.open("AssumedRoleUser")
		x.elem("AssumedRoleId", sess.roleID+":"+sessionName)
		x.elem("Arn", sess.arn(s.idx.partition))
		x.close("AssumedRoleUser")
	})
}

// checkMFA checks AssumeRole's SerialNumber and TokenCode: the serial is
// 9-256 of letters, digits and =,.@:/_- and the code six digits; a serial
// without a code is denied. The emulator knows no device secrets, so any
// well-formed code passes.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
func checkMFA(q *request) *apiError {
	serial, code := q.form.Get("SerialNumber"), q.form.Get("TokenCode")
	switch {
	case serial != "" && !mfaSerialRe.MatchString(serial):
		return validationError("1 validation error detected: Value '" + serial + "' at 'serialNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=/:,.@-]*")
	case code != "" && !tokenCodeRe.MatchString(code):
		return validationError("1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: Member must have length 6 and satisfy regular expression pattern: [\\d]*")
	case serial != "" && code == "", code != "" && serial == "":
		return errf("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	}
	return nil
}

// rolePath returns a role's IAM path, "/" by default.
func rolePath(r *inventory.AuditRole) string {
	if r.Path == "" {
		return "/"
	}
	p := r.Path
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// stsAssumeRoleWithWebIdentity answers a web identity (OIDC) role
// assumption, as Kubernetes IRSA and AWS_WEB_IDENTITY_TOKEN_FILE make it:
// a role of the management account, for any non-empty token (the emulator
// verifies no identity provider's signature), becomes a session of the
// management account, as the scanning role there is.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
func (s *Server) stsAssumeRoleWithWebIdentity(w http.ResponseWriter, q *request) *apiError {
	roleARN, sessionName, token := q.form.Get("RoleArn"), q.form.Get("RoleSessionName"), q.form.Get("WebIdentityToken")
	switch {
	case roleARN == "":
		return validationError("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	case !sessionNameRe.MatchString(sessionName):
		return validationError("1 validation error detected: Value '" + sessionName + "' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
	case len(token) < 4 || len(token) > 20000:
		return validationError("1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4 and less than or equal to 20000")
	}
	m := roleARNRe.FindStringSubmatch(roleARN)
	if m == nil {
		return validationError(roleARN + " is invalid")
	}
	account, path, name := m[1], m[2]+"/", m[3]
	if account != s.idx.managementAccount || awsid.PartitionOfARN(roleARN) != s.idx.partition {
		return errf("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	}
	if aerr := s.faults.chosen(q, account, ""); aerr != nil {
		return aerr
	}
	expires := s.now().Add(defaultSessionSeconds * time.Second)
	if s.sessionTTL > 0 {
		expires = s.now().Add(s.sessionTTL)
	}
	sess := s.sessions.mint(account, name, path, sessionName, expires)
	return queryResponse(w, q, stsNS, func(x *xmlOut) {
		writeCredentials(x, sess, expires)
		x.elem("SubjectFromWebIdentityToken", "fakeaws-subject")
		x.open("AssumedRoleUser")
		x.elem("AssumedRoleId", sess.roleID+":"+sessionName)
		x.elem("Arn", sess.arn(s.idx.partition))
		x.close("AssumedRoleUser")
		x.elem("Provider", "fakeaws")
		x.elem("Audience", "sts.amazonaws.com")
	})
}

// writeCredentials writes the Credentials element of a role session.
func writeCredentials(x *xmlOut, sess *session, expires time.Time) {
	x.open("Credentials")
	x.elem("AccessKeyId", sess.accessKey)
	x.elem("SecretAccessKey", sess.secret)
	x.elem("SessionToken", sess.token)
	x.elem("Expiration", expires.UTC().Format(time.RFC3339))
	x.close("Credentials")
}
