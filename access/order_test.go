package access

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReportIndependentOfListingOrder: AWS lists a bucket's ACL grants
// (GetBucketAcl) and a key's grants (ListGrants) in an order of its own; the
// report (cells, reasons, finding details, config.acl_grants) must not
// depend on it, so that two scans of an unchanged organisation compare
// equal (requests/access.md, "From reports, 1").
func TestReportIndependentOfListingOrder(t *testing.T) {
	// Two canonical users whose IDs share their first 12 digits (the
	// length reasons show), e-mail grantees, and KMS grants (with the IDs
	// AWS gives every grant; a fixture's default IDs follow its order).
	grants := []string{
		`{grantee: {type: CanonicalUser, id: "aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111"}, permission: READ}`,
		`{grantee: {type: CanonicalUser, id: "aaaaaaaaaaaa2222222222222222222222222222222222222222222222222222"}, permission: READ}`,
		`{grantee: {type: Group, uri: "http://acs.amazonaws.com/groups/global/AllUsers"}, permission: WRITE}`,
		`{grantee: {type: Group, uri: "http://acs.amazonaws.com/groups/s3/LogDelivery"}, permission: WRITE}`,
		`{grantee: {type: AmazonCustomerByEmail, email: "b@example.com"}, permission: READ}`,
		`{grantee: {type: AmazonCustomerByEmail, email: "a@example.com"}, permission: READ}`,
	}
	keyGrants := []string{
		`{grant_id: g2, grantee_principal: "arn:aws:iam::888877776666:role/b", operations: [Decrypt, GenerateDataKey]}`,
		`{grant_id: g1, grantee_principal: "arn:aws:iam::888877776666:role/a", operations: [Decrypt]}`,
		`{grant_id: g4, grantee_principal: "arn:aws:iam::333333333333:role/c", operations: [Decrypt]}`,
		`{grant_id: g3, grantee_principal: "arn:aws:iam::333333333333:role/d", operations: [Decrypt]}`,
	}
	fixture := func(acl, kms []string) string {
		bucket := "name: bkt\nregion: eu-west-1\nownership: ObjectWriter\n" +
			"encryption: {algorithm: \"aws:kms\", kms_key_id: \"arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000000\"}\n" +
			`policy: {Version: "2012-10-17", Statement: [{Sid: Partner, Effect: Allow, Principal: {AWS: ["888877776666", "333333333333"]}, Action: [s3:GetObject, s3:PutObject], Resource: "arn:aws:s3:::bkt/*"}]}` + "\n" +
			"acl:\n  grants:\n    - " + strings.Join(acl, "\n    - ")
		extra := "kms_keys:\n  - arn: arn:aws:kms:eu-west-1:222222222222:key/1111aaaa-0000-0000-0000-000000000000\n" +
			`    policy: {Version: "2012-10-17", Statement: [{Sid: Root, Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: "kms:*", Resource: "*"}]}` + "\n" +
			"    grants:\n      - " + strings.Join(kms, "\n      - ")
		return testOrg(bucket, extra)
	}
	render := func(acl, kms []string) string {
		rep := analyzeYAML(t, fixture(acl, kms), nil)
		data, err := json.MarshalIndent(rep.Buckets, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	want := render(grants, keyGrants)
	for _, s := range []string{"canonical:aaaaaaaaaaaa1111", "canonical:aaaaaaaaaaaa2222", "role/a", "role/b", "role/c", "role/d"} {
		if !strings.Contains(want, s) {
			t.Fatalf("the report does not mention %s: the test no longer exercises the order", s)
		}
	}
	rev := func(l []string) []string { l = slices.Clone(l); slices.Reverse(l); return l }
	for name, got := range map[string]string{
		"ACL grants reversed": render(rev(grants), keyGrants),
		"KMS grants reversed": render(grants, rev(keyGrants)),
	} {
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: the report changed (-first order +second order):\n%s", name, d)
		}
	}
}
