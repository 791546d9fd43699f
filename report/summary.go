package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/bucketaudit/bucketaudit/model"
)

// verdictLetter is a verdict in the terminal excerpt of the matrix.
func verdictLetter(v model.Verdict) string {
	switch v {
	case model.VerdictAllow:
		return "A"
	case model.VerdictConditional:
		return "C"
	case model.VerdictUnknown:
		return "?"
	case model.VerdictDeny:
		return "."
	}
	return "-"
}

// cellLetter is a cell in the terminal excerpt: its verdict's letter, "a"
// for an allow narrowed to named principals.
func cellLetter(v model.Verdict, narrowed bool) string {
	if v == model.VerdictAllow && narrowed {
		return "a"
	}
	return verdictLetter(v)
}

// narrowedCell says the cell of class and action whose verdict is v (the
// widest of the external accounts for the external class) is narrowed to
// named principals.
func narrowedCell(b *model.Bucket, class, action string, v model.Verdict) bool {
	if class == classExternal {
		return externalNarrowed(b.Access.External, action, v)
	}
	return len(cellOf(classActions(&b.Access, class), action).NarrowedTo) > 0
}

// Excerpt gathers, from a stream of buckets, the short summary a run
// prints on the terminal, within summaryWidth columns: the counts of
// buckets by verdict class and of findings by severity, then an excerpt of
// the access matrix, one letter per action, the most exposed buckets first
// (public, external, org, unknown, private; in report order within a
// class). The counts are computed from the buckets and findings, as the
// Summary sheet's are. Use it as a sink beside Files: Bucket for every
// bucket, End with the report, then Write.
type Excerpt struct {
	maxRows int
	rows    []excerptRow // the most exposed buckets, in the order printed
	seen    int          // buckets given to Bucket
	counts  counts
	r       *model.Report
}

// excerptRow is one bucket's line of the matrix excerpt.
type excerptRow struct {
	rank            int // exposureRank
	seq             int // arrival, for report order within a class
	exposure        string
	account, bucket string
	letters         string // the classes' letters, space-separated
}

// summaryWidth is the width of the terminal summary.
const summaryWidth = 80

// exposureRank orders the verdict classes of buckets, most exposed first:
// public, external, org, unknown, private, then any other.
func exposureRank(e string) int {
	for i, v := range []string{model.ExposurePublic, model.ExposureExternal, model.ExposureOrg, model.ExposureUnknown, model.ExposurePrivate} {
		if v == e {
			return i
		}
	}
	return 5
}

// classAbbrev is a principal class in the excerpt's five-letter columns.
func classAbbrev(class string) string {
	switch class {
	case classPublic:
		return "pub"
	case classAnyAWS:
		return "aws"
	case classOrg:
		return "org"
	case classExternal:
		return "ext"
	case classSameAccount:
		return "same"
	}
	return class
}

// NewExcerpt returns an excerpt that keeps the rows of the maxRows most
// exposed buckets (all of them when maxRows is negative).
func NewExcerpt(maxRows int) *Excerpt {
	return &Excerpt{maxRows: maxRows, counts: newCounts()}
}

// Bucket counts a bucket, and keeps its row if it is among the maxRows
// most exposed so far.
func (e *Excerpt) Bucket(b *model.Bucket) {
	e.counts.bucket(b)
	e.seen++
	row := excerptRow{rank: exposureRank(b.Exposure), seq: e.seen, exposure: b.Exposure}
	if e.maxRows >= 0 && len(e.rows) >= e.maxRows {
		if e.maxRows == 0 || e.rows[len(e.rows)-1].rank <= row.rank {
			return // no more exposed than any kept row
		}
		e.rows = e.rows[:len(e.rows)-1]
	}
	row.account = b.AccountName
	if row.account == "" {
		row.account = b.AccountID
	}
	row.bucket = b.Name
	var groups []string
	for _, class := range matrixClasses() {
		letters := ""
		for _, action := range matrixActions() {
			v := heatmapVerdict(b, class, action)
			letters += cellLetter(v, narrowedCell(b, class, action, v))
		}
		groups = append(groups, letters)
	}
	row.letters = strings.Join(groups, " ")
	// After the kept rows of the same or a more exposed class.
	i := sort.Search(len(e.rows), func(i int) bool { return e.rows[i].rank > row.rank })
	e.rows = slices.Insert(e.rows, i, row)
}

// End adds the report's own parts (organisation, accounts and their
// findings, failed reads) once the buckets are counted.
func (e *Excerpt) End(r *model.Report) {
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
	fmt.Fprintf(&buf, "%s: %d accounts, %d buckets, %d findings\n", org, len(r.Accounts), c.buckets, c.findings)
	if r.Summary.Incomplete > 0 {
		fmt.Fprintf(&buf, "%d accounts or buckets not fully assessed (unknown cells; see the Errors sheet)\n", r.Summary.Incomplete)
	}
	buf.WriteString("\n")

	fmt.Fprintf(&buf, "  %-22s  %s\n", "buckets by verdict class", "findings by severity")
	exp, sev := model.Exposures(), model.Severities()
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

	e.writeMatrix(&buf)
	lines := strings.Split(buf.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// writeMatrix writes the matrix excerpt: a legend, then a heading per
// verdict class and its buckets' lines (account, bucket, five letters per
// class), names cut to fit summaryWidth.
func (e *Excerpt) writeMatrix(buf *bytes.Buffer) {
	actions := matrixActions()
	var classes []string
	for _, class := range matrixClasses() {
		if a := classAbbrev(class); a != class {
			class = a + " " + class
		}
		classes = append(classes, class)
	}
	buf.WriteString("\n")
	buf.WriteString(wrapText(fmt.Sprintf("Access matrix, most exposed buckets first: for each class of caller (%s) "+
		"a letter per action (%s): A allow, a allow only for named principals, C conditional, ? unknown, . deny, - no external account named.",
		strings.Join(classes, ", "), strings.Join(actions[:], " ")), summaryWidth))

	// "  account  bucket  ppppp aaaaa ooooo eeeee sssss"
	const indent, gap = 2, 2
	grid := len(matrixClasses())*(len(actions)+1) - 1
	wa, wb := len("account"), len("bucket")
	for _, row := range e.rows {
		wa, wb = max(wa, runeLen(row.account)), max(wb, runeLen(row.bucket))
	}
	// Too wide: cut the account names first (to 12), then the buckets'.
	if room := summaryWidth - indent - 2*gap - grid; wa+wb > room {
		wa = min(wa, max(12, room-wb))
		wb = room - wa
	}
	var head []string
	for _, class := range matrixClasses() {
		head = append(head, fmt.Sprintf("%-5s", classAbbrev(class)))
	}
	line := func(account, bucket, letters string) {
		fmt.Fprintf(buf, "%*s%s%*s%s%*s%s\n", indent, "", padCut(account, wa), gap, "", padCut(bucket, wb), gap, "", letters)
	}
	line("account", "bucket", strings.Join(head, " "))
	for i, row := range e.rows {
		if i == 0 || row.exposure != e.rows[i-1].exposure {
			fmt.Fprintf(buf, "%s (%d)\n", row.exposure, e.counts.byExposure[row.exposure])
		}
		line(row.account, row.bucket, row.letters)
	}
	if n := e.counts.buckets - len(e.rows); n > 0 && e.maxRows >= 0 {
		fmt.Fprintf(buf, "  … and %d less exposed in report.xlsx (%s and %s sheets)\n", n, SheetHeatmap, SheetMatrix)
	}
}

// wrapText breaks text into lines of at most width characters, at spaces.
func wrapText(text string, width int) string {
	var sb strings.Builder
	n := 0
	for _, word := range strings.Fields(text) {
		l := runeLen(word)
		switch {
		case n == 0:
		case n+1+l <= width:
			sb.WriteByte(' ')
			n++
		default:
			sb.WriteByte('\n')
			n = 0
		}
		sb.WriteString(word)
		n += l
	}
	sb.WriteByte('\n')
	return sb.String()
}

// runeLen is the number of characters of s.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// padCut pads s with spaces to width characters, or cuts it to width
// with "…" as its last character.
func padCut(s string, width int) string {
	n := runeLen(s)
	if n <= width {
		return s + strings.Repeat(" ", width-n)
	}
	r := []rune(s)
	return string(r[:max(width-1, 0)]) + "…"
}

// WriteSummary writes the terminal summary (see Excerpt) of a report held
// in memory, with at most maxRows buckets of the matrix.
func WriteSummary(w io.Writer, r *model.Report, maxRows int) error {
	e := NewExcerpt(maxRows)
	for i := range r.Buckets {
		e.Bucket(&r.Buckets[i])
	}
	e.End(r)
	return e.Write(w)
}
