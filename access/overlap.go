package access

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// Overlap streams the report of a scan while the scan goes on: once the
// organisation is read, the scan hands over each account as soon as it is
// collected (Add, in any order), and Stream hands to sink the buckets of
// the accounts that can be analysed already, in the report's order (by
// account ID): an account is analysed once it and every account before it
// are collected; Finish streams the rest from the finished document and
// returns the report. The buckets reach sink in the order, and with the
// content, Stream would give on the finished document.
//
// An account's analysis reads, beyond the account and what the walk read
// of the others (their OU paths, SCP and RCP attachments), only what an
// ACL or policy of it names: another account's canonical user, VPC
// endpoint or VPC — it waits until that account is collected (or every
// account is, when no account has it) — or KMS key (read at the end of
// the scan: that account and every one after it wait for Finish, and
// Deferred says why). Overlap is not safe for concurrent use.
type Overlap struct {
	opts Options
	sink func(*model.Bucket) error
	// order is the report's order of the accounts (their IDs, sorted).
	order []string
	next  int
	// collected are the accounts added, by ID; all is true once every
	// account of order is.
	collected map[string]*inventory.Account
	all       bool
	// ix holds the walk's view of every account (skeleton), each account
	// added replacing its skeleton; m and t carry on across accounts.
	ix *Index
	m  *matrixer
	w  *worker // the analysis's while the scan goes on (account)
	t  *tally
	// vpcs are the VPCs of the endpoints of the accounts added.
	vpcs map[string]bool
	// orgRefs are the canonical users, VPC endpoints and VPCs the
	// organisation's policies name.
	orgRefs refs
	// stopped is why no account is analysed early any more ("" while
	// accounts still are).
	stopped string
	err     error
	// iam is true when the scan collects IAM (ExpectIAM) or an account
	// added holds it: a bucket's cells then list the IAM principals of
	// every member account that can (org cells narrowed to named
	// principals) and its findings who can assume its roles, so its
	// analysis waits until the IAM of every account is in: read ahead of
	// its buckets (AddIAM) or with its account (Add).
	iam bool
	// iamIn are the accounts whose IAM is in (AddIAM or Add), and iamRefs
	// what their IAM policies name that only another account resolves.
	iamIn   map[string]bool
	iamRefs refs
}

// ExpectIAM says the scan collects IAM (collect.iam): the accounts not
// collected yet hold principals that a bucket's cells may list.
func (o *Overlap) ExpectIAM() { o.iam = true }

// NewOverlap prepares the overlap from skeleton: the organisation as the
// walk read it, the scan section (trusted accounts) and every account of
// the scan with what the walk read of it (ID, name, email, status, OU
// path, own SCP and RCP attachments and tags, and their errors), sorted by
// ID. The document must have an organisation.
func NewOverlap(skeleton *inventory.Document, opts Options, sink func(*model.Bucket) error) (*Overlap, error) {
	if skeleton == nil || skeleton.Organization == nil {
		return nil, errors.New("analyze: an overlapping analysis needs the organisation")
	}
	o := &Overlap{opts: opts, sink: sink, t: newTally(), collected: map[string]*inventory.Account{}, vpcs: map[string]bool{}, iamIn: map[string]bool{}}
	for i, a := range skeleton.Accounts {
		if i > 0 && a.ID <= skeleton.Accounts[i-1].ID {
			return nil, fmt.Errorf("analyze: skeleton accounts not sorted by ID (%s after %s)", a.ID, skeleton.Accounts[i-1].ID)
		}
		o.order = append(o.order, a.ID)
	}
	o.ix = NewIndex(skeleton)
	// The fixture defaults gave the skeleton's accounts canonical IDs of
	// their own; the accounts added bring theirs.
	o.ix.canonical = map[string]string{}
	o.m = newMatrixer(o.ix, trustedAccounts(skeleton, opts), opts)
	for _, p := range skeleton.Organization.Policies {
		if p.Document != nil {
			o.orgRefs.add(string(p.Document.Raw()))
		}
	}
	return o, nil
}

// Add records a collected account of the skeleton, in full (as the
// finished document will hold it, but for the KMS keys read at the end of
// the scan for buckets of other accounts). Overlap owns *a from then on
// (it fills in the fixture defaults, as NewIndex does, on copies of a's
// lists); what a points to must not change.
func (o *Overlap) Add(a *inventory.Account) error {
	if _, ok := o.ix.accounts[a.ID]; !ok || o.collected[a.ID] != nil {
		return fmt.Errorf("analyze: account %s is not one of the scan's or was added twice", a.ID)
	}
	// The fixture defaults NewIndex gives the finished document (a no-op on
	// a scan's account), on copies of what they would write to: the scan's
	// document shares the rest.
	a.Buckets = append([]inventory.Bucket(nil), a.Buckets...)
	a.KMSKeys = append([]inventory.KMSKey(nil), a.KMSKeys...)
	a.VPCEndpoints = append([]inventory.VPCEndpoint(nil), a.VPCEndpoints...)
	if a.IAM != nil {
		iam := *a.IAM
		iam.Policies = append([]inventory.IAMManagedPolicy(nil), iam.Policies...)
		a.IAM = &iam
	}
	d := &inventory.Document{Organization: o.ix.Doc.Organization, Scan: o.ix.Doc.Scan, Accounts: []inventory.Account{*a}}
	inventory.ApplyDefaults(d)
	*a = d.Accounts[0]
	o.collected[a.ID] = a
	o.all = len(o.collected) == len(o.order)
	graph := o.ix.assume
	o.ix.indexAccount(a)
	if o.iamIn[a.ID] {
		// Its IAM was in already (AddIAM: the same IAM Add brings), and
		// the assume-role graph is of the accounts' IAM: kept, not built
		// again for every account added (O(accounts) each).
		o.ix.assume = graph
	}
	if a.IAM != nil {
		o.iam = true
	}
	if !o.iamIn[a.ID] {
		if err := o.iamArrived(a.ID, a.IAM); err != nil {
			return err
		}
	}
	for _, e := range a.VPCEndpoints {
		if e.VPCID != "" {
			o.vpcs[strings.ToLower(e.VPCID)] = true
		}
	}
	if !o.m.nameMatters && accountNamesBucket(a) {
		o.m.nameMatters = true
	}
	return nil
}

// AddIAM records the IAM of an account of the skeleton not added yet, as
// the scan read it ahead of the account's buckets: iam as the finished
// document will hold it (nil when not read) and iamErr the account's
// Errors entry for it (zero when none). With the IAM of every account in, an
// account is analysed as soon as it is collected (its cells list the IAM
// principals of the others, its findings who can assume its roles). Add
// later brings the same IAM with the account. Overlap owns *iam from then
// on.
func (o *Overlap) AddIAM(id string, iam *inventory.IAM, iamErr inventory.FetchError) error {
	a, ok := o.ix.accounts[id]
	switch {
	case !ok:
		return fmt.Errorf("analyze: account %s is not one of the scan's", id)
	case o.collected[id] != nil:
		return nil // Add brought it
	case o.iamIn[id]:
		return fmt.Errorf("analyze: the IAM of account %s was added twice", id)
	}
	// The skeleton's account with the IAM the finished document will hold,
	// its policies given the fixture defaults Add would give them.
	cp := *a
	if iam != nil {
		in := *iam
		in.Policies = append([]inventory.IAMManagedPolicy(nil), iam.Policies...)
		d := &inventory.Document{Scan: o.ix.Doc.Scan, Accounts: []inventory.Account{{ID: id, IAM: &in}}}
		inventory.ApplyDefaults(d)
		cp.IAM = d.Accounts[0].IAM
	}
	if !iamErr.IsZero() {
		errs := make(inventory.Errors, len(a.Errors)+1)
		maps.Copy(errs, a.Errors)
		errs[fieldIAM] = iamErr
		cp.Errors = errs
	}
	o.iam = true // the scan collects IAM
	o.ix.accounts[id] = &cp
	o.ix.forgetAccount(id)
	return o.iamArrived(id, cp.IAM)
}

// forgetAccount drops what the index derived from account id's data (its
// IAM principals, the assume-role graph) once that data changed.
func (ix *Index) forgetAccount(id string) {
	ix.assume = &assumeCache{}
	ix.iam.mu.Lock()
	delete(ix.iam.byID, id)
	ix.iam.mu.Unlock()
}

// iamArrived records that account id's IAM is in.
func (o *Overlap) iamArrived(id string, iam *inventory.IAM) error {
	o.iamIn[id] = true
	if iam != nil {
		text, err := json.Marshal(iam)
		if err != nil {
			return fmt.Errorf("analyze: IAM of account %s cannot be read back: %w", id, err)
		}
		o.iamRefs.add(string(text))
	}
	return nil
}

// Streamed returns how many accounts were streamed.
func (o *Overlap) Streamed() int { return o.next }

// Deferred says why the accounts from the next one on wait for Finish (""
// while they do not).
func (o *Overlap) Deferred() string { return o.stopped }

// Stream streams the accounts that can be analysed now, in order, while
// more (nil: always) says so before each: it stops at the first account
// not collected yet, or whose references are not (see Overlap). An error
// of sink stops the overlap and is returned (and again by Finish).
func (o *Overlap) Stream(ctx context.Context, more func() bool) error {
	for o.err == nil && o.stopped == "" && o.next < len(o.order) && (more == nil || more()) {
		a := o.collected[o.order[o.next]]
		if a == nil {
			return nil
		}
		why, final := o.selfContained(a)
		if why != "" {
			if final {
				o.stopped = "account " + a.ID + ": " + why
			}
			return nil
		}
		if err := o.account(ctx, a); err != nil {
			o.err = err
		}
	}
	return o.err
}

func (o *Overlap) account(ctx context.Context, a *inventory.Account) error {
	// One worker while the scan goes on, which needs the CPU as much (the
	// SDK's work per call); Finish uses opts.Workers.
	const workers = 1
	var remaining atomic.Int32
	remaining.Store(int32(len(a.Buckets)))
	analyse := func() func(i int) *model.Bucket {
		// One worker for every account: what it keeps of the member
		// accounts (their principals' group keys, the org rows' plans) is
		// made once, not once per account (O(accounts) each). What it
		// keeps of an account's buckets it drops on the next account's
		// (startAccount).
		if o.w == nil {
			o.w = o.m.newWorker()
		}
		w := o.w
		return func(i int) *model.Bucket {
			w.startAccount(a.ID)
			b := new(model.Bucket)
			w.bucketReport(b, a, &a.Buckets[i])
			if remaining.Add(-1) == 0 {
				o.m.shared.dropAccount(a.ID)
			}
			return b
		}
	}
	var sinkErr error
	emit := func(b **model.Bucket) error {
		muteFindings(o.opts.Mutes, (*b).Findings)
		o.t.bucket(*b)
		sinkErr = o.sink(*b)
		return sinkErr
	}
	if err := inOrder(ctx, len(a.Buckets), workers, reorderWindow*workers, nil, analyse, emit); err != nil {
		if sinkErr == nil {
			err = fmt.Errorf("analyze: %w", err)
		}
		return err
	}
	o.next++
	return nil
}

// Finish streams the buckets of the accounts not streamed yet from doc, the
// finished document (its accounts those of the skeleton), and returns the
// report, as Stream does.
func (o *Overlap) Finish(ctx context.Context, doc *inventory.Document) (*model.Report, error) {
	if o.err != nil {
		return nil, o.err
	}
	if doc == nil {
		return nil, errors.New("analyze: no inventory document")
	}
	done := make(map[string]bool, o.next)
	for _, id := range o.order[:o.next] {
		done[id] = true
	}
	// The rest is analysed with an index of the finished document: the
	// overlap's is no longer needed.
	o.ix, o.m, o.w, o.collected = nil, nil, nil, nil
	return streamRest(ctx, doc, o.opts, o.sink, done, o.t, nil)
}

// accountNamesBucket reports whether a KMS key or VPC endpoint policy of a
// names specific S3 buckets (see policiesNameBucket).
func accountNamesBucket(a *inventory.Account) bool {
	for _, k := range a.KMSKeys {
		if k.Policy != nil && !nameIndependent(string(k.Policy.Raw())) {
			return true
		}
	}
	for _, e := range a.VPCEndpoints {
		if e.Policy != nil && !nameIndependent(string(e.Policy.Raw())) {
			return true
		}
	}
	return false
}

var (
	vpceRef = regexp.MustCompile(`(?i)vpce-[0-9a-z*?]*`)
	vpcRef  = regexp.MustCompile(`(?i)\bvpc-[0-9a-z*?]*`)
)

// refs are what policy texts name that only another account could resolve.
type refs struct {
	canonical  bool
	vpce, vpcs []string
}

func (r *refs) add(text string) {
	if strings.Contains(text, "CanonicalUser") {
		r.canonical = true
	}
	r.vpce = append(r.vpce, vpceRef.FindAllString(text, -1)...)
	r.vpcs = append(r.vpcs, vpcRef.FindAllString(text, -1)...)
}

// selfContained returns why the analysis of a's buckets cannot be made
// yet ("" when it can): what its ACLs and policies name that only another
// account's data resolves — canonical users, VPC endpoints and VPCs — and
// that is not collected yet while some account is not (final false), or a
// KMS key of another account (final true: read at the end of the scan).
func (o *Overlap) selfContained(a *inventory.Account) (why string, final bool) {
	r := o.orgRefs
	r.vpce = append([]string(nil), r.vpce...)
	r.vpcs = append([]string(nil), r.vpcs...)
	var canonical []string
	for i := range a.Buckets {
		b := &a.Buckets[i]
		if e := b.Encryption; e != nil && strings.HasPrefix(e.KMSKeyID, "arn:") && arnAccount(e.KMSKeyID) != a.ID {
			return "bucket " + b.Name + " uses a KMS key of another account", true
		}
		if b.Policy != nil {
			r.add(string(b.Policy.Raw()))
		}
		if acl := b.ACL; acl != nil {
			for _, g := range acl.Grants {
				if g.Grantee.Type == inventory.GranteeCanonicalUser && g.Grantee.ID != acl.OwnerID {
					canonical = append(canonical, g.Grantee.ID)
				}
			}
		}
	}
	if o.all {
		return "", false // every account is collected: what none has, no account has
	}
	if o.iam {
		if len(o.iamIn) < len(o.order) {
			return "its cells list the IAM principals of every member account that can, and its findings who can assume its roles: waiting for the IAM of every account", false
		}
		// Every account's IAM is in: what their policies name counts.
		r.canonical = r.canonical || o.iamRefs.canonical
		r.vpce = append(r.vpce, o.iamRefs.vpce...)
		r.vpcs = append(r.vpcs, o.iamRefs.vpcs...)
	}
	for _, k := range a.KMSKeys {
		if k.Policy != nil {
			r.add(string(k.Policy.Raw()))
		}
	}
	for _, e := range a.VPCEndpoints {
		if e.Policy != nil {
			r.add(string(e.Policy.Raw()))
		}
	}
	if !o.iam && a.IAM != nil {
		text, err := json.Marshal(a.IAM)
		if err != nil {
			return "its IAM cannot be read back", true
		}
		r.add(string(text))
	}
	if r.canonical {
		return "a policy names a canonical user", false
	}
	for _, id := range canonical {
		if _, ok := o.ix.canonical[id]; !ok {
			return "an ACL grants canonical user " + id + " of no account collected yet", false
		}
	}
	for _, id := range r.vpce {
		if _, ok := o.ix.endpoints[id]; !ok {
			return "a policy names VPC endpoint " + id + " of no account collected yet", false
		}
	}
	for _, id := range r.vpcs {
		if !o.vpcs[strings.ToLower(id)] {
			return "a policy names VPC " + id + " of no account collected yet", false
		}
	}
	return "", false
}
