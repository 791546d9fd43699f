package fakeaws_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

func syntheticHash(t *testing.T, doc *inventory.Document) string {
	t.Helper()
	b, err := inventory.Marshal(doc, false)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestSyntheticFederatedZeroUnchanged: with Federated 0 the synthetic
// document is byte for byte the one it was before the field existed (the
// hashes of its JSON were taken on main's synthetic.go), so the goldens
// and benchmarks built on Synthetic and SyntheticWith stay as they are;
// Federated > 0 changes only the member accounts' roles.
func TestSyntheticFederatedZeroUnchanged(t *testing.T) {
	cases := []struct {
		o    fakeaws.SyntheticOptions
		hash string
	}{
		{fakeaws.SyntheticOptions{Accounts: 3, Buckets: 4}, "6280ed96ec058e79e8af0672709c7899773c7cd4a9fb62d16f7af7a4bb2ab1c6"},
		{fakeaws.SyntheticOptions{Accounts: 50, Buckets: 2}, "4ba03002d85eb19db3a938b4108b778ec110fa9679fa20a8e7da4b046131fd9c"},
		{fakeaws.SyntheticOptions{Accounts: 20, Buckets: 10, Roles: 12}, "92256d311c7d7710e5898fffe473b26ef3f70a21b371ff319dbcaaf673306b3a"},
	}
	for _, tc := range cases {
		if got := syntheticHash(t, fakeaws.SyntheticWith(tc.o)); got != tc.hash {
			t.Errorf("SyntheticWith(%+v) hash %s, want %s (the document changed)", tc.o, got, tc.hash)
		}
		if tc.o.Roles == 0 {
			if got := syntheticHash(t, fakeaws.Synthetic(tc.o.Accounts, tc.o.Buckets)); got != tc.hash {
				t.Errorf("Synthetic(%d, %d) hash %s, want %s", tc.o.Accounts, tc.o.Buckets, got, tc.hash)
			}
		}
		// Federated roles are appended to the member accounts' roles; the
		// rest of the document is the same.
		o := tc.o
		o.Federated = 5
		fed := fakeaws.SyntheticWith(o)
		if err := fed.Validate(); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		base := fakeaws.SyntheticWith(tc.o)
		for i := range fed.Accounts {
			fa, ba := &fed.Accounts[i], &base.Accounts[i]
			want := len(ba.IAM.Roles)
			if i > 0 {
				want += 5
			}
			if len(fa.IAM.Roles) != want {
				t.Fatalf("%+v account %s: %d roles, want %d", o, fa.ID, len(fa.IAM.Roles), want)
			}
			fa.IAM.Roles = fa.IAM.Roles[:len(ba.IAM.Roles)]
		}
		if got := syntheticHash(t, fed); got != tc.hash {
			t.Errorf("%+v without its federated roles: hash %s, want %s", o, got, tc.hash)
		}
	}
}

// TestSyntheticFederatedRoles: the federated roles' kinds, providers and
// trust conditions.
func TestSyntheticFederatedRoles(t *testing.T) {
	doc := fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 2, Buckets: 1, Federated: 4})
	a := doc.Accounts[1]
	gh := "arn:aws:iam::" + a.ID + ":oidc-provider/token.actions.githubusercontent.com"
	want := map[string][]string{ // role → what its trust policy holds; "!" what it must not
		"fed-gh-pinned-000": {gh, "sts:AssumeRoleWithWebIdentity", ":aud", ":sub"},
		"fed-gh-aud-001":    {gh, ":aud", "!:sub"},
		"fed-gh-open-002":   {gh, "!Condition"},
		"fed-saml-003":      {"arn:aws:iam::" + a.ID + ":saml-provider/corp-idp", "sts:AssumeRoleWithSAML", "SAML:aud"},
	}
	got := 0
	for _, r := range a.IAM.Roles {
		name := r.ARN[strings.LastIndexByte(r.ARN, '/')+1:]
		parts, ok := want[name]
		if !ok {
			continue
		}
		got++
		trust := r.TrustPolicy.String()
		for _, p := range parts {
			if neg, ok := strings.CutPrefix(p, "!"); ok {
				if strings.Contains(trust, neg) {
					t.Errorf("%s trust %s holds %q", name, trust, neg)
				}
			} else if !strings.Contains(trust, p) {
				t.Errorf("%s trust %s lacks %q", name, trust, p)
			}
		}
	}
	if got != len(want) {
		t.Errorf("found %d of the federated roles %v", got, want)
	}
	for _, r := range doc.Accounts[0].IAM.Roles {
		if strings.Contains(r.ARN, ":role/fed-") {
			t.Errorf("the management account has federated role %s", r.ARN)
		}
	}
}
