package access

import (
	"slices"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/policy"
)

// TestACLPolicyAnyResource: the engine's policy of a bucket's ACL grants
// (aclPolicy) names any resource, so that a worker makes one for the
// buckets whose grants read alike; it decides each bucket's requests, of
// the bucket and of its objects, as the grants' policy on the bucket alone
// (Resource: the bucket and its objects) does: the grants of a bucket ACL
// are the bucket's (with a bucket policy whose conditions make some of
// the decisions conditional).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
func TestACLPolicyAnyResource(t *testing.T) {
	bucket := `name: bkt
region: eu-west-1
ownership: ObjectWriter
policy: {Version: "2012-10-17", Statement: [{Sid: NotFromOffice, Effect: Deny, Principal: "*", Action: s3:PutObject, Resource: "*", Condition: {NotIpAddress: {"aws:SourceIp": 203.0.113.0/24}}}, {Sid: Office, Effect: Allow, Principal: "*", Action: s3:ListBucket, Resource: "*", Condition: {IpAddress: {"aws:SourceIp": 198.51.100.0/24}}}]}
acl:
  grants:
    - {grantee: {type: Group, uri: "http://acs.amazonaws.com/groups/global/AllUsers"}, permission: READ}
    - {grantee: {type: Group, uri: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}, permission: WRITE}
    - {grantee: {type: CanonicalUser, id: 9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0}, permission: FULL_CONTROL}`
	one := testOrg(bucket, "")
	first := "      - " + indent(bucket, "        ")
	two := strings.Replace(one, first, first+"\n"+strings.Replace(first, "name: bkt", "name: other", 1), 1)
	doc, err := inventory.Parse([]byte(two), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(doc.Accounts[1].Buckets); n != 2 {
		t.Fatalf("%d buckets", n)
	}
	ix := NewIndex(doc)
	w := newMatrixer(ix, nil, Options{}).newWorker()
	a := &doc.Accounts[1]
	callers := []*Caller{
		{Principal: "anonymous", Label: "anonymous callers"},
		{Account: "999988887777", Label: "principals of account 999988887777"},
		{Account: a.ID, Label: "principals of the owning account", InOrg: TriTrue},
	}
	shared := map[string]*policy.Policy{}
	conditional := 0
	for bi := range a.Buckets {
		b := &a.Buckets[bi]
		bl := ix.NewBucketLayers(a, b)
		bl.ev, bl.scratch, bl.refs = w.ev, &w.scratch, &w.refs
		for _, c := range callers {
			for _, action := range []string{ActionRead, ActionList, ActionWrite, ActionManage, ActionPutBucketACL} {
				grants := slices.Clone(bl.grantsFor(c, action, false))
				gp, err := bl.aclPolicy(grants, action)
				if err != nil {
					t.Fatal(err)
				}
				if gp == nil {
					continue
				}
				if p, ok := shared[c.Label+action]; ok && p != gp {
					t.Errorf("%s, %s: bucket %s has another ACL policy than the first bucket's", c.Label, action, b.Name)
				}
				shared[c.Label+action] = gp
				own := &policy.Policy{Version: "2012-10-17"}
				for _, g := range grants {
					own.Statements = append(own.Statements, policy.Statement{Sid: g.Label, Effect: "Allow", Principal: &policy.Principals{Wildcard: true},
						Action: []string{action}, Resource: []string{bl.ARN, bl.ARN + "/*"}})
				}
				onBucket, err := compileBuilt(own, "the bucket ACL")
				if err != nil {
					t.Fatal(err)
				}
				for _, key := range []string{"", "k", "a/b"} {
					for _, restrict := range []bool{false, true} {
						in := *bl.input(c, action, key)
						in.RestrictPublicBuckets = restrict
						in.Grants = gp
						got := policy.Evaluate(&in)
						in.Grants = onBucket
						want := policy.Evaluate(&in)
						if want.Decision == policy.Conditional {
							conditional++
						}
						if got.Decision != want.Decision || !slices.Equal(got.DecidedBy, want.DecidedBy) || !slices.Equal(got.Statements, want.Statements) ||
							len(got.Conditions) != len(want.Conditions) || len(got.Alternatives) != len(want.Alternatives) {
							t.Errorf("%s, %s %s on %s (RestrictPublicBuckets %v): %v %v %v, want %v %v %v", c.Label, action, key, b.Name, restrict,
								got.Decision, got.DecidedBy, got.Statements, want.Decision, want.DecidedBy, want.Statements)
						}
					}
				}
			}
		}
	}
	if len(shared) < 5 || conditional == 0 {
		t.Errorf("%d ACL policies compared, %d conditional decisions", len(shared), conditional)
	}
}
