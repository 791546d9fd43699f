package access

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/bucketaudit/bucketaudit/policy"
)

// maxNamed is how many statements a reason names; the others are
// counted ("and 2 more").
const maxNamed = 4

// stmtName is what a reason says of one statement: its policy and its Sid,
// or its index when it has none.
type stmtName struct {
	policy, sid string
	index       int
}

// stmtNames are the statements a reason names (describeRefs): the first
// maxNamed in reason order, and how many more.
type stmtNames struct {
	n, more int
	refs    [maxNamed]stmtName
}

// namesOf picks the statements describeRefs names: resource policies
// first, then identity policies, then guardrails (but, with noGuards,
// none of these), each once, of the effect given ("" for any).
func namesOf(refs []policy.StatementRef, effect string, noGuards bool) stmtNames {
	var sn stmtNames
	for rank := 0; rank < 3; rank++ {
		if noGuards && rank == 2 {
			break
		}
		for i, r := range refs {
			if statementRank(r.Layer) != rank || (effect != "" && !strings.EqualFold(r.Effect, effect)) || seenBefore(refs[:i], r, effect, noGuards) {
				continue
			}
			if sn.n == maxNamed {
				sn.more++
				continue
			}
			sn.refs[sn.n] = stmtName{r.Policy, r.Sid, r.Index}
			sn.n++
		}
	}
	return sn
}

// size is the length of the names as written.
func (sn *stmtNames) size() int {
	size := 0
	for i := range sn.refs[:sn.n] {
		r := &sn.refs[i]
		if i > 0 {
			size += len(", ")
		}
		size += len(r.policy) + len(" statement ") + refLen(r.sid, r.index)
	}
	if sn.more > 0 {
		size += len(" and ") + len(strconv.Itoa(sn.more)) + len(" more")
	}
	return size
}

// write writes the names: `bucket policy statement "PublicRead", SCP p-1
// (DenyDelete) statement #0 and 2 more`.
func (sn *stmtNames) write(b *strings.Builder) {
	for i := range sn.refs[:sn.n] {
		r := &sn.refs[i]
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.policy)
		b.WriteString(" statement ")
		if r.sid != "" {
			if plainQuoted(r.sid) {
				b.WriteByte('"')
				b.WriteString(r.sid)
				b.WriteByte('"')
			} else {
				b.WriteString(strconv.Quote(r.sid))
			}
		} else {
			b.WriteByte('#')
			b.WriteString(strconv.Itoa(r.index))
		}
	}
	if sn.more > 0 {
		b.WriteString(" and ")
		b.WriteString(strconv.Itoa(sn.more))
		b.WriteString(" more")
	}
}

// String returns the names as written (one allocation), "" for none.
func (sn *stmtNames) String() string {
	if sn.n == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(sn.size())
	sn.write(&b)
	return b.String()
}

// reasonKey is what the reason of an allow or a deny is made of
// (fromResult): the request, the decision, its layers in the engine's
// order (an implicit deny's, which it names one by one: 4 bits a layer)
// and the statements it names.
type reasonKey struct {
	action, who string
	decision    policy.Decision
	kind        resourceKind
	layers      uint64
	names       stmtNames
}

// maxSeqLayers is how many layers reasonKey.layers holds.
const maxSeqLayers = 16

// layerSeq encodes the layers of a decision in order (reasonKey.layers);
// ok is false when they are too many.
func layerSeq(ls []policy.Layer) (seq uint64, ok bool) {
	if len(ls) > maxSeqLayers {
		return 0, false
	}
	for i, l := range ls {
		if l >= 15 {
			return 0, false
		}
		seq |= uint64(l+1) << (4 * i)
	}
	return seq, true
}

// keyOf returns the key of the reason fromResult gives an allow, an
// explicit or an implicit deny (known false for the other decisions);
// cached is false for an implicit deny of more than maxSeqLayers layers.
func keyOf(r *policy.Result, kind resourceKind, action, who string) (k reasonKey, known, cached bool) {
	k = reasonKey{action: action, who: who, decision: r.Decision, kind: kind}
	switch r.Decision {
	case policy.Allow:
		k.names = namesOf(r.Statements, "Allow", dropsGuards(r.Statements))
	case policy.ExplicitDeny:
		k.names = namesOf(r.Statements, "Deny", false)
	case policy.ImplicitDeny:
		k.names = namesOf(r.Statements, "", false)
		var ok bool
		if k.layers, ok = layerSeq(r.DecidedBy); !ok {
			return k, true, false
		}
	default:
		return k, false, false
	}
	return k, true, true
}

// text makes the reason of k (one allocation): of an allow, "s3:GetObject
// allowed for anonymous callers by the bucket policy statement
// \"PublicRead\""; of an explicit deny, "... explicitly denied for ... by
// ..."; of an implicit deny, "... implicitly denied for ...: " and what
// implicitDenyParts says, joined by "; ".
func (k *reasonKey) text(decidedBy []policy.Layer) string {
	var pbuf [8]string
	var mid string
	var parts []string
	names := k.names.size()
	switch k.decision {
	case policy.Allow:
		mid = " allowed for "
		if names > 0 {
			names += len(" by ")
		}
	case policy.ExplicitDeny:
		mid = " explicitly denied for "
		names += len(" by ")
	default:
		mid = " implicitly denied for "
		parts = implicitDenyParts(decidedBy, k.kind, pbuf[:0])
		names += len(": ")
		switch {
		case k.names.n > 0:
			names += len("see ")
			if len(parts) > 0 {
				names += len("; ")
			}
		case len(parts) == 0:
			parts = append(parts, "nothing allows it")
		}
		for i, p := range parts {
			if i > 0 {
				names += len("; ")
			}
			names += len(p)
		}
	}
	var b strings.Builder
	b.Grow(len(k.action) + len(mid) + len(k.who) + names)
	b.WriteString(k.action)
	b.WriteString(mid)
	b.WriteString(k.who)
	switch k.decision {
	case policy.Allow:
		if k.names.n > 0 {
			b.WriteString(" by ")
			k.names.write(&b)
		}
	case policy.ExplicitDeny:
		b.WriteString(" by ")
		k.names.write(&b)
	default:
		b.WriteString(": ")
		for i, p := range parts {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(p)
		}
		if k.names.n > 0 {
			if len(parts) > 0 {
				b.WriteString("; ")
			}
			b.WriteString("see ")
			k.names.write(&b)
		}
	}
	return b.String()
}

// implicitDenyParts says, layer by layer, which failed to allow, appended
// to parts (each resource-side reason once).
func implicitDenyParts(decidedBy []policy.Layer, kind resourceKind, parts []string) []string {
	for _, l := range decidedBy {
		switch l {
		case policy.LayerResource:
			if kind == resourceKey {
				parts = addConds(parts, "the KMS key policy does not allow it")
			} else {
				parts = addConds(parts, "no statement of the bucket policy or ACL grants it")
			}
		case policy.LayerGrant:
			if kind == resourceKey {
				parts = addConds(parts, "no KMS grant allows it")
			} else {
				parts = addConds(parts, "no statement of the bucket policy or ACL grants it")
			}
		case policy.LayerSCP:
			parts = append(parts, "an SCP level has no statement allowing it")
		case policy.LayerRCP:
			parts = append(parts, "an RCP level has no statement allowing it")
		case policy.LayerVPCE:
			parts = append(parts, "the VPC endpoint policy does not allow it")
		case policy.LayerBPA:
			parts = append(parts, "Block Public Access (RestrictPublicBuckets) voids the public bucket policy's grants for other accounts")
		default:
			parts = append(parts, "no identity policy allows it")
		}
	}
	return parts
}

// maxReasons bounds reasonCache: the reasons that recur are those of the
// callers and actions of an account's buckets, and of the org's callers.
const maxReasons = 1 << 12

// reasonCache interns the reasons fromResult makes: the same few recur
// for every bucket a caller is denied or allowed alike ("s3:PutObject
// implicitly denied for anonymous callers: no statement of the bucket
// policy or ACL grants it"), and the key is made without allocating.
type reasonCache struct {
	on bool // a worker's: caches (one bucket's would not gain)
	m  map[reasonKey]string
	// joined are the reasons made of others (concat), by their parts.
	joined map[[maxJoined]string]string
	// check (Options.checkMemos) compares every hit with the reason made
	// afresh, counting those that differ in faults.
	check  bool
	faults *atomic.Int64
}

// reason returns the reason of an allow, explicit or implicit deny (ok
// false for another decision): k's text, made once.
func (rc *reasonCache) reason(r *policy.Result, kind resourceKind, action, who string) (string, bool) {
	k, known, cached := keyOf(r, kind, action, who)
	switch {
	case !known:
		return "", false
	case !cached || rc == nil || !rc.on:
		return k.text(r.DecidedBy), true
	}
	if s, ok := rc.m[k]; ok {
		if rc.check && rc.faults != nil && s != k.text(r.DecidedBy) {
			rc.faults.Add(1)
		}
		return s, true
	}
	s := k.text(r.DecidedBy)
	if rc.m == nil || len(rc.m) >= maxReasons {
		rc.m = make(map[reasonKey]string, 64)
	}
	rc.m[k] = s
	return s, true
}

// maxJoined is how many parts concat interns a string of.
const maxJoined = 8

// concat returns the concatenation of parts, interned as reasons are (of
// at most maxJoined parts): a reason made of others, such as the KMS
// call's within the S3 request's, recurs as they do.
func (rc *refCache) concat(parts ...string) string {
	if rc == nil || !rc.reasons.on || len(parts) > maxJoined {
		return strings.Join(parts, "")
	}
	var k [maxJoined]string
	copy(k[:], parts)
	r := &rc.reasons
	if s, ok := r.joined[k]; ok {
		if r.check && r.faults != nil && s != strings.Join(parts, "") {
			r.faults.Add(1)
		}
		return s
	}
	s := strings.Join(parts, "")
	if r.joined == nil || len(r.joined) >= maxReasons {
		r.joined = make(map[[maxJoined]string]string, 64)
	}
	r.joined[k] = s
	return s
}
