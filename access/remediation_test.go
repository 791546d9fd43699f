package access

import (
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/policy"
)

// TestRemediationCommands: the one builder of each AWS CLI command that the
// report's findings and explain's fixes print.
// https://docs.aws.amazon.com/cli/latest/reference/s3api/put-bucket-encryption.html
// https://docs.aws.amazon.com/cli/latest/reference/organizations/update-policy.html
func TestRemediationCommands(t *testing.T) {
	for _, tt := range []struct {
		name, got, want string
	}{
		{"SSE-KMS default encryption", KMSEncryptionCommand("b1", CustomerKeyPlaceholder),
			`aws s3api put-bucket-encryption --bucket b1 --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"<customer managed key ARN>"},"BucketKeyEnabled":true}]}'`},
		{"re-encrypt objects", ReencryptObjectsCommand("b1", "arn:aws:kms:eu-west-1:111111111111:key/k"),
			"aws s3 cp s3://b1/ s3://b1/ --recursive --sse aws:kms --sse-kms-key-id arn:aws:kms:eu-west-1:111111111111:key/k"},
		{"update an SCP", UpdateOrgPolicyCommand("p-abc", "scp.json"),
			"aws organizations update-policy --policy-id p-abc --content file://scp.json"},
		{"bucket policy", PutBucketPolicyCommand("b1"), "aws s3api put-bucket-policy --bucket b1 --policy file://policy.json"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, tt.got, tt.want)
		}
	}
}

// TestOrgPolicyOrigin: an SCP's or RCP's ID and name come from the Origin
// the index gives the parsed policy (and that the engine's statement refs
// carry), not from its display name; a policy ID that only starts like
// another's is not confused with it.
func TestOrgPolicyOrigin(t *testing.T) {
	deny := inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`))
	ix := NewIndex(&inventory.Document{Organization: &inventory.Organization{ID: "o-1", ManagementAccountID: "999999999999",
		Policies: []inventory.OrgPolicy{
			{ID: "p-abc", Name: "Deny delete", Type: inventory.ServiceControlPolicy, Document: deny},
			{ID: "p-abcd", Type: inventory.ResourceControlPolicy},
		}}})
	origins := map[string]*policy.Origin{}
	for id, info := range ix.orgPolicies {
		origins[id] = info.parsed.Origin
	}
	ref := &policy.StatementRef{Layer: policy.LayerSCP, Policy: "SCP p-abc (Deny delete)", Sid: "NoDelete", Effect: "Deny", Origin: origins["p-abc"]}
	tests := []struct {
		name             string
		ref              *policy.StatementRef
		id, label, cause string
	}{
		{"SCP", ref, "p-abc", "SCP p-abc (Deny delete)", `SCP p-abc (Deny delete) statement "NoDelete"`},
		{"unread RCP", &policy.StatementRef{Policy: "RCP p-abcd (not read)", Index: 2, Origin: origins["p-abcd"]}, "p-abcd", "RCP p-abcd (not read)", "RCP p-abcd (not read) statement #2"},
		{"no origin", &policy.StatementRef{Policy: "SCP p-zzz", Index: 0}, "POLICY_ID", "SCP p-zzz", "SCP p-zzz statement #0"},
		{"no statement", nil, "POLICY_ID", "the SCP or RCP", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := orgHit("public", "read", tt.ref, "scp")
			if got := OrgPolicyID(tt.ref); got != tt.id {
				t.Errorf("OrgPolicyID = %q, want %q", got, tt.id)
			}
			if got := orgPolicyName(tt.ref); got != tt.label {
				t.Errorf("orgPolicyName = %q, want %q", got, tt.label)
			}
			if h.reason != tt.cause || h.org != tt.ref {
				t.Errorf("orgHit reason %q (ref %v), want %q", h.reason, h.org, tt.cause)
			}
		})
	}
	if o := origins["p-abc"]; o == nil || *o != (policy.Origin{Kind: "SCP", ID: "p-abc", Name: "Deny delete"}) {
		t.Errorf("origin of p-abc = %+v", o)
	}
	if o := origins["p-abcd"]; o == nil || *o != (policy.Origin{Kind: "RCP", ID: "p-abcd"}) {
		t.Errorf("origin of p-abcd = %+v", o)
	}
}
