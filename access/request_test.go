package access

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bucketaudit/bucketaudit/demo"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/model"
	"github.com/bucketaudit/bucketaudit/policy"
)

// demoLayers returns the layers of a demo bucket and its index.
func demoLayers(t *testing.T, bucket string) (*Index, *BucketLayers) {
	t.Helper()
	doc, err := inventory.Parse(demo.Fixture(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(doc)
	for ai := range doc.Accounts {
		a := &doc.Accounts[ai]
		for bi := range a.Buckets {
			if a.Buckets[bi].Name == bucket {
				return ix, ix.NewBucketLayers(a, &a.Buckets[bi])
			}
		}
	}
	t.Fatalf("no bucket %s", bucket)
	return nil, nil
}

func parsePolicy(t *testing.T, text string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Decide for one concrete request: what explain builds on.
func TestDecideConcreteRequests(t *testing.T) {
	readAll := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","kms:*"],"Resource":"*"}]}`
	tests := []struct {
		name     string
		doc      string // the AWS documentation page the case encodes
		bucket   string
		caller   func(ix *Index) *Caller
		action   string
		verdict  model.Verdict
		engine   policy.Decision
		layer    string
		kms      string
		stepName string
	}{{
		name:   "a request through the endpoint is subject to the endpoint's policy",
		doc:    "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html",
		bucket: "acme-prod-vpc-only",
		caller: func(ix *Index) *Caller {
			return &Caller{Principal: "arn:aws:iam::888877776666:role/reporting", Account: "888877776666", InOrg: TriFalse,
				Identity: []*policy.Policy{parsePolicy(t, readAll)}, Context: map[string][]string{"aws:SourceVpce": {"vpce-0a1b2c3d4e5f60718"}}, Trace: true}
		},
		action: ActionRead, verdict: model.VerdictDeny, engine: policy.ImplicitDeny, layer: model.LayerVPCE, stepName: "s3",
	}, {
		name:   "the owner's role through the endpoint is allowed",
		doc:    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html",
		bucket: "acme-prod-vpc-only",
		caller: func(ix *Index) *Caller {
			return &Caller{Principal: "arn:aws:iam::427361850293:role/data-pipeline", Account: "427361850293", InOrg: TriTrue,
				SCPs: ix.SCPs("427361850293"), Identity: []*policy.Policy{parsePolicy(t, readAll)},
				Context: map[string][]string{"aws:SourceVpce": {"vpce-0a1b2c3d4e5f60718"}}}
		},
		action: ActionRead, verdict: model.VerdictAllow, engine: policy.Allow,
	}, {
		name:   "an explicit deny in the bucket policy",
		doc:    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
		bucket: "acme-prod-finance-ledger",
		caller: func(ix *Index) *Caller {
			return &Caller{Principal: "arn:aws:iam::427361850293:role/data-pipeline", Account: "427361850293", InOrg: TriTrue,
				SCPs: ix.SCPs("427361850293"), Identity: []*policy.Policy{parsePolicy(t, readAll)}}
		},
		action: ActionWrite, verdict: model.VerdictDeny, engine: policy.ExplicitDeny, layer: model.LayerBucketPolicy,
	}, {
		name:   "the key policy does not name the partner",
		doc:    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html",
		bucket: "acme-prod-customer-exports",
		caller: func(ix *Index) *Caller {
			return &Caller{Principal: "arn:aws:iam::888877776666:role/reporting", Account: "888877776666", InOrg: TriFalse,
				Identity: []*policy.Policy{parsePolicy(t, readAll)}, Trace: true}
		},
		action: ActionRead, verdict: model.VerdictDeny, engine: policy.ImplicitDeny, layer: model.LayerKMS, kms: "key-policy", stepName: "kms",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, bl := demoLayers(t, tt.bucket)
			c := tt.caller(ix)
			d := bl.Decide(c, tt.action, "report.csv")
			if d.Verdict != tt.verdict || d.Engine != tt.engine || d.KMSBlocked != tt.kms {
				t.Fatalf("Decide = %s (engine %s, kms %q): %s; want %s (%s, %q)", d.Verdict, d.Engine, d.KMSBlocked, d.Reason, tt.verdict, tt.engine, tt.kms)
			}
			if tt.layer != "" && !strings.Contains(strings.Join(d.DecidedBy, ","), tt.layer) {
				t.Errorf("decided_by %v lacks %s", d.DecidedBy, tt.layer)
			}
			if c.Trace {
				var names []string
				traced := false
				for _, s := range d.Steps {
					names = append(names, s.Name)
					traced = traced || len(s.Result.Layers) > 0
				}
				if !strings.Contains(strings.Join(names, ","), tt.stepName) || !traced {
					t.Errorf("steps %v (traced %t), want a traced %q step", names, traced, tt.stepName)
				}
			} else if d.Steps != nil {
				t.Errorf("steps recorded without Trace: %d", len(d.Steps))
			}
			if in := bl.S3Input(c, tt.action, "report.csv"); in.Resource != bl.ARN+"/report.csv" || in.Context == nil {
				t.Errorf("S3Input = %+v", in)
			}
		})
	}
}

// TestSetInputWritesEveryField: setInput leaves no field of the previous
// request's input behind (every field of a fully set input is copied, so a
// field added to policy.Input and not to setInput fails here).
func TestSetInputWritesEveryField(t *testing.T) {
	full := func(tag string) policy.Input {
		p := policy.Unreadable(tag)
		return policy.Input{Principal: tag, Action: tag, Resource: tag, ResourceAccount: tag, Context: policy.NewContext().Set("k", tag), BaseContext: policy.NewContext().Set("b", tag),
			IdentityPolicies: []*policy.Policy{p}, PermissionBoundary: p, SessionPolicy: p, ResourcePolicy: p,
			SCPs: [][]*policy.Policy{{p}}, RCPs: [][]*policy.Policy{{p}}, VPCEndpointPolicies: []*policy.Policy{p}, Grants: p,
			RequireResourcePolicy: tag == "b", RestrictPublicBuckets: tag == "b", Trace: tag == "b"}
	}
	a, b := full("a"), full("b")
	rb := reflect.ValueOf(b)
	for i := range rb.NumField() {
		if rb.Field(i).IsZero() {
			t.Fatalf("the fixture leaves policy.Input.%s unset", rb.Type().Field(i).Name)
		}
	}
	setInput(&a, &b)
	ra := reflect.ValueOf(a)
	for i := range ra.NumField() {
		f := ra.Type().Field(i)
		if !reflect.DeepEqual(ra.Field(i).Interface(), rb.Field(i).Interface()) {
			t.Errorf("setInput left %s as it was", f.Name)
		}
	}
}
