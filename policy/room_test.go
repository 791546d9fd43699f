package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The patterns of a policy take their tokens from one room
// (compileTmplIn): each is compiled as on its own, and a pattern compiled
// later does not write over an earlier one's tokens.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
func TestTokensRoom(t *testing.T) {
	pats := []string{"*", "s3:Get*", "arn:aws:s3:::bucket/*", "arn:aws:s3:::${aws:username}/*", "a?b*c", "${*}x${?}y${$}", "**", "plain",
		"arn:aws:s3:::b-${aws:PrincipalTag/team, 'none'}-*", "$", "?", "arn:*:s3:::*/k?y/*"}
	for _, vars := range []bool{false, true} {
		n := 0
		for _, p := range pats {
			n += tmplRoom(p)
		}
		room := make([]gtok, 0, n)
		var got []tmpl
		for _, p := range pats {
			got = append(got, compileTmplIn(p, true, vars, &room))
		}
		if len(room) != n {
			t.Errorf("vars %t: %d tokens of room taken, want %d", vars, len(room), n)
		}
		for i, p := range pats {
			want := compileTmpl(p, true, vars)
			if len(want.toks) > tmplRoom(p) {
				t.Errorf("%q: %d tokens, room for %d", p, len(want.toks), tmplRoom(p))
			}
			if d := cmp.Diff(want, got[i], cmp.AllowUnexported(tmpl{}, gtok{})); d != "" {
				t.Errorf("vars %t: %q in the room (-alone +room):\n%s", vars, p, d)
			}
		}
		// A short room: allocated.
		short := make([]gtok, 0, 1)
		if tp := compileTmplIn("a*b*c", true, vars, &short); len(short) != 0 || len(tp.toks) != 5 {
			t.Errorf("a short room: %d taken, %d tokens", len(short), len(tp.toks))
		}
	}
}
