package access

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// ownersDoc is an organisation whose role 222222222222 reader (OU Prod)
// may read the objects of the OU Prod's accounts' buckets
// (aws:ResourceOrgPaths) and write those of account 444444444444's (OU
// Dev; aws:ResourceAccount); every bucket's policy lets account
// 222222222222 do both.
func ownersDoc(t *testing.T) *inventory.Document {
	t.Helper()
	bucket := func(name string) string {
		return fmt.Sprintf(`{name: %s, region: eu-west-1, policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::%s/*"}]}}`, name, name)
	}
	// testOrg's accounts: 111111111111 the root's, 222222222222 and
	// 333333333333 in OU Prod, 444444444444 in OU Dev.
	text := testOrg(bucket("own-data"), `iam:
  roles:
    - arn: arn:aws:iam::222222222222:role/reader
      inline_policies:
        p: {Version: "2012-10-17", Statement: [
          {Sid: ProdReads, Effect: Allow, Action: "s3:GetObject", Resource: "*", Condition: {"ForAnyValue:StringLike": {"aws:ResourceOrgPaths": "o-test000001/r-test/ou-test-prod0001/*"}}},
          {Sid: DevWrites, Effect: Allow, Action: "s3:PutObject", Resource: "*", Condition: {StringEquals: {"aws:ResourceAccount": "444444444444"}}}]}`)
	for _, a := range []struct{ id, bucket string }{{"111111111111", "mgmt-data"}, {"333333333333", "prod-data"}, {"444444444444", "dev-data"}} {
		was := fmt.Sprintf(`  - {id: "%s", policies: [p-full]}`, a.id)
		if !strings.Contains(text, was) {
			t.Fatalf("testOrg has no %s", was)
		}
		text = strings.Replace(text, was, fmt.Sprintf(`  - {id: "%s", policies: [p-full], buckets: [%s]}`, a.id, bucket(a.bucket)), 1)
	}
	doc, err := inventory.Parse([]byte(text), t.Name())
	if err != nil {
		t.Fatalf("fixture: %v\n%s", err, text)
	}
	return doc
}

// TestCallerContextPerOwner: a caller's request context holds its own
// keys, made once for the buckets of every owner (Caller.context), and
// the owner's keys are the input's BaseContext (Index.requestBase): one
// caller and one evaluator (with its memo of lookups) deciding, in turn,
// on the buckets of owners in different OUs must see each owner's
// aws:ResourceAccount and aws:ResourceOrgPaths, never those of the owner
// decided before.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgpaths
func TestCallerContextPerOwner(t *testing.T) {
	doc := ownersDoc(t)
	ix := NewIndex(doc)
	w := newMatrixer(ix, nil, Options{}).newWorker()
	var reader *IAMPrincipal
	for i, p := range ix.Principals("222222222222") {
		if p.ARN == "arn:aws:iam::222222222222:role/reader" {
			reader = &ix.Principals("222222222222")[i]
		}
	}
	if reader == nil {
		t.Fatal("no role reader")
	}
	c := w.principalCaller("222222222222", reader, TriTrue, ix.OrgID)
	layers := map[string]*BucketLayers{}
	for ai := range doc.Accounts {
		a := &doc.Accounts[ai]
		for bi := range a.Buckets {
			bl := ix.NewBucketLayers(a, &a.Buckets[bi])
			bl.ev, bl.scratch = w.ev, &w.scratch
			layers[a.Buckets[bi].Name] = bl
		}
	}
	want := map[string][2]model.Verdict{ // read, write
		"prod-data": {model.VerdictAllow, model.VerdictDeny}, // OU Prod
		"own-data":  {model.VerdictAllow, model.VerdictDeny}, // OU Prod, the caller's own account
		"dev-data":  {model.VerdictDeny, model.VerdictAllow}, // 444444444444, OU Dev
		"mgmt-data": {model.VerdictDeny, model.VerdictDeny},  // the root's account
	}
	// Each owner after each other, twice, the same caller throughout.
	order := []string{"prod-data", "dev-data", "mgmt-data", "own-data", "dev-data", "prod-data", "mgmt-data", "dev-data", "own-data"}
	var ctx *policy.Context
	for i, name := range order {
		bl := layers[name]
		for j, action := range []string{ActionRead, ActionWrite} {
			if got := bl.Decide(c, action, "").Verdict; got != want[name][j] {
				t.Errorf("step %d: %s on %s (account %s) = %s, want %s", i, action, name, bl.Account.ID, got, want[name][j])
			}
		}
		// The caller's context is one for every owner.
		if ctx == nil {
			ctx = bl.s3Ctx
		} else if bl.s3Ctx != ctx {
			t.Errorf("step %d: the caller has another S3 context on %s", i, name)
		}
	}
	// Each owner's base is its own, and made once.
	bases := map[*policy.Context]string{}
	for name, bl := range layers {
		b := ix.requestBase(bl.Account.ID, "s3", bl.Bucket.Region)
		if b != bl.s3Base {
			t.Errorf("%s: the input's base is not its owner's", name)
		}
		if other, ok := bases[b]; ok {
			t.Errorf("%s and %s share a base", name, other)
		}
		bases[b] = name
	}
}

// TestEndpointBase: the BaseContext of the requests through a VPC
// endpoint (Index.endpointBase) is made once per request base and
// endpoint, and holds that endpoint's keys over that base's, under the
// caller's keys: another endpoint, or another owner's base, has its own.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcevpce
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount
func TestEndpointBase(t *testing.T) {
	ix := NewIndex(ownersDoc(t))
	ep := func(id string) *policy.Context { return policy.NewContext().Set("aws:SourceVpce", id) }
	e1, e2 := ep("vpce-1111"), ep("vpce-2222")
	prod, dev := ix.requestBase("333333333333", "s3", "eu-west-1"), ix.requestBase("444444444444", "s3", "eu-west-1")
	web := policy.NewContext().Set("aws:PrincipalTag/team", "web")
	p, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
		"Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1111","aws:ResourceAccount":"333333333333","aws:PrincipalTag/team":"web"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var e policy.Evaluator
	var r policy.Result
	for i := range 2 { // made, then kept
		for _, tc := range []struct {
			name       string
			base, keys *policy.Context
			want       policy.Decision
		}{{"prod, 1111", prod, e1, policy.Allow}, {"prod, 2222", prod, e2, policy.ImplicitDeny}, {"dev, 1111", dev, e1, policy.ImplicitDeny}} {
			b := ix.endpointBase(tc.base, tc.keys)
			e.Evaluate(&policy.Input{Principal: "arn:aws:iam::333333333333:role/app", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
				ResourceAccount: "333333333333", Context: web, BaseContext: b, IdentityPolicies: []*policy.Policy{p}}, &r)
			if r.Decision != tc.want {
				t.Errorf("pass %d, %s: %v, want %v", i, tc.name, r.Decision, tc.want)
			}
			if again := ix.endpointBase(tc.base, tc.keys); again != b {
				t.Errorf("pass %d, %s: another base for the same base and endpoint", i, tc.name)
			}
		}
	}
}
