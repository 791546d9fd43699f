package access

import (
	"sync"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/policy"
)

// ctxBases holds, per resource owner, the keys every request context for
// its resources starts with (requestBase): an owner's callers share them,
// so a caller's context holds only its caller's keys (Caller.context).
type ctxBases struct {
	mu sync.RWMutex
	m  map[string]*policy.Context // by owner
	// common are the keys of every signed request, without the owner's
	// (commonContext).
	common *policy.Context
	// anonymous are an anonymous caller's keys (anonymousKeys), made once.
	anonymous     *policy.Context
	anonymousOnce sync.Once
	// services are the keys of a service and region (serviceKeys).
	services map[ctxKey]*policy.Context
	// requests are the bases of the requests to an owner's resources
	// (requestBase).
	requests map[baseKey]*policy.Context
	// endpoints are the bases of the requests through a VPC endpoint
	// (endpointBase), by request base and endpoint keys.
	endpoints map[[2]*policy.Context]*policy.Context
	// orgs are the organisation keys of callers in it (orgKeys), by
	// organisation ID and OU path.
	orgs map[[2]string]*policy.Context
	// resourceOrgs are the organisation keys of the owners of an OU path
	// (contextBase's), by path.
	resourceOrgs map[string]*policy.Context
}

// orgKeys returns the aws:PrincipalOrgID (orgID) and aws:PrincipalOrgPaths
// (path) keys of a caller in an organisation, each set when not empty, or
// with neither those of a caller outside the index's organisation
// (aws:PrincipalOrgID unknown but not ix.OrgID), a layer of the callers'
// keys (callerKeys): the callers of an OU share them.
func (ix *Index) orgKeys(orgID, path string) *policy.Context {
	cb := &ix.ctxBases
	return memoContext(&cb.mu, &cb.orgs, [2]string{orgID, path}, func() *policy.Context {
		ctx := policy.NewContext()
		if orgID != "" {
			ctx.Set("aws:PrincipalOrgID", orgID)
		}
		if path != "" {
			ctx.Set("aws:PrincipalOrgPaths", path)
		}
		if orgID == "" && path == "" { // a caller outside: the organisation's ID is not its
			ctx.SetUnknownExcept("aws:PrincipalOrgID", ix.OrgID)
		}
		return ctx
	})
}

// serviceKeys returns the keys of the request contexts for service in
// region that depend neither on the caller nor on the resource's owner
// (the caller's kms:CallerAccount and Context are not among them). The
// context is shared: not to be modified.
func (ix *Index) serviceKeys(service, region string) *policy.Context {
	cb := &ix.ctxBases
	return memoContext(&cb.mu, &cb.services, ctxKey{service: service, region: region}, func() *policy.Context {
		ctx := policy.NewContext()
		if region != "" {
			ctx.Set("aws:RequestedRegion", region)
		}
		if service == "s3-plain-http" { // the TLS check: a request without TLS
			ctx.Set("aws:SecureTransport", "false")
		}
		if service == "kms" {
			ctx.Set("kms:ViaService", awsid.ServiceEndpoint("s3", region))
			ctx.Set("aws:ViaAWSService", "true")
			ctx.SetAbsent("s3:signatureversion")
		}
		if service == "sts" { // an AssumeRole call (assumeContext)
			ctx.SetAbsent("s3:signatureversion")
		}
		return ctx
	})
}

// ctxKey identifies the requests to a service in a region.
type ctxKey struct{ service, region string }

// baseKey identifies a requestBase.
type baseKey struct {
	owner string
	svc   ctxKey
}

// requestBase returns the BaseContext of the requests to service in
// region on a resource of owner: the service's and region's keys
// (serviceKeys) over the owner's (contextBase), made once per owner for
// every caller, signed or anonymous (whose keys, Caller.context, the
// input's Context, come first: an anonymous caller's, anonymousKeys, over
// those of signed requests). The context is shared: not to be modified.
func (ix *Index) requestBase(owner, service, region string) *policy.Context {
	cb := &ix.ctxBases
	// The parts first: memoContext builds under the lock they take.
	base, svc := ix.contextBase(owner), ix.serviceKeys(service, region)
	return memoContext(&cb.mu, &cb.requests, baseKey{owner, ctxKey{service, region}}, func() *policy.Context {
		return policy.NewContextLayered(base, svc)
	})
}

// endpointBase returns the BaseContext of the requests through a VPC
// endpoint whose BaseContext is otherwise base: the endpoint's keys
// (endpointKeys) over base, made once per base and endpoint for every
// caller whose keys set none of the endpoint's (those without an explicit
// Context). The context is shared: not to be modified.
func (ix *Index) endpointBase(base, keys *policy.Context) *policy.Context {
	cb := &ix.ctxBases
	return memoContext(&cb.mu, &cb.endpoints, [2]*policy.Context{base, keys}, func() *policy.Context {
		return policy.NewContextLayered(base, keys)
	})
}

// memoContext returns (*m)[k], made with build (under mu, once) when there
// is none.
func memoContext[K comparable](mu *sync.RWMutex, m *map[K]*policy.Context, k K, build func() *policy.Context) *policy.Context {
	mu.RLock()
	ctx := (*m)[k]
	mu.RUnlock()
	if ctx != nil {
		return ctx
	}
	mu.Lock()
	defer mu.Unlock()
	if ctx := (*m)[k]; ctx != nil {
		return ctx
	}
	ctx = build()
	if *m == nil {
		*m = map[K]*policy.Context{}
	}
	(*m)[k] = ctx
	return ctx
}

// contextBase returns the base of the request contexts of owner's
// resources (requestBase's). The context is shared: not to be modified.
func (ix *Index) contextBase(owner string) *policy.Context {
	cb := &ix.ctxBases
	cb.mu.RLock()
	b := cb.m[owner]
	cb.mu.RUnlock()
	if b != nil {
		return b
	}
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if b := cb.m[owner]; b != nil {
		return b
	}
	if cb.m == nil {
		cb.m = map[string]*policy.Context{}
		cb.common = commonContext()
	}
	// The keys of its OU path are shared by the OU's owners.
	b = policy.NewContextOn(cb.common).Reserve(2)
	b.Set("aws:ResourceAccount", owner)
	b.Set("s3:ResourceAccount", owner)
	if ix.InOrg(owner) {
		p := ix.OrgPath(owner)
		ou := cb.resourceOrgs[p]
		if ou == nil {
			ou = policy.NewContext()
			ou.Set("aws:ResourceOrgID", ix.OrgID)
			if p != "" {
				ou.Set("aws:ResourceOrgPaths", p)
			}
			if cb.resourceOrgs == nil {
				cb.resourceOrgs = map[string]*policy.Context{}
			}
			cb.resourceOrgs[p] = ou
		}
		b.Adopt(ou)
	}
	cb.m[owner] = b
	return b
}

// commonContext holds the keys of every signed request context that
// depend neither on the resource's owner nor on who calls (an anonymous
// caller's own keys, anonymousKeys, come over them).
func commonContext() *policy.Context {
	ctx := policy.NewOpenContext()
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("aws:ViaAWSService", "false")
	ctx.SetAbsent("aws:CalledVia")
	// Direct calls by principals carry no source-resource keys (those are
	// set for AWS service principals acting on behalf of a resource).
	ctx.SetAbsent("aws:SourceAccount")
	ctx.SetAbsent("aws:SourceArn")
	ctx.SetAbsent("aws:SourceOrgID")
	ctx.SetAbsent("aws:SourceOrgPaths")
	ctx.Set("aws:PrincipalIsAWSService", "false")
	ctx.Set("s3:signatureversion", "AWS4-HMAC-SHA256")
	ctx.SetAbsent("aws:PrincipalServiceName")
	return ctx
}

// anonymousKeys returns the keys of an anonymous caller's requests (its
// callerKeys), over those of signed requests (commonContext), made once.
// The context is shared: not to be modified.
func (ix *Index) anonymousKeys() *policy.Context {
	cb := &ix.ctxBases
	cb.anonymousOnce.Do(func() {
		ctx := policy.NewContext()
		for _, k := range []string{"aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:username", "aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge", "aws:TokenIssueTime", "aws:FederatedProvider", "aws:PrincipalServiceName"} {
			ctx.SetAbsent(k)
		}
		// An anonymous caller of Amazon S3 has aws:userid "anonymous" and
		// aws:PrincipalType "Anonymous" (the principal key values table,
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable;
		// the global condition keys page says anonymous requests carry no
		// aws:userid: the S3-specific table is followed, as in the policy
		// engine's anonymousValue). An unsigned request has no signature
		// version.
		ctx.Set("aws:userid", "anonymous")
		ctx.Set("aws:PrincipalType", "Anonymous")
		ctx.SetAbsent("s3:signatureversion")
		cb.anonymous = ctx
	})
	return cb.anonymous
}
