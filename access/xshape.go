package access

import (
	"strconv"
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
)

// Shapes across accounts.
//
// Buckets of two member accounts configured alike up to the accounts' own
// IDs — the same bucket policy once each account's ID in it is replaced by
// a token, the same Block Public Access, ACL and encryption (no KMS key:
// a key's policy is its account's), in the same region, and accounts in
// one OU governed by the same SCP and RCP chains, which name no account —
// have the same public, any-AWS, same-account and external rows up to the
// swap of the two accounts' IDs: the engine's decisions are invariant
// under renaming an account consistently in the policies, the callers and
// the request context (aws:ResourceAccount, aws:PrincipalAccount, ARNs).
// crossKey is the key of such a shape, and matrix reuses its rows,
// renamed from the first account's ID to the bucket's owner's. The org
// row is not reused: which member accounts it lists depends on which one
// owns the bucket (the owner is not among them); it is computed for every
// bucket, as are the owner's caller and the TLS check that reads it.

// crossKey returns the key of the bucket's shape across member accounts
// (key: its shapeKey, "" when none), or "" when its rows may depend on
// its account in a way a renaming of the account's ID does not capture.
func (w *worker) crossKey(bl *BucketLayers, key string) string {
	m := w.matrixer
	owner := bl.Account.ID
	if key == "" || m.ix.OrgID == "" || !awsid.IsAccountID(owner) {
		return ""
	}
	if _, member := m.groupOf[owner]; !member {
		return "" // the callers of other accounts then name the owner (any|)
	}
	if bl.EncRead && UsesKMS(bl.Encryption.Algorithm) {
		return "" // the key, its policy and grants are the account's
	}
	if bl.HasPolicy == TriTrue && bl.Policy != nil && containsFold(string(bl.Bucket.Policy.Raw()), "sourcevpc") {
		return "" // the endpoints' policies may name accounts
	}
	scp, rcp := m.ix.SCPs(owner), m.ix.RCPs(owner)
	if !w.chainNamesNoAccount(scp) || !w.chainNamesNoAccount(rcp) {
		return ""
	}
	tok := replaceAccountID(key, owner, accountToken)
	if strings.Contains(tok, owner) {
		return "" // the ID also occurs inside a longer number
	}
	var b strings.Builder
	b.Grow(len(tok) + 64 + len(scp.Key) + len(rcp.Key))
	b.WriteString(m.ix.OrgPath(owner))
	b.WriteByte('|')
	b.WriteString(scp.Key)
	b.WriteByte('|')
	b.WriteString(rcp.Key)
	b.WriteByte('|')
	b.WriteString(strconv.FormatBool(m.ix.iamCollected(owner)))
	b.WriteByte('|')
	b.WriteString(tok)
	return b.String()
}

// accountToken stands for the bucket's account ID in a crossKey.
const accountToken = "\x00acct\x00"

// chainNamesNoAccount reports whether a chain was read in full, none of
// its policies names an account ID (a 12-digit number) and none tests
// aws:SourceVpce or aws:SourceVpc: then it governs every account it is
// the chain of alike. (A condition on an endpoint brings in the
// endpoint's policy, which may name accounts: resolveEndpoints.)
func (w *worker) chainNamesNoAccount(c Chain) bool {
	if len(c.Incomplete) > 0 {
		return false
	}
	if ok, known := w.chainsNoAccount[c.Key]; known {
		return ok
	}
	ok := true
	for _, level := range c.Levels {
		for _, p := range level {
			if p.IsUnreadable() || hasAccountID(p.Name) {
				ok = false
				continue
			}
			text, err := p.MarshalJSON()
			if err != nil || hasAccountID(string(text)) || containsFold(string(text), "sourcevpc") {
				ok = false
			}
		}
	}
	if w.chainsNoAccount == nil {
		w.chainsNoAccount = map[string]bool{}
	}
	w.chainsNoAccount[c.Key] = ok
	return ok
}

// hasAccountID reports whether s holds a run of exactly 12 digits.
func hasAccountID(s string) bool {
	run := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		if run == 12 {
			return true
		}
		run = 0
	}
	return false
}

// replaceAccountID replaces every occurrence of account ID from in s that
// no digit adjoins (an ID, not part of a longer number) by to.
func replaceAccountID(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*(len(to)-len(from)))
	last := 0
	for i >= 0 {
		end := i + len(from)
		if (i == 0 || !isDigit(s[i-1])) && (end == len(s) || !isDigit(s[end])) {
			b.WriteString(s[last:i])
			b.WriteString(to)
			last = end
		}
		j := strings.Index(s[end:], from)
		if j < 0 {
			break
		}
		i = end + j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// containsFold reports whether s contains the lower-case ASCII sub,
// ignoring case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// refsName reports whether a deciding statement of the matrix's rows but
// the org row's names account id (in its policy's name or its Sid): a
// renaming of reasons and conditions would not rename it, so the rows
// are not shared across accounts.
func (bm *bucketMatrix) refsName(id string) bool {
	rows := []*row{&bm.public, &bm.anyAWS, &bm.same}
	for _, ext := range bm.extOrder {
		r := bm.external[ext]
		rows = append(rows, &r)
	}
	for _, r := range rows {
		for _, o := range r {
			for _, ref := range o.refs {
				if strings.Contains(ref.Policy, id) || strings.Contains(ref.Sid, id) {
					return true
				}
			}
		}
	}
	return false
}
