package access

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// Index is an inventory document prepared for evaluation: the organisation's
// policies parsed once, each account's SCP and RCP chain, canonical IDs,
// KMS keys and VPC endpoints by identifier. It is read-only after NewIndex
// and safe for concurrent use. Both the access matrix and `explain` decide
// requests through it.
type Index struct {
	Doc *inventory.Document
	// OrgID is the organisation's ID ("" when the document has none).
	OrgID string
	// ManagementAccount is the management account's ID.
	ManagementAccount string
	// partition is the document's partition (of its first bucket region or
	// KMS key ARN; "aws" without either): an organisation lives in one.
	partition string
	// partitionKnown: partition was read from a bucket's region or a key's
	// ARN (else it is the default, until an account indexed later tells).
	partitionKnown bool

	accounts    map[string]*inventory.Account
	accountIDs  []string // sorted
	placement   map[string]*accountPlacement
	canonical   map[string]string // canonical user ID → account ID
	keys        map[string]*inventory.KMSKey
	keyParsed   map[string]*policy.Policy // key ARN → parsed (or Unreadable) key policy
	keyGrants   map[string]*policy.Policy // key ARN → its grants as Input.Grants
	aliases     map[string]string         // alias ARN → key ARN
	endpoints   map[string]*endpointInfo
	vpceTexts   map[string]*policy.Policy // the endpoints' policies parsed, by text (parseShared)
	scpEnabled  bool
	rcpEnabled  bool
	orgPolicies map[string]*orgPolicyInfo
	// orgUnread is why the organisation could not be read (scan error), when
	// the document has none: then no account's SCPs and RCPs are known.
	orgUnread inventory.FetchError
	assumed   map[string][]*policy.Policy // matrix action → assumed identity policies
	chains    chainCache
	ctxBases  ctxBases
	iam       iamCache
	assume    *assumeCache // the assume-role graph (AssumeGraph)
	// Problems are errors met while preparing the index (org policies that
	// do not parse, accounts missing from the OU tree), reported as data.
	Problems []model.Error
}

// orgPolicyInfo is one parsed SCP or RCP.
type orgPolicyInfo struct {
	src    *inventory.OrgPolicy
	parsed *policy.Policy
}

// accountPlacement is where an account sits in the OU tree.
type accountPlacement struct {
	// levels are the OUs from the root to the account's parent.
	levels []*inventory.OU
	// orgPaths is the aws:PrincipalOrgPaths value of the account.
	orgPath string
	ouPath  string
}

// endpointInfo is a collected VPC endpoint and its parsed policy.
type endpointInfo struct {
	ep      *inventory.VPCEndpoint
	account string
	policy  *policy.Policy
	// keys are the request-context keys of a request through the
	// endpoint (endpointKeys), set over the caller's context; policies
	// is the list of its one policy (as Input.VPCEndpointPolicies).
	keys     *policy.Context
	policies []*policy.Policy
	one      [1]*policy.Policy // policies' room
	// step names its evaluation in traces; cond is the condition of a
	// request through it ("aws:SourceVpce = <id>").
	step string
	cond cond
}

// endpointKeys returns the context keys a request through endpoint ep
// has: aws:SourceVpce, aws:SourceVpc (when known), and no aws:SourceIp
// (requests through an endpoint carry a private aws:VpcSourceIp instead).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
func endpointKeys(ep *inventory.VPCEndpoint) *policy.Context {
	ctx := policy.NewContext()
	ctx.Set("aws:SourceVpce", ep.ID)
	if ep.VPCID != "" {
		ctx.Set("aws:SourceVpc", ep.VPCID)
	}
	ctx.SetAbsent("aws:SourceIp")
	return ctx
}

// NewIndex prepares doc for evaluation. It first fills in the fixture
// defaults (inventory.ApplyDefaults, a no-op on a scan's snapshot), so doc
// is modified. Problems met (a policy that does not parse, an account
// outside the OU tree) are recorded in Problems and turn the affected layer
// into an unreadable one; they never fail the index.
func NewIndex(doc *inventory.Document) *Index {
	inventory.ApplyDefaults(doc)
	ix := &Index{
		assumed:     assumedIdentityPolicies(),
		assume:      &assumeCache{},
		Doc:         doc,
		accounts:    make(map[string]*inventory.Account, len(doc.Accounts)),
		placement:   map[string]*accountPlacement{},
		canonical:   map[string]string{},
		keys:        map[string]*inventory.KMSKey{},
		keyParsed:   map[string]*policy.Policy{},
		keyGrants:   map[string]*policy.Policy{},
		aliases:     map[string]string{},
		endpoints:   map[string]*endpointInfo{},
		vpceTexts:   map[string]*policy.Policy{},
		orgPolicies: map[string]*orgPolicyInfo{},
	}
	for i := range doc.Accounts {
		a := &doc.Accounts[i]
		ix.accountIDs = append(ix.accountIDs, a.ID)
		ix.indexAccount(a)
	}
	sort.Strings(ix.accountIDs)
	if !ix.partitionKnown {
		ix.partition = awsid.AWS
	}
	if doc.Organization == nil && doc.Scan != nil {
		ix.orgUnread = doc.Scan.Errors[inventory.FieldOrganization]
	}
	if org := doc.Organization; org != nil {
		ix.OrgID = org.ID
		ix.ManagementAccount = org.ManagementAccountID
		for i := range org.Policies {
			op := &org.Policies[i]
			info := &orgPolicyInfo{src: op}
			kind := "SCP"
			switch op.Type {
			case inventory.ServiceControlPolicy:
				ix.scpEnabled = true
			case inventory.ResourceControlPolicy:
				ix.rcpEnabled = true
				kind = "RCP"
			}
			name := fmt.Sprintf("%s %s", kind, op.ID)
			if op.Name != "" {
				name += " (" + op.Name + ")"
			}
			origin := &policy.Origin{Kind: kind, ID: op.ID, Name: op.Name}
			switch {
			case op.Document == nil:
				reason := "not read"
				if e, ok := op.Errors.Get(inventory.KeyDocument); ok {
					reason = "not read: " + e.String()
				}
				info.parsed = policy.Unreadable(name + " (" + reason + ")")
				info.parsed.Origin = origin
			default:
				p, err := policy.Parse(op.Document.Raw())
				if err != nil {
					info.parsed = policy.Unreadable(name + " (does not parse)")
					info.parsed.Origin = origin
					ix.Problems = append(ix.Problems, model.Error{Field: "organization.policies." + op.ID, Operation: "organizations:DescribePolicy", Code: "InvalidPolicy", Message: err.Error()})
				} else {
					p.Name, p.Origin = name, origin
					info.parsed = p
				}
			}
			ix.orgPolicies[op.ID] = info
		}
		if org.Errors.Has(inventory.KeyPolicies) {
			// The organisation's policies could not be listed: SCPs and RCPs
			// may exist that we cannot see.
			ix.scpEnabled, ix.rcpEnabled = true, true
		}
		ix.walk(&org.Root, nil, org.ID+"/"+org.Root.ID+"/", "")
	}
	return ix
}

// indexAccount records account a (its canonical ID, KMS keys and VPC
// endpoints) in the index, in place of what the index held for its ID.
func (ix *Index) indexAccount(a *inventory.Account) {
	ix.accounts[a.ID] = a
	// The assume-role graph is of the accounts indexed: built again when
	// asked after this one.
	ix.assume = &assumeCache{}
	if a.CanonicalID != "" {
		ix.canonical[a.CanonicalID] = a.ID
	}
	for b := range a.Buckets {
		if !ix.partitionKnown && a.Buckets[b].Region != "" {
			ix.partition, ix.partitionKnown = awsid.PartitionOf(a.Buckets[b].Region), true
		}
	}
	// The keys of an account (one per region, often) mostly have the same
	// policy: each text is parsed once (texts; none kept for one key).
	// Endpoints, of every account, mostly have the same policy, which names
	// no account: parsed once in the index (vpceTexts).
	var texts map[string]*policy.Policy
	if len(a.KMSKeys) > 1 {
		texts = make(map[string]*policy.Policy, 1)
	}
	for k := range a.KMSKeys {
		key := &a.KMSKeys[k]
		if !ix.partitionKnown {
			if p := awsid.PartitionOfARN(key.ARN); p != "" {
				ix.partition, ix.partitionKnown = p, true
			}
		}
		ix.keys[key.ARN] = key
		ix.keyParsed[key.ARN] = ix.parseKeyPolicy(a.ID, key, texts)
		if g, err := keyGrantsPolicy(key.ARN, key.Grants, key.Errors[inventory.KeyGrants]); err != nil {
			ix.Problems = append(ix.Problems, model.Error{AccountID: a.ID, Field: "kms_keys." + key.ARN + ".grants", Operation: "kms:ListGrants", Code: "InvalidGrant", Message: err.Error()})
			ix.keyGrants[key.ARN] = policy.Unreadable("grants of KMS key " + key.ARN + " (could not be evaluated)")
		} else if g != nil {
			ix.keyGrants[key.ARN] = g
		}
		region := arnRegion(key.ARN)
		for _, al := range key.Aliases {
			ix.aliases[aliasARN(al, region, a.ID)] = key.ARN
		}
	}
	for e := range a.VPCEndpoints {
		ep := &a.VPCEndpoints[e]
		info := &endpointInfo{ep: ep, account: a.ID, keys: endpointKeys(ep), step: "vpce " + ep.ID,
			cond: reqCond(policy.Requirement{Key: "aws:SourceVpce", Operator: "StringEquals", Values: []string{ep.ID}})}
		name := "VPC endpoint policy of " + ep.ID
		if ep.Policy == nil {
			info.policy = policy.Unreadable(name + " (not collected)")
		} else if p, err := parseShared(ix.vpceTexts, ep.Policy.Raw()); err != nil {
			info.policy = policy.Unreadable(name + " (does not parse)")
			ix.Problems = append(ix.Problems, model.Error{AccountID: a.ID, Field: "vpc_endpoints." + ep.ID + ".policy", Operation: "ec2:DescribeVpcEndpoints", Code: "InvalidPolicy", Message: err.Error()})
		} else {
			p.Name = name
			info.policy = p
		}
		info.one[0] = info.policy
		info.policies = info.one[:]
		ix.endpoints[ep.ID] = info
	}
}

// assumedIdentityPolicies builds, per matrix action, the identity policy the
// matrix assumes every caller has: it grants the S3 action and the KMS
// action S3 needs for it. "" grants every S3 action (for other requests).
func assumedIdentityPolicies() map[string][]*policy.Policy {
	out := map[string][]*policy.Policy{}
	add := func(key string, actions ...string) {
		text := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"AssumedIdentityGrant","Effect":"Allow","Action":["%s"],"Resource":"*"}]}`, strings.Join(actions, `","`))
		p, err := policy.Parse([]byte(text))
		if err != nil {
			panic("access: assumed identity policy does not parse: " + err.Error()) // a constant policy
		}
		p.Name = "the caller's identity policy (assumed)"
		out[key] = []*policy.Policy{p}
	}
	for _, a := range MatrixActions() {
		if k := KMSActionFor(a); k != "" {
			add(a, a, k)
		} else {
			add(a, a)
		}
	}
	add(ActionPutBucketACL, ActionPutBucketACL) // the manage column's second action
	add("", "s3:*", "kms:Decrypt", "kms:GenerateDataKey")
	return out
}

// parseKeyPolicy parses a collected key's policy (once per text, in
// texts); a policy that was not read or does not parse becomes Unreadable.
func (ix *Index) parseKeyPolicy(account string, k *inventory.KMSKey, texts map[string]*policy.Policy) *policy.Policy {
	name := "key policy of " + k.ARN
	if e, ok := k.Errors.Get(inventory.KeyDescribeKey); k.Policy == nil && ok && !k.Errors.Has(inventory.KeyKeyPolicy) {
		return policy.Unreadable(name + " (not read: kms:DescribeKey failed: " + errorCode(e) + ")")
	}
	if k.Policy == nil {
		return policy.Unreadable(name + " (not read: " + errorCode(k.Errors[inventory.KeyKeyPolicy]) + ")")
	}
	p, err := parseShared(texts, k.Policy.Raw())
	if err != nil {
		ix.Problems = append(ix.Problems, model.Error{AccountID: account, Field: "kms_keys." + k.ARN + ".policy", Operation: "kms:GetKeyPolicy", Code: "InvalidPolicy", Message: err.Error()})
		return policy.Unreadable(name + " (does not parse)")
	}
	p.Name = name
	return p
}

// walk records the placement of every account under ou.
func (ix *Index) walk(ou *inventory.OU, parents []*inventory.OU, orgPath, ouPath string) {
	levels := append(append([]*inventory.OU(nil), parents...), ou)
	name := ou.Name
	if name == "" {
		if len(parents) == 0 {
			name = "Root"
		} else {
			name = ou.ID
		}
	}
	if ouPath == "" {
		ouPath = name
	} else {
		ouPath += "/" + name
	}
	pls := make([]accountPlacement, len(ou.Accounts)) // the OU's, in one allocation
	for i, id := range ou.Accounts {
		pls[i] = accountPlacement{levels: levels, orgPath: orgPath, ouPath: ouPath}
		ix.placement[id] = &pls[i]
	}
	for i := range ou.OUs {
		child := &ou.OUs[i]
		ix.walk(child, levels, orgPath+child.ID+"/", ouPath)
	}
}

// Account returns the account with id, or nil.
func (ix *Index) Account(id string) *inventory.Account { return ix.accounts[id] }

// AccountIDs returns the IDs of every account in the document, sorted.
func (ix *Index) AccountIDs() []string { return ix.accountIDs }

// InOrg reports whether account id is a member of the organisation.
func (ix *Index) InOrg(id string) bool {
	if ix.OrgID == "" {
		return false
	}
	if _, ok := ix.placement[id]; ok {
		return true
	}
	return id == ix.ManagementAccount
}

// IsManagement reports whether id is the organisation's management account.
func (ix *Index) IsManagement(id string) bool {
	return ix.OrgID != "" && id == ix.ManagementAccount
}

// OUPath returns the account's OU path ("Root/Workloads/Prod"), preferring
// what the snapshot recorded.
func (ix *Index) OUPath(id string) string {
	if a := ix.accounts[id]; a != nil && a.OUPath != "" {
		return a.OUPath
	}
	if p := ix.placement[id]; p != nil {
		return p.ouPath
	}
	return ""
}

// OrgPath returns the account's aws:PrincipalOrgPaths value
// ("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"), or "" when unknown.
func (ix *Index) OrgPath(id string) string {
	if p := ix.placement[id]; p != nil {
		return p.orgPath
	}
	return ""
}

// AccountByCanonicalID maps an S3 canonical user ID to an account of the
// document.
func (ix *Index) AccountByCanonicalID(canonicalID string) (string, bool) {
	id, ok := ix.canonical[canonicalID]
	return id, ok
}

// MemberOf says which organisation account id belongs to: the document's
// (TriTrue when id is one of its accounts), or, in a document without an
// organization section, what the account itself said (Account.Membership;
// TriUnknown when that could not be read).
func (ix *Index) MemberOf(id string) (orgID string, member Tri) {
	if ix.OrgID != "" {
		return ix.OrgID, triOf(ix.InOrg(id))
	}
	a := ix.accounts[id]
	switch {
	case a == nil:
		return "", TriFalse
	case a.Membership != nil && a.Membership.Standalone:
		return "", TriFalse
	case a.Membership != nil:
		return a.Membership.OrganizationID, TriTrue
	case a.Errors.Has(inventory.FieldOrganization) || !ix.orgUnread.IsZero():
		return "", TriUnknown
	}
	return "", TriFalse // a document that says nothing of organisations: standalone accounts
}

// ChainUnknown says why the SCPs and RCPs that govern account id are
// unknown in a document without an organization section: the organisation
// could not be read, or the account belongs to one that was not read (a
// scan of an accounts: list). "" when they are known: from the document's
// organisation, or because none applies (a standalone account, the
// management account, a document that says nothing of organisations).
func (ix *Index) ChainUnknown(id string) string {
	if ix.OrgID != "" {
		return ""
	}
	a := ix.accounts[id]
	switch {
	case a == nil:
		return "" // an account outside the document: outside any organisation we know of
	case a.Membership != nil && (a.Membership.Standalone || a.Membership.ManagementAccountID == id):
		return "" // standalone, or the management account: SCPs and RCPs do not apply
	case a.Errors.Has(inventory.FieldOrganization):
		return "not read: " + errorCode(a.Errors[inventory.FieldOrganization])
	case a.Membership != nil:
		return "organization " + a.Membership.OrganizationID + " was not read"
	case !ix.orgUnread.IsZero():
		return "not read: the organization could not be read: " + errorCode(ix.orgUnread)
	}
	return ""
}

// othersUnknown says why the other member accounts of owner's organisation
// (the org class) are unknown in a document without an organization
// section; "" when the account belongs to no organisation as far as the
// document says.
func (ix *Index) othersUnknown(owner string) string {
	if ix.OrgID != "" {
		return ""
	}
	a := ix.accounts[owner]
	switch {
	case a == nil, a.Membership != nil && a.Membership.Standalone:
		return ""
	case a.Membership != nil:
		return "organization " + a.Membership.OrganizationID + " was not read"
	case a.Errors.Has(inventory.FieldOrganization):
		return "the account's organization could not be read: " + errorCode(a.Errors[inventory.FieldOrganization])
	case !ix.orgUnread.IsZero():
		return "the organization could not be read: " + errorCode(ix.orgUnread)
	}
	return ""
}

// unknownChain is a chain that could not be read, named name.
func unknownChain(name string) Chain {
	return Chain{Levels: [][]*policy.Policy{{policy.Unreadable(name)}}, Key: "?" + name, Governed: true, Incomplete: []string{name}}
}

// Chain is the SCPs or RCPs that govern a principal or resource: one list
// per level, root first, the account itself last. Key identifies the
// chain (accounts with equal keys are governed identically).
type Chain struct {
	Levels [][]*policy.Policy
	Key    string
	// Governed is false when no policy of this type applies (management
	// account, no organisation, policy type not in use).
	Governed bool
	// Incomplete names what could not be read, if anything.
	Incomplete []string
}

// SCPs returns the SCP chain that governs principals of account id.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html
func (ix *Index) SCPs(id string) Chain {
	return ix.chains.get(id, false, func() Chain { return ix.chain(id, inventory.ServiceControlPolicy, ix.scpEnabled) })
}

// RCPs returns the RCP chain that governs resources of account id.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
func (ix *Index) RCPs(id string) Chain {
	return ix.chains.get(id, true, func() Chain { return ix.chain(id, inventory.ResourceControlPolicy, ix.rcpEnabled) })
}

// chainCache holds the chains computed, by account and type: every bucket
// of an account, and every KMS call on its keys, needs the same ones. The
// accounts of an OU that have the same policies have the same chains,
// computed once for them (byOU).
type chainCache struct {
	mu   sync.RWMutex
	m    map[chainKey]Chain
	byOU map[ouChainKey]Chain
}

type chainKey struct {
	account string
	rcp     bool
}

// ouChainKey is the key of the chain of the accounts placed under ou (the
// last of their levels) whose own policies are pols (their IDs, in order,
// joined by NULs) and could all be read: nothing of such a chain names the
// account.
type ouChainKey struct {
	ou   *inventory.OU
	pols string
	rcp  bool
}

// ouChain returns the chain of key k, if computed.
func (c *chainCache) ouChain(k ouChainKey) (Chain, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ch, ok := c.byOU[k]
	return ch, ok
}

// setOUChain records the chain of key k.
func (c *chainCache) setOUChain(k ouChainKey, ch Chain) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byOU == nil {
		c.byOU = map[ouChainKey]Chain{}
	}
	c.byOU[k] = ch
}

func (c *chainCache) get(account string, rcp bool, compute func() Chain) Chain {
	k := chainKey{account, rcp}
	c.mu.RLock()
	ch, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return ch
	}
	ch = compute()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[chainKey]Chain{}
	}
	c.m[k] = ch
	return ch
}

func (ix *Index) chain(id, typ string, enabled bool) Chain {
	kind := "SCPs"
	if typ == inventory.ResourceControlPolicy {
		kind = "RCPs"
	}
	if ix.OrgID == "" {
		// No organisation in the document: none applies, unless the account
		// belongs to one that was not read.
		if why := ix.ChainUnknown(id); why != "" {
			return unknownChain(fmt.Sprintf("%s of account %s (%s)", kind, id, why))
		}
		return Chain{Key: "-"}
	}
	if !enabled || ix.IsManagement(id) {
		return Chain{Key: "-"}
	}
	pl := ix.placement[id]
	if pl == nil {
		// A member we cannot place: its chain is unknown.
		return unknownChain(fmt.Sprintf("%s of account %s (not found in the OU tree)", kind, id))
	}
	// The chain of an account whose own level names nothing that could not
	// be read is its OU's with its policies (the names below name the
	// account only for what could not be read): one for all such accounts.
	a := ix.accounts[id]
	var ouKey ouChainKey
	byOU := a != nil && !a.Errors.Has(inventory.KeyPolicies) && ix.allCollected(a.Policies)
	if byOU {
		ouKey = ouChainKey{ou: pl.levels[len(pl.levels)-1], pols: strings.Join(a.Policies, "\x00"), rcp: typ == inventory.ResourceControlPolicy}
		if c, ok := ix.chains.ouChain(ouKey); ok {
			return c
		}
	}
	var c Chain
	c.Governed = true
	c.Levels = make([][]*policy.Policy, 0, len(pl.levels)+1)
	var key strings.Builder
	// where names the level, only for the names of what could not be read.
	add := func(where func() string, ids []string, errs inventory.Errors) {
		var level []*policy.Policy
		var idsOfType []string
		if e, ok := errs.Get(inventory.KeyPolicies); ok {
			name := fmt.Sprintf("%s attached to %s (not read: %s)", kind, where(), e)
			level = append(level, policy.Unreadable(name))
			c.Incomplete = append(c.Incomplete, name)
			idsOfType = append(idsOfType, "?")
		}
		for _, pid := range ids {
			info := ix.orgPolicies[pid]
			if info == nil {
				name := fmt.Sprintf("policy %s attached to %s (not collected)", pid, where())
				level = append(level, policy.Unreadable(name))
				c.Incomplete = append(c.Incomplete, name)
				idsOfType = append(idsOfType, pid)
				continue
			}
			if info.src.Type != typ {
				continue
			}
			if info.parsed.IsUnreadable() {
				c.Incomplete = append(c.Incomplete, info.parsed.Name)
			}
			level = append(level, info.parsed)
			idsOfType = append(idsOfType, pid)
		}
		c.Levels = append(c.Levels, level)
		if levelAllowsEverything(level) {
			return // a level that allows everything decides nothing: not part of the key
		}
		sort.Strings(idsOfType)
		key.WriteString(strings.Join(idsOfType, ","))
		key.WriteByte('|')
	}
	for i, ou := range pl.levels {
		add(func() string {
			where := "OU " + ou.ID
			if i == 0 {
				where = "root " + ou.ID
			}
			if ou.Name != "" {
				where += " (" + ou.Name + ")"
			}
			return where
		}, ou.Policies, ou.Errors)
	}
	org := ix.Doc.Organization
	account := func() string { return "account " + id }
	if a != nil {
		add(account, a.Policies, a.Errors)
	} else if pols, ok := org.AccountPolicies[id]; ok {
		add(account, pols, nil) // a member the scan's scope left out
	} else if e, ok := org.Errors.Get(inventory.AccountPoliciesErrorKey(id)); ok {
		add(account, nil, inventory.Errors{inventory.KeyPolicies: e})
	} else {
		add(account, nil, inventory.Errors{inventory.KeyPolicies: inventory.ParseFetchError("account not in the snapshot")})
	}
	c.Key = key.String()
	if byOU {
		ix.chains.setOUChain(ouKey, c)
	}
	return c
}

// allCollected reports whether every organisation policy of ids was
// collected.
func (ix *Index) allCollected(ids []string) bool {
	for _, id := range ids {
		if ix.orgPolicies[id] == nil {
			return false
		}
	}
	return true
}

// levelAllowsEverything reports whether an SCP or RCP level allows every
// request: no Deny statement in any of its policies, and one unconditional
// Allow of every action on every resource (FullAWSAccess). Such a level
// never changes a decision, so chains that differ only by such levels
// govern alike (the key that groups member accounts leaves them out).
func levelAllowsEverything(level []*policy.Policy) bool {
	all := false
	for _, p := range level {
		if p.IsUnreadable() || hasDeny(p) {
			return false
		}
		for i := range p.Statements {
			st := &p.Statements[i]
			if strings.EqualFold(st.Effect, "Allow") && len(st.Conditions) == 0 && len(st.NotAction) == 0 && len(st.NotResource) == 0 &&
				slices.Contains(st.Action, "*") && (st.Resource == nil || slices.Contains(st.Resource, "*")) && principalAll(st) {
				all = true
			}
		}
	}
	return all
}

// principalAll reports whether a statement applies to every principal (an
// SCP has no Principal; an RCP's is "*").
func principalAll(st *policy.Statement) bool {
	return st.NotPrincipal == nil && (st.Principal == nil || st.Principal.Wildcard)
}

// KeyRef is the KMS key a bucket's default encryption names, resolved
// against the snapshot.
type KeyRef struct {
	// Configured is the key as the bucket names it (ARN, key ID or alias).
	Configured string
	// ARN is the key ARN when it could be resolved.
	ARN string
	// Account owns the key ("" when unknown).
	Account string
	// Key is the collected key, nil when not collected.
	Key *inventory.KMSKey
	// AWSManaged is true for the AWS managed aws/s3 key.
	AWSManaged bool
}

// ResolveKey resolves the KMS key that bucket b of account owner names.
// An empty key ID with SSE-KMS means the account's aws/s3 key.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
func (ix *Index) ResolveKey(owner, region, configured string) KeyRef {
	ref := KeyRef{Configured: configured}
	if configured == "" || configured == "alias/aws/s3" || strings.HasSuffix(configured, ":alias/aws/s3") {
		ref.AWSManaged = true
		ref.Account = owner
		if configured != "" && strings.HasPrefix(configured, "arn:") {
			ref.Account = arnAccount(configured)
		}
		if arn, ok := ix.aliases[aliasARN("alias/aws/s3", region, ref.Account)]; ok {
			ref.ARN, ref.Key = arn, ix.keys[arn]
		}
		return ref
	}
	switch {
	case strings.HasPrefix(configured, "arn:") && strings.Contains(configured, ":key/"):
		ref.ARN = configured
		ref.Account = arnAccount(configured)
	case strings.HasPrefix(configured, "arn:") && strings.Contains(configured, ":alias/"):
		ref.Account = arnAccount(configured)
		ref.ARN = ix.aliases[configured]
	case strings.HasPrefix(configured, "alias/"):
		ref.Account = owner
		ref.ARN = ix.aliases[aliasARN(configured, region, owner)]
	default: // a bare key ID: the bucket's account and region
		ref.Account = owner
		ref.ARN = awsid.KMSKey(region, owner, configured)
	}
	if ref.ARN != "" {
		ref.Key = ix.keys[ref.ARN]
	}
	if ref.Key != nil {
		ref.AWSManaged = ref.Key.Manager == inventory.KeyManagerAWS
	}
	return ref
}

// Endpoint returns the collected VPC endpoint with id and its parsed
// policy (Unreadable when it was not collected with one).
func (ix *Index) Endpoint(id string) (*inventory.VPCEndpoint, *policy.Policy, bool) {
	e := ix.endpoints[id]
	if e == nil {
		return nil, nil, false
	}
	return e.ep, e.policy, true
}

// aliasARN returns the alias's ARN in region and account.
func aliasARN(alias, region, account string) string {
	if strings.HasPrefix(alias, "arn:") {
		return alias
	}
	return awsid.KMSAlias(region, account, alias)
}

// arnAccount returns the account field of an ARN.
func arnAccount(arn string) string {
	f, _ := awsid.Fields(arn) // "" when not six fields
	return f[4]
}

// arnRegion returns the region field of an ARN.
func arnRegion(arn string) string {
	f, _ := awsid.Fields(arn) // "" when not six fields
	return f[3]
}
