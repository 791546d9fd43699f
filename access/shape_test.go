package access

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// TestShapesChangeNothing checks that reusing the matrix of a bucket of the
// same shape gives exactly the report computed bucket by bucket.
func TestShapesChangeNothing(t *testing.T) {
	// Two buckets alike but for the canonical user their ACL grants READ
	// to (IDs that share the 12 digits reasons show).
	grantTo := func(name, id string) string {
		return "- {name: " + name + ", region: eu-west-1, ownership: ObjectWriter, acl: {grants: [{grantee: {type: CanonicalUser, id: " + id + "}, permission: READ}]}}"
	}
	canonical := `schema_version: 1
accounts:
  - id: "222222222222"
    buckets:
      ` + grantTo("bkt1", "aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111") + `
      ` + grantTo("bkt2", "aaaaaaaaaaaa2222222222222222222222222222222222222222222222222222") + `
`
	// Buckets alike whose names IAM principals' policies match differently.
	iam := `schema_version: 1
accounts:
  - id: "222222222222"
    buckets:
      - {name: logs-a, region: eu-west-1}
      - {name: logs-b, region: eu-west-1}
      - {name: data-a, region: eu-west-1}
      - {name: data-b, region: eu-west-1, policy: {Version: "2012-10-17", Statement: [{Effect: Deny, Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::data-b/secret/*"}]}}
      - {name: data-c, region: eu-west-1, policy: {Version: "2012-10-17", Statement: [{Effect: Deny, Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::data-c/secret/*"}]}}
    iam:
      roles:
        - arn: arn:aws:iam::222222222222:role/one-bucket
          inline_policies: {p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: ["arn:aws:s3:::logs-a", "arn:aws:s3:::logs-a/*"]}]}}
        - arn: arn:aws:iam::222222222222:role/prefix
          inline_policies: {p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::data-*/*"}, {Effect: Deny, Action: "s3:GetObject", NotResource: "arn:aws:s3:::data-c/*"}]}}
        - arn: arn:aws:iam::222222222222:role/keys
          inline_policies: {p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::*/secret/*"}]}}
  - id: "333333333333"
    buckets:
      - {name: 333333333333-home, region: eu-west-1}
      - {name: home-b, region: eu-west-1}
    iam:
      users:
        - arn: arn:aws:iam::333333333333:user/home
          inline_policies: {p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "arn:aws:s3:::${aws:PrincipalAccount}-*"}]}}
`
	for name, load := range map[string]func() *inventory.Document{
		"IAM principals naming buckets": func() *inventory.Document {
			doc, err := inventory.Parse([]byte(iam), "iam.yaml")
			if err != nil {
				t.Fatal(err)
			}
			return doc
		},
		"synthetic": func() *inventory.Document { return fakeaws.Synthetic(6, 40) },
		"canonical grantees": func() *inventory.Document {
			doc, err := inventory.Parse([]byte(canonical), "canonical.yaml")
			if err != nil {
				t.Fatal(err)
			}
			return doc
		},
	} {
		run := func(noShapes bool) []byte {
			// One worker: reuse then happens in a fixed order (with more, a
			// bucket may be computed while its twin is, and reuse nothing).
			rep, err := Analyze(context.Background(), load(), Options{Now: func() time.Time { return time.Unix(0, 0) }, noShapes: noShapes, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			data, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
		shared, alone := run(false), run(true)
		if string(shared) != string(alone) {
			t.Errorf("%s: reports differ with and without shape reuse:\n%s", name, cmp.Diff(string(alone), string(shared)))
		}
	}
}

func TestNameIndependent(t *testing.T) {
	for text, want := range map[string]bool{
		`{"Resource":"arn:aws:s3:::` + "\x00" + `/*"}`:       true,
		`{"Resource":["arn:aws:s3:::*","arn:aws:s3:::*/*"]}`: true,
		`{"Resource":"*"}`:                           true,
		`{"Resource":"arn:aws:s3:::other-bucket/*"}`: false,
		`{"Resource":"arn:aws:s3:::*-logs/*"}`:       false,
		`{"Resource":"arn:aws:s3:::log*"}`:           false,
	} {
		if got := nameIndependent(text); got != want {
			t.Errorf("nameIndependent(%q) = %t, want %t", text, got, want)
		}
	}
}

// TestCrossAccountShapesChangeNothing checks that reusing the rows of
// another account's bucket of the same shape (crossKey) gives exactly the
// report computed bucket by bucket, on an organisation of accounts that
// landing-zone baselines configure alike: bucket policies that name their
// own account (CloudTrail's aws:SourceAccount and AWSLogs/ACCOUNT/
// prefix, the account's root), Sids holding the account's ID, policies
// naming another member account, ACLs, account Block Public Access that
// varies, an SCP that names one of the two accounts of its OU, an account whose IAM was not
// collected and one with an SCP of its own; and on synthetic
// organisations. Rows are reused across accounts (crossHits), and the
// reports are the same.
func TestCrossAccountShapesChangeNothing(t *testing.T) {
	pd := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
	landingZone := func() *inventory.Document {
		const mgmt = "100000000000"
		id := func(i int) string { return strconv.Itoa(100000000000 + i) }
		doc := crossOrg("o-landing000", mgmt,
			inventory.OrgPolicy{ID: "p-nodelete", Name: "NoDelete", Type: inventory.ServiceControlPolicy,
				Document: pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"` + id(7) + `"}}}]}`)},
			inventory.OrgPolicy{ID: "p-extra", Name: "Extra", Type: inventory.ServiceControlPolicy,
				Document: pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}`)},
			inventory.OrgPolicy{ID: "p-rcp-tls", Name: "TLS", Type: inventory.ResourceControlPolicy,
				Document: pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]}`)},
		)

		root := inventory.OU{ID: "r-land", Name: inventory.DefaultRootName, Policies: []string{"p-FullAWSAccess", "p-rcp-tls"}, Accounts: []string{mgmt},
			OUs: []inventory.OU{
				{ID: "ou-land-workload", Name: "Workloads", Policies: []string{"p-FullAWSAccess"}},
				{ID: "ou-land-named000", Name: "Named", Policies: []string{"p-FullAWSAccess", "p-nodelete"}},
			}}
		for i := 0; i <= 9; i++ {
			a := inventory.Account{ID: id(i), Status: inventory.AccountActive, Policies: []string{"p-FullAWSAccess"},
				IAM: &inventory.IAM{Roles: []inventory.IAMRole{{ARN: "arn:aws:iam::" + id(i) + ":role/reader",
					TrustPolicy:    pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
					InlinePolicies: map[string]*inventory.PolicyDocument{"s3": pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`)}}}}}
			switch {
			case i == 0:
			case i == 6 || i == 7:
				root.OUs[1].Accounts = append(root.OUs[1].Accounts, a.ID)
			default:
				root.OUs[0].Accounts = append(root.OUs[0].Accounts, a.ID)
			}
			if i == 8 {
				a.IAM = nil
				a.Errors = inventory.Errors{"iam": {Code: "AccessDenied"}}
			}
			if i == 9 {
				a.Policies = append(a.Policies, "p-extra")
			}
			if i%2 == 1 || i == 6 {
				a.PublicAccessBlock = &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
			}
			peer := id(1 + i%9)
			bucket := func(name, policy string) inventory.Bucket {
				b := inventory.Bucket{Name: name + "-" + a.ID, Region: "eu-west-1"}
				if policy != "" {
					b.Policy = pd(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(policy, "BUCKET", b.Name), "PEER", peer), "ACCOUNT", a.ID))
				}
				return b
			}
			trail := bucket("trail", `{"Version":"2012-10-17","Statement":[{"Sid":"CloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/AWSLogs/ACCOUNT/*","Condition":{"StringEquals":{"aws:SourceAccount":"ACCOUNT"}}},{"Sid":"OwnerRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::ACCOUNT:root"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]},{"Sid":"NoTLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
			sid := bucket("sid", `{"Version":"2012-10-17","Statement":[{"Sid":"AllowACCOUNT","Effect":"Allow","Principal":{"AWS":"ACCOUNT"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}]}`)
			orgRead := bucket("org", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-landing000"},"StringNotEquals":{"aws:PrincipalAccount":"ACCOUNT"}}}]}`)
			source := bucket("src", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringLike":{"aws:Referer":"https://ACCOUNT.example/*"}}},{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::ACCOUNT:role/admin-*"}}}]}`)
			peerWrite := bucket("peer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::PEER:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*"}]}`)
			plain := bucket("plain", "")
			public := bucket("acl", "")
			public.Ownership = inventory.OwnershipObjectWriter
			public.ACL = &inventory.ACL{Grants: []inventory.Grant{
				{Grantee: inventory.Grantee{Type: inventory.GranteeCanonicalUser, ID: inventory.DefaultCanonicalID(a.ID)}, Permission: inventory.PermFullControl},
				{Grantee: inventory.Grantee{Type: inventory.GranteeGroup, URI: inventory.AllUsersURI}, Permission: inventory.PermRead},
			}}
			a.Buckets = []inventory.Bucket{trail, sid, orgRead, source, peerWrite, plain, public}
			doc.Accounts = append(doc.Accounts, a)
		}
		doc.Organization.Root = root
		return doc
	}
	// Two member accounts' buckets alike, in an OU whose RCP (or SCP)
	// lets requests in only through endpoint vpce-0shared, whose policy
	// allows requests on one of the two accounts' resources only: the
	// endpoint's policy decides them apart (a review found them sharing
	// their rows).
	endpointChain := func(rcp bool) func() *inventory.Document {
		return func() *inventory.Document {
			const mgmt = "400000000000"
			id := func(i int) string { return strconv.Itoa(400000000000 + i) }
			guard := inventory.OrgPolicy{ID: "p-vpceonly", Name: "OnlyViaVpce", Type: inventory.ServiceControlPolicy,
				Document: pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0shared"}}}]}`)}
			if rcp {
				guard.Type = inventory.ResourceControlPolicy
				guard.Document = pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0shared"}}}]}`)
			}
			doc := crossOrg("o-vpce000000", mgmt, guard)
			root := inventory.OU{ID: "r-vp00", Name: inventory.DefaultRootName, Policies: []string{"p-FullAWSAccess"}, Accounts: []string{mgmt},
				OUs: []inventory.OU{{ID: "ou-vp00-work0000", Name: "W", Policies: []string{"p-FullAWSAccess", "p-vpceonly"}}}}
			for i := 0; i <= 2; i++ {
				a := inventory.Account{ID: id(i), Status: inventory.AccountActive, Policies: []string{"p-FullAWSAccess"}}
				if i == 0 {
					a.VPCEndpoints = []inventory.VPCEndpoint{{ID: "vpce-0shared", VPCID: "vpc-1", Region: "eu-west-1", Service: "com.amazonaws.eu-west-1.s3",
						Policy: pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceAccount":"` + id(1) + `"}}}]}`)}}
				} else {
					root.OUs[0].Accounts = append(root.OUs[0].Accounts, a.ID)
					b := inventory.Bucket{Name: "data-" + a.ID, Region: "eu-west-1"}
					b.Policy = pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + b.Name + `/*"}]}`)
					a.Buckets = []inventory.Bucket{b}
				}
				doc.Accounts = append(doc.Accounts, a)
			}
			doc.Organization.Root = root
			return doc
		}
	}
	for name, tc := range map[string]struct {
		load     func() *inventory.Document
		minCross int64
	}{
		"landing zone":                  {landingZone, 15},
		"an RCP that names an endpoint": {endpointChain(true), 0},
		"an SCP that names an endpoint": {endpointChain(false), 0},
		"synthetic":                     {func() *inventory.Document { return fakeaws.Synthetic(40, 5) }, 20},
		"synthetic, roles, idp": {func() *inventory.Document {
			return fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 24, Buckets: 4, Roles: 4, Federated: 2})
		}, 10},
	} {
		run := func(noShapes bool, workers int) (string, int64) {
			return analyzeCross(t, tc.load(), Options{noShapes: noShapes, Workers: workers, PrincipalsPerCell: DefaultPrincipalsPerCell})
		}
		shared, hits := run(false, 1)
		alone, _ := run(true, 1)
		// Workers share the shapes as they go (a bucket may be computed
		// while its twin is): the report is the same.
		if many, _ := run(false, 4); many != alone {
			t.Errorf("%s: reports differ with shapes and 4 workers:\n%s", name, cmp.Diff(alone, many))
		}
		if hits < tc.minCross {
			t.Errorf("%s: %d buckets took another account's rows, want at least %d", name, hits, tc.minCross)
		}
		if string(shared) != string(alone) {
			t.Errorf("%s: reports differ with and without shapes across accounts:\n%s", name, cmp.Diff(string(alone), string(shared)))
		}
	}
}

// TestReplaceAccountID: an account's ID is renamed where it is an ID, not
// inside a longer number; hasAccountID finds 12-digit runs only.
func TestReplaceAccountID(t *testing.T) {
	const a, b = "111122223333", "444455556666"
	for in, want := range map[string]string{
		"arn:aws:iam::111122223333:root":              "arn:aws:iam::444455556666:root",
		"111122223333":                                "444455556666",
		"x 111122223333, 111122223333y":               "x 444455556666, 444455556666y",
		"9111122223333 1111222233339":                 "9111122223333 1111222233339",
		"AWSLogs/111122223333/ and Allow111122223333": "AWSLogs/444455556666/ and Allow444455556666",
		"none": "none",
	} {
		if got := replaceAccountID(in, a, b); got != want {
			t.Errorf("replaceAccountID(%q) = %q, want %q", in, got, want)
		}
	}
	for s, want := range map[string]bool{"a 111122223333 b": true, "1111222233334": false, "11112222333": false, "": false, "x111122223333": true} {
		if got := hasAccountID(s); got != want {
			t.Errorf("hasAccountID(%q) = %t, want %t", s, got, want)
		}
	}
}
