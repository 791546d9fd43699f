package explain

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/org"
	"github.com/bucketaudit/bucketaudit/scanner"
)

// LiveOptions configure Collect.
type LiveOptions struct {
	// Session gives the read-only clients (the same as scan's).
	Session *scanner.Session
	Config  *config.Config
	Log     zerolog.Logger
}

// Collect reads, through the scanner's read-only clients, only what one
// request needs into a minimal inventory document: the organisation (OU
// tree, SCPs, RCPs), the bucket (found by listing the accounts' buckets)
// with its account's Block Public Access, the bucket's KMS key, the IAM data
// of the principal's account, and the VPC endpoint the request names. What
// cannot be read is recorded as an error where it belongs, as scan does;
// Explain then says "could not read" for it (when the organisation itself
// cannot be read, the accounts the request names are still searched, and
// SCPs and RCPs stay unknown). An error is returned only when the bucket
// cannot be found.
func Collect(ctx context.Context, req Request, opts LiveOptions) (*inventory.Document, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	c := &collector{sess: opts.Session, cfg: opts.Config, log: opts.Log, req: &req, accounts: map[string]*inventory.Account{}, members: map[string]org.Member{}}
	// A scan section marks the document as collected: what was read is
	// kept, never filled in with fixture defaults (inventory.ApplyDefaults).
	doc := &inventory.Document{SchemaVersion: inventory.SchemaVersion, Scan: &inventory.ScanInfo{}}
	c.organization(ctx, doc)
	owner, bucket, err := c.findBucket(ctx)
	if err != nil {
		return nil, err
	}
	bucket = c.bucketAccount(ctx, owner, bucket)
	c.key(ctx, owner, bucket)
	c.principalAccount(ctx)
	c.endpoint(ctx, owner, bucket)
	if doc.Organization == nil {
		c.memberships(ctx, owner)
	}
	for _, id := range slices.Sorted(maps.Keys(c.accounts)) {
		doc.Accounts = append(doc.Accounts, *c.accounts[id])
	}
	if doc.Scan == nil {
		// Collected data, not a fixture: no fixture default (an implicit
		// aws/s3 key) may fill in what was not read.
		doc.Scan = &inventory.ScanInfo{}
	}
	return doc, nil
}

// collector is one live collection.
type collector struct {
	sess *scanner.Session
	cfg  *config.Config
	log  zerolog.Logger
	req  *Request

	mu       sync.Mutex
	members  map[string]org.Member
	accounts map[string]*inventory.Account
}

// organization walks the organisation (or takes the configured account
// list) and records every member account with its SCP/RCP attachments.
func (c *collector) organization(ctx context.Context, doc *inventory.Document) {
	if len(c.cfg.Accounts) > 0 {
		partition := awsid.PartitionOf(c.cfg.Region)
		for _, a := range c.cfg.Accounts {
			c.addMember(org.Member{ID: a.ID, Name: a.Name, Status: inventory.AccountActive, ARN: "arn:" + partition + ":organizations:::account/" + a.ID})
		}
		return
	}
	w, err := org.Walk(ctx, c.sess.Organizations(c.sess.Management()), org.WalkOptions{Concurrency: c.cfg.Concurrency.Accounts, Log: c.log})
	if err != nil {
		c.log.Warn().Err(err).Msg("cannot read the organization: SCPs and RCPs stay unknown")
		// As scan records it: no organization section, and why.
		doc.Scan = &inventory.ScanInfo{Errors: inventory.Errors{inventory.FieldOrganization: org.FetchErrorOf(err)}}
		// Still look in the accounts the request names.
		partition := awsid.PartitionOf(c.cfg.Region)
		for _, id := range []string{c.principalAccountID(), c.req.BucketAccount} {
			if _, seen := c.members[id]; awsid.IsAccountID(id) && !seen {
				c.addMember(org.Member{ID: id, Status: inventory.AccountActive, ARN: "arn:" + partition + ":organizations:::account/" + id})
			}
		}
		return
	}
	doc.Organization = w.Organization
	for _, m := range w.Members {
		c.addMember(m)
	}
}

// memberships asks the accounts the request involves (the bucket's and the
// principal's) which organisation they belong to, when the organisation
// was not walked (an accounts: list, or a walk that failed): SCPs and RCPs
// are then known not to apply (standalone, management account) or unknown.
func (c *collector) memberships(ctx context.Context, owner string) {
	for _, id := range []string{owner, c.principalAccountID()} {
		a := c.accounts[id]
		cfg, ok := c.account(id)
		if a == nil || !ok || a.Membership != nil || a.Errors.Has(inventory.FieldOrganization) {
			continue
		}
		m, err := scanner.CollectMembership(ctx, c.sess.Organizations(cfg), id)
		if err != nil {
			c.log.Warn().Err(err).Str("account_id", id).Msg("cannot read the account's organization: its SCPs and RCPs stay unknown")
		}
		scanner.RecordMembership(a, m, err)
	}
}

func (c *collector) addMember(m org.Member) {
	c.members[m.ID] = m
	a := &inventory.Account{ID: m.ID, Name: m.Name, Email: m.Email, Status: m.Status, OUPath: m.OUPath, Policies: m.Policies, Tags: m.Tags}
	for k, v := range m.Errors {
		a.Errors.Set(k, v)
	}
	c.accounts[m.ID] = a
}

// account returns the audit role's configuration in a member account.
func (c *collector) account(id string) (aws.Config, bool) {
	m, ok := c.members[id]
	if !ok {
		return aws.Config{}, false
	}
	return c.sess.Account(m.Partition(), id), true
}

// findBucket finds the account that owns the bucket by listing buckets
// (ListBuckets with the bucket's name as prefix): first in the account the
// request names (CloudTrail) and the principal's, then in every other
// member account, a few at a time.
func (c *collector) findBucket(ctx context.Context) (string, inventory.Bucket, error) {
	var first []string
	for _, id := range []string{c.req.BucketAccount, c.principalAccountID()} {
		if _, ok := c.members[id]; ok && id != "" && (len(first) == 0 || first[0] != id) {
			first = append(first, id)
		}
	}
	var rest []string
	for _, id := range slices.Sorted(maps.Keys(c.members)) {
		if id != c.req.BucketAccount && id != c.principalAccountID() {
			rest = append(rest, id)
		}
	}
	var failed []string
	for _, id := range first {
		b, found, err := c.listFor(ctx, id)
		if err != nil {
			failed = append(failed, id)
			continue
		}
		if found {
			return id, b, nil
		}
	}
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(gctx)
	g.SetLimit(max(c.cfg.Concurrency.Accounts, 1))
	var (
		mu    sync.Mutex
		owner string
		found inventory.Bucket
	)
	for _, id := range rest {
		g.Go(func() error {
			b, ok, err := c.listFor(gctx, id)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && gctx.Err() == nil:
				failed = append(failed, id)
			case ok && owner == "":
				owner, found = id, b
				cancel()
			}
			return nil
		})
	}
	_ = g.Wait()
	if owner != "" {
		return owner, found, nil
	}
	sort.Strings(failed)
	more := ""
	if len(failed) > 0 {
		more = fmt.Sprintf("; the buckets of %s could not be listed (see the log)", strings.Join(failed, ", "))
	}
	return "", inventory.Bucket{}, fmt.Errorf("%w: no account in scope owns %q (%d accounts listed)%s", ErrBucketNotFound, c.req.Bucket, len(c.members), more)
}

func (c *collector) principalAccountID() string {
	if c.req.Account != "" {
		return c.req.Account
	}
	p, err := ParsePrincipal(c.req.Principal)
	if err != nil {
		return ""
	}
	return p.Account
}

// listFor looks for the bucket among one account's buckets and records the
// account's canonical user ID.
func (c *collector) listFor(ctx context.Context, id string) (inventory.Bucket, bool, error) {
	cfg, ok := c.account(id)
	if !ok {
		return inventory.Bucket{}, false, nil
	}
	log := c.log.With().Str("account_id", id).Logger()
	api := c.sess.S3(cfg, c.cfg.Region)
	p := s3.NewListBucketsPaginator(api, &s3.ListBucketsInput{Prefix: aws.String(c.req.Bucket), MaxBuckets: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn().Err(err).Msg("cannot list the account's buckets")
				c.mu.Lock()
				org.SetError(&c.accounts[id].Errors, scanner.KeyBuckets, err)
				c.mu.Unlock()
			}
			return inventory.Bucket{}, false, err
		}
		if page.Owner != nil {
			c.mu.Lock()
			c.accounts[id].CanonicalID = aws.ToString(page.Owner.ID)
			c.mu.Unlock()
		}
		for _, b := range page.Buckets {
			if aws.ToString(b.Name) == c.req.Bucket {
				return inventory.Bucket{Name: c.req.Bucket, Region: aws.ToString(b.BucketRegion), Created: aws.ToTime(b.CreationDate).UTC()}, true, nil
			}
		}
	}
	return inventory.Bucket{}, false, nil
}

// bucketAccount reads the bucket's every layer and its account's Block
// Public Access, and returns the bucket as read.
func (c *collector) bucketAccount(ctx context.Context, owner string, b inventory.Bucket) inventory.Bucket {
	cfg, _ := c.account(owner)
	a := c.accounts[owner]
	log := c.log.With().Str("account_id", owner).Str("bucket", b.Name).Logger()
	bpa, err := scanner.CollectAccountBPA(ctx, c.sess.S3Control(cfg), owner)
	if err != nil {
		log.Warn().Err(err).Msg("cannot read the account's Block Public Access")
		org.SetError(&a.Errors, scanner.KeyPublicAccessBlock, err)
	}
	a.PublicAccessBlock = bpa
	clients := map[string]scanner.S3API{}
	var mu sync.Mutex
	regional := func(region string) scanner.S3API {
		mu.Lock()
		defer mu.Unlock()
		if clients[region] == nil {
			clients[region] = c.sess.S3(cfg, region)
		}
		return clients[region]
	}
	scanner.CollectBucket(ctx, regional, c.cfg.Region, &b, log)
	a.Buckets = append(a.Buckets, b)
	return b
}

// key reads the KMS key of an SSE-KMS bucket in the account that owns it,
// when that account is in scope.
func (c *collector) key(ctx context.Context, owner string, b inventory.Bucket) {
	ref, ok := scanner.ResolveKeyRef(b.Encryption, owner, b.Region)
	if !ok {
		return
	}
	cfg, inScope := c.account(ref.Account)
	if !inScope {
		c.log.Info().Str("key", ref.ID).Str("account_id", ref.Account).Msg("the bucket's key belongs to an account outside the scan; its policy is unknown")
		return
	}
	api := c.sess.KMS(cfg, ref.Region)
	aliases, aliasErr := scanner.ListAliasNames(ctx, api)
	k := scanner.CollectKey(ctx, api, ref, aliases, aliasErr)
	if len(k.Errors) > 0 {
		c.log.Warn().Str("key", k.ARN).Interface("errors", k.Errors).Msg("KMS key not fully read")
	}
	a := c.accounts[ref.Account]
	a.KMSKeys = append(a.KMSKeys, k)
}

// principalAccount reads the IAM data of the principal's account (its
// roles, users, groups and managed policies: the principal's identity
// policies, permission boundary and, for a session, its role).
func (c *collector) principalAccount(ctx context.Context) {
	p, err := ParsePrincipal(c.req.Principal)
	if c.req.Principal == "" || err != nil || p.Kind == KindAnonymous || p.Kind == KindRoot {
		return
	}
	cfg, ok := c.account(p.Account)
	if !ok {
		return // outside the scope: the identity stays unknown
	}
	details, err := scanner.CollectIAM(ctx, c.sess.IAM(cfg))
	if err != nil {
		c.log.Warn().Err(err).Str("account_id", p.Account).Msg("cannot read IAM")
		org.SetError(&c.accounts[p.Account].Errors, scanner.KeyIAM, err)
		return
	}
	c.accounts[p.Account].IAM = details
}

// endpoint reads the VPC endpoints the request may go through: the one it
// names (aws:SourceVpce), or, when it does not say, those the bucket policy
// names; in the principal's account and then in the bucket's.
func (c *collector) endpoint(ctx context.Context, owner string, b inventory.Bucket) {
	region := b.Region
	var wanted []string
	switch v, ok := c.req.contextValue("aws:SourceVpce"); {
	case ok && len(v) > 0:
		wanted = []string{v[0]}
	case ok:
		return // the request does not go through an endpoint
	case b.Policy != nil:
		wanted = endpointIDs(string(b.Policy.Raw()))
	}
	if len(wanted) == 0 {
		return
	}
	for _, id := range []string{c.principalAccountID(), owner} {
		cfg, inScope := c.account(id)
		if !inScope {
			continue
		}
		eps, err := scanner.CollectVPCEndpoints(ctx, c.sess.EC2(cfg, region), region)
		if err != nil {
			c.log.Warn().Err(err).Str("account_id", id).Str("region", region).Msg("cannot read VPC endpoints")
			org.SetError(&c.accounts[id].Errors, scanner.KeyVPCEndpointsPrefix+region, err)
			continue
		}
		for _, ep := range eps {
			if slices.Contains(wanted, ep.ID) && !slices.ContainsFunc(c.accounts[id].VPCEndpoints, func(x inventory.VPCEndpoint) bool { return x.ID == ep.ID }) {
				c.accounts[id].VPCEndpoints = append(c.accounts[id].VPCEndpoints, ep)
				wanted = slices.DeleteFunc(wanted, func(w string) bool { return w == ep.ID })
			}
		}
		if len(wanted) == 0 {
			return
		}
	}
}

// endpointIDs finds the VPC endpoint IDs ("vpce-" and 8 to 17 hex digits)
// in a policy's text.
func endpointIDs(text string) []string {
	var out []string
	for {
		i := strings.Index(text, "vpce-")
		if i < 0 {
			return out
		}
		text = text[i+len("vpce-"):]
		n := 0
		for n < len(text) && strings.IndexByte("0123456789abcdef", text[n]) >= 0 {
			n++
		}
		if n >= 8 && n <= 17 && !slices.Contains(out, "vpce-"+text[:n]) {
			out = append(out, "vpce-"+text[:n])
		}
		text = text[n:]
	}
}
