package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/internal/version"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// whoCanFlags are the flags of `who-can` and `can-reach`.
type whoCanFlags struct {
	snapshot, bucket, principal, action, format string
}

// newWhoCanCmd is `bucketaudit who-can --snapshot F --bucket NAME
// [--action read] [--format text|json]`: the principals of the scanned
// accounts that can reach one bucket.
func newWhoCanCmd(e *env) *cobra.Command {
	var f whoCanFlags
	cmd := &cobra.Command{
		Use:   "who-can --snapshot FILE --bucket NAME [--action ACTION]",
		Short: "Which roles, users and account roots of the scanned accounts can reach a bucket",
		Long: `who-can analyses a saved snapshot and lists, for each action (read, list,
write, delete, manage) of one bucket, the IAM roles, users and account roots
of every scanned account that are allowed (or conditionally allowed, or
unknown), each decided with its own identity policies, permissions
boundary and SCPs against the bucket's every layer, with the statements that
decided. An identity provider (OIDC or SAML) trusted by a role that reaches
the bucket is listed as "federated: PROVIDER", via that role: its users are
no IAM principal of any account. Accounts whose IAM was not collected are
named: their principals could not be listed, and the class answer stands for them. Anonymous and
any-account access (beyond the scanned accounts) is said below the table.

--action takes a matrix column (read, list, write, delete, manage) or its
S3 action (s3:GetObject...). Exit codes: 0 done; 2 usage error, unreadable
snapshot, or a bucket not in it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.bucket == "" {
				return usageErr("--bucket NAME is required")
			}
			action, err := f.check()
			if err != nil {
				return err
			}
			var found *model.Bucket
			if err := analyzeSnapshot(cmd, f.snapshot, func(b *model.Bucket) error {
				if b.Name == f.bucket {
					c := *b
					found = &c
				}
				return nil
			}); err != nil {
				return err
			}
			if found == nil {
				return usageErr("no bucket %q in snapshot %s", f.bucket, f.snapshot)
			}
			out := whoCanResult{Bucket: found.Name, Account: found.AccountID, Principals: []model.PrincipalRow{}}
			found.PrincipalRows(func(r model.PrincipalRow) {
				if action == "" || r.Action == action {
					out.Principals = append(out.Principals, r)
				}
			}, func(u model.UnlistedRow) {
				if action == "" || u.Action == action {
					out.Unlisted = append(out.Unlisted, u)
				}
			})
			out.Beyond = beyondRows(found, action)
			found.ClassCells(func(c model.ClassCell) {
				if (action == "" || c.Action == action) && c.Verdict == model.VerdictUnknown {
					out.Unknown = append(out.Unknown, c)
				}
			})
			return f.write(cmd, &out)
		},
	}
	cmd.Flags().StringVar(&f.bucket, "bucket", "", "the bucket name")
	f.addFlags(cmd)
	return cmd
}

// newCanReachCmd is `bucketaudit can-reach --snapshot F --principal ARN
// [--action read] [--format text|json]`: the buckets one principal can
// reach.
func newCanReachCmd(e *env) *cobra.Command {
	var f whoCanFlags
	cmd := &cobra.Command{
		Use:   "can-reach --snapshot FILE --principal ARN [--action ACTION]",
		Short: "Which buckets a role, user or account root of a scanned account can reach",
		Long: `can-reach analyses a saved snapshot and lists every bucket and action the
principal (an IAM role or user ARN, or an account root
arn:aws:iam::ACCOUNT:root, of any scanned account, or an IAM OIDC or SAML
identity provider ARN that a trust policy names) is allowed, conditionally
allowed or unknown for, decided with its own policies, with the statements
that decided. When the principal's account's IAM was not collected its
principals could not be listed: the buckets whose class answer allows its
account are named instead.

Exit codes: 0 done; 2 usage error, unreadable snapshot, or a principal of
no account of the snapshot (or not in its account's collected IAM).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.principal == "" {
				return usageErr("--principal ARN is required")
			}
			action, err := f.check()
			if err != nil {
				return err
			}
			account, err := principalAccount(f.principal)
			if err != nil {
				return err
			}
			federated := isProviderARN(f.principal) // its users reach buckets only through roles
			out := canReachResult{Principal: f.principal, Account: account, Buckets: []model.PrincipalRow{}}
			known := false
			var ix *access.Index
			if err := analyzeSnapshot(cmd, f.snapshot, func(b *model.Bucket) error {
				class := "" // a provider's users reach buckets only through roles
				if !federated {
					class = principalClass(ix, b, account)
				}
				b.ClassCells(func(c model.ClassCell) {
					if (action == "" || c.Action == action) && c.Verdict == model.VerdictUnknown &&
						c.Class == class && (class != model.ClassExternal || c.External == account) {
						out.Unknown = append(out.Unknown, c)
					}
				})
				b.PrincipalRows(func(r model.PrincipalRow) {
					if (action == "" || r.Action == action) && sameARN(r.ARN, f.principal) {
						out.Buckets = append(out.Buckets, r)
					}
				}, func(u model.UnlistedRow) {
					if (action == "" || u.Action == action) && !federated && slices.Contains(u.Accounts, account) {
						out.Unlisted = append(out.Unlisted, u)
					}
				})
				return nil
			}, func(doc *inventory.Document) error {
				ix = access.NewIndex(doc)
				var err error
				known, err = principalKnown(ix, doc, f.principal, account)
				return err
			}); err != nil {
				return err
			}
			if !known && len(out.Buckets) == 0 && len(out.Unlisted) == 0 && len(out.Unknown) == 0 {
				return usageErr("principal %s is not in the collected IAM of account %s", f.principal, account)
			}
			return f.write(cmd, &out)
		},
	}
	cmd.Flags().StringVar(&f.principal, "principal", "", "the principal: IAM role or user ARN, arn:aws:iam::ACCOUNT:root, or an IAM OIDC or SAML provider ARN")
	f.addFlags(cmd)
	return cmd
}

// principalClass is the class of the bucket's matrix a principal of
// account belongs to ("" for none of those principals are listed for).
func principalClass(ix *access.Index, b *model.Bucket, account string) string {
	switch _, ext := b.Access.External[account]; {
	case account == b.AccountID:
		return model.ClassSameAccount
	case ext:
		return model.ClassExternal
	case ix.InOrg(account) && ix.InOrg(b.AccountID):
		return model.ClassOrg
	}
	return ""
}

// addFlags adds the flags both commands take.
func (f *whoCanFlags) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.snapshot, "snapshot", "", "an inventory snapshot (scan --save-snapshot) or fixture")
	fl.StringVar(&f.action, "action", "", "only this action: read, list, write, delete, manage (or s3:GetObject...)")
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
}

// write prints the answer as --format says.
func (f *whoCanFlags) write(cmd *cobra.Command, out interface{ writeText(io.Writer) error }) error {
	if f.format == "json" {
		return writeJSON(cmd.OutOrStdout(), out)
	}
	return out.writeText(cmd.OutOrStdout())
}

// check validates the common flags and returns the matrix column of
// --action ("" for all).
func (f *whoCanFlags) check() (string, error) {
	if f.snapshot == "" {
		return "", usageErr("--snapshot FILE is required")
	}
	if f.format != "text" && f.format != "json" {
		return "", usageErr("--format: %q is not text or json", f.format)
	}
	if f.action == "" {
		return "", nil
	}
	names, actions := model.ActionNames(), access.MatrixActions()
	for i := range names {
		if strings.EqualFold(f.action, names[i]) || strings.EqualFold(f.action, actions[i]) {
			return names[i], nil
		}
	}
	return "", usageErr("--action: %q is not one of %s (or their S3 actions %s)", f.action,
		strings.Join(names[:], ", "), strings.Join(actions[:], ", "))
}

// analyzeSnapshot loads and analyses a snapshot, passing each bucket to
// sink; loaded (when given) sees the document first.
func analyzeSnapshot(cmd *cobra.Command, path string, sink func(*model.Bucket) error, loaded ...func(*inventory.Document) error) error {
	doc, err := loadSnapshot(path)
	if err != nil {
		return err
	}
	for _, l := range loaded {
		if err := l(doc); err != nil {
			return err
		}
	}
	// No cap of the principal lists (PrincipalsPerCell 0): who-can and
	// can-reach list every principal the capped reports count.
	_, err = access.Stream(cmd.Context(), doc, access.Options{ToolVersion: version.String(), Sources: []string{path}, PrincipalsPerCell: 0}, sink)
	return err
}

// principalAccount returns the account of a principal ARN.
func principalAccount(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || len(parts[4]) != 12 ||
		!(parts[5] == "root" || strings.HasPrefix(parts[5], "role/") || strings.HasPrefix(parts[5], "user/") || isProviderARN(arn)) {
		return "", usageErr("--principal: %q is not an IAM role, user, root or identity provider ARN (arn:aws:iam::ACCOUNT:role/NAME, …:user/NAME, …:root, …:oidc-provider/HOST, …:saml-provider/NAME)", arn)
	}
	return parts[4], nil
}

// principalKnown reports whether the snapshot's account holds the
// principal (its root always; a role or user when its IAM was collected;
// an identity provider when a trust policy allows it);
// an account not in the snapshot is a usage error.
func principalKnown(ix *access.Index, doc *inventory.Document, arn, account string) (bool, error) {
	for i := range doc.Accounts {
		a := &doc.Accounts[i]
		if a.ID != account {
			continue
		}
		if strings.HasSuffix(arn, ":root") {
			return true, nil
		}
		if a.IAM == nil {
			return false, nil
		}
		if isProviderARN(arn) { // known when a trust policy allows it: a node of the assume-role graph
			n := ix.AssumeGraph().Node(arn)
			return n != nil && n.Kind == access.NodeFederated, nil
		}
		for _, r := range a.IAM.Roles {
			if sameARN(r.ARN, arn) {
				return true, nil
			}
		}
		for _, u := range a.IAM.Users {
			if sameARN(u.ARN, arn) {
				return true, nil
			}
		}
		return false, nil
	}
	return false, usageErr("principal %s: account %s is not in the snapshot", arn, account)
}

// isProviderARN reports whether arn is an IAM OIDC or SAML identity
// provider's (a Federated principal of trust policies).
func isProviderARN(arn string) bool {
	return strings.HasPrefix(arn, "arn:") && (strings.Contains(arn, ":oidc-provider/") || strings.Contains(arn, ":saml-provider/"))
}

// sameARN reports whether two principal ARNs name the same role or user:
// equal, or a role's name equal with the path left out of one.
func sameARN(have, want string) bool {
	if have == want {
		return true
	}
	i, j := strings.Index(have, ":role/"), strings.Index(want, ":role/")
	if i < 0 || j < 0 || have[:i] != want[:j] {
		return false
	}
	hn, wn := have[strings.LastIndexByte(have, '/')+1:], want[strings.LastIndexByte(want, '/')+1:]
	return hn == wn && (strings.Count(have[i:], "/") == 1 || strings.Count(want[j:], "/") == 1)
}

// whoCanResult is who-can's answer (its JSON output).
type whoCanResult struct {
	Bucket     string               `json:"bucket"`
	Account    string               `json:"account_id"`
	Principals []model.PrincipalRow `json:"principals"`
	Unlisted   []model.UnlistedRow  `json:"unlisted,omitempty"`
	Beyond     []beyondRow          `json:"beyond_scanned_accounts,omitempty"`
	// Unknown are the cells whose principals are not decided: a layer that
	// could decide was not readable.
	Unknown []model.ClassCell `json:"unknown,omitempty"`
}

// beyondRow is a class of callers beyond the scanned accounts (anonymous,
// any other AWS account) that is not denied an action.
type beyondRow struct {
	Class   string        `json:"class"`
	Action  string        `json:"action"`
	Verdict model.Verdict `json:"verdict"`
	Reason  string        `json:"reason"`
}

// beyondRows lists the public and any_aws cells that are not denied.
func beyondRows(b *model.Bucket, action string) []beyondRow {
	var out []beyondRow
	names := model.ActionNames()
	for _, cl := range []struct {
		name string
		acts model.Actions
	}{{"public", b.Access.Public}, {"any_aws", b.Access.AnyAWS}} {
		cells := [5]model.Cell{cl.acts.Read, cl.acts.List, cl.acts.Write, cl.acts.Delete, cl.acts.Manage}
		for i, c := range cells {
			if (action == "" || names[i] == action) && c.Verdict != model.VerdictDeny {
				out = append(out, beyondRow{Class: cl.name, Action: names[i], Verdict: c.Verdict, Reason: c.Reason})
			}
		}
	}
	return out
}

func (r *whoCanResult) writeText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "Who can reach s3://%s (account %s)\n\n", r.Bucket, r.Account)
	writePrincipalTable(ew, r.Principals, func(p model.PrincipalRow) string {
		if p.Type == model.PrincipalFederated {
			return "federated: " + p.ARN // an identity provider's users, through the roles of via
		}
		return p.ARN
	}, "PRINCIPAL")
	switch {
	case len(r.Principals) == 0 && len(r.Unknown) == 0:
		fmt.Fprintln(ew, "No principal of the scanned accounts can.")
	case len(r.Principals) == 0:
		fmt.Fprintln(ew, "No principal of the scanned accounts is known to be allowed.")
	}
	writeUnlisted(ew, r.Unlisted, false)
	writeUnknown(ew, r.Unknown, false)
	if len(r.Beyond) > 0 {
		fmt.Fprintln(ew, "\nBeyond the scanned accounts:")
		for _, b := range r.Beyond {
			fmt.Fprintf(ew, "  %s %s: %s (%s)\n", b.Class, b.Action, b.Verdict, b.Reason)
		}
	}
	return ew.err
}

// canReachResult is can-reach's answer (its JSON output).
type canReachResult struct {
	Principal string               `json:"principal"`
	Account   string               `json:"account_id"`
	Buckets   []model.PrincipalRow `json:"buckets"`
	Unlisted  []model.UnlistedRow  `json:"unlisted,omitempty"`
	// Unknown are the cells of the principal's class that are unknown: a
	// layer that could decide was not readable.
	Unknown []model.ClassCell `json:"unknown,omitempty"`
}

func (r *canReachResult) writeText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "Buckets %s can reach\n\n", r.Principal)
	writePrincipalTable(ew, r.Buckets, func(p model.PrincipalRow) string { return "s3://" + p.Bucket }, "BUCKET")
	if len(r.Buckets) == 0 {
		fmt.Fprintln(ew, "No bucket of the snapshot.")
	}
	writeUnlisted(ew, r.Unlisted, true)
	writeUnknown(ew, r.Unknown, true)
	return ew.err
}

// writePrincipalTable prints rows as ACTION, VERDICT, the subject column
// and, indented below each, why (and the path when through roles).
func writePrincipalTable(w io.Writer, rows []model.PrincipalRow, subject func(model.PrincipalRow) string, head string) {
	if len(rows) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "ACTION\tVERDICT\t%s\n", head)
	for _, p := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Action, p.Verdict, subject(p))
		if len(p.Via) > 0 {
			fmt.Fprintf(tw, "\t\t  via %s\n", strings.Join(p.Via, " → "))
		}
		if why := p.Why(); why != "" {
			fmt.Fprintf(tw, "\t\t  %s\n", why)
		}
	}
	tw.Flush()
}

// writeUnlisted says which cells' principals could not be listed.
func writeUnlisted(w io.Writer, rows []model.UnlistedRow, bucket bool) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nPrincipals not listed (the class answer stands for them):")
	for _, u := range rows {
		where := u.Action + " (" + u.Class + ")"
		if bucket {
			where = "s3://" + u.Bucket + " " + where
		}
		fmt.Fprintf(w, "  %s: %s for accounts %s\n", where, u.Verdict, strings.Join(u.Accounts, ", "))
	}
}

// writeUnknown says which cells are unknown: their principals are not
// decided.
func writeUnknown(w io.Writer, cells []model.ClassCell, bucket bool) {
	if len(cells) == 0 {
		return
	}
	fmt.Fprintln(w, "\nUnknown (a layer that could decide was not readable):")
	for _, c := range cells {
		where := c.Action + " (" + c.Class
		if c.External != "" {
			where += " " + c.External
		}
		where += ")"
		if bucket {
			where = "s3://" + c.Bucket + " " + where
		}
		fmt.Fprintf(w, "  %s: %s\n", where, c.Reason)
	}
}

// writeJSON writes v indented.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
