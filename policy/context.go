package policy

import (
	"slices"
	"strings"
)

// keyState is what is known of a context key.
type keyState uint8

const (
	keyAbsent        keyState = iota // not in the request
	keyPresent                       // present with values
	keyUnknown                       // present with any value, or absent
	keyUnknownExcept                 // unknown, but no value equals one of values (which may be absent)
	keyPrefixed                      // present with one value: values[0] followed by an unknown, non-empty string (SetPrefixed)
)

type ctxEntry struct {
	name   string // as the caller wrote it, for explanations
	state  keyState
	values []string
	// more are further values of an unknown-except key, in sorted lists
	// shared with other contexts (SetUnknownExceptShared).
	more [][]string
}

// Context is the request context: each key is present with values, absent,
// or unknown. Keys are case-insensitive.
//
// A closed-world context (NewContext) treats keys that were not set as
// absent; an open-world context (NewOpenContext) treats them as unknown.
// Either way, key prefixes declared with SetUnknownPrefix are unknown unless
// a key under them was set. A Context is not safe for concurrent
// modification; once filled it can be shared by concurrent evaluations.
type Context struct {
	open bool
	// The context's own keys, by lower-case key: in few (nfew of them)
	// while they are few, else all in keys. Most contexts (a principal's
	// IDs, a caller's request keys, an owner's) have a handful: they need
	// no map.
	few      [maxFewKeys]ownKey
	nfew     uint8
	keys     map[string]*ctxEntry
	prefixes []string // lower-case unknown prefixes
	absent   []string // lower-case absent prefixes
	// absentRoom is the first room of absent (a principal's tags'
	// "aws:principaltag/").
	absentRoom [1]string
	// room holds the entries of keys to set, made at once (Reserve).
	room []oneValueEntry
	// base holds keys set before this context's own (NewContextOn): its
	// keys count unless this context sets them too.
	base *Context
	// layers are more contexts whose own keys and prefixes (not their
	// bases') count after this context's and before base's
	// (NewContextLayered); in inline when they are few.
	layers []*Context
	inline [3]*Context
	// gen counts the changes to the context's own keys and prefixes: an
	// Evaluator's memo of lookups holds while the gens of the chain do
	// (chainGen).
	gen uint64
}

// oneValueEntry is an entry and room for its one value, made at once.
type oneValueEntry struct {
	e ctxEntry
	v [1]string
}

// Reserve makes room for n more keys set with at most one value (Set,
// SetAbsent, SetPrefixed), made at once: a context whose keys are known
// ahead (a principal's IDs) is made in two allocations, not one per key.
func (c *Context) Reserve(n int) *Context {
	if cap(c.room)-len(c.room) < n {
		c.room = make([]oneValueEntry, 0, n) // the entries made keep theirs
	}
	return c
}

// newEntry returns a new entry with room for one value, of the room
// reserved when there is some left.
func (c *Context) newEntry() *oneValueEntry {
	if n := len(c.room); n < cap(c.room) {
		c.room = c.room[:n+1]
		return &c.room[n]
	}
	return &oneValueEntry{}
}

// ownKey is one of a context's own keys, lower-case, and its entry.
type ownKey struct {
	lower string
	e     *ctxEntry
}

// maxFewKeys bounds the own keys a context holds without a map.
const maxFewKeys = 4

// NewContext returns an empty, closed-world context: keys not set are absent.
func NewContext() *Context { return &Context{} }

// NewOpenContext returns an empty, open-world context: keys not set are
// unknown (aws:PrincipalArn and aws:PrincipalAccount are still derived from
// Input.Principal when it is set).
func NewOpenContext() *Context { return &Context{open: true} }

// NewContextOn returns a context that starts as base (its keys and
// prefixes) and is open-world as base is: it holds only what is set on it,
// and base, which must no longer be modified, is shared. Many contexts
// that start alike hold their common keys once.
func NewContextOn(base *Context) *Context {
	return &Context{open: base.open, base: base}
}

// NewContextLayered returns a context that starts as the own keys and
// prefixes of every layer (not their bases'), the first layer's first,
// then as base, and is open-world as base is (closed-world when base is
// nil). The layers and base, which must no longer be modified, are
// shared: contexts made of parts that vary apart (a caller's keys, the
// service's) hold each part once instead of a copy per combination.
func NewContextLayered(base *Context, layers ...*Context) *Context {
	c := &Context{base: base}
	if base != nil {
		c.open = base.open
	}
	if len(layers) <= len(c.inline) {
		c.layers = c.inline[:copy(c.inline[:], layers)]
	} else {
		c.layers = append([]*Context(nil), layers...)
	}
	return c
}

// find returns the entry of a lower-case key: the first context of c's
// chain (each context's own keys, then its layers') that sets it.
func (c *Context) find(lower string) (*ctxEntry, bool) {
	for b := c; b != nil; b = b.base {
		if e := b.own(lower); e != nil {
			return e, true
		}
		for _, l := range b.layers {
			if e := l.own(lower); e != nil {
				return e, true
			}
		}
	}
	return nil, false
}

// own returns the entry of a lower-case key among c's own keys (nil when
// c does not set it).
func (c *Context) own(lower string) *ctxEntry {
	if c.keys != nil {
		return c.keys[lower]
	}
	for i := range c.nfew {
		if k := &c.few[i]; k.lower == lower {
			return k.e
		}
	}
	return nil
}

// setOwn makes e the entry of a lower-case key among c's own keys.
func (c *Context) setOwn(lower string, e *ctxEntry) {
	if c.keys == nil {
		for i := range c.nfew {
			if k := &c.few[i]; k.lower == lower {
				k.e = e
				return
			}
		}
		if int(c.nfew) < len(c.few) {
			c.few[c.nfew] = ownKey{lower, e}
			c.nfew++
			return
		}
		c.keys = make(map[string]*ctxEntry, 2*len(c.few))
		for _, k := range c.few[:c.nfew] {
			c.keys[k.lower] = k.e
		}
		c.few, c.nfew = [maxFewKeys]ownKey{}, 0
	}
	c.keys[lower] = e
}

// eachOwn calls f with each of c's own keys and its entry.
func (c *Context) eachOwn(f func(lower string, e *ctxEntry)) {
	for _, k := range c.few[:c.nfew] {
		f(k.lower, k.e)
	}
	for k, e := range c.keys {
		f(k, e)
	}
}

// hasPrefix reports whether a context of c's chain (or a layer of one)
// declares a prefix of lower among its absent prefixes (absent) or its
// unknown ones.
func (c *Context) hasPrefix(lower string, absent bool) bool {
	for b := c; b != nil; b = b.base {
		if b.ownPrefix(lower, absent) {
			return true
		}
		for _, l := range b.layers {
			if l.ownPrefix(lower, absent) {
				return true
			}
		}
	}
	return false
}

// ownPrefix is hasPrefix for c's own prefixes.
func (c *Context) ownPrefix(lower string, absent bool) bool {
	ps := c.prefixes
	if absent {
		ps = c.absent
	}
	for _, p := range ps {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return false
}

func (c *Context) put(key string, e *ctxEntry) *Context {
	e.name = key
	c.setOwn(lowerKey(key), e)
	c.gen++
	return c
}

// chainGen sums the gens of c's chain (every context whose keys or
// prefixes lookup reads): it grows whenever one of them changes.
func (c *Context) chainGen() uint64 {
	var g uint64
	for b := c; b != nil; b = b.base {
		g += b.gen
		for _, l := range b.layers {
			g += l.gen
		}
	}
	return g
}

// lowerKey returns strings.ToLower(key), without allocating for the keys
// (and prefixes) request contexts set most often.
func lowerKey(key string) string {
	switch key {
	case "aws:SecureTransport":
		return "aws:securetransport"
	case "aws:RequestedRegion":
		return "aws:requestedregion"
	case "aws:ViaAWSService":
		return "aws:viaawsservice"
	case "aws:PrincipalAccount":
		return "aws:principalaccount"
	case "aws:PrincipalOrgID":
		return "aws:principalorgid"
	case "aws:PrincipalOrgPaths":
		return "aws:principalorgpaths"
	case "aws:PrincipalType":
		return "aws:principaltype"
	case "aws:ResourceAccount":
		return "aws:resourceaccount"
	case "aws:ResourceOrgID":
		return "aws:resourceorgid"
	case "aws:ResourceOrgPaths":
		return "aws:resourceorgpaths"
	case "aws:SourceVpce":
		return "aws:sourcevpce"
	case "aws:SourceVpc":
		return "aws:sourcevpc"
	case "aws:SourceIp":
		return "aws:sourceip"
	case "kms:CallerAccount":
		return "kms:calleraccount"
	case "kms:ViaService":
		return "kms:viaservice"
	case "aws:PrincipalTag/":
		return "aws:principaltag/"
	}
	return strings.ToLower(key)
}

// Set makes key present with values. Set with no values makes it absent
// (a key in the request context always has at least one value).
func (c *Context) Set(key string, values ...string) *Context {
	if len(values) == 0 {
		return c.SetAbsent(key)
	}
	if len(values) == 1 {
		// The common case: the entry and its value in one allocation.
		x := c.newEntry()
		x.v[0] = values[0]
		x.e = ctxEntry{state: keyPresent, values: x.v[:]}
		return c.put(key, &x.e)
	}
	return c.put(key, &ctxEntry{state: keyPresent, values: append([]string(nil), values...)})
}

// SetAbsent makes key absent from the request.
func (c *Context) SetAbsent(key string) *Context {
	x := c.newEntry()
	x.e = ctxEntry{state: keyAbsent}
	return c.put(key, &x.e)
}

// SetUnknown makes key unknown: present with any value, or absent.
func (c *Context) SetUnknown(key string) *Context {
	return c.put(key, &ctxEntry{state: keyUnknown})
}

// SetUnknownExcept makes key unknown but known not to equal (exactly, case
// included) any of values: e.g. aws:PrincipalOrgID for a principal of an
// account outside the organization, or aws:PrincipalAccount for "any
// account but these". The key may also be absent.
func (c *Context) SetUnknownExcept(key string, values ...string) *Context {
	return c.put(key, &ctxEntry{state: keyUnknownExcept, values: append([]string(nil), values...)})
}

// SetUnknownExceptShared is SetUnknownExcept with values and the values of
// every sorted list, keeping values and the lists, which the caller must
// not modify afterwards: long lists (e.g. every member account of an
// organization) shared by many contexts are held once, and searched in
// logarithmic time.
func (c *Context) SetUnknownExceptShared(key string, values []string, sorted ...[]string) *Context {
	if len(sorted) == 1 {
		// The common case (a caller's other member accounts): the entry
		// and its list of lists in one allocation, not the variadic slice.
		x := &struct {
			e ctxEntry
			m [1][]string
		}{}
		x.m[0] = sorted[0]
		x.e = ctxEntry{state: keyUnknownExcept, values: values, more: x.m[:]}
		return c.put(key, &x.e)
	}
	return c.put(key, &ctxEntry{state: keyUnknownExcept, values: values, more: append([][]string(nil), sorted...)})
}

// excepts reports whether a lower-case key set unknown-except excludes v.
func (c *Context) excepts(lower, v string) bool {
	e, _ := c.find(lower)
	return e.excepts(v)
}

// excepts reports whether an unknown-except entry excludes v (false for
// nil or another state).
func (e *ctxEntry) excepts(v string) bool {
	if e == nil || e.state != keyUnknownExcept {
		return false
	}
	if slices.Contains(e.values, v) {
		return true
	}
	for _, l := range e.more {
		if _, found := slices.BinarySearch(l, v); found {
			return true
		}
	}
	return false
}

// SetUnknownPrefix makes every key that starts with prefix (e.g.
// "aws:PrincipalTag/", "aws:ResourceTag/") unknown unless set explicitly.
func (c *Context) SetUnknownPrefix(prefix string) *Context {
	c.prefixes = append(c.prefixes, lowerKey(prefix))
	c.gen++
	return c
}

// SetAbsentPrefix makes every key that starts with prefix absent unless set
// explicitly: e.g. "aws:PrincipalTag/" for a principal whose tags are all
// known (the keys of its tags set, every other tag key absent). It takes
// precedence over SetUnknownPrefix.
func (c *Context) SetAbsentPrefix(prefix string) *Context {
	if c.absent == nil {
		c.absent = c.absentRoom[:0]
	}
	c.absent = append(c.absent, lowerKey(prefix))
	c.gen++
	return c
}

// Clone returns an independent copy of c.
func (c *Context) Clone() *Context {
	if c == nil {
		return NewContext()
	}
	n := &Context{open: c.open, base: c.base, layers: c.layers, prefixes: append([]string(nil), c.prefixes...), absent: append([]string(nil), c.absent...)}
	c.eachOwn(func(k string, e *ctxEntry) {
		cp := *e
		n.setOwn(k, &cp)
	})
	return n
}

// lookup returns what is known of a lower-case key (without the keys
// derived from the principal; see evaluator.key).
func (c *Context) lookup(lower string) (keyState, []string, bool) {
	st, vals, explicit, _ := c.lookupEntry(lower)
	return st, vals, explicit
}

// lookupEntry is lookup with the entry of the key, when set.
func (c *Context) lookupEntry(lower string) (keyState, []string, bool, *ctxEntry) {
	if c == nil {
		return keyAbsent, nil, false, nil
	}
	if e, ok := c.find(lower); ok {
		return e.state, e.values, true, e
	}
	st, vals, explicit := c.lookupUnset(lower)
	return st, vals, explicit, nil
}

// lookupEntryOn is lookupEntry of c's chain followed by base's
// (Input.BaseContext; either may be nil): a key c's chain does not set is
// base's, the prefixes of both count, and base decides the world.
func lookupEntryOn(c, base *Context, lower string) (keyState, []string, bool, *ctxEntry) {
	switch {
	case base == nil:
		return c.lookupEntry(lower)
	case c == nil:
		return base.lookupEntry(lower)
	}
	if e, ok := c.find(lower); ok {
		return e.state, e.values, true, e
	}
	if e, ok := base.find(lower); ok {
		return e.state, e.values, true, e
	}
	if c.hasPrefix(lower, true) {
		return keyAbsent, nil, true, nil
	}
	if c.hasPrefix(lower, false) {
		if base.hasPrefix(lower, true) {
			return keyAbsent, nil, true, nil
		}
		return keyUnknown, nil, true, nil
	}
	st, vals, explicit := base.lookupUnset(lower)
	return st, vals, explicit, nil
}

// lookupUnset is lookup of a key that no context of the chain sets.
func (c *Context) lookupUnset(lower string) (keyState, []string, bool) {
	if c.hasPrefix(lower, true) {
		return keyAbsent, nil, true
	}
	if c.hasPrefix(lower, false) {
		return keyUnknown, nil, true
	}
	if c.open {
		return keyUnknown, nil, false
	}
	return keyAbsent, nil, false
}
