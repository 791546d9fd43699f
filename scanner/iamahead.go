package scanner

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/org"
)

// iamAhead reads the IAM of every account ahead of its buckets, for an
// analysis that overlaps a scan collecting IAM: a bucket's cells list the
// IAM principals of every member account (and its findings who can assume
// its roles), so no account can be analysed before the IAM of all is in.
// Read with the buckets, the last account's IAM would come at the end of
// the scan; read ahead (a few calls per account, at the pace of the
// walk), it is in long before the buckets are, and accounts are analysed
// as they are collected. The document is the same either way.
type iamAhead struct {
	queue *memberQueue
	mu    sync.Mutex
	res   map[string]*iamResult
}

// iamResult is one account's IAM read ahead.
type iamResult struct {
	done chan struct{}
	// iam and err are nil both when the audit role could not be assumed
	// (the account's own reads record why), as when IAM is read with the
	// buckets.
	iam *inventory.IAM
	err error
}

func newIAMAhead() *iamAhead {
	return &iamAhead{queue: newMemberQueue(), res: map[string]*iamResult{}}
}

// result returns account id's result (pending until done is closed).
func (h *iamAhead) result(id string) *iamResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.res[id]
	if r == nil {
		r = &iamResult{done: make(chan struct{})}
		h.res[id] = r
	}
	return r
}

// readIAMAhead reads the IAM of the accounts pushed to h's queue, workers
// at a time, smallest account ID first (the order the buckets are read
// in), handing each result to handed (called from several goroutines)
// until the queue is closed and empty.
func (s *scan) readIAMAhead(ctx context.Context, h *iamAhead, workers int, handed func(id string, r *iamResult)) {
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, ok := h.queue.pop()
				if !ok {
					return
				}
				r := h.result(m.ID)
				cfg, err := s.assume(ctx, m)
				if err == nil {
					r.iam, r.err = CollectIAM(ctx, s.sess.IAM(cfg))
					if r.err != nil {
						s.log.Warn().Err(r.err).Str("account_id", m.ID).Msg("cannot read IAM")
					}
				}
				// Handed over before the account's own reads can end
				// (they wait for done): IAM comes before Account.
				handed(m.ID, r)
				close(r.done)
			}
		}()
	}
	wg.Wait()
}

// assumed is one account's audit-role session, assumed once for both the
// IAM read ahead and the account's own reads.
type assumed struct {
	once sync.Once
	err  error
}

// assume returns the configuration of account m with the audit role
// assumed; the role is assumed once per account (a failure is not tried
// again by the other reader of the account).
func (s *scan) assume(ctx context.Context, m org.Member) (aws.Config, error) {
	cfg := s.sess.Account(m.Partition(), m.ID)
	s.mu.Lock()
	if s.assumed == nil {
		s.assumed = map[string]*assumed{}
	}
	a := s.assumed[m.ID]
	if a == nil {
		a = &assumed{}
		s.assumed[m.ID] = a
	}
	s.mu.Unlock()
	a.once.Do(func() { _, a.err = cfg.Credentials.Retrieve(ctx) })
	return cfg, a.err
}
