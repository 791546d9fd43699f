package model

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSeverityRankAndParse(t *testing.T) {
	sevs := Severities()
	for i, s := range sevs {
		if s.Rank() != i {
			t.Errorf("%s.Rank() = %d, want %d (Severities order)", s, s.Rank(), i)
		}
		if got, err := ParseSeverity(string(s)); err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %q, %v", s, got, err)
		}
		if i > 0 && (sevs[i].AtLeast(sevs[i-1]) || !sevs[i-1].AtLeast(sevs[i])) {
			t.Errorf("AtLeast does not order %s above %s", sevs[i-1], s)
		}
	}
	for _, bad := range []string{"", "Critical", "severe", " high"} {
		if _, err := ParseSeverity(bad); err == nil {
			t.Errorf("ParseSeverity(%q) accepted", bad)
		}
		if Severity(bad).Valid() || Severity(bad).AtLeast(SeverityInfo) {
			t.Errorf("%q ranks as a severity", bad)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil || err.Error() != `unknown severity "severe" (want critical, high, medium, low, info)` {
		t.Errorf("ParseSeverity error = %v", err)
	}
	// The JSON form is the plain string.
	b, err := json.Marshal(Finding{Severity: SeverityHigh})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"severity":"high"`; !strings.Contains(string(b), want) {
		t.Errorf("Finding JSON %s lacks %s", b, want)
	}
}

// TestVocabularyGlossary checks that every value of each vocabulary has
// its glossary text, and that the principal classes are Access's JSON keys.
func TestVocabularyGlossary(t *testing.T) {
	for _, l := range Layers() {
		if Layer(l).Description() == "" {
			t.Errorf("layer %q has no description", l)
		}
	}
	for _, e := range Exposures() {
		if Exposure(e).Description() == "" {
			t.Errorf("exposure %q has no description", e)
		}
	}
	for _, v := range []Verdict{VerdictAllow, VerdictDeny, VerdictConditional, VerdictUnknown} {
		if v.Description() == "" {
			t.Errorf("verdict %q has no description", v)
		}
	}
	b, err := json.Marshal(Access{})
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, c := range Classes() {
		if c.Description() == "" {
			t.Errorf("class %q has no description", c)
		}
		if _, ok := keys[string(c)]; !ok {
			t.Errorf("class %q is not a key of Access in report.json (%s)", c, b)
		}
		delete(keys, string(c))
	}
	if len(keys) > 0 {
		t.Errorf("Access keys without a class: %v", keys)
	}
	if Layer("nope").Description() != "" || Class("nope").Description() != "" || Exposure("nope").Description() != "" {
		t.Error("an unknown name has a description")
	}
}
