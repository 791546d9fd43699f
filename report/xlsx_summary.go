package report

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/bucketaudit/bucketaudit/model"
	"github.com/xuri/excelize/v2"
)

// maxChartAccounts caps the accounts drawn in the Summary chart (the table
// beside it lists them all).
const maxChartAccounts = 20

func (b *workbook) writeSummary() error {
	r := b.r
	c := b.counts
	s := &sheetWriter{f: b.f, sheet: SheetSummary}
	lbl := func(t string) excelize.Cell { return styled(t, b.st.label) }
	s.line(styled("bucketaudit — S3 access report", b.st.title))
	s.blank()
	s.line(lbl("Generated at"), timeText(r.GeneratedAt))
	s.line(lbl("Tool version"), r.ToolVersion)
	if o := r.Organization; o != nil {
		s.line(lbl("Organisation"), o.ID, "management account "+o.ManagementAccountID)
		s.line(lbl("SCPs / RCPs"), fmt.Sprintf("%d / %d", len(o.SCPs), len(o.RCPs)), policyNames(o))
	} else {
		s.line(lbl("Organisation"), "not read")
	}
	if sc := r.Scan; sc != nil {
		regions := "all regions"
		if len(sc.Regions) > 0 {
			regions = strings.Join(sc.Regions, ", ")
		}
		s.line(lbl("Scope"), fmt.Sprintf("%d accounts, %s", len(r.Accounts), regions))
		s.line(lbl("Source"), strings.Join(sc.Sources, ", "))
		if !sc.StartedAt.IsZero() {
			s.line(lbl("Scan time"), timeText(sc.StartedAt), timeText(sc.FinishedAt))
		}
		complete := "yes"
		switch {
		case sc.Interrupted:
			complete = "no — the scan was interrupted before it visited everything in scope"
		case !sc.Complete:
			complete = "no — see the Errors sheet and the unknown cells"
		}
		s.line(lbl("Scan complete"), complete)
		s.line(lbl("Config digest"), configDigestText(r))
	} else {
		s.line(lbl("Scope"), fmt.Sprintf("%d accounts", len(r.Accounts)))
	}
	s.line(lbl("Accounts"), len(r.Accounts))
	s.line(lbl("Buckets"), c.buckets)
	s.line(lbl("Findings"), c.findings)
	s.line(lbl("Failed reads"), c.errors)
	s.blank()

	s.line(styled("Buckets by verdict class", b.st.header), styled("Buckets", b.st.header), styled("Meaning", b.st.header))
	for _, e := range model.Exposures() {
		s.line(styled(e, b.st.exposure[e]), c.byExposure[e], model.Exposure(e).Description())
	}
	for _, e := range slices.Sorted(maps.Keys(c.byExposure)) {
		if _, known := b.st.exposure[e]; !known {
			s.line(e, c.byExposure[e], "")
		}
	}
	s.blank()

	s.line(styled("Findings by severity", b.st.header), styled("Findings", b.st.header))
	for _, sev := range model.Severities() {
		s.line(styled(string(sev), b.st.severity[sev]), c.bySeverity[sev])
	}
	for _, sev := range slices.Sorted(maps.Keys(c.bySeverity)) {
		if !sev.Valid() {
			s.line(string(sev), c.bySeverity[sev])
		}
	}
	s.blank()

	// Findings by account, most severe first; the chart draws the first rows.
	head := []any{styled("Findings by account", b.st.header), styled("Account", b.st.header)}
	for _, sev := range model.Severities() {
		head = append(head, styled(string(sev), b.st.severity[sev]))
	}
	head = append(head, styled("total", b.st.header))
	s.line(head...)
	tableRow := s.row
	ids := slices.Sorted(maps.Keys(c.byAccount))
	sort.SliceStable(ids, func(i, j int) bool { return accountOrder(c.byAccount[ids[i]], c.byAccount[ids[j]]) })
	for _, id := range ids {
		vals := []any{id, b.accountNames[id]}
		total := 0
		for _, sev := range model.Severities() {
			vals = append(vals, c.byAccount[id][sev])
		}
		for _, n := range c.byAccount[id] {
			total += n
		}
		s.line(append(vals, total)...)
	}
	if len(ids) == 0 {
		s.line("No findings.")
	}
	if s.err != nil {
		return s.err
	}
	for col, w := range []float64{26, 28, 12, 12, 12, 12, 12, 10} {
		name, _ := excelize.ColumnNumberToName(col + 1)
		if err := b.f.SetColWidth(SheetSummary, name, name, w); err != nil {
			return err
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return b.addFindingsChart(tableRow, min(len(ids), maxChartAccounts), s.row+2)
}

// policyNames lists the organisation's SCPs and RCPs by name, marking
// those whose document could not be read.
func policyNames(o *model.Organization) string {
	var names []string
	for _, group := range []struct {
		kind string
		ps   []model.OrgPolicy
	}{{"SCP", o.SCPs}, {"RCP", o.RCPs}} {
		for _, p := range group.ps {
			n := p.Name
			if n == "" {
				n = p.ID
			}
			if !p.Readable {
				n += " (unreadable)"
			}
			names = append(names, group.kind+" "+n)
		}
	}
	return strings.Join(names, ", ")
}

// configDigestText is the SHA-256 of the scan's configuration file.
func configDigestText(r *model.Report) string {
	if r.Scan == nil || r.Scan.ConfigDigest == "" {
		return "none (no configuration file was used)"
	}
	return r.Scan.ConfigDigest
}

// accountOrder sorts accounts by their findings, most severe first.
func accountOrder(a, b map[model.Severity]int) bool {
	for _, sev := range model.Severities() {
		if a[sev] != b[sev] {
			return a[sev] > b[sev]
		}
	}
	return false
}

// addFindingsChart draws findings by severity per account: a stacked bar
// per account (the n rows under headerRow), one colour per severity.
func (b *workbook) addFindingsChart(headerRow, n, atRow int) error {
	ref := func(col, from, to int) string {
		name, _ := excelize.ColumnNumberToName(col)
		if from == to {
			return fmt.Sprintf("'%s'!$%s$%d", SheetSummary, name, from)
		}
		return fmt.Sprintf("'%s'!$%s$%d:$%s$%d", SheetSummary, name, from, name, to)
	}
	var series []excelize.ChartSeries
	for i, sev := range model.Severities() {
		col := 3 + i
		fill, _ := severityColor(sev)
		series = append(series, excelize.ChartSeries{
			Name:       ref(col, headerRow, headerRow),
			Categories: ref(1, headerRow+1, headerRow+n),
			Values:     ref(col, headerRow+1, headerRow+n),
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}},
		})
	}
	title := "Findings by severity per account"
	if n == maxChartAccounts {
		title += fmt.Sprintf(" (the %d accounts with the most severe findings)", n)
	}
	cell, _ := excelize.CoordinatesToCellName(1, atRow)
	return b.f.AddChart(SheetSummary, cell, &excelize.Chart{
		Type:       excelize.BarStacked,
		Series:     series,
		VaryColors: new(false),
		Title:      excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title}}},
		Legend:     excelize.ChartLegend{Position: "bottom"},
		Dimension:  excelize.ChartDimension{Width: 720, Height: uint(180 + 24*n)},
		XAxis:      excelize.ChartAxis{ReverseOrder: true},
	})
}
