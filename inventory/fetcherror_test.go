package inventory

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/internal/testenv"
)

func TestParseFetchError(t *testing.T) {
	for _, c := range []struct {
		text string
		want FetchError
	}{
		{"AccessDenied: User: arn:aws:iam::111111111111:role/x is not authorized", FetchError{Code: "AccessDenied", Message: "User: arn:aws:iam::111111111111:role/x is not authorized"}},
		{"Timeout", FetchError{Code: "Timeout"}},
		{"RegionUnknown: NoSuchBucket: gone", FetchError{Code: "RegionUnknown", Message: "NoSuchBucket: gone"}},
		// Text written by hand, without a code: the whole text is the code.
		{"the scan was interrupted: ctx", FetchError{Code: "the scan was interrupted: ctx"}},
		{": no code", FetchError{Code: ": no code"}},
		{"", FetchError{}},
		// Text that String would not give back keeps it.
		{"Timeout:", FetchError{Code: "Timeout", text: "Timeout:"}},
		{"AccessDenied:no", FetchError{Code: "AccessDenied", Message: "no", text: "AccessDenied:no"}},
		{"AccessDenied:  no ", FetchError{Code: "AccessDenied", Message: "no", text: "AccessDenied:  no "}},
	} {
		got := ParseFetchError(c.text)
		if got != c.want {
			t.Errorf("ParseFetchError(%q) = %#v, want %#v", c.text, got, c.want)
		}
		if got.String() != c.text {
			t.Errorf("ParseFetchError(%q).String() = %q", c.text, got.String())
		}
	}
}

// TestErrorsMethods: Get, Has, Text and Code read an Errors map as the
// string map was read (an empty text is no error), nil maps included;
// Set makes the map.
func TestErrorsMethods(t *testing.T) {
	var m Errors
	if m.Has(FieldACL) || m.Text(FieldACL) != "" || m[FieldACL].Code != "" {
		t.Fatal("a nil map records an error")
	}
	m.Set(FieldACL, FetchError{Code: "AccessDenied", Message: "no"})
	m.Set(FieldTags, FetchError{})
	if e, ok := m.Get(FieldACL); !ok || e.Code != "AccessDenied" || m.Text(FieldACL) != "AccessDenied: no" || !m.Has(FieldACL) {
		t.Errorf("Get(acl) = %#v, %t; Text %q", e, ok, m.Text(FieldACL))
	}
	if m.Has(FieldTags) {
		t.Error("an empty error text counts as an error")
	}
}

// TestErrorsJSONRoundTrip: an Errors map decoded from a snapshot and
// encoded again gives the snapshot's text byte for byte, as the string map
// did, whatever form its texts take; absent and empty maps stay so.
func TestErrorsJSONRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name, in string
		code     string // the code of the "acl" entry
		out      string // the encoding when not in
	}{
		{"aws form", `{"errors":{"acl":"AccessDenied: Access Denied","tags":"Timeout"}}`, "AccessDenied", ""},
		{"message with colons", `{"errors":{"acl":"AccessDenied: User: arn:aws:iam::111111111111:role/x is not authorized"}}`, "AccessDenied", ""},
		{"free form", `{"errors":{"acl":"could not be read, see the log"}}`, "could not be read, see the log", ""},
		{"free form with a colon", `{"errors":{"acl":"the scan was interrupted: context canceled"}}`, "the scan was interrupted: context canceled", ""},
		{"no space after the colon", `{"errors":{"acl":"AccessDenied:no"}}`, "AccessDenied", ""},
		{"trailing colon and spaces", `{"errors":{"acl":"Timeout:  "}}`, "Timeout", ""},
		{"escapes", `{"errors":{"acl":"AccessDenied: \u003cb\u003e \"quoted\" \\ é\n"}}`, "AccessDenied", ""},
		{"empty text", `{"errors":{"acl":""}}`, "", ""},
		{"empty map", `{"errors":{}}`, "", `{}`},
		{"absent map", `{}`, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var typed struct {
				Errors Errors `json:"errors,omitempty"`
			}
			var text struct {
				Errors map[string]string `json:"errors,omitempty"`
			}
			if err := json.Unmarshal([]byte(c.in), &typed); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(c.in), &text); err != nil {
				t.Fatal(err)
			}
			if got := typed.Errors[FieldACL].Code; got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
			if got := typed.Errors.Text(FieldACL); got != text.Errors[FieldACL] {
				t.Errorf("text %q, want %q", got, text.Errors[FieldACL])
			}
			out := sameEncoding(t, typed, text)
			if c.out == "" {
				c.out = c.in
			}
			if !strings.Contains(c.in, `\u`) && string(out) != c.out {
				t.Errorf("encoded %s, want %s", out, c.out)
			}
		})
	}
}

// sameEncoding is the JSON of typed, which must be that of text (the same
// errors as strings).
func sameEncoding(t *testing.T, typed, text any) []byte {
	t.Helper()
	out, err := json.Marshal(typed)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(text)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(want) {
		t.Fatalf("encoded %s, the string map %s", out, want)
	}
	return out
}

// TestErrorsLoadErrors: an error that is not a text is a load error naming
// its field, as the loader's other problems do.
func TestErrorsLoadErrors(t *testing.T) {
	for _, c := range []struct{ name, doc, want string }{
		{"number", `{"schema_version":1,"accounts":[{"id":"123456789012","errors":{"iam":5}}]}`,
			`accounts[0].errors.iam: expected an error text ("Code: message"), got number 5`},
		{"object", `{"schema_version":1,"accounts":[{"id":"123456789012","buckets":[{"name":"b-1","region":"eu-west-1","errors":{"acl":{"code":"AccessDenied"}}}]}]}`,
			`accounts[0].buckets[0].errors.acl: expected an error text ("Code: message"), got an object`},
		{"list", "schema_version: 1\nscan:\n  errors:\n    organization: [AccessDenied]\naccounts: []\n",
			`scan.errors.organization: expected an error text ("Code: message"), got a list`},
		{"key with a colon", `{"schema_version":1,"accounts":[{"id":"123456789012","errors":{"vpc_endpoints:eu-west-1":true}}]}`,
			`accounts[0].errors.vpc_endpoints:eu-west-1: expected an error text ("Code: message"), got boolean true`},
		{"errors not a map", `{"schema_version":1,"accounts":[{"id":"123456789012","errors":"AccessDenied"}]}`,
			`accounts[0].errors: expected an object, got string "AccessDenied"`},
		{"empty text", `{"schema_version":1,"accounts":[{"id":"123456789012","errors":{"iam":" "}}]}`,
			`accounts[0].errors.iam: empty error text`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc), "doc.json")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "doc.json: ") {
				t.Errorf("error %q, want %q", err, c.want)
			}
		})
	}
}

// FuzzErrorsJSON: whatever an Errors map decodes from, it encodes to the
// JSON the string map it replaced gave, and decodes back to itself.
func FuzzErrorsJSON(f *testing.F) {
	for _, s := range []string{
		`{"acl":"AccessDenied: Access Denied","tags":"Timeout"}`,
		`{"acl":"the scan was interrupted: context canceled"}`,
		`{"acl":"Timeout:  ","policy":"AccessDenied:no"}`,
		`{"acl":""}`, `{}`, `null`, `{"a":"\u003c\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var typed Errors
		var text map[string]string
		terr, serr := json.Unmarshal(data, &typed), json.Unmarshal(data, &text)
		if (terr == nil) != (serr == nil) {
			t.Fatalf("typed decode: %v; string decode: %v", terr, serr)
		}
		if terr != nil {
			return
		}
		out := sameEncoding(t, typed, text)
		var again Errors
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatal(err)
		}
		if len(again) != len(typed) {
			t.Fatalf("decoded again %v, want %v", again, typed)
		}
		for k, v := range typed {
			if again[k] != v {
				t.Fatalf("%q decoded again %#v, want %#v", k, again[k], v)
			}
		}
	})
}

// TestErrorsHasAllocs: looking an error up builds no text.
func TestErrorsHasAllocs(t *testing.T) {
	if testenv.Race {
		t.Skip("the allocation count is meaningless under -race (the detector allocates)")
	}
	m := Errors{FieldACL: {Code: "AccessDenied", Message: "no"}}
	if n := testing.AllocsPerRun(100, func() {
		if !m.Has(FieldACL) || m.Has(FieldTags) {
			t.Fatal("Has")
		}
	}); n != 0 {
		t.Errorf("Has allocates %v times", n)
	}
}

// TestNewFetchError: an error built from a code and a message has the text
// the scanner wrote before errors were typed, and equals what that text
// reads back as, whatever spaces the message carries.
func TestNewFetchError(t *testing.T) {
	for _, c := range []struct{ code, message, text string }{
		{"AccessDenied", "Access Denied", "AccessDenied: Access Denied"},
		{"AccessDenied", "", "AccessDenied"},
		{"ClientError", "dial tcp: refused", "ClientError: dial tcp: refused"},
		{"AccessDenied", " spaced\n", "AccessDenied:  spaced\n"},
		{"RegionUnknown", "AccessDenied: no", "RegionUnknown: AccessDenied: no"},
	} {
		e := NewFetchError(c.code, c.message)
		if e.String() != c.text || e != ParseFetchError(c.text) || e.Code != c.code {
			t.Errorf("NewFetchError(%q, %q) = %#v, want the text %q as it reads back", c.code, c.message, e, c.text)
		}
	}
}

// TestDocumentErrorsRoundTrip: every Errors map of a document (scan,
// organisation, OU, organisation policy, account, bucket, KMS key) loads
// typed and saves back to its text byte for byte, in AWS form or written
// by hand, in JSON and YAML.
func TestDocumentErrorsRoundTrip(t *testing.T) {
	const doc = `{"schema_version":1,` +
		`"scan":{"errors":{"organization":"AccessDenied: org hidden","note":"written by hand: no code"}},` +
		`"organization":{"id":"o-a1b2c3d4e5","management_account_id":"111111111111",` +
		`"root":{"id":"r-a1b2","accounts":["111111111111"],"errors":{"ous":"Timeout:"}},` +
		`"policies":[{"id":"p-x","name":"X","type":"SERVICE_CONTROL_POLICY","errors":{"document":"AccessDeniedException:no  spaces"}}],` +
		`"errors":{"policies":"TooManyRequestsException: slow down"}},` +
		`"accounts":[{"id":"111111111111","errors":{"iam":"AccessDenied: User: arn:aws:iam::111111111111:role/x is not authorized","vpc_endpoints:eu-west-1":"see the log"},` +
		`"buckets":[{"name":"b-1","region":"eu-west-1","errors":{"acl":"AccessDenied: \u003cno\u003e \"quoted\""}}],` +
		`"kms_keys":[{"arn":"arn:aws:kms:eu-west-1:111111111111:key/k","errors":{"describe_key":"AccessDeniedException"}}]}]}`
	d, err := Parse([]byte(doc), "doc.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Accounts[0].Errors[KeyIAM].Code; got != "AccessDenied" {
		t.Errorf("iam code %q", got)
	}
	for _, asYAML := range []bool{false, true} {
		out, err := Marshal(d, asYAML)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out, "saved")
		if err != nil {
			t.Fatal(err)
		}
		if want, got := errorTexts(t, []byte(doc)), errorTexts(t, mustJSON(t, again)); !slices.Equal(got, want) {
			t.Errorf("YAML %t: errors after a save and load\n%q\nwant\n%q", asYAML, got, want)
		}
	}
}

// errorTexts lists every "errors" object of a JSON document as path=text
// lines, sorted, from its string form.
func errorTexts(t *testing.T, data []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if m, ok := e.(map[string]any); ok && k == "errors" {
					for f, text := range m {
						out = append(out, path+".errors."+f+"="+text.(string))
					}
					continue
				}
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	walk("", v)
	slices.Sort(out)
	return out
}

func mustJSON(t *testing.T, d *Document) []byte {
	t.Helper()
	b, err := Marshal(d, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
