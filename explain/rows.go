package explain

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// traced returns the trace rows of one engine layer.
func traced(r *policy.Result, l policy.Layer) []policy.LayerResult {
	if r == nil {
		return nil
	}
	var out []policy.LayerResult
	for _, lr := range r.Layers {
		if lr.Layer == l {
			out = append(out, lr)
		}
	}
	return out
}

// one returns the single trace row of a layer (zero value: not applicable).
func one(r *policy.Result, l policy.Layer) policy.LayerResult {
	if rows := traced(r, l); len(rows) > 0 {
		return rows[0]
	}
	return policy.LayerResult{Layer: l}
}

// stmt names a statement: `statement "Sid" of <policy>` or `statement #2 of <policy>`.
func stmt(ref policy.StatementRef) string {
	if ref.Sid != "" {
		return fmt.Sprintf("statement %q (%s) of %s", ref.Sid, ref.Effect, ref.Policy)
	}
	return fmt.Sprintf("statement #%d (%s) of %s", ref.Index, ref.Effect, ref.Policy)
}

// statements lists the statements of a trace row with a given effect ("" = any).
func statements(lr policy.LayerResult, effect string) []string {
	var out []string
	for _, s := range lr.Statements {
		if effect == "" || strings.EqualFold(s.Effect, effect) {
			out = append(out, stmt(s))
		}
	}
	return out
}

// conditionText renders what a conditional row depends on.
func conditionText(lr policy.LayerResult) string {
	var parts []string
	seen := map[string]bool{}
	for _, q := range lr.Conditions {
		s := access.FormatRequirement(q)
		if !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// outcomeRow fills a row from one policy layer's trace: the statements
// that allow or deny, or the conditions it depends on.
func outcomeRow(row *Row, lr policy.LayerResult, what string) {
	switch lr.Outcome {
	case policy.ExplicitDeny:
		row.Verdict = VerdictDenies
		for _, s := range statements(lr, "Deny") {
			row.Evidence = append(row.Evidence, s+" explicitly denies "+what)
		}
	case policy.Allow:
		row.Verdict = VerdictAllows
		for _, s := range statements(lr, "Allow") {
			row.Evidence = append(row.Evidence, s+" allows "+what)
		}
	case policy.Conditional:
		row.Verdict = VerdictConditional
		row.Evidence = append(row.Evidence, fmt.Sprintf("%s depends on request keys that were not stated: %s (give them with --context)", what, conditionText(lr)))
		for _, s := range statements(lr, "") {
			row.Evidence = append(row.Evidence, "see "+s)
		}
	case policy.Unknown:
		row.Verdict = VerdictCouldNot
		row.Evidence = append(row.Evidence, what+" depends on a policy that could not be read")
		for _, s := range statements(lr, "") {
			row.Evidence = append(row.Evidence, "see "+s)
		}
	}
}

// what names the request for evidence lines.
func (e *explainer) what() string {
	return fmt.Sprintf("%s on %s", e.req.Action, e.bl.ResourceARN(e.req.Action, e.req.Key))
}

// grantee is the principal a fix grants to: the role of a session, the
// user, the account's root for a caller known by its account, "*" for
// anonymous callers.
func (e *explainer) grantee() string {
	switch e.p.Kind {
	case KindSession:
		if e.id.roleARN != "" {
			return e.id.roleARN
		}
		return awsid.Role(e.p.Partition, e.p.Account, "", e.p.Name)
	case KindAnonymous:
		return "*"
	case KindAccount, KindRoot:
		return awsid.Root(e.ix.PartitionOf(e.bl.Bucket), e.p.Account)
	}
	return e.p.ARN
}

// statementJSON renders one Allow statement (no Principal when principal
// is "": an identity-policy statement).
func statementJSON(sid, principal, action, resource string) string {
	p := fmt.Sprintf(`{"AWS": %q}`, principal)
	if principal == "*" {
		p = `"*"`
	}
	if principal == "" {
		return fmt.Sprintf(`{"Sid": %q, "Effect": "Allow", "Action": %q, "Resource": %q}`, sid, action, resource)
	}
	return fmt.Sprintf(`{"Sid": %q, "Effect": "Allow", "Principal": %s, "Action": %q, "Resource": %q}`, sid, p, action, resource)
}

// identityFix is the command that grants the caller an action in its
// identity policy.
func (e *explainer) identityFix(action, resource string) string {
	doc := fmt.Sprintf(`{"Version": "2012-10-17", "Statement": [%s]}`, statementJSON("BucketauditExplainGrant", "", action, resource))
	name := "bucketaudit-explain-" + strings.ReplaceAll(strings.TrimPrefix(action, "s3:"), ":", "-")
	switch e.p.Kind {
	case KindUser:
		return fmt.Sprintf("aws iam put-user-policy --user-name %s --policy-name %s --policy-document '%s'", e.p.Name, name, doc)
	case KindRole, KindSession:
		return fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name %s --policy-document '%s'", e.p.Name, name, doc)
	}
	return "grant " + action + " on " + resource + " in the caller's identity policy: " + doc
}

// grantFix is the fix for an action the layer does not grant.
func (e *explainer) grantFix(action, layer string) string {
	res := e.bl.ResourceARN(action, e.req.Key)
	if policy.S3ActionScope(action) == policy.ScopeObject {
		res = e.bl.ARN + "/*"
	}
	switch layer {
	case model.LayerIdentity:
		return e.identityFix(action, res)
	case model.LayerBucketPolicy, model.LayerACL:
		return fmt.Sprintf("add to the bucket policy (aws s3api get-bucket-policy --bucket %s, then %s) the statement %s",
			e.bl.Bucket.Name, access.PutBucketPolicyCommand(e.bl.Bucket.Name), statementJSON("BucketauditExplainGrant", e.grantee(), action, res))
	}
	return ""
}

// callerRow: who is asking, and are the credentials good.
func (e *explainer) callerRow() Row {
	row := Row{Layer: LayerCaller, Title: "Caller identity and credentials", Verdict: VerdictAllows}
	p := e.p
	row.Evidence = append(row.Evidence, p.Describe())
	if p.Kind != KindAnonymous {
		row.Evidence = append(row.Evidence, e.accountEvidence(p.Account))
	}
	switch p.Kind {
	case KindSession:
		if e.id.roleARN != "" {
			row.Evidence = append(row.Evidence, "the session's role is "+e.id.roleARN)
		}
	case KindAccount:
		row.Verdict = VerdictCouldNot
		row.Evidence = append(row.Evidence, "only the caller's account is known (CloudTrail names no ARN for a call from another account): its identity policies cannot be looked up")
	}
	if problem := CredentialProblem(e.req.ErrorCode); problem != "" {
		row.Verdict, row.Blocks = VerdictDenies, true
		row.Evidence = append(row.Evidence, fmt.Sprintf("AWS answered %s: %s — S3 rejected the credentials before evaluating any policy", e.req.ErrorCode, problem))
		row.Fix = "get fresh credentials for the caller, then check who the client signs as: aws sts get-caller-identity"
		kind := "invalid"
		if e.req.ErrorCode == "ExpiredToken" || e.req.ErrorCode == "TokenRefreshRequired" {
			kind = "expired"
		}
		e.out.Credentials = &Credentials{Problem: kind, Detail: e.req.ErrorCode + ": " + problem, Fix: row.Fix}
		return row
	}
	switch {
	case e.id.missing:
		row.Verdict = VerdictDenies
		row.Evidence = append(row.Evidence, e.id.why+": the credentials may belong to another account (wrong profile), or the user or role was deleted")
		row.Fix = "check which principal and account the client signs as: aws sts get-caller-identity"
		e.out.Credentials = &Credentials{Problem: "principal_not_found", Detail: e.id.why, Fix: row.Fix}
	case p.Kind != KindAnonymous && e.ix.Account(p.Account) == nil && e.orgKnown() && !e.ix.InOrg(p.Account):
		e.out.Credentials = &Credentials{Problem: "outside_organization",
			Detail: fmt.Sprintf("account %s is not an account of the organization: if the caller should be one of its accounts, the client uses credentials of the wrong account", p.Account),
			Fix:    "check which account the client signs as: aws sts get-caller-identity"}
		row.Evidence = append(row.Evidence, e.out.Credentials.Detail)
	case p.Kind != KindAnonymous && p.Kind != KindRoot && !e.id.read && e.id.why != "":
		if row.Verdict == VerdictAllows {
			row.Verdict = VerdictCouldNot
		}
		row.Evidence = append(row.Evidence, "the principal could not be verified: "+e.id.why)
	}
	return row
}

// accountEvidence places an account in the organisation.
func (e *explainer) accountEvidence(id string) string {
	name := ""
	if a := e.ix.Account(id); a != nil && a.Name != "" && a.Name != inventory.DefaultAccountName(id) {
		name = " (" + a.Name + ")"
	}
	switch {
	case !e.orgKnown():
		switch orgID, in := e.ix.MemberOf(id); {
		case in == access.TriTrue:
			return fmt.Sprintf("account %s%s is a member of organization %s, which was not read", id, name, orgID)
		case in == access.TriUnknown:
			return fmt.Sprintf("account %s%s; organization membership unknown", id, name)
		case e.ix.Account(id) != nil && e.ix.Account(id).Membership != nil:
			return fmt.Sprintf("account %s%s belongs to no organization", id, name)
		}
		return fmt.Sprintf("account %s%s; the document has no organization", id, name)
	case e.ix.IsManagement(id):
		return fmt.Sprintf("account %s%s is the management account of organization %s", id, name, e.ix.OrgID)
	case e.ix.InOrg(id):
		return fmt.Sprintf("account %s%s is a member of organization %s, under %s", id, name, e.ix.OrgID, e.ix.OUPath(id))
	}
	return fmt.Sprintf("account %s%s is outside organization %s", id, name, e.ix.OrgID)
}

// sameAccount reports whether the caller belongs to the bucket's account.
func (e *explainer) sameAccount() bool { return e.p.Account == e.bl.Account.ID }

// bucketPolicyRow: the bucket policy's statements.
func (e *explainer) bucketPolicyRow() Row {
	row := Row{Layer: model.LayerBucketPolicy, Title: "Bucket policy of " + e.bl.Bucket.Name}
	lr := one(&e.s3, policy.LayerResource)
	what := e.what()
	switch {
	case !e.bl.PolicyErr.IsZero() && e.bl.HasPolicy != access.TriTrue:
		row.Verdict = VerdictCouldNot
		row.Evidence = append(row.Evidence, "the bucket policy could not be read: "+e.bl.PolicyErr.String())
		row.Fix = fmt.Sprintf("read it with credentials of account %s: aws s3api get-bucket-policy --bucket %s", e.bl.Account.ID, e.bl.Bucket.Name)
		return row
	case !e.bl.PolicyErr.IsZero():
		row.Verdict = VerdictCouldNot
		row.Evidence = append(row.Evidence, "the bucket policy does not parse: "+e.bl.PolicyErr.String())
		return row
	case e.bl.HasPolicy == access.TriFalse:
		row.Verdict = VerdictNotInvolved
		row.Evidence = append(row.Evidence, "the bucket has no bucket policy")
		if e.blocks(model.LayerBucketPolicy) {
			row.Verdict = VerdictDenies
			row.Evidence = append(row.Evidence, "a principal of another account needs a bucket policy (or ACL) grant as well as its own identity policy")
			row.Fix = e.grantFix(e.req.Action, model.LayerBucketPolicy)
		}
		return row
	}
	outcomeRow(&row, lr, what)
	if lr.Outcome == policy.ImplicitDeny {
		if e.blocks(model.LayerBucketPolicy) {
			row.Verdict = VerdictDenies
			row.Evidence = append(row.Evidence, fmt.Sprintf("no statement allows %s for %s (implicit deny)", what, e.p.Describe()))
			if !e.sameAccount() {
				row.Evidence = append(row.Evidence, fmt.Sprintf("the caller is in account %s and the bucket in %s: cross-account access needs this grant as well as the caller's identity policy", e.p.Account, e.bl.Account.ID))
			}
			row.Fix = e.grantFix(e.req.Action, model.LayerBucketPolicy)
		} else {
			row.Verdict = VerdictNotInvolved
			row.Evidence = append(row.Evidence, fmt.Sprintf("no statement matches %s", what))
			if e.sameAccount() {
				row.Evidence = append(row.Evidence, fmt.Sprintf("within account %s the identity policy can grant it alone", e.bl.Account.ID))
			}
		}
	}
	if lr.Outcome == policy.ExplicitDeny {
		row.Fix = fmt.Sprintf("change the denying statement so that it does not match this request (exempt %s, or relax its condition), then %s", e.grantee(), access.PutBucketPolicyCommand(e.bl.Bucket.Name))
	}
	if lr.Outcome != policy.Allow {
		if hint, fix := e.resourceShapeHint(); hint != "" {
			row.Evidence = append(row.Evidence, hint)
			row.Fix = fix
		}
	}
	return row
}

// resourceShapeHint detects the classic "missing /*": a statement that
// grants the action on the bucket ARN where the action acts on objects, or
// on the objects where the action acts on the bucket. It re-evaluates the
// same request on the other resource form.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
func (e *explainer) resourceShapeHint() (string, string) {
	in := e.bl.S3Input(e.caller, e.req.Action, e.req.Key)
	in.Trace = true
	var other string
	switch policy.S3ActionScope(e.req.Action) {
	case policy.ScopeObject:
		other = e.bl.ARN
	case policy.ScopeBucket:
		other = e.bl.ARN + "/example-key"
	default:
		return "", ""
	}
	in.Resource = other
	r := policy.Evaluate(in)
	lr := one(&r, policy.LayerResource)
	if lr.Outcome != policy.Allow {
		return "", ""
	}
	granting := statements(lr, "Allow")
	if len(granting) == 0 {
		return "", ""
	}
	want := e.bl.ResourceARN(e.req.Action, e.req.Key)
	if policy.S3ActionScope(e.req.Action) == policy.ScopeObject {
		return fmt.Sprintf("%s grants %s on %s, the bucket itself — but %s acts on objects (%s): the Resource needs %s/*",
				granting[0], e.req.Action, e.bl.ARN, e.req.Action, want, e.bl.ARN),
			fmt.Sprintf(`in that statement of the bucket policy, use "Resource": [%q, %q] (bucket and objects), then %s`, e.bl.ARN, e.bl.ARN+"/*", access.PutBucketPolicyCommand(e.bl.Bucket.Name))
	}
	return fmt.Sprintf("%s grants %s on objects (%s/...) — but %s acts on the bucket itself: the Resource needs %s",
			granting[0], e.req.Action, e.bl.ARN, e.req.Action, e.bl.ARN),
		fmt.Sprintf(`in that statement of the bucket policy, use "Resource": [%q, %q], then %s`, e.bl.ARN, e.bl.ARN+"/*", access.PutBucketPolicyCommand(e.bl.Bucket.Name))
}

// identityRow: the caller's identity policies, permission boundary, and
// (for SSE-KMS) the KMS action on the identity side.
func (e *explainer) identityRow() Row {
	row := Row{Layer: model.LayerIdentity, Title: "Identity policies of the caller"}
	switch e.p.Kind {
	case KindAnonymous:
		row.Verdict = VerdictNotInvolved
		row.Evidence = append(row.Evidence, "anonymous requests carry no identity policies")
		return row
	case KindRoot:
		row.Verdict = VerdictAllows
		row.Evidence = append(row.Evidence, e.id.source...)
		return row
	}
	if e.id.missing {
		row.Verdict = VerdictDenies
		row.Evidence = append(row.Evidence, e.id.why+": no identity policy grants anything")
		row.Fix = "check which principal the client signs as: aws sts get-caller-identity"
		return row
	}
	what := e.what()
	id := one(&e.s3, policy.LayerIdentity)
	outcomeRow(&row, id, what)
	if id.Outcome == policy.ImplicitDeny {
		if e.blocks(model.LayerIdentity) {
			row.Verdict = VerdictDenies
			row.Evidence = append(row.Evidence, fmt.Sprintf("no identity policy of %s allows %s (implicit deny)", e.p.Describe(), what))
			row.Fix = e.grantFix(e.req.Action, model.LayerIdentity)
		} else {
			row.Verdict = VerdictNotInvolved
			row.Evidence = append(row.Evidence, fmt.Sprintf("no identity policy allows %s; within account %s the bucket policy can grant it alone", what, e.bl.Account.ID))
		}
	}
	if id.Outcome == policy.ExplicitDeny {
		row.Fix = "remove or narrow the denying statement of the identity policy"
	}
	if !e.id.read && e.id.why != "" {
		row.Evidence = append(row.Evidence, "identity policies not read: "+e.id.why)
		if row.Verdict != VerdictDenies {
			row.Verdict = VerdictCouldNot
			row.Fix = e.readIdentityFix()
		}
	}
	if b := one(&e.s3, policy.LayerBoundary); b.Applies {
		switch b.Outcome {
		case policy.ImplicitDeny:
			row.Evidence = append(row.Evidence, fmt.Sprintf("the permissions boundary %s does not allow %s: a boundary caps what the identity policies grant", e.id.boundaryARN, what))
			if e.blocks(model.LayerIdentity) {
				row.Verdict = VerdictDenies
				row.Fix = fmt.Sprintf("add %s to the permissions boundary: aws iam get-policy-version --policy-arn %s --version-id $(aws iam get-policy --policy-arn %s --query Policy.DefaultVersionId --output text), add the statement %s, then aws iam create-policy-version --policy-arn %s --set-as-default --policy-document file://boundary.json",
					e.req.Action, e.id.boundaryARN, e.id.boundaryARN, statementJSON("BucketauditExplainGrant", "", e.req.Action, e.bl.ResourceARN(e.req.Action, "*")), e.id.boundaryARN)
			}
		case policy.ExplicitDeny:
			row.Verdict = VerdictDenies
			for _, s := range statements(b, "Deny") {
				row.Evidence = append(row.Evidence, s+" (permissions boundary) explicitly denies "+what)
			}
		default:
			row.Evidence = append(row.Evidence, "the permissions boundary "+e.id.boundaryARN+" allows it")
		}
	}
	if e.kms != nil {
		kid := one(e.kms, policy.LayerIdentity)
		kwhat := fmt.Sprintf("%s on %s (S3 calls KMS for the caller)", e.kmsAction, e.bl.Key.ARN)
		var sub Row
		outcomeRow(&sub, kid, kwhat)
		row.Evidence = append(row.Evidence, sub.Evidence...)
		switch kid.Outcome {
		case policy.ExplicitDeny:
			row.Verdict = VerdictDenies
		case policy.ImplicitDeny:
			if e.p.Account != e.bl.Key.Account {
				row.Evidence = append(row.Evidence, "no identity policy allows "+kwhat+": a key of another account needs the caller's own grant too")
				if e.blocks(model.LayerIdentity) || e.blocks(model.LayerKMS) {
					row.Verdict = VerdictDenies
					row.Fix = e.identityFix(e.kmsAction, e.bl.Key.ARN)
				}
			}
		}
	}
	return row
}

// readIdentityFix says how to read the identity policies that were not read.
func (e *explainer) readIdentityFix() string {
	if e.ix.Account(e.p.Account) != nil {
		return "collect the caller's IAM data (scan with collect.iam: true and --save-snapshot, or explain with --config)"
	}
	switch e.p.Kind {
	case KindRole, KindSession:
		return fmt.Sprintf("account %s is outside the scan: read the role's policies there (aws iam list-role-policies --role-name %s; aws iam list-attached-role-policies --role-name %s)", e.p.Account, e.p.Name, e.p.Name)
	case KindUser:
		return fmt.Sprintf("account %s is outside the scan: read the user's policies there (aws iam list-user-policies --user-name %s; aws iam list-attached-user-policies --user-name %s; aws iam list-groups-for-user --user-name %s)", e.p.Account, e.p.Name, e.p.Name, e.p.Name)
	}
	return fmt.Sprintf("account %s is outside the scan: its principals' policies can only be read there", e.p.Account)
}

// bpaRow: Block Public Access, account and bucket level.
func (e *explainer) bpaRow() Row {
	row := Row{Layer: model.LayerBPA, Title: "Block Public Access (account and bucket)", Verdict: VerdictNotInvolved}
	a, b := e.bl.Account, e.bl.Bucket
	row.Evidence = append(row.Evidence,
		"account "+a.ID+": "+bpaText(a.PublicAccessBlock, a.Errors[inventory.FieldPublicAccessBlock]),
		"bucket "+b.Name+": "+bpaText(b.PublicAccessBlock, b.Errors[inventory.FieldPublicAccessBlock]))
	eff := e.bl.BPA
	restricted := false
	for _, lr := range traced(&e.s3, policy.LayerBPA) {
		restricted = restricted || lr.Applies
	}
	if e.bl.PolicyPublic == access.TriTrue {
		var idx []string
		for _, i := range policy.PublicStatements(e.bl.Policy) {
			idx = append(idx, fmt.Sprintf("#%d", i))
		}
		row.Evidence = append(row.Evidence, "the bucket policy is public by S3's definition (statement "+strings.Join(idx, ", ")+" grants to anyone without a fixed-value condition)")
	}
	ignoredACL := false
	if eff.IgnorePublicACLs == access.TriTrue && e.bl.ACLs != access.TriFalse {
		for _, g := range e.bl.Grants {
			if g.Public() && access.ACLAllows(g.Permission, e.req.Action) {
				ignoredACL = true
				row.Evidence = append(row.Evidence, "IgnorePublicAcls is on: S3 ignores the "+g.Label)
			}
		}
	}
	if !e.blocks(model.LayerBPA) {
		if restricted && e.sameAccount() {
			row.Evidence = append(row.Evidence, "RestrictPublicBuckets is on, but it spares principals of the bucket's own account")
		}
		return row
	}
	if e.dec.Verdict == model.VerdictUnknown {
		row.Verdict = VerdictCouldNot
		row.Evidence = append(row.Evidence, "the decision depends on a Block Public Access flag that could not be read")
		row.Fix = fmt.Sprintf("read it: aws s3api get-public-access-block --bucket %s; aws s3control get-public-access-block --account-id %s", b.Name, a.ID)
		return row
	}
	row.Verdict = VerdictDenies
	if restricted {
		level := "bucket"
		if a.PublicAccessBlock != nil && a.PublicAccessBlock.RestrictPublicBuckets {
			level = "account"
		}
		row.Evidence = append(row.Evidence, fmt.Sprintf("RestrictPublicBuckets is on (%s level) and the bucket policy is public: S3 ignores its grants for every principal outside account %s, including this one", level, a.ID))
		row.Fix = fmt.Sprintf(`keep Block Public Access on and grant the caller by name instead of "*", so that the policy is no longer public: in the granting statement use "Principal": {"AWS": %q}, then %s`, e.grantee(), access.PutBucketPolicyCommand(b.Name))
	} else if ignoredACL {
		row.Fix = "grant the access in the bucket policy instead of a public ACL: " + e.grantFix(e.req.Action, model.LayerBucketPolicy)
	}
	return row
}

// bpaText renders one level of Block Public Access.
func bpaText(p *inventory.PublicAccessBlock, readErr inventory.FetchError) string {
	switch {
	case !readErr.IsZero():
		return "could not be read: " + readErr.String()
	case p == nil:
		return "not configured (every flag off)"
	}
	flag := func(name string, on bool) string {
		if on {
			return name + "=on"
		}
		return name + "=off"
	}
	return strings.Join([]string{flag("BlockPublicAcls", p.BlockPublicACLs), flag("IgnorePublicAcls", p.IgnorePublicACLs),
		flag("BlockPublicPolicy", p.BlockPublicPolicy), flag("RestrictPublicBuckets", p.RestrictPublicBuckets)}, " ")
}

// aclGrants returns the bucket-ACL grants that allow the request: the
// allowing statements of the engine's grant layer, one per ACL grant the
// access model passed in (named by the grant's label).
func (e *explainer) aclGrants() []string {
	var out []string
	for _, lr := range traced(&e.s3, policy.LayerGrant) {
		for _, ref := range lr.Statements {
			if strings.EqualFold(ref.Effect, "Allow") && !slices.Contains(out, ref.Sid) {
				out = append(out, ref.Sid)
			}
		}
	}
	return out
}

// aclRow: Object Ownership and the bucket ACL.
func (e *explainer) aclRow() Row {
	row := Row{Layer: model.LayerACL, Title: "Object Ownership and ACLs", Verdict: VerdictNotInvolved}
	b := e.bl.Bucket
	switch e.bl.ACLs {
	case access.TriUnknown:
		row.Verdict = VerdictCouldNot
		row.Evidence = append(row.Evidence, "Object Ownership could not be read: "+b.Errors.Text(inventory.FieldOwnership))
		row.Fix = "read it: aws s3api get-bucket-ownership-controls --bucket " + b.Name
		return row
	case access.TriFalse:
		row.Evidence = append(row.Evidence, "Object Ownership is BucketOwnerEnforced: ACLs are disabled, the bucket owner owns every object and only policies grant access")
		return row
	}
	row.Evidence = append(row.Evidence, fmt.Sprintf("Object Ownership is %s: ACLs are in effect", e.bl.Ownership))
	if e.objectOwnedElsewhere() {
		row.Verdict = VerdictCouldNot
		row.Evidence = append(row.Evidence, fmt.Sprintf("the object belongs to account %s, which uploaded it: the bucket policy and the bucket owner's grants do not cover an object the bucket owner does not own, only the object's ACL can grant access — and object ACLs are not collected", e.req.ObjectOwner))
		row.Fix = fmt.Sprintf("as the bucket owner: %s (takes ownership of every object and disables ACLs); or, as account %s: aws s3api put-object-acl --bucket %s --key %s --acl bucket-owner-full-control",
			access.OwnershipEnforcedCommand(b.Name), e.req.ObjectOwner, b.Name, keyOr(e.req.Key))
		return row
	}
	if !e.bl.ACLRead {
		row.Verdict = VerdictCouldNot
		row.Evidence = append(row.Evidence, "the bucket ACL could not be read: "+b.Errors.Text(inventory.FieldACL))
		row.Fix = "read it: aws s3api get-bucket-acl --bucket " + b.Name
		return row
	}
	applies := e.aclGrants()
	switch {
	case len(applies) > 0:
		row.Verdict = VerdictAllows
		for _, l := range applies {
			row.Evidence = append(row.Evidence, l+" grants "+e.req.Action)
		}
	case e.blocks(model.LayerACL):
		row.Verdict = VerdictDenies
		row.Evidence = append(row.Evidence, fmt.Sprintf("no grant of the bucket ACL gives %s %s either", e.p.Describe(), e.req.Action))
	default:
		row.Evidence = append(row.Evidence, fmt.Sprintf("no grant of the bucket ACL applies to %s for %s", e.p.Describe(), e.req.Action))
	}
	if e.req.Action == access.ActionRead {
		row.Evidence = append(row.Evidence, "bucket-ACL permissions never grant object reads; object ACLs (not collected) can")
	}
	return row
}

func keyOr(k string) string {
	if k == "" {
		return "KEY"
	}
	return k
}

// kmsRow: default encryption and the KMS key policy.
func (e *explainer) kmsRow() Row {
	row := Row{Layer: model.LayerKMS, Title: "Default encryption and KMS key policy", Verdict: VerdictNotInvolved}
	b := e.bl.Bucket
	k := access.KMSActionFor(e.req.Action)
	rule := e.bl.KMSRuleFor(e.caller, e.req.Action)
	switch rule {
	case access.KMSRuleNone:
		row.Evidence = append(row.Evidence, e.req.Action+" makes S3 call no KMS operation")
		return row
	case access.KMSRuleEncUnread:
		row.Verdict = VerdictCouldNot
		row.Evidence = append(row.Evidence, "the bucket's default encryption could not be read: "+b.Errors.Text(inventory.FieldEncryption))
		row.Fix = "read it: aws s3api get-bucket-encryption --bucket " + b.Name
		return row
	case access.KMSRuleNotKMS:
		row.Evidence = append(row.Evidence, "default encryption is "+e.bl.Encryption.Algorithm+": S3 needs no KMS permission")
		return row
	}
	key := e.bl.Key
	keyName := key.ARN
	if keyName == "" {
		keyName = key.Configured
	}
	if key.AWSManaged {
		keyName = "the AWS managed key aws/s3 of account " + key.Account
		if key.ARN != "" {
			keyName += " (" + key.ARN + ")"
		}
	}
	row.Evidence = append(row.Evidence, fmt.Sprintf("default encryption %s with %s: %s needs %s on it", e.bl.Encryption.Algorithm, keyName, e.req.Action, k))
	switch {
	case rule == access.KMSRuleAnonymous:
		row.Verdict = VerdictDenies
		row.Evidence = append(row.Evidence, "anonymous requests cannot use KMS: S3 requires signed requests for SSE-KMS objects")
		row.Fix = "sign the request (credentials of a principal the key policy allows)"
		return row
	case rule == access.KMSRuleAWSManaged:
		row.Verdict = VerdictDenies
		row.Evidence = append(row.Evidence, fmt.Sprintf("the aws/s3 key's policy is managed by AWS and allows only principals of account %s (kms:CallerAccount): it can never be used by account %s", key.Account, e.p.Account))
		row.Fix = fmt.Sprintf("use a customer managed key whose key policy allows %s: %s, then re-encrypt the existing objects with it (%s)",
			e.grantee(), access.KMSEncryptionCommand(b.Name, access.CustomerKeyPlaceholder), access.ReencryptObjectsCommand(b.Name, access.CustomerKeyPlaceholder))
		return row
	case rule == access.KMSRuleKeyState:
		// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
		usable, why := access.KeyUsable(key.Key)
		row.Evidence = append(row.Evidence, keyName+": "+why)
		row.Verdict, row.Fix = VerdictCouldNot, "read its state: aws kms describe-key --key-id "+key.ARN
		if usable == access.TriFalse {
			row.Verdict, row.Fix = VerdictDenies, access.KeyStateRemediation(key.ARN, key.Key.State)
		}
		return row
	case e.bl.KeyPolicy.IsUnreadable():
		row.Verdict = VerdictCouldNot
		row.Evidence = append(row.Evidence, e.bl.KeyPolicy.Name)
		row.Fix = fmt.Sprintf("read it with credentials of account %s: aws kms get-key-policy --key-id %s --policy-name default", key.Account, keyOr(key.ARN))
		return row
	}
	if e.kms == nil {
		return row
	}
	res := one(e.kms, policy.LayerResource)
	kwhat := fmt.Sprintf("%s on %s for %s", k, keyName, e.p.Describe())
	outcomeRow(&row, res, kwhat)
	grants := statements(one(e.kms, policy.LayerGrant), "Allow")
	switch {
	case res.Outcome == policy.ImplicitDeny && len(grants) > 0:
		row.Verdict = VerdictAllows
		row.Evidence = append(row.Evidence, "the key policy does not allow "+kwhat+", but a KMS grant does: "+strings.Join(grants, ", "))
	case res.Outcome == policy.ImplicitDeny:
		row.Verdict = VerdictDenies
		row.Evidence = append(row.Evidence, fmt.Sprintf("the key policy does not allow %s: a KMS key policy must allow the caller (directly, or by delegating to its account's IAM policies), even in the key's own account", kwhat))
		row.Fix = fmt.Sprintf(`add to the key policy (aws kms get-key-policy --key-id %s --policy-name default, then %s) the statement {"Sid": "BucketauditExplainS3Use", "Effect": "Allow", "Principal": {"AWS": %q}, "Action": %q, "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": %q}}}`,
			keyOr(key.ARN), access.PutKeyPolicyCommand(keyOr(key.ARN)), e.grantee(), k, awsid.ServiceEndpoint("s3", b.Region))
	}
	return row
}

// vpceRow: the VPC endpoint policy, when the request goes through one.
func (e *explainer) vpceRow() Row {
	row := Row{Layer: model.LayerVPCE, Title: "VPC endpoint policy", Verdict: VerdictNotInvolved}
	v, stated := e.req.contextValue("aws:SourceVpce")
	switch {
	case stated && len(v) == 0:
		row.Evidence = append(row.Evidence, "the request does not go through a VPC endpoint (aws:SourceVpce absent)")
		return row
	case e.vpce != "":
		lr := one(&e.s3, policy.LayerVPCE)
		row.Evidence = append(row.Evidence, "the request goes through "+e.vpce)
		outcomeRow(&row, lr, e.what())
		if lr.Outcome == policy.ImplicitDeny {
			row.Verdict = VerdictDenies
			row.Evidence = append(row.Evidence, fmt.Sprintf("the endpoint policy of %s does not allow %s (every request through an endpoint must be allowed by its policy)", e.vpce, e.what()))
			row.Fix = fmt.Sprintf("add to the endpoint policy (aws ec2 describe-vpc-endpoints --vpc-endpoint-ids %s, then aws ec2 modify-vpc-endpoint --vpc-endpoint-id %s --policy-document file://endpoint-policy.json) the statement %s",
				e.vpce, e.vpce, statementJSON("BucketauditExplainGrant", "*", e.req.Action, e.bl.ResourceARN(e.req.Action, "*")))
		}
		return row
	}
	if slices.Contains(e.dec.DecidedBy, model.LayerVPCE) {
		// The access model weighed the endpoints the bucket policy requires.
		switch e.dec.Verdict {
		case model.VerdictDeny:
			row.Verdict = VerdictDenies
		case model.VerdictAllow:
			row.Verdict = VerdictAllows
		case model.VerdictUnknown:
			// Something the decision depends on was not read: never "conditional".
			row.Verdict = VerdictCouldNot
		default:
			row.Verdict = VerdictConditional
		}
		row.Evidence = append(row.Evidence, "the bucket policy requires a VPC endpoint: "+e.dec.Reason)
		return row
	}
	row.Evidence = append(row.Evidence, "the request's network path was not stated (give --context aws:SourceVpce=vpce-… or aws:SourceVpce= for none); no endpoint policy is evaluated")
	return row
}

// orgRow: the SCPs of the caller's account or the RCPs of the bucket's.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html
func (e *explainer) orgRow(layer string) Row {
	engine, kind, acct := policy.LayerSCP, "SCP", e.p.Account
	title := "Service control policies of the caller's account"
	if layer == model.LayerRCP {
		engine, kind, acct = policy.LayerRCP, "RCP", e.bl.Account.ID
		title = "Resource control policies of the bucket's account"
	}
	row := Row{Layer: layer, Title: title, Verdict: VerdictNotInvolved}
	switch {
	case layer == model.LayerSCP && e.p.Kind == KindAnonymous:
		row.Evidence = append(row.Evidence, "SCPs govern principals of member accounts; an anonymous caller has none")
		return row
	case !e.orgKnown() && e.ix.ChainUnknown(acct) == "":
		row.Evidence = append(row.Evidence, e.noChainEvidence(acct, kind))
		return row
	case !e.orgKnown():
		// Unknown: the trace below says so, level by level.
	case e.ix.IsManagement(acct):
		row.Evidence = append(row.Evidence, fmt.Sprintf("account %s is the management account: %ss do not apply to it", acct, kind))
		return row
	case !e.ix.InOrg(acct):
		row.Evidence = append(row.Evidence, fmt.Sprintf("account %s is outside organization %s: its %ss (if another organization has any) are not visible", acct, e.ix.OrgID, kind))
		return row
	}
	chain := e.ix.SCPs(acct)
	if layer == model.LayerRCP {
		chain = e.ix.RCPs(acct)
	}
	if !chain.Governed {
		row.Evidence = append(row.Evidence, "no "+kind+" is in use in the organization")
		return row
	}
	levels := e.orgLevels(acct)
	type lvl struct {
		action string
		lr     policy.LayerResult
	}
	var all []lvl
	for _, lr := range traced(&e.s3, engine) {
		all = append(all, lvl{e.req.Action, lr})
	}
	for _, lr := range traced(e.kms, engine) {
		all = append(all, lvl{e.kmsAction, lr})
	}
	if len(all) == 0 {
		row.Evidence = append(row.Evidence, kind+"s do not apply to this request")
		return row
	}
	rank := map[Verdict]int{VerdictNotInvolved: 0, VerdictAllows: 1, VerdictConditional: 2, VerdictCouldNot: 3, VerdictDenies: 4}
	row.Verdict = VerdictAllows
	worse := func(v Verdict) {
		if rank[v] > rank[row.Verdict] {
			row.Verdict = v
		}
	}
	for _, l := range all {
		where := levelName(levels, l.lr.Level)
		switch l.lr.Outcome {
		case policy.ExplicitDeny:
			worse(VerdictDenies)
			for _, ref := range l.lr.Statements {
				if !strings.EqualFold(ref.Effect, "Deny") {
					continue
				}
				row.Evidence = append(row.Evidence, fmt.Sprintf("%s: %s explicitly denies %s", where, stmt(ref), l.action))
				id := access.OrgPolicyID(&ref)
				row.Fix = fmt.Sprintf("with the management account, exempt %s in that statement (e.g. add the condition \"ArnNotLike\": {\"aws:PrincipalArn\": %q}): aws organizations describe-policy --policy-id %s, then %s",
					e.grantee(), e.grantee(), id, access.UpdateOrgPolicyCommand(id, strings.ToLower(kind)+".json"))
			}
		case policy.ImplicitDeny:
			if layer == model.LayerRCP {
				continue // RCPFullAWSAccess is implicit at every level
			}
			worse(VerdictDenies)
			row.Evidence = append(row.Evidence, fmt.Sprintf("%s: no SCP attached there allows %s (every level from the root to the account must allow)", where, l.action))
			if row.Fix == "" {
				row.Fix = fmt.Sprintf("with the management account, attach an SCP that allows %s at that level, e.g. aws organizations attach-policy --policy-id p-FullAWSAccess --target-id %s", l.action, levelTarget(levels, l.lr.Level, acct))
			}
		case policy.Unknown:
			worse(VerdictCouldNot)
			row.Evidence = append(row.Evidence, fmt.Sprintf("%s: a policy could not be read (%s)", where, strings.Join(chain.Incomplete, "; ")))
		case policy.Conditional:
			worse(VerdictConditional)
			row.Evidence = append(row.Evidence, fmt.Sprintf("%s: %s allowed only if %s", where, l.action, conditionText(l.lr)))
		case policy.Allow:
			allowing := statements(l.lr, "Allow")
			if layer == model.LayerRCP && len(allowing) == 0 {
				row.Evidence = append(row.Evidence, fmt.Sprintf("%s: no RCP statement denies %s", where, l.action))
				continue
			}
			sort.Strings(allowing)
			row.Evidence = append(row.Evidence, fmt.Sprintf("%s: %s allowed by %s", where, l.action, strings.Join(allowing, ", ")))
		}
	}
	return row
}

// noChainEvidence says why no SCP or RCP applies to account acct in a
// document without an organization section.
func (e *explainer) noChainEvidence(acct, kind string) string {
	if a := e.ix.Account(acct); a != nil && a.Membership != nil {
		if a.Membership.Standalone {
			return fmt.Sprintf("account %s belongs to no organization (DescribeOrganization: AWSOrganizationsNotInUseException): no %s applies", acct, kind)
		}
		return fmt.Sprintf("account %s is the management account of organization %s: %ss do not apply to it", acct, a.Membership.OrganizationID, kind)
	}
	return fmt.Sprintf("the document has no organization and nothing says account %s belongs to one: no %s applies", acct, kind)
}

// orgLevel is one level of an account's SCP/RCP chain: the root, an OU on
// its path, or the account itself.
type orgLevel struct{ kind, id, name string }

// String names the level: "root r-ab12 (Root)", "OU ou-… (Prod)",
// "account 111122223333".
func (l orgLevel) String() string {
	if l.name == "" {
		return l.kind + " " + l.id
	}
	return l.kind + " " + l.id + " (" + l.name + ")"
}

// orgLevels lists the levels of an account's SCP/RCP chain: the root, each
// OU on its path, the account itself.
func (e *explainer) orgLevels(acct string) []orgLevel {
	var ids []string
	if p := e.ix.OrgPath(acct); p != "" {
		parts := strings.Split(strings.Trim(p, "/"), "/")
		if len(parts) > 1 {
			ids = parts[1:] // drop the organisation ID
		}
	}
	names := strings.Split(e.ix.OUPath(acct), "/")
	var out []orgLevel
	for i, id := range ids {
		l := orgLevel{kind: "OU", id: id}
		if i == 0 {
			l.kind = "root"
		}
		if i < len(names) {
			l.name = names[i]
		}
		out = append(out, l)
	}
	return append(out, orgLevel{kind: "account", id: acct})
}

// levelName names level i of levels.
func levelName(levels []orgLevel, i int) string {
	if i >= 0 && i < len(levels) {
		return levels[i].String()
	}
	return fmt.Sprintf("level %d", i)
}

// levelTarget is the ID of level i's root, OU or account (the account's
// when there is no such level).
func levelTarget(levels []orgLevel, i int, acct string) string {
	if i >= 0 && i < len(levels) {
		return levels[i].id
	}
	return acct
}
