package policy

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Run evaluates lines in parallel; the output keeps the input order and
// equals line-by-line evaluation.
func TestSimulatorRunOrder(t *testing.T) {
	lines := genRequests(3, 700)
	lines = append(lines, []byte("not json"), []byte(""), []byte(`{"id":"last","principal":"anonymous","action":"s3:GetObject","resource":"arn:aws:s3:::b/k"}`))
	var out bytes.Buffer
	if err := NewSimulator().Run(bytes.NewReader(bytes.Join(lines, []byte("\n"))), &out); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	seq := NewSimulator()
	var want []string
	for i, l := range lines {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		b, _ := json.Marshal(seq.Line(l, i+1))
		want = append(want, string(b))
	}
	if len(got) != len(want) {
		t.Fatalf("%d response lines for %d requests", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("line %d:\n got  %s\n want %s", i+1, got[i], want[i])
		}
	}
	if !strings.Contains(got[len(got)-2], `"line 701: invalid request`) {
		t.Errorf("line numbers: %s", got[len(got)-2])
	}
}

func TestSimulatorErrors(t *testing.T) {
	sim := NewSimulator()
	for _, tc := range []struct{ line, err string }{
		{`{"id":1,"principal":"anonymous","action":"s3:GetObject"}`, `"resource" is required`},
		{`{"id":1,"principal":"anonymous","action":"s3:GetObject","resource":"r","bogus":1}`, `unknown field "bogus"`},
		{`{"id":1,"principal":"anonymous","action":"s3:GetObject","resource":"r","resource_policy":{"Statement":[]}}`, `resource policy: line 1, column 103: the Statement list is empty`},
		{`{"id":1,"principal":"anonymous","action":"s3:GetObject","resource":"r","context":{"k":{"a":1}}}`, `context key "k"`},
		{`[1]`, `a request must be a JSON object`},
	} {
		r := sim.Line([]byte(tc.line), 1)
		if r.Decision != "error" || !strings.Contains(r.Error, tc.err) {
			t.Errorf("%s: %+v, want error containing %q", tc.line, r, tc.err)
		}
	}
}
