// Package scanner collects, for every account of an organisation, every
// layer that can allow or deny access to its S3 buckets into an inventory
// snapshot: account and bucket Block Public Access, bucket policies and
// AWS's policy status, Object Ownership, ACLs, default encryption and the
// KMS keys it uses, optionally versioning, tags, IAM and VPC endpoints. A
// field that cannot change a verdict is not read but listed in the
// bucket's NotCollected (the ACL when ACLs are disabled). A scan may be one
// shard of a sharded scan (Options.Shard), read the organisation from a
// saved walk (Options.OrgSnapshot), or only walk it (Options.OrgOnly).
//
// Every client it makes is read-only (Allowlist, enforced by a middleware
// before anything is sent), retried, rate-limited per account and service,
// and bounded by a global cap of calls in flight (Session). Every field is
// a value, "not configured" (only on its specific not-found code) or an
// error recorded with its code: a read that failed is never turned into a
// value.
package scanner

import (
	"container/heap"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/org"
)

// Account error keys beyond the bucket fields.
const (
	KeyAssumeRole         = inventory.KeyAssumeRole
	KeyPublicAccessBlock  = inventory.KeyPublicAccessBlock
	KeyBuckets            = inventory.KeyBuckets
	KeyIAM                = inventory.KeyIAM
	KeyScan               = inventory.KeyScan
	KeyVPCEndpointsPrefix = inventory.KeyVPCEndpointsPrefix
	// ScanErrorOrganization is the ScanInfo.Errors key of an organisation
	// that could not be read.
	ScanErrorOrganization = inventory.FieldOrganization
)

// Progress receives a scan's progress. Implementations must be safe for
// concurrent use.
type Progress interface {
	// AccountsFound adds n accounts to the total.
	AccountsFound(n int)
	AccountDone()
	// BucketsFound adds n buckets to the total.
	BucketsFound(n int)
	BucketDone()
}

// Options configure a scan.
type Options struct {
	Session     *Session
	Config      *config.Config
	ToolVersion string
	// Progress may be nil.
	Progress Progress
	Log      zerolog.Logger
	// Now is the clock of ScanInfo; nil means time.Now.
	Now func() time.Time
	// Shard, when set (Index 1 to Count), limits the scan to the accounts
	// of that shard (inventory.ShardOf); the others in scope are recorded
	// as excluded, with their SCP/RCP attachments, like the scope's.
	Shard *inventory.Shard
	// OrgSnapshot, when set, is an organisation walk saved by an OrgOnly
	// scan: it replaces the walk (Organizations is not called).
	OrgSnapshot *inventory.Document
	// OrgOnly walks the organisation and returns the walk (ScanInfo.OrgOnly),
	// scanning no account.
	OrgOnly bool
	// Collected, when set, receives the organisation and each account as
	// soon as they are read in full, for an analysis that overlaps the
	// scan. Only a scan that walks the organisation calls it.
	Collected Collected
}

// Collected receives what a scan has read in full while it goes on. Its
// methods are called one at a time (from the scan's goroutines) and must
// not block: Walked once the organisation is read, then Account with each
// account once it is collected (those collected before the walk ended
// right after Walked). What they receive does not change afterwards, and
// is what the scan's document holds in the end, except for the KMS keys
// that the scan reads last for buckets of other accounts.
type Collected interface {
	// Walked receives the organisation and the scan section (trusted
	// accounts) and, sorted by ID, every account the scan reads with what
	// the walk read of it: ID, name, email, status, OU path, its own SCP
	// and RCP attachments and tags, and their errors.
	Walked(skeleton *inventory.Document)
	Account(a inventory.Account)
	// IAM receives, when the scan collects IAM, each account's IAM as the
	// document will hold it (nil when not read) and its Errors entry for
	// IAM (zero when none), read ahead of the account's buckets: before
	// Account, for every account the scan reads (those read before the
	// walk ended right after Walked).
	IAM(accountID string, iam *inventory.IAM, iamErr inventory.FetchError)
}

// Scan walks the organisation (or the configured account list) and scans
// every account in scope. It always returns a document: what could not be
// read is recorded where it belongs, and ScanInfo.Complete says whether
// anything is missing. When ctx ends (Ctrl-C), the scan stops starting new
// work, lets the calls in flight fail, and returns what it collected with
// ScanInfo.Interrupted set.
func Scan(ctx context.Context, opts Options) *inventory.Document {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Progress == nil {
		opts.Progress = nopProgress{}
	}
	cfg := opts.Config
	s := &scan{opts: opts, cfg: cfg, sess: opts.Session, log: opts.Log, keys: map[string][]KeyRef{},
		bucketsInProgress: make(chan struct{}, bucketsInProgress(cfg.Concurrency.Requests, len(fieldsFor(bucketOptions(cfg)))))}
	doc := &inventory.Document{
		SchemaVersion: inventory.SchemaVersion,
		Scan: &inventory.ScanInfo{
			StartedAt: opts.Now().UTC(), ToolVersion: opts.ToolVersion, ConfigDigest: cfg.Digest(),
			Regions: append([]string(nil), cfg.Scope.Regions...), TrustedAccounts: cfg.TrustedAccountMap(),
		},
		Accounts: []inventory.Account{},
	}

	if opts.Shard != nil {
		doc.Scan.Shard = &inventory.Shard{Index: opts.Shard.Index, Count: opts.Shard.Count}
	}
	if opts.OrgOnly {
		s.orgOnly(ctx, doc)
		return doc
	}

	// Accounts are scanned as soon as the walk finds them, those with the
	// smallest IDs first: they complete roughly in the report's order, so
	// an analysis that overlaps the scan (Collected) has less to wait for.
	queue := newMemberQueue()
	if opts.Collected != nil && cfg.Collect.IAM && len(cfg.Accounts) == 0 {
		s.ahead = newIAMAhead()
	}
	var (
		walked   *org.Walked
		mu       sync.Mutex // guards accounts and c
		accounts []inventory.Account
		members  []org.Member
		c        = collected{to: opts.Collected}
	)
	var aheadDone sync.WaitGroup
	if s.ahead != nil {
		aheadDone.Add(1)
		go func() {
			defer aheadDone.Done()
			s.readIAMAhead(ctx, s.ahead, accountSlots(cfg.Concurrency), func(id string, r *iamResult) {
				mu.Lock()
				c.iam(id, r)
				mu.Unlock()
			})
		}()
	}
	go func() {
		defer queue.close()
		if s.ahead != nil {
			defer s.ahead.queue.close()
		}
		w := s.members(ctx, doc, func(m org.Member) {
			opts.Progress.AccountsFound(1)
			if s.ahead != nil {
				s.ahead.queue.push(m)
			}
			queue.push(m)
		})
		mu.Lock()
		c.walked(doc, w, accounts)
		mu.Unlock()
		walked = w
	}()
	// An account is prepared (audit role assumed, buckets listed) before
	// it takes one of the slots of the accounts whose buckets are started,
	// by up to as many accounts as there are slots, and gives its slot
	// back as soon as its last bucket has started (its last reads and KMS
	// keys go on without it): the slots are held by accounts with buckets
	// waiting for a bucketsInProgress token, and the next account's
	// buckets are ready to start, so the calls in flight do not drop while
	// accounts start and end.
	slots := accountSlots(cfg.Concurrency)
	prepared := make(chan struct{}, slots)
	reading := make(chan struct{}, slots)
	var g sync.WaitGroup
	for {
		prepared <- struct{}{}
		m, ok := queue.pop()
		if !ok {
			break
		}
		members = append(members, m)
		g.Add(1)
		go func() {
			defer g.Done()
			r := s.prepare(ctx, m)
			reading <- struct{}{}
			<-prepared
			s.readBuckets(ctx, r, func() { <-reading })
			a := s.finish(ctx, r)
			mu.Lock()
			c.account(&a)
			accounts = append(accounts, a)
			mu.Unlock()
			opts.Progress.AccountDone()
		}()
	}
	g.Wait()
	aheadDone.Wait()
	if walked != nil {
		mergeWalk(accounts, walked.Members, c.merged)
	}
	s.crossAccountKeys(ctx, doc, accounts, members)

	sort.Slice(accounts, func(i, j int) bool { return accounts[i].ID < accounts[j].ID })
	if accounts != nil {
		doc.Accounts = accounts
	}
	doc.Scan.Interrupted = ctx.Err() != nil
	doc.Scan.FinishedAt = opts.Now().UTC()
	doc.Scan.Complete = !doc.Scan.Interrupted && !HasErrors(doc)
	return doc
}

type scan struct {
	opts Options
	cfg  *config.Config
	sess *Session
	log  zerolog.Logger

	mu sync.Mutex
	// keys are KMS keys used by buckets of another account, by owner account.
	keys map[string][]KeyRef
	// bucketsInProgress bounds the buckets being read across the scan.
	bucketsInProgress chan struct{}
	// otherShards are the accounts in scope that belong to other shards.
	otherShards map[string]org.Member
	// assumed are the accounts' audit-role sessions (assume).
	assumed map[string]*assumed
	// ahead reads the accounts' IAM ahead of their buckets (nil: IAM is
	// read with the buckets).
	ahead *iamAhead
}

// bucketsInProgress is the number of buckets read at once across a scan
// of requests calls in flight and fields reads per bucket: enough to keep
// the in-flight cap busy (a bucket has fewer reads pending as they
// complete), and no more: a read waiting for a slot is parked deep in the
// SDK's middleware, its request built and signed, on a stack that every
// garbage collection scans. Measured with scanner/internal/benchscan
// (60×25 buckets, 25 ms latency, 256 in flight, alternating runs), twice
// as many (requests×4÷fields: up to ~770 reads parked, where this
// parks up to ~260) cost the scan process 6% more CPU per call (162 against
// 153 µs; 216 against 193 at 100 ms latency) and 60 MB of peak RSS (250
// against 188 MB) for no more calls in flight (mean 165 against 170);
// half as many (requests÷fields) left slots idle (mean 150 in flight,
// 1.1 times the bound instead of 0.98).
func bucketsInProgress(requests, fields int) int {
	return max(2, 2*requests/max(fields, 1)+1)
}

// inShard reports whether the scan's shard (if any) holds account id.
func (s *scan) inShard(id string) bool {
	sh := s.opts.Shard
	return sh == nil || inventory.ShardOf(id, sh.Count) == sh.Index
}

// bucketOptions are the optional bucket fields cfg collects.
func bucketOptions(cfg *config.Config) BucketOptions {
	return BucketOptions{Versioning: cfg.Collect.Versioning, Tags: cfg.Collect.Tags}
}

// memberQueue holds the accounts found and not scanned yet; pop takes the
// one with the smallest ID.
type memberQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	heap   memberHeap
	closed bool
}

func newMemberQueue() *memberQueue {
	q := &memberQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *memberQueue) push(m org.Member) {
	q.mu.Lock()
	heap.Push(&q.heap, m)
	q.cond.Signal()
	q.mu.Unlock()
}

// close says no account will be pushed any more.
func (q *memberQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// pop waits for an account and returns the one with the smallest ID; false
// once the queue is closed and empty.
func (q *memberQueue) pop() (org.Member, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.heap) == 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.heap) == 0 {
		return org.Member{}, false
	}
	return heap.Pop(&q.heap).(org.Member), true
}

// memberHeap is a container/heap of members by ID.
type memberHeap []org.Member

func (h memberHeap) Len() int           { return len(h) }
func (h memberHeap) Less(i, j int) bool { return h[i].ID < h[j].ID }
func (h memberHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *memberHeap) Push(x any)        { *h = append(*h, x.(org.Member)) }
func (h *memberHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	*h = old[:len(old)-1]
	return m
}

type nopProgress struct{}

func (nopProgress) AccountsFound(int) {}
func (nopProgress) AccountDone()      {}
func (nopProgress) BucketsFound(int)  {}
func (nopProgress) BucketDone()       {}

// members finds the accounts to scan — the configured list, or the
// organisation's ACTIVE accounts in scope — and hands each to emit as soon
// as it is known. It returns the walk (nil without one).
func (s *scan) members(ctx context.Context, doc *inventory.Document, emit func(org.Member)) *org.Walked {
	sc := s.cfg.Scope
	if len(s.cfg.Accounts) > 0 {
		partition := awsid.PartitionOf(s.cfg.Region)
		for _, a := range s.cfg.Accounts {
			m := org.Member{ID: a.ID, Name: a.Name, Status: inventory.AccountActive, ARN: "arn:" + partition + ":organizations:::account/" + a.ID}
			if org.InScope(m, nil, nil, sc.IncludeAccounts, sc.ExcludeAccounts) && s.inShard(m.ID) {
				emit(m)
			}
		}
		return nil
	}
	var mu sync.Mutex
	s.otherShards = map[string]org.Member{}
	found := func(m org.Member) {
		if !org.InScope(m, sc.IncludeOUs, sc.ExcludeOUs, sc.IncludeAccounts, sc.ExcludeAccounts) {
			return
		}
		if s.inShard(m.ID) {
			emit(m)
			return
		}
		mu.Lock()
		s.otherShards[m.ID] = m
		mu.Unlock()
	}
	var (
		w   *org.Walked
		err error
	)
	if s.opts.OrgSnapshot != nil {
		w, err = WalkFromSnapshot(s.opts.OrgSnapshot, awsid.PartitionOf(s.cfg.Region))
		if err == nil {
			for _, m := range w.Members {
				found(m)
			}
		}
	} else {
		w, err = org.Walk(ctx, s.sess.Organizations(s.sess.Management()), org.WalkOptions{Concurrency: s.cfg.Concurrency.Requests, Log: s.log, Found: found})
	}
	if err != nil {
		s.log.Error().Err(err).Msg("cannot read the organization; set accounts: in the configuration to scan a list of accounts instead")
		doc.Scan.Errors = inventory.Errors{ScanErrorOrganization: org.FetchErrorOf(err)}
		return nil
	}
	doc.Organization = w.Organization
	for _, m := range w.Members {
		if org.InScope(m, sc.IncludeOUs, sc.ExcludeOUs, sc.IncludeAccounts, sc.ExcludeAccounts) && s.inShard(m.ID) {
			continue
		}
		// An excluded account (by the scope, or of another shard) is still
		// a member: the SCPs and RCPs attached to it complete its chain (its
		// principals may call the buckets in scope; the access model needs
		// every level).
		doc.Scan.ExcludedAccounts = append(doc.Scan.ExcludedAccounts, m.ID)
		if e, ok := m.Errors.Get(inventory.KeyPolicies); ok {
			doc.Organization.Errors.Set(inventory.AccountPoliciesErrorKey(m.ID), e)
			continue
		}
		if doc.Organization.AccountPolicies == nil {
			doc.Organization.AccountPolicies = map[string][]string{}
		}
		doc.Organization.AccountPolicies[m.ID] = append([]string{}, m.Policies...) // empty: none attached
	}
	sort.Strings(doc.Scan.ExcludedAccounts)
	s.log.Info().Int("accounts", len(w.Members)).Int("excluded_by_scope", len(doc.Scan.ExcludedAccounts)).Str("organization", w.Organization.ID).Msg("organization read")
	return w
}

// mergeWalk copies into the scanned accounts what the walk read about each
// one after it was listed: its own SCP/RCP attachments and tags (with
// their errors); merged names the accounts that have them already.
func mergeWalk(accounts []inventory.Account, members []org.Member, merged map[string]bool) {
	byID := membersByID(members)
	for i := range accounts {
		if !merged[accounts[i].ID] {
			mergeMember(&accounts[i], byID)
		}
	}
}

func membersByID(members []org.Member) map[string]*org.Member {
	byID := make(map[string]*org.Member, len(members))
	for i := range members {
		byID[members[i].ID] = &members[i]
	}
	return byID
}

// mergeMember copies into a what the walk read of it (see mergeWalk).
func mergeMember(a *inventory.Account, byID map[string]*org.Member) {
	m, ok := byID[a.ID]
	if !ok {
		return
	}
	a.Policies, a.Tags = m.Policies, m.Tags
	for k, v := range m.Errors {
		a.Errors.Set(k, v)
	}
}

// collected hands the walk and the accounts collected to a Collected.
type collected struct {
	to Collected
	// byID are the walk's members, once it is done (nil before, and
	// without a walk).
	byID map[string]*org.Member
	// merged are the accounts handed over, with the walk merged in.
	merged map[string]bool
	// iams are the IAM results read ahead before the walk ended.
	iams []iamHanded
}

// iamHanded is an account's IAM read ahead, kept until the walk ends.
type iamHanded struct {
	id string
	r  *iamResult
}

// iam hands over account id's IAM read ahead (kept until the walk ends).
func (c *collected) iam(id string, r *iamResult) {
	if c.to == nil {
		return
	}
	if c.byID == nil {
		c.iams = append(c.iams, iamHanded{id, r})
		return
	}
	var iamErr inventory.FetchError
	if r.err != nil {
		iamErr = org.FetchErrorOf(r.err)
	}
	c.to.IAM(id, r.iam, iamErr)
}

// walked hands over the walk (w; nil: none, or it failed) and the accounts
// collected before it ended.
func (c *collected) walked(doc *inventory.Document, w *org.Walked, done []inventory.Account) {
	if c.to == nil || w == nil {
		return
	}
	c.byID, c.merged = membersByID(w.Members), map[string]bool{}
	skeleton := &inventory.Document{SchemaVersion: doc.SchemaVersion, Organization: doc.Organization,
		Scan: &inventory.ScanInfo{TrustedAccounts: doc.Scan.TrustedAccounts, Regions: doc.Scan.Regions}}
	excluded := map[string]bool{}
	for _, id := range doc.Scan.ExcludedAccounts {
		excluded[id] = true
	}
	for _, m := range w.Members {
		if excluded[m.ID] {
			continue
		}
		a := inventory.Account{ID: m.ID, Name: m.Name, Email: m.Email, Status: m.Status, OUPath: m.OUPath}
		mergeMember(&a, c.byID)
		skeleton.Accounts = append(skeleton.Accounts, a)
	}
	c.to.Walked(skeleton) // w.Members are sorted by ID
	for _, h := range c.iams {
		c.iam(h.id, h.r)
	}
	c.iams = nil
	for i := range done {
		c.account(&done[i])
	}
}

// account merges the walk into a collected account and hands over a copy
// (its KMS keys copied: the keys of other accounts' buckets are added to
// them last).
func (c *collected) account(a *inventory.Account) {
	if c.byID == nil {
		return
	}
	mergeMember(a, c.byID)
	c.merged[a.ID] = true
	cp := *a
	cp.KMSKeys = append([]inventory.KMSKey(nil), a.KMSKeys...)
	c.to.Account(cp)
}

// regionInScope reports whether a bucket region is scanned.
func (s *scan) regionInScope(region string) bool {
	if len(s.cfg.Scope.Regions) == 0 || region == "" {
		return true
	}
	for _, r := range s.cfg.Scope.Regions {
		if r == region {
			return true
		}
	}
	return false
}

// accountSlots is how many accounts have their buckets read at once:
// concurrency.accounts, or more when the request cap needs them (a quarter
// of concurrency.requests) — an account whose last buckets are being read
// keeps few calls in flight, and the cap is what bounds the scan.
func accountSlots(c config.Concurrency) int {
	return max(c.Accounts, c.Requests/4, 1)
}

// accountRun is an account being scanned: prepare starts it, read ends it.
type accountRun struct {
	m   org.Member
	a   inventory.Account
	log zerolog.Logger
	// clients are the account's clients (prepare makes them).
	clients *regionalClients
	// buckets are the buckets listed in scope; ready is false when the
	// account is already done (scan stopped, audit role not assumed).
	buckets []inventory.Bucket
	ready   bool
	// wg waits for the account-level reads started by prepare and read;
	// mu guards a.Errors, a.VPCEndpoints and endpointsRead while they run.
	wg            sync.WaitGroup
	mu            sync.Mutex
	endpointsRead map[string]bool
}

func (r *accountRun) fail(key string, err error) {
	r.mu.Lock()
	org.SetError(&r.a.Errors, key, err)
	r.mu.Unlock()
}

// prepare assumes the audit role in an account, starts reading its Block
// Public Access (and IAM) and lists its buckets.
func (s *scan) prepare(ctx context.Context, m org.Member) *accountRun {
	r := &accountRun{m: m, a: inventory.Account{ID: m.ID, Name: m.Name, Email: m.Email, Status: m.Status, OUPath: m.OUPath},
		log: s.log.With().Str("account_id", m.ID).Logger(), endpointsRead: map[string]bool{}}
	a, log := &r.a, r.log
	if ctx.Err() != nil {
		org.SetError(&a.Errors, KeyScan, fmt.Errorf("scan stopped before this account was visited: %w", ctx.Err()))
		return r
	}
	cfg, err := s.assume(ctx, m)
	r.clients = newRegionalClients(s.sess, cfg)
	if err != nil {
		log.Warn().Err(err).Str("role_arn", s.sess.Assumer().Role().ARN(m.Partition(), m.ID)).Msg("cannot assume the audit role; account skipped")
		org.SetError(&a.Errors, KeyAssumeRole, err)
		return r
	}
	home := s.cfg.Region
	if len(s.cfg.Accounts) > 0 {
		// The organisation is not walked: the account says whether SCPs and
		// RCPs can govern it.
		m, err := CollectMembership(ctx, s.sess.Organizations(cfg), a.ID)
		if err != nil {
			log.Warn().Err(err).Msg("cannot read the account's organization: its SCPs and RCPs stay unknown")
		}
		RecordMembership(a, m, err)
	}
	wg, fail := &r.wg, r.fail
	wg.Add(1)
	s.sess.workers.Go(func() {
		defer wg.Done()
		pab, err := CollectAccountBPA(ctx, s.sess.S3Control(cfg), m.ID)
		if err != nil {
			log.Warn().Err(err).Msg("cannot read the account's Block Public Access")
			fail(KeyPublicAccessBlock, err)
			return
		}
		a.PublicAccessBlock = pab
	})
	if s.cfg.Collect.IAM && s.ahead == nil {
		wg.Add(1)
		s.sess.workers.Go(func() {
			defer wg.Done()
			details, err := CollectIAM(ctx, s.sess.IAM(cfg))
			if err != nil {
				log.Warn().Err(err).Msg("cannot read IAM")
				fail(KeyIAM, err)
				return
			}
			a.IAM = details
		})
	}

	buckets, canonical, err := listBuckets(ctx, s.sess.S3(cfg, home))
	if err != nil {
		log.Warn().Err(err).Msg("cannot list buckets")
		fail(KeyBuckets, err)
	}
	a.CanonicalID = canonical
	kept := buckets[:0]
	for _, b := range buckets {
		if s.regionInScope(b.Region) {
			kept = append(kept, b)
		}
	}
	r.buckets, r.ready = kept, true
	s.opts.Progress.BucketsFound(len(kept))
	if s.cfg.Collect.VPCEndpoints {
		// The regions are known from the listing: read the VPC endpoints
		// while the account waits for its slot and its buckets are read.
		s.endpointsFor(ctx, r, bucketRegions(kept))
	}
	return r
}

// endpointsFor starts reading the VPC endpoints of the regions not read yet.
func (s *scan) endpointsFor(ctx context.Context, r *accountRun, regions []string) {
	for _, region := range regions {
		r.mu.Lock()
		seen := r.endpointsRead[region]
		r.endpointsRead[region] = true
		r.mu.Unlock()
		if seen {
			continue
		}
		r.wg.Add(1)
		s.sess.workers.Go(func() {
			defer r.wg.Done()
			list, err := CollectVPCEndpoints(ctx, r.clients.ec2(region), region)
			r.mu.Lock()
			defer r.mu.Unlock()
			if err != nil {
				r.log.Warn().Err(err).Str("region", region).Msg("cannot read VPC endpoints")
				org.SetError(&r.a.Errors, KeyVPCEndpointsPrefix+region, err)
				return
			}
			r.a.VPCEndpoints = append(r.a.VPCEndpoints, list...)
		})
	}
}

// readBuckets reads the buckets of a prepared account, at most
// concurrency.buckets at once, each with one of the scan's bucketsInProgress
// tokens. It calls started once every bucket has its token (or the scan
// stopped): from then on the account only waits for its reads to end.
func (s *scan) readBuckets(ctx context.Context, r *accountRun, started func()) {
	if !r.ready {
		started()
		return
	}
	a, log, buckets, clients, home := &r.a, r.log, r.buckets, r.clients, s.cfg.Region
	var wg sync.WaitGroup
	perAccount := make(chan struct{}, s.cfg.Concurrency.Buckets)
	for i := range buckets {
		perAccount <- struct{}{}
		token := false
		select {
		case s.bucketsInProgress <- struct{}{}:
			token = true
		case <-ctx.Done():
			// Still "read" it: every field then records the interruption.
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-perAccount }()
			if token {
				defer func() { <-s.bucketsInProgress }()
			}
			collectBucket(ctx, s.sess.workers, clients.s3, home, &buckets[i], bucketOptions(s.cfg), log)
			s.opts.Progress.BucketDone()
		}()
	}
	started()
	wg.Wait()
	// A bucket listed without its region was located only now.
	kept := buckets[:0]
	for _, b := range buckets {
		if s.regionInScope(b.Region) {
			kept = append(kept, b)
		}
	}
	a.Buckets = kept
	if s.cfg.Collect.VPCEndpoints {
		// Regions found only by locating buckets (absent or wrong in the listing).
		s.endpointsFor(ctx, r, bucketRegions(a.Buckets))
	}
}

// finish reads the KMS keys of an account whose buckets are read, waits
// for the account-level reads and returns the account.
func (s *scan) finish(ctx context.Context, r *accountRun) inventory.Account {
	a, log, m, clients := &r.a, r.log, r.m, r.clients
	if !r.ready {
		return *a
	}
	if s.cfg.Collect.KMS {
		a.KMSKeys = s.ownKeys(ctx, m.ID, a.Buckets, clients, log)
	}
	r.wg.Wait()
	if s.ahead != nil {
		// Read ahead by the account's turn in the IAM queue.
		res := s.ahead.result(m.ID)
		<-res.done
		if res.err != nil {
			org.SetError(&a.Errors, KeyIAM, res.err)
		}
		a.IAM = res.iam
	}
	sort.Slice(a.VPCEndpoints, func(i, j int) bool { return a.VPCEndpoints[i].ID < a.VPCEndpoints[j].ID })
	sort.Slice(a.Buckets, func(i, j int) bool { return a.Buckets[i].Name < a.Buckets[j].Name })
	if ctx.Err() != nil {
		org.SetError(&a.Errors, KeyScan, fmt.Errorf("scan stopped while this account was being read: %w", ctx.Err()))
	}
	return *a
}

// S3ControlAPI is the part of the S3 Control client the account collector uses.
type S3ControlAPI interface {
	GetPublicAccessBlock(ctx context.Context, in *s3control.GetPublicAccessBlockInput, optFns ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error)
}

// CollectAccountBPA reads an account's Block Public Access. It returns nil
// and no error when none is configured (NoSuchPublicAccessBlockConfiguration
// only); any other failure is an error, never "off".
func CollectAccountBPA(ctx context.Context, api S3ControlAPI, accountID string) (*inventory.PublicAccessBlock, error) {
	out, err := api.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(accountID)})
	switch {
	case org.HasCode(err, org.CodeNoSuchPublicAccessBlockConfiguration):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get public access block of account %s: %w", accountID, err)
	case out.PublicAccessBlockConfiguration == nil:
		return nil, fmt.Errorf("get public access block of account %s: empty answer", accountID)
	}
	c := out.PublicAccessBlockConfiguration
	return &inventory.PublicAccessBlock{
		BlockPublicACLs: aws.ToBool(c.BlockPublicAcls), IgnorePublicACLs: aws.ToBool(c.IgnorePublicAcls),
		BlockPublicPolicy: aws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(c.RestrictPublicBuckets),
	}, nil
}

// listBuckets lists an account's buckets (every page) with their regions,
// and returns the account's canonical user ID.
func listBuckets(ctx context.Context, api s3.ListBucketsAPIClient) ([]inventory.Bucket, string, error) {
	var (
		out       []inventory.Bucket
		canonical string
	)
	p := s3.NewListBucketsPaginator(api, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, canonical, fmt.Errorf("list buckets: %w", err)
		}
		if page.Owner != nil && canonical == "" {
			canonical = aws.ToString(page.Owner.ID)
		}
		for _, b := range page.Buckets {
			out = append(out, inventory.Bucket{Name: aws.ToString(b.Name), Region: aws.ToString(b.BucketRegion), Created: aws.ToTime(b.CreationDate).UTC()})
		}
	}
	return out, canonical, nil
}

// regionalClients caches one account's clients per region.
type regionalClients struct {
	sess *Session
	cfg  aws.Config
	s3s  sync.Map // region -> S3API
	kmss sync.Map // region -> KMSAPI
}

func newRegionalClients(sess *Session, cfg aws.Config) *regionalClients {
	return &regionalClients{sess: sess, cfg: cfg}
}

func (r *regionalClients) s3(region string) S3API {
	if c, ok := r.s3s.Load(region); ok {
		return c.(S3API)
	}
	c, _ := r.s3s.LoadOrStore(region, r.sess.S3(r.cfg, region))
	return c.(S3API)
}

func (r *regionalClients) kms(region string) KMSAPI {
	if c, ok := r.kmss.Load(region); ok {
		return c.(KMSAPI)
	}
	c, _ := r.kmss.LoadOrStore(region, r.sess.KMS(r.cfg, region))
	return c.(KMSAPI)
}

func (r *regionalClients) ec2(region string) EC2API { return r.sess.EC2(r.cfg, region) }

func bucketRegions(buckets []inventory.Bucket) []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range buckets {
		if b.Region != "" && !seen[b.Region] {
			seen[b.Region] = true
			out = append(out, b.Region)
		}
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// HasErrors reports whether anything in doc could not be read.
func HasErrors(doc *inventory.Document) bool {
	if doc.Scan != nil && len(doc.Scan.Errors) > 0 {
		return true
	}
	if o := doc.Organization; o != nil {
		if len(o.Errors) > 0 || ouHasErrors(o.Root) {
			return true
		}
		for _, p := range o.Policies {
			if len(p.Errors) > 0 {
				return true
			}
		}
	}
	if doc.Scan != nil && doc.Scan.Shard != nil {
		for _, keys := range doc.Scan.Shard.KMSKeys {
			for _, k := range keys {
				if len(k.Errors) > 0 {
					return true
				}
			}
		}
	}
	for _, a := range doc.Accounts {
		if len(a.Errors) > 0 {
			return true
		}
		for _, b := range a.Buckets {
			if len(b.Errors) > 0 {
				return true
			}
		}
		for _, k := range a.KMSKeys {
			if len(k.Errors) > 0 {
				return true
			}
		}
	}
	return false
}

func ouHasErrors(ou inventory.OU) bool {
	if len(ou.Errors) > 0 {
		return true
	}
	for _, c := range ou.OUs {
		if ouHasErrors(c) {
			return true
		}
	}
	return false
}
