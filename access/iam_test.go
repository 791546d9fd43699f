package access

import (
	"slices"
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/policy"
)

// iamFixture is one account's IAM data with a policy of each kind a
// principal's policies can be read as: parsed, without a document, not
// parsing, not collected at all, and a group not collected.
func iamFixture() *inventory.Document {
	doc := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
	const allow = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	return &inventory.Document{Accounts: []inventory.Account{{ID: "111111111111", IAM: &inventory.IAM{
		Roles: []inventory.IAMRole{
			{ARN: "arn:aws:iam::111111111111:role/app", InlinePolicies: map[string]*inventory.PolicyDocument{"read": doc(allow)},
				PermissionsBoundary: "arn:aws:iam::111111111111:policy/Bound", Tags: map[string]string{"team": "a"}},
			{ARN: "arn:aws:iam::111111111111:role/svc/deep/etl", AttachedPolicies: []string{"arn:aws:iam::111111111111:policy/Read"}},
			{ARN: "arn:aws:iam::111111111111:role/broken", InlinePolicies: map[string]*inventory.PolicyDocument{"gone": nil, "bad": doc(`{"Statement":`)},
				AttachedPolicies: []string{"arn:aws:iam::111111111111:policy/NoDoc", "arn:aws:iam::111111111111:policy/Bad", "arn:aws:iam::111111111111:policy/Absent"}},
		},
		Users: []inventory.IAMUser{
			{ARN: "arn:aws:iam::111111111111:user/bob", Groups: []string{"readers", "ghosts"}},
		},
		Groups: []inventory.IAMGroup{
			{ARN: "arn:aws:iam::111111111111:group/readers", AttachedPolicies: []string{"arn:aws:iam::111111111111:policy/Read"}},
		},
		Policies: []inventory.IAMManagedPolicy{
			{ARN: "arn:aws:iam::111111111111:policy/Read", Document: doc(allow)},
			{ARN: "arn:aws:iam::111111111111:policy/Bound", Document: doc(allow)},
			{ARN: "arn:aws:iam::111111111111:policy/NoDoc"},
			{ARN: "arn:aws:iam::111111111111:policy/Bad", Document: doc(`[`)},
		},
	}}, {ID: "222222222222"}}}
}

// TestPrincipalResolution: the one resolution of a principal's identity
// policies (parsePrincipals, through PrincipalByARN and RoleNamed) that the
// access report and explain both use: how each policy is named, why one
// could not be read, and how a session's role (whose ARN has no path) is
// found by name.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
func TestPrincipalResolution(t *testing.T) {
	ix := NewIndex(iamFixture())
	names := func(p *IAMPrincipal) []string {
		var out []string
		for _, ip := range p.Identity {
			out = append(out, ip.Name)
		}
		return out
	}
	tests := []struct {
		name     string
		find     func() *IAMPrincipal
		wantARN  string
		policies []string
		boundary string
		unread   bool
	}{
		{"role by ARN", func() *IAMPrincipal { return ix.PrincipalByARN("111111111111", "arn:aws:iam::111111111111:role/app") },
			"arn:aws:iam::111111111111:role/app", []string{"inline policy read of arn:aws:iam::111111111111:role/app"},
			"arn:aws:iam::111111111111:policy/Bound", false},
		{"role with a path, by name", func() *IAMPrincipal { return ix.RoleNamed("111111111111", "etl") },
			"arn:aws:iam::111111111111:role/svc/deep/etl", []string{"managed policy arn:aws:iam::111111111111:policy/Read"}, "", false},
		{"user with groups", func() *IAMPrincipal { return ix.PrincipalByARN("111111111111", "arn:aws:iam::111111111111:user/bob") },
			"arn:aws:iam::111111111111:user/bob",
			[]string{"policies of group ghosts (not collected)", "managed policy arn:aws:iam::111111111111:policy/Read"}, "", true},
		{"policies that could not be read", func() *IAMPrincipal { return ix.RoleNamed("111111111111", "broken") },
			"arn:aws:iam::111111111111:role/broken", []string{
				"inline policy bad of arn:aws:iam::111111111111:role/broken (does not parse)",
				"inline policy gone of arn:aws:iam::111111111111:role/broken (no document)",
				"managed policy arn:aws:iam::111111111111:policy/NoDoc (no document)",
				"managed policy arn:aws:iam::111111111111:policy/Bad (does not parse)",
				"managed policy arn:aws:iam::111111111111:policy/Absent (not collected)",
			}, "", true},
		{"unknown ARN", func() *IAMPrincipal { return ix.PrincipalByARN("111111111111", "arn:aws:iam::111111111111:role/nope") }, "", nil, "", false},
		{"a path is not a name", func() *IAMPrincipal { return ix.RoleNamed("111111111111", "deep") }, "", nil, "", false},
		{"a user is not a role", func() *IAMPrincipal { return ix.RoleNamed("111111111111", "bob") }, "", nil, "", false},
		{"IAM not collected", func() *IAMPrincipal { return ix.RoleNamed("222222222222", "app") }, "", nil, "", false},
		{"account not in the document", func() *IAMPrincipal { return ix.PrincipalByARN("333333333333", "arn:aws:iam::333333333333:role/app") }, "", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.find()
			if tt.wantARN == "" {
				if p != nil {
					t.Fatalf("found %s, want none", p.ARN)
				}
				return
			}
			if p == nil {
				t.Fatalf("found none, want %s", tt.wantARN)
			}
			if p.ARN != tt.wantARN || !slices.Equal(names(p), tt.policies) || p.BoundaryARN != tt.boundary || p.Unread() != tt.unread {
				t.Errorf("got %s %q boundary %q unread %v; want %s %q boundary %q unread %v",
					p.ARN, names(p), p.BoundaryARN, p.Unread(), tt.wantARN, tt.policies, tt.boundary, tt.unread)
			}
			if tt.boundary != "" && (p.Boundary == nil || p.Boundary.Name != "managed policy "+tt.boundary) {
				t.Errorf("boundary policy %v, want managed policy %s", p.Boundary, tt.boundary)
			}
		})
	}
}

// The principals of an account share their Resource patterns compiled
// (parsePrincipals' patterns), and a managed policy is shared by its ARN
// and text between accounts: a policy of one ARN whose text differs (an
// AWS managed policy of another version) is parsed on its own, and a value
// with a policy variable leaves its principal to be decided bucket by
// bucket however many principals have it.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
func TestPrincipalsSharePatterns(t *testing.T) {
	doc := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
	rw := func(res string) map[string]*inventory.PolicyDocument {
		return map[string]*inventory.PolicyDocument{"rw": doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + res + `"}]}`)}
	}
	const managed = "arn:aws:iam::aws:policy/ReadSome"
	v1 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::one/*"}]}`
	v2 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::two/*"}]}`
	account := func(id, text string) inventory.Account {
		return inventory.Account{ID: id, IAM: &inventory.IAM{
			Roles: []inventory.IAMRole{
				{ARN: "arn:aws:iam::" + id + ":role/a", InlinePolicies: rw("arn:aws:s3:::data-*/*")},
				{ARN: "arn:aws:iam::" + id + ":role/b", InlinePolicies: rw("arn:aws:s3:::data-*/*")},
				{ARN: "arn:aws:iam::" + id + ":role/c", InlinePolicies: rw("arn:aws:s3:::${aws:username}/*")},
				{ARN: "arn:aws:iam::" + id + ":role/d", InlinePolicies: rw("arn:aws:s3:::${aws:username}/*")},
				{ARN: "arn:aws:iam::" + id + ":role/m", AttachedPolicies: []string{managed}},
			},
			Policies: []inventory.IAMManagedPolicy{{ARN: managed, Document: doc(text)}},
		}}
	}
	ix := NewIndex(&inventory.Document{Accounts: []inventory.Account{account("111111111111", v1), account("222222222222", v1), account("333333333333", v2)}})
	p := func(id, name string) *IAMPrincipal { return ix.PrincipalByARN(id, "arn:aws:iam::"+id+":role/"+name) }
	a, b := p("111111111111", "a"), p("111111111111", "b")
	if len(a.named) != 1 || len(b.named) != 1 || a.named[0] != b.named[0] || a.slots[0].named[0] != a.named[0] {
		t.Fatalf("roles a and b: patterns %v, %v (slots %v): want one pattern, compiled once", a.named, b.named, a.slots)
	}
	for _, r := range []struct {
		res  string
		want bool
	}{{"arn:aws:s3:::data-x/k", true}, {"arn:aws:s3:::data-x", false}, {"arn:aws:s3:::other/k", false}} {
		if got := a.named[0].Matches(r.res); got != r.want {
			t.Errorf("pattern matches %s: %t, want %t", r.res, got, r.want)
		}
	}
	for _, name := range []string{"c", "d"} {
		if q := p("111111111111", name); !q.byName || q.named != nil || q.slots[0].named != nil {
			t.Errorf("role %s (a policy variable): byName %t, named %v, slots %v; want byName, no patterns", name, q.byName, q.named, q.slots)
		}
	}
	m1, m2, m3 := p("111111111111", "m"), p("222222222222", "m"), p("333333333333", "m")
	if m1.Identity[0] != m2.Identity[0] || m1.fp != m2.fp {
		t.Errorf("a managed policy of one text in two accounts is parsed twice")
	}
	if m3.Identity[0] == m1.Identity[0] || m3.fp == m1.fp || m3.Identity[0].Statements[0].Action[0] != "s3:PutObject" {
		t.Errorf("a managed policy of another text shares the first's parse (%v)", m3.Identity[0].Statements[0].Action)
	}
	if !m1.s3 || m3.named[0].Matches("arn:aws:s3:::one/k") || !m3.named[0].Matches("arn:aws:s3:::two/k") {
		t.Errorf("account 333333333333's managed policy is not its own text's")
	}
}

// mentionsS3: an Allow of an s3 action in any case ("S3:GetObject", IAM
// action names are not case sensitive), of "*", "s3*" or any NotAction
// could reach a bucket; another service's action cannot.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
func TestMentionsS3(t *testing.T) {
	for action, want := range map[string]bool{
		`"s3:GetObject"`: true, `"S3:getobject"`: true, `"*"`: true, `"s3*"`: true, `"S3*"`: true, `["sts:AssumeRole","S3:List*"]`: true,
		`"s3-object-lambda:Get*"`: false, `"sts:AssumeRole"`: false, `"kms:Decrypt"`: false, `"ss:Get"`: false,
	} {
		p, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + action + `,"Resource":"*"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if got := mentionsS3(p); got != want {
			t.Errorf("mentionsS3(Action %s) = %t, want %t", action, got, want)
		}
	}
}
