package policy

// policyCache maps a policy's JSON text, then the name a request gives it,
// to its parsed policy, for one Simulator. It keeps two generations of at
// most maxCacheGen documents each: when the current one fills, it becomes
// the old one and the oldest is dropped, so that the policies requests keep
// repeating (FullAWSAccess, an organization's SCPs) stay while the heap
// stays bounded however long the input is. A hit in the old generation moves
// the entry to the current one.
type policyCache struct {
	cur, old map[string]map[string]*Policy
}

// maxCacheGen bounds each generation of the policy cache.
const maxCacheGen = 256

func newPolicyCache() policyCache {
	return policyCache{cur: map[string]map[string]*Policy{}}
}

// get returns the policies parsed from raw, by name (nil when raw is not
// cached).
func (c *policyCache) get(raw string) map[string]*Policy {
	if byName, ok := c.cur[raw]; ok {
		return byName
	}
	byName, ok := c.old[raw]
	if !ok {
		return nil
	}
	delete(c.old, raw)
	c.put(raw, byName)
	return byName
}

// put caches the policies parsed from raw. The key is copied: raw is part
// of a request line, which a cached policy must not keep alive.
func (c *policyCache) put(raw string, byName map[string]*Policy) {
	if len(c.cur) >= maxCacheGen {
		c.old, c.cur = c.cur, make(map[string]map[string]*Policy, maxCacheGen)
	}
	c.cur[string([]byte(raw))] = byName
}
