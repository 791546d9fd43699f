package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// slowSimulate is the reference path of Simulator.Run: every line on a
// fresh Simulator (no policy cache, no parser reuse) compiling policies
// whole and its response written by encoding/json.
func slowSimulate(t *testing.T, lines [][]byte) []byte {
	t.Helper()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	for i, l := range lines {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		// Run hands Line each line with its newline.
		sim := NewSimulator()
		sim.eager = true
		if err := enc.Encode(sim.Line(append(l[:len(l):len(l)], '\n'), i+1)); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

// simulateOddLines are requests whose responses exercise the hand-written
// encoder (ids of every JSON kind with spaces, strings needing escapes) and
// the cache (one document under several names, as an object and as a
// string, errors after a cached parse).
func simulateOddLines() [][]byte {
	pol := `{"Version":"2012-10-17","Statement":[{"Sid":"S\u00e9<&>","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	req := func(id, extra string) []byte {
		return []byte(`{"id":` + id + `,"principal":"arn:aws:iam::111122223333:role/r","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","resource_account":"111122223333"` + extra + `}`)
	}
	return [][]byte{
		req(`{ "a" : [1, 2, {"b" : null}] }`, `,"identity_policies":[`+pol+`,`+pol+`]`),
		req(`"line\n\"two\"\u2028 é <&>"`, `,"identity_policies":[`+pol+`],"session_policy":`+pol+`,"permission_boundary":`+pol),
		req(`-1.5e3`, `,"identity_policies":[`+fmt.Sprintf("%q", pol)+`]`),
		req(`[ true , false ]`, `,"resource_policy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bogus\u00e9":{"k":"v"}}}]}`),
		req(`null`, `,"scps":[[`+pol+`],[`+pol+`]],"identity_policies":[`+pol+`]`),
		req(`7`, `,"context":{"k\"<":"v\u0001"},"identity_policies":[`+pol+`]`),
		[]byte(`{"id":"bad", "principal": 3}`),
		[]byte("  \t"),
		[]byte(`{"id":"é", "principal":"anonymous", "action":"s3:GetObject", "resource":"arn:aws:s3:::b", "resource_policy": {"Statement": [{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*",}]}}`),
		[]byte(`{"id":1`),
		[]byte("\xff\xfe"),
	}
}

// Simulator.Run (policy cache, reused parser arenas, lazy compilation,
// hand-written encoder) writes byte for byte what the reference path writes,
// on generated requests (more distinct policies than the cache holds, so
// that it evicts) and on odd lines.
func TestSimulatorRunMatchesSlowPath(t *testing.T) {
	lines := genRequests(11, 1500)
	odd := simulateOddLines()
	lines = append(append(odd, lines...), odd...)
	var got bytes.Buffer
	if err := NewSimulator().Run(bytes.NewReader(append(bytes.Join(lines, []byte("\n")), '\n')), &got); err != nil {
		t.Fatal(err)
	}
	want := slowSimulate(t, lines)
	if !bytes.Equal(got.Bytes(), want) {
		g, w := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("response %d differs:\n got  %s\n want %s", i+1, g[i], w[i])
			}
		}
		t.Fatalf("%d response lines, want %d", len(g), len(w))
	}
	for _, s := range []string{`"id":{"a":[1,2,{"b":null}]}`, `"id":"line\n\"two\"\u2028 é <&>"`, `"decision":"error"`, `S\u00e9`} {
		if !strings.Contains(got.String(), strings.ReplaceAll(s, `S\u00e9`, "Sé")) {
			t.Errorf("output lacks %s", s)
		}
	}
}
