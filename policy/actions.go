package policy

//go:generate go run ../internal/gen/actions -data ../../shared/corpus/actions -out actions_gen.go

import (
	"slices"
	"sort"
	"strings"
)

type actionRow struct {
	name          string
	accessLevel   string
	resourceTypes []string
	conditionKeys []string
}

type resourceTypeRow struct {
	service       string
	name          string
	arn           string
	conditionKeys []string
}

// ActionInfo describes an IAM action (from the service authorization
// reference data of the shared corpus).
type ActionInfo struct {
	Name string // canonical spelling, e.g. "s3:GetObject"
	// AccessLevel is "Read", "List", "Write", "Tagging", "Permissions
	// management", or a compound such as "Permissions management, Write".
	AccessLevel   string
	ResourceTypes []string // e.g. ["accesspointobject", "object"]
	ConditionKeys []string // service-specific keys of the action
}

// ReadOnly reports whether the action's access level is Read or List only.
func (a ActionInfo) ReadOnly() bool { return a.AccessLevel == "Read" || a.AccessLevel == "List" }

// LookupAction returns what is known of an action of the s3, kms,
// organizations, sts, iam or ec2 prefixes (case-insensitive).
func LookupAction(name string) (ActionInfo, bool) {
	r := lookupRow(name)
	if r == nil {
		return ActionInfo{}, false
	}
	return ActionInfo{Name: r.name, AccessLevel: r.accessLevel, ResourceTypes: slices.Clone(r.resourceTypes), ConditionKeys: slices.Clone(r.conditionKeys)}, true
}

// lookupRow finds an action's row (case-insensitive, no allocation).
func lookupRow(name string) *actionRow {
	i := sort.Search(len(actionTable), func(i int) bool { return compareFold(actionTable[i].name, name) >= 0 })
	if i == len(actionTable) || compareFold(actionTable[i].name, name) != 0 {
		return nil
	}
	return &actionTable[i]
}

// compareFold compares two ASCII strings as if lower-cased (the table's order).
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := lowerASCII(a[i]), lowerASCII(b[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// serviceRange returns the table rows of a service prefix.
func serviceRange(svc string) []actionRow {
	first, past := svc+":", svc+";" // ';' follows ':': past is beyond the service's names
	lo := sort.Search(len(actionTable), func(i int) bool { return compareFold(actionTable[i].name, first) >= 0 })
	hi := lo + sort.Search(len(actionTable)-lo, func(i int) bool { return compareFold(actionTable[lo+i].name, past) >= 0 })
	return actionTable[lo:hi]
}

// matchingRows calls visit for the table rows an Action pattern matches,
// until visit returns false.
func matchingRows(pattern string, visit func(r *actionRow) bool) {
	if !strings.ContainsAny(pattern, "*?") {
		if r := lookupRow(pattern); r != nil {
			visit(r)
		}
		return
	}
	p := compileAction(pattern)
	if i := strings.IndexByte(pattern, ':'); i > 0 && !strings.ContainsAny(pattern[:i], "*?") {
		// One service: its rows, the action name after "svc:".
		rows := serviceRange(pattern[:i])
		for j := range rows {
			if (p.name.mode == mAny || p.name.match(rows[j].name[i+1:], true)) && !visit(&rows[j]) {
				return
			}
		}
		return
	}
	for j := range actionTable {
		name := actionTable[j].name
		k := strings.IndexByte(name, ':')
		if p.match(name, name[:k], name[k+1:]) && !visit(&actionTable[j]) {
			return
		}
	}
}

// rowScope is S3ActionScope for a table row.
func rowScope(r *actionRow) Scope {
	if !strings.HasPrefix(r.name, "s3:") {
		return ScopeNone
	}
	switch {
	case slices.Contains(r.resourceTypes, "object"):
		return ScopeObject
	case slices.Contains(r.resourceTypes, "bucket"):
		return ScopeBucket
	}
	return ScopeNone
}

// KnownService reports whether LookupAction covers the service prefix.
func KnownService(prefix string) bool {
	switch strings.ToLower(prefix) {
	case "s3", "kms", "organizations", "sts", "iam", "ec2":
		return true
	}
	return false
}

// MatchingActions returns the known actions that an Action pattern (e.g.
// "s3:Get*") matches, in table order. Nil for a service LookupAction does
// not cover.
func MatchingActions(pattern string) []string {
	if pattern != "*" {
		i := strings.IndexByte(pattern, ':')
		if i < 0 {
			return nil
		}
		if svc := pattern[:i]; !strings.ContainsAny(svc, "*?") && !KnownService(svc) {
			return nil
		}
	}
	if pattern != "*" && !strings.Contains(pattern, ":") {
		return nil
	}
	var out []string
	matchingRows(pattern, func(r *actionRow) bool { out = append(out, r.name); return true })
	return out
}

// Scope says which S3 resources an action applies to.
type Scope uint8

// Scopes of S3 actions.
const (
	ScopeNone   Scope = iota // not an S3 action applying to buckets or objects (unknown, or account-level)
	ScopeBucket              // the bucket ARN, arn:aws:s3:::bucket
	ScopeObject              // object ARNs, arn:aws:s3:::bucket/key
)

// String returns "none", "bucket" or "object".
func (s Scope) String() string {
	switch s {
	case ScopeBucket:
		return "bucket"
	case ScopeObject:
		return "object"
	}
	return "none"
}

// S3ActionScope returns whether an s3 action applies to the bucket ARN or
// to object ARNs (ScopeNone for other actions: access points, jobs,
// account-level actions such as s3:ListAllMyBuckets, or unknown ones).
func S3ActionScope(action string) Scope {
	r := lookupRow(action)
	if r == nil {
		return ScopeNone
	}
	return rowScope(r)
}

// ConditionKeyApplies reports whether a condition key can be present in
// the request context of action on a resource of the given type ("" for
// any of the action's types), according to the service authorization
// reference: global aws: keys always can (except the tag keys, which only
// the actions and resource types that list them have); service keys when
// the action or resource type lists them. Unknown actions report true.
func ConditionKeyApplies(action, resourceType, key string) bool {
	a, ok := LookupAction(action)
	if !ok {
		return true
	}
	lk := strings.ToLower(key)
	tagKey := strings.HasPrefix(lk, "aws:requesttag/") || strings.HasPrefix(lk, "aws:resourcetag/") || lk == "aws:tagkeys"
	if strings.HasPrefix(lk, "aws:") && !tagKey {
		return true
	}
	if keyListed(a.ConditionKeys, lk) {
		return true
	}
	svc := a.Name[:strings.IndexByte(a.Name, ':')]
	for i := range resourceTypeTable {
		rt := &resourceTypeTable[i]
		if rt.service == svc && slices.Contains(a.ResourceTypes, rt.name) && (resourceType == "" || rt.name == resourceType) && keyListed(rt.conditionKeys, lk) {
			return true
		}
	}
	return false
}

// keyListed matches a lower-case key against key templates such as
// "aws:ResourceTag/${TagKey}" or "s3:ExistingObjectTag/<key>".
func keyListed(templates []string, lk string) bool {
	for _, t := range templates {
		lt := strings.ToLower(t)
		if i := strings.IndexAny(lt, "$<"); i >= 0 && strings.HasSuffix(lt[:i], "/") {
			if strings.HasPrefix(lk, lt[:i]) && len(lk) > i {
				return true
			}
			continue
		}
		if lt == lk {
			return true
		}
	}
	return false
}

// rcpApplies reports whether resource control policies apply to the
// service of action
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
func rcpApplies(service string) bool {
	i := sort.SearchStrings(rcpServices[:], strings.ToLower(service))
	return i < len(rcpServices) && rcpServices[i] == strings.ToLower(service)
}
