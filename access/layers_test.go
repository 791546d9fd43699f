package access

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// Block Public Access: the effective setting per flag is the account OR the
// bucket level; a level that was not configured is all off; a level that
// could not be read is unknown.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
func TestEffectiveBPA(t *testing.T) {
	on := &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	rpbOnly := &inventory.PublicAccessBlock{RestrictPublicBuckets: true}
	denied := inventory.Errors{inventory.FieldPublicAccessBlock: {Code: "AccessDenied", Message: "Access Denied"}}
	tests := []struct {
		name            string
		account, bucket *inventory.PublicAccessBlock
		accErr, bktErr  inventory.Errors
		want            map[string]string
		allOn, someOff  bool
	}{
		{name: "neither configured", want: flags("false", "false", "false", "false"), someOff: true},
		{name: "account on", account: on, want: flags("true", "true", "true", "true"), allOn: true},
		{name: "bucket on", bucket: on, want: flags("true", "true", "true", "true"), allOn: true},
		{name: "or per flag", account: rpbOnly, bucket: &inventory.PublicAccessBlock{IgnorePublicACLs: true},
			want: flags("false", "true", "false", "true"), someOff: true},
		{name: "account unreadable, bucket off", accErr: denied, bucket: &inventory.PublicAccessBlock{},
			want: flags("unknown", "unknown", "unknown", "unknown")},
		{name: "account unreadable, bucket on decides", accErr: denied, bucket: on,
			want: flags("true", "true", "true", "true"), allOn: true},
		{name: "bucket unreadable, account partly on", account: rpbOnly, bktErr: denied,
			want: flags("unknown", "unknown", "unknown", "true")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &inventory.Account{PublicAccessBlock: tt.account, Errors: tt.accErr}
			b := &inventory.Bucket{PublicAccessBlock: tt.bucket, Errors: tt.bktErr}
			got := EffectiveBPA(a, b)
			if d := cmp.Diff(tt.want, got.Map()); d != "" {
				t.Errorf("EffectiveBPA (-want +got):\n%s", d)
			}
			if got.AllOn() != tt.allOn || got.SomeOff() != tt.someOff {
				t.Errorf("AllOn=%t SomeOff=%t, want %t %t", got.AllOn(), got.SomeOff(), tt.allOn, tt.someOff)
			}
		})
	}
}

func flags(acls, ignore, policy, restrict string) map[string]string {
	return map[string]string{FlagBlockPublicACLs: acls, FlagIgnorePublicACLs: ignore, FlagBlockPublicPolicy: policy, FlagRestrictPublicBuckets: restrict}
}

// Object Ownership: ACLs take part in access decisions under every setting
// but BucketOwnerEnforced; without ownership controls (None) they do, as
// under ObjectWriter.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
func TestACLsInEffect(t *testing.T) {
	tests := []struct {
		ownership string
		errs      inventory.Errors
		want      Tri
	}{
		{inventory.OwnershipBucketOwnerEnforced, nil, TriFalse},
		{"", nil, TriFalse}, // fixture default
		{inventory.OwnershipBucketOwnerPreferred, nil, TriTrue},
		{inventory.OwnershipObjectWriter, nil, TriTrue},
		{inventory.OwnershipNone, nil, TriTrue},
		{"", inventory.Errors{inventory.FieldOwnership: {Code: "AccessDenied", Message: "denied"}}, TriUnknown},
	}
	for _, tt := range tests {
		b := &inventory.Bucket{Ownership: tt.ownership, Errors: tt.errs}
		if got := ACLsInEffect(b); got != tt.want {
			t.Errorf("ACLsInEffect(%q, %v) = %s, want %s", tt.ownership, tt.errs, got, tt.want)
		}
	}
}

// Bucket ACL permissions: READ lists the objects, WRITE creates and deletes
// them, READ_ACP reads the ACL, WRITE_ACP rewrites it (s3:PutBucketAcl,
// never s3:PutBucketPolicy: the manage column counts it where ACLs are in
// force), FULL_CONTROL is all of these; no bucket-ACL permission reads an
// object (object ACLs do).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
func TestACLAllows(t *testing.T) {
	want := map[string][]string{ // permission → actions it grants
		inventory.PermRead:        {ActionList},
		inventory.PermWrite:       {ActionWrite, ActionDelete},
		inventory.PermReadACP:     {ActionGetBucketACL},
		inventory.PermWriteACP:    {ActionPutBucketACL}, // not s3:PutBucketPolicy
		inventory.PermFullControl: {ActionList, ActionWrite, ActionDelete, ActionGetBucketACL, ActionPutBucketACL},
	}
	for perm, acts := range want {
		var got []string
		cols := MatrixActions()
		for _, a := range append(cols[:], ActionGetBucketACL, ActionPutBucketACL) {
			if ACLAllows(perm, a) {
				got = append(got, a)
			}
		}
		if d := cmp.Diff(acts, got); d != "" {
			t.Errorf("ACLAllows(%s) (-want +got):\n%s", perm, d)
		}
	}
}

// ACL grantees: AllUsers and AuthenticatedUsers are the public groups that
// IgnorePublicAcls ignores; canonical user IDs name accounts.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#specifying-grantee
func TestResolveGrants(t *testing.T) {
	acl := &inventory.ACL{Grants: []inventory.Grant{
		{Grantee: inventory.Grantee{Type: inventory.GranteeGroup, URI: inventory.AllUsersURI}, Permission: inventory.PermRead},
		{Grantee: inventory.Grantee{Type: inventory.GranteeGroup, URI: inventory.AuthenticatedUsersURI}, Permission: inventory.PermWrite},
		{Grantee: inventory.Grantee{Type: inventory.GranteeGroup, URI: inventory.LogDeliveryURI}, Permission: inventory.PermWrite},
		{Grantee: inventory.Grantee{Type: inventory.GranteeCanonicalUser, ID: "aaaa"}, Permission: inventory.PermFullControl},
		{Grantee: inventory.Grantee{Type: inventory.GranteeCanonicalUser, ID: "bbbb"}, Permission: inventory.PermRead},
		{Grantee: inventory.Grantee{Type: inventory.GranteeEmail, Email: "x@example.com"}, Permission: inventory.PermRead},
	}}
	lookup := func(id string) (string, bool) {
		if id == "aaaa" {
			return "111111111111", true
		}
		return "", false
	}
	got := ResolveGrants(acl, lookup)
	type g struct {
		Kind, Account string
		Public        bool
	}
	var short []g
	for _, r := range got {
		short = append(short, g{r.Kind, r.Account, r.Public()})
	}
	want := []g{
		{GranteeAllUsers, "", true},
		{GranteeAuthenticated, "", true},
		{GranteeLogDelivery, "", false},
		{GranteeAccount, "111111111111", false},
		{GranteeCanonical, "canonical:bbbb", false},
		{GranteeOther, "", false},
	}
	if d := cmp.Diff(want, short); d != "" {
		t.Errorf("ResolveGrants (-want +got):\n%s", d)
	}
}

// SSE-KMS: S3 calls kms:Decrypt to read and kms:GenerateDataKey to write an
// object encrypted with a KMS key, on the caller's behalf.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
func TestKMSActionFor(t *testing.T) {
	want := map[string]string{ActionRead: "kms:Decrypt", ActionWrite: "kms:GenerateDataKey", ActionList: "", ActionDelete: "", ActionManage: ""}
	for a, k := range want {
		if got := KMSActionFor(a); got != k {
			t.Errorf("KMSActionFor(%s) = %q, want %q", a, got, k)
		}
	}
	for alg, want := range map[string]bool{inventory.AlgorithmKMS: true, inventory.AlgorithmKMSDSSE: true, inventory.AlgorithmAES256: false, inventory.AlgorithmNone: false} {
		if UsesKMS(alg) != want {
			t.Errorf("UsesKMS(%s) = %t", alg, !want)
		}
	}
}

// A bucket with SSE-KMS and no key named uses the account's AWS managed key
// aws/s3; a key ID or alias name is looked up in the bucket's account and
// region; a key ARN may name another account.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
func TestResolveKey(t *testing.T) {
	doc := &inventory.Document{SchemaVersion: 1, Accounts: []inventory.Account{{
		ID: "111111111111",
		KMSKeys: []inventory.KMSKey{
			{ARN: "arn:aws:kms:eu-west-1:111111111111:key/k-1", Aliases: []string{"alias/data"}},
		},
		Buckets: []inventory.Bucket{{Name: "b", Region: "eu-west-1", Encryption: &inventory.Encryption{Algorithm: inventory.AlgorithmKMS}}},
	}}}
	ix := NewIndex(doc)
	tests := []struct {
		configured             string
		wantARN, wantAccount   string
		wantAWS, wantCollected bool
	}{
		{"", inventory.AWSManagedS3KeyARN("111111111111", "eu-west-1"), "111111111111", true, true},
		{"alias/aws/s3", inventory.AWSManagedS3KeyARN("111111111111", "eu-west-1"), "111111111111", true, true},
		{"alias/data", "arn:aws:kms:eu-west-1:111111111111:key/k-1", "111111111111", false, true},
		{"k-1", "arn:aws:kms:eu-west-1:111111111111:key/k-1", "111111111111", false, true},
		{"arn:aws:kms:eu-west-1:111111111111:alias/data", "arn:aws:kms:eu-west-1:111111111111:key/k-1", "111111111111", false, true},
		{"arn:aws:kms:eu-west-1:222222222222:key/k-9", "arn:aws:kms:eu-west-1:222222222222:key/k-9", "222222222222", false, false},
		{"alias/missing", "", "111111111111", false, false},
	}
	for _, tt := range tests {
		got := ix.ResolveKey("111111111111", "eu-west-1", tt.configured)
		if got.ARN != tt.wantARN || got.Account != tt.wantAccount || got.AWSManaged != tt.wantAWS || (got.Key != nil) != tt.wantCollected {
			t.Errorf("ResolveKey(%q) = {ARN %q, Account %q, AWS %t, collected %t}, want {%q, %q, %t, %t}",
				tt.configured, got.ARN, got.Account, got.AWSManaged, got.Key != nil, tt.wantARN, tt.wantAccount, tt.wantAWS, tt.wantCollected)
		}
	}
}

// SCPs: every level from the root through each OU to the account itself is
// evaluated; the management account is not governed.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
// RCPs: likewise for resources, except those of the management account.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
func TestChains(t *testing.T) {
	full := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	deny := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`))
	rcp := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`))
	doc := &inventory.Document{
		SchemaVersion: 1,
		Organization: &inventory.Organization{
			ID: "o-aaaaaaaaaa", ManagementAccountID: "111111111111",
			Root: inventory.OU{ID: "r-aaaa", Policies: []string{"p-full", "p-rcp"}, Accounts: []string{"111111111111"},
				OUs: []inventory.OU{
					{ID: "ou-aaaa-11111111", Name: "Prod", Policies: []string{"p-full", "p-deny"}, Accounts: []string{"222222222222", "333333333333"}},
					{ID: "ou-aaaa-22222222", Name: "Dev", Policies: []string{"p-full"}, Accounts: []string{"444444444444"},
						Errors: inventory.Errors{"policies": {Code: "AccessDenied", Message: "nope"}}},
				}},
			Policies: []inventory.OrgPolicy{
				{ID: "p-full", Name: "FullAWSAccess", Type: inventory.ServiceControlPolicy, Document: full},
				{ID: "p-deny", Name: "DenyDelete", Type: inventory.ServiceControlPolicy, Document: deny},
				{ID: "p-rcp", Name: "TLS", Type: inventory.ResourceControlPolicy, Document: rcp},
			},
		},
		Accounts: []inventory.Account{
			{ID: "111111111111", Policies: []string{"p-full"}},
			{ID: "222222222222", Policies: []string{"p-full"}},
			{ID: "333333333333", Policies: []string{"p-full"}},
			{ID: "444444444444", Policies: []string{"p-full"}},
		},
	}
	ix := NewIndex(doc)
	names := func(c Chain) [][]string {
		var out [][]string
		for _, lvl := range c.Levels {
			var l []string
			for _, p := range lvl {
				l = append(l, p.Name)
			}
			out = append(out, l)
		}
		return out
	}
	if c := ix.SCPs("111111111111"); c.Governed || c.Levels != nil {
		t.Errorf("management account SCPs = %+v, want not governed", c)
	}
	if c := ix.RCPs("111111111111"); c.Governed {
		t.Errorf("management account RCPs governed")
	}
	want := [][]string{{"SCP p-full (FullAWSAccess)"}, {"SCP p-full (FullAWSAccess)", "SCP p-deny (DenyDelete)"}, {"SCP p-full (FullAWSAccess)"}}
	c2, c3 := ix.SCPs("222222222222"), ix.SCPs("333333333333")
	if d := cmp.Diff(want, names(c2)); d != "" || !c2.Governed {
		t.Errorf("SCPs(222222222222) (-want +got):\n%s", d)
	}
	if c2.Key != c3.Key {
		t.Errorf("accounts with the same chain have different keys %q, %q", c2.Key, c3.Key)
	}
	if c4 := ix.SCPs("444444444444"); c4.Key == c2.Key || len(c4.Incomplete) != 1 || !c4.Levels[1][0].IsUnreadable() {
		t.Errorf("SCPs of an OU whose policies could not be listed = %+v, want an unreadable level", c4)
	}
	wantRCP := [][]string{{"RCP p-rcp (TLS)"}, nil, nil}
	if d := cmp.Diff(wantRCP, names(ix.RCPs("222222222222"))); d != "" {
		t.Errorf("RCPs(222222222222) (-want +got):\n%s", d)
	}
	if p := ix.OrgPath("222222222222"); p != "o-aaaaaaaaaa/r-aaaa/ou-aaaa-11111111/" {
		t.Errorf("OrgPath = %q", p)
	}
	if !strings.HasPrefix(ix.OUPath("222222222222"), "Root/Prod") {
		t.Errorf("OUPath = %q", ix.OUPath("222222222222"))
	}
}

// The accounts of an OU with the same policies share their chain (computed
// once, chainCache.byOU); one with other policies, or whose own level names
// the account (policies not listed, a policy not collected), has its own:
// each level from the root to the account is evaluated.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html
func TestChainsSharedInOU(t *testing.T) {
	full := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	deny := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`))
	doc := &inventory.Document{SchemaVersion: 1,
		Organization: &inventory.Organization{ID: "o-aaaaaaaaaa", ManagementAccountID: "111111111111",
			Root: inventory.OU{ID: "r-aaaa", Policies: []string{"p-full"}, Accounts: []string{"111111111111"}, OUs: []inventory.OU{
				{ID: "ou-aaaa-11111111", Name: "A", Policies: []string{"p-full"},
					Accounts: []string{"222222222222", "333333333333", "444444444444", "555555555555", "666666666666"}},
				{ID: "ou-aaaa-22222222", Name: "B", Policies: []string{"p-full", "p-deny"}, Accounts: []string{"777777777777"}},
			}},
			Policies: []inventory.OrgPolicy{
				{ID: "p-full", Name: "FullAWSAccess", Type: inventory.ServiceControlPolicy, Document: full},
				{ID: "p-deny", Name: "DenyDelete", Type: inventory.ServiceControlPolicy, Document: deny},
			}},
		Accounts: []inventory.Account{{ID: "111111111111"},
			{ID: "222222222222", Policies: []string{"p-full"}},
			{ID: "333333333333", Policies: []string{"p-full"}},
			{ID: "444444444444", Policies: []string{"p-full", "p-deny"}},
			{ID: "555555555555", Policies: []string{"p-full"}, Errors: inventory.Errors{"policies": {Code: "AccessDenied", Message: "nope"}}},
			{ID: "666666666666", Policies: []string{"p-full", "p-gone"}},
			{ID: "777777777777", Policies: []string{"p-full"}},
		},
	}
	ix := NewIndex(doc)
	names := func(c Chain) string {
		var out []string
		for _, lvl := range c.Levels {
			var l []string
			for _, p := range lvl {
				l = append(l, p.Name)
			}
			out = append(out, strings.Join(l, ", "))
		}
		return strings.Join(out, " | ") + " incomplete: " + strings.Join(c.Incomplete, "; ")
	}
	for _, ids := range [][]string{
		{"555555555555", "222222222222", "444444444444", "666666666666", "333333333333", "777777777777"},
		{"222222222222", "333333333333", "444444444444", "555555555555", "666666666666", "777777777777"},
	} {
		ix.chains = chainCache{}
		got := map[string]string{}
		for _, id := range ids {
			got[id] = names(ix.SCPs(id))
		}
		for id, want := range map[string]string{
			"222222222222": "SCP p-full (FullAWSAccess) | SCP p-full (FullAWSAccess) | SCP p-full (FullAWSAccess) incomplete: ",
			"333333333333": "SCP p-full (FullAWSAccess) | SCP p-full (FullAWSAccess) | SCP p-full (FullAWSAccess) incomplete: ",
			"444444444444": "SCP p-full (FullAWSAccess) | SCP p-full (FullAWSAccess) | SCP p-full (FullAWSAccess), SCP p-deny (DenyDelete) incomplete: ",
			"555555555555": "SCP p-full (FullAWSAccess) | SCP p-full (FullAWSAccess) | SCPs attached to account 555555555555 (not read: AccessDenied: nope), SCP p-full (FullAWSAccess) incomplete: SCPs attached to account 555555555555 (not read: AccessDenied: nope)",
			"666666666666": "SCP p-full (FullAWSAccess) | SCP p-full (FullAWSAccess) | SCP p-full (FullAWSAccess), policy p-gone attached to account 666666666666 (not collected) incomplete: policy p-gone attached to account 666666666666 (not collected)",
			"777777777777": "SCP p-full (FullAWSAccess) | SCP p-full (FullAWSAccess), SCP p-deny (DenyDelete) | SCP p-full (FullAWSAccess) incomplete: ",
		} {
			if got[id] != want {
				t.Errorf("order %v: SCPs(%s) = %s\nwant %s", ids, id, got[id], want)
			}
		}
		if a, b := ix.SCPs("222222222222"), ix.SCPs("333333333333"); a.Key != b.Key || &a.Levels[0] != &b.Levels[0] {
			t.Errorf("order %v: the chains of 222222222222 and 333333333333 are not one (keys %q, %q)", ids, a.Key, b.Key)
		}
	}
}

// The IAM pre-filter is conservative: it never drops a principal whose
// policies could name the bucket.
func TestResourceMayNameBucket(t *testing.T) {
	for pattern, want := range map[string]bool{
		"*":                              true,
		"arn:aws:s3:::acme-prod-*":       true,
		"arn:aws:s3:::acme-prod-*/*":     true,
		"arn:aws:s3:::acme-prod-data":    true,
		"arn:aws:s3:::acme-dev-*/*":      false,
		"arn:aws:s3:::other/*":           false,
		"arn:aws:s3:::*/reports/*":       true,
		"arn:aws:s3:::${aws:username}/*": true,
		"arn:aws-cn:s3:::acme-prod-data": true,
		"arn:aws:kms:*:*:key/*":          false,
	} {
		if got := resourceMayNameBucket(pattern, "acme-prod-data"); got != want {
			t.Errorf("resourceMayNameBucket(%q) = %t, want %t", pattern, got, want)
		}
	}
}

// A level holding only FullAWSAccess decides nothing, so accounts whose
// chains differ only by such levels are grouped together; a level with a
// deny keeps them apart.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html
func TestChainKeysIgnoreAllowAllLevels(t *testing.T) {
	full := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	deny := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`))
	doc := &inventory.Document{SchemaVersion: 1,
		Organization: &inventory.Organization{ID: "o-aaaaaaaaaa", ManagementAccountID: "111111111111",
			Root: inventory.OU{ID: "r-aaaa", Policies: []string{"p-full"}, Accounts: []string{"111111111111"}, OUs: []inventory.OU{
				{ID: "ou-aaaa-11111111", Name: "A", Policies: []string{"p-full"}, Accounts: []string{"222222222222"}},
				{ID: "ou-aaaa-22222222", Name: "B", Policies: []string{"p-full"}, OUs: []inventory.OU{
					{ID: "ou-aaaa-33333333", Name: "C", Policies: []string{"p-full"}, Accounts: []string{"333333333333"}}}},
				{ID: "ou-aaaa-44444444", Name: "D", Policies: []string{"p-full", "p-deny"}, Accounts: []string{"444444444444"}},
			}},
			Policies: []inventory.OrgPolicy{
				{ID: "p-full", Name: "FullAWSAccess", Type: inventory.ServiceControlPolicy, Document: full},
				{ID: "p-deny", Name: "DenyDelete", Type: inventory.ServiceControlPolicy, Document: deny},
			}},
		Accounts: []inventory.Account{{ID: "111111111111"}, {ID: "222222222222", Policies: []string{"p-full"}},
			{ID: "333333333333", Policies: []string{"p-full"}}, {ID: "444444444444", Policies: []string{"p-full"}}},
	}
	ix := NewIndex(doc)
	if a, b := ix.SCPs("222222222222"), ix.SCPs("333333333333"); a.Key != b.Key || len(a.Levels) == len(b.Levels) {
		t.Errorf("keys %q and %q (levels %d, %d): want equal keys for chains of allow-all levels", a.Key, b.Key, len(a.Levels), len(b.Levels))
	}
	if a, d := ix.SCPs("222222222222"), ix.SCPs("444444444444"); a.Key == d.Key {
		t.Errorf("a level with a deny shares key %q", a.Key)
	}
	// An account whose level allows nothing is not grouped with the others
	// (a scan's snapshot that listed no SCP on it: in a fixture, an absent
	// list means FullAWSAccess).
	doc.Accounts[1].Policies = nil
	doc.Scan = &inventory.ScanInfo{}
	ix = NewIndex(doc)
	if a, b := ix.SCPs("222222222222"), ix.SCPs("333333333333"); a.Key == b.Key {
		t.Errorf("a level with no policy (denies everything) shares key %q", a.Key)
	}
}
