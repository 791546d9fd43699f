package fakeaws_test

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/fakeaws/fakeawstest"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// collector reads an organisation back through the real SDK clients into an
// inventory document, the way a scanner does, using every emulated
// operation and every paginator with small pages. It is the test of the
// emulator's success paths: what it collects must equal
// fakeaws.Expected(fixture).
type collector struct {
	t       *testing.T
	e       *env
	regions []string
}

// errText records an API error as the inventory does: its code and message.
func errText(t *testing.T, err error) inventory.FetchError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return inventory.NewFetchError(ae.ErrorCode(), ae.ErrorMessage())
}

func (c *collector) collect(ctx context.Context) *inventory.Document {
	t := c.t
	doc := &inventory.Document{SchemaVersion: inventory.SchemaVersion}
	orgs := organizations.NewFromConfig(c.e.cfg)
	desc, err := orgs.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	o := &inventory.Organization{ID: *desc.Organization.Id, ManagementAccountID: *desc.Organization.MasterAccountId}
	doc.Organization = o
	roots, err := orgs.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 {
		t.Fatalf("ListRoots: %v %v", roots, err)
	}
	policies := map[string]bool{}
	var attached func(id string, errs *inventory.Errors) []string
	attached = func(id string, errs *inventory.Errors) []string {
		var ids []string
		for _, filter := range []orgtypes.PolicyType{orgtypes.PolicyTypeServiceControlPolicy, orgtypes.PolicyTypeResourceControlPolicy} {
			p := organizations.NewListPoliciesForTargetPaginator(orgs, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(id), Filter: filter, MaxResults: aws.Int32(1)})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					errs.Set("policies", errText(t, err))
					return nil
				}
				for _, s := range out.Policies {
					ids = append(ids, *s.Id)
					policies[*s.Id] = true
				}
			}
		}
		return ids
	}
	accountIDs := map[string]bool{}
	var walk func(ou *inventory.OU)
	walk = func(ou *inventory.OU) {
		ou.Policies = attached(ou.ID, &ou.Errors)
		ap := organizations.NewListAccountsForParentPaginator(orgs, &organizations.ListAccountsForParentInput{ParentId: aws.String(ou.ID)})
		for ap.HasMorePages() {
			out, err := ap.NextPage(ctx)
			if err != nil {
				ou.Errors.Set("accounts", errText(t, err))
				break
			}
			for _, a := range out.Accounts {
				ou.Accounts = append(ou.Accounts, *a.Id)
				accountIDs[*a.Id] = true
			}
		}
		op := organizations.NewListOrganizationalUnitsForParentPaginator(orgs, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(ou.ID)})
		for op.HasMorePages() {
			out, err := op.NextPage(ctx)
			if err != nil {
				ou.Errors.Set("ous", errText(t, err))
				break
			}
			for _, child := range out.OrganizationalUnits {
				ou.OUs = append(ou.OUs, inventory.OU{ID: *child.Id, Name: *child.Name})
			}
		}
		for i := range ou.OUs {
			parents, err := orgs.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(ou.OUs[i].ID)})
			if err != nil || *parents.Parents[0].Id != ou.ID {
				t.Fatalf("ListParents(%s) = %v, %v; want %s", ou.OUs[i].ID, parents, err, ou.ID)
			}
			walk(&ou.OUs[i])
		}
	}
	o.Root = inventory.OU{ID: *roots.Roots[0].Id, Name: *roots.Roots[0].Name}
	walk(&o.Root)
	// ListAccounts gives every account, even those under an OU whose
	// account list could not be read.
	lp := organizations.NewListAccountsPaginator(orgs, &organizations.ListAccountsInput{MaxResults: aws.Int32(2)})
	for lp.HasMorePages() {
		out, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Accounts {
			acct := inventory.Account{ID: *a.Id, Name: *a.Name, Email: *a.Email, Status: string(a.Status)}
			if accountIDs[acct.ID] {
				acct.Policies = attached(acct.ID, &acct.Errors)
			}
			tp := organizations.NewListTagsForResourcePaginator(orgs, &organizations.ListTagsForResourceInput{ResourceId: a.Id})
			for tp.HasMorePages() {
				out, err := tp.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, tag := range out.Tags {
					if acct.Tags == nil {
						acct.Tags = map[string]string{}
					}
					acct.Tags[*tag.Key] = *tag.Value
				}
			}
			acct.OUPath = inventory.OUPaths(o)[acct.ID]
			c.account(ctx, &acct)
			doc.Accounts = append(doc.Accounts, acct)
		}
	}
	ids := make([]string, 0, len(policies))
	for id := range policies {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out, err := orgs.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		s := out.Policy.PolicySummary
		o.Policies = append(o.Policies, inventory.OrgPolicy{ID: id, Name: *s.Name, Type: string(s.Type), Description: aws.ToString(s.Description),
			AWSManaged: s.AwsManaged, Document: inventory.NewPolicyDocument([]byte(*out.Policy.Content))})
	}
	return doc
}

func (c *collector) account(ctx context.Context, a *inventory.Account) {
	t := c.t
	cfg, err := c.e.tryAssume(ctx, a.ID, "us-east-1")
	if err != nil {
		a.Errors.Set("assume_role", errText(t, err))
		return
	}
	ctl := s3control.NewFromConfig(cfg, fakeawstest.S3ControlOptions(c.e.url))
	pab, err := ctl.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(a.ID)})
	switch {
	case err == nil:
		p := pab.PublicAccessBlockConfiguration
		a.PublicAccessBlock = &inventory.PublicAccessBlock{BlockPublicACLs: *p.BlockPublicAcls, IgnorePublicACLs: *p.IgnorePublicAcls, BlockPublicPolicy: *p.BlockPublicPolicy, RestrictPublicBuckets: *p.RestrictPublicBuckets}
	case apiCode(err) == "NoSuchPublicAccessBlockConfiguration":
	default:
		a.Errors.Set("public_access_block", errText(t, err))
	}
	s3c := s3.NewFromConfig(cfg, fakeawstest.S3Options)
	bp := s3.NewListBucketsPaginator(s3c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2)})
	for bp.HasMorePages() {
		out, err := bp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a.CanonicalID = *out.Owner.ID
		for _, b := range out.Buckets {
			a.Buckets = append(a.Buckets, c.bucket(ctx, cfg, *b.Name, *b.BucketRegion, *b.CreationDate))
		}
	}
	for _, region := range c.regions {
		rcfg := cfg.Copy()
		rcfg.Region = region
		c.keys(ctx, a, kms.NewFromConfig(rcfg))
		c.endpoints(ctx, a, ec2.NewFromConfig(rcfg), region)
	}
	c.iam(ctx, a, iam.NewFromConfig(cfg))
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func (c *collector) bucket(ctx context.Context, cfg aws.Config, name, region string, created time.Time) inventory.Bucket {
	t := c.t
	b := inventory.Bucket{Name: name, Region: region, Created: created}
	cfg.Region = region
	s3c := s3.NewFromConfig(cfg, fakeawstest.S3Options)
	in := aws.String(name)
	fail := func(field string, err error) { b.Errors.Set(field, errText(t, err)) }

	loc, err := s3c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: in})
	if err != nil {
		fail(inventory.FieldRegion, err)
	} else if got := string(loc.LocationConstraint); got != region && !(got == "" && region == "us-east-1") {
		t.Errorf("%s: GetBucketLocation = %q, ListBuckets said %q", name, got, region)
	}
	if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: in}); err != nil {
		t.Errorf("HeadBucket(%s): %v", name, err)
	}
	if pol, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: in}); err == nil {
		b.Policy = inventory.NewPolicyDocument([]byte(*pol.Policy))
	} else if apiCode(err) != "NoSuchBucketPolicy" {
		fail(inventory.FieldPolicy, err)
	}
	if st, err := s3c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: in}); err == nil {
		b.PolicyIsPublic = st.PolicyStatus.IsPublic
	} else if apiCode(err) != "NoSuchBucketPolicy" {
		fail(inventory.FieldPolicyStatus, err)
	}
	if p, err := s3c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: in}); err == nil {
		c := p.PublicAccessBlockConfiguration
		b.PublicAccessBlock = &inventory.PublicAccessBlock{BlockPublicACLs: *c.BlockPublicAcls, IgnorePublicACLs: *c.IgnorePublicAcls, BlockPublicPolicy: *c.BlockPublicPolicy, RestrictPublicBuckets: *c.RestrictPublicBuckets}
	} else if apiCode(err) != "NoSuchPublicAccessBlockConfiguration" {
		fail(inventory.FieldPublicAccessBlock, err)
	}
	if o, err := s3c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: in}); err == nil {
		b.Ownership = string(o.OwnershipControls.Rules[0].ObjectOwnership)
	} else if apiCode(err) == "OwnershipControlsNotFoundError" {
		b.Ownership = inventory.OwnershipNone
	} else {
		fail(inventory.FieldOwnership, err)
	}
	if acl, err := s3c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: in}); err == nil {
		b.ACL = &inventory.ACL{OwnerID: *acl.Owner.ID}
		for _, g := range acl.Grants {
			b.ACL.Grants = append(b.ACL.Grants, inventory.Grant{Permission: string(g.Permission), Grantee: inventory.Grantee{
				Type: string(g.Grantee.Type), ID: aws.ToString(g.Grantee.ID), URI: aws.ToString(g.Grantee.URI),
				Email: aws.ToString(g.Grantee.EmailAddress), DisplayName: aws.ToString(g.Grantee.DisplayName)}})
		}
	} else {
		fail(inventory.FieldACL, err)
	}
	if enc, err := s3c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: in}); err == nil {
		r := enc.ServerSideEncryptionConfiguration.Rules[0]
		b.Encryption = &inventory.Encryption{Algorithm: string(r.ApplyServerSideEncryptionByDefault.SSEAlgorithm),
			KMSKeyID: aws.ToString(r.ApplyServerSideEncryptionByDefault.KMSMasterKeyID), BucketKey: aws.ToBool(r.BucketKeyEnabled)}
	} else if apiCode(err) == "ServerSideEncryptionConfigurationNotFoundError" {
		b.Encryption = &inventory.Encryption{Algorithm: inventory.AlgorithmNone}
	} else {
		fail(inventory.FieldEncryption, err)
	}
	if v, err := s3c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: in}); err == nil {
		b.Versioning = string(v.Status)
	} else {
		fail(inventory.FieldVersioning, err)
	}
	if tags, err := s3c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: in}); err == nil {
		b.Tags = map[string]string{}
		for _, tag := range tags.TagSet {
			b.Tags[*tag.Key] = *tag.Value
		}
	} else if apiCode(err) != "NoSuchTagSet" {
		fail(inventory.FieldTags, err)
	}
	return b
}

// keys collects every key that has an alias in the region, the way a
// scanner resolves bucket keys (ListAliases, DescribeKey, GetKeyPolicy,
// ListGrants).
func (c *collector) keys(ctx context.Context, a *inventory.Account, k *kms.Client) {
	t := c.t
	targets := map[string][]string{}
	var order []string
	ap := kms.NewListAliasesPaginator(k, &kms.ListAliasesInput{Limit: aws.Int32(2)})
	for ap.HasMorePages() {
		out, err := ap.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, al := range out.Aliases {
			if _, seen := targets[*al.TargetKeyId]; !seen {
				order = append(order, *al.TargetKeyId)
			}
			targets[*al.TargetKeyId] = append(targets[*al.TargetKeyId], *al.AliasName)
		}
	}
	for _, id := range order {
		d, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(targets[id][0])})
		if err != nil {
			t.Fatal(err)
		}
		m := d.KeyMetadata
		if *m.KeyId != id {
			t.Errorf("DescribeKey(%s).KeyId = %s, want %s", targets[id][0], *m.KeyId, id)
		}
		key := inventory.KMSKey{ARN: *m.Arn, Manager: string(m.KeyManager), State: string(m.KeyState)}
		// ListAliases filtered by key gives the same aliases.
		byKey, err := k.ListAliases(ctx, &kms.ListAliasesInput{KeyId: m.Arn})
		if err != nil {
			t.Fatal(err)
		}
		for _, al := range byKey.Aliases {
			key.Aliases = append(key.Aliases, *al.AliasName)
		}
		if pol, err := k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: m.KeyId}); err == nil {
			key.Policy = inventory.NewPolicyDocument([]byte(*pol.Policy))
		} else {
			key.Errors.Set("policy", errText(t, err))
		}
		gp := kms.NewListGrantsPaginator(k, &kms.ListGrantsInput{KeyId: m.Arn, Limit: aws.Int32(1)})
		for gp.HasMorePages() {
			out, err := gp.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range out.Grants {
				ops := make([]string, len(g.Operations))
				for i, op := range g.Operations {
					ops[i] = string(op)
				}
				key.Grants = append(key.Grants, inventory.KMSGrant{GrantID: *g.GrantId, GranteePrincipal: *g.GranteePrincipal,
					RetiringPrincipal: aws.ToString(g.RetiringPrincipal), Operations: ops})
			}
		}
		a.KMSKeys = append(a.KMSKeys, key)
	}
}

func (c *collector) endpoints(ctx context.Context, a *inventory.Account, e *ec2.Client, region string) {
	p := ec2.NewDescribeVpcEndpointsPaginator(e, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			a.Errors.Set("vpc_endpoints:"+region, errText(c.t, err))
			return
		}
		for _, v := range out.VpcEndpoints {
			a.VPCEndpoints = append(a.VPCEndpoints, inventory.VPCEndpoint{ID: *v.VpcEndpointId, VPCID: *v.VpcId, Region: region,
				Service: *v.ServiceName, Type: string(v.VpcEndpointType), Policy: inventory.NewPolicyDocument([]byte(*v.PolicyDocument))})
		}
	}
}

// decodeDoc decodes an IAM policy document as AWS sends it (URL-encoded).
func decodeDoc(t *testing.T, s *string) *inventory.PolicyDocument {
	if s == nil {
		return nil
	}
	text, err := url.QueryUnescape(*s)
	if err != nil {
		t.Fatalf("IAM document is not URL-encoded: %v", err)
	}
	return inventory.NewPolicyDocument([]byte(text))
}

func (c *collector) iam(ctx context.Context, a *inventory.Account, client *iam.Client) {
	t := c.t
	m := &inventory.IAM{}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(client, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			a.Errors.Set("iam", errText(t, err))
			return
		}
		for _, r := range out.RoleDetailList {
			role := inventory.IAMRole{ARN: *r.Arn, ID: aws.ToString(r.RoleId), TrustPolicy: decodeDoc(t, r.AssumeRolePolicyDocument)}
			for _, ip := range r.RolePolicyList {
				if role.InlinePolicies == nil {
					role.InlinePolicies = map[string]*inventory.PolicyDocument{}
				}
				role.InlinePolicies[*ip.PolicyName] = decodeDoc(t, ip.PolicyDocument)
			}
			for _, ap := range r.AttachedManagedPolicies {
				role.AttachedPolicies = append(role.AttachedPolicies, *ap.PolicyArn)
			}
			if r.PermissionsBoundary != nil {
				role.PermissionsBoundary = *r.PermissionsBoundary.PermissionsBoundaryArn
			}
			for _, tag := range r.Tags {
				if role.Tags == nil {
					role.Tags = map[string]string{}
				}
				role.Tags[*tag.Key] = *tag.Value
			}
			m.Roles = append(m.Roles, role)
		}
		for _, u := range out.UserDetailList {
			user := inventory.IAMUser{ARN: *u.Arn, ID: aws.ToString(u.UserId), Groups: u.GroupList}
			for _, ip := range u.UserPolicyList {
				if user.InlinePolicies == nil {
					user.InlinePolicies = map[string]*inventory.PolicyDocument{}
				}
				user.InlinePolicies[*ip.PolicyName] = decodeDoc(t, ip.PolicyDocument)
			}
			for _, ap := range u.AttachedManagedPolicies {
				user.AttachedPolicies = append(user.AttachedPolicies, *ap.PolicyArn)
			}
			m.Users = append(m.Users, user)
		}
		for _, g := range out.GroupDetailList {
			group := inventory.IAMGroup{ARN: *g.Arn}
			for _, ap := range g.AttachedManagedPolicies {
				group.AttachedPolicies = append(group.AttachedPolicies, *ap.PolicyArn)
			}
			m.Groups = append(m.Groups, group)
		}
		for _, pol := range out.Policies {
			mp := inventory.IAMManagedPolicy{ARN: *pol.Arn, Name: *pol.PolicyName}
			for _, v := range pol.PolicyVersionList {
				if v.IsDefaultVersion {
					mp.Document = decodeDoc(t, v.Document)
				}
			}
			m.Policies = append(m.Policies, mp)
		}
	}
	a.IAM = m
}

// regionsOf lists every region a document uses.
func regionsOf(doc *inventory.Document) []string {
	seen := map[string]bool{"us-east-1": true}
	for _, a := range doc.Accounts {
		for _, b := range a.Buckets {
			seen[b.Region] = true
		}
		for _, k := range a.KMSKeys {
			seen[inventory.KeyRegion(k.ARN)] = true
		}
		for _, e := range a.VPCEndpoints {
			seen[e.Region] = true
		}
	}
	var out []string
	for r := range seen {
		if r != "" {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// TestRoundTripThroughSDK is the round trip "fixture → emulator → SDK →
// snapshot" on the test organisation, the demo organisation and a
// synthetic one: what a collector reads back through every operation must
// be fakeaws.Expected(fixture).
func TestRoundTripThroughSDK(t *testing.T) {
	demo, err := inventory.Load("../demo/org.yaml")
	if err != nil {
		t.Fatalf("demo organisation: %v", err)
	}
	for name, fixture := range map[string]*inventory.Document{
		"testdata/org.yaml": loadOrg(t),
		"demo/org.yaml":     demo,
		"synthetic":         fakeaws.Synthetic(12, 4), // ≥ 4 accounts under one OU: ListAccountsForParent pages
	} {
		t.Run(name, func(t *testing.T) {
			roundTrip(t, fixture, name == "testdata/org.yaml")
		})
	}
}

func roundTrip(t *testing.T, fixture *inventory.Document, checkAllOps bool) {
	e := start(t, fixture)
	c := &collector{t: t, e: e, regions: regionsOf(fixture)}
	snapshot := c.collect(ctx(t))
	if err := snapshot.Validate(); err != nil {
		t.Fatalf("collected snapshot does not validate: %v", err)
	}
	want := fakeaws.Expected(fixture)
	got := inventory.Canonical(snapshot)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("fixture → emulator → SDK → snapshot differs (-fixture +snapshot):\n%s", diff)
	}
	// Every parent's accounts were read in pages of at most 3.
	pages := 0
	var count func(ou *inventory.OU)
	count = func(ou *inventory.OU) {
		if !ou.Errors.Has("accounts") {
			pages += max(1, (len(ou.Accounts)+fakeaws.DefaultPageSize-1)/fakeaws.DefaultPageSize)
		}
		for i := range ou.OUs {
			count(&ou.OUs[i])
		}
	}
	count(&fixture.Organization.Root)
	if got := e.srv.Stats().ByOperation["organizations:ListAccountsForParent"]; got < int64(pages) {
		t.Errorf("ListAccountsForParent calls = %d, want at least %d pages", got, pages)
	}
	if !checkAllOps {
		return
	}
	// Every emulated operation was driven.
	st := e.srv.Stats()
	for _, op := range []string{"organizations:DescribeOrganization", "organizations:ListRoots", "organizations:ListOrganizationalUnitsForParent",
		"organizations:ListAccounts", "organizations:ListAccountsForParent", "organizations:ListPoliciesForTarget", "organizations:DescribePolicy",
		"organizations:ListParents", "organizations:ListTagsForResource", "sts:AssumeRole", "s3:ListBuckets", "s3:HeadBucket", "s3:GetBucketLocation",
		"s3:GetBucketPolicy", "s3:GetBucketPolicyStatus", "s3:GetPublicAccessBlock", "s3:GetBucketOwnershipControls", "s3:GetBucketAcl",
		"s3:GetBucketEncryption", "s3:GetBucketVersioning", "s3:GetBucketTagging", "s3control:GetPublicAccessBlock", "kms:DescribeKey",
		"kms:GetKeyPolicy", "kms:ListGrants", "kms:ListAliases", "iam:GetAccountAuthorizationDetails", "ec2:DescribeVpcEndpoints"} {
		if st.ByOperation[op] == 0 {
			t.Errorf("operation %s was not driven", op)
		}
	}
}
