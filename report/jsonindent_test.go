package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

// appendIndented indents compact JSON byte for byte as json.Indent does,
// strings with brackets, commas, colons and escapes included.
func TestAppendIndentedEqualsIndent(t *testing.T) {
	for _, src := range []string{
		`{}`, `[]`, `"x"`, `1.5e-7`, `null`,
		`{"a":[],"b":{},"c":[{}],"d":[[],[1,2,{"e":null}]]}`,
		`{"s":"a,b:c{d}[e]","t":"q\"uo\\\"te\\","u":"\\","v":"\u003c\u0026\u2028"}`,
		`[true,false,-0,"]","[",{"k":"}"}]`,
		`{"nested":{"deep":{"deeper":[1,[2,[3,{}]]]}}}`,
	} {
		for _, prefix := range []string{"", "    "} {
			var want bytes.Buffer
			if err := json.Indent(&want, []byte(src), prefix, "  "); err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			if got := appendIndented([]byte("head"), []byte(src), prefix, "  "); string(got) != "head"+want.String() {
				t.Errorf("%s with prefix %q:\n got  %s\n want %s", src, prefix, got[4:], want.String())
			}
		}
	}
}
