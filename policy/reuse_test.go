package policy

import (
	"reflect"
	"testing"
)

// TestEvaluatorReusesAlternatives: an Evaluator deciding into one Result
// (whose alternatives and traced layers it makes in the room of its last
// use) gives every request the alternatives, conditions and layers a
// fresh evaluation gives, in any order of requests with more, fewer or no
// alternatives, traced or not.
func TestEvaluatorReusesAlternatives(t *testing.T) {
	two := mustParse(t, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"Office","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}},
	  {"Sid":"Vpce","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"},"Bool":{"aws:SecureTransport":"true"}}},
	  {"Sid":"Tagged","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"a"}}}]}`)
	two.Name = "bucket policy"
	in := func(action string, ctx *Context) *Input {
		return &Input{Principal: "arn:aws:iam::111122223333:role/r", Action: action, Resource: "arn:aws:s3:::b/k",
			ResourceAccount: "111122223333", Context: ctx, ResourcePolicy: two}
	}
	inputs := []*Input{
		in("s3:GetObject", NewOpenContext()),                                  // two alternatives
		in("s3:PutObject", NewOpenContext()),                                  // one
		in("s3:GetObject", NewOpenContext().Set("aws:SourceIp", "192.0.2.1")), // the other one
		in("s3:GetObject", NewContext()),                                      // none
		typicalInput(t),
	}
	for _, x := range inputs[:5] {
		traced := *x
		traced.Trace = true
		inputs = append(inputs, &traced)
	}
	if r := Evaluate(inputs[0]); r.Decision != Conditional || len(r.Alternatives) != 2 {
		t.Fatalf("first request: %v, %d alternatives, want conditional on two", r.Decision, len(r.Alternatives))
	}
	var ev Evaluator
	var res Result
	for _, order := range [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {0, 0, 1, 0, 2, 3, 0}, {5, 6, 7, 8, 9}, {9, 5, 8, 6, 7, 5}, {0, 5, 1, 6, 4, 9, 3, 8}} {
		for _, i := range order {
			ev.Evaluate(inputs[i], &res)
			want := Evaluate(inputs[i])
			same := res.Decision == want.Decision && sameReqs(res.Conditions, want.Conditions) && len(res.Alternatives) == len(want.Alternatives)
			for j := range res.Alternatives {
				same = same && sameReqs(res.Alternatives[j], want.Alternatives[j])
			}
			same = same && len(res.Layers) == len(want.Layers)
			for j := range res.Layers {
				a, b := res.Layers[j], want.Layers[j]
				same = same && a.Layer == b.Layer && a.Level == b.Level && a.Applies == b.Applies && a.Outcome == b.Outcome &&
					sameReqs(a.Conditions, b.Conditions) && len(a.Statements) == len(b.Statements) && (len(a.Statements) == 0 || reflect.DeepEqual(a.Statements, b.Statements))
			}
			if !same {
				t.Errorf("request %d: %v %v %v, want %v %v %v", i, res.Decision, res.Alternatives, res.Conditions, want.Decision, want.Alternatives, want.Conditions)
			}
		}
	}
}

// sameReqs reports whether two lists hold the same requirements (nil and
// empty alike: Evaluate reuses its Result's slices).
func sameReqs(a, b []Requirement) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}
