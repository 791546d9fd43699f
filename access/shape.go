package access

import (
	"strconv"
	"strings"
	"sync"

	"github.com/bucketaudit/bucketaudit/policy"
)

// Buckets of one account that are configured alike — the same bucket
// policy up to the bucket's own name, the same Block Public Access, ACL,
// encryption and region — have the same access matrix: evaluation is
// invariant under renaming the bucket consistently in its policy and in the
// request. The matrix of such a "shape" is computed once and reused, with
// the bucket's ARN in reasons and conditions replaced.

// maxShapes bounds the cache of computed shapes (and of lint results).
const maxShapes = 4096

// maxCrossShapes bounds the shapes across accounts (crossKey), which are
// kept for the whole analysis: the first ones of an organisation are
// those its accounts repeat (a landing zone's buckets), and each holds a
// bucket's rows. In StreamSynthetic100k (100 accounts of 1,000 buckets)
// 4096 of them took 35-70 MB more of peak RSS; 1024 stay within the
// spread of its runs, and serve AnalyzeOrgShape's 2000x5 as 4096 do.
const maxCrossShapes = 1024

// sharedCache is what the workers of one analysis compute once for all.
// Shapes are per account (a shape key starts with the account), and an
// account's are dropped when its last bucket is done (dropAccount): the
// buckets are analysed account after account, so the cache holds the
// shapes of the few accounts in progress, not of every bucket analysed.
type sharedCache struct {
	mu       sync.RWMutex
	accounts map[string]*accountShapes
	nshapes  int
	// cross are the shapes across accounts (crossKey), at most
	// maxCrossShapes.
	cross map[string]*bucketMatrix
	lints map[string][]policy.Warning // by name length and normalised policy
	// kept are the callers that serve every account's buckets alike
	// (ownerFree), at most maxKeptCallers.
	kept map[string]*Caller
	// plans are the org rows' plans (orgplan.go), by template, at most
	// maxPlans: each is made by the first worker that needs it while the
	// others wait for it (a plan visits every member account).
	plans map[string]*planEntry

	// whoMu guards what the workers' principal lists share (whocan.go,
	// orgplan.go): the member accounts' whoAccount (of whoN principals in
	// all, at most ix.internBound()), the accounts buckets concern
	// (orgSpecials, per assume-role graph) and the IDs of rows'
	// principal-naming values (valsID; the statics' group keys are kept
	// by them, so every worker must give the same values the same ID).
	whoMu    sync.RWMutex
	who      map[string]*whoAccount
	whoN     int
	specials *specialsEntry
	valsIDs  map[string]int
	valsBase int
}

// specialsEntry is the orgSpecials of one assume-role graph, made once.
type specialsEntry struct {
	graph *AssumeGraph
	once  sync.Once
	s     *orgSpecials
}

// whoAccount returns the whoAccount kept of account id (nil when none).
func (c *sharedCache) whoAccount(id string) *whoAccount {
	c.whoMu.RLock()
	defer c.whoMu.RUnlock()
	return c.who[id]
}

// storeWhoAccount keeps wa for account id, unless a worker kept one first
// (then that one is returned); bound is how many principals' may be kept.
func (c *sharedCache) storeWhoAccount(id string, wa *whoAccount, bound int) *whoAccount {
	c.whoMu.Lock()
	defer c.whoMu.Unlock()
	if have := c.who[id]; have != nil {
		return have
	}
	if c.who == nil || (c.whoN >= maxInterned && c.whoN >= bound) {
		c.who, c.whoN = map[string]*whoAccount{}, 0
	}
	c.who[id] = wa
	c.whoN += len(wa.ps)
	return wa
}

// orgSpecials returns the orgSpecials of assume-role graph g, made by mk
// (once, for all the workers).
func (c *sharedCache) orgSpecials(g *AssumeGraph, mk func() *orgSpecials) *orgSpecials {
	c.whoMu.RLock()
	e := c.specials
	c.whoMu.RUnlock()
	if e == nil || e.graph != g {
		c.whoMu.Lock()
		if e = c.specials; e == nil || e.graph != g {
			e = &specialsEntry{graph: g}
			c.specials = e
		}
		c.whoMu.Unlock()
	}
	e.once.Do(func() { e.s = mk() })
	return e.s
}

// valsID returns the ID of a row's principal-naming values, the same for
// every worker.
func (c *sharedCache) valsID(vals []string) int {
	k := strings.Join(vals, "\x00")
	c.whoMu.RLock()
	id, ok := c.valsIDs[k]
	c.whoMu.RUnlock()
	if ok {
		return id
	}
	c.whoMu.Lock()
	defer c.whoMu.Unlock()
	if id, ok := c.valsIDs[k]; ok {
		return id
	}
	if c.valsIDs == nil {
		c.valsIDs = map[string]int{}
	}
	if len(c.valsIDs) >= maxInterned {
		// IDs start afresh, above every ID given (principalStatic.sig).
		c.valsBase += len(c.valsIDs)
		clear(c.valsIDs)
	}
	id = c.valsBase + len(c.valsIDs)
	c.valsIDs[k] = id
	return id
}

// planEntry is a plan of one template and assume-role graph, made once.
type planEntry struct {
	graph *AssumeGraph
	once  sync.Once
	pl    *orgPlan
}

// plan returns the plan of template key for graph g, made by mk (once,
// for all the workers).
func (c *sharedCache) plan(key string, g *AssumeGraph, mk func() *orgPlan) *orgPlan {
	c.mu.RLock()
	e := c.plans[key]
	c.mu.RUnlock()
	if e == nil || e.graph != g {
		c.mu.Lock()
		if e = c.plans[key]; e == nil || e.graph != g {
			if c.plans == nil || len(c.plans) >= maxPlans {
				c.plans = map[string]*planEntry{}
			}
			e = &planEntry{graph: g}
			c.plans[key] = e
		}
		c.mu.Unlock()
	}
	e.once.Do(func() { e.pl = mk() })
	return e.pl
}

// accountShapes is what the buckets of one account share.
type accountShapes struct {
	shapes  map[string]*bucketMatrix // by shape key: the first bucket's matrix (worker.matrix)
	callers map[string]*Caller       // the callers that name the account (worker.caller)
}

// caller returns the caller the workers keep for key (free: ownerFree, of
// every account; otherwise account's), building it with mk (outside the
// lock) when none has.
func (c *sharedCache) caller(account, key string, free bool, mk func() *Caller) *Caller {
	c.mu.RLock()
	var have *Caller
	if free {
		have = c.kept[key]
	} else if a := c.accounts[account]; a != nil {
		have = a.callers[key]
	}
	c.mu.RUnlock()
	if have != nil {
		return have
	}
	made := mk()
	c.mu.Lock()
	defer c.mu.Unlock()
	if free {
		if have = c.kept[key]; have != nil {
			return have
		}
		if c.kept == nil || len(c.kept) >= maxKeptCallers {
			c.kept = map[string]*Caller{}
		}
		c.kept[key] = made
		return made
	}
	a := c.of(account)
	if have = a.callers[key]; have != nil {
		return have
	}
	a.callers[key] = made
	return made
}

func (c *sharedCache) shape(account, key string) *bucketMatrix {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if a := c.accounts[account]; a != nil {
		return a.shapes[key]
	}
	return nil
}

// of returns account's entry (c.mu held for writing).
func (c *sharedCache) of(account string) *accountShapes {
	if c.accounts == nil {
		c.accounts = map[string]*accountShapes{}
	}
	a := c.accounts[account]
	if a == nil {
		a = &accountShapes{shapes: map[string]*bucketMatrix{}, callers: map[string]*Caller{}}
		c.accounts[account] = a
	}
	return a
}

// crossShape returns the shape across accounts of key (crossKey; nil for
// "" or none).
func (c *sharedCache) crossShape(key string) *bucketMatrix {
	if key == "" {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cross[key]
}

// storeCrossShape keeps bm as the shape across accounts of key, unless one
// is kept already or maxShapes are.
func (c *sharedCache) storeCrossShape(key string, bm *bucketMatrix) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cross == nil {
		c.cross = map[string]*bucketMatrix{}
	}
	if len(c.cross) < maxCrossShapes && c.cross[key] == nil {
		c.cross[key] = bm
	}
}

func (c *sharedCache) storeShape(account, key string, bm *bucketMatrix) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nshapes >= maxShapes {
		return
	}
	if a := c.of(account); a.shapes[key] == nil {
		a.shapes[key] = bm
		c.nshapes++
	}
}

// dropAccount forgets the shapes of an account whose buckets are all done.
func (c *sharedCache) dropAccount(account string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.accounts[account]; a != nil {
		c.nshapes -= len(a.shapes)
		delete(c.accounts, account)
	}
}

func (c *sharedCache) lint(key string) ([]policy.Warning, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ws, ok := c.lints[key]
	return ws, ok
}

func (c *sharedCache) storeLint(key string, ws []policy.Warning) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lints == nil {
		c.lints = map[string][]policy.Warning{}
	}
	if len(c.lints) < maxShapes {
		c.lints[key] = ws
	}
}

// s3ARNMark follows the partition in every S3 bucket and object ARN
// (arn:PARTITION:s3:::NAME); bucketToken stands for the bucket's own ARN
// in a normalised policy or reason.
const (
	s3ARNMark   = ":s3:::"
	bucketToken = "arn:aws:s3:::\x00"
)

// nameIndependent reports whether every S3 ARN in text is the bucket's own
// (already replaced by bucketToken) or matches every bucket alike ("*",
// "*/*"): then evaluating text does not depend on the bucket's name.
func nameIndependent(text string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], s3ARNMark)
		if j < 0 {
			return true
		}
		rest := text[i+j+len(s3ARNMark):]
		end := strings.IndexAny(rest, "\"\\")
		if end < 0 {
			end = len(rest)
		}
		switch seg := rest[:end]; {
		case strings.HasPrefix(seg, "\x00"), seg == "*", seg == "*/*":
		default:
			return false
		}
		i += j + len(s3ARNMark)
	}
}

// shapeKey returns the key of the bucket's shape, or "" when its matrix
// must be computed on its own.
func (m *matrixer) shapeKey(bl *BucketLayers) string {
	if m.nameMatters {
		return ""
	}
	var b strings.Builder // per account (sharedCache)
	// One allocation: the key's other parts are short.
	n := len(bl.Bucket.Region) + 96 + 48*len(bl.Grants)
	if bl.HasPolicy != TriFalse {
		if bl.Policy.IsUnreadable() {
			n += len(bl.Policy.Name)
		} else {
			n += len(bl.Bucket.Policy.Raw()) + 16
		}
	}
	if bl.EncRead {
		n += len(bl.Key.ARN) + len(bl.Key.Configured)
	}
	b.Grow(n)
	b.WriteString(bl.Bucket.Region)
	b.WriteByte('|')
	switch {
	case bl.HasPolicy == TriFalse:
		b.WriteString("-")
	case bl.Policy.IsUnreadable():
		b.WriteString("?")
		b.WriteString(bl.Policy.Name)
	default:
		// The policy with the bucket's ARN replaced by bucketToken.
		start := b.Len()
		for text := string(bl.Bucket.Policy.Raw()); ; {
			i := strings.Index(text, bl.ARN)
			if i < 0 || bl.ARN == "" {
				b.WriteString(text)
				break
			}
			b.WriteString(text[:i])
			b.WriteString(bucketToken)
			text = text[i+len(bl.ARN):]
		}
		if !nameIndependent(b.String()[start:]) {
			return ""
		}
	}
	for _, t := range []Tri{bl.BPA.BlockPublicACLs, bl.BPA.IgnorePublicACLs, bl.BPA.BlockPublicPolicy, bl.BPA.RestrictPublicBuckets, bl.ACLs} {
		b.WriteByte('|')
		b.WriteString(t.String())
	}
	b.WriteByte('|')
	b.WriteString(strconv.FormatBool(bl.ACLRead))
	for _, g := range bl.Grants {
		b.WriteByte('|')
		b.WriteString(g.Label)
		b.WriteByte(' ')
		b.WriteString(g.Account) // labels shorten canonical IDs
	}
	b.WriteByte('|')
	if bl.EncRead {
		b.WriteString(bl.Encryption.Algorithm)
		b.WriteByte('|')
		b.WriteString(bl.Key.ARN)
		b.WriteByte('|')
		b.WriteString(bl.Key.Configured)
	} else {
		b.WriteString("?")
	}
	return b.String()
}

// policiesNameBucket reports whether any policy besides bucket policies
// (SCPs, RCPs, key policies, VPC endpoint policies) names specific S3
// buckets: then every bucket is analysed on its own.
func policiesNameBucket(ix *Index) bool {
	check := func(raw []byte) bool { return !nameIndependent(string(raw)) }
	if org := ix.Doc.Organization; org != nil {
		for _, p := range org.Policies {
			if p.Document != nil && check(p.Document.Raw()) {
				return true
			}
		}
	}
	for _, a := range ix.Doc.Accounts {
		for _, k := range a.KMSKeys {
			if k.Policy != nil && check(k.Policy.Raw()) {
				return true
			}
		}
		for _, e := range a.VPCEndpoints {
			if e.Policy != nil && check(e.Policy.Raw()) {
				return true
			}
		}
	}
	return false
}

// rename returns a copy of the matrix with r applied to every reason and
// condition.
func (bm *bucketMatrix) rename(r renamer) *bucketMatrix {
	out := *bm
	renameRow := func(row *[5]outcome) {
		for i := range row {
			row[i] = row[i].rename(r)
		}
	}
	renameRow((*[5]outcome)(&out.public))
	renameRow((*[5]outcome)(&out.anyAWS))
	renameRow((*[5]outcome)(&out.same))
	out.external = nil // as bm's when it names none
	if bm.external != nil {
		out.external = make(map[string]row, len(bm.external))
	}
	for id, rw := range bm.external {
		renameRow((*[5]outcome)(&rw))
		out.external[id] = rw
	}
	// The org cells' blocked parts renamed, one list for the five.
	n := 0
	for i := range out.org {
		n += len(out.org[i].blocked)
	}
	var room []orgPart
	if n > 0 {
		room = make([]orgPart, 0, n)
	}
	for i := range out.org {
		oc := out.org[i]
		oc.out = oc.out.rename(r)
		if len(oc.blocked) > 0 {
			start := len(room)
			for _, p := range oc.blocked {
				p.out = p.out.rename(r)
				room = append(room, p)
			}
			oc.blocked = room[start:len(room):len(room)]
		}
		out.org[i] = oc
	}
	return &out
}

// renamer replaces one string by another (allocating only on a match),
// and, when acctFrom is set, account ID acctFrom by acctTo where it is an
// ID (replaceAccountID), outside from.
type renamer struct{ from, to, acctFrom, acctTo string }

// Replace returns s with every from replaced by to (and acctFrom by acctTo).
func (r renamer) Replace(s string) string {
	if r.acctFrom == "" {
		return strings.ReplaceAll(s, r.from, r.to)
	}
	if !r.touches(s) {
		return s
	}
	// from (the first bucket's ARN) may hold the account ID: it is renamed
	// as a whole.
	s = strings.ReplaceAll(s, r.from, bucketToken)
	s = replaceAccountID(s, r.acctFrom, r.acctTo)
	return strings.ReplaceAll(s, bucketToken, r.to)
}

// touches reports whether Replace may change s.
func (r renamer) touches(s string) bool {
	return strings.Contains(s, r.from) || (r.acctFrom != "" && strings.Contains(s, r.acctFrom))
}

func (o outcome) rename(r renamer) outcome {
	o.reason = r.Replace(o.reason)
	if by := o.orgBlockedBy; by != nil {
		if p, sid := r.Replace(by.Policy), r.Replace(by.Sid); p != by.Policy || sid != by.Sid {
			renamed := *by
			renamed.Policy, renamed.Sid = p, sid
			o.orgBlockedBy = &renamed
		}
	}
	o.alts = o.alts.rename(r)
	o.narrow = o.narrow.rename(r)
	return o
}

// rename returns d with r applied to its conditions (d itself when none
// holds r.from).
func (d dnf) rename(r renamer) dnf {
	if len(d) == 0 || !r.touches(d.String()) {
		return d
	}
	out := make(dnf, len(d))
	for i, conj := range d {
		out[i] = make([]cond, len(conj))
		for j, c := range conj {
			// The identity names the values as the text does.
			c.text, c.id = r.Replace(c.text), r.Replace(c.id)
			out[i][j] = c
		}
	}
	return out
}

// lint returns policy.Lint's warnings on the bucket policy, reusing those of
// a policy that differs only by the bucket's name (of the same length, so
// that positions agree).
func (w *worker) lint(bl *BucketLayers) []policy.Warning {
	norm := strings.ReplaceAll(string(bl.Bucket.Policy.Raw()), bl.ARN, bucketToken)
	key := strconv.Itoa(len(bl.Bucket.Name)) + "|" + norm
	ws, ok := w.shared.lint(key)
	if !ok {
		ws = policy.Lint(bl.Policy)
		stored := make([]policy.Warning, len(ws))
		for i, x := range ws {
			x.Message = strings.ReplaceAll(x.Message, bl.ARN, bucketToken)
			x.Statement = strings.ReplaceAll(x.Statement, bl.ARN, bucketToken)
			stored[i] = x
		}
		w.shared.storeLint(key, stored)
		return ws
	}
	out := make([]policy.Warning, len(ws))
	for i, x := range ws {
		x.Message = strings.ReplaceAll(x.Message, bucketToken, bl.ARN)
		x.Statement = strings.ReplaceAll(x.Statement, bucketToken, bl.ARN)
		out[i] = x
	}
	return out
}
