package access

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// publicCaller makes the caller of the public row: anonymous callers.
func publicCaller() *Caller {
	return &Caller{Principal: "anonymous", InOrg: TriFalse, Label: "anonymous callers"}
}

// bucketReport analyses one bucket: its configuration, matrix, findings
// and errors.
func (w *worker) bucketReport(out *model.Bucket, a *inventory.Account, b *inventory.Bucket) {
	m := w.matrixer
	bl := m.ix.NewBucketLayers(a, b)
	bl.ev, bl.scratch, bl.refs = w.ev, &w.scratch, &w.refs
	w.refs.reasons.on, w.refs.reasons.check, w.refs.reasons.faults = true, w.checkMemos, &w.memoFaults
	shape := w.shapeKey(bl)
	bm := w.matrix(bl, shape)
	*out = model.Bucket{
		AccountID:   a.ID,
		AccountName: a.Name,
		OUPath:      m.ix.OUPath(a.ID),
		Name:        b.Name,
		Region:      b.Region,
		Config:      bucketConfig(bl, w.bpaMap(bl.BPA)),
		Access:      bm.access(m.trusted),
	}
	more := w.principalAccess(bl, shape, bm, &out.Access)
	w.internActions(&out.Access.Public)
	w.internActions(&out.Access.AnyAWS)
	w.internActions(&out.Access.Org)
	w.internActions(&out.Access.SameAccount)
	for id, e := range out.Access.External {
		w.internActions(&e.Actions)
		out.Access.External[id] = e
	}
	for _, k := range sortedKeys(b.Errors) {
		out.Errors = append(out.Errors, newError(a.ID, b.Name, k, bucketOperation(k), b.Errors[k]))
	}
	out.Errors = append(out.Errors, bl.Problems...)
	fs := &findingSet{cat: m.catalog, account: a.ID, bucket: b.Name}
	w.bucketFindings(fs, bm, out)
	w.assumeFindings(fs, out, more)
	out.Findings = fs.sorted()
	out.Exposure = exposure(&out.Access)
}

// bucketConfig is the bucket's configuration section; bpa is its effective
// BPA as a map (bl.BPA.Map(), shared between buckets alike).
func bucketConfig(bl *BucketLayers, bpa map[string]string) model.BucketConfig {
	c := model.BucketConfig{
		EffectiveBPA: bpa,
		Ownership:    bl.Ownership,
		Encryption:   bl.Encryption.Algorithm,
		HasPolicy:    bl.HasPolicy.String(),
		ACLsEnabled:  bl.ACLs.String(),
		AWSIsPublic:  bl.Bucket.PolicyIsPublic,
		Versioning:   bl.Bucket.Versioning,
	}
	if c.Ownership == "" {
		c.Ownership = "unknown"
	}
	if !bl.Bucket.Collected(inventory.FieldVersioning) {
		c.Versioning = model.VersioningNotCollected
	}
	if !bl.EncRead {
		c.Encryption = "unknown"
	}
	if bl.EncRead && UsesKMS(bl.Encryption.Algorithm) {
		c.KMSKeyARN = bl.Key.ARN
		if c.KMSKeyARN == "" {
			c.KMSKeyARN = bl.Key.Configured
		}
		switch {
		case bl.Key.Key != nil:
			c.KMSKeyManager = bl.Key.Key.Manager
		case bl.Key.AWSManaged:
			c.KMSKeyManager = inventory.KeyManagerAWS
		default:
			c.KMSKeyManager = "unknown"
		}
	}
	if bl.PolicyPublic != TriUnknown {
		v := bl.PolicyPublic == TriTrue
		c.PolicyIsPublic = &v
	}
	for _, g := range bl.Grants {
		if g.Kind == GranteeAccount && g.Account == bl.Account.ID {
			continue
		}
		switch g.Kind {
		case GranteeAccount, GranteeCanonical:
			c.ACLGrants = append(c.ACLGrants, g.Account+" "+g.Permission)
		default:
			c.ACLGrants = append(c.ACLGrants, g.Kind+" "+g.Permission)
		}
	}
	return c
}

// access converts the computed rows into the report's matrix.
func (bm *bucketMatrix) access(trusted map[string]string) model.Access {
	acc := model.Access{
		Public:      bm.public.actions(),
		AnyAWS:      bm.anyAWS.actions(),
		SameAccount: bm.same.actions(),
		External:    make(map[string]model.ExternalActions, len(bm.external)),
	}
	acc.Org = orgActions(&bm.org)
	for id, r := range bm.external {
		label, ok := trusted[id]
		acc.External[id] = model.ExternalActions{Label: label, Trusted: ok, Actions: r.actions()}
	}
	return acc
}

// exposure classifies a bucket by the most exposed class that is allowed
// (or conditionally allowed) some action.
func exposure(a *model.Access) string {
	open := func(x model.Actions) bool {
		for _, c := range []model.Cell{x.Read, x.List, x.Write, x.Delete, x.Manage} {
			if c.Verdict == model.VerdictAllow || c.Verdict == model.VerdictConditional {
				return true
			}
		}
		return false
	}
	unknown := func(x model.Actions) bool {
		for _, c := range []model.Cell{x.Read, x.List, x.Write, x.Delete, x.Manage} {
			if c.Verdict == model.VerdictUnknown {
				return true
			}
		}
		return false
	}
	switch {
	case open(a.Public) || open(a.AnyAWS):
		return model.ExposurePublic
	}
	for _, e := range a.External {
		if open(e.Actions) {
			return model.ExposureExternal
		}
	}
	if open(a.Org) {
		return model.ExposureOrg
	}
	anyUnknown := unknown(a.Public) || unknown(a.AnyAWS) || unknown(a.Org) || unknown(a.SameAccount)
	for _, e := range a.External {
		anyUnknown = anyUnknown || unknown(e.Actions)
	}
	if anyUnknown {
		return model.ExposureUnknown
	}
	return model.ExposurePrivate
}

func isOpen(o outcome) bool {
	return o.verdict == model.VerdictAllow || o.verdict == model.VerdictConditional
}

// exposureSeverity lowers a severity one step for conditional access.
func exposureSeverity(base model.Severity, o outcome) model.Severity {
	if o.verdict == model.VerdictConditional {
		return lowerSeverity(base)
	}
	return base
}

func condSuffix(o outcome) string {
	s := ""
	if len(o.narrow) > 0 {
		s = " (only the principals with " + o.narrow.String() + ")"
	}
	if o.verdict == model.VerdictConditional {
		s += " (only if " + o.alts.String() + ")"
	}
	return s
}

// publicRemediation is the fix for public access decided by a policy or an ACL.
func publicRemediation(bl *BucketLayers, o outcome) string {
	var steps []string
	for _, l := range o.layers.names() {
		switch l {
		case model.LayerACL:
			steps = append(steps, PrivateACLCommand(bl.Bucket.Name))
		case model.LayerBucketPolicy:
			steps = append(steps, "remove the public grant from the bucket policy ("+PutBucketPolicyCommand(bl.Bucket.Name)+")")
		}
	}
	steps = append(steps, BucketBPACommand(bl.Bucket.Name))
	return "If the access is not intended: " + strings.Join(steps, "; then ")
}

// bucketFindings raises the bucket's findings from its matrix and layers.
func (w *worker) bucketFindings(fs *findingSet, bm *bucketMatrix, out *model.Bucket) {
	m := w.matrixer
	bl := bm.bl
	name := bl.Bucket.Name
	names := model.ActionNames()

	// Public exposure.
	if o := bm.public[0]; isOpen(o) {
		fs.add(model.FindingPublicRead, exposureSeverity(model.SeverityCritical, o), "anonymous callers can read objects"+condSuffix(o)+": "+o.reason, publicRemediation(bl, o))
	}
	if o := bm.public[1]; isOpen(o) {
		fs.add(model.FindingPublicList, exposureSeverity(model.SeverityHigh, o), "anonymous callers can list the bucket"+condSuffix(o)+": "+o.reason, publicRemediation(bl, o))
	}
	for _, i := range []int{2, 3} {
		if o := bm.public[i]; isOpen(o) {
			fs.add(model.FindingPublicWrite, exposureSeverity(model.SeverityCritical, o), "anonymous callers can "+names[i]+" objects"+condSuffix(o)+": "+o.reason, publicRemediation(bl, o))
			break
		}
	}
	// Any authenticated AWS principal, where the public class cannot.
	var anyActs []string
	var anyOut outcome
	for i := range bm.anyAWS {
		if isOpen(bm.anyAWS[i]) && !isOpen(bm.public[i]) {
			anyActs = append(anyActs, names[i])
			if anyOut.reason == "" {
				anyOut = bm.anyAWS[i]
			}
		}
	}
	if len(anyActs) > 0 {
		fs.add(model.FindingAnyAuthenticatedAccess, exposureSeverity(model.SeverityHigh, anyOut),
			fmt.Sprintf("any authenticated principal of any AWS account can %s%s: %s", strings.Join(anyActs, ", "), condSuffix(anyOut), anyOut.reason),
			publicRemediation(bl, anyOut))
	}
	// External accounts that are not trusted.
	for _, id := range bm.extOrder {
		if _, ok := m.trusted[id]; ok {
			continue
		}
		r := bm.external[id]
		var acts []string
		var first outcome
		sev := model.SeverityMedium
		for i := range r {
			if isOpen(r[i]) {
				acts = append(acts, names[i])
				if first.reason == "" {
					first = r[i]
				}
				if i >= 2 {
					sev = model.SeverityHigh
				}
			}
		}
		if len(acts) == 0 {
			continue
		}
		fs.add(model.FindingExternalAccountAccess, exposureSeverity(sev, first),
			fmt.Sprintf("account %s, outside the organisation and not a trusted account, can %s%s: %s", id, strings.Join(acts, ", "), condSuffix(first), first.reason),
			fmt.Sprintf("Remove %s from the bucket policy or ACL (%s), or, if it is a known partner, add it to trusted_accounts in the configuration", id, PutBucketPolicyCommand(name)))
	}

	// Cells voided by BPA, KMS or SCP/RCP.
	var bpaHits, awsKeyHits, keyPolicyHits, orgHits []cellHit
	visit := func(class string, r *row, c *Caller) {
		acct := ""
		if c != nil {
			acct = c.Account
		}
		for i := range r {
			o := r[i]
			if o.bpaBlocked {
				bpaHits = append(bpaHits, cellHit{class, names[i], o.reason, "", nil})
			}
			switch o.kmsBlocked {
			case "aws-managed":
				awsKeyHits = append(awsKeyHits, cellHit{class, names[i], o.reason, "", nil})
			case "key-policy":
				keyPolicyHits = append(keyPolicyHits, cellHit{class, names[i], o.reason, acct, nil})
			}
			if o.orgBlocked != "" && c != nil && bl.policyGrants(c, MatrixActions()[i]) {
				orgHits = append(orgHits, orgHit(class, names[i], o.orgBlockedBy, o.orgBlocked))
			}
		}
	}
	visit("public", &bm.public, w.caller("public", publicCaller)) // the public row's
	visit("any_aws", &bm.anyAWS, nil)
	for _, id := range bm.extOrder {
		r := bm.external[id]
		visit("external "+id, &r, bm.callers[id])
	}
	visit("same_account", &bm.same, bm.sameC)
	for i := range bm.org {
		for _, p := range bm.org[i].blocked {
			if bl.policyGrants(p.caller, MatrixActions()[i]) {
				orgHits = append(orgHits, orgHit(fmt.Sprintf("org (%d accounts)", p.count()), names[i], p.out.orgBlockedBy, p.out.orgBlocked))
			}
		}
		if bm.org[i].out.bpaBlocked {
			bpaHits = append(bpaHits, cellHit{"org", names[i], bm.org[i].out.reason, "", nil})
		}
	}
	if len(bpaHits) > 0 {
		fs.add(model.FindingBPABlocksGrantedAccess, "",
			"Block Public Access blocks what the bucket grants to "+describeHits(bpaHits)+": "+bpaHits[0].reason,
			fmt.Sprintf("If the access is intended, keep Block Public Access on and grant it without a public statement (name the principals, or restrict it with aws:PrincipalOrgID or aws:SourceVpce), then %s; otherwise remove the statement the same way", PutBucketPolicyCommand(name)))
	}
	if len(awsKeyHits) > 0 {
		fs.add(model.FindingAWSManagedKeyCrossAcct, "",
			"the bucket is encrypted with the AWS managed key aws/s3, which other accounts cannot use, so these grants fail: "+describeHits(awsKeyHits),
			"Create a customer managed key whose policy allows the grantees, then: "+KMSEncryptionCommand(name, CustomerKeyPlaceholder)+" (existing objects keep aws/s3 until copied)")
	}
	if k := bl.Key.Key; bl.EncRead && UsesKMS(bl.Encryption.Algorithm) && k != nil {
		if usable, why := KeyUsable(k); usable == TriFalse {
			fs.add(model.FindingKMSKeyUnusable, "",
				fmt.Sprintf("the bucket's default encryption uses KMS key %s, but %s: reads (kms:Decrypt) and writes (kms:GenerateDataKey) of its SSE-KMS objects fail for every caller", k.ARN, why),
				KeyStateRemediation(k.ARN, k.State))
		}
	}
	if len(keyPolicyHits) > 0 {
		var stmts []string
		for _, h := range keyPolicyHits {
			if h.by != "" {
				stmts = addConds(stmts, kmsGrantStatement(h.by, bl.Bucket.Region))
			}
		}
		rem := fmt.Sprintf("Add to the policy of %s: %s; %s", bl.Key.ARN, strings.Join(stmts, ", "), PutKeyPolicyCommand(bl.Key.ARN))
		if len(stmts) == 0 {
			rem = fmt.Sprintf("Allow the grantees kms:Decrypt and kms:GenerateDataKey in the policy of %s: %s", bl.Key.ARN, PutKeyPolicyCommand(bl.Key.ARN))
		}
		fs.add(model.FindingKMSKeyPolicyMissingGrant, "",
			"the bucket grants access that its KMS key's policy does not: "+describeHits(keyPolicyHits)+": "+keyPolicyHits[0].reason, rem)
	}
	if len(orgHits) > 0 {
		fs.add(model.FindingOrgPolicyDeniesGranted, "",
			fmt.Sprintf("the bucket policy grants %s, but %s denies it (%s)", describeHits(orgHits), strings.ToUpper(orgHits[0].by), orgHits[0].reason),
			fmt.Sprintf("Remove the dead grant from the bucket policy (%s), or, if the access is intended, add an exception to %s: %s", PutBucketPolicyCommand(name), orgPolicyName(orgHits[0].org), UpdateOrgPolicyCommand(OrgPolicyID(orgHits[0].org), "policy.json")))
	}

	// Settings.
	if own := AccountBPA(bl.Account); own.SomeOff() || !own.AllOn() {
		if bkt := BucketBPA(bl.Bucket); bkt.SomeOff() && bl.BPA.SomeOff() {
			fs.add(model.FindingBucketBPAOff, "",
				"Block Public Access has "+strings.Join(bl.BPA.offFlags(), ", ")+" off for this bucket (account and bucket level)",
				BucketBPACommand(name))
		}
	}
	if bl.ACLs == TriTrue {
		var sev model.Severity
		detail := "Object Ownership is " + bl.Ownership + ": ACLs take part in access decisions"
		if bl.Ownership == inventory.OwnershipObjectWriter || bl.Ownership == inventory.OwnershipNone {
			sev = model.SeverityMedium
			detail += ", and objects uploaded by other accounts belong to them (the bucket owner gets 403 on them)"
		}
		fs.add(model.FindingACLsEnabled, sev, detail, OwnershipEnforcedCommand(name))
	}
	if bl.ACLs != TriFalse {
		var pub []string
		for _, g := range bl.Grants {
			if g.Public() {
				pub = append(pub, g.Kind+" "+g.Permission)
			}
		}
		if len(pub) > 0 {
			sev, detail := model.Severity(""), "the bucket ACL grants "+strings.Join(pub, ", ")
			if bl.BPA.IgnorePublicACLs == TriTrue {
				sev, detail = model.SeverityLow, detail+" (ignored while Block Public Access IgnorePublicAcls is on)"
			}
			fs.add(model.FindingPublicACLGrant, sev, detail, PrivateACLCommand(name))
		}
	}
	if bl.Policy != nil && !bl.Policy.IsUnreadable() {
		w.lintFindings(fs, bl)
	}
	if bm.tls == TriFalse {
		fs.add(model.FindingNoTLSEnforcement, "",
			"neither the bucket policy nor an applicable RCP denies requests with aws:SecureTransport false",
			fmt.Sprintf("Add to the bucket policy %s, then %s", tlsDenyStatement(bl.ARN), PutBucketPolicyCommand(name)))
	}
	if bl.Bucket.PolicyIsPublic != nil && bl.PolicyPublic != TriUnknown && *bl.Bucket.PolicyIsPublic != (bl.PolicyPublic == TriTrue) {
		fs.add(model.FindingPolicyStatusDisagreement, "",
			fmt.Sprintf("GetBucketPolicyStatus says IsPublic=%t, bucketaudit's reading of the bucket policy says public=%t", *bl.Bucket.PolicyIsPublic, bl.PolicyPublic == TriTrue),
			fmt.Sprintf("Compare aws s3api get-bucket-policy-status --bucket %s with bucketaudit explain for the bucket's statements, and report the mismatch to the bucketaudit maintainers", name))
	}

	// Assessment completeness.
	var unknownCells []string
	for _, cl := range []struct {
		name string
		a    model.Actions
	}{{"public", out.Access.Public}, {"any_aws", out.Access.AnyAWS}, {"org", out.Access.Org}, {"same_account", out.Access.SameAccount}} {
		for i, c := range []model.Cell{cl.a.Read, cl.a.List, cl.a.Write, cl.a.Delete, cl.a.Manage} {
			if c.Verdict == model.VerdictUnknown {
				unknownCells = append(unknownCells, cl.name+"."+names[i])
			}
		}
	}
	for _, id := range sortedKeys(out.Access.External) {
		e := out.Access.External[id]
		for i, c := range []model.Cell{e.Read, e.List, e.Write, e.Delete, e.Manage} {
			if c.Verdict == model.VerdictUnknown {
				unknownCells = append(unknownCells, "external "+id+"."+names[i])
			}
		}
	}
	if len(out.Errors) > 0 || len(unknownCells) > 0 {
		var what []string
		for _, e := range out.Errors {
			what = append(what, e.Operation+" ("+e.Code+")")
		}
		detail := "could not be fully assessed"
		if len(what) > 0 {
			detail += ": " + joinLimited(what, 4) + " failed"
		}
		if len(unknownCells) > 0 {
			detail += fmt.Sprintf("; %d cells are unknown (%s)", len(unknownCells), joinLimited(unknownCells, 4))
		}
		rem := fmt.Sprintf("Allow the audit role to read what failed (%s; check the bucket policy, SCPs and key policies for denies of the audit role), then run bucketaudit scan again", joinLimited(append(uniqueOps(out.Errors), "kms:GetKeyPolicy for the bucket's key where it is unknown"), 4))
		if bl.EncRead && UsesKMS(bl.Encryption.Algorithm) && bl.Key.Key == nil {
			detail += "; the bucket's KMS key was not collected"
			rem = "Collect the bucket's KMS key (collect.kms: true in the configuration, and the key's account in the scan's scope), then run bucketaudit scan again. " + rem
		}
		fs.add(model.FindingAssessmentIncomplete, "", detail, rem)
	}
}

// OrgPolicyID returns the ID of the SCP or RCP a deciding statement is of,
// from its policy's Origin; without one, the placeholder POLICY_ID (a word a
// shell passes as it is, where a command is pasted).
func OrgPolicyID(ref *policy.StatementRef) string {
	if ref != nil && ref.Origin != nil && ref.Origin.ID != "" {
		return ref.Origin.ID
	}
	return "POLICY_ID"
}

// orgPolicyName names the SCP or RCP a deciding statement is of: "SCP p-abc
// (Name)".
func orgPolicyName(ref *policy.StatementRef) string {
	if ref != nil && ref.Policy != "" {
		return ref.Policy
	}
	return "the SCP or RCP"
}

// orgHit is a cell whose grant the SCP or RCP statement ref denies (by is
// "scp" or "rcp").
func orgHit(class, action string, ref *policy.StatementRef, by string) cellHit {
	h := cellHit{class: class, action: action, by: by, org: ref}
	if ref != nil {
		h.reason = describeStatements([]policy.StatementRef{*ref}, "")
	}
	return h
}

// cellHit is one matrix cell that a finding is about.
type cellHit struct {
	class, action, reason, by string
	// org is the deciding SCP or RCP statement of an org hit.
	org *policy.StatementRef
}

// describeHits lists the cells of a finding, grouped by class.
func describeHits(hs []cellHit) string {
	by := map[string][]string{}
	var order []string
	for _, x := range hs {
		if _, ok := by[x.class]; !ok {
			order = append(order, x.class)
		}
		by[x.class] = addConds(by[x.class], x.action)
	}
	sort.Strings(order)
	var parts []string
	for _, c := range order {
		parts = append(parts, c+" ("+strings.Join(by[c], ", ")+")")
	}
	return joinLimited(parts, 4)
}

// lintFindings raises the findings the policy linter detects in the bucket
// policy: object actions granted on the bucket ARN only (the missing /*),
// bucket actions granted on object ARNs only, Allow with NotPrincipal.
func (w *worker) lintFindings(fs *findingSet, bl *BucketLayers) {
	name := bl.Bucket.Name
	for _, w := range w.lint(bl) {
		where := fmt.Sprintf("bucket policy statement %s (line %d, column %d)", w.Statement, w.Line, w.Column)
		switch w.Code {
		case policy.LintObjectActionOnBucketARN:
			fs.add(model.FindingObjectActionOnBucketARN, "", where+": "+w.Message,
				fmt.Sprintf(`Grant object actions on the objects: change the statement's Resource to "%s/*" (add it next to "%s" if the statement also has bucket actions), then %s`, bl.ARN, bl.ARN, PutBucketPolicyCommand(name)))
		case policy.LintBucketActionOnObjectARN:
			fs.add(model.FindingBucketActionOnObjectARN, "", where+": "+w.Message,
				fmt.Sprintf(`Grant bucket actions on the bucket: add "%s" to the statement's Resource, then %s`, bl.ARN, PutBucketPolicyCommand(name)))
		case policy.LintAllowWithNotPrincipal:
			fs.add(model.FindingAllowWithNotPrincipal, "", where+": "+w.Message+" (it allows everyone except the principals it lists)",
				fmt.Sprintf(`Replace NotPrincipal with Principal naming who may access (or Principal "*" with a condition such as aws:PrincipalOrgID), then %s`, PutBucketPolicyCommand(name)))
		}
	}
}

// tlsEnforced reports whether a bucket-policy statement or an applicable
// RCP denies requests without TLS (checked by evaluating a plain-HTTP read
// and write of the owning account): CIS 2.1.1 / AWS Config
// s3-bucket-ssl-requests-only.
func (bl *BucketLayers) tlsEnforced(same *Caller) Tri {
	if bl.Policy.IsUnreadable() {
		return TriUnknown
	}
	if !hasDeny(bl.Policy) && !chainHasDeny(bl.RCPs) {
		return TriFalse // no statement could deny anything
	}
	for _, action := range []string{ActionRead, ActionWrite} {
		in := bl.input(same, action, "")
		in.Context = same.context(bl.ix, "s3-plain-http")
		in.BaseContext = bl.ix.requestBase(bl.Account.ID, "s3-plain-http", bl.Bucket.Region)
		r := bl.evaluate(in, "s3 without TLS")
		if r.Decision != policy.ExplicitDeny {
			if r.Decision == policy.Unknown {
				return TriUnknown
			}
			return TriFalse
		}
		ok := false
		for _, s := range r.Statements {
			if strings.EqualFold(s.Effect, "Deny") && (s.Layer == policy.LayerResource || s.Layer == policy.LayerRCP) {
				ok = true
			}
		}
		if !ok {
			return TriFalse
		}
	}
	return TriTrue
}

// hasDeny reports whether a policy has a Deny statement (an unreadable one
// may have).
func hasDeny(p *policy.Policy) bool {
	if p == nil {
		return false
	}
	if p.IsUnreadable() {
		return true
	}
	for i := range p.Statements {
		if strings.EqualFold(p.Statements[i].Effect, "Deny") {
			return true
		}
	}
	return false
}

// chainHasDeny reports whether a governing chain holds a Deny statement.
func chainHasDeny(c Chain) bool {
	if !c.Governed {
		return false
	}
	for _, lvl := range c.Levels {
		for _, p := range lvl {
			if hasDeny(p) {
				return true
			}
		}
	}
	return false
}

// policyGrants reports whether the bucket policy itself (or the ACL) has a
// statement allowing caller c the action, whatever the other layers say.
func (bl *BucketLayers) policyGrants(c *Caller, action string) bool {
	if c == nil || bl.Policy == nil || bl.Policy.IsUnreadable() {
		return false
	}
	in := bl.input(c, action, "")
	in.SCPs, in.RCPs, in.RestrictPublicBuckets = nil, nil, false
	in.Trace = true
	return resourceRowAllows(bl.evaluate(in, "bucket policy alone"))
}

// resourceRowAllows reports whether, in a traced result, an Allow statement
// of the resource policy matched the request (possibly conditionally).
func resourceRowAllows(r *policy.Result) bool {
	for _, row := range r.Layers {
		if row.Layer != policy.LayerResource {
			continue
		}
		for _, s := range row.Statements {
			if strings.EqualFold(s.Effect, "Allow") {
				return true
			}
		}
	}
	return false
}
