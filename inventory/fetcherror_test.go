package inventory

import (
	"encoding/json"
	"testing"
)

func TestParseFetchError(t *testing.T) {
	for _, c := range []struct {
		text string
		want FetchError
	}{
		{"AccessDenied: User: arn:aws:iam::111111111111:role/x is not authorized", FetchError{"AccessDenied", "User: arn:aws:iam::111111111111:role/x is not authorized"}},
		{"Timeout", FetchError{"Timeout", ""}},
		{"Timeout:", FetchError{"Timeout", ""}},
		{"RegionUnknown: NoSuchBucket: gone", FetchError{"RegionUnknown", "NoSuchBucket: gone"}},
		// Text written by hand, without a code: the whole text is the code.
		{"the scan was interrupted: ctx", FetchError{"the scan was interrupted: ctx", ""}},
		{": no code", FetchError{": no code", ""}},
		{"", FetchError{}},
	} {
		if got := ParseFetchError(c.text); got != c.want {
			t.Errorf("ParseFetchError(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
	// What the scanner writes (org.ErrorText) reads back unchanged.
	for _, text := range []string{"AccessDenied: not allowed", "ClientError", "OrganizationNotRead: account 1 belongs to o-x"} {
		if got := ParseFetchError(text).String(); got != text {
			t.Errorf("ParseFetchError(%q).String() = %q", text, got)
		}
	}
}

// TestFetchErrorJSON: a FetchError encodes as the snapshot's "Code: message"
// text, in a map as the Errors maps hold it.
func TestFetchErrorJSON(t *testing.T) {
	in := `{"acl":"AccessDenied: no","tags":"Timeout"}`
	var m map[string]FetchError
	if err := json.Unmarshal([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	if m[FieldACL] != (FetchError{"AccessDenied", "no"}) || m[FieldTags] != (FetchError{Code: "Timeout"}) {
		t.Fatalf("decoded %+v", m)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("encoded %s, want %s", out, in)
	}
}
