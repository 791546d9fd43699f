package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/explain"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// explainFlags are the flags of `explain`.
type explainFlags struct {
	principal, action, bucket, key string
	contextPairs                   []string
	objectOwner                    string
	cloudTrail                     string
	cfgPath, snapshot              string
	format                         string
	ov                             config.Overrides
	mfaCode                        string
}

// newExplainCmd is `bucketaudit explain --principal ARN --action ACTION
// --bucket NAME [--key KEY] [--context KEY=VALUE ...] (--config FILE |
// --snapshot FILE) [--format text|json]`: the S3 403 checklist for one
// request.
func newExplainCmd(e *env) *cobra.Command {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain --principal ARN --action ACTION --bucket NAME [--key KEY] (--config FILE | --snapshot FILE)",
		Short: "Why is this request denied? The S3 403 checklist, layer by layer, for one request",
		Long: `explain walks the checklist engineers walk by hand when S3 answers 403, for
one request: the caller and its credentials, the bucket policy, the caller's
identity policies (and permission boundary), Block Public Access, Object
Ownership and ACLs, the SSE-KMS key policy, the VPC endpoint policy, the
SCPs of the caller's account and the RCPs of the bucket's. Each row says
whether the layer allows, denies, is not involved or could not be read, with
the evidence (policy and Sid, setting and value) and the fix (AWS CLI command
or policy change); then the decision and the first layer that blocks. It
says when a 403 really means "no such key" (no s3:ListBucket).

--snapshot reads any inventory document (a saved snapshot or a fixture).
--config collects only what this request needs, live, through the same
read-only clients as scan. --cloudtrail-event FILE takes the request (caller,
action, bucket, key, source IP, VPC endpoint, error code) from a CloudTrail
record; flags given as well override it.

--principal may be an IAM OIDC or SAML identity provider's ARN
(arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com,
…:saml-provider/NAME): "can my GitHub Actions workflow read this bucket?"
The checklist is then that of their request without a role (unsigned), and
the answer the roles whose trust policies let the provider's users in
(sts:AssumeRoleWithWebIdentity or sts:AssumeRoleWithSAML) and can make the
request, each with the conditions on the provider's claims (:sub, :aud,
SAML:aud…) the request must meet.

--context KEY=VALUE states a request-context key (repeatable; KEY= says the
key is absent, e.g. aws:SourceVpce= for a request not through an endpoint).

Exit codes: 0 explained (whatever the decision); 2 usage error, unreadable
snapshot or configuration, or a bucket that cannot be found; 4 failed (live
mode: no credentials, an expired SSO session, a TLS error or a dead
endpoint; the error says what to do).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := f.request(cmd)
			if err != nil {
				return err
			}
			if f.format != "text" && f.format != "json" {
				return usageErr("--format: %q is not text or json", f.format)
			}
			var doc *inventory.Document
			source := ""
			switch {
			case f.cfgPath != "" && f.snapshot != "":
				return usageErr("give --config (live) or --snapshot (offline), not both")
			case f.snapshot != "":
				if doc, err = loadSnapshot(f.snapshot); err != nil {
					return err
				}
				source = "snapshot " + f.snapshot
			case f.cfgPath != "":
				if doc, err = e.collectForExplain(cmd, f, req); err != nil {
					return err
				}
				source = "live (" + f.cfgPath + ")"
			default:
				return usageErr("--config FILE (live) or --snapshot FILE (offline) is required")
			}
			x, err := explain.Explain(doc, req, explain.Options{Source: source})
			if err != nil {
				return explainErr(err)
			}
			if f.format == "json" {
				return x.WriteJSON(cmd.OutOrStdout())
			}
			return x.WriteText(cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.principal, "principal", "", "the caller: IAM user/role/assumed-role session ARN, root ARN, identity provider ARN (…:oidc-provider/HOST, …:saml-provider/NAME: its users, through the roles that trust it), account ID, or \"anonymous\"")
	fl.StringVar(&f.action, "action", "", "the IAM action, e.g. s3:GetObject, s3:ListBucket, s3:PutObject")
	fl.StringVar(&f.bucket, "bucket", "", "the bucket name")
	fl.StringVar(&f.key, "key", "", "the object key (object actions)")
	fl.StringArrayVar(&f.contextPairs, "context", nil, "request-context key KEY=VALUE (repeatable; KEY= for a key absent from the request)")
	fl.StringVar(&f.objectOwner, "object-owner", "", "the account that owns (uploaded) the object, when Object Ownership lets uploaders own objects")
	fl.StringVar(&f.cloudTrail, "cloudtrail-event", "", "read the request from this CloudTrail record (JSON)")
	fl.StringVar(&f.cfgPath, "config", "", "live mode: scan configuration (YAML; see config.example.yaml)")
	fl.StringVar(&f.snapshot, "snapshot", "", "offline mode: an inventory document (snapshot or fixture)")
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.StringVar(&f.ov.EndpointURL, "endpoint-url", "", "live mode: send every AWS call to this URL (e.g. fakeaws); overrides endpoint_url")
	fl.StringVar(&f.ov.Profile, "profile", "", "live mode: shared-config profile of the scanning credentials; overrides profile")
	fl.StringVar(&f.ov.Region, "region", "", "live mode: home region of the global services; overrides region")
	fl.StringVar(&f.mfaCode, "mfa-token-code", "", "live mode: MFA code for a profile whose role has an mfa_serial")
	return cmd
}

// request builds the request from the CloudTrail record and the flags
// (flags win).
func (f *explainFlags) request(cmd *cobra.Command) (explain.Request, error) {
	var req explain.Request
	if f.cloudTrail != "" {
		data, err := os.ReadFile(f.cloudTrail)
		if err != nil {
			return req, usageErr("--cloudtrail-event: %v", err)
		}
		if req, err = explain.ParseCloudTrail(data); err != nil {
			return req, usageErr("--cloudtrail-event %s: %s", f.cloudTrail, explainDetail(err))
		}
	}
	set := func(name string, dst *string, v string) {
		if cmd.Flags().Changed(name) {
			*dst = v
		}
	}
	if cmd.Flags().Changed("principal") {
		req.Principal, req.Account = f.principal, ""
	}
	set("action", &req.Action, f.action)
	set("bucket", &req.Bucket, f.bucket)
	set("key", &req.Key, f.key)
	set("object-owner", &req.ObjectOwner, f.objectOwner)
	ctx, err := explain.ParseContext(f.contextPairs)
	if err != nil {
		return req, usageErr("%s", explainDetail(err))
	}
	for k, v := range ctx {
		if req.Context == nil {
			req.Context = map[string][]string{}
		}
		req.Context[k] = v
	}
	if err := req.Validate(); err != nil {
		return req, explainErr(err)
	}
	return req, nil
}

// explainErr maps explain's errors to the CLI's sentinels.
func explainErr(err error) error {
	switch {
	case errors.Is(err, explain.ErrInvalidRequest):
		return usageErr("%s", explainDetail(err))
	case errors.Is(err, explain.ErrBucketNotFound):
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return err
}

// explainDetail is an invalid-request error's message without the sentinel.
func explainDetail(err error) string {
	return strings.TrimPrefix(err.Error(), explain.ErrInvalidRequest.Error()+": ")
}

// collectForExplain runs the live collection of one request.
func (e *env) collectForExplain(cmd *cobra.Command, f explainFlags, req explain.Request) (*inventory.Document, error) {
	cfg, err := config.Load(f.cfgPath, f.ov, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if err := checkMFACode(f.mfaCode); err != nil {
		return nil, err
	}
	ctx := cmd.Context()
	sess, err := e.newSession(ctx, cfg, scanOptions{MFATokenCode: f.mfaCode}, e.log)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	defer sess.Close()
	if _, err := sess.Preflight(ctx); err != nil {
		return nil, fmt.Errorf("explain %w: %w", ErrFailed, err)
	}
	doc, err := explain.Collect(ctx, req, explain.LiveOptions{Session: sess, Config: cfg, Log: e.log})
	if err != nil {
		return nil, explainErr(err)
	}
	e.log.Info().Int64("api_calls", sess.TotalCalls()).Msg("collected what the request needs")
	return doc, nil
}

// loadSnapshot reads an inventory document (snapshot or fixture) for
// explain and analyze. A report.json given instead is named as such, not
// listed as a snapshot's unknown keys.
func loadSnapshot(path string) (*inventory.Document, error) {
	doc, err := inventory.Load(path)
	if err == nil {
		return doc, nil
	}
	if isReport(path) {
		return nil, usageErr("%s is a report (report.json), not a snapshot: this command reads the inventory that scan collects; save it with scan --save-snapshot FILE", path)
	}
	return nil, fmt.Errorf("%w: %v", ErrUsage, err)
}

// isReport says whether the file at path is a bucketaudit report.json: a
// JSON object with a schema_version and buckets that carry an access
// matrix (a snapshot's buckets have none).
func isReport(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var r struct {
		SchemaVersion *int `json:"schema_version"`
		Buckets       []struct {
			Access json.RawMessage `json:"access"`
		} `json:"buckets"`
		Summary json.RawMessage `json:"summary"`
	}
	if json.Unmarshal(data, &r) != nil || r.SchemaVersion == nil {
		return false
	}
	for _, b := range r.Buckets {
		if len(b.Access) > 0 {
			return true
		}
	}
	// A report of no bucket still has its summary.
	return len(r.Buckets) == 0 && len(r.Summary) > 0
}
