package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestOpenContextSound checks three-valued evaluation against two-valued
// evaluation on the differential generator's requests: with some keys of a
// request's context unknown (the rest as the request says), a decision
// that does not depend on the unknown keys must be the request's own. The
// request's context is one of the contexts the unknown keys stand for, so
// an Allow must still allow and a deny still deny; only a Conditional (or
// Unknown) result may go either way, and it names the conditions it
// depends on. Evaluation logic:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// It also runs the cases that once panicked (a formula that holds in no
// context) through the open world.
func TestOpenContextSound(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 500
	}
	lines := genRequests(23, n)
	rng := rand.New(rand.NewPCG(23, 5))
	s := NewSimulator()
	ev := NewEvaluator()
	checked := map[Decision]int{}
	for i, line := range lines {
		jp := &s.jp
		jp.reset(string(line))
		root, err := jp.parseDocument()
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		in, err := s.input(jp, root)
		if err != nil {
			continue // the generator's invalid requests
		}
		var closed Result
		ev.Evaluate(in, &closed)
		var req struct {
			Context map[string]json.RawMessage `json:"context"`
		}
		if err := json.Unmarshal(line, &req); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		for round := 0; round < 2; round++ {
			open := NewOpenContext()
			var unknown []string
			// In key order: the same seed makes the same keys unknown
			// in every run.
			for _, k := range slices.Sorted(maps.Keys(req.Context)) {
				raw := req.Context[k]
				if rng.IntN(3) == 0 {
					unknown = append(unknown, k)
					continue
				}
				var one string
				var many []string
				switch {
				case json.Unmarshal(raw, &one) == nil:
					open.Set(k, one)
				case json.Unmarshal(raw, &many) == nil:
					open.Set(k, many...)
				default:
					open.Set(k, string(raw)) // a number or a boolean, as its text
				}
			}
			oin := *in
			oin.Context = open
			var r Result
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("request %d with %v unknown: panic %v\n%s", i, unknown, p, line)
					}
				}()
				ev.Evaluate(&oin, &r)
			}()
			checked[r.Decision]++
			denied := func(d Decision) bool { return d == ExplicitDeny || d == ImplicitDeny }
			what := fmt.Sprintf("request %d with %v unknown: %v (%v), but %v with the request's context\n%s", i, unknown, r.Decision, r.ConditionStrings(), closed.Decision, line)
			switch {
			case r.Decision == Allow && closed.Decision != Allow:
				t.Errorf("%s", what)
			case denied(r.Decision) && !denied(closed.Decision) && closed.Decision != Unknown:
				t.Errorf("%s", what)
			case r.Decision == Conditional && len(r.Alternatives) == 0 && !r.Complex:
				t.Errorf("conditional without alternatives: %s", what)
			case r.Decision != Conditional && len(r.Alternatives) > 0:
				t.Errorf("alternatives of a certain decision: %s", what)
			}
		}
	}
	if checked[Allow] == 0 || checked[Conditional] == 0 || checked[ImplicitDeny] == 0 || checked[ExplicitDeny] == 0 {
		t.Errorf("the requests did not reach every decision: %v", checked)
	}
	t.Logf("open-world decisions: %v", checked)
}
