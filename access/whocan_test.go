package access

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// Docs the per-principal rules encode.
const (
	docCrossAccount = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"
	docBoundary     = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
	docSCPEffect    = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html"
	docKeyPolicy    = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html"
	docVPCEPolicy   = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html"
)

// memberIAM puts an iam: section (YAML, indented for an account) into the
// test organisation's account id.
func memberIAM(id, iam string) func(string) string {
	return func(s string) string {
		old := fmt.Sprintf("  - {id: %q, policies: [p-full]}\n", id)
		return strings.Replace(s, old, fmt.Sprintf("  - id: %q\n    policies: [p-full]\n    %s\n", id, indent(iam, "    ")), 1)
	}
}

// role is an IAM role YAML with one inline policy "p" of statements.
func role(arn, statements string, extra ...string) string {
	s := "- arn: " + arn + "\n  inline_policies:\n    p: {Version: \"2012-10-17\", Statement: [" + statements + "]}"
	for _, e := range extra {
		s += "\n  " + e
	}
	return s
}

func iamRoles(roles ...string) string {
	s := "iam:\n  roles:\n"
	for _, r := range roles {
		s += "    " + strings.ReplaceAll(r, "\n", "\n    ") + "\n"
	}
	return s
}

// accessOf renders a cell's principal list: "arn verdict" per entry.
func accessOf(c model.Cell) []string {
	var out []string
	for _, p := range c.PrincipalAccess {
		out = append(out, p.ARN+" "+string(p.Verdict))
	}
	return out
}

const (
	s3All      = `{Effect: Allow, Action: "s3:*", Resource: "*"}`
	kmsDecrypt = `{Effect: Allow, Action: "kms:Decrypt", Resource: "*"}`
	s3Read     = `{Sid: Read, Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::bkt/*"}`
	orgRead    = `policy: {Version: "2012-10-17", Statement: [{Sid: OrgRead, Effect: Allow, Principal: "*", Action: ["s3:GetObject", "s3:ListBucket", "s3:DeleteObject"], Resource: ["arn:aws:s3:::bkt", "arn:aws:s3:::bkt/*"], Condition: {StringEquals: {"aws:PrincipalOrgID": o-test000001}}}]}`
)

// TestPrincipalAccess: every cell that is not denied lists the roles,
// users and roots of the class's accounts that can, each decided with its
// own policies; accounts whose IAM was not collected are named instead.
func TestPrincipalAccess(t *testing.T) {
	// 333333333333 (Prod, under p-denydelete when prod lists it) and
	// 444444444444 (Dev) with IAM; 111111111111 (management) without.
	members := []func(string) string{
		memberIAM("333333333333", iamRoles(
			role("arn:aws:iam::333333333333:role/reader", s3Read+", "+kmsDecrypt),
			role("arn:aws:iam::333333333333:role/admin", s3All+", "+kmsDecrypt),
			role("arn:aws:iam::333333333333:role/bounded", s3All, "permissions_boundary: arn:aws:iam::333333333333:policy/ListOnly"),
			role("arn:aws:iam::333333333333:role/ec2only", `{Effect: Allow, Action: "ec2:*", Resource: "*"}`),
		)+`  policies:
    - arn: arn:aws:iam::333333333333:policy/ListOnly
      document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:ListBucket", Resource: "*"}]}`),
		memberIAM("444444444444", iamRoles(
			role("arn:aws:iam::444444444444:role/admin", s3All),
		)),
	}
	owner := iamRoles(role("arn:aws:iam::222222222222:role/app", s3Read))
	cases := []struct {
		name, doc, bucket, extra string
		prod                     []string
		edit                     []func(string) string
		cell                     string
		want                     []string // principals (arn verdict), exactly
		unlisted                 []string
		reason                   string // in the cell's reason
		stmt                     string // in the first listed principal's statements
		cond                     string // in the first listed principal's conditions
	}{{
		name: "cross-account: the bucket policy grants the org, and the caller's identity policy must allow too",
		doc:  docCrossAccount, bucket: "name: bkt\nregion: eu-west-1\n" + orgRead, extra: owner,
		cell: "org.read",
		want: []string{"arn:aws:iam::333333333333:role/admin allow", "arn:aws:iam::333333333333:role/reader allow",
			"arn:aws:iam::333333333333:root allow", "arn:aws:iam::444444444444:role/admin allow", "arn:aws:iam::444444444444:root allow"},
		unlisted: []string{"111111111111"}, reason: "the principals could not be listed for account 111111111111 (IAM not collected)",
		stmt: `the bucket policy statement "OrgRead"`,
	}, {
		name: "cross-account: without a bucket-policy grant nobody of another account can, whatever its identity policy",
		doc:  docCrossAccount, bucket: "name: bkt\nregion: eu-west-1", extra: owner,
		cell: "org.read",
	}, {
		name: "a bucket policy granting a role that no account holds: the class is allowed, yet nobody can, and the reason says so",
		doc:  docPrincipal,
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: Ghost, Effect: Allow, Principal: {AWS: "arn:aws:iam::444444444444:role/ghost"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::bkt/*"}]}`,
		extra:  owner,
		cell:   "org.read",
		reason: "yet no role, user or root of the scanned accounts can, each decided with its own policies",
	}, {
		name: "the permissions boundary limits a role with s3:* to listing",
		doc:  docBoundary, bucket: "name: bkt\nregion: eu-west-1\n" + orgRead, extra: owner,
		cell: "org.list",
		want: []string{"arn:aws:iam::333333333333:role/admin allow", "arn:aws:iam::333333333333:role/bounded allow",
			"arn:aws:iam::333333333333:root allow", "arn:aws:iam::444444444444:role/admin allow", "arn:aws:iam::444444444444:root allow"},
		unlisted: []string{"111111111111"},
	}, {
		name: "the SCP of the caller's own account denies deletes: only Dev's principals can delete",
		doc:  docSCPEffect, bucket: "name: bkt\nregion: eu-west-1\n" + orgRead, extra: owner, prod: []string{"p-denydelete"},
		cell:     "org.delete",
		want:     []string{"arn:aws:iam::444444444444:role/admin allow", "arn:aws:iam::444444444444:root allow"},
		unlisted: []string{"111111111111"},
	}, {
		name: "same account: the bucket's own account's roles with their identity policies, and its root",
		doc:  docEvaluation, bucket: "name: bkt\nregion: eu-west-1", extra: owner,
		cell: "same_account.read",
		want: []string{"arn:aws:iam::222222222222:role/app allow", "arn:aws:iam::222222222222:root allow"},
		stmt: `inline policy p of arn:aws:iam::222222222222:role/app statement "Read"`,
	}, {
		name:   "the KMS key policy allows one role of 333333333333 only",
		doc:    docKeyPolicy,
		bucket: "name: bkt\nregion: eu-west-1\nencryption: {algorithm: \"aws:kms\", kms_key_id: \"arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000000\"}\n" + orgRead,
		extra: owner + `kms_keys:
  - arn: arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000000
    policy: {Version: "2012-10-17", Statement: [{Sid: Root, Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: "kms:*", Resource: "*"}, {Sid: Reader, Effect: Allow, Principal: {AWS: "arn:aws:iam::333333333333:role/reader"}, Action: "kms:Decrypt", Resource: "*"}]}`,
		cell: "org.read",
		want: []string{"arn:aws:iam::333333333333:role/reader allow"},
	}, {
		name: "a bucket policy allowing the org only through a VPC endpoint: conditional per principal",
		doc:  docVPCEPolicy,
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: ViaVPCE, Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::bkt/*", Condition: {StringEquals: {"aws:PrincipalOrgID": o-test000001, "aws:SourceVpce": vpce-0aaa}}}]}`,
		extra: owner,
		cell:  "org.read",
		want: []string{"arn:aws:iam::333333333333:role/admin conditional", "arn:aws:iam::333333333333:role/reader conditional",
			"arn:aws:iam::333333333333:root conditional", "arn:aws:iam::444444444444:role/admin conditional", "arn:aws:iam::444444444444:root conditional"},
		unlisted: []string{"111111111111"},
		cond:     "aws:SourceVpce = vpce-0aaa",
	}, {
		name: "a bucket policy naming one role: only it (and no other role of its shape) is allowed",
		doc:  docPrincipal,
		bucket: `name: bkt
region: eu-west-1
policy: {Version: "2012-10-17", Statement: [{Sid: One, Effect: Allow, Principal: {AWS: "arn:aws:iam::444444444444:role/admin"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::bkt/*"}]}`,
		extra: owner,
		cell:  "org.read",
		want:  []string{"arn:aws:iam::444444444444:role/admin allow"},
		stmt:  `the bucket policy statement "One"`,
	}, {
		name: "IAM of one account could not be read: its principals are not listed, and the reason says so",
		doc:  docEvaluation, bucket: "name: bkt\nregion: eu-west-1\n" + orgRead, extra: owner,
		edit: []func(string) string{func(s string) string {
			return strings.Replace(s, `  - {id: "444444444444", policies: [p-full]}`, `  - {id: "444444444444", policies: [p-full], errors: {iam: "AccessDenied: no"}}`, 1)
		}},
		cell:     "org.read",
		want:     []string{"arn:aws:iam::333333333333:role/admin allow", "arn:aws:iam::333333333333:role/reader allow", "arn:aws:iam::333333333333:root allow"},
		unlisted: []string{"111111111111", "444444444444"},
		reason:   "the principals could not be listed for account 111111111111 (IAM not collected), account 444444444444 (IAM not read: AccessDenied)",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := testOrg(tc.bucket, tc.extra, tc.prod...)
			for _, e := range append(append([]func(string) string(nil), tc.edit...), members...) {
				text = e(text)
			}
			rep := analyzeYAML(t, text, nil)
			c := cellAt(t, bucketNamed(t, rep, "bkt"), tc.cell)
			got := accessOf(c)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s (%s) principals:\n got %q\nwant %q\n(%s)", tc.cell, c.Verdict, got, tc.want, tc.doc)
			}
			if !slices.Equal(c.PrincipalsUnlisted, tc.unlisted) {
				t.Errorf("unlisted %q, want %q", c.PrincipalsUnlisted, tc.unlisted)
			}
			if !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", c.Reason, tc.reason)
			}
			if tc.stmt != "" && (len(c.PrincipalAccess) == 0 || !slices.Contains(c.PrincipalAccess[0].Statements, tc.stmt)) {
				t.Errorf("statements %+v lack %q", c.PrincipalAccess, tc.stmt)
			}
			if tc.cond != "" && (len(c.PrincipalAccess) == 0 || !strings.Contains(strings.Join(c.PrincipalAccess[0].Conditions, "; "), tc.cond)) {
				t.Errorf("conditions %+v lack %q", c.PrincipalAccess, tc.cond)
			}
		})
	}
}

// TestPrincipalAccessExternalScanned: an account outside any organisation
// that was scanned too (an accounts: scan) gets its principals listed in
// its external row, each needing its own identity grant across accounts;
// an external account that was not scanned is named instead.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
func TestPrincipalAccessExternalScanned(t *testing.T) {
	text := `schema_version: 1
accounts:
  - id: "222222222222"
    membership: {standalone: true}
    buckets:
      - name: bkt
        region: eu-west-1
        policy: {Version: "2012-10-17", Statement: [{Sid: Partners, Effect: Allow, Principal: {AWS: ["arn:aws:iam::555555555555:root", "arn:aws:iam::666666666666:root"]}, Action: "s3:GetObject", Resource: "arn:aws:s3:::bkt/*"}]}
    iam: {}
  - id: "555555555555"
    membership: {standalone: true}
    ` + strings.ReplaceAll(iamRoles(
		role("arn:aws:iam::555555555555:role/reader", s3Read),
		role("arn:aws:iam::555555555555:role/ec2", `{Effect: Allow, Action: "ec2:*", Resource: "*"}`),
	), "\n", "\n    ")
	rep := analyzeYAML(t, text, nil)
	b := bucketNamed(t, rep, "bkt")
	c := cellAt(t, b, "external.555555555555.read")
	if got, want := accessOf(c), []string{"arn:aws:iam::555555555555:role/reader allow", "arn:aws:iam::555555555555:root allow"}; !slices.Equal(got, want) {
		t.Errorf("external 555555555555 read: got %q, want %q", got, want)
	}
	c = cellAt(t, b, "external.666666666666.read")
	if len(c.PrincipalAccess) != 0 || !slices.Equal(c.PrincipalsUnlisted, []string{"666666666666"}) || !strings.Contains(c.Reason, "account 666666666666 (not scanned)") {
		t.Errorf("external 666666666666 read: %+v", c)
	}
}

// TestPlainQuoted checks refString's shortcut against strconv.Quote: a Sid
// is written between plain quotes only when Quote would add nothing else
// (every byte, and strings with quotes, escapes and non-ASCII text, which
// take Quote's way), and refString names every statement as with Quote.
func TestPlainQuoted(t *testing.T) {
	cases := []string{"PublicRead", "Enable IAM User Permissions", `a"b`, `a\b`, "é", "tab\there", "日本", "x\x7f", "~!@#$%^&*()"}
	for c := 0; c < 256; c++ {
		cases = append(cases, "s"+string(rune(c)), "s"+string([]byte{byte(c)}))
	}
	for _, s := range []string{"PublicRead", "Enable IAM User Permissions", "~!@#$%^&*()"} {
		if !plainQuoted(s) {
			t.Errorf("plainQuoted(%q) = false, want the shortcut", s)
		}
	}
	for _, s := range cases {
		if plainQuoted(s) && strconv.Quote(s) != `"`+s+`"` {
			t.Errorf("plainQuoted(%q) = true, but strconv.Quote gives %s", s, strconv.Quote(s))
		}
		r := policy.StatementRef{Policy: "bucket policy", Sid: s, Index: 0}
		if got, want := refString(r), "bucket policy statement "+strconv.Quote(s); got != want {
			t.Errorf("refString(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestLowerOf checks lowerOf against strings.ToLower: for every key, it is
// ToLower(key) when that is one of the keys asked for, and none of them
// otherwise (the Kelvin sign lowers to an ASCII k, so a non-ASCII key takes
// ToLower's way).
func TestLowerOf(t *testing.T) {
	lowers := []string{"aws:principalarn", "kms:calleraccount", "aws:userid"}
	for _, k := range []string{"aws:PrincipalArn", "AWS:PRINCIPALARN", "aws:principalarn", "kms:CallerAccount", "aws:userid",
		"aws:PrincipalOrgID", "aws:principalarn2", "", "aws:userİd", "\u212Ams:calleraccount", "aws:useríd"} {
		got, want := lowerOf(k, lowers...), strings.ToLower(k)
		if in := slices.Contains(lowers, want); in != slices.Contains(lowers, got) || in && got != want {
			t.Errorf("lowerOf(%q) = %q, strings.ToLower gives %q", k, got, want)
		}
	}
}

// TestGroupSlab checks the worker's slab of principal groups: the groups
// it hands out between resets are distinct, a reset clears them (they keep
// nothing alive) and hands them out again, and past maxSlabGroups it
// allocates groups on their own.
func TestGroupSlab(t *testing.T) {
	var s groupSlab
	seen := map[*principalGroup]bool{}
	for i := range maxSlabGroups + 3 {
		g := s.next()
		if seen[g] {
			t.Fatalf("group %d handed out twice before a reset", i)
		}
		seen[g] = true
		g.arn = "arn:aws:s3:::b"
	}
	if s.n != maxSlabGroups || len(s.chunks)*groupChunk != maxSlabGroups {
		t.Fatalf("%d groups from %d chunks, want %d from the slab", s.n, len(s.chunks), maxSlabGroups)
	}
	first := &s.chunks[0][0]
	s.reset()
	for c := range s.chunks {
		for i := range s.chunks[c] {
			if s.chunks[c][i].arn != "" {
				t.Fatalf("group %d of chunk %d not cleared by reset", i, c)
			}
		}
	}
	if g := s.next(); g != first {
		t.Errorf("after a reset the slab hands out %p, want its first group %p", g, first)
	}
}
