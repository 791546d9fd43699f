package inventory

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// Equal reports whether two documents hold the same JSON text, ignoring
// insignificant whitespace. go-cmp uses it, so normalised documents compare
// with cmp.Diff.
func (d *PolicyDocument) Equal(o *PolicyDocument) bool {
	if d == nil || o == nil {
		return d == o
	}
	return bytes.Equal(compactJSON(d.raw), compactJSON(o.raw))
}

// compactJSON removes insignificant whitespace from valid JSON and returns
// anything else unchanged.
func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}

// Clone returns a deep copy of d.
func Clone(d *Document) *Document {
	if d == nil {
		return nil
	}
	data, err := json.Marshal(d)
	if err != nil {
		// Every field marshals; a failure is a programming error.
		panic("inventory: clone: " + err.Error())
	}
	var out Document
	if err := json.Unmarshal(data, &out); err != nil {
		panic("inventory: clone: " + err.Error())
	}
	return &out
}

// Normalize returns a copy of d with the fixture defaults filled in, the
// fixture-only fields (faults, audit_role, management_credentials) and the
// scan metadata removed and every list sorted, so that a fixture and the
// snapshot of a scan of it compare equal.
//
// Empty maps and lists become nil and policy texts are compacted. What a
// scan collects but a fixture cannot predict without evaluating policies
// (bucket policy_is_public) is kept as it is: compare with
// fakeaws.Expected(fixture), which fills it in as the emulator serves it.
func Normalize(d *Document) *Document {
	if d == nil {
		return nil
	}
	n := Clone(d)
	ApplyDefaults(n)
	canonicalize(n)
	return n
}

// Canonical is Normalize without the fixture defaults: a copy with the
// fixture-only fields and scan metadata removed, every list sorted, empty
// maps and lists nil and policy texts compacted. Use it on snapshots in
// round-trip tests (fakeaws.Expected(fixture) against Canonical(snapshot)),
// so that a field the scanner failed to record is not filled in by a
// default and hidden.
func Canonical(d *Document) *Document {
	if d == nil {
		return nil
	}
	n := Clone(d)
	canonicalize(n)
	return n
}

// canonicalize strips, sorts and compacts n in place.
func canonicalize(n *Document) {
	n.Scan = nil
	n.Faults = nil
	if o := n.Organization; o != nil {
		o.ManagementCredentials = nil
		o.Errors = nilIfEmpty(o.Errors)
		normalizeOU(&o.Root)
		sort.Slice(o.Policies, func(i, j int) bool { return o.Policies[i].ID < o.Policies[j].ID })
		for i := range o.Policies {
			p := &o.Policies[i]
			p.Document = compactDoc(p.Document)
			p.Errors = nilIfEmpty(p.Errors)
		}
		if len(o.Policies) == 0 {
			o.Policies = nil
		}
		for id, ps := range o.AccountPolicies {
			ps = append([]string{}, ps...) // an empty list is data: nothing attached
			sort.Strings(ps)
			o.AccountPolicies[id] = ps
		}
		o.AccountPolicies = nilIfEmpty(o.AccountPolicies)
	}
	sort.Slice(n.Accounts, func(i, j int) bool { return n.Accounts[i].ID < n.Accounts[j].ID })
	for i := range n.Accounts {
		normalizeAccount(&n.Accounts[i])
	}
	if n.Accounts == nil {
		n.Accounts = []Account{}
	}
}

func nilIfEmpty[V any](m map[string]V) map[string]V {
	if len(m) == 0 {
		return nil
	}
	return m
}

func sortedStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	sort.Strings(s)
	return s
}

func compactDoc(d *PolicyDocument) *PolicyDocument {
	if d == nil {
		return nil
	}
	return &PolicyDocument{raw: compactJSON(d.raw)}
}

func compactDocs(m map[string]*PolicyDocument) map[string]*PolicyDocument {
	if len(m) == 0 {
		return nil
	}
	for k, v := range m {
		m[k] = compactDoc(v)
	}
	return m
}

func normalizeOU(ou *OU) {
	ou.Policies = sortedStrings(ou.Policies)
	ou.Accounts = sortedStrings(ou.Accounts)
	ou.Errors = nilIfEmpty(ou.Errors)
	sort.Slice(ou.OUs, func(i, j int) bool { return ou.OUs[i].ID < ou.OUs[j].ID })
	for i := range ou.OUs {
		normalizeOU(&ou.OUs[i])
	}
	if len(ou.OUs) == 0 {
		ou.OUs = nil
	}
}

func normalizeAccount(a *Account) {
	a.AuditRole = nil
	a.Policies = sortedStrings(a.Policies)
	a.Tags = nilIfEmpty(a.Tags)
	a.Errors = nilIfEmpty(a.Errors)
	sort.Slice(a.Buckets, func(i, j int) bool { return a.Buckets[i].Name < a.Buckets[j].Name })
	for i := range a.Buckets {
		b := &a.Buckets[i]
		b.Policy = compactDoc(b.Policy)
		b.Tags = nilIfEmpty(b.Tags)
		b.Errors = nilIfEmpty(b.Errors)
		b.NotCollected = sortedStrings(b.NotCollected)
		if b.ACL != nil {
			sort.Slice(b.ACL.Grants, func(i, j int) bool { return grantKey(b.ACL.Grants[i]) < grantKey(b.ACL.Grants[j]) })
			if len(b.ACL.Grants) == 0 {
				b.ACL.Grants = nil
			}
		}
	}
	if len(a.Buckets) == 0 {
		a.Buckets = nil
	}
	sort.Slice(a.KMSKeys, func(i, j int) bool { return a.KMSKeys[i].ARN < a.KMSKeys[j].ARN })
	for i := range a.KMSKeys {
		k := &a.KMSKeys[i]
		k.Aliases = sortedStrings(k.Aliases)
		k.Policy = compactDoc(k.Policy)
		k.Errors = nilIfEmpty(k.Errors)
		sort.Slice(k.Grants, func(i, j int) bool { return k.Grants[i].GrantID < k.Grants[j].GrantID })
		for j := range k.Grants {
			sort.Strings(k.Grants[j].Operations)
		}
		if len(k.Grants) == 0 {
			k.Grants = nil
		}
	}
	if len(a.KMSKeys) == 0 {
		a.KMSKeys = nil
	}
	if a.IAM != nil {
		normalizeIAM(a.IAM)
		if len(a.IAM.Roles)+len(a.IAM.Users)+len(a.IAM.Groups)+len(a.IAM.Policies) == 0 {
			a.IAM = nil
		}
	}
	sort.Slice(a.VPCEndpoints, func(i, j int) bool { return a.VPCEndpoints[i].ID < a.VPCEndpoints[j].ID })
	for i := range a.VPCEndpoints {
		a.VPCEndpoints[i].Policy = compactDoc(a.VPCEndpoints[i].Policy)
	}
	if len(a.VPCEndpoints) == 0 {
		a.VPCEndpoints = nil
	}
}

func grantKey(g Grant) string {
	return strings.Join([]string{g.Grantee.Type, g.Grantee.ID, g.Grantee.URI, g.Grantee.Email, g.Permission}, "\x00")
}

func normalizeIAM(m *IAM) {
	sort.Slice(m.Roles, func(i, j int) bool { return m.Roles[i].ARN < m.Roles[j].ARN })
	for i := range m.Roles {
		r := &m.Roles[i]
		r.TrustPolicy = compactDoc(r.TrustPolicy)
		r.InlinePolicies = compactDocs(r.InlinePolicies)
		r.AttachedPolicies = sortedStrings(r.AttachedPolicies)
		r.Tags = nilIfEmpty(r.Tags)
	}
	sort.Slice(m.Users, func(i, j int) bool { return m.Users[i].ARN < m.Users[j].ARN })
	for i := range m.Users {
		u := &m.Users[i]
		u.InlinePolicies = compactDocs(u.InlinePolicies)
		u.AttachedPolicies = sortedStrings(u.AttachedPolicies)
		u.Groups = sortedStrings(u.Groups)
		u.Tags = nilIfEmpty(u.Tags)
	}
	sort.Slice(m.Groups, func(i, j int) bool { return m.Groups[i].ARN < m.Groups[j].ARN })
	for i := range m.Groups {
		g := &m.Groups[i]
		g.InlinePolicies = compactDocs(g.InlinePolicies)
		g.AttachedPolicies = sortedStrings(g.AttachedPolicies)
	}
	sort.Slice(m.Policies, func(i, j int) bool { return m.Policies[i].ARN < m.Policies[j].ARN })
	for i := range m.Policies {
		m.Policies[i].Document = compactDoc(m.Policies[i].Document)
	}
	if len(m.Roles) == 0 {
		m.Roles = nil
	}
	if len(m.Users) == 0 {
		m.Users = nil
	}
	if len(m.Groups) == 0 {
		m.Groups = nil
	}
	if len(m.Policies) == 0 {
		m.Policies = nil
	}
}
