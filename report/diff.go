package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bucketaudit/bucketaudit/model"
)

// Diff is what changed between two reports (report.json files of two
// runs): the input of scheduled compliance runs.
//
// A finding is the same in both runs when its account, bucket, id,
// severity and detail are equal; a finding whose detail or severity
// changed counts as resolved in the old run and new in the new one. A
// cell changed when its verdict did (a reworded reason alone is no
// change); an external account named in one run only is listed with the
// cells that grant something (allow, conditional, unknown), since a deny
// and an absent account both mean no access.
type Diff struct {
	Old              Side            `json:"old"`
	New              Side            `json:"new"`
	NewFindings      []model.Finding `json:"new_findings"`
	ResolvedFindings []model.Finding `json:"resolved_findings"`
	ChangedCells     []CellChange    `json:"changed_cells"`
	BucketsAdded     []BucketRef     `json:"buckets_added"`
	BucketsRemoved   []BucketRef     `json:"buckets_removed"`
	AccountsAdded    []AccountRef    `json:"accounts_added"`
	AccountsRemoved  []AccountRef    `json:"accounts_removed"`
}

// Side describes one of the two reports compared.
type Side struct {
	Name        string    `json:"name"`
	GeneratedAt time.Time `json:"generated_at"`
	ToolVersion string    `json:"tool_version"`
	Buckets     int       `json:"buckets"`
	Findings    int       `json:"findings"`
	// Complete is false when the report's scan was interrupted or could not
	// read everything (scan.complete, scan.interrupted,
	// summary.incomplete): what it lacks may only have been unreadable.
	Complete    bool `json:"complete"`
	Interrupted bool `json:"interrupted,omitempty"`
	// NotFullyAssessed counts the accounts and buckets the report could
	// not fully assess (summary.incomplete).
	NotFullyAssessed int `json:"not_fully_assessed"`
}

// CellChange is one matrix cell whose verdict changed. Old or New is empty
// when the cell exists in one report only (an external account that
// appeared or disappeared).
type CellChange struct {
	AccountID string `json:"account_id"`
	Bucket    string `json:"bucket"`
	Class     string `json:"class"`
	// External is the external account ID when Class is "external".
	External string        `json:"external,omitempty"`
	Action   string        `json:"action"`
	Old      model.Verdict `json:"old"`
	New      model.Verdict `json:"new"`
	// Why explains the new verdict (or the old one when the cell is gone).
	Why string `json:"why"`
}

// BucketRef names a bucket that was added or removed.
type BucketRef struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
	Region    string `json:"region"`
	Exposure  string `json:"exposure"`
}

// AccountRef names an account that was added or removed.
type AccountRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	OUPath string `json:"ou_path"`
}

// Compare computes what changed from old to new.
func Compare(old, new *model.Report) *Diff {
	d := &Diff{
		Old: side(old), New: side(new),
		NewFindings: []model.Finding{}, ResolvedFindings: []model.Finding{}, ChangedCells: []CellChange{},
		BucketsAdded: []BucketRef{}, BucketsRemoved: []BucketRef{}, AccountsAdded: []AccountRef{}, AccountsRemoved: []AccountRef{},
	}
	d.NewFindings, d.ResolvedFindings = compareFindings(old, new)

	oldAccounts := make(map[string]bool, len(old.Accounts))
	for _, a := range old.Accounts {
		oldAccounts[a.ID] = true
	}
	newAccounts := make(map[string]bool, len(new.Accounts))
	for _, a := range new.Accounts {
		newAccounts[a.ID] = true
		if !oldAccounts[a.ID] {
			d.AccountsAdded = append(d.AccountsAdded, AccountRef{ID: a.ID, Name: a.Name, OUPath: a.OUPath})
		}
	}
	for _, a := range old.Accounts {
		if !newAccounts[a.ID] {
			d.AccountsRemoved = append(d.AccountsRemoved, AccountRef{ID: a.ID, Name: a.Name, OUPath: a.OUPath})
		}
	}

	oldBuckets := make(map[string]*model.Bucket, len(old.Buckets))
	for i := range old.Buckets {
		oldBuckets[bucketKey(&old.Buckets[i])] = &old.Buckets[i]
	}
	newBuckets := make(map[string]bool, len(new.Buckets))
	for i := range new.Buckets {
		nb := &new.Buckets[i]
		newBuckets[bucketKey(nb)] = true
		ob, ok := oldBuckets[bucketKey(nb)]
		if !ok {
			d.BucketsAdded = append(d.BucketsAdded, bucketRef(nb))
			continue
		}
		d.ChangedCells = append(d.ChangedCells, compareCells(ob, nb)...)
	}
	for i := range old.Buckets {
		if !newBuckets[bucketKey(&old.Buckets[i])] {
			d.BucketsRemoved = append(d.BucketsRemoved, bucketRef(&old.Buckets[i]))
		}
	}
	sort.SliceStable(d.BucketsAdded, func(i, j int) bool { return bucketRefLess(d.BucketsAdded[i], d.BucketsAdded[j]) })
	sort.SliceStable(d.BucketsRemoved, func(i, j int) bool { return bucketRefLess(d.BucketsRemoved[i], d.BucketsRemoved[j]) })
	sort.SliceStable(d.AccountsAdded, func(i, j int) bool { return d.AccountsAdded[i].ID < d.AccountsAdded[j].ID })
	sort.SliceStable(d.AccountsRemoved, func(i, j int) bool { return d.AccountsRemoved[i].ID < d.AccountsRemoved[j].ID })
	sort.SliceStable(d.ChangedCells, func(i, j int) bool {
		a, b := d.ChangedCells[i], d.ChangedCells[j]
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		return a.Bucket < b.Bucket
	})
	return d
}

func side(r *model.Report) Side {
	s := Side{GeneratedAt: r.GeneratedAt, ToolVersion: r.ToolVersion, Buckets: len(r.Buckets), Findings: len(allFindings(r)),
		Complete: r.Summary.Incomplete == 0, NotFullyAssessed: r.Summary.Incomplete}
	if r.Scan != nil {
		s.Interrupted = r.Scan.Interrupted
		s.Complete = s.Complete && r.Scan.Complete && !r.Scan.Interrupted
	}
	return s
}

// Incomplete reports whether either report is incomplete (Side.Complete):
// then a finding that looks resolved, or a bucket that looks removed, may
// only be unreadable, and one that looks new may only have been.
func (d *Diff) Incomplete() bool { return !d.Old.Complete || !d.New.Complete }

// Warnings says, for each incomplete report, what the diff cannot tell.
func (d *Diff) Warnings() []string {
	var out []string
	what := func(s Side) string {
		why := "its scan could not read everything"
		if s.Interrupted {
			why = "its scan was interrupted"
		}
		return fmt.Sprintf("%s is INCOMPLETE (%s; %d accounts or buckets not fully assessed)", s.Name, why, s.NotFullyAssessed)
	}
	if !d.Old.Complete {
		out = append(out, "WARNING: the old report "+what(d.Old)+": a finding that looks new may only have been unreadable in it.")
	}
	if !d.New.Complete {
		out = append(out, "WARNING: the new report "+what(d.New)+": a finding that looks resolved, or a bucket or account that looks removed, may only be unreadable in it, not fixed.")
	}
	return out
}

// allFindings returns every finding of the report (account findings, then
// bucket findings, in report order).
func allFindings(r *model.Report) []*model.Finding {
	var out []*model.Finding
	for i := range r.Accounts {
		for j := range r.Accounts[i].Findings {
			out = append(out, &r.Accounts[i].Findings[j])
		}
	}
	for i := range r.Buckets {
		for j := range r.Buckets[i].Findings {
			out = append(out, &r.Buckets[i].Findings[j])
		}
	}
	return out
}

func bucketKey(b *model.Bucket) string { return b.AccountID + "/" + b.Name }

func bucketRef(b *model.Bucket) BucketRef {
	return BucketRef{AccountID: b.AccountID, Name: b.Name, Region: b.Region, Exposure: b.Exposure}
}

func bucketRefLess(a, b BucketRef) bool {
	if a.AccountID != b.AccountID {
		return a.AccountID < b.AccountID
	}
	return a.Name < b.Name
}

// findingKey identifies a finding across runs.
func findingKey(f *model.Finding) string {
	return strings.Join([]string{f.AccountID, f.Bucket, f.ID, string(f.Severity), f.Detail}, "\x00")
}

// compareFindings returns the findings of new that old lacks and those of
// old that new lacks, counting duplicates, most severe first.
func compareFindings(old, new *model.Report) (added, resolved []model.Finding) {
	count := map[string]int{}
	for _, f := range allFindings(old) {
		count[findingKey(f)]++
	}
	added, resolved = []model.Finding{}, []model.Finding{}
	for _, f := range allFindings(new) {
		k := findingKey(f)
		if count[k] > 0 {
			count[k]--
			continue
		}
		added = append(added, *f)
	}
	for _, f := range allFindings(old) {
		k := findingKey(f)
		if count[k] > 0 {
			count[k]--
			resolved = append(resolved, *f)
		}
	}
	sortFindings(added)
	sortFindings(resolved)
	return added, resolved
}

// sortFindings orders findings by severity, account, bucket, id, detail.
func sortFindings(fs []model.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if ra, rb := a.Severity.Rank(), b.Severity.Rank(); ra != rb {
			return ra < rb
		}
		return findingKey(a) < findingKey(b)
	})
}

// compareCells lists the cells of a bucket whose verdict changed.
func compareCells(ob, nb *model.Bucket) []CellChange {
	var out []CellChange
	add := func(class, external, action string, oc, nc model.Cell) {
		if oc.Verdict == nc.Verdict || noAccess(oc.Verdict) && noAccess(nc.Verdict) {
			return
		}
		why := whyText(nc)
		if nc.Verdict == "" {
			why = whyText(oc)
		}
		out = append(out, CellChange{AccountID: nb.AccountID, Bucket: nb.Name, Class: class, External: external,
			Action: action, Old: oc.Verdict, New: nc.Verdict, Why: why})
	}
	for _, class := range matrixClasses() {
		if class == classExternal {
			ids := map[string]bool{}
			for id := range ob.Access.External {
				ids[id] = true
			}
			for id := range nb.Access.External {
				ids[id] = true
			}
			for _, id := range slices.Sorted(maps.Keys(ids)) {
				oa, na := ob.Access.External[id], nb.Access.External[id]
				for _, action := range matrixActions() {
					add(class, id, action, cellOf(&oa.Actions, action), cellOf(&na.Actions, action))
				}
			}
			continue
		}
		for _, action := range matrixActions() {
			add(class, "", action, cellOf(classActions(&ob.Access, class), action), cellOf(classActions(&nb.Access, class), action))
		}
	}
	return out
}

// noAccess reports whether a verdict grants nothing: deny, or an external
// account's cell that does not exist (the account is not named, so it has
// no access beyond the any_aws class).
func noAccess(v model.Verdict) bool { return v == "" || v == model.VerdictDeny }

// CheckSeverity reports whether s is a severity name.
func CheckSeverity(s string) error {
	_, err := model.ParseSeverity(s)
	return err
}

// NewAtOrAbove counts the new findings at or above a severity (checked
// with CheckSeverity); muted ones (accepted by a mutelist) do not count.
func (d *Diff) NewAtOrAbove(threshold string) int {
	n := 0
	for _, f := range d.NewFindings {
		if !f.Muted && f.Severity.AtLeast(model.Severity(threshold)) {
			n++
		}
	}
	return n
}

// Empty reports whether nothing changed.
func (d *Diff) Empty() bool {
	return len(d.NewFindings)+len(d.ResolvedFindings)+len(d.ChangedCells)+len(d.BucketsAdded)+
		len(d.BucketsRemoved)+len(d.AccountsAdded)+len(d.AccountsRemoved) == 0
}

// WriteJSON writes the diff as indented JSON.
func (d *Diff) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteText writes the diff for a human reader.
func (d *Diff) WriteText(w io.Writer) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "old: %s\nnew: %s\n", sideText(d.Old), sideText(d.New))
	if ws := d.Warnings(); len(ws) > 0 {
		buf.WriteString("\n" + strings.Join(ws, "\n") + "\n")
	}
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	section := func(title string, n int) {
		fmt.Fprintf(tw, "\n%s: %d\n", title, n)
	}
	section("New findings", len(d.NewFindings))
	for _, f := range d.NewFindings {
		fmt.Fprintf(tw, "  + %s\t%s\t%s\t%s\n", f.Severity, f.ID, location(f.AccountID, f.Bucket), f.Title)
	}
	section("Resolved findings", len(d.ResolvedFindings))
	for _, f := range d.ResolvedFindings {
		fmt.Fprintf(tw, "  - %s\t%s\t%s\t%s\n", f.Severity, f.ID, location(f.AccountID, f.Bucket), f.Title)
	}
	section("Changed cells", len(d.ChangedCells))
	for _, c := range d.ChangedCells {
		who := c.Class
		if c.External != "" {
			who += " " + c.External
		}
		fmt.Fprintf(tw, "  %s\t%s %s\t%s -> %s\t%s\n", location(c.AccountID, c.Bucket), who, c.Action,
			verdictOrAbsent(c.Old), verdictOrAbsent(c.New), c.Why)
	}
	section("Buckets added", len(d.BucketsAdded))
	for _, b := range d.BucketsAdded {
		fmt.Fprintf(tw, "  + %s\t%s\t%s\n", location(b.AccountID, b.Name), b.Region, b.Exposure)
	}
	section("Buckets removed", len(d.BucketsRemoved))
	for _, b := range d.BucketsRemoved {
		fmt.Fprintf(tw, "  - %s\t%s\t%s\n", location(b.AccountID, b.Name), b.Region, b.Exposure)
	}
	section("Accounts added", len(d.AccountsAdded))
	for _, a := range d.AccountsAdded {
		fmt.Fprintf(tw, "  + %s\t%s\t%s\n", a.ID, a.Name, a.OUPath)
	}
	section("Accounts removed", len(d.AccountsRemoved))
	for _, a := range d.AccountsRemoved {
		fmt.Fprintf(tw, "  - %s\t%s\t%s\n", a.ID, a.Name, a.OUPath)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func sideText(s Side) string {
	incomplete := ""
	if !s.Complete {
		incomplete = ", INCOMPLETE"
	}
	return fmt.Sprintf("%s (generated %s by %s, %d buckets, %d findings%s)", s.Name, timeText(s.GeneratedAt), s.ToolVersion, s.Buckets, s.Findings, incomplete)
}

func location(account, bucket string) string {
	if bucket == "" {
		return account
	}
	return account + "/" + bucket
}

func verdictOrAbsent(v model.Verdict) string {
	if v == "" {
		return "(absent)"
	}
	return string(v)
}

// LoadReport reads a report.json file.
func LoadReport(path string) (*model.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadReport(f, path)
}

// presence records whether a JSON key occurred, without keeping its value.
type presence bool

// UnmarshalJSON marks the key present.
func (p *presence) UnmarshalJSON([]byte) error {
	*p = true
	return nil
}

// ReadReport decodes a report.json; name is used in error messages, which
// give the line and column of a syntax or type error. Keys that this
// version does not know are ignored (later versions may add fields); a
// document that is not a report (no schema_version, generated_at, accounts
// or buckets, such as an inventory snapshot) or has another schema version
// is an error.
func ReadReport(r io.Reader, name string) (*model.Report, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var keys struct {
		SchemaVersion presence `json:"schema_version"`
		GeneratedAt   presence `json:"generated_at"`
		Accounts      presence `json:"accounts"`
		Buckets       presence `json:"buckets"`
	}
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, jsonError(name, data, err)
	}
	var missing []string
	for _, k := range []struct {
		name string
		ok   presence
	}{{"schema_version", keys.SchemaVersion}, {"generated_at", keys.GeneratedAt}, {"accounts", keys.Accounts}, {"buckets", keys.Buckets}} {
		if !k.ok {
			missing = append(missing, k.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: not a bucketaudit report.json (missing %s)", name, strings.Join(missing, ", "))
	}
	var rep model.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, jsonError(name, data, err)
	}
	if rep.SchemaVersion != model.SchemaVersion {
		return nil, fmt.Errorf("%s: report schema_version %d, this bucketaudit reads %d", name, rep.SchemaVersion, model.SchemaVersion)
	}
	return &rep, nil
}

// jsonError names the line and column of a decoding error.
func jsonError(name string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(data, syn.Offset)
		return fmt.Errorf("%s:%d:%d: %w", name, line, col, err)
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		if typ.Field == "" {
			return fmt.Errorf("%s:%d:%d: a report.json is a JSON object, not %s", name, line, col, typ.Value)
		}
		return fmt.Errorf("%s:%d:%d: %s: %s where %s is expected", name, line, col, typ.Field, typ.Value, typ.Type)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// lineCol returns the 1-based line and column of the last of the first
// offset bytes of data (encoding/json's offsets count the bytes read when
// the error occurred: a syntax error's offending byte is the last one).
func lineCol(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 1), int64(len(data)))
	if offset == 0 {
		return 1, 1
	}
	before := data[:offset-1]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}
