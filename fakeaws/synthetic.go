package fakeaws

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// Synthetic organisation constants.
const (
	// SyntheticAuditRole is the audit role of every synthetic account (no ExternalId).
	SyntheticAuditRole = "BucketAuditRole"
	// SyntheticPartnerAccount is the account outside the organisation that
	// cross-account synthetic bucket policies grant access to.
	SyntheticPartnerAccount = "999988887777"
	syntheticMgmt           = 100000000000
	syntheticOrgID          = "o-synthetic0"
	syntheticRootID         = "r-synt"
)

// syntheticRegions are the regions synthetic buckets are spread over
// (weighted by repetition).
func syntheticRegions() []string {
	return []string{"us-east-1", "us-east-1", "eu-west-1", "eu-west-1", "us-west-2", "ap-southeast-2"}
}

// SyntheticAccountID returns the ID of the i-th synthetic account (0 is the
// management account).
func SyntheticAccountID(i int) string { return strconv.Itoa(syntheticMgmt + i) }

// Synthetic generates a deterministic organisation of accounts member
// accounts (plus the management account) with buckets buckets each. The
// mix is realistic: OUs with SCPs and a resource control policy; public,
// organisation-only, cross-account, VPC-endpoint-bound and TLS-only bucket
// policies; ACL-enabled buckets with public grants; SSE-S3, SSE-KMS with
// customer keys (key policies, grants) and the AWS managed aws/s3 key;
// account and bucket Block Public Access; IAM roles; S3 gateway endpoints.
// Every account's audit role is SyntheticAuditRole without ExternalId.
//
// It is built for large benchmarks: about 0.6 KB per bucket, and the same
// arguments always give the same document.
func Synthetic(accounts, buckets int) *inventory.Document {
	accounts = max(accounts, 0)
	buckets = max(buckets, 0)
	rng := rand.New(rand.NewPCG(0x62756361, uint64(accounts)<<32|uint64(buckets)))
	mgmt := SyntheticAccountID(0)
	doc := &inventory.Document{
		SchemaVersion: inventory.SchemaVersion,
		Organization: &inventory.Organization{
			ID:                  syntheticOrgID,
			ManagementAccountID: mgmt,
			Policies:            syntheticPolicies(),
		},
		Accounts: make([]inventory.Account, 0, accounts+1),
	}
	ous := []inventory.OU{
		{ID: "ou-synt-prod0000", Name: "Prod", Policies: []string{"p-FullAWSAccess", "p-deny-s3-delete"}},
		{ID: "ou-synt-nonprod0", Name: "NonProd", Policies: []string{"p-FullAWSAccess"}},
		{ID: "ou-synt-sandbox0", Name: "Sandbox", Policies: []string{"p-FullAWSAccess", "p-region-guard"}},
	}
	root := inventory.OU{
		ID:       syntheticRootID,
		Name:     inventory.DefaultRootName,
		Policies: []string{"p-FullAWSAccess", "p-rcp-tls"},
		Accounts: []string{mgmt},
		OUs: []inventory.OU{
			{ID: "ou-synt-workload", Name: "Workloads", Policies: []string{"p-FullAWSAccess"}, OUs: ous[:2]},
			{ID: "ou-synt-security", Name: "Security", Policies: []string{"p-FullAWSAccess"}},
			ous[2],
		},
	}
	for i := 0; i <= accounts; i++ {
		id := SyntheticAccountID(i)
		a := syntheticAccount(rng, i, id, accounts, buckets)
		if i > 0 {
			switch i % 5 {
			case 0, 1, 2:
				root.OUs[0].OUs[i%2].Accounts = append(root.OUs[0].OUs[i%2].Accounts, id)
			case 3:
				root.OUs[1].Accounts = append(root.OUs[1].Accounts, id)
			default:
				root.OUs[2].Accounts = append(root.OUs[2].Accounts, id)
			}
		}
		doc.Accounts = append(doc.Accounts, a)
	}
	doc.Organization.Root = root
	return doc
}

func syntheticPolicies() []inventory.OrgPolicy {
	doc := func(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }
	return []inventory.OrgPolicy{
		{ID: "p-FullAWSAccess", Name: "FullAWSAccess", Type: inventory.ServiceControlPolicy, AWSManaged: true,
			Description: "Allows access to every operation",
			Document:    doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)},
		{ID: "p-deny-s3-delete", Name: "DenyS3Delete", Type: inventory.ServiceControlPolicy,
			Document: doc(`{"Version":"2012-10-17","Statement":[{"Sid":"NoBucketDelete","Effect":"Deny","Action":["s3:DeleteBucket","s3:DeleteObject"],"Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/BreakGlass"}}}]}`)},
		{ID: "p-region-guard", Name: "RegionGuard", Type: inventory.ServiceControlPolicy,
			Document: doc(`{"Version":"2012-10-17","Statement":[{"Sid":"DenyOtherRegions","Effect":"Deny","NotAction":["iam:*","organizations:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}]}`)},
		{ID: "p-rcp-tls", Name: "EnforceTLS", Type: inventory.ResourceControlPolicy,
			Document: doc(`{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":["s3:*","kms:*"],"Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]}`)},
	}
}

func syntheticAccount(rng *rand.Rand, i int, id string, accounts, buckets int) inventory.Account {
	a := inventory.Account{
		ID:        id,
		Name:      fmt.Sprintf("synthetic-%04d", i),
		Email:     fmt.Sprintf("aws+synthetic-%04d@example.com", i),
		Status:    inventory.AccountActive,
		Policies:  []string{"p-FullAWSAccess"},
		Tags:      map[string]string{"cost-center": strconv.Itoa(100 + i%7)},
		AuditRole: &inventory.AuditRole{Name: SyntheticAuditRole},
		Buckets:   make([]inventory.Bucket, 0, buckets),
	}
	if i == 0 {
		a.Name = "management"
		a.Email = "aws+management@example.com"
	}
	if rng.IntN(10) < 7 {
		a.PublicAccessBlock = &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	}
	// Another member account that cross-account policies name.
	peer := SyntheticAccountID(1 + (i % max(accounts, 1)))
	keys := map[string]string{} // region → customer key ARN
	vpce := map[string]string{} // region → endpoint ID
	regions := syntheticRegions()
	for j := 0; j < buckets; j++ {
		region := regions[rng.IntN(len(regions))]
		b := inventory.Bucket{
			Name:   fmt.Sprintf("syn-%s-%05d", id, j),
			Region: region,
		}
		b.Created = inventory.DefaultBucketCreated().AddDate(0, 0, rng.IntN(900))
		arn := "arn:aws:s3:::" + b.Name
		switch r := rng.IntN(100); {
		case r < 8: // public read
			b.Policy = policyText(`{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + arn + `/*"}]}`)
		case r < 22: // organisation only
			b.Policy = policyText(`{"Version":"2012-10-17","Statement":[{"Sid":"OrgRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["` + arn + `","` + arn + `/*"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + syntheticOrgID + `"}}}]}`)
		case r < 30: // cross-account: a member account and a partner outside the organisation
			b.Policy = policyText(`{"Version":"2012-10-17","Statement":[{"Sid":"PeerWrite","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + peer + `:root"},"Action":["s3:PutObject","s3:GetObject"],"Resource":"` + arn + `/*"},{"Sid":"PartnerList","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + SyntheticPartnerAccount + `:role/ingest"},"Action":"s3:ListBucket","Resource":"` + arn + `"}]}`)
		case r < 38: // only through the account's VPC endpoint
			ep := endpointFor(vpce, id, region)
			b.Policy = policyText(`{"Version":"2012-10-17","Statement":[{"Sid":"VpceOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["` + arn + `","` + arn + `/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"` + ep + `"}}},{"Sid":"VpceRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + arn + `/*","Condition":{"StringEquals":{"aws:SourceVpce":"` + ep + `"}}}]}`)
		case r < 46: // TLS only (CIS 3.1.1)
			b.Policy = policyText(`{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["` + arn + `","` + arn + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
		case r < 49: // object action on the bucket ARN only (missing /*)
			b.Policy = policyText(`{"Version":"2012-10-17","Statement":[{"Sid":"Broken","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + peer + `:root"},"Action":"s3:GetObject","Resource":"` + arn + `"}]}`)
		}
		if rng.IntN(2) == 0 {
			b.PublicAccessBlock = &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
		}
		switch r := rng.IntN(100); {
		case r < 5:
			b.Ownership = inventory.OwnershipObjectWriter
			b.ACL = &inventory.ACL{Grants: []inventory.Grant{
				{Grantee: inventory.Grantee{Type: inventory.GranteeCanonicalUser, ID: inventory.DefaultCanonicalID(id)}, Permission: inventory.PermFullControl},
				{Grantee: inventory.Grantee{Type: inventory.GranteeGroup, URI: inventory.AllUsersURI}, Permission: inventory.PermRead},
			}}
		case r < 9:
			b.Ownership = inventory.OwnershipBucketOwnerPreferred
			b.ACL = &inventory.ACL{Grants: []inventory.Grant{
				{Grantee: inventory.Grantee{Type: inventory.GranteeCanonicalUser, ID: inventory.DefaultCanonicalID(id)}, Permission: inventory.PermFullControl},
				{Grantee: inventory.Grantee{Type: inventory.GranteeGroup, URI: inventory.LogDeliveryURI}, Permission: inventory.PermWrite},
				{Grantee: inventory.Grantee{Type: inventory.GranteeCanonicalUser, ID: inventory.DefaultCanonicalID(peer)}, Permission: inventory.PermRead},
			}}
		}
		switch r := rng.IntN(100); {
		case r < 20:
			b.Encryption = &inventory.Encryption{Algorithm: inventory.AlgorithmKMS, KMSKeyID: keyFor(keys, id, region), BucketKey: rng.IntN(2) == 0}
		case r < 35:
			b.Encryption = &inventory.Encryption{Algorithm: inventory.AlgorithmKMS}
		}
		if rng.IntN(10) < 4 {
			b.Versioning = "Enabled"
		}
		if rng.IntN(3) == 0 {
			b.Tags = map[string]string{"team": []string{"data", "web", "ml", "finance"}[j%4]}
		}
		a.Buckets = append(a.Buckets, b)
	}
	for _, region := range sortedRegions(keys) {
		arn := keys[region]
		k := inventory.KMSKey{ARN: arn, Aliases: []string{"alias/" + a.Name + "-" + region}}
		k.Policy = policyText(`{"Version":"2012-10-17","Id":"key-policy","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + id + `:root"},"Action":"kms:*","Resource":"*"},{"Sid":"PeerDecrypt","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + peer + `:root"},"Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*"}]}`)
		k.Grants = []inventory.KMSGrant{{GranteePrincipal: "arn:aws:iam::" + id + ":role/data-pipeline", Operations: []string{"Decrypt", "GenerateDataKey"}}}
		a.KMSKeys = append(a.KMSKeys, k)
	}
	for _, region := range sortedRegions(vpce) {
		a.VPCEndpoints = append(a.VPCEndpoints, inventory.VPCEndpoint{
			ID: vpce[region], Region: region, Service: "com.amazonaws." + region + ".s3", Type: "Gateway",
			Policy: policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket","s3:PutObject"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + syntheticOrgID + `"}}}]}`),
		})
	}
	a.IAM = &inventory.IAM{
		Roles: []inventory.IAMRole{
			{ARN: "arn:aws:iam::" + id + ":role/data-pipeline",
				TrustPolicy:      policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"glue.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
				AttachedPolicies: []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
				InlinePolicies:   map[string]*inventory.PolicyDocument{"write-curated": policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::syn-` + id + `-*/*"}]}`)}},
			{ARN: "arn:aws:iam::" + id + ":role/" + SyntheticAuditRole,
				TrustPolicy:      policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + SyntheticAccountID(0) + `:root"},"Action":"sts:AssumeRole"}]}`),
				AttachedPolicies: []string{"arn:aws:iam::aws:policy/SecurityAudit"}},
		},
		Policies: []inventory.IAMManagedPolicy{
			{ARN: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", Name: "AmazonS3ReadOnlyAccess",
				Document: policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}`)},
			{ARN: "arn:aws:iam::aws:policy/SecurityAudit", Name: "SecurityAudit",
				Document: policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetBucket*","s3:GetAccountPublicAccessBlock","s3:ListAllMyBuckets","kms:Describe*","kms:Get*","kms:List*","organizations:Describe*","organizations:List*","iam:GetAccountAuthorizationDetails","ec2:DescribeVpcEndpoints"],"Resource":"*"}]}`)},
		},
	}
	return a
}

func policyText(s string) *inventory.PolicyDocument { return inventory.NewPolicyDocument([]byte(s)) }

// keyFor returns (and remembers) the account's customer key in region.
func keyFor(keys map[string]string, account, region string) string {
	if k, ok := keys[region]; ok {
		return k
	}
	h := syntheticHex(account + region)
	k := "arn:aws:kms:" + region + ":" + account + ":key/" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	keys[region] = k
	return k
}

// endpointFor returns (and remembers) the account's S3 gateway endpoint in region.
func endpointFor(eps map[string]string, account, region string) string {
	if e, ok := eps[region]; ok {
		return e
	}
	e := "vpce-" + syntheticHex("vpce" + account + region)[:17]
	eps[region] = e
	return e
}

func syntheticHex(s string) string {
	// FNV-1a, widened: enough to make distinct, stable identifiers.
	var b strings.Builder
	for round := uint64(0); b.Len() < 32; round++ {
		h := uint64(14695981039346656037) ^ round
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		fmt.Fprintf(&b, "%016x", h)
	}
	return b.String()
}

func sortedRegions(m map[string]string) []string {
	var out []string
	for _, r := range syntheticRegions() {
		if _, ok := m[r]; ok && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}
