package cli

import (
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/policy"
)

// newSimulateCmd is `bucketaudit simulate`: JSON-lines requests on stdin,
// one decision line per request on stdout (the request shape of
// ../shared/oracle/README.md).
func newSimulateCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "simulate",
		Short: "Evaluate policy requests read as JSON lines on stdin",
		Long: `simulate reads one request per line on stdin:
  {"id": ..., "principal": ARN|"anonymous", "action": "s3:GetObject", "resource": ARN,
   "resource_account": "111111111111", "context": {...}, "identity_policies": [...],
   "permission_boundary": {...}, "session_policy": {...}, "resource_policy": {...},
   "scps": [[...], ...], "rcps": [[...], ...], "vpc_endpoint_policies": [...],
   "restrict_public_buckets": false}
and writes one line per request:
  {"id": ..., "decision": "allow|explicit_deny|implicit_deny", "decided_by": [...], "statements": [...]}
A malformed line gets {"id": ..., "decision": "error", "error": "..."} and the run goes on.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// simulate allocates many short-lived parse trees: trade memory
			// for less garbage collection while it runs.
			defer debug.SetGCPercent(debug.SetGCPercent(policy.SimulateGCPercent))
			return policy.NewSimulator().Run(e.stdin, e.stdout)
		},
	}
}
