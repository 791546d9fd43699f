package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/bucketaudit/bucketaudit/access"
)

// verdictLetter is a verdict in the terminal excerpt of the matrix.
func verdictLetter(v access.Verdict) string {
	switch v {
	case access.VerdictAllow:
		return "A"
	case access.VerdictConditional:
		return "C"
	case access.VerdictUnknown:
		return "?"
	case access.VerdictDeny:
		return "."
	}
	return "-"
}

// WriteSummary writes the short summary a run prints on the terminal: the
// counts of buckets by verdict class and of findings by severity, then an
// excerpt of the access matrix (at most maxRows buckets, one letter per
// action). The counts are computed from the buckets and findings, as the
// Summary sheet's are.
func WriteSummary(w io.Writer, r *access.Report, maxRows int) error {
	var buf bytes.Buffer
	c := countReport(r)
	org := "Organisation"
	if r.Organization != nil && r.Organization.ID != "" {
		org += " " + r.Organization.ID
	}
	fmt.Fprintf(&buf, "%s: %d accounts, %d buckets, %d findings", org, len(r.Accounts), len(r.Buckets), c.findings)
	if r.Summary.Incomplete > 0 {
		fmt.Fprintf(&buf, "; %d accounts or buckets not fully assessed", r.Summary.Incomplete)
	}
	buf.WriteString("\n\n")

	fmt.Fprintf(&buf, "  %-22s  %s\n", "buckets by verdict class", "findings by severity")
	exp, sev := access.Exposures(), access.Severities()
	for i := range max(len(exp), len(sev)) {
		left, right := "", ""
		if i < len(exp) {
			left = fmt.Sprintf("%-9s %6d", exp[i], c.byExposure[exp[i]])
		}
		if i < len(sev) {
			right = fmt.Sprintf("%-9s %6d", sev[i], c.bySeverity[sev[i]])
		}
		fmt.Fprintf(&buf, "    %-20s    %s\n", left, right)
	}

	actions := matrixActions()
	fmt.Fprintf(&buf, "\nAccess matrix (actions %s; A allow, C conditional, ? unknown, . deny, - no external account named)\n",
		strings.Join(actions[:], " "))
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	head := "  account\tbucket"
	for _, class := range matrixClasses() {
		head += "\t" + class
	}
	fmt.Fprintln(tw, head+"\t")
	for i := range r.Buckets {
		if i == maxRows {
			break
		}
		b := &r.Buckets[i]
		account := b.AccountName
		if account == "" {
			account = b.AccountID
		}
		line := "  " + account + "\t" + b.Name
		for _, class := range matrixClasses() {
			line += "\t"
			for _, action := range matrixActions() {
				var v access.Verdict
				if class == classExternal {
					v, _ = externalSummary(b.Access.External, action)
				} else {
					v = cellOf(classActions(&b.Access, class), action).Verdict
				}
				line += verdictLetter(v)
			}
		}
		fmt.Fprintln(tw, line+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n := len(r.Buckets) - maxRows; n > 0 && maxRows >= 0 {
		fmt.Fprintf(&buf, "  … and %d more in report.xlsx (Matrix sheet)\n", n)
	}
	lines := strings.Split(buf.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}
