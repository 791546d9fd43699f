package access

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// Options tune Analyze and Stream.
type Options struct {
	// Now is the clock for GeneratedAt; nil means time.Now.
	Now         func() time.Time
	ToolVersion string
	// Sources names where the document came from (snapshot files, "scan").
	Sources []string
	// TrustedAccounts labels known partner accounts (ID → label), merged
	// with those recorded in the snapshot.
	TrustedAccounts map[string]string
	// Workers bounds the buckets analysed at once; 0 means GOMAXPROCS.
	Workers int
	// Mutes, when set, marks the findings a mutelist accepts (Finding.Muted).
	Mutes Muter
	// PrincipalsPerCell is the most entries a cell's PrincipalAccess lists
	// (0: no limit). A cell with more lists the first PrincipalsPerCell
	// and says how many there are in Cell.PrincipalsTotal: every principal
	// is still decided, only the entries beyond the cap are not built. A
	// same_account or narrowed org cell's Principals are those of its
	// first entries (Cell.PrincipalsMore counting the others).
	// (DefaultPrincipalsPerCell is the configuration's default.)
	PrincipalsPerCell int

	// noShapes turns off the reuse of matrices between buckets of the same
	// shape (tests compare both ways).
	noShapes bool
	// noPrincipalGroups decides every principal of PrincipalAccess on
	// its own (tests compare both ways).
	noPrincipalGroups bool
	// orgListing chooses how the org cells' principals are listed (tests
	// compare the ways).
	orgListing orgListing
	// index, when set, is the index of doc the analysis uses (tests
	// inspect it afterwards).
	index *Index
	// crossHits, when set, counts the buckets whose rows were another
	// account's (crossKey; tests check that reuse happens).
	crossHits *atomic.Int64
	// checkMemos makes every worker check the lists it hands out again
	// (the statement names of worker.ownNames, the cells' Principals of
	// worker.cellPrincipals) against fresh ones at every memo hit: Analyze
	// fails when a shared list was modified after it was memoised.
	checkMemos bool
}

// orgListing is a way of listing the org cells' principals (listOrg).
type orgListing int

const (
	// orgListingAuto takes the plan when many member accounts are allowed.
	orgListingAuto orgListing = iota
	// orgListingAccounts lists account by account, every member.
	orgListingAccounts
	// orgListingPlan takes the plan whenever it can.
	orgListingPlan
)

// DefaultPrincipalsPerCell is the default of the configuration's
// outputs.principals_per_cell (Options.PrincipalsPerCell): the same bound
// as the assume-role paths kept per role.
const DefaultPrincipalsPerCell = maxAssumePaths

// Assumptions are the stated assumptions every verdict rests on; every
// report prints them.
func Assumptions() []string {
	return []string{
		"Requests use TLS (aws:SecureTransport is true).",
		"Requests of every class except public are signed with SigV4; public requests are anonymous (unsigned).",
		"Each class's caller has an identity policy that grants the action and the KMS action it needs (kms:Decrypt to read, kms:GenerateDataKey to write an SSE-KMS bucket), with no permission boundary or session policy restricting it; cross-account access also needs that identity policy in the caller's account.",
		"What the scanner cannot know (source IP, VPC endpoint, MFA, tags, request headers, a principal's exact ARN within its class) is unknown to the policy engine: cells that depend on it are conditional and list the conditions.",
		"What it knows per class is filled in: the organisation ID, the caller's account and (for member accounts) its OU path; the resource account and organisation of the bucket.",
		"read is s3:GetObject on any object key, list s3:ListBucket, write s3:PutObject, delete s3:DeleteObject; manage is \"can change the bucket's access control\": s3:PutBucketPolicy, or s3:PutBucketAcl where ACLs are in force (Object Ownership is not BucketOwnerEnforced), and its reason names the action that allows it. A bucket-ACL WRITE_ACP or FULL_CONTROL grant allows s3:PutBucketAcl, never s3:PutBucketPolicy.",
		"Objects are encrypted with the bucket's default encryption; object ACLs, access points, Multi-Region Access Points and S3 Access Grants are not assessed.",
		"org is a principal of another member account; member accounts are grouped by the SCPs that govern them and the cell counts the accounts allowed. The management account is not governed by SCPs, and its resources not by RCPs; AWS managed KMS keys are not governed by RCPs.",
		"A layer that could not be read makes a cell unknown unless another layer decides it for certain.",
		"A KMS key that was not read is never made up: with collect.kms: false, for a key of an account that was not scanned, or for an aws/s3 key the scan did not return, the reads and writes that need it are unknown (only the AWS managed key's fixed rule decides without it: it never works for another account). A key KMS cannot use denies every read and write: Disabled, PendingDeletion, PendingImport, Unavailable and PendingReplicaDeletion keys (Enabled and Updating ones can be used); a state that was not read, or a replica key still Creating, leaves them unknown.",
	}
}

// Analyze computes the access matrix and findings of every bucket in doc:
// Stream, with the buckets collected into the report. It fills in the
// fixture defaults in doc (inventory.ApplyDefaults; a no-op on a scan's
// snapshot).
func Analyze(ctx context.Context, doc *inventory.Document, opts Options) (*model.Report, error) {
	n := 0
	if doc != nil {
		for i := range doc.Accounts {
			n += len(doc.Accounts[i].Buckets)
		}
	}
	// The workers build every bucket in place (streamRest's into), in the
	// order they are streamed: the sink has nothing left to do.
	buckets := make([]model.Bucket, n)
	rep, err := streamRest(ctx, doc, opts, func(*model.Bucket) error { return nil }, nil, newTally(), buckets)
	if err != nil {
		return nil, err
	}
	rep.Buckets = buckets
	return rep, nil
}

// scopeAssumptions states what a scan limited by its scope left out.
func scopeAssumptions(doc *inventory.Document) []string {
	if doc.Scan == nil || len(doc.Scan.ExcludedAccounts) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("The scan's scope left out %d member accounts (scan.excluded_accounts: %s): their buckets are not assessed; they still count as members of the organisation (the org class), governed by the SCPs of their place in the OU tree.",
		len(doc.Scan.ExcludedAccounts), joinLimited(doc.Scan.ExcludedAccounts, 5))}
}

func scanInfo(doc *inventory.Document, sources []string, trusted map[string]string) *model.ScanInfo {
	si := &model.ScanInfo{Sources: sources, Complete: true}
	if s := doc.Scan; s != nil {
		si.StartedAt, si.FinishedAt = s.StartedAt, s.FinishedAt
		si.Complete = s.Complete
		si.ConfigDigest = s.ConfigDigest
		si.Regions = s.Regions
		si.Interrupted = s.Interrupted
		si.ExcludedAccounts = s.ExcludedAccounts
		for _, k := range sortedKeys(s.Errors) {
			si.Errors = append(si.Errors, newError("", "", k, "scan", s.Errors[k]))
		}
	}
	if len(trusted) > 0 {
		si.TrustedAccounts = trusted
	}
	if len(si.Sources) == 0 && doc.Scan == nil {
		return nil
	}
	return si
}

func organization(ix *Index) *model.Organization {
	org := ix.Doc.Organization
	if org == nil {
		return nil
	}
	o := &model.Organization{ID: org.ID, ManagementAccountID: org.ManagementAccountID}
	for _, p := range org.Policies {
		op := model.OrgPolicy{ID: p.ID, Name: p.Name, Readable: !ix.orgPolicies[p.ID].parsed.IsUnreadable()}
		if p.Type == inventory.ResourceControlPolicy {
			o.RCPs = append(o.RCPs, op)
		} else {
			o.SCPs = append(o.SCPs, op)
		}
	}
	for _, k := range sortedKeys(org.Errors) {
		o.Errors = append(o.Errors, newError("", "", "organization."+k, "organizations", org.Errors[k]))
	}
	for _, p := range org.Policies {
		for _, k := range sortedKeys(p.Errors) {
			o.Errors = append(o.Errors, newError("", "", "organization.policies."+p.ID+"."+k, "organizations:DescribePolicy", p.Errors[k]))
		}
	}
	for _, pr := range ix.Problems {
		if pr.AccountID == "" {
			o.Errors = append(o.Errors, pr)
		}
	}
	return o
}

// accountFieldOps names the API call behind each account error key.
func accountOperation(field string) string {
	switch {
	case field == "assume_role":
		return "sts:AssumeRole"
	case field == "public_access_block":
		return "s3:GetAccountPublicAccessBlock"
	case field == "buckets":
		return "s3:ListBuckets"
	case field == "iam":
		return "iam:GetAccountAuthorizationDetails"
	case field == "policies":
		return "organizations:ListPoliciesForTarget"
	case field == inventory.FieldOrganization:
		return "organizations:DescribeOrganization"
	case field == "kms_keys" || strings.HasPrefix(field, "kms_keys:"):
		return "kms:ListAliases"
	case strings.HasPrefix(field, "vpc_endpoints"):
		return "ec2:DescribeVpcEndpoints"
	}
	return field
}

// bucketOperation names the API call behind each bucket error key.
func bucketOperation(field string) string {
	switch field {
	case inventory.FieldRegion:
		return "s3:GetBucketLocation"
	case inventory.FieldPolicy:
		return "s3:GetBucketPolicy"
	case inventory.FieldPolicyStatus:
		return "s3:GetBucketPolicyStatus"
	case inventory.FieldPublicAccessBlock:
		return "s3:GetBucketPublicAccessBlock"
	case inventory.FieldOwnership:
		return "s3:GetBucketOwnershipControls"
	case inventory.FieldACL:
		return "s3:GetBucketAcl"
	case inventory.FieldEncryption:
		return "s3:GetEncryptionConfiguration"
	case inventory.FieldVersioning:
		return "s3:GetBucketVersioning"
	case inventory.FieldTags:
		return "s3:GetBucketTagging"
	}
	return field
}

func keyOperation(field string) string {
	switch field {
	case "describe_key":
		return "kms:DescribeKey"
	case "policy":
		return "kms:GetKeyPolicy"
	case "grants":
		return "kms:ListGrants"
	case "aliases":
		return "kms:ListAliases"
	}
	return field
}

// newError is the report's Error of an inventory fetch error.
func newError(account, bucket, field, operation string, fe inventory.FetchError) model.Error {
	return model.Error{AccountID: account, Bucket: bucket, Field: field, Operation: operation, Code: fe.Code, Message: fe.Message}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// accounts builds the accounts section with the account-level findings,
// from the tally of the buckets analysed.
func accounts(ix *Index, t *tally) []model.Account {
	cat := catalogIndex()
	out := make([]model.Account, 0, len(ix.accountIDs))
	for _, id := range ix.accountIDs {
		a := ix.Account(id)
		acc := model.Account{ID: id, Name: a.Name, OUPath: ix.OUPath(id), Management: ix.IsManagement(id),
			PublicAccessBlock: a.PublicAccessBlock, BucketCount: t.perAccount[id]}
		for _, k := range sortedKeys(a.Errors) {
			acc.Errors = append(acc.Errors, newError(id, "", k, accountOperation(k), a.Errors[k]))
		}
		for _, k := range a.KMSKeys {
			for _, f := range sortedKeys(k.Errors) {
				acc.Errors = append(acc.Errors, newError(id, "", "kms_keys."+k.ARN+"."+f, keyOperation(f), k.Errors[f]))
			}
		}
		for _, pr := range ix.Problems {
			if pr.AccountID == id {
				acc.Errors = append(acc.Errors, pr)
			}
		}
		switch {
		case a.Errors.Has(inventory.KeyAssumeRole) || a.Errors.Has(inventory.KeyBuckets):
			acc.Status = model.StatusFailed
		case len(acc.Errors) > 0 || t.partial[id]:
			acc.Status = model.StatusPartial
		default:
			acc.Status = model.StatusComplete
		}
		fs := &findingSet{cat: cat, account: id}
		accountFindings(fs, a, &acc)
		acc.Findings = fs.sorted()
		out = append(out, acc)
	}
	return out
}

// accountFindings raises account-bpa-off and assessment-incomplete.
func accountFindings(fs *findingSet, a *inventory.Account, acc *model.Account) {
	bpa := AccountBPA(a)
	if bpa.SomeOff() {
		detail := "account-level Block Public Access is not configured"
		if a.PublicAccessBlock != nil {
			detail = "account-level Block Public Access has " + strings.Join(bpa.offFlags(), ", ") + " off"
		}
		fs.add(model.FindingAccountBPAOff, "", detail+"; every bucket relies on its own settings", AccountBPACommand(a.ID))
	}
	if len(acc.Errors) > 0 {
		var what []string
		for _, e := range acc.Errors {
			what = append(what, e.Operation+" ("+e.Code+")")
		}
		var sev model.Severity
		if acc.Status == model.StatusFailed {
			sev = model.SeverityHigh
		}
		fix := fmt.Sprintf("Allow the audit role in account %s to call %s (check the role's policy, SCPs and key policies for denies), then run bucketaudit scan again", a.ID, joinLimited(uniqueOps(acc.Errors), 5))
		if a.Errors.Has(inventory.FieldOrganization) {
			fix += fmt.Sprintf("; for the SCPs and RCPs that govern account %s, scan its organisation (leave accounts: out of the configuration, with credentials of the management account or organization.management_role_arn)", a.ID)
		}
		fs.add(model.FindingAssessmentIncomplete, sev, fmt.Sprintf("account %s could not be fully read: %s", a.ID, joinLimited(what, 5)), fix)
	}
}

func uniqueOps(errs []model.Error) []string {
	var ops []string
	for _, e := range errs {
		ops = addConds(ops, e.Operation)
	}
	return ops
}
