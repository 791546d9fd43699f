package fakeaws

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/bucketaudit/bucketaudit/inventory"
)

const iamNS = "https://iam.amazonaws.com/doc/" + iamVersion + "/"

// indexedList collects Query list parameters prefix.1, prefix.2, … in order.
func indexedList(form url.Values, prefix string) []string {
	type item struct {
		n int
		v string
	}
	var items []item
	for k, vs := range form {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok || len(vs) == 0 {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil {
			continue
		}
		items = append(items, item{n, vs[0]})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].n < items[j].n })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out
}

// urlEncodeDocument encodes a policy document as IAM returns it: RFC 3986
// percent-encoding of everything but the unreserved characters.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
func urlEncodeDocument(d *inventory.PolicyDocument) string {
	return awsEscape(d.String(), true)
}

// iamName splits an IAM ARN's resource into path and name.
func iamName(arn string) (path, name string) {
	res := arn[strings.LastIndex(arn, ":")+1:]
	_, rest, _ := strings.Cut(res, "/") // drop role/, user/, group/, policy/
	i := strings.LastIndex(rest, "/")
	if i < 0 {
		return "/", rest
	}
	return "/" + rest[:i+1], rest[i+1:]
}

// iamID derives a stable unique ID with an IAM prefix (AIDA, AGPA, ANPA).
func iamID(prefix, arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return prefix + strings.ToUpper(hex.EncodeToString(sum[:]))[:17]
}

// uniqueID is a role's or user's unique ID: the fixture's id, else one the
// emulator derives from the ARN (iamID: stable, so that end-to-end tests
// can name it; not an ID AWS would assign).
func uniqueID(id, prefix, arn string) string {
	if id != "" {
		return id
	}
	return iamID(prefix, arn)
}

type iamEntry struct {
	kind string // User, Group, Role, LocalManagedPolicy, AWSManagedPolicy
	user *inventory.IAMUser
	grp  *inventory.IAMGroup
	role *inventory.IAMRole
	pol  *inventory.IAMManagedPolicy
}

func (s *Server) iamGetAccountAuthorizationDetails(w http.ResponseWriter, q *request) *apiError {
	acct := s.idx.accounts[q.caller.account]
	if aerr := s.faults.chosen(q, acct.acct.ID, ""); aerr != nil {
		return aerr
	}
	if e, ok := acct.acct.Errors.Get(inventory.KeyIAM); ok {
		return fixtureError(e)
	}
	filters := indexedList(q.form, "Filter.member")
	for _, f := range filters {
		switch f {
		case "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy":
		default:
			return validationError("1 validation error detected: Value '[" + f + "]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]]")
		}
	}
	want := func(kind string) bool { return len(filters) == 0 || slices.Contains(filters, kind) }
	limit := 0
	if v := q.form.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return validationError("1 validation error detected: Value '" + v + "' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000")
		}
		limit = n
	}
	var entries []iamEntry
	attachments := map[string]int{}
	if m := acct.acct.IAM; m != nil {
		if want("User") {
			for i := range m.Users {
				entries = append(entries, iamEntry{kind: "User", user: &m.Users[i]})
			}
		}
		if want("Group") {
			for i := range m.Groups {
				entries = append(entries, iamEntry{kind: "Group", grp: &m.Groups[i]})
			}
		}
		if want("Role") {
			for i := range m.Roles {
				entries = append(entries, iamEntry{kind: "Role", role: &m.Roles[i]})
			}
		}
		for i := range m.Policies {
			kind := "LocalManagedPolicy"
			if strings.Contains(m.Policies[i].ARN, ":iam::aws:") {
				kind = "AWSManagedPolicy"
			}
			if want(kind) {
				entries = append(entries, iamEntry{kind: kind, pol: &m.Policies[i]})
			}
		}
		countAttachments(m, attachments)
	}
	p, ok := s.paginate(len(entries), "GetAccountAuthorizationDetails/"+strings.Join(filters, ","), q.form.Get("Marker"), limit)
	if !ok {
		return validationError("Invalid Marker.")
	}
	page := entries[p.start:p.end]
	return queryResponse(w, q, iamNS, func(x *xmlOut) {
		x.bool("IsTruncated", p.next != "")
		x.elemIf("Marker", p.next)
		x.open("UserDetailList")
		for _, e := range page {
			if e.user != nil {
				writeIAMUser(x, e.user)
			}
		}
		x.close("UserDetailList")
		x.open("GroupDetailList")
		for _, e := range page {
			if e.grp != nil {
				writeIAMGroup(x, e.grp)
			}
		}
		x.close("GroupDetailList")
		x.open("RoleDetailList")
		for _, e := range page {
			if e.role != nil {
				writeIAMRole(x, e.role)
			}
		}
		x.close("RoleDetailList")
		x.open("Policies")
		for _, e := range page {
			if e.pol != nil {
				writeIAMPolicy(x, e.pol, attachments)
			}
		}
		x.close("Policies")
	})
}

func countAttachments(m *inventory.IAM, n map[string]int) {
	for _, u := range m.Users {
		for _, a := range u.AttachedPolicies {
			n[a]++
		}
	}
	for _, g := range m.Groups {
		for _, a := range g.AttachedPolicies {
			n[a]++
		}
	}
	for _, r := range m.Roles {
		for _, a := range r.AttachedPolicies {
			n[a]++
		}
	}
}

func writeInline(x *xmlOut, tag string, m map[string]*inventory.PolicyDocument) {
	x.open(tag)
	for _, name := range slices.Sorted(maps.Keys(m)) {
		x.open("member")
		x.elem("PolicyName", name)
		x.elem("PolicyDocument", urlEncodeDocument(m[name]))
		x.close("member")
	}
	x.close(tag)
}

func writeAttached(x *xmlOut, arns []string) {
	x.open("AttachedManagedPolicies")
	for _, a := range arns {
		_, name := iamName(a)
		x.open("member")
		x.elem("PolicyName", name)
		x.elem("PolicyArn", a)
		x.close("member")
	}
	x.close("AttachedManagedPolicies")
}

func writeBoundary(x *xmlOut, arn string) {
	if arn == "" {
		return
	}
	x.open("PermissionsBoundary")
	x.elem("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
	x.elem("PermissionsBoundaryArn", arn)
	x.close("PermissionsBoundary")
}

func writeTags(x *xmlOut, tags map[string]string) {
	if len(tags) > 0 {
		writeTagSet(x, "Tags", "member", tags)
	}
}

func writeIAMUser(x *xmlOut, u *inventory.IAMUser) {
	path, name := iamName(u.ARN)
	x.open("member")
	x.elem("Path", path)
	x.elem("UserName", name)
	x.elem("UserId", uniqueID(u.ID, "AIDA", u.ARN))
	x.elem("Arn", u.ARN)
	x.time("CreateDate", inventory.DefaultBucketCreated())
	writeInline(x, "UserPolicyList", u.InlinePolicies)
	x.open("GroupList")
	for _, g := range u.Groups {
		x.elem("member", g)
	}
	x.close("GroupList")
	writeAttached(x, u.AttachedPolicies)
	writeBoundary(x, u.PermissionsBoundary)
	writeTags(x, u.Tags)
	x.close("member")
}

func writeIAMGroup(x *xmlOut, g *inventory.IAMGroup) {
	path, name := iamName(g.ARN)
	x.open("member")
	x.elem("Path", path)
	x.elem("GroupName", name)
	x.elem("GroupId", iamID("AGPA", g.ARN))
	x.elem("Arn", g.ARN)
	x.time("CreateDate", inventory.DefaultBucketCreated())
	writeInline(x, "GroupPolicyList", g.InlinePolicies)
	writeAttached(x, g.AttachedPolicies)
	x.close("member")
}

func writeIAMRole(x *xmlOut, r *inventory.IAMRole) {
	path, name := iamName(r.ARN)
	x.open("member")
	x.elem("Path", path)
	x.elem("RoleName", name)
	x.elem("RoleId", uniqueID(r.ID, "AROA", r.ARN))
	x.elem("Arn", r.ARN)
	x.time("CreateDate", inventory.DefaultBucketCreated())
	if r.TrustPolicy != nil {
		x.elem("AssumeRolePolicyDocument", urlEncodeDocument(r.TrustPolicy))
	}
	x.open("InstanceProfileList")
	x.close("InstanceProfileList")
	writeInline(x, "RolePolicyList", r.InlinePolicies)
	writeAttached(x, r.AttachedPolicies)
	writeBoundary(x, r.PermissionsBoundary)
	writeTags(x, r.Tags)
	x.open("RoleLastUsed")
	x.close("RoleLastUsed")
	x.close("member")
}

func writeIAMPolicy(x *xmlOut, p *inventory.IAMManagedPolicy, attachments map[string]int) {
	path, name := iamName(p.ARN)
	if p.Name != "" {
		name = p.Name
	}
	x.open("member")
	x.elem("PolicyName", name)
	x.elem("PolicyId", iamID("ANPA", p.ARN))
	x.elem("Arn", p.ARN)
	x.elem("Path", path)
	x.elem("DefaultVersionId", "v1")
	x.elem("AttachmentCount", strconv.Itoa(attachments[p.ARN]))
	x.elem("PermissionsBoundaryUsageCount", "0")
	x.bool("IsAttachable", true)
	x.time("CreateDate", inventory.DefaultBucketCreated())
	x.time("UpdateDate", inventory.DefaultBucketCreated())
	x.open("PolicyVersionList")
	if p.Document != nil {
		x.open("member")
		x.elem("Document", urlEncodeDocument(p.Document))
		x.elem("VersionId", "v1")
		x.bool("IsDefaultVersion", true)
		x.time("CreateDate", inventory.DefaultBucketCreated())
		x.close("member")
	}
	x.close("PolicyVersionList")
	x.close("member")
}

// DerivedUniqueID is the unique ID the emulator serves for a role ("AROA")
// or user ("AIDA") of ARN arn whose fixture gives no id: derived from the
// ARN, stable, so that end-to-end tests can name it in policies. It is the
// emulator's, not one AWS would assign.
func DerivedUniqueID(prefix, arn string) string { return iamID(prefix, arn) }
