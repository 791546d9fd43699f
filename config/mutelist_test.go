package config

import (
	"strings"
	"testing"
	"time"
)

var testFindingIDs = []string{"public-read", "public-write", "account-bpa-off"}

func TestMutelist(t *testing.T) {
	text := `mutes:
  - account: "222222222222"
    bucket: "prod-*"
    finding: public-read
    reason: static website
    expires: 2026-12-31
  - account: "*"
    finding: account-bpa-off
    reason: accepted org-wide
  - account: "333333333333"
    finding: "*"
    reason: sandbox
    expires: 2026-01-31
`
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	m, warnings, err := ParseMutelist([]byte(text), "mutelist.yaml", testFindingIDs, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "mutelist.yaml:13: mutes[2]: expired on 2026-01-31") {
		t.Errorf("warnings %q, want the expired third entry with its line", warnings)
	}
	tests := []struct {
		account, bucket, finding string
		want                     string // reason, "" for not muted
	}{
		{"222222222222", "prod-public", "public-read", "static website"},
		{"222222222222", "dev-public", "public-read", ""},
		{"222222222222", "prod-public", "public-write", ""},
		{"444444444444", "prod-public", "public-read", ""},
		// An entry with a bucket pattern does not mute account findings.
		{"222222222222", "", "public-read", ""},
		// Without a bucket: the account's own findings and every bucket's.
		{"444444444444", "", "account-bpa-off", "accepted org-wide"},
		{"444444444444", "any", "account-bpa-off", "accepted org-wide"},
		// Expired: counts again.
		{"333333333333", "dev-scratch", "public-write", ""},
	}
	for _, tt := range tests {
		reason, ok := m.Mute(tt.account, tt.bucket, tt.finding)
		if reason != tt.want || ok != (tt.want != "") {
			t.Errorf("Mute(%s, %q, %s) = %q, %v; want %q", tt.account, tt.bucket, tt.finding, reason, ok, tt.want)
		}
	}
	// The last day still applies.
	m, _, err = ParseMutelist([]byte(text), "mutelist.yaml", testFindingIDs, time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Mute("222222222222", "prod-x", "public-read"); !ok {
		t.Error("an entry is not in force on its expiry day")
	}
	var none *Mutelist
	if _, ok := none.Mute("222222222222", "prod-x", "public-read"); ok {
		t.Error("a nil mutelist mutes")
	}
}

func TestMutelistErrors(t *testing.T) {
	text := `mutes:
  - account: 22222
    bucket: "prod-["
    finding: public-reed
    expires: next week
  - account: "222222222222"
    finding: public-read
    reason: ok
    until: 2027-01-01
`
	_, _, err := ParseMutelist([]byte(text), "m.yaml", testFindingIDs, time.Now())
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`m.yaml:9: mutes[1].until: unknown key "until"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// Decoding problems come first; fix the unknown key to see the values'.
	_, _, err = ParseMutelist([]byte(strings.Replace(text, "until", "expires", 1)), "m.yaml", testFindingIDs, time.Now())
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`m.yaml:2: mutes[0].account: "22222" is not an account ID`,
		`m.yaml:3: mutes[0].bucket: "prod-[" is not a glob pattern`,
		`m.yaml:4: mutes[0].finding: "public-reed" is not a finding ID that can be muted`,
		`m.yaml:2: mutes[0].reason: required`,
		`m.yaml:5: mutes[0].expires: "next week" is not a date (YYYY-MM-DD)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, _, err := ParseMutelist([]byte("- account: x\n"), "m.yaml", testFindingIDs, time.Now()); err == nil || !strings.Contains(err.Error(), "m.yaml:1: must be a mapping") {
		t.Errorf("a list at the top: %v", err)
	}
}

func FuzzParseMutelist(f *testing.F) {
	f.Add([]byte("mutes:\n  - {account: \"*\", finding: \"*\", reason: r, expires: 2026-01-01}\n"))
	f.Add([]byte("mutes:\n  - account: 1\n    bucket: \"[\"\n"))
	f.Add([]byte("- a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := ParseMutelist(data, "m.yaml", testFindingIDs, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, e := range m.active {
			if e.Reason == "" || (e.Account != "*" && len(e.Account) != 12) {
				t.Fatalf("accepted %+v", e)
			}
		}
		m.Mute("222222222222", "b", "public-read")
	})
}
