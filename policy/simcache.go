package policy

// policyCache maps a policy's JSON text to its parsed policies, one per
// name a request gives it, for one Simulator. It keeps two generations of
// at most maxCacheGen documents each: when the current one fills, it
// becomes the old one and the oldest is dropped, so that the policies
// requests keep repeating (FullAWSAccess, an organization's SCPs) stay
// while the heap stays bounded however long the input is. A hit in the old
// generation moves the entry to the current one.
type policyCache struct {
	cur, old map[string][]*Policy
}

// maxCacheGen bounds each generation of the policy cache.
const maxCacheGen = 256

func newPolicyCache() policyCache {
	return policyCache{cur: map[string][]*Policy{}}
}

// get returns the policies parsed from raw (nil when raw is not cached).
func (c *policyCache) get(raw string) []*Policy {
	if named, ok := c.cur[raw]; ok {
		return named
	}
	named, ok := c.old[raw]
	if !ok {
		return nil
	}
	delete(c.old, raw)
	c.add(raw, named)
	return named
}

// set records the policies parsed from raw.
func (c *policyCache) set(raw string, named []*Policy) {
	if _, ok := c.cur[raw]; ok {
		c.cur[raw] = named // the stored key is a copy already
		return
	}
	c.add(raw, named)
}

// add adds raw, absent from the current generation. The key is copied: raw
// is part of a request line, which a cached policy must not keep alive.
func (c *policyCache) add(raw string, named []*Policy) {
	if len(c.cur) >= maxCacheGen {
		c.old, c.cur = c.cur, make(map[string][]*Policy, maxCacheGen)
	}
	c.cur[string([]byte(raw))] = named
}
