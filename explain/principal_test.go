package explain

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/access"
)

// TestParsePrincipal: every caller form, as IAM writes its ARNs.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
func TestParsePrincipal(t *testing.T) {
	cases := []struct {
		in   string
		want Principal
	}{
		{"arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob", Principal{Kind: KindUser, ARN: "arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob", Partition: "aws", Account: "123456789012", Name: "Bob", Path: "/division_abc/subdivision_xyz/"}},
		{"arn:aws:iam::123456789012:role/app", Principal{Kind: KindRole, ARN: "arn:aws:iam::123456789012:role/app", Partition: "aws", Account: "123456789012", Name: "app", Path: "/"}},
		{"arn:aws-cn:sts::123456789012:assumed-role/app/i-0abc", Principal{Kind: KindSession, ARN: "arn:aws-cn:sts::123456789012:assumed-role/app/i-0abc", Partition: "aws-cn", Account: "123456789012", Name: "app", Session: "i-0abc"}},
		{"arn:aws:sts::123456789012:federated-user/carol", Principal{Kind: KindFederated, ARN: "arn:aws:sts::123456789012:federated-user/carol", Partition: "aws", Account: "123456789012", Name: "carol"}},
		{"arn:aws:iam::123456789012:root", Principal{Kind: KindRoot, ARN: "arn:aws:iam::123456789012:root", Partition: "aws", Account: "123456789012"}},
		{"123456789012", Principal{Kind: KindRoot, ARN: "arn:aws:iam::123456789012:root", Partition: "aws", Account: "123456789012"}},
		{"anonymous", Principal{Kind: KindAnonymous, ARN: "anonymous"}},
	}
	for _, tc := range cases {
		got, err := ParsePrincipal(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.in, diff)
		}
	}
	for in, want := range map[string]string{
		"role/app":                                     "not an ARN",
		"arn:aws:iam::12345:role/app":                  "12-digit",
		"arn:aws:s3:::bucket":                          "12-digit",
		"arn:aws:iam::123456789012:group/admins":       "a user, a role or root",
		"arn:aws:sts::123456789012:assumed-role/app":   "ROLE/SESSION",
		"arn:aws:ec2::123456789012:instance/i-1":       "iam or sts",
		"arn:aws:iam::123456789012:role/":              "the name is empty",
		"arn:aws:sts::123456789012:assumed-role/a/b/c": "ROLE/SESSION",
	} {
		if _, err := ParsePrincipal(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", in, err, want)
		}
	}
}

// TestResolveIdentityIsAccess: explain decides with, and names, the
// policies the access model resolved for the principal (the same parsed
// policies, in the same order), and says why it has none.
func TestResolveIdentityIsAccess(t *testing.T) {
	ix := access.NewIndex(loadFixture(t))
	tests := []struct {
		principal string
		// from is the access principal whose policies explain must use.
		from                string
		source              []string
		boundary, role, why string
		read, missing, tags bool
	}{
		{principal: reader, from: "arn:aws:iam::333333333333:role/reader", role: "arn:aws:iam::333333333333:role/reader",
			source: []string{"inline policy s3-read of arn:aws:iam::333333333333:role/reader"}, read: true},
		{principal: "arn:aws:iam::333333333333:user/bob", from: "arn:aws:iam::333333333333:user/bob",
			source: []string{"managed policy arn:aws:iam::333333333333:policy/S3ReadAll"}, boundary: "arn:aws:iam::333333333333:policy/OnlyEC2", read: true, tags: true},
		{principal: "arn:aws:iam::222222222222:role/app", from: "arn:aws:iam::222222222222:role/app",
			source: []string{"inline policy read-objects of arn:aws:iam::222222222222:role/app"}, read: true, tags: true},
		{principal: "arn:aws:iam::333333333333:role/gone", why: "account 333333333333's IAM data has no role gone", read: true, missing: true},
		{principal: "arn:aws:sts::333333333333:assumed-role/gone/s", why: "account 333333333333's IAM data has no role gone", read: true, missing: true},
		{principal: "arn:aws:iam::333333333333:user/gone", why: "account 333333333333's IAM data has no user gone", read: true, missing: true},
		{principal: "arn:aws:iam::999988887777:role/partner-sync", why: "account 999988887777 is not among the collected accounts"},
		{principal: "arn:aws:sts::333333333333:federated-user/carol", why: "federated users get their permissions from the session policy of GetFederationToken, which is not collected"},
		{principal: "333333333333", source: []string{"the root user has every permission in its own account (no identity policy applies)"}, read: true},
		{principal: Anonymous, read: true},
	}
	for _, tt := range tests {
		t.Run(tt.principal, func(t *testing.T) {
			p, err := ParsePrincipal(tt.principal)
			if err != nil {
				t.Fatal(err)
			}
			id := resolveIdentity(ix, p)
			if !slices.Equal(id.source, tt.source) || id.boundaryARN != tt.boundary || id.roleARN != tt.role || id.why != tt.why ||
				id.read != tt.read || id.missing != tt.missing || id.tagsKnown != tt.tags {
				t.Errorf("got source %q boundary %q role %q why %q read %v missing %v tags %v", id.source, id.boundaryARN, id.roleARN, id.why, id.read, id.missing, id.tagsKnown)
			}
			if tt.from == "" {
				return
			}
			ip := ix.PrincipalByARN(p.Account, tt.from)
			if ip == nil || !slices.Equal(id.policies, ip.Identity) || id.boundary != ip.Boundary {
				t.Errorf("explain's policies %v are not access's %v", id.policies, ip)
			}
		})
	}
}
