package config

import (
	"errors"
	"strings"
	"testing"
)

// TestPrincipalsPerCell checks outputs.principals_per_cell: 200 by
// default, 0 lists all, the flag overrides the file, and a negative or
// non-integer value is a problem naming the key path and its line (or the
// flag).
func TestPrincipalsPerCell(t *testing.T) {
	intp := func(n int) *int { return &n }
	for _, tc := range []struct {
		name    string
		file    string
		flag    *int
		want    int
		problem string // prefix of the one problem expected
	}{
		{name: "default", want: 200},
		{name: "file", file: "outputs:\n  principals_per_cell: 50\n", want: 50},
		{name: "zero lists all", file: "outputs:\n  principals_per_cell: 0\n", want: 0},
		{name: "flag overrides the file", file: "outputs:\n  principals_per_cell: 50\n", flag: intp(7), want: 7},
		{name: "flag zero", flag: intp(0), want: 0},
		{name: "negative", file: "region: us-east-1\noutputs:\n  principals_per_cell: -3\n",
			problem: "c.yaml:3: outputs.principals_per_cell: -3 must not be negative"},
		{name: "not an integer", file: "outputs:\n  principals_per_cell: lots\n",
			problem: "c.yaml:2: outputs.principals_per_cell:"},
		{name: "negative flag", flag: intp(-1),
			problem: "flag --principals-per-cell: outputs.principals_per_cell: -1 must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := ""
			if tc.file != "" {
				name = "c.yaml"
			}
			c, err := Parse([]byte(tc.file), name, Overrides{PrincipalsPerCell: tc.flag}, env(nil))
			if tc.problem != "" {
				var ce *Error
				if !errors.As(err, &ce) || len(ce.Problems) != 1 || !strings.HasPrefix(ce.Problems[0].String(), tc.problem) {
					t.Fatalf("got %v, want one problem %q…", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Outputs.PrincipalsPerCell != tc.want {
				t.Errorf("principals_per_cell %d, want %d", c.Outputs.PrincipalsPerCell, tc.want)
			}
		})
	}
}
