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
	return SyntheticWith(SyntheticOptions{Accounts: accounts, Buckets: buckets})
}

// SyntheticOptions sizes a synthetic organisation.
type SyntheticOptions struct {
	// Accounts is the number of member accounts (besides the management one).
	Accounts int
	// Buckets is the number of buckets of every account.
	Buckets int
	// Roles is the number of extra IAM roles of every account (with users
	// and a group that may assume them; see syntheticRoles). 0 gives the
	// document Synthetic(Accounts, Buckets) always gave.
	Roles int
	// Federated is the number of roles of every member account that trust
	// an identity provider (see syntheticFederatedRoles): GitHub Actions'
	// OIDC provider with and without a condition on the subject, and a
	// SAML provider. 0 (the default) adds nothing: the document is the
	// one it is without the field.
	Federated int
}

// SyntheticWith generates the organisation Synthetic does, with o.Roles
// extra IAM roles per account drawn from a random stream of their own (so
// the rest of the document is the same for every o.Roles), and o.Federated
// roles per member account trusting identity providers (drawn from no
// random stream: the rest is the same for every o.Federated).
func SyntheticWith(o SyntheticOptions) *inventory.Document {
	accounts, buckets := o.Accounts, o.Buckets
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
		if o.Roles > 0 {
			roleRNG := rand.New(rand.NewPCG(0x726f6c65, uint64(accounts)<<40|uint64(buckets)<<20|uint64(o.Roles)<<8|uint64(i&0xff)))
			syntheticRoles(roleRNG, i, &a, accounts, o.Roles)
		}
		if o.Federated > 0 && i > 0 {
			syntheticFederatedRoles(&a, o.Federated)
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

// syntheticRoles adds n IAM roles to account a (the i-th), with a mix of
// identity policies (S3 read-only, read-write on some of its buckets,
// administrator, no S3 access), permissions boundaries on some, and trust
// policies that trust the account itself, a role of another member
// account, the partner account outside the organisation (with or without
// an sts:ExternalId condition) or an AWS service; plus users, some in a
// group whose policy lets them assume the account's roles.
func syntheticRoles(rng *rand.Rand, i int, a *inventory.Account, accounts, n int) {
	id := a.ID
	iamARN := func(kind, name string) string { return "arn:aws:iam::" + id + ":" + kind + "/" + name }
	peer := SyntheticAccountID(1 + (i % max(accounts, 1)))
	a.IAM.Policies = append(a.IAM.Policies,
		inventory.IAMManagedPolicy{ARN: "arn:aws:iam::aws:policy/AdministratorAccess", Name: "AdministratorAccess",
			Document: policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)},
		inventory.IAMManagedPolicy{ARN: iamARN("policy", "s3-read-boundary"), Name: "s3-read-boundary",
			Document: policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","sts:AssumeRole","logs:*"],"Resource":"*"}]}`)},
		inventory.IAMManagedPolicy{ARN: iamARN("policy", "assume-app-roles"), Name: "assume-app-roles",
			Document: policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/app-*"}]}`)},
	)
	services := []string{"lambda.amazonaws.com", "ec2.amazonaws.com", "glue.amazonaws.com", "ecs-tasks.amazonaws.com"}
	for r := 0; r < n; r++ {
		role := inventory.IAMRole{ARN: iamARN("role", fmt.Sprintf("app-%03d", r))}
		switch k := rng.IntN(100); {
		case k < 35: // S3 read-only
			role.AttachedPolicies = []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}
		case k < 65: // read-write on some of the account's buckets
			role.InlinePolicies = map[string]*inventory.PolicyDocument{"rw": policyText(fmt.Sprintf(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject","s3:ListBucket"],"Resource":["arn:aws:s3:::syn-%s-%03d*","arn:aws:s3:::syn-%s-%03d*/*"]}]}`,
				id, rng.IntN(10), id, rng.IntN(10)))}
		case k < 75: // administrator
			role.AttachedPolicies = []string{"arn:aws:iam::aws:policy/AdministratorAccess"}
		default: // no S3 access
			role.InlinePolicies = map[string]*inventory.PolicyDocument{"logs": policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}`)}
		}
		if rng.IntN(4) == 0 {
			role.PermissionsBoundary = iamARN("policy", "s3-read-boundary")
		}
		var principal, condition string
		switch k := rng.IntN(100); {
		case k < 30: // the account itself (its IAM policies decide)
			principal = `{"AWS":"arn:aws:iam::` + id + `:root"}`
		case k < 50: // a role of another member account
			principal = `{"AWS":"arn:aws:iam::` + peer + `:role/app-000"}`
		case k < 65: // the partner account, with an ExternalId
			principal = `{"AWS":"arn:aws:iam::` + SyntheticPartnerAccount + `:root"}`
			condition = `,"Condition":{"StringEquals":{"sts:ExternalId":"` + syntheticHex(role.ARN)[:12] + `"}}`
		case k < 72: // the partner account, without one
			principal = `{"AWS":"arn:aws:iam::` + SyntheticPartnerAccount + `:root"}`
		case k < 80: // another role of the account (chains)
			principal = `{"AWS":"` + iamARN("role", fmt.Sprintf("app-%03d", rng.IntN(n))) + `"}`
		default: // an AWS service
			principal = `{"Service":"` + services[rng.IntN(len(services))] + `"}`
		}
		role.TrustPolicy = policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"` + condition + `}]}`)
		a.IAM.Roles = append(a.IAM.Roles, role)
	}
	a.IAM.Groups = append(a.IAM.Groups, inventory.IAMGroup{ARN: iamARN("group", "developers"),
		AttachedPolicies: []string{iamARN("policy", "assume-app-roles")}})
	for u := 0; u < max(n/4, 1); u++ {
		user := inventory.IAMUser{ARN: iamARN("user", fmt.Sprintf("dev-%03d", u))}
		if rng.IntN(3) > 0 {
			user.Groups = []string{"developers"}
		} else {
			user.AttachedPolicies = []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}
		}
		if rng.IntN(5) == 0 {
			user.PermissionsBoundary = iamARN("policy", "s3-read-boundary")
		}
		a.IAM.Users = append(a.IAM.Users, user)
	}
}

// Synthetic federated roles: the providers they trust and the kinds, in
// the order syntheticFederatedRoles cycles through them.
const (
	// SyntheticGitHubHost is the host of GitHub Actions' OIDC provider.
	SyntheticGitHubHost = "token.actions.githubusercontent.com"
	// SyntheticSAMLProvider is the name of the synthetic SAML provider.
	SyntheticSAMLProvider = "corp-idp"
)

// SyntheticFederatedKinds are the kinds of synthetic federated roles, in
// the order syntheticFederatedRoles cycles through them (role r of an
// account is kind r % len): "gh-pinned" trusts GitHub's provider with
// :aud and :sub pinned to the account's repository; "gh-aud" tests only
// :aud, "gh-open" nothing (any GitHub repository's workflow can assume
// either: federated-subject-unpinned); "saml" trusts the account's SAML
// provider with SAML:aud.
func SyntheticFederatedKinds() []string { return []string{"gh-pinned", "gh-aud", "gh-open", "saml"} }

// syntheticFederatedRoles adds n roles trusting identity providers to
// account a, role r of kind SyntheticFederatedKinds()[r%4], named
// "fed-KIND-NNN", each reading and writing the account's buckets.
func syntheticFederatedRoles(a *inventory.Account, n int) {
	id := a.ID
	gh := "arn:aws:iam::" + id + ":oidc-provider/" + SyntheticGitHubHost
	saml := "arn:aws:iam::" + id + ":saml-provider/" + SyntheticSAMLProvider
	aud := `"` + SyntheticGitHubHost + `:aud":"sts.amazonaws.com"`
	rw := map[string]*inventory.PolicyDocument{"rw": policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::syn-` + id + `-*/*"}]}`)}
	kinds := SyntheticFederatedKinds()
	for r := 0; r < n; r++ {
		kind := kinds[r%len(kinds)]
		provider, action, cond := gh, "sts:AssumeRoleWithWebIdentity", ""
		switch kind {
		case "gh-pinned":
			cond = `{"StringEquals":{` + aud + `},"StringLike":{"` + SyntheticGitHubHost + `:sub":"repo:synthetic-org/app-` + id + `:*"}}`
		case "gh-aud":
			cond = `{"StringEquals":{` + aud + `}}`
		case "saml":
			provider, action, cond = saml, "sts:AssumeRoleWithSAML", `{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`
		}
		if cond != "" {
			cond = `,"Condition":` + cond
		}
		a.IAM.Roles = append(a.IAM.Roles, inventory.IAMRole{
			ARN:            fmt.Sprintf("arn:aws:iam::%s:role/fed-%s-%03d", id, kind, r),
			InlinePolicies: rw,
			TrustPolicy:    policyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"` + action + `"` + cond + `}]}`),
		})
	}
}
