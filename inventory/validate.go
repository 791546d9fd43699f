package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
)

// Identifier formats, from the AWS API references (Organizations, IAM, S3,
// KMS, EC2). Policy IDs are accepted a little more loosely than AWS
// (p-[0-9a-zA-Z_]{8,128}) so fixtures can use readable IDs.
var (
	orgIDRe       = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	rootIDRe      = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	ouIDRe        = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	policyIDRe    = regexp.MustCompile(`^p-[0-9a-zA-Z_-]{1,128}$`)
	regionRe      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	bucketNameRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	kmsKeyARNRe   = regexp.MustCompile(`^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key/([A-Za-z0-9-]+)$`)
	kmsAliasRe    = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]{1,250}$`)
	kmsKeyRefRe   = regexp.MustCompile(`^([A-Za-z0-9-]+|alias/[a-zA-Z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/[A-Za-z0-9-]+|alias/[a-zA-Z0-9/_-]+))$`)
	iamARNRe      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}|aws):(role|user|group|policy)(/[\x21-\x7e]*)?/([\w+=,.@-]+)$`)
	roleNameRe    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	iamPathRe     = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)
	vpceIDRe      = regexp.MustCompile(`^vpce-[0-9a-zA-Z]{1,32}$`)
	vpcIDRe       = regexp.MustCompile(`^vpc-[0-9a-zA-Z]{1,32}$`)
	canonicalIDRe = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// faultServices() are the services fakeaws emulates.
func faultServices() []string {
	return []string{"ec2", "iam", "kms", "organizations", "s3", "s3control", "sts"}
}

// Known enumerations.

func ownerships() []string {
	return []string{OwnershipBucketOwnerEnforced, OwnershipBucketOwnerPreferred, OwnershipObjectWriter, OwnershipNone}
}

func algorithms() []string {
	return []string{AlgorithmAES256, AlgorithmKMS, AlgorithmKMSDSSE, AlgorithmNone}
}

func versionings() []string { return []string{"Enabled", "Suspended"} }

func accountStates() []string { return []string{AccountActive, AccountSuspended, "PENDING_CLOSURE"} }

func keyManagers() []string { return []string{KeyManagerCustomer, KeyManagerAWS} }

func keyStates() []string {
	return []string{"Creating", "Enabled", "Disabled", "PendingDeletion", "PendingImport", "PendingReplicaDeletion", "Unavailable", "Updating"}
}

func granteeTypes() []string { return []string{GranteeCanonicalUser, GranteeGroup, GranteeEmail} }

func permissions() []string {
	return []string{PermRead, PermWrite, PermReadACP, PermWriteACP, PermFullControl}
}

func endpointTypes() []string { return []string{"Gateway", "Interface", "GatewayLoadBalancer"} }

func policyTypes() []string { return []string{ServiceControlPolicy, ResourceControlPolicy} }

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// validator collects problems.
type validator struct {
	problems []Problem
	// notListed completes "account X is not listed in accounts" (snapshots
	// may list it in scan.excluded_accounts instead).
	notListed string
	// fixture is true for a document without a scan section.
	fixture bool
	// scps are the IDs of the organisation's service control policies.
	scps map[string]bool
}

func (v *validator) addf(path, format string, a ...any) {
	v.problems = append(v.problems, Problem{Path: path, Message: fmt.Sprintf(format, a...)})
}

func (v *validator) enum(path, value string, allowed []string) {
	if !oneOf(value, allowed) {
		v.addf(path, "%q is not one of %s", value, strings.Join(allowed, ", "))
	}
}

func (v *validator) match(path, value string, re *regexp.Regexp, what string) bool {
	return v.matchFunc(path, value, re.MatchString, what)
}

// matchFunc is match with a check function instead of a pattern.
func (v *validator) matchFunc(path, value string, valid func(string) bool, what string) bool {
	if value == "" {
		v.addf(path, "required (%s)", what)
		return false
	}
	if !valid(value) {
		v.addf(path, "%q is not a valid %s", value, what)
		return false
	}
	return true
}

func (v *validator) region(path, value string) {
	v.match(path, value, regionRe, "AWS region (e.g. eu-west-1)")
}

// policy checks that a policy document is a JSON object.
func (v *validator) policy(path string, d *PolicyDocument) {
	if d == nil {
		return
	}
	if err := checkPolicyJSON(d.Raw()); err != nil {
		v.addf(path, "%v", err)
	}
}

// checkPolicyJSON reports whether text is one JSON object, naming the line
// and column of a syntax error.
func checkPolicyJSON(text []byte) error {
	trimmed := bytes.TrimSpace(text)
	if len(trimmed) == 0 {
		return errors.New("empty policy document")
	}
	if trimmed[0] == '{' && json.Valid(trimmed) {
		return nil // the common case, without decoding
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(text))
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("malformed policy JSON: %w", describeJSONError(text, err))
	}
	if dec.More() {
		off := dec.InputOffset()
		line, col := lineCol(text, off)
		return fmt.Errorf("malformed policy JSON: line %d, column %d: unexpected data after the policy", line, col)
	}
	if _, ok := v.(map[string]any); !ok {
		return fmt.Errorf("policy document must be a JSON object, got %s", describe(v))
	}
	return nil
}

func (v *validator) errorsMap(path string, m Errors) {
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		if k == "" {
			v.addf(path, "empty key")
		}
		if strings.TrimSpace(m.Text(k)) == "" {
			v.addf(joinKey(path, k), "empty error text (want \"Code: message\")")
		}
	}
}

func (v *validator) tags(path string, m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k == "" || len(k) > 128 {
			v.addf(joinKey(path, k), "a tag key must have 1 to 128 characters")
		}
		if len(m[k]) > 256 {
			v.addf(joinKey(path, k), "a tag value must have at most 256 characters")
		}
	}
}

// Validate reports every problem of the document at once, each naming its
// path (accounts[2].buckets[0].policy: ...).
func (d *Document) Validate() error {
	if d == nil {
		return errors.New("nil document")
	}
	v := &validator{fixture: d.Scan == nil}
	if d.Scan != nil {
		v.notListed = " (nor in scan.excluded_accounts)"
	}
	if d.SchemaVersion != SchemaVersion {
		v.addf("schema_version", "must be %d, got %d", SchemaVersion, d.SchemaVersion)
	}
	if d.Scan != nil {
		v.errorsMap("scan.errors", d.Scan.Errors)
		for id := range d.Scan.TrustedAccounts {
			if !awsid.IsAccountID(id) {
				v.addf(joinKey("scan.trusted_accounts", id), "not a 12-digit account ID")
			}
		}
		for i, r := range d.Scan.Regions {
			v.region(fmt.Sprintf("scan.regions[%d]", i), r)
		}
	}
	accountIdx := map[string]int{}
	for i, a := range d.Accounts {
		path := fmt.Sprintf("accounts[%d].id", i)
		if !v.matchFunc(path, a.ID, awsid.IsAccountID, "12-digit account ID") {
			continue
		}
		if j, dup := accountIdx[a.ID]; dup {
			v.addf(path, "duplicate account ID %s (also accounts[%d])", a.ID, j)
			continue
		}
		accountIdx[a.ID] = i
	}
	excluded := v.excludedAccounts(d, accountIdx)
	v.shard(d, accountIdx)
	policyIDs := map[string]bool{}
	if d.Organization != nil {
		policyIDs = v.organization(d.Organization, accountIdx, excluded, d.Accounts)
	}
	buckets := map[string]string{}
	for i := range d.Accounts {
		v.account(fmt.Sprintf("accounts[%d]", i), &d.Accounts[i], buckets, policyIDs, d.Organization != nil)
	}
	if d.Faults != nil {
		v.faults(d.Faults)
	}
	if len(v.problems) > 0 {
		return &ValidationError{Problems: v.problems}
	}
	return nil
}

// shard checks scan.shard and scan.org_only: a shard's accounts belong to
// it (ShardOf), its foreign keys to accounts of other shards.
func (v *validator) shard(d *Document, accountIdx map[string]int) {
	if d.Scan == nil {
		return
	}
	if d.Scan.OrgOnly {
		if d.Organization == nil {
			v.addf("scan.org_only", "an organisation walk needs the organization section")
		}
		if d.Scan.Shard != nil {
			v.addf("scan.org_only", "an organisation walk is not a shard")
		}
		for i, a := range d.Accounts {
			if len(a.Buckets) > 0 || len(a.KMSKeys) > 0 || a.IAM != nil || len(a.VPCEndpoints) > 0 || a.PublicAccessBlock != nil {
				v.addf(fmt.Sprintf("accounts[%d]", i), "an organisation walk holds no collected data (buckets, keys, IAM, endpoints, Block Public Access)")
			}
		}
	}
	sh := d.Scan.Shard
	if sh == nil {
		return
	}
	if sh.Count < 1 || sh.Index < 1 || sh.Index > sh.Count {
		v.addf("scan.shard", "shard %d/%d: want 1 <= index <= count", sh.Index, sh.Count)
		return
	}
	for i, a := range d.Accounts {
		if got := ShardOf(a.ID, sh.Count); awsid.IsAccountID(a.ID) && got != sh.Index {
			v.addf(fmt.Sprintf("accounts[%d].id", i), "account %s belongs to shard %d/%d, not to this shard %d/%d", a.ID, got, sh.Count, sh.Index, sh.Count)
		}
	}
	for _, owner := range slices.Sorted(maps.Keys(sh.KMSKeys)) {
		p := joinKey("scan.shard.kms_keys", owner)
		if !awsid.IsAccountID(owner) {
			v.addf(p, "not a 12-digit account ID")
			continue
		}
		if _, ok := accountIdx[owner]; ok {
			v.addf(p, "account %s is in this shard: its keys belong in its kms_keys", owner)
		}
		seen, aliases := map[string]int{}, map[string]string{}
		for i := range sh.KMSKeys[owner] {
			v.kmsKey(fmt.Sprintf("%s[%d]", p, i), &sh.KMSKeys[owner][i], owner, seen, aliases)
		}
	}
}

// excludedAccounts checks scan.excluded_accounts (the accounts a scan's
// scope left out) and returns them as a set: member accounts of the
// organisation, not in accounts.
func (v *validator) excludedAccounts(d *Document, accountIdx map[string]int) map[string]bool {
	set := map[string]bool{}
	if d.Scan == nil {
		return set
	}
	for i, id := range d.Scan.ExcludedAccounts {
		p := fmt.Sprintf("scan.excluded_accounts[%d]", i)
		switch _, scanned := accountIdx[id]; {
		case !awsid.IsAccountID(id):
			v.addf(p, "%q is not a 12-digit account ID", id)
		case set[id]:
			v.addf(p, "account %s is listed twice", id)
		case scanned:
			v.addf(p, "account %s is listed in accounts too: an account is either scanned or excluded", id)
		case d.Organization == nil:
			v.addf(p, "accounts excluded by the scope need the organization they belong to")
		}
		set[id] = true
	}
	return set
}

// organization validates the organisation and returns the set of policy
// IDs. An account the tree names (or the management account) must be
// listed in accounts, unless the scan's scope excluded it.
func (v *validator) organization(o *Organization, accountIdx map[string]int, excluded map[string]bool, accounts []Account) map[string]bool {
	v.match("organization.id", o.ID, orgIDRe, "organization ID (o-…)")
	if v.matchFunc("organization.management_account_id", o.ManagementAccountID, awsid.IsAccountID, "12-digit account ID") {
		if _, ok := accountIdx[o.ManagementAccountID]; !ok && !excluded[o.ManagementAccountID] {
			v.addf("organization.management_account_id", "account %s is not listed in accounts%s", o.ManagementAccountID, v.notListed)
		}
	}
	if c := o.ManagementCredentials; c != nil {
		if c.AccessKeyID == "" {
			v.addf("organization.management_credentials.access_key_id", "required")
		} else if len(c.AccessKeyID) < 16 || strings.HasPrefix(c.AccessKeyID, "ASIA") {
			v.addf("organization.management_credentials.access_key_id", "must be a long-term key ID (16+ characters, not ASIA…)")
		}
		if c.SecretAccessKey == "" {
			v.addf("organization.management_credentials.secret_access_key", "required")
		}
	}
	v.errorsMap("organization.errors", o.Errors)
	policyIDs := map[string]bool{}
	for i, p := range o.Policies {
		path := fmt.Sprintf("organization.policies[%d]", i)
		if v.match(path+".id", p.ID, policyIDRe, "policy ID (p-…)") {
			if policyIDs[p.ID] {
				v.addf(path+".id", "duplicate policy ID %s", p.ID)
			}
			policyIDs[p.ID] = true
		}
		if p.Name == "" {
			v.addf(path+".name", "required")
		}
		v.enum(path+".type", p.Type, policyTypes())
		if p.Type == ServiceControlPolicy {
			if v.scps == nil {
				v.scps = map[string]bool{}
			}
			v.scps[p.ID] = true
		}
		if p.Document == nil && !p.Errors.Has(KeyDocument) {
			v.addf(path+".document", "required (or errors.document when it could not be read)")
		}
		v.policy(path+".document", p.Document)
		v.errorsMap(path+".errors", p.Errors)
	}
	placed := map[string]string{}
	ouIDs := map[string]bool{}
	treeComplete := true
	var walk func(path string, ou *OU, root bool)
	walk = func(path string, ou *OU, root bool) {
		if root {
			v.match(path+".id", ou.ID, rootIDRe, "root ID (r-…)")
		} else {
			if v.match(path+".id", ou.ID, ouIDRe, "OU ID (ou-…-…)") {
				if ouIDs[ou.ID] {
					v.addf(path+".id", "duplicate OU ID %s", ou.ID)
				}
				ouIDs[ou.ID] = true
			}
			if ou.Name == "" {
				v.addf(path+".name", "required")
			}
		}
		if len(ou.Errors) > 0 {
			treeComplete = false
		}
		v.errorsMap(path+".errors", ou.Errors)
		v.attachments(path+".policies", ou.Policies)
		v.policyRefs(path+".policies", ou.Policies, policyIDs)
		for i, id := range ou.Accounts {
			p := fmt.Sprintf("%s.accounts[%d]", path, i)
			if !awsid.IsAccountID(id) {
				v.addf(p, "%q is not a 12-digit account ID", id)
				continue
			}
			if _, ok := accountIdx[id]; !ok && !excluded[id] {
				v.addf(p, "account %s is not listed in accounts%s", id, v.notListed)
			}
			if prev, dup := placed[id]; dup {
				v.addf(p, "account %s is already placed at %s", id, prev)
				continue
			}
			placed[id] = p
		}
		for i := range ou.OUs {
			walk(fmt.Sprintf("%s.ous[%d]", path, i), &ou.OUs[i], false)
		}
	}
	walk("organization.root", &o.Root, true)
	if treeComplete && len(o.Errors) == 0 {
		for i, a := range accounts {
			if _, ok := placed[a.ID]; !ok && awsid.IsAccountID(a.ID) {
				v.addf(fmt.Sprintf("accounts[%d]", i), "account %s is not placed in the organization's OU tree", a.ID)
			}
		}
		for _, id := range slices.Sorted(maps.Keys(excluded)) {
			if _, ok := placed[id]; !ok && id != o.ManagementAccountID && awsid.IsAccountID(id) {
				v.addf("scan.excluded_accounts", "account %s is not placed in the organization's OU tree", id)
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(o.AccountPolicies)) {
		p := joinKey("organization.account_policies", id)
		if !excluded[id] {
			if _, listed := accountIdx[id]; listed {
				v.addf(p, "account %s is listed in accounts: its policies belong in accounts[%d].policies", id, accountIdx[id])
			} else {
				v.addf(p, "account %s is not in scan.excluded_accounts (only excluded accounts are recorded here)", id)
			}
		}
		v.policyRefs(p, o.AccountPolicies[id], policyIDs)
	}
	return policyIDs
}

// attachments rejects, in a fixture, an explicitly empty policies list of
// a root, OU or account, and one without any SCP when the organisation
// uses SCPs: Organizations keeps at least one SCP attached to
// every target (it attaches FullAWSAccess to new ones and refuses to detach
// the last, ConstraintViolationException
// MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED), and RCPFullAWSAccess cannot
// be detached. A scan's snapshot records what was listed and may hold one.
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DetachPolicy.html
func (v *validator) attachments(path string, ids []string) {
	switch {
	case !v.fixture || ids == nil:
	case len(ids) == 0:
		v.addf(path, "an empty list attaches nothing, which AWS Organizations does not allow (every root, OU and account keeps at least one SCP); leave policies out for FullAWSAccess (when the organization uses SCPs), or list the attached policies")
	case len(v.scps) > 0 && !slices.ContainsFunc(ids, func(id string) bool { return v.scps[id] }):
		v.addf(path, "lists no SCP, which AWS Organizations does not allow in an organization that uses SCPs (every root, OU and account keeps at least one); add %s or the SCPs attached", FullAWSAccessID)
	}
}

func (v *validator) policyRefs(path string, refs []string, known map[string]bool) {
	seen := map[string]bool{}
	for i, id := range refs {
		p := fmt.Sprintf("%s[%d]", path, i)
		if !known[id] {
			v.addf(p, "policy %q is not defined in organization.policies", id)
		}
		if seen[id] {
			v.addf(p, "policy %q is attached twice", id)
		}
		seen[id] = true
	}
}

func (v *validator) account(path string, a *Account, buckets map[string]string, policyIDs map[string]bool, inOrg bool) {
	if a.Status != "" {
		v.enum(path+".status", a.Status, accountStates())
	}
	if a.CanonicalID != "" && !canonicalIDRe.MatchString(a.CanonicalID) {
		v.addf(path+".canonical_id", "%q is not a canonical user ID (64 hexadecimal digits)", a.CanonicalID)
	}
	if len(a.Policies) > 0 && !inOrg {
		v.addf(path+".policies", "policies need an organization")
	}
	if m := a.Membership; m != nil {
		p := path + ".membership"
		switch {
		case inOrg:
			v.addf(p, "only in a document without an organization section (the organization says it)")
		case m.Standalone && (m.OrganizationID != "" || m.ManagementAccountID != ""):
			v.addf(p, "a standalone account has no organization_id or management_account_id")
		case !m.Standalone:
			v.match(p+".organization_id", m.OrganizationID, orgIDRe, "organization ID (o-…), or standalone: true")
			v.matchFunc(p+".management_account_id", m.ManagementAccountID, awsid.IsAccountID, "12-digit account ID")
		}
	}
	v.attachments(path+".policies", a.Policies)
	v.policyRefs(path+".policies", a.Policies, policyIDs)
	v.tags(path+".tags", a.Tags)
	v.errorsMap(path+".errors", a.Errors)
	if r := a.AuditRole; r != nil {
		v.match(path+".audit_role.name", r.Name, roleNameRe, "IAM role name")
		if r.Path != "" && !iamPathRe.MatchString(r.Path) {
			v.addf(path+".audit_role.path", "%q is not an IAM path (it starts and ends with /)", r.Path)
		}
		if r.ExternalID != "" && (len(r.ExternalID) < 2 || len(r.ExternalID) > 1224) {
			v.addf(path+".audit_role.external_id", "must have 2 to 1224 characters")
		}
	}
	for i := range a.Buckets {
		v.bucket(fmt.Sprintf("%s.buckets[%d]", path, i), &a.Buckets[i], buckets)
	}
	keys := map[string]int{}
	aliases := map[string]string{}
	for i := range a.KMSKeys {
		v.kmsKey(fmt.Sprintf("%s.kms_keys[%d]", path, i), &a.KMSKeys[i], a.ID, keys, aliases)
	}
	if a.IAM != nil {
		v.iam(path+".iam", a.IAM, a.ID)
	}
	endpoints := map[string]bool{}
	for i, e := range a.VPCEndpoints {
		p := fmt.Sprintf("%s.vpc_endpoints[%d]", path, i)
		if v.match(p+".id", e.ID, vpceIDRe, "VPC endpoint ID (vpce-…)") {
			if endpoints[e.ID] {
				v.addf(p+".id", "duplicate VPC endpoint %s", e.ID)
			}
			endpoints[e.ID] = true
		}
		if e.VPCID != "" && !vpcIDRe.MatchString(e.VPCID) {
			v.addf(p+".vpc_id", "%q is not a VPC ID (vpc-…)", e.VPCID)
		}
		v.region(p+".region", e.Region)
		if e.Service == "" {
			v.addf(p+".service", "required (e.g. com.amazonaws.%s.s3)", e.Region)
		}
		if e.Type != "" {
			v.enum(p+".type", e.Type, endpointTypes())
		}
		v.policy(p+".policy", e.Policy)
	}
}

func (v *validator) bucket(path string, b *Bucket, seen map[string]string) {
	if v.match(path+".name", b.Name, bucketNameRe, "S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)") {
		switch {
		case strings.Contains(b.Name, ".."):
			v.addf(path+".name", "%q has two adjacent dots", b.Name)
		case net.ParseIP(b.Name) != nil:
			v.addf(path+".name", "%q is formatted as an IP address", b.Name)
		}
		if prev, dup := seen[b.Name]; dup {
			v.addf(path+".name", "duplicate bucket name %s (also %s); bucket names are global", b.Name, prev)
		} else {
			seen[b.Name] = path
		}
	}
	if b.Region != "" || !b.Errors.Has(FieldRegion) {
		v.region(path+".region", b.Region)
	}
	v.policy(path+".policy", b.Policy)
	if b.Ownership != "" {
		v.enum(path+".ownership", b.Ownership, ownerships())
	}
	if acl := b.ACL; acl != nil {
		if acl.OwnerID != "" && !canonicalIDRe.MatchString(acl.OwnerID) {
			v.addf(path+".acl.owner_id", "%q is not a canonical user ID (64 hexadecimal digits)", acl.OwnerID)
		}
		for i, g := range acl.Grants {
			v.grant(fmt.Sprintf("%s.acl.grants[%d]", path, i), g)
		}
	}
	if e := b.Encryption; e != nil {
		p := path + ".encryption"
		v.enum(p+".algorithm", e.Algorithm, algorithms())
		isKMS := e.Algorithm == AlgorithmKMS || e.Algorithm == AlgorithmKMSDSSE
		if e.KMSKeyID != "" {
			if !isKMS {
				v.addf(p+".kms_key_id", "only allowed with algorithm aws:kms or aws:kms:dsse")
			} else if !kmsKeyRefRe.MatchString(e.KMSKeyID) {
				v.addf(p+".kms_key_id", "%q is not a KMS key ID, key ARN, alias name or alias ARN", e.KMSKeyID)
			}
		}
		if e.BucketKey && !isKMS {
			v.addf(p+".bucket_key", "only allowed with algorithm aws:kms or aws:kms:dsse")
		}
	}
	if b.Versioning != "" {
		v.enum(path+".versioning", b.Versioning, versionings())
	}
	v.tags(path+".tags", b.Tags)
	v.errorsMap(path+".errors", b.Errors)
	v.notCollected(path, b)
}

// notCollected checks Bucket.NotCollected: known fields, each without a
// value or an error, and the ACL only when ACLs are disabled.
func (v *validator) notCollected(path string, b *Bucket) {
	for i, f := range b.NotCollected {
		p := fmt.Sprintf("%s.not_collected[%d]", path, i)
		if !slices.Contains(NotCollectable(), f) {
			v.addf(p, "%q is not a field that may be left uncollected (want one of %s)", f, strings.Join(NotCollectable(), ", "))
			continue
		}
		if b.Errors.Has(f) {
			v.addf(p, "%s is both not collected and an error (errors.%s)", f, f)
		}
		switch f {
		case FieldACL:
			if b.ACL != nil {
				v.addf(p, "acl is not collected but the bucket states one")
			}
			if b.Ownership != "" && b.Ownership != OwnershipBucketOwnerEnforced {
				v.addf(p, "the ACL may be left uncollected only when ownership is %s (ACLs disabled), not %s", OwnershipBucketOwnerEnforced, b.Ownership)
			}
		case FieldVersioning:
			if b.Versioning != "" {
				v.addf(p, "versioning is not collected but the bucket states %q", b.Versioning)
			}
		case FieldTags:
			if len(b.Tags) > 0 {
				v.addf(p, "tags are not collected but the bucket states some")
			}
		}
	}
}

func (v *validator) grant(path string, g Grant) {
	v.enum(path+".permission", g.Permission, permissions())
	switch g.Grantee.Type {
	case GranteeCanonicalUser:
		if !canonicalIDRe.MatchString(g.Grantee.ID) {
			v.addf(path+".grantee.id", "%q is not a canonical user ID (64 hexadecimal digits)", g.Grantee.ID)
		}
	case GranteeGroup:
		if !strings.HasPrefix(g.Grantee.URI, "http://acs.amazonaws.com/groups/") {
			v.addf(path+".grantee.uri", "%q is not an S3 group URI (http://acs.amazonaws.com/groups/…)", g.Grantee.URI)
		}
	case GranteeEmail:
		if !strings.Contains(g.Grantee.Email, "@") {
			v.addf(path+".grantee.email", "%q is not an email address", g.Grantee.Email)
		}
	default:
		v.enum(path+".grantee.type", g.Grantee.Type, granteeTypes())
	}
}

func (v *validator) kmsKey(path string, k *KMSKey, accountID string, seen map[string]int, aliases map[string]string) {
	m := kmsKeyARNRe.FindStringSubmatch(k.ARN)
	if m == nil {
		v.addf(path+".arn", "%q is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", k.ARN)
	} else {
		if !regionRe.MatchString(m[1]) {
			v.addf(path+".arn", "%q names an invalid region", k.ARN)
		} else if p, want := awsid.PartitionOfARN(k.ARN), awsid.PartitionOf(m[1]); p != want {
			v.addf(path+".arn", "%q is in partition %s, but region %s is in %s", k.ARN, p, m[1], want)
		}
		if m[2] != accountID {
			v.addf(path+".arn", "key belongs to account %s, not to %s that holds it", m[2], accountID)
		}
		if _, dup := seen[k.ARN]; dup {
			v.addf(path+".arn", "duplicate KMS key %s", k.ARN)
		}
		seen[k.ARN] = 0
	}
	if k.Manager != "" {
		v.enum(path+".manager", k.Manager, keyManagers())
	}
	if k.State != "" {
		v.enum(path+".state", k.State, keyStates())
	}
	region := ""
	if m != nil {
		region = m[1]
	}
	for i, a := range k.Aliases {
		p := fmt.Sprintf("%s.aliases[%d]", path, i)
		if !kmsAliasRe.MatchString(a) {
			v.addf(p, "%q is not a KMS alias name (alias/…)", a)
			continue
		}
		if strings.HasPrefix(a, "alias/aws/") && k.Manager != KeyManagerAWS {
			v.addf(p, "alias/aws/ names are reserved for AWS managed keys (set manager: AWS)")
		}
		if prev, dup := aliases[region+" "+a]; dup {
			v.addf(p, "alias %s is already used by %s in %s", a, prev, region)
		}
		aliases[region+" "+a] = path
	}
	v.policy(path+".policy", k.Policy)
	for i, g := range k.Grants {
		p := fmt.Sprintf("%s.grants[%d]", path, i)
		if g.GranteePrincipal == "" {
			v.addf(p+".grantee_principal", "required")
		}
		if len(g.Operations) == 0 {
			v.addf(p+".operations", "required (e.g. [Decrypt])")
		}
	}
	v.errorsMap(path+".errors", k.Errors)
}

func (v *validator) iamARN(path, arn, kind, accountID string, allowAWS bool) {
	m := iamARNRe.FindStringSubmatch(arn)
	switch {
	case m == nil:
		v.addf(path, "%q is not an IAM %s ARN (arn:aws:iam::ACCOUNT:%s/NAME)", arn, kind, kind)
	case m[2] != kind:
		v.addf(path, "%q is not an IAM %s ARN", arn, kind)
	case m[1] == "aws" && !allowAWS, m[1] != "aws" && m[1] != accountID:
		v.addf(path, "%q does not belong to account %s", arn, accountID)
	}
}

func (v *validator) inline(path string, m map[string]*PolicyDocument) {
	for _, name := range slices.Sorted(maps.Keys(m)) {
		p := joinKey(path, name)
		if m[name] == nil {
			v.addf(p, "missing policy document")
			continue
		}
		v.policy(p, m[name])
	}
}

func (v *validator) managedRefs(path string, arns []string, accountID string) {
	for i, a := range arns {
		v.iamARN(fmt.Sprintf("%s[%d]", path, i), a, "policy", accountID, true)
	}
}

func (v *validator) iam(path string, m *IAM, accountID string) {
	seen := map[string]bool{}
	dup := func(p, arn string) {
		if seen[arn] {
			v.addf(p, "duplicate ARN %s", arn)
		}
		seen[arn] = true
	}
	for i, r := range m.Roles {
		p := fmt.Sprintf("%s.roles[%d]", path, i)
		v.iamARN(p+".arn", r.ARN, "role", accountID, false)
		dup(p+".arn", r.ARN)
		v.uniqueID(p+".id", r.ID, uniqueIDRole)
		v.policy(p+".trust_policy", r.TrustPolicy)
		v.inline(p+".inline_policies", r.InlinePolicies)
		v.managedRefs(p+".attached_policies", r.AttachedPolicies, accountID)
		if r.PermissionsBoundary != "" {
			v.iamARN(p+".permissions_boundary", r.PermissionsBoundary, "policy", accountID, true)
		}
		v.tags(p+".tags", r.Tags)
	}
	for i, u := range m.Users {
		p := fmt.Sprintf("%s.users[%d]", path, i)
		v.iamARN(p+".arn", u.ARN, "user", accountID, false)
		dup(p+".arn", u.ARN)
		v.uniqueID(p+".id", u.ID, uniqueIDUser)
		v.inline(p+".inline_policies", u.InlinePolicies)
		v.managedRefs(p+".attached_policies", u.AttachedPolicies, accountID)
		if u.PermissionsBoundary != "" {
			v.iamARN(p+".permissions_boundary", u.PermissionsBoundary, "policy", accountID, true)
		}
		for j, g := range u.Groups {
			if !roleNameRe.MatchString(g) {
				v.addf(fmt.Sprintf("%s.groups[%d]", p, j), "%q is not an IAM group name", g)
			}
		}
		v.tags(p+".tags", u.Tags)
	}
	for i, g := range m.Groups {
		p := fmt.Sprintf("%s.groups[%d]", path, i)
		v.iamARN(p+".arn", g.ARN, "group", accountID, false)
		dup(p+".arn", g.ARN)
		v.inline(p+".inline_policies", g.InlinePolicies)
		v.managedRefs(p+".attached_policies", g.AttachedPolicies, accountID)
	}
	for i, pol := range m.Policies {
		p := fmt.Sprintf("%s.policies[%d]", path, i)
		v.iamARN(p+".arn", pol.ARN, "policy", accountID, true)
		dup(p+".arn", pol.ARN)
		if pol.Document == nil {
			v.addf(p+".document", "required")
		}
		v.policy(p+".document", pol.Document)
	}
}

func (v *validator) faults(f *Faults) {
	if t := f.Throttle; t != nil {
		if t.RequestsPerSecond <= 0 {
			v.addf("faults.throttle.requests_per_second", "must be positive")
		}
		if t.Burst < 0 {
			v.addf("faults.throttle.burst", "must not be negative")
		}
		if t.Per != "" {
			v.enum("faults.throttle.per", t.Per, []string{"account", "global"})
		}
	}
	for i, e := range f.Errors {
		p := fmt.Sprintf("faults.errors[%d]", i)
		v.enum(p+".service", e.Service, faultServices())
		if e.Code == "" {
			v.addf(p+".code", "required (e.g. AccessDenied)")
		}
		if e.Account != "" && !awsid.IsAccountID(e.Account) {
			v.addf(p+".account", "%q is not a 12-digit account ID", e.Account)
		}
		if e.Bucket != "" && e.Service != "s3" {
			v.addf(p+".bucket", "only allowed with service s3")
		}
		if e.Times < 0 {
			v.addf(p+".times", "must not be negative")
		}
		if e.Status != 0 && (e.Status < 300 || e.Status > 599) {
			v.addf(p+".status", "must be an HTTP status from 300 to 599")
		}
	}
	for i, o := range f.Omit {
		p := fmt.Sprintf("faults.omit[%d]", i)
		if what := o.Service + " " + o.Operation + " " + o.Element; !slices.Contains(OmittableElements(), what) {
			v.addf(p, "%q cannot be omitted (supported: %s)", strings.TrimSpace(what), strings.Join(OmittableElements(), ", "))
		}
		if o.Account != "" && !awsid.IsAccountID(o.Account) {
			v.addf(p+".account", "%q is not a 12-digit account ID", o.Account)
		}
	}
}
