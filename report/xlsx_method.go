package report

import (
	"fmt"

	"github.com/bucketaudit/bucketaudit/model"
)

func (b *workbook) writeMethod() error {
	r := b.r
	s := &sheetWriter{f: b.f, sheet: SheetMethod}
	hdr := func(t ...string) {
		vals := make([]any, len(t))
		for i, v := range t {
			vals[i] = styled(v, b.st.header)
		}
		s.line(vals...)
	}
	s.line(styled("How to read this workbook", b.st.title))
	s.line("For every bucket, the Matrix sheet says whether each class of caller can perform each action, and which layer decides.")
	s.line("Each verdict column is followed by a 'why' column, folded so that the verdicts print on few pages: unfold them with the + outline buttons above the verdict columns (or the 2 button at the top left): [deciding layers] reason | conditions.")
	s.line("The " + SheetHeatmap + " sheet shows the same verdicts compactly, one letter and colour per class and action.")
	s.blank()
	hdr("Verdict", "Meaning")
	for _, v := range verdicts() {
		s.line(styled(string(v), b.st.verdict[v]), v.Description())
	}
	s.blank()
	hdr("Principal class", "Who")
	for _, c := range matrixClasses() {
		s.line(styled(c, b.st.bold), model.Class(c).Description())
	}
	s.blank()
	hdr("Action", "S3 operation")
	for _, a := range matrixActions() {
		s.line(styled(a, b.st.bold), actionAPI(a))
	}
	s.blank()
	hdr("Layer (decided by)", "What it is")
	for _, l := range model.Layers() {
		s.line(styled(l, b.st.bold), model.Layer(l).Description())
	}
	s.blank()
	hdr("Assumptions", "")
	for _, a := range r.Assumptions {
		s.line("•", a)
	}
	if len(r.Assumptions) == 0 {
		s.line("•", "none stated in this report")
	}
	s.blank()
	hdr("Provenance", "")
	s.line(styled("Tool version", b.st.bold), r.ToolVersion)
	s.line(styled("Report schema", b.st.bold), fmt.Sprintf("report.json schema_version %d", r.SchemaVersion))
	s.line(styled("Generated at", b.st.bold), timeText(r.GeneratedAt))
	s.line(styled("Config digest", b.st.bold), configDigestText(r))
	if s.err != nil {
		return s.err
	}
	if err := b.f.SetColWidth(SheetMethod, "A", "A", 22); err != nil {
		return err
	}
	if err := b.f.SetColWidth(SheetMethod, "B", "B", 120); err != nil {
		return err
	}
	return b.f.SetColStyle(SheetMethod, "B", b.st.wrap)
}
