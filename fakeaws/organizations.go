package fakeaws

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// orgInput holds the parameters of every emulated Organizations operation.
type orgInput struct {
	ParentID   string `json:"ParentId"`
	TargetID   string `json:"TargetId"`
	ChildID    string `json:"ChildId"`
	ResourceID string `json:"ResourceId"`
	PolicyID   string `json:"PolicyId"`
	AccountID  string `json:"AccountId"`
	Filter     string `json:"Filter"`
	NextToken  string `json:"NextToken"`
	MaxResults *int   `json:"MaxResults"`
}

type orgAccount struct {
	ID              string  `json:"Id"`
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	Name            string  `json:"Name"`
	Status          string  `json:"Status"`
	State           string  `json:"State"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
}

type orgPolicySummary struct {
	ID          string `json:"Id"`
	Arn         string `json:"Arn"`
	Name        string `json:"Name"`
	Description string `json:"Description,omitempty"`
	Type        string `json:"Type"`
	AwsManaged  bool   `json:"AwsManaged"`
}

type orgTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// joinedAt is when every emulated account joined the organisation.
func joinedAt() time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) }

func (s *Server) organizationsHandler(op string) handlerFunc {
	var h func(q *request, in *orgInput) (any, *apiError)
	switch op {
	case "DescribeOrganization":
		h = s.orgDescribeOrganization
	case "ListRoots":
		h = s.orgListRoots
	case "ListOrganizationalUnitsForParent":
		h = s.orgListOUsForParent
	case "ListAccounts":
		h = s.orgListAccounts
	case "ListAccountsForParent":
		h = s.orgListAccountsForParent
	case "ListPoliciesForTarget":
		h = s.orgListPoliciesForTarget
	case "DescribePolicy":
		h = s.orgDescribePolicy
	case "ListParents":
		h = s.orgListParents
	case "ListTagsForResource":
		h = s.orgListTagsForResource
	case "DescribeAccount":
		h = s.orgDescribeAccount
	default:
		return nil
	}
	return jsonHandler(func(q *request, in *orgInput) *apiError {
		if aerr := s.orgGate(q); aerr != nil {
			return aerr
		}
		if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 20) {
			return errf("InvalidInputException", "You provided a value that does not match the required pattern: MaxResults must be between 1 and 20.")
		}
		return nil
	}, h)
}

// orgGate checks that the organisation exists and the caller may read it:
// DescribeOrganization works from any member account, everything else
// only from the management account.
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html
func (s *Server) orgGate(q *request) *apiError {
	if s.idx.org == nil {
		return errf("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	acct := q.caller.account
	if _, member := s.idx.parentOf[acct]; !member {
		return errf("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	if q.op != "DescribeOrganization" && acct != s.idx.managementAccount {
		return errf("AccessDeniedException", "You don't have permissions to access this resource.")
	}
	return s.faults.chosen(q, acct, "")
}

// orgErr returns the fixture error recorded under key, if any.
func orgErr(m inventory.Errors, key string) *apiError {
	if e, ok := m.Get(key); ok {
		return fixtureError(e)
	}
	return nil
}

func (s *Server) orgARN(kind, id string) string {
	o := s.idx.org
	return "arn:" + s.idx.partition + ":organizations::" + o.ManagementAccountID + ":" + kind + "/" + o.ID + "/" + id
}

func (s *Server) orgAccountJSON(a *accountState) orgAccount {
	return orgAccount{
		ID:              a.acct.ID,
		Arn:             s.orgARN("account", a.acct.ID),
		Email:           a.acct.Email,
		Name:            a.acct.Name,
		Status:          a.acct.Status,
		State:           a.acct.Status,
		JoinedMethod:    "CREATED",
		JoinedTimestamp: epoch(joinedAt()),
	}
}

func (s *Server) policyTypes() []string {
	seen := map[string]bool{}
	for _, p := range s.idx.org.Policies {
		seen[p.Type] = true
	}
	var out []string
	for _, t := range []string{inventory.ServiceControlPolicy, inventory.ResourceControlPolicy} {
		if seen[t] {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) orgDescribeOrganization(q *request, _ *orgInput) (any, *apiError) {
	o := s.idx.org
	if aerr := orgErr(o.Errors, "organization"); aerr != nil {
		return nil, aerr
	}
	mgmt := s.idx.accounts[o.ManagementAccountID]
	type policyType struct {
		Type   string `json:"Type"`
		Status string `json:"Status"`
	}
	var types []policyType
	for _, t := range s.policyTypes() {
		types = append(types, policyType{t, "ENABLED"})
	}
	return map[string]any{"Organization": map[string]any{
		"Id":                   o.ID,
		"Arn":                  "arn:" + s.idx.partition + ":organizations::" + o.ManagementAccountID + ":organization/" + o.ID,
		"FeatureSet":           "ALL",
		"MasterAccountArn":     s.orgARN("account", o.ManagementAccountID),
		"MasterAccountEmail":   mgmt.acct.Email,
		"MasterAccountId":      o.ManagementAccountID,
		"AvailablePolicyTypes": types,
	}}, nil
}

func (s *Server) orgListRoots(q *request, in *orgInput) (any, *apiError) {
	o := s.idx.org
	if aerr := orgErr(o.Errors, "roots"); aerr != nil {
		return nil, aerr
	}
	p, ok := s.paginate(1, "ListRoots", in.NextToken, intOr(in.MaxResults))
	if !ok {
		return nil, invalidOrgToken()
	}
	type policyType struct {
		Type   string `json:"Type"`
		Status string `json:"Status"`
	}
	var types []policyType
	for _, t := range s.policyTypes() {
		types = append(types, policyType{t, "ENABLED"})
	}
	roots := []map[string]any{}
	if p.start < p.end {
		roots = append(roots, map[string]any{
			"Id":          o.Root.ID,
			"Arn":         s.orgARN("root", o.Root.ID),
			"Name":        rootName(&o.Root),
			"PolicyTypes": types,
		})
	}
	return withToken(map[string]any{"Roots": roots}, p.next), nil
}

func rootName(r *inventory.OU) string {
	if r.Name == "" {
		return inventory.DefaultRootName
	}
	return r.Name
}

func intOr(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func withToken(m map[string]any, next string) map[string]any {
	if next != "" {
		m["NextToken"] = next
	}
	return m
}

func invalidOrgToken() *apiError {
	return errf("InvalidInputException", "The provided NextToken is not valid.")
}

// parent looks up a root or OU by ID for the *ForParent operations.
func (s *Server) parent(id string) (*ouState, *apiError) {
	if id == "" {
		return nil, errf("InvalidInputException", "You must specify a ParentId.")
	}
	if !strings.HasPrefix(id, "r-") && !strings.HasPrefix(id, "ou-") {
		return nil, errf("InvalidInputException", "You specified an invalid value for ParentId.")
	}
	p, ok := s.idx.ous[id]
	if !ok {
		return nil, errf("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
	}
	return p, nil
}

func (s *Server) orgListOUsForParent(q *request, in *orgInput) (any, *apiError) {
	parent, aerr := s.parent(in.ParentID)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := orgErr(parent.ou.Errors, "ous"); aerr != nil {
		return nil, aerr
	}
	children := parent.ou.OUs
	p, ok := s.paginate(len(children), "ListOUs/"+in.ParentID, in.NextToken, intOr(in.MaxResults))
	if !ok {
		return nil, invalidOrgToken()
	}
	ous := []map[string]string{}
	for _, c := range children[p.start:p.end] {
		ous = append(ous, map[string]string{"Id": c.ID, "Arn": s.orgARN("ou", c.ID), "Name": c.Name})
	}
	return withToken(map[string]any{"OrganizationalUnits": ous}, p.next), nil
}

func (s *Server) orgListAccounts(q *request, in *orgInput) (any, *apiError) {
	if aerr := orgErr(s.idx.org.Errors, "accounts"); aerr != nil {
		return nil, aerr
	}
	all := s.idx.orgAccounts()
	p, ok := s.paginate(len(all), "ListAccounts", in.NextToken, intOr(in.MaxResults))
	if !ok {
		return nil, invalidOrgToken()
	}
	accts := []orgAccount{}
	for _, a := range all[p.start:p.end] {
		accts = append(accts, s.orgAccountJSON(a))
	}
	return withToken(map[string]any{"Accounts": accts}, p.next), nil
}

func (s *Server) orgListAccountsForParent(q *request, in *orgInput) (any, *apiError) {
	parent, aerr := s.parent(in.ParentID)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := orgErr(parent.ou.Errors, "accounts"); aerr != nil {
		return nil, aerr
	}
	ids := parent.ou.Accounts
	p, ok := s.paginate(len(ids), "ListAccountsForParent/"+in.ParentID, in.NextToken, intOr(in.MaxResults))
	if !ok {
		return nil, invalidOrgToken()
	}
	accts := []orgAccount{}
	for _, id := range ids[p.start:p.end] {
		if a, ok := s.idx.accounts[id]; ok {
			accts = append(accts, s.orgAccountJSON(a))
		}
	}
	return withToken(map[string]any{"Accounts": accts}, p.next), nil
}

// policyTarget resolves a root, OU or account ID to its attached policy
// IDs and errors map. A target that lists no policies has FullAWSAccess
// attached when the organisation uses SCPs, as AWS attaches it to every
// new root, OU and account (inventory.TargetPolicies).
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
func (s *Server) policyTarget(id string) ([]string, inventory.Errors, bool) {
	if ou, ok := s.idx.ous[id]; ok {
		return inventory.TargetPolicies(ou.ou.Policies, ou.ou.Errors, s.idx.fullAWSAccess), ou.ou.Errors, true
	}
	if a, ok := s.idx.accounts[id]; ok {
		if _, placed := s.idx.parentOf[id]; placed {
			return inventory.TargetPolicies(a.acct.Policies, a.acct.Errors, s.idx.fullAWSAccess), a.acct.Errors, true
		}
	}
	return nil, nil, false
}

func (s *Server) policySummary(p *inventory.OrgPolicy) orgPolicySummary {
	kind := strings.ToLower(p.Type)
	arn := s.orgARN("policy", kind+"/"+p.ID)
	if p.AWSManaged {
		arn = "arn:" + s.idx.partition + ":organizations::aws:policy/" + kind + "/" + p.ID
	}
	return orgPolicySummary{ID: p.ID, Arn: arn, Name: p.Name, Description: p.Description, Type: p.Type, AwsManaged: p.AWSManaged}
}

func (s *Server) orgListPoliciesForTarget(q *request, in *orgInput) (any, *apiError) {
	if in.TargetID == "" {
		return nil, errf("InvalidInputException", "You must specify a TargetId.")
	}
	switch in.Filter {
	case "":
		return nil, errf("InvalidInputException", "You must specify a Filter.")
	case inventory.ServiceControlPolicy, inventory.ResourceControlPolicy, "TAG_POLICY", "BACKUP_POLICY",
		"AISERVICES_OPT_OUT_POLICY", "CHATBOT_POLICY", "DECLARATIVE_POLICY_EC2", "SECURITYHUB_POLICY":
	default:
		return nil, errf("InvalidInputException", "You specified an invalid value for Filter.")
	}
	ids, errs, ok := s.policyTarget(in.TargetID)
	if !ok {
		return nil, errf("TargetNotFoundException", "We can't find a root, OU, account, or email that matches the TargetId that you specified.")
	}
	if aerr := orgErr(errs, "policies"); aerr != nil {
		return nil, aerr
	}
	var matching []*inventory.OrgPolicy
	for _, id := range ids {
		if p := s.idx.policies[id]; p != nil && p.Type == in.Filter {
			matching = append(matching, p)
		}
	}
	pg, ok := s.paginate(len(matching), "ListPoliciesForTarget/"+in.TargetID+"/"+in.Filter, in.NextToken, intOr(in.MaxResults))
	if !ok {
		return nil, invalidOrgToken()
	}
	out := []orgPolicySummary{}
	for _, p := range matching[pg.start:pg.end] {
		out = append(out, s.policySummary(p))
	}
	return withToken(map[string]any{"Policies": out}, pg.next), nil
}

func (s *Server) orgDescribePolicy(q *request, in *orgInput) (any, *apiError) {
	if in.PolicyID == "" {
		return nil, errf("InvalidInputException", "You must specify a PolicyId.")
	}
	p := s.idx.policies[in.PolicyID]
	if p == nil {
		return nil, errf("PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
	}
	if aerr := orgErr(p.Errors, "document"); aerr != nil {
		return nil, aerr
	}
	return map[string]any{"Policy": map[string]any{
		"PolicySummary": s.policySummary(p),
		"Content":       p.Document.String(),
	}}, nil
}

func (s *Server) orgListParents(q *request, in *orgInput) (any, *apiError) {
	if in.ChildID == "" {
		return nil, errf("InvalidInputException", "You must specify a ChildId.")
	}
	parent, ok := s.idx.parentOf[in.ChildID]
	if !ok {
		return nil, errf("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
	}
	p, ok := s.paginate(1, "ListParents/"+in.ChildID, in.NextToken, intOr(in.MaxResults))
	if !ok {
		return nil, invalidOrgToken()
	}
	parents := []map[string]string{}
	if p.start < p.end {
		typ := "ORGANIZATIONAL_UNIT"
		if parent.isRoot {
			typ = "ROOT"
		}
		parents = append(parents, map[string]string{"Id": parent.ou.ID, "Type": typ})
	}
	return withToken(map[string]any{"Parents": parents}, p.next), nil
}

func (s *Server) orgListTagsForResource(q *request, in *orgInput) (any, *apiError) {
	id := in.ResourceID
	var tags map[string]string
	switch {
	case id == "":
		return nil, errf("InvalidInputException", "You must specify a ResourceId.")
	case s.idx.ous[id] != nil, s.idx.policies[id] != nil:
	default:
		a, ok := s.idx.accounts[id]
		if _, placed := s.idx.parentOf[id]; !ok || !placed {
			return nil, errf("TargetNotFoundException", "We can't find a root, OU, account, or email that matches the TargetId that you specified.")
		}
		if aerr := orgErr(a.acct.Errors, "tags"); aerr != nil {
			return nil, aerr
		}
		tags = a.acct.Tags
	}
	keys := slices.Sorted(maps.Keys(tags))
	p, ok := s.paginate(len(keys), "ListTagsForResource/"+id, in.NextToken, intOr(in.MaxResults))
	if !ok {
		return nil, invalidOrgToken()
	}
	out := []orgTag{}
	for _, k := range keys[p.start:p.end] {
		out = append(out, orgTag{k, tags[k]})
	}
	return withToken(map[string]any{"Tags": out}, p.next), nil
}

func (s *Server) orgDescribeAccount(q *request, in *orgInput) (any, *apiError) {
	a, ok := s.idx.accounts[in.AccountID]
	if _, placed := s.idx.parentOf[in.AccountID]; !ok || !placed {
		return nil, errf("AccountNotFoundException", "We can't find an AWS account with the AccountId that you specified, or the account whose credentials you used to make this request isn't a member of an organization.")
	}
	return map[string]any{"Account": s.orgAccountJSON(a)}, nil
}
