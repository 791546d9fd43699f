package access

import (
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/model"
)

// TestFederatedSyntheticAtScale analyses a synthetic organisation of 50
// member accounts whose every member account has the four federated roles
// of fakeaws.SyntheticFederatedKinds (each reading and writing the
// account's buckets): fed-gh-pinned trusts GitHub Actions' OIDC provider
// with :sub pinned to one repository, fed-gh-aud tests only :aud,
// fed-gh-open nothing, fed-saml trusts the account's SAML provider.
//
// AWS IAM recommends a condition on token.actions.githubusercontent.com:sub
// in every role trusting GitHub's provider
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub):
// a bucket the GitHub provider reaches has one federated-subject-unpinned
// finding (fed-gh-aud and fed-gh-open let any repository's workflow in),
// critical (the roles write); the SAML provider, whose assertions only the
// organisation's IdP issues, is external-via-role. The provider's users
// need no identity policy or SCP: the trust policy alone lets them in
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html),
// so who-can lists each provider of the bucket's own account as a
// federated principal via that account's federated roles only. With
// only the pinned kind (Federated: 1) there is no unpinned finding at all.
func TestFederatedSyntheticAtScale(t *testing.T) {
	for _, tc := range []struct {
		federated int
		unpinned  bool
	}{{4, true}, {1, false}} {
		doc := fakeaws.SyntheticWith(fakeaws.SyntheticOptions{Accounts: 50, Buckets: 2, Federated: tc.federated})
		rep := analyzeValid(t, doc, Options{})
		reached, unpinnedBuckets, samlBuckets := 0, 0, 0
		for _, b := range rep.Buckets {
			acct := b.AccountID
			gh := "arn:aws:iam::" + acct + ":oidc-provider/" + fakeaws.SyntheticGitHubHost
			saml := "arn:aws:iam::" + acct + ":saml-provider/" + fakeaws.SyntheticSAMLProvider
			ghReach, samlReach, pinnedSub := false, false, false
			b.PrincipalRows(func(r model.PrincipalRow) {
				if r.Type != model.PrincipalFederated {
					return
				}
				switch r.ARN {
				case gh:
					ghReach = true
				case saml:
					samlReach = true
				default:
					t.Errorf("%s %s: federated principal %s is not a provider of account %s", b.Name, r.Action, r.ARN, acct)
				}
				for _, v := range r.Via {
					if !strings.HasPrefix(v, "arn:aws:iam::"+acct+":role/fed-") {
						t.Errorf("%s: %s via %s, want only the account's federated roles", b.Name, r.ARN, v)
					}
				}
				if len(r.Via) > 0 && strings.Contains(r.Via[0], "fed-gh-pinned") && strings.Contains(strings.Join(r.Conditions, ";"), fakeaws.SyntheticGitHubHost+":sub") {
					pinnedSub = true
				}
			}, func(model.UnlistedRow) {})
			if acct == fakeaws.SyntheticAccountID(0) && (ghReach || samlReach) {
				t.Errorf("%s: the management account has no federated role, yet a provider reaches it", b.Name)
			}
			if tc.federated == 1 && ghReach && !pinnedSub {
				t.Errorf("%s: GitHub's provider reaches only through fed-gh-pinned, yet no entry names its :sub condition", b.Name)
			}
			var unpinned, ghVia, samlVia []model.Finding
			for _, f := range b.Findings {
				switch {
				case f.ID == model.FindingFederatedSubjectUnpinned:
					unpinned = append(unpinned, f)
				case f.ID == model.FindingExternalViaRole && strings.HasPrefix(f.Detail, "federated: "+fakeaws.SyntheticGitHubHost+" "):
					ghVia = append(ghVia, f)
				case f.ID == model.FindingExternalViaRole && strings.HasPrefix(f.Detail, "federated: saml-provider/"+fakeaws.SyntheticSAMLProvider+" "):
					samlVia = append(samlVia, f)
				}
			}
			if ghReach {
				reached++
			}
			switch {
			case ghReach && tc.unpinned:
				// Critical when the roles write, delete or manage (an ACL
				// grant to the account adds delete and manage); reads and
				// lists are high.
				if len(unpinned) != 1 {
					t.Fatalf("%s: federated-subject-unpinned %+v, want one", b.Name, unpinned)
				}
				acts := strings.SplitN(unpinned[0].Detail, " through ", 2)[0]
				changes := strings.Contains(acts, "write") || strings.Contains(acts, "delete") || strings.Contains(acts, "manage")
				if len(ghVia) != 0 || (unpinned[0].Severity == model.SeverityCritical) != changes ||
					!strings.Contains(unpinned[0].Detail, "any GitHub repository's workflow can assume it") ||
					strings.Contains(unpinned[0].Detail, "the trust policy of arn:aws:iam::"+acct+":role/fed-gh-pinned") {
					t.Errorf("%s: federated-subject-unpinned %+v, external-via-role %+v; want one unpinned finding (critical for a write), through fed-gh-aud or fed-gh-open", b.Name, unpinned, ghVia)
				}
				// The path shown is a certain one when there is one
				// (fed-gh-open's trust has no condition), and the roles
				// listed are those of the unpinned trust policies only.
				if ghOpen := "arn:aws:iam::" + acct + ":role/fed-gh-open"; openAllowed(b, ghOpen) &&
					!strings.Contains(unpinned[0].Detail, "the trust policy of "+ghOpen+" does not pin") {
					t.Errorf("%s: federated-subject-unpinned %q, want the certain path through fed-gh-open", b.Name, unpinned[0].Detail)
				}
				if _, roles, ok := strings.Cut(unpinned[0].Detail, "roles that reach the bucket this way: "); ok && strings.Contains(roles, "fed-gh-pinned") {
					t.Errorf("%s: federated-subject-unpinned lists the pinned role among its roles: %q", b.Name, unpinned[0].Detail)
				}
				unpinnedBuckets++
			case ghReach:
				if len(unpinned) != 0 || len(ghVia) != 1 {
					t.Errorf("%s: only the pinned role: federated-subject-unpinned %+v, external-via-role %+v; want no unpinned finding, one external-via-role", b.Name, unpinned, ghVia)
				}
			default:
				if len(unpinned)+len(ghVia) != 0 {
					t.Errorf("%s: GitHub's provider reaches no cell, yet findings %+v %+v", b.Name, unpinned, ghVia)
				}
			}
			if samlReach != (len(samlVia) == 1) {
				t.Errorf("%s: SAML provider in the cells %v, external-via-role %+v", b.Name, samlReach, samlVia)
			}
			if samlReach {
				samlBuckets++
			}
		}
		// 100 member buckets: the federated roles reach most of them (74;
		// the VPC-endpoint-only bucket policies let them in through the
		// endpoint, conditionally).
		if reached < 60 || (tc.unpinned && unpinnedBuckets != reached) || (tc.federated == 4 && samlBuckets < 60) {
			t.Errorf("Federated %d: GitHub's provider reaches %d buckets, %d unpinned, SAML %d; want at least 60 of 100", tc.federated, reached, unpinnedBuckets, samlBuckets)
		}
		t.Logf("Federated %d: GitHub's provider reaches %d buckets (%d unpinned), SAML %d", tc.federated, reached, unpinnedBuckets, samlBuckets)
	}
}

// openAllowed reports whether role arn is allowed (not conditionally) in
// one of the bucket's same_account cells.
func openAllowed(b model.Bucket, arn string) bool {
	sa := &b.Access.SameAccount
	for _, c := range []*model.Cell{&sa.Read, &sa.List, &sa.Write, &sa.Delete, &sa.Manage} {
		for _, p := range c.Principals {
			if p == arn {
				return true
			}
		}
	}
	return false
}
