package access

import (
	"context"
	"testing"
	"time"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
)

// exactCells analyses one account whose buckets have the given bucket
// policies (by bucket name) and returns each bucket's access cells.
func exactCells(t *testing.T, buckets map[string]string) map[string]model.Access {
	t.Helper()
	text := "schema_version: 1\naccounts:\n  - id: \"222222222222\"\n    buckets:\n"
	for name, pol := range buckets {
		text += "      - name: " + name + "\n        region: eu-west-1\n        policy: " + pol + "\n"
	}
	doc, err := inventory.Parse([]byte(text), t.Name()+".yaml")
	if err != nil {
		t.Fatalf("fixture: %v\n%s", err, text)
	}
	rep, err := Analyze(context.Background(), doc, Options{Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]model.Access{}
	for _, b := range rep.Buckets {
		out[b.Name] = b.Access
	}
	return out
}

// TestPublicPrincipalKeys: the public (anonymous) class's request context
// is exact for the keys that say who calls: an anonymous caller of Amazon
// S3 has aws:userid "anonymous" and aws:PrincipalType "Anonymous", and no
// aws:username (the principal key values table of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
// The global condition keys page says instead that anonymous requests
// carry no aws:userid
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid);
// the S3-specific table is followed. A bucket policy Deny on those keys
// decides the public cells for certain.
func TestPublicPrincipalKeys(t *testing.T) {
	allow := `{Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"}`
	deny := func(cond string) string {
		return `{Version: "2012-10-17", Statement: [` + allow + `, {Sid: D, Effect: Deny, Principal: "*", Action: "s3:GetObject", Resource: "*", Condition: ` + cond + `}]}`
	}
	cases := map[string]struct {
		policy string
		want   model.Verdict
	}{
		"deny-userid-anonymous":     {deny(`{StringEquals: {"aws:userid": anonymous}}`), model.VerdictDeny},
		"deny-userid-not-anonymous": {deny(`{StringNotEquals: {"aws:userid": anonymous}}`), model.VerdictAllow},
		"deny-type-not-anonymous":   {deny(`{StringNotEquals: {"aws:PrincipalType": Anonymous}}`), model.VerdictAllow},
		"deny-type-anonymous":       {deny(`{StringEquals: {"aws:PrincipalType": Anonymous}}`), model.VerdictDeny},
		"deny-userid-absent":        {deny(`{"Null": {"aws:userid": "true"}}`), model.VerdictAllow},
		"deny-username-absent":      {deny(`{"Null": {"aws:username": "true"}}`), model.VerdictDeny},
	}
	buckets := map[string]string{}
	for name, c := range cases {
		buckets[name] = c.policy
	}
	cells := exactCells(t, buckets)
	for name, c := range cases {
		got := cells[name].Public.Read
		if got.Verdict != c.want || len(got.Conditions) > 0 {
			t.Errorf("%s: public read %s %v (%s), want %s without conditions", name, got.Verdict, got.Conditions, got.Reason, c.want)
		}
	}
}

// TestComplementaryConditionCells: conditions that complement each other
// on the same key (StringEquals and StringNotEquals on the same values)
// give certain cells: two Allows, one on each, allow in every context; an
// Allow on both never applies; a Deny on both never denies; two Denies,
// one on each, always deny. A key absent from the request makes
// StringEquals false and StringNotEquals true
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
func TestComplementaryConditionCells(t *testing.T) {
	eq, ne := `StringEquals: {"aws:SourceVpce": vpce-1a2b3c4d}`, `StringNotEquals: {"aws:SourceVpce": vpce-1a2b3c4d}`
	st := func(sid, effect, cond string) string {
		return `{Sid: ` + sid + `, Effect: ` + effect + `, Principal: "*", Action: "s3:GetObject", Resource: "*", Condition: {` + cond + `}}`
	}
	pol := func(sts ...string) string {
		out := `{Version: "2012-10-17", Statement: [`
		for i, s := range sts {
			if i > 0 {
				out += ", "
			}
			out += s
		}
		return out + `]}`
	}
	all := `{Sid: All, Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"}`
	cases := map[string]struct {
		policy string
		want   model.Verdict
	}{
		"allow-either": {pol(st("Eq", "Allow", eq), st("Ne", "Allow", ne)), model.VerdictAllow},
		"allow-both":   {pol(st("Both", "Allow", eq+", "+ne)), model.VerdictDeny},
		"deny-both":    {pol(all, st("Both", "Deny", eq+", "+ne)), model.VerdictAllow},
		"deny-either":  {pol(all, st("Eq", "Deny", eq), st("Ne", "Deny", ne)), model.VerdictDeny},
	}
	buckets := map[string]string{}
	for name, c := range cases {
		buckets[name] = c.policy
	}
	cells := exactCells(t, buckets)
	for name, c := range cases {
		for class, got := range map[string]model.Cell{"public": cells[name].Public.Read, "any_aws": cells[name].AnyAWS.Read} {
			if got.Verdict != c.want || len(got.Conditions) > 0 {
				t.Errorf("%s: %s read %s %v (%s), want %s without conditions", name, class, got.Verdict, got.Conditions, got.Reason, c.want)
			}
		}
	}
}
