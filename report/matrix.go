package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
)

// The matrix layout shared by the Matrix sheet and report.csv: identifying
// columns, then for every principal class × action a verdict column and a
// "why" column (deciding layers, reason, conditions).

// Principal classes, in column order (keys of access.Access in report.json).
const (
	classPublic      = model.ClassPublic
	classAnyAWS      = model.ClassAnyAWS
	classOrg         = model.ClassOrg
	classExternal    = model.ClassExternal
	classSameAccount = model.ClassSameAccount
)

// matrixClasses returns the principal classes in column order.
func matrixClasses() [5]string {
	return [5]string{classPublic, classAnyAWS, classOrg, classExternal, classSameAccount}
}

// matrixActions returns the actions in column order (keys of model.Actions).
func matrixActions() [5]string {
	return [5]string{"read", "list", "write", "delete", "manage"}
}

// actionAPI names the S3 operation each action stands for.
func actionAPI(action string) string {
	switch action {
	case "read":
		return "s3:GetObject"
	case "list":
		return "s3:ListBucket"
	case "write":
		return "s3:PutObject"
	case "delete":
		return "s3:DeleteObject"
	case "manage":
		return "can change the bucket's access control: s3:PutBucketPolicy, or s3:PutBucketAcl where ACLs are in force (Object Ownership not BucketOwnerEnforced)"
	}
	return ""
}

// cellOf returns one action's cell.
func cellOf(a *model.Actions, action string) model.Cell {
	switch action {
	case "read":
		return a.Read
	case "list":
		return a.List
	case "write":
		return a.Write
	case "delete":
		return a.Delete
	case "manage":
		return a.Manage
	}
	return model.Cell{}
}

// classActions returns the row of a fixed class (all but external).
func classActions(acc *model.Access, class string) *model.Actions {
	switch class {
	case classPublic:
		return &acc.Public
	case classAnyAWS:
		return &acc.AnyAWS
	case classOrg:
		return &acc.Org
	case classSameAccount:
		return &acc.SameAccount
	}
	return nil
}

// identColumns is the number of identifying columns of a matrix row; the
// first frozenColumns of them stay visible when scrolling right.
const (
	identColumns  = 9
	frozenColumns = 3
)

// matrixHeader returns the matrix's column titles.
func matrixHeader() []string {
	h := []string{"Account ID", "Account", "Bucket", "OU path", "Region", "Exposure", "Encryption", "Ownership", "Effective BPA"}
	for _, class := range matrixClasses() {
		for _, action := range matrixActions() {
			h = append(h, class+" "+action, class+" "+action+" why")
		}
	}
	return h
}

// matrixValue is one cell of a matrix row; verdict is set on verdict
// columns (empty when the class has no cell, e.g. no external account).
type matrixValue struct {
	text    string
	verdict model.Verdict
	isCell  bool
	// count (verdict columns of same_account and org) summarises the
	// principals the cell lists ("3 roles in 2 accounts").
	count string
}

// matrixRow returns the matrix row of a bucket, in matrixHeader's order.
func matrixRow(b *model.Bucket) []matrixValue {
	row := make([]matrixValue, 0, identColumns+50)
	for _, s := range []string{b.AccountID, b.AccountName, b.Name, b.OUPath, b.Region, b.Exposure,
		encryptionText(&b.Config), ownershipText(&b.Config), bpaText(b.Config.EffectiveBPA)} {
		row = append(row, matrixValue{text: s})
	}
	for _, class := range matrixClasses() {
		for _, action := range matrixActions() {
			var verdict model.Verdict
			var why, count string
			if class == classExternal {
				verdict, why = externalSummary(b.Access.External, action)
			} else {
				c := cellOf(classActions(&b.Access, class), action)
				verdict, why, count = c.Verdict, whyText(c), model.CountText(&c)
				if more := model.MoreText(b.Name, &c); more != "" {
					// A capped list (outputs.principals_per_cell).
					why += fmt.Sprintf(" | principals listed: %d of %d; %s", len(c.PrincipalAccess), c.PrincipalsTotal, more)
				}
			}
			row = append(row, matrixValue{text: string(verdict), verdict: verdict, isCell: true, count: count}, matrixValue{text: why})
		}
	}
	return row
}

// whyText is a cell's explanation: deciding layers, reason, conditions.
func whyText(c model.Cell) string {
	var sb strings.Builder
	if len(c.DecidedBy) > 0 {
		sb.WriteString("[")
		sb.WriteString(strings.Join(c.DecidedBy, ", "))
		sb.WriteString("] ")
	}
	sb.WriteString(c.Reason)
	if len(c.Conditions) > 0 {
		sb.WriteString(conditionsText(c))
	}
	if len(c.NarrowedTo) > 0 {
		sb.WriteString(narrowedText(c))
	}
	if c.AllowedAccounts != nil {
		fmt.Fprintf(&sb, " | member accounts allowed: %d", *c.AllowedAccounts)
	}
	if len(c.Accounts) > 0 {
		// The list may be capped (outputs.principals_per_cell): the count
		// is of them all.
		total := len(c.Accounts)
		if c.AllowedAccounts != nil {
			total = max(total, *c.AllowedAccounts)
		}
		sb.WriteString(" (")
		sb.WriteString(listTextOf(c.Accounts, 10, total))
		sb.WriteString(")")
	}
	if len(c.Principals) > 0 {
		// The list may be capped (outputs.principals_per_cell): the count
		// is of them all.
		sb.WriteString(" | principals: ")
		sb.WriteString(listTextOf(c.Principals, 10, len(c.Principals)+int(c.PrincipalsMore)))
	}
	return strings.TrimSpace(sb.String())
}

// conditionsText says which request conditions a cell depends on.
func conditionsText(c model.Cell) string {
	if c.AnyOf && len(c.Conditions) > 1 {
		return " | conditions (any one of): " + strings.Join(c.Conditions, " OR ")
	}
	return " | conditions: " + strings.Join(c.Conditions, "; ")
}

// narrowedText names the principals a cell is narrowed to.
func narrowedText(c model.Cell) string {
	if len(c.NarrowedTo) > 1 {
		return " | only for principals with (any one of): " + strings.Join(c.NarrowedTo, " OR ")
	}
	return " | only for principals with: " + c.NarrowedTo[0]
}

// listText joins at most n items, saying how many were left out.
func listText(items []string, n int) string { return listTextOf(items, n, len(items)) }

// listTextOf joins the first n of items, the first of total, saying how
// many more there are.
func listTextOf(items []string, n, total int) string {
	if total <= n && len(items) <= n {
		return strings.Join(items, ", ")
	}
	shown := items[:min(n, len(items))]
	return strings.Join(shown, ", ") + fmt.Sprintf(" and %d more", total-len(shown))
}

// verdictRank orders verdicts by how much access they may give: the
// external column of the matrix shows the widest one.
func verdictRank(v model.Verdict) int {
	switch v {
	case model.VerdictAllow:
		return 4
	case model.VerdictConditional:
		return 3
	case model.VerdictUnknown:
		return 2
	case model.VerdictDeny:
		return 1
	}
	return 0
}

// externalSummary folds the external accounts' cells of one action into
// the matrix's single external column: the widest verdict, and which
// accounts have it (the External access sheet has one row per account).
func externalSummary(ext map[string]model.ExternalActions, action string) (model.Verdict, string) {
	if len(ext) == 0 {
		return "", "no account outside the organisation is named by a bucket policy, ACL grant or KMS key policy"
	}
	ids := slices.Sorted(maps.Keys(ext))
	var top model.Verdict
	for _, id := range ids {
		ea := ext[id]
		if v := cellOf(&ea.Actions, action).Verdict; verdictRank(v) > verdictRank(top) {
			top = v
		}
	}
	var parts []string
	const maxListed = 5
	n := 0
	for _, id := range ids {
		ea := ext[id]
		c := cellOf(&ea.Actions, action)
		if c.Verdict != top {
			continue
		}
		n++
		if n > maxListed {
			continue
		}
		parts = append(parts, externalLabel(id, ea)+": "+whyText(c))
	}
	text := fmt.Sprintf("%d of %d external accounts %s", n, len(ext), top)
	if top == "" {
		text = fmt.Sprintf("%d external accounts without a verdict", n)
	}
	if others := otherVerdicts(ext, action, top); others != "" {
		text += " (others: " + others + ")"
	}
	text += " — " + strings.Join(parts, " || ")
	if n > maxListed {
		text += fmt.Sprintf(" || … %d more (see External access)", n-maxListed)
	}
	return top, text
}

// externalNarrowed reports whether every external account's cell of the
// action with verdict top is narrowed to named principals.
func externalNarrowed(ext map[string]model.ExternalActions, action string, top model.Verdict) bool {
	n := 0
	for _, ea := range ext {
		c := cellOf(&ea.Actions, action)
		if c.Verdict != top {
			continue
		}
		if len(c.NarrowedTo) == 0 {
			return false
		}
		n++
	}
	return n > 0
}

// otherVerdicts counts the external accounts' verdicts of one action other
// than top ("1 unknown, 2 deny"), so that an unknown cell is never hidden by
// a wider verdict of another account.
func otherVerdicts(ext map[string]model.ExternalActions, action string, top model.Verdict) string {
	count := map[model.Verdict]int{}
	for _, ea := range ext {
		if v := cellOf(&ea.Actions, action).Verdict; v != top {
			count[v]++
		}
	}
	var parts []string
	for _, v := range []model.Verdict{model.VerdictAllow, model.VerdictConditional, model.VerdictUnknown, model.VerdictDeny} {
		if count[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[v], v))
		}
	}
	return strings.Join(parts, ", ")
}

// externalLabel names an external account with its trusted_accounts label.
func externalLabel(id string, ea model.ExternalActions) string {
	switch {
	case ea.Label != "" && ea.Trusted:
		return id + " (" + ea.Label + ", trusted)"
	case ea.Label != "":
		return id + " (" + ea.Label + ")"
	case ea.Trusted:
		return id + " (trusted)"
	}
	return id
}

// encryptionText is the bucket's default encryption, with its KMS key.
func encryptionText(c *model.BucketConfig) string {
	s := c.Encryption
	if c.KMSKeyARN != "" {
		s += " " + c.KMSKeyARN
		if c.KMSKeyManager != "" {
			s += " (" + strings.ToLower(c.KMSKeyManager) + "-managed)"
		}
	}
	return strings.TrimSpace(s)
}

// ownershipText is Object Ownership with the ACL grants that count.
func ownershipText(c *model.BucketConfig) string {
	if len(c.ACLGrants) == 0 {
		return c.Ownership
	}
	return c.Ownership + "; ACL: " + strings.Join(c.ACLGrants, ", ")
}

// bpaFlags returns the Block Public Access flags in S3's order.
func bpaFlags() [4]string {
	return [4]string{"block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"}
}

// bpaText summarises effective BPA flags ("true"/"false"/"unknown"): "all
// on", "all off", or each flag that is not on. An empty map is left empty:
// nothing was said about it.
func bpaText(flags map[string]string) string {
	if len(flags) == 0 {
		return ""
	}
	var rest []string
	on, off := 0, 0
	for _, k := range bpaFlags() {
		switch v := flags[k]; v {
		case "true":
			on++
		case "false":
			off++
			rest = append(rest, k+"=false")
		default:
			if v == "" {
				v = "unknown"
			}
			rest = append(rest, k+"="+v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(flags)) {
		if !isBPAFlag(k) {
			rest = append(rest, k+"="+flags[k])
		}
	}
	switch {
	case on == 4 && len(rest) == 0:
		return "all on"
	case off == 4 && len(rest) == 4:
		return "all off"
	}
	return strings.Join(rest, ", ")
}

func isBPAFlag(k string) bool {
	for _, f := range bpaFlags() {
		if f == k {
			return true
		}
	}
	return false
}
