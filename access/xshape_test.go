package access

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// crossOrg returns a document of organisation id whose management account
// is mgmt, with the FullAWSAccess SCP and policies.
func crossOrg(id, mgmt string, policies ...inventory.OrgPolicy) *inventory.Document {
	full := inventory.OrgPolicy{ID: "p-FullAWSAccess", Name: "FullAWSAccess", Type: inventory.ServiceControlPolicy, AWSManaged: true,
		Document: inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))}
	return &inventory.Document{SchemaVersion: inventory.SchemaVersion, Organization: &inventory.Organization{
		ID: id, ManagementAccountID: mgmt, Policies: append([]inventory.OrgPolicy{full}, policies...)}}
}

// analyzeCross returns doc's report.json analysed with opts (at epoch)
// and how many of its buckets took another account's rows (crossHits).
func analyzeCross(t *testing.T, doc *inventory.Document, opts Options) (string, int64) {
	t.Helper()
	var hits atomic.Int64
	opts.Now, opts.crossHits = epoch, &hits
	data, _ := analyzeJSON(t, doc, opts)
	return string(data), hits.Load()
}

var randomOrgPolicies = []string{
	"",
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::ACCOUNT:role/r0"},"Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::BUCKET/*"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::BUCKET/*"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-review0000"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::PEER:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"EXT"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::ACCOUNT:role/*"}}},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-0ACCOUNT"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"ACCOUNT"},"StringEquals":{"aws:ResourceAccount":"ACCOUNT"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::ACCOUNT:role/r1","arn:aws:iam::ACCOUNT:user/u0"]},"Action":"s3:*","Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"a"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringEquals":{"aws:PrincipalAccount":["ACCOUNT","PEER"]}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}},{"Sid":"B","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringEquals":{"aws:PrincipalOrgPaths":"o-review0000/r-rev0/ou-rev0-work0000/"}}},{"Sid":"D","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::EXT:root"},"Action":["s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringEquals":{"aws:PrincipalType":"AssumedRole"}}},{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::BUCKET","Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],"Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}},{"Effect":"Allow","Principal":{"AWS":"ACCOUNT"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/logs/ACCOUNT/*"}]}`,
}

func randomOrg(seed int64) *inventory.Document {
	rng := rand.New(rand.NewSource(seed))
	pd := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
	const mgmt = "300000000000"
	id := func(i int) string { return strconv.Itoa(300000000000 + i) }
	const ext = "999988887777"
	doc := crossOrg("o-review0000", mgmt,
		inventory.OrgPolicy{ID: "p-rcp", Name: "RCPDeny", Type: inventory.ResourceControlPolicy,
			Document: pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-review0000"}}}]}`)},
		inventory.OrgPolicy{ID: "p-rcp2", Name: "RCPVpce", Type: inventory.ResourceControlPolicy,
			Document: pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}}]}`)},
		inventory.OrgPolicy{ID: "p-scp", Name: "SCPDeny", Type: inventory.ServiceControlPolicy,
			Document: pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`)},
	)
	root := inventory.OU{ID: "r-rev0", Name: inventory.DefaultRootName, Policies: []string{"p-FullAWSAccess", "p-rcp"}, Accounts: []string{mgmt},
		OUs: []inventory.OU{{ID: "ou-rev0-work0000", Name: "W", Policies: []string{"p-FullAWSAccess"}}, {ID: "ou-rev0-othr0000", Name: "O", Policies: []string{"p-FullAWSAccess", "p-scp", "p-rcp2"}}}}
	n := 14
	for i := 0; i <= n; i++ {
		a := inventory.Account{ID: id(i), Status: inventory.AccountActive, Policies: []string{"p-FullAWSAccess"}}
		if rng.Intn(2) == 0 {
			a.CanonicalID = fmt.Sprintf("%064x", i+1)
		}
		switch rng.Intn(3) {
		case 0:
			roles := []inventory.IAMRole{}
			for r := 0; r <= rng.Intn(3); r++ {
				roles = append(roles, inventory.IAMRole{ARN: "arn:aws:iam::" + id(i) + ":role/r" + strconv.Itoa(r), Tags: map[string]string{"team": []string{"a", "b"}[rng.Intn(2)]},
					TrustPolicy:    pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
					InlinePolicies: map[string]*inventory.PolicyDocument{"s3": pd(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}`)}})
			}
			a.IAM = &inventory.IAM{Roles: roles, Users: []inventory.IAMUser{{ARN: "arn:aws:iam::" + id(i) + ":user/u0"}}}
		case 1:
			a.IAM = nil
			a.Errors = inventory.Errors{"iam": {Code: "AccessDenied"}}
		}
		if i > 0 {
			switch rng.Intn(3) {
			case 0:
				root.Accounts = append(root.Accounts, a.ID)
			case 1:
				root.OUs[0].Accounts = append(root.OUs[0].Accounts, a.ID)
			default:
				root.OUs[1].Accounts = append(root.OUs[1].Accounts, a.ID)
			}
		}
		if i > 0 && rng.Intn(6) == 0 {
			a.Status = inventory.AccountSuspended
		}
		if rng.Intn(3) == 0 {
			a.PublicAccessBlock = &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: rng.Intn(2) == 0}
		}
		if rng.Intn(2) == 0 {
			a.VPCEndpoints = []inventory.VPCEndpoint{{ID: "vpce-0" + a.ID, VPCID: "vpc-" + strconv.Itoa(rng.Intn(2)), Region: "eu-west-1", Service: "com.amazonaws.eu-west-1.s3",
				Policy: pd([]string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"` + a.ID + `"}}}]}`}[rng.Intn(2)])}}
		}
		peer := id(1 + rng.Intn(n))
		keyARN := "arn:aws:kms:eu-west-1:" + a.ID + ":key/11111111-2222-3333-4444-" + fmt.Sprintf("%012d", i)
		if rng.Intn(2) == 0 {
			kp := []string{
				`{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::ACCOUNT:root"},"Action":"kms:*","Resource":"*"}]}`,
				`{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::ACCOUNT:root"},"Action":"kms:*","Resource":"*"},{"Sid":"Org","Effect":"Allow","Principal":"*","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-review0000","kms:ViaService":"s3.eu-west-1.amazonaws.com"}}}]}`,
				`{"Version":"2012-10-17","Statement":[{"Sid":"Peer","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::PEER:root"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::b*"}}}]}`,
			}[rng.Intn(3)]
			k := inventory.KMSKey{ARN: keyARN, Manager: inventory.KeyManagerCustomer, State: "Enabled", Policy: pd(strings.NewReplacer("ACCOUNT", a.ID, "PEER", peer).Replace(kp))}
			if rng.Intn(2) == 0 {
				k.Grants = []inventory.KMSGrant{{GrantID: "g1", GranteePrincipal: "arn:aws:iam::" + peer + ":role/r0", Operations: []string{"Decrypt", "GenerateDataKey"}}}
			}
			a.KMSKeys = []inventory.KMSKey{k}
		}
		for b := 0; b < len(randomOrgPolicies); b++ {
			name := "b" + strconv.Itoa(b) + "-" + a.ID
			if rng.Intn(8) == 0 {
				name = "x" + strconv.Itoa(b) + "-" + peer
			}
			bk := inventory.Bucket{Name: name + "-" + strconv.Itoa(b), Region: []string{"eu-west-1", "eu-west-1", "eu-west-1", "us-east-1"}[rng.Intn(4)]}
			if pol := randomOrgPolicies[b]; pol != "" {
				bk.Policy = pd(strings.NewReplacer("BUCKET", bk.Name, "ACCOUNT", a.ID, "PEER", peer, "EXT", ext).Replace(pol))
			}
			if rng.Intn(4) == 0 {
				bk.Ownership = inventory.OwnershipObjectWriter
				grants := []inventory.Grant{{Grantee: inventory.Grantee{Type: inventory.GranteeCanonicalUser, ID: inventory.DefaultCanonicalID(a.ID)}, Permission: inventory.PermFullControl}}
				if a.CanonicalID != "" && rng.Intn(2) == 0 {
					grants[0].Grantee.ID = a.CanonicalID
				}
				switch rng.Intn(3) {
				case 0:
					grants = append(grants, inventory.Grant{Grantee: inventory.Grantee{Type: inventory.GranteeGroup, URI: inventory.AllUsersURI}, Permission: inventory.PermRead})
				case 1:
					grants = append(grants, inventory.Grant{Grantee: inventory.Grantee{Type: inventory.GranteeCanonicalUser, ID: inventory.DefaultCanonicalID(peer)}, Permission: inventory.PermWrite})
				}
				bk.ACL = &inventory.ACL{Grants: grants}
			}
			if rng.Intn(8) == 0 {
				bk.PublicAccessBlock = &inventory.PublicAccessBlock{BlockPublicACLs: rng.Intn(2) == 0, IgnorePublicACLs: rng.Intn(2) == 0, BlockPublicPolicy: false, RestrictPublicBuckets: rng.Intn(2) == 0}
			}
			switch rng.Intn(5) {
			case 0:
				bk.Encryption = &inventory.Encryption{Algorithm: "AES256"}
			case 1:
				bk.Encryption = &inventory.Encryption{Algorithm: "aws:kms"}
			case 2:
				if len(a.KMSKeys) > 0 && bk.Region == "eu-west-1" {
					bk.Encryption = &inventory.Encryption{Algorithm: "aws:kms", KMSKeyID: keyARN, BucketKey: rng.Intn(2) == 0}
				}
			}
			a.Buckets = append(a.Buckets, bk)
		}
		doc.Accounts = append(doc.Accounts, a)
	}
	doc.Organization.Root = root
	return doc
}

// TestCrossAccountShapesRandomOrgs analyses random organisations (SCPs
// and RCPs, Block Public Access at both levels, IAM collected, failing or
// absent, suspended accounts, canonical IDs and ACL grants, SSE-S3 and KMS
// keys with policies and grants, VPC endpoints, bucket policies naming
// the account, a peer, an outsider, endpoints, principal tags, trusted
// accounts, principal caps of the default, 1 and 0) with shapes (one
// worker and four) and without: the reports are the same, and the memos
// hold (checkMemos). (From the session's review, which found the
// endpoint case TestCrossAccountShapesChangeNothing covers.)
func TestCrossAccountShapesRandomOrgs(t *testing.T) {
	var total int64
	for seed := int64(0); seed < 24; seed++ {
		ppc := []int{DefaultPrincipalsPerCell, 1, 0}[seed%3]
		var trusted map[string]string
		if seed%2 == 1 {
			trusted = map[string]string{"999988887777": "partner", "300000000003": "log archive", "300000000005": "sec"}
		}
		run := func(noShapes bool, workers int) (string, int64) {
			return analyzeCross(t, randomOrg(seed), Options{noShapes: noShapes, Workers: workers, PrincipalsPerCell: ppc, checkMemos: true, TrustedAccounts: trusted})
		}
		shared, hits := run(false, 1)
		total += hits
		alone, _ := run(true, 1)
		if shared != alone {
			t.Errorf("seed %d differ:\n%s", seed, cmp.Diff(alone, shared))
			break
		}
		if many, _ := run(false, 4); many != alone {
			t.Errorf("seed %d differ with 4 workers:\n%s", seed, cmp.Diff(alone, many))
			break
		}
	}
	if total == 0 {
		t.Error("no bucket took another account's rows")
	}
}
