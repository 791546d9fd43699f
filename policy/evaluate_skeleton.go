package policy

// NOTE(skeleton): Evaluate is being implemented (milestone B of the policy
// engine); this placeholder keeps the contract compiling meanwhile.

// Evaluate decides the request in with AWS's policy evaluation logic.
func Evaluate(in *Input) Result { panic("policy.Evaluate: not implemented yet (milestone B)") }
