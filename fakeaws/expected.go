package fakeaws

import (
	"github.com/bucketaudit/bucketaudit/inventory"
)

// Expected returns the normalised snapshot that a complete scan of doc
// through the emulator must produce: inventory.Normalize(doc) with, for
// every bucket that has a policy, the GetBucketPolicyStatus.IsPublic the
// emulator serves (policy_is_public), which a fixture usually leaves for
// the emulator to compute. Compare it with inventory.Normalize(snapshot).
//
// It assumes the scan reads everything the fixture holds; fixture errors
// maps are served as errors and so come back unchanged, but faults
// (chosen errors, throttling) are not modelled here.
func Expected(doc *inventory.Document) *inventory.Document {
	n := inventory.Normalize(doc)
	for i := range n.Accounts {
		for j := range n.Accounts[i].Buckets {
			b := &n.Accounts[i].Buckets[j]
			if b.Policy == nil || b.PolicyIsPublic != nil || b.Errors[inventory.FieldPolicyStatus] != "" {
				continue
			}
			if public, err := policyIsPublic(b); err == nil {
				b.PolicyIsPublic = &public
			}
		}
	}
	return n
}
