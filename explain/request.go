// Package explain answers "why is this request denied?" for one S3
// request: the 403 checklist, layer by layer (caller, bucket policy,
// identity, Block Public Access, Object Ownership and ACLs, SSE-KMS key
// policy, VPC endpoint policy, SCPs, RCPs), with the evidence and the fix of
// each layer, the final decision and the first layer that blocks.
//
// It decides nothing itself: the decision is the access model's
// (access.BucketLayers.Decide, the same code as the access matrix) and the
// per-layer rows come from the policy engine's trace (policy.Evaluate with
// Input.Trace) on the layers the access model reads from the inventory
// document. Snapshot mode works on any inventory document; live mode
// (Collect) first collects the few layers the request needs through the
// scanner's read-only clients into a minimal document.
package explain

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/policy"
)

// ErrInvalidRequest marks a request that cannot be explained as given
// (unknown action, malformed principal, bad context). The CLI maps it to a
// usage error.
var ErrInvalidRequest = errors.New("invalid request")

// Request is the one request to explain.
type Request struct {
	// Principal is an IAM user, role, assumed-role session or root ARN, a
	// bare account ID (its root user), or "anonymous". It may be "" when
	// Account is set: a principal known only by its account (a CloudTrail
	// record of a cross-account call names no ARN).
	Principal string `json:"principal"`
	// Account is the principal's account when Principal does not say it.
	Account string `json:"account,omitempty"`
	// Action is the IAM action, e.g. "s3:GetObject".
	Action string `json:"action"`
	Bucket string `json:"bucket"`
	// Key is the object key ("" for bucket actions, or any key).
	Key string `json:"key,omitempty"`
	// Context holds request-context keys known for this request. A key with
	// no value is known to be absent from the request.
	Context map[string][]string `json:"context,omitempty"`
	// ObjectOwner is the account that owns the object (uploaded it), when
	// Object Ownership lets uploaders own objects; "" = the bucket owner.
	ObjectOwner string `json:"object_owner,omitempty"`
	// BucketAccount is the bucket owner's account when known beforehand
	// (CloudTrail names it); live mode then looks there first.
	BucketAccount string `json:"bucket_account,omitempty"`
	// ErrorCode is what AWS answered (CloudTrail errorCode), if known.
	ErrorCode string `json:"error_code,omitempty"`
	// EventName is the S3 API operation of a CloudTrail record.
	EventName string `json:"event_name,omitempty"`
}

// Anonymous is the Principal of an unsigned request.
const Anonymous = "anonymous"

// Validate checks the request and puts it in canonical form: the action's
// canonical spelling, the principal's account. Every problem is reported at
// once, wrapped in ErrInvalidRequest.
func (r *Request) Validate() error {
	var problems []string
	switch {
	case r.Principal == "" && r.Account == "":
		problems = append(problems, "the principal is missing (an IAM ARN, an account ID or \"anonymous\")")
	case r.Principal != "":
		p, err := ParsePrincipal(r.Principal)
		if err != nil {
			problems = append(problems, err.Error())
		} else if r.Account != "" && p.Account != "" && r.Account != p.Account {
			problems = append(problems, fmt.Sprintf("the principal %s belongs to account %s, not %s", r.Principal, p.Account, r.Account))
		}
	default:
		if !awsid.IsAccountID(r.Account) {
			problems = append(problems, fmt.Sprintf("account %q is not a 12-digit AWS account ID", r.Account))
		}
	}
	if r.Action == "" {
		problems = append(problems, "the action is missing (e.g. s3:GetObject)")
	} else if info, ok := policy.LookupAction(r.Action); !ok || !strings.HasPrefix(info.Name, "s3:") {
		problems = append(problems, fmt.Sprintf("action %q is not an S3 action (e.g. s3:GetObject, s3:ListBucket, s3:PutObject)", r.Action))
	} else {
		r.Action = info.Name
	}
	if r.Bucket == "" {
		problems = append(problems, "the bucket is missing")
	} else if strings.ContainsAny(r.Bucket, "/:* ") {
		problems = append(problems, fmt.Sprintf("bucket %q is not a bucket name (give the name, not an ARN or s3:// URL)", r.Bucket))
	}
	if r.Key != "" && policy.S3ActionScope(r.Action) == policy.ScopeBucket {
		problems = append(problems, fmt.Sprintf("%s acts on the bucket, not on an object: drop the key %q", r.Action, r.Key))
	}
	if r.ObjectOwner != "" && !awsid.IsAccountID(r.ObjectOwner) {
		problems = append(problems, fmt.Sprintf("object owner %q is not a 12-digit AWS account ID", r.ObjectOwner))
	}
	if r.BucketAccount != "" && !awsid.IsAccountID(r.BucketAccount) {
		problems = append(problems, fmt.Sprintf("bucket account %q is not a 12-digit AWS account ID", r.BucketAccount))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Context)) {
		if !strings.Contains(k, ":") {
			problems = append(problems, fmt.Sprintf("context key %q is not a condition key (service:Name, e.g. aws:SourceIp)", k))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidRequest, strings.Join(problems, "; "))
	}
	return nil
}

// ParseContext parses --context values, "KEY=VALUE" each; a key repeated
// gets several values, "KEY=" says the key is absent from the request.
func ParseContext(pairs []string) (map[string][]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string][]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: --context %q: want KEY=VALUE (KEY= for a key absent from the request)", ErrInvalidRequest, p)
		}
		if !strings.Contains(k, ":") {
			return nil, fmt.Errorf("%w: --context %q: %q is not a condition key (service:Name, e.g. aws:SourceIp)", ErrInvalidRequest, p, k)
		}
		cur, seen := out[k]
		switch {
		case v == "" && seen && len(cur) > 0, v != "" && seen && len(cur) == 0:
			return nil, fmt.Errorf("%w: --context %s is given both as absent (%s=) and with a value", ErrInvalidRequest, k, k)
		case v == "":
			out[k] = []string{}
		default:
			out[k] = append(cur, v)
		}
	}
	return out, nil
}

// contextValue returns the values of a context key (case-insensitive) and
// whether the request states it.
func (r *Request) contextValue(key string) ([]string, bool) {
	for k, v := range r.Context {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}
