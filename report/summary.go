package report

import (
	"bytes"
	"errors"
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

// cellLetter is a cell in the terminal excerpt: its verdict's letter, "a"
// for an allow narrowed to named principals.
func cellLetter(v access.Verdict, narrowed bool) string {
	if v == access.VerdictAllow && narrowed {
		return "a"
	}
	return verdictLetter(v)
}

// Excerpt gathers, from a stream of buckets, the short summary a run
// prints on the terminal: the counts of buckets by verdict class and of
// findings by severity, then an excerpt of the access matrix (the first
// rows, one letter per action). The counts are computed from the buckets
// and findings, as the Summary sheet's are. Use it as a sink beside Files:
// Bucket for every bucket, End with the report, then Write.
type Excerpt struct {
	maxRows int
	rows    []string // tab-separated lines of the matrix excerpt
	counts  counts
	r       *access.Report
}

// NewExcerpt returns an excerpt that keeps at most maxRows buckets' rows
// (all of them when maxRows is negative).
func NewExcerpt(maxRows int) *Excerpt {
	return &Excerpt{maxRows: maxRows, counts: newCounts()}
}

// Bucket counts a bucket, and keeps its row while there is room.
func (e *Excerpt) Bucket(b *access.Bucket) {
	e.counts.bucket(b)
	if e.maxRows >= 0 && len(e.rows) >= e.maxRows {
		return
	}
	account := b.AccountName
	if account == "" {
		account = b.AccountID
	}
	line := "  " + account + "\t" + b.Name
	for _, class := range matrixClasses() {
		line += "\t"
		for _, action := range matrixActions() {
			var v access.Verdict
			var narrowed bool
			if class == classExternal {
				v, _ = externalSummary(b.Access.External, action)
				narrowed = externalNarrowed(b.Access.External, action, v)
			} else {
				c := cellOf(classActions(&b.Access, class), action)
				v, narrowed = c.Verdict, len(c.NarrowedTo) > 0
			}
			line += cellLetter(v, narrowed)
		}
	}
	e.rows = append(e.rows, line+"\t")
}

// End adds the report's own parts (organisation, accounts and their
// findings, failed reads) once the buckets are counted.
func (e *Excerpt) End(r *access.Report) {
	e.r = r
	e.counts.report(r)
}

// Write writes the summary (after End).
func (e *Excerpt) Write(w io.Writer) error {
	r, c := e.r, e.counts
	if r == nil {
		return errors.New("summary: the report is not complete")
	}
	var buf bytes.Buffer
	org := "Organisation"
	if r.Organization != nil && r.Organization.ID != "" {
		org += " " + r.Organization.ID
	}
	fmt.Fprintf(&buf, "%s: %d accounts, %d buckets, %d findings", org, len(r.Accounts), c.buckets, c.findings)
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
	fmt.Fprintf(&buf, "\nAccess matrix (actions %s; A allow, a allow only for named principals, C conditional, ? unknown, . deny, - no external account named)\n",
		strings.Join(actions[:], " "))
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	head := "  account\tbucket"
	for _, class := range matrixClasses() {
		head += "\t" + class
	}
	fmt.Fprintln(tw, head+"\t")
	for _, line := range e.rows {
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n := c.buckets - len(e.rows); n > 0 && e.maxRows >= 0 {
		fmt.Fprintf(&buf, "  … and %d more in report.xlsx (Matrix sheet)\n", n)
	}
	lines := strings.Split(buf.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// WriteSummary writes the terminal summary (see Excerpt) of a report held
// in memory, with at most maxRows buckets of the matrix.
func WriteSummary(w io.Writer, r *access.Report, maxRows int) error {
	e := NewExcerpt(maxRows)
	for i := range r.Buckets {
		e.Bucket(&r.Buckets[i])
	}
	e.End(r)
	return e.Write(w)
}
