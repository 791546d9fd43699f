package explain

import (
	"strings"

	"github.com/bucketaudit/bucketaudit/access"
	"github.com/bucketaudit/bucketaudit/policy"
)

// The engine inputs of the trace rows. The access model builds the same
// inputs privately inside Decide; until it exports them
// (/work/coord/requests/access.md, "From explain (issue 8), 1"), they are
// built here from BucketLayers' exported fields with the same request
// context, plus the keys the request states.

// requestContext is the context of the caller's request to service ("s3",
// or "kms" for the call S3 makes on the caller's behalf) on a resource of
// owner in region: what the access model sets for a caller, then the keys
// the request states.
func requestContext(ix *access.Index, c *access.Caller, req *Request, service, owner, region string) *policy.Context {
	ctx := policy.NewOpenContext()
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("aws:ViaAWSService", "false")
	ctx.SetAbsent("aws:CalledVia")
	ctx.SetAbsent("aws:SourceAccount")
	ctx.SetAbsent("aws:SourceArn")
	ctx.SetAbsent("aws:SourceOrgID")
	ctx.SetAbsent("aws:SourceOrgPaths")
	ctx.Set("aws:PrincipalIsAWSService", "false")
	ctx.Set("aws:ResourceAccount", owner)
	ctx.Set("s3:ResourceAccount", owner)
	ctx.Set("aws:RequestedRegion", region)
	if ix.InOrg(owner) {
		ctx.Set("aws:ResourceOrgID", ix.OrgID)
		if p := ix.OrgPath(owner); p != "" {
			ctx.Set("aws:ResourceOrgPaths", p)
		}
	}
	if c.Principal == Anonymous {
		for _, k := range []string{"aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:userid", "aws:username", "aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge", "aws:TokenIssueTime", "aws:FederatedProvider", "aws:PrincipalServiceName"} {
			ctx.SetAbsent(k)
		}
		ctx.Set("aws:PrincipalType", "Anonymous")
		ctx.SetAbsent("s3:signatureversion")
	} else {
		ctx.Set("s3:signatureversion", "AWS4-HMAC-SHA256")
		ctx.SetAbsent("aws:PrincipalServiceName")
		if c.Principal == "" && c.Account != "" {
			ctx.Set("aws:PrincipalAccount", c.Account)
		}
		switch c.InOrg {
		case access.TriTrue:
			ctx.Set("aws:PrincipalOrgID", ix.OrgID)
			if c.OrgPath != "" {
				ctx.Set("aws:PrincipalOrgPaths", c.OrgPath)
			}
		case access.TriFalse:
			if ix.OrgID != "" {
				ctx.SetUnknownExcept("aws:PrincipalOrgID", ix.OrgID)
			}
		}
	}
	if service == "kms" {
		ctx.Set("kms:ViaService", "s3."+region+".amazonaws.com")
		ctx.Set("aws:ViaAWSService", "true")
		ctx.SetAbsent("s3:signatureversion")
		if c.Account != "" {
			ctx.Set("kms:CallerAccount", c.Account)
		}
	}
	for _, k := range sortedKeys(req.Context) {
		if service == "kms" && strings.HasPrefix(strings.ToLower(k), "s3:") {
			continue // S3's keys are not in the context of the KMS call
		}
		ctx.Set(k, req.Context[k]...) // no value: absent
	}
	return ctx
}

// s3Input is the engine input of the S3 request, with the trace on.
func s3Input(ix *access.Index, bl *access.BucketLayers, c *access.Caller, req *Request, vpce *policy.Policy) *policy.Input {
	in := &policy.Input{
		Principal:          c.Principal,
		Action:             req.Action,
		Resource:           bl.ResourceARN(req.Action, req.Key),
		ResourceAccount:    bl.Account.ID,
		Context:            requestContext(ix, c, req, "s3", bl.Account.ID, bl.Bucket.Region),
		IdentityPolicies:   c.Identity,
		PermissionBoundary: c.Boundary,
		SessionPolicy:      c.Session,
		ResourcePolicy:     bl.Policy,
		// RestrictPublicBuckets voids only a public policy's grants; with
		// the flag unread the trace assumes it off (the decision itself
		// weighs both, in access).
		RestrictPublicBuckets: bl.BPA.RestrictPublicBuckets == access.TriTrue && bl.PolicyPublic != access.TriFalse,
		Trace:                 true,
	}
	if c.SCPs.Governed {
		in.SCPs = c.SCPs.Levels
	}
	if bl.RCPs.Governed {
		in.RCPs = bl.RCPs.Levels
	}
	if vpce != nil {
		in.VPCEndpointPolicies = []*policy.Policy{vpce}
	}
	return in
}

// kmsInput is the engine input of the KMS call S3 makes for the caller on
// an SSE-KMS bucket (kms:Decrypt to read, kms:GenerateDataKey to write).
func kmsInput(ix *access.Index, bl *access.BucketLayers, c *access.Caller, req *Request, kmsAction string) *policy.Input {
	in := &policy.Input{
		Principal:          c.Principal,
		Action:             kmsAction,
		Resource:           bl.Key.ARN,
		ResourceAccount:    bl.Key.Account,
		Context:            requestContext(ix, c, req, "kms", bl.Key.Account, bl.Bucket.Region),
		IdentityPolicies:   c.Identity,
		PermissionBoundary: c.Boundary,
		SessionPolicy:      c.Session,
		ResourcePolicy:     bl.KeyPolicy,
		Trace:              true,
	}
	if in.Resource == "" {
		in.Resource = "arn:aws:kms:" + bl.Bucket.Region + ":" + bl.Key.Account + ":key/unknown"
	}
	if c.SCPs.Governed {
		in.SCPs = c.SCPs.Levels
	}
	// RCPs do not apply to AWS managed keys.
	if !bl.Key.AWSManaged {
		if rc := ix.RCPs(bl.Key.Account); rc.Governed {
			in.RCPs = rc.Levels
		}
	}
	return in
}
