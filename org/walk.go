// Package org reads an AWS Organization (the OU tree with each account's OU
// path, SCP and RCP attachments and documents) and assumes the audit role in
// its accounts with cached, self-renewing credentials. It also classifies
// AWS errors (ErrorCode) for every collector.
package org

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// OrganizationsAPI is the part of the Organizations client the walk uses.
type OrganizationsAPI interface {
	DescribeOrganization(ctx context.Context, in *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	ListRoots(ctx context.Context, in *organizations.ListRootsInput, optFns ...func(*organizations.Options)) (*organizations.ListRootsOutput, error)
	ListOrganizationalUnitsForParent(ctx context.Context, in *organizations.ListOrganizationalUnitsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
	ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListPoliciesForTarget(ctx context.Context, in *organizations.ListPoliciesForTargetInput, optFns ...func(*organizations.Options)) (*organizations.ListPoliciesForTargetOutput, error)
	DescribePolicy(ctx context.Context, in *organizations.DescribePolicyInput, optFns ...func(*organizations.Options)) (*organizations.DescribePolicyOutput, error)
	ListTagsForResource(ctx context.Context, in *organizations.ListTagsForResourceInput, optFns ...func(*organizations.Options)) (*organizations.ListTagsForResourceOutput, error)
}

// Member is an ACTIVE account of the organisation.
type Member struct {
	ID     string
	Name   string
	Email  string
	ARN    string
	Status string
	// OUPath is the path of names from the root to the account's parent
	// ("Root/Workloads/Prod").
	OUPath string
	// Ancestors are the IDs from the root to the account's parent.
	Ancestors []string
	// Policies are the SCP and RCP IDs attached directly to the account;
	// Tags its tags. Errors keys: "policies", "tags".
	Policies []string
	Tags     map[string]string
	Errors   inventory.Errors
}

// Partition returns the partition of the account's ARN ("aws" by default).
func (m Member) Partition() string { return PartitionOf(m.ARN) }

// Walked is the result of a walk.
type Walked struct {
	Organization *inventory.Organization
	// Members are the ACTIVE accounts, sorted by ID.
	Members []Member
}

// WalkOptions tune a walk.
type WalkOptions struct {
	// Concurrency bounds the calls issued at once at each level (default 8).
	Concurrency int
	Log         zerolog.Logger
	// Found, when set, is called (from the walk's goroutines, so it must be
	// safe for concurrent use) with each ACTIVE account as soon as it is
	// listed — before its own policies and tags are read, which the
	// Walked result holds — so that work on accounts can start while the
	// walk goes on.
	Found func(Member)
}

// policyTypes are the policy types that govern S3 access.
var policyTypes = [...]types.PolicyType{types.PolicyTypeServiceControlPolicy, types.PolicyTypeResourceControlPolicy}

// Walk reads the organisation: DescribeOrganization, the OU tree level by
// level (concurrently within a level), ACTIVE accounts with their OU path,
// SCP and RCP attachments of every target and, once per policy ID, the
// policy document. What cannot be read is recorded in the Errors map of
// the OU, account or policy concerned and the walk goes on; only a failure
// to describe the organisation or list its root is returned as an error.
func Walk(ctx context.Context, api OrganizationsAPI, opts WalkOptions) (*Walked, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	w := &walker{api: api, opts: opts, policies: map[string]*inventory.OrgPolicy{}}
	d, err := api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, fmt.Errorf("describe organization: %w", err)
	}
	o := &inventory.Organization{
		ID:                  aws.ToString(d.Organization.Id),
		ManagementAccountID: aws.ToString(d.Organization.MasterAccountId),
	}
	roots, err := api.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		return nil, fmt.Errorf("list roots: %w", err)
	}
	if len(roots.Roots) == 0 {
		return nil, fmt.Errorf("list roots: the organization has no root")
	}
	root := roots.Roots[0]
	w.types = enabledTypes(root.PolicyTypes)
	o.Root = inventory.OU{ID: aws.ToString(root.Id), Name: aws.ToString(root.Name)}
	if o.Root.Name == "" {
		o.Root.Name = "Root"
	}

	// Each account's own attachments and tags are read as soon as the
	// account is found, while the tree walk goes on.
	accounts := new(errgroup.Group)
	slots := make(chan struct{}, opts.Concurrency)
	w.found = func(m *Member) {
		accounts.Go(func() error {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			case <-ctx.Done():
				return nil
			}
			w.readMember(ctx, m)
			return nil
		})
	}

	// The OU tree: each OU's children are visited as soon as it is listed
	// (not level by level, which would wait for the slowest OU of a level),
	// at most opts.Concurrency OUs at once.
	tree := new(errgroup.Group)
	visits := make(chan struct{}, opts.Concurrency)
	var visit func(n *node)
	visit = func(n *node) {
		tree.Go(func() error {
			select {
			case visits <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			w.visit(ctx, n)
			<-visits
			for _, c := range n.children {
				visit(c)
			}
			return nil
		})
	}
	visit(&node{ou: &o.Root, path: o.Root.Name, ancestors: []string{o.Root.ID}})
	_ = tree.Wait()
	_ = accounts.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("walk organization: %w", err)
	}

	// Each policy once.
	ids := make([]string, 0, len(w.policies))
	for id := range w.policies {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	for _, id := range ids {
		p := w.policies[id]
		g.Go(func() error { w.describe(gctx, p); return nil })
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("walk organization: %w", err)
	}
	for _, id := range ids {
		o.Policies = append(o.Policies, *w.policies[id])
	}
	members := make([]Member, len(w.members))
	for i, m := range w.members {
		members[i] = *m
	}
	sort.Slice(members, func(i, j int) bool { return members[i].ID < members[j].ID })
	return &Walked{Organization: o, Members: members}, nil
}

type node struct {
	ou        *inventory.OU
	path      string
	ancestors []string
	children  []*node
}

type walker struct {
	api   OrganizationsAPI
	opts  WalkOptions
	types []types.PolicyType

	// found is called for each ACTIVE account as soon as it is listed.
	found func(*Member)

	mu       sync.Mutex
	members  []*Member
	policies map[string]*inventory.OrgPolicy
}

// readMember reads an account's own attachments and tags, concurrently.
func (w *walker) readMember(ctx context.Context, m *Member) {
	var (
		wg              sync.WaitGroup
		ids             []string
		tags            map[string]string
		idsErr, tagsErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tags, tagsErr = w.tags(ctx, m.ID)
	}()
	ids, idsErr = w.attached(ctx, m.ID)
	wg.Wait()
	m.Policies, m.Tags = ids, tags
	if idsErr != nil {
		SetError(&m.Errors, inventory.KeyPolicies, idsErr)
	}
	if tagsErr != nil {
		SetError(&m.Errors, inventory.KeyTags, tagsErr)
	}
}

// enabledTypes returns the S3-relevant policy types the root lists as
// enabled. A root that lists no types at all (some emulators) gets both
// asked; PolicyTypeNotEnabledException then reads as "none attached".
func enabledTypes(summaries []types.PolicyTypeSummary) []types.PolicyType {
	if len(summaries) == 0 {
		return policyTypes[:]
	}
	var out []types.PolicyType
	for _, want := range policyTypes {
		for _, s := range summaries {
			if s.Type == want && s.Status == types.PolicyTypeStatusEnabled {
				out = append(out, want)
			}
		}
	}
	return out
}

// visit reads one OU (or the root): its child OUs, its accounts and its
// attached policies, concurrently. The child OUs are visited at the next
// level; each account found is handed to w.found.
func (w *walker) visit(ctx context.Context, n *node) {
	log := w.opts.Log.With().Str("ou", n.ou.ID).Logger()
	var (
		wg                   sync.WaitGroup
		ous                  []types.OrganizationalUnit
		accounts             []types.Account
		ids                  []string
		ousErr, accErr, pErr error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		p := organizations.NewListOrganizationalUnitsForParentPaginator(w.api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(n.ou.ID)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				ous, ousErr = nil, err
				return
			}
			ous = append(ous, page.OrganizationalUnits...)
		}
	}()
	go func() {
		defer wg.Done()
		ids, pErr = w.attached(ctx, n.ou.ID)
	}()
	ap := organizations.NewListAccountsForParentPaginator(w.api, &organizations.ListAccountsForParentInput{ParentId: aws.String(n.ou.ID)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			accErr = err // the accounts of the pages read are kept
			break
		}
		// Hand each page's accounts over at once.
		w.addMembers(n, page.Accounts, log)
		accounts = append(accounts, page.Accounts...)
	}
	wg.Wait()

	if ousErr != nil {
		log.Warn().Err(ousErr).Msg("cannot list child OUs")
		SetError(&n.ou.Errors, inventory.KeyOUs, ousErr)
	}
	sort.Slice(ous, func(i, j int) bool { return aws.ToString(ous[i].Id) < aws.ToString(ous[j].Id) })
	for _, c := range ous {
		n.ou.OUs = append(n.ou.OUs, inventory.OU{ID: aws.ToString(c.Id), Name: aws.ToString(c.Name)})
	}
	for i := range n.ou.OUs {
		c := &n.ou.OUs[i]
		n.children = append(n.children, &node{ou: c, path: n.path + "/" + c.Name, ancestors: append(append([]string(nil), n.ancestors...), c.ID)})
	}

	if accErr != nil {
		log.Warn().Err(accErr).Msg("cannot list accounts")
		SetError(&n.ou.Errors, inventory.KeyAccounts, accErr)
	}
	for _, a := range accounts {
		if a.State == types.AccountStateActive {
			n.ou.Accounts = append(n.ou.Accounts, aws.ToString(a.Id))
		}
	}
	sort.Strings(n.ou.Accounts)

	if pErr != nil {
		log.Warn().Err(pErr).Msg("cannot list attached policies")
		SetError(&n.ou.Errors, inventory.KeyPolicies, pErr)
	}
	n.ou.Policies = ids
}

// addMembers registers the ACTIVE accounts of a page of n's accounts.
func (w *walker) addMembers(n *node, accounts []types.Account, log zerolog.Logger) {
	for _, a := range accounts {
		if a.State != types.AccountStateActive {
			log.Debug().Str("account_id", aws.ToString(a.Id)).Str("state", string(a.State)).Msg("skipping account that is not ACTIVE")
			continue
		}
		m := &Member{
			ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Email: aws.ToString(a.Email), ARN: aws.ToString(a.Arn),
			Status: inventory.AccountActive, OUPath: n.path, Ancestors: n.ancestors,
		}
		w.mu.Lock()
		w.members = append(w.members, m)
		w.mu.Unlock()
		if w.opts.Found != nil {
			w.opts.Found(*m)
		}
		w.found(m)
	}
}

// attached lists the SCP and RCP IDs attached to target (each type
// concurrently) and registers the policies for DescribePolicy.
func (w *walker) attached(ctx context.Context, target string) ([]string, error) {
	lists := make([][]string, len(w.types))
	errs := make([]error, len(w.types))
	var wg sync.WaitGroup
	for i, t := range w.types {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := organizations.NewListPoliciesForTargetPaginator(w.api, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(target), Filter: t})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if HasCode(err, CodePolicyTypeNotEnabled) {
					return // the type is off: nothing of it applies
				}
				if err != nil {
					errs[i] = fmt.Errorf("list %s policies for target %q: %w", t, target, err)
					return
				}
				for _, s := range page.Policies {
					lists[i] = append(lists[i], aws.ToString(s.Id))
					w.register(s)
				}
			}
		}()
	}
	wg.Wait()
	var ids []string
	for i := range lists {
		if errs[i] != nil {
			return nil, errs[i]
		}
		ids = append(ids, lists[i]...)
	}
	sort.Strings(ids)
	return ids, nil
}

func (w *walker) register(s types.PolicySummary) {
	w.mu.Lock()
	defer w.mu.Unlock()
	id := aws.ToString(s.Id)
	if _, ok := w.policies[id]; ok {
		return
	}
	w.policies[id] = &inventory.OrgPolicy{
		ID: id, Name: aws.ToString(s.Name), Type: string(s.Type),
		Description: aws.ToString(s.Description), AWSManaged: s.AwsManaged,
	}
}

// describe reads one policy's document.
func (w *walker) describe(ctx context.Context, p *inventory.OrgPolicy) {
	out, err := w.api.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(p.ID)})
	if err != nil {
		w.opts.Log.Warn().Err(err).Str("policy_id", p.ID).Msg("cannot describe policy")
		SetError(&p.Errors, inventory.KeyDocument, err)
		return
	}
	if out.Policy == nil || out.Policy.Content == nil {
		p.Errors = inventory.Errors{inventory.KeyDocument: {Code: "EmptyResponse", Message: "DescribePolicy returned no content"}}
		return
	}
	p.Document = inventory.NewPolicyDocument([]byte(aws.ToString(out.Policy.Content)))
}

// tags reads an account's tags.
func (w *walker) tags(ctx context.Context, accountID string) (map[string]string, error) {
	var tags map[string]string
	p := organizations.NewListTagsForResourcePaginator(w.api, &organizations.ListTagsForResourceInput{ResourceId: aws.String(accountID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tags of account %q: %w", accountID, err)
		}
		for _, t := range page.Tags {
			if tags == nil {
				tags = map[string]string{}
			}
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return tags, nil
}

// InScope reports whether a member is selected by the scope. OUs are IDs
// or name paths from the root; an OU selects its descendants. Excludes win;
// with no include at all every account is included.
func InScope(m Member, includeOUs, excludeOUs, includeAccounts, excludeAccounts []string) bool {
	under := func(ous []string) bool {
		for _, ou := range ous {
			if strings.HasPrefix(ou, "ou-") || strings.HasPrefix(ou, "r-") {
				for _, a := range m.Ancestors {
					if a == ou {
						return true
					}
				}
				continue
			}
			if m.OUPath == ou || strings.HasPrefix(m.OUPath, ou+"/") {
				return true
			}
		}
		return false
	}
	has := func(ids []string) bool {
		for _, id := range ids {
			if id == m.ID {
				return true
			}
		}
		return false
	}
	if has(excludeAccounts) || under(excludeOUs) {
		return false
	}
	if len(includeOUs) == 0 && len(includeAccounts) == 0 {
		return true
	}
	return has(includeAccounts) || under(includeOUs)
}
