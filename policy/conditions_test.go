package policy

import (
	"testing"
)

// condCase evaluates one identity-policy statement with a condition block
// against a context; match says whether the statement applies.
type condCase struct {
	doc     string
	cond    string // the Condition element's value
	ctx     map[string][]string
	absent  bool // no context at all
	version string
	match   bool
}

func evalCond(t *testing.T, c condCase) bool {
	t.Helper()
	version := `"Version":"2012-10-17",`
	if c.version == "none" {
		version = ""
	} else if c.version != "" {
		version = `"Version":"` + c.version + `",`
	}
	p := pol(t, "identity", `{`+version+`"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":`+c.cond+`}]}`)
	ctx := NewContext()
	for k, v := range c.ctx {
		ctx.Set(k, v...)
	}
	r := Evaluate(&Input{Principal: "arn:aws:iam::" + acct1 + ":user/alice", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: acct1, Context: ctx, IdentityPolicies: []*Policy{p}})
	switch r.Decision {
	case Allow:
		return true
	case ImplicitDeny:
		return false
	}
	t.Fatalf("unexpected decision %v", r.Decision)
	return false
}

func TestConditionOperators(t *testing.T) {
	v := func(s ...string) []string { return s }
	for name, c := range map[string]condCase{
		// String operators.
		"StringEquals":             {docOperators, `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, map[string][]string{"aws:PrincipalTag/job-category": v("iamuser-admin")}, false, "", true},
		"StringEquals case":        {docOperators, `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, map[string][]string{"aws:PrincipalTag/job-category": v("IAMUSER-admin")}, false, "", false},
		"StringEquals key case":    {docVariables, `{"StringEquals":{"AWS:principaltag/JOB-category":"iamuser-admin"}}`, map[string][]string{"aws:PrincipalTag/job-category": v("iamuser-admin")}, false, "", true},
		"StringEquals missing key": {docOperators, `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, nil, true, "", false},
		"StringNotEquals missing":  {docOperators, `{"StringNotEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, nil, true, "", true},
		"StringNotEquals NOR":      {docMultiValue, `{"StringNotEquals":{"aws:PrincipalTag/t":["a","b"]}}`, map[string][]string{"aws:PrincipalTag/t": v("b")}, false, "", false},
		"StringNotEquals other":    {docMultiValue, `{"StringNotEquals":{"aws:PrincipalTag/t":["a","b"]}}`, map[string][]string{"aws:PrincipalTag/t": v("c")}, false, "", true},
		"values OR":                {docMultiValue, `{"StringEquals":{"aws:PrincipalTag/t":["a","b"]}}`, map[string][]string{"aws:PrincipalTag/t": v("b")}, false, "", true},
		"keys AND":                 {docMultiValue, `{"StringEquals":{"aws:PrincipalTag/t":"a","aws:PrincipalTag/u":"b"}}`, map[string][]string{"aws:PrincipalTag/t": v("a")}, false, "", false},
		"IgnoreCase":               {docOperators, `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/t":"Admin"}}`, map[string][]string{"aws:PrincipalTag/t": v("aDMIN")}, false, "", true},
		"NotEqualsIgnoreCase":      {docOperators, `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/t":"Admin"}}`, map[string][]string{"aws:PrincipalTag/t": v("aDMIN")}, false, "", false},
		"StringLike star":          {docOperators, `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}`, map[string][]string{"s3:prefix": v("home/alice/docs/a"), "aws:username": v("alice")}, false, "", true},
		"StringLike question":      {docOperators, `{"StringLike":{"aws:PrincipalTag/t":"a?c"}}`, map[string][]string{"aws:PrincipalTag/t": v("abc")}, false, "", true},
		"StringLike question none": {docOperators, `{"StringLike":{"aws:PrincipalTag/t":"a?c"}}`, map[string][]string{"aws:PrincipalTag/t": v("ac")}, false, "", false},
		"StringNotLike":            {docOperators, `{"StringNotLike":{"aws:PrincipalTag/t":"a*"}}`, map[string][]string{"aws:PrincipalTag/t": v("abc")}, false, "", false},
		"StringNotLike missing":    {docOperators, `{"StringNotLike":{"aws:PrincipalTag/t":"a*"}}`, nil, true, "", true},
		"StringEquals no wildcard": {docOperators, `{"StringEquals":{"aws:PrincipalTag/t":"a*"}}`, map[string][]string{"aws:PrincipalTag/t": v("abc")}, false, "", false},
		// Numeric.
		"NumericLessThanEquals":   {docOperators, `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, map[string][]string{"s3:max-keys": v("10")}, false, "", true},
		"NumericLessThanEquals 2": {docOperators, `{"NumericLessThanEquals":{"s3:max-keys":10}}`, map[string][]string{"s3:max-keys": v("11")}, false, "", false},
		"NumericEquals decimal":   {docOperators, `{"NumericEquals":{"s3:max-keys":"10.0"}}`, map[string][]string{"s3:max-keys": v("10")}, false, "", true},
		"NumericNotEquals":        {docOperators, `{"NumericNotEquals":{"s3:max-keys":["10","20"]}}`, map[string][]string{"s3:max-keys": v("20")}, false, "", false},
		"NumericGreaterThan":      {docOperators, `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, map[string][]string{"s3:max-keys": v("10.5")}, false, "", true},
		"NumericGreaterThanEq":    {docOperators, `{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}`, map[string][]string{"s3:max-keys": v("9")}, false, "", false},
		"NumericLessThan bad":     {docOperators, `{"NumericLessThan":{"s3:max-keys":"10"}}`, map[string][]string{"s3:max-keys": v("ten")}, false, "", false},
		// Dates: ISO 8601 (W3C profile) or epoch seconds.
		"DateGreaterThan":        {docOperators, `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, map[string][]string{"aws:TokenIssueTime": v("2020-06-30T12:00:00Z")}, false, "", true},
		"DateGreaterThan absent": {docOperators, `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, nil, true, "", false},
		"DateLessThan epoch":     {docOperators, `{"DateLessThan":{"aws:EpochTime":"1700000000"}}`, map[string][]string{"aws:EpochTime": v("1600000000")}, false, "", true},
		"DateLessThan mixed":     {docOperators, `{"DateLessThan":{"aws:CurrentTime":"2024-01-01"}}`, map[string][]string{"aws:CurrentTime": v("1700000000")}, false, "", true},
		"DateEquals offset":      {docOperators, `{"DateEquals":{"aws:CurrentTime":"2024-01-01T12:00:00+02:00"}}`, map[string][]string{"aws:CurrentTime": v("2024-01-01T10:00:00Z")}, false, "", true},
		"DateNotEquals":          {docOperators, `{"DateNotEquals":{"aws:CurrentTime":"2024-01-01T12:00:00Z"}}`, map[string][]string{"aws:CurrentTime": v("2024-01-01T12:00:00Z")}, false, "", false},
		"DateLessThanEquals":     {docOperators, `{"DateLessThanEquals":{"aws:CurrentTime":"2024-01-01T12:00:00.500Z"}}`, map[string][]string{"aws:CurrentTime": v("2024-01-01T12:00:00.5Z")}, false, "", true},
		"DateGreaterThanEquals":  {docOperators, `{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-01"}}`, map[string][]string{"aws:CurrentTime": v("2023-12-31T23:59:59Z")}, false, "", false},
		// Bool.
		"Bool":          {docOperators, `{"Bool":{"aws:SecureTransport":"false"}}`, map[string][]string{"aws:SecureTransport": v("false")}, false, "", true},
		"Bool json":     {docOperators, `{"Bool":{"aws:SecureTransport":false}}`, map[string][]string{"aws:SecureTransport": v("FALSE")}, false, "", true},
		"Bool other":    {docOperators, `{"Bool":{"aws:SecureTransport":"false"}}`, map[string][]string{"aws:SecureTransport": v("true")}, false, "", false},
		"Bool absent":   {docOperators, `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`, nil, true, "", false},
		"BoolIfExists":  {docOperators, `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, nil, true, "", true},
		"BinaryEquals":  {docOperators, `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, map[string][]string{"k:bin": v("QmluYXJ5VmFsdWVJbkJhc2U2NA==")}, false, "", true},
		"BinaryEquals2": {docOperators, `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, map[string][]string{"k:bin": v("eA==")}, false, "", false},
		// IP addresses: CIDR, a bare address is /32, IPv6.
		"IpAddress":        {docOperators, `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, map[string][]string{"aws:SourceIp": v("203.0.113.77")}, false, "", true},
		"IpAddress out":    {docOperators, `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, map[string][]string{"aws:SourceIp": v("203.0.114.1")}, false, "", false},
		"IpAddress /32":    {docOperators, `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, map[string][]string{"aws:SourceIp": v("203.0.113.7")}, false, "", true},
		"IpAddress v6":     {docOperators, `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`, map[string][]string{"aws:SourceIp": v("2001:db8:1234:5678::1")}, false, "", true},
		"NotIpAddress":     {docOperators, `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, map[string][]string{"aws:SourceIp": v("198.51.100.1")}, false, "", true},
		"NotIpAddress vpc": {docOperators, `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, nil, true, "", true},
		"IpAddress vpce":   {docOperators, `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, nil, true, "", false},
		// ARN operators: segment-wise; the page's StringLike-vs-ArnLike example.
		"StringLike crosses segments": {docOperators, `{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, map[string][]string{"aws:SourceArn": v("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt")}, false, "", true},
		"ArnLike is segment-wise":     {docOperators, `{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, map[string][]string{"aws:SourceArn": v("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt")}, false, "", false},
		"ArnEquals wildcard":          {docOperators, `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:TOPIC-?D"}}`, map[string][]string{"aws:SourceArn": v("arn:aws:sns:us-east-1:123456789012:TOPIC-ID")}, false, "", true},
		"ArnLike case-sensitive":      {docOperators, `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:topic"}}`, map[string][]string{"aws:SourceArn": v("arn:aws:sns:us-east-1:123456789012:TOPIC")}, false, "", false},
		"ArnNotLike":                  {docOperators, `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"}}`, map[string][]string{"aws:PrincipalArn": v("arn:aws:iam::111122223333:role/admin")}, false, "", false},
		"ArnNotEquals missing":        {docOperators, `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:*:*:t"}}`, nil, true, "", true},
		// IfExists and Null.
		"IfExists absent":    {docOperators, `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, nil, true, "", true},
		"IfExists present":   {docOperators, `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, map[string][]string{"ec2:InstanceType": v("c5.large")}, false, "", false},
		"NotEqualsIfExists":  {docOperators, `{"StringNotEqualsIfExists":{"aws:PrincipalTag/t":"x"}}`, nil, true, "", true},
		"Null true absent":   {docOperators, `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true, "", true},
		"Null true present":  {docOperators, `{"Null":{"aws:TokenIssueTime":"true"}}`, map[string][]string{"aws:TokenIssueTime": v("2024-01-01T00:00:00Z")}, false, "", false},
		"Null false present": {docOperators, `{"Null":{"aws:TokenIssueTime":"false"}}`, map[string][]string{"aws:TokenIssueTime": v("2024-01-01T00:00:00Z")}, false, "", true},
		"Null false absent":  {docOperators, `{"Null":{"aws:TokenIssueTime":false}}`, nil, true, "", false},
		// Set operators and their empty-set rules.
		"ForAllValues subset":     {docSetOps, `{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}}`, map[string][]string{"dynamodb:requestedAttributes": v("PostDateTime", "Message")}, false, "", true},
		"ForAllValues not subset": {docSetOps, `{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}}`, map[string][]string{"dynamodb:requestedAttributes": v("PostDateTime", "UserName")}, false, "", false},
		"ForAllValues empty":      {docSetOps, `{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime"]}}`, nil, true, "", true},
		"ForAnyValue one":         {docSetOps, `{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}}`, map[string][]string{"dynamodb:requestedAttributes": v("UserName", "Message", "PostDateTime")}, false, "", true},
		"ForAnyValue none":        {docSetOps, `{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}}`, map[string][]string{"dynamodb:requestedAttributes": v("UserName")}, false, "", false},
		"ForAnyValue empty":       {docSetOps, `{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID"]}}`, nil, true, "", false},
		"ForAllValues NotLike":    {docMultiValue, `{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}`, map[string][]string{"aws:TagKeys": v("key2:audit")}, false, "", true},
		"ForAllValues NotLike 2":  {docMultiValue, `{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}`, map[string][]string{"aws:TagKeys": v("key1:hr", "key2:x")}, false, "", false},
		"ForAnyValue NotEquals":   {docMultiValue, `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, map[string][]string{"aws:TagKeys": v("a", "c")}, false, "", true},
		"ForAnyValue NotEquals 2": {docMultiValue, `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, map[string][]string{"aws:TagKeys": v("a", "b")}, false, "", false},
		"ForAllValues IfExists":   {docSetOps, `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":"a"}}`, nil, true, "", true},
		"ForAnyValue IfExists":    {docSetOps, `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"a"}}`, nil, true, "", true},
		"plain operator multi":    {docMultiValue, `{"StringEquals":{"aws:TagKeys":"a"}}`, map[string][]string{"aws:TagKeys": v("b", "a")}, false, "", true},
		// Policy variables, defaults, escapes, versions.
		"variable":                   {docVariables, `{"StringEquals":{"aws:PrincipalTag/t":"${aws:username}"}}`, map[string][]string{"aws:PrincipalTag/t": v("alice"), "aws:username": v("alice")}, false, "", true},
		"variable unresolved":        {docVariables, `{"StringNotEquals":{"aws:PrincipalTag/t":"${aws:username}"}}`, map[string][]string{"aws:PrincipalTag/t": v("alice")}, false, "", false},
		"variable default":           {docVariables, `{"StringEquals":{"aws:PrincipalTag/t":"${aws:userid, 'anonymous'}"}}`, map[string][]string{"aws:PrincipalTag/t": v("anonymous")}, false, "", true},
		"escape star":                {docVariables, `{"StringLike":{"aws:PrincipalTag/t":"a${*}c"}}`, map[string][]string{"aws:PrincipalTag/t": v("a*c")}, false, "", true},
		"escape star literal":        {docVariables, `{"StringLike":{"aws:PrincipalTag/t":"a${*}c"}}`, map[string][]string{"aws:PrincipalTag/t": v("abc")}, false, "", false},
		"escapes ? $":                {docVariables, `{"StringEquals":{"aws:PrincipalTag/t":"${$}{x}${?}"}}`, map[string][]string{"aws:PrincipalTag/t": v("${x}?")}, false, "", true},
		"variable value is literal":  {docVariables, `{"StringLike":{"aws:PrincipalTag/t":"${aws:username}"}}`, map[string][]string{"aws:PrincipalTag/t": v("bob"), "aws:username": v("b*")}, false, "", false},
		"variables in Bool":          {docOperators, `{"Bool":{"aws:MultiFactorAuthPresent":"${aws:PrincipalTag/mfa}"}}`, map[string][]string{"aws:MultiFactorAuthPresent": v("true"), "aws:PrincipalTag/mfa": v("true")}, false, "", true},
		"no variables in Numeric":    {docVariables, `{"NumericEquals":{"s3:max-keys":"${aws:PrincipalTag/n}"}}`, map[string][]string{"s3:max-keys": v("3"), "aws:PrincipalTag/n": v("3")}, false, "", false},
		"2008 literal":               {docVersion, `{"StringEquals":{"aws:PrincipalTag/t":"${aws:username}"}}`, map[string][]string{"aws:PrincipalTag/t": v("${aws:username}"), "aws:username": v("alice")}, false, Version2008, true},
		"2008 not substituted":       {docVersion, `{"StringEquals":{"aws:PrincipalTag/t":"${aws:username}"}}`, map[string][]string{"aws:PrincipalTag/t": v("alice"), "aws:username": v("alice")}, false, Version2008, false},
		"no version not substituted": {docVariables, `{"StringEquals":{"aws:PrincipalTag/t":"${aws:username}"}}`, map[string][]string{"aws:PrincipalTag/t": v("alice"), "aws:username": v("alice")}, false, "none", false},
	} {
		if got := evalCond(t, c); got != c.match {
			t.Errorf("%s (%s): %s with context %v: statement applies = %v, want %v", name, c.doc, c.cond, c.ctx, got, c.match)
		}
	}
}

// Policy variables in the Resource element
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
func TestResourceVariables(t *testing.T) {
	for _, tc := range []struct {
		version, resource, username string
		want                        Decision
	}{
		{Version2012, "arn:aws:s3:::mybucket/alice/doc", "alice", Allow},
		{Version2012, "arn:aws:s3:::mybucket/bob/doc", "alice", ImplicitDeny},
		{Version2012, "arn:aws:s3:::mybucket/alice/doc", "", ImplicitDeny}, // variable cannot be resolved
		{Version2008, "arn:aws:s3:::mybucket/alice/doc", "alice", ImplicitDeny},
		{Version2008, "arn:aws:s3:::mybucket/${aws:username}/doc", "alice", Allow}, // literal text
	} {
		p := pol(t, "identity", `{"Version":"`+tc.version+`","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::mybucket/${aws:username}/*"]}]}`)
		ctx := NewContext()
		if tc.username != "" {
			ctx.Set("aws:username", tc.username)
		}
		r := Evaluate(&Input{Principal: "arn:aws:iam::" + acct1 + ":user/alice", Action: "s3:GetObject", Resource: tc.resource, ResourceAccount: acct1, Context: ctx, IdentityPolicies: []*Policy{p}})
		if r.Decision != tc.want {
			t.Errorf("%s %s (username %q): %v, want %v", tc.version, tc.resource, tc.username, r.Decision, tc.want)
		}
	}
	// ARN matching: "*" crosses "/" in the resource segment; actions are case-insensitive.
	p := pol(t, "identity", stmts(`{"Effect":"Allow","Action":"S3:get*","Resource":"arn:aws:s3:::my*bucket/*"}`))
	r := Evaluate(&Input{Principal: "arn:aws:iam::" + acct1 + ":user/alice", Action: "s3:GetObject", Resource: "arn:aws:s3:::my-big-bucket/a/b/c", ResourceAccount: acct1, Context: NewContext(), IdentityPolicies: []*Policy{p}})
	if r.Decision != Allow {
		t.Errorf("wildcards: %v", r.Decision)
	}
}
