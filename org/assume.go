package org

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
)

// RoleSpec describes the audit role assumed in every account.
type RoleSpec struct {
	Name string
	// Path is the role path ("/" or "/security/").
	Path        string
	ExternalID  string
	SessionName string
	// Duration is the session duration asked of AssumeRole.
	Duration time.Duration
	// RefreshBeforeExpiry renews credentials this long before they expire
	// (capped at a quarter of the session's lifetime, so short sessions are
	// still reused).
	RefreshBeforeExpiry time.Duration
}

// ARN returns the role's ARN in accountID of partition ("aws", "aws-cn", ...).
func (r RoleSpec) ARN(partition, accountID string) string {
	return awsid.Role(partition, accountID, r.Path, r.Name)
}

// PartitionOf returns the partition of an ARN ("arn:aws-cn:..." → "aws-cn"),
// or "aws" when arn is not an ARN.
func PartitionOf(arn string) string {
	if p := awsid.PartitionOfARN(arn); p != "" {
		return p
	}
	return awsid.AWS
}

// Assumer assumes the audit role in accounts and caches each account's
// credentials, renewing them before they expire, so a scan that outlives a
// session refreshes instead of failing with ExpiredToken.
type Assumer struct {
	client stscreds.AssumeRoleAPIClient
	role   RoleSpec
	now    func() time.Time

	mu     sync.Mutex
	caches map[string]*aws.CredentialsCache
}

// NewAssumer returns an Assumer that calls AssumeRole through client (an STS
// client holding the scanning credentials). now is the clock; nil means
// time.Now.
func NewAssumer(client stscreds.AssumeRoleAPIClient, role RoleSpec, now func() time.Time) *Assumer {
	if now == nil {
		now = time.Now
	}
	return &Assumer{client: client, role: role, now: now, caches: map[string]*aws.CredentialsCache{}}
}

// Role returns the role specification.
func (a *Assumer) Role() RoleSpec { return a.role }

// Credentials returns the cached credentials provider of the audit role in
// accountID. The same cache is returned for every call with the same account.
func (a *Assumer) Credentials(partition, accountID string) *aws.CredentialsCache {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := partition + ":" + accountID
	if c, ok := a.caches[key]; ok {
		return c
	}
	arn := a.role.ARN(partition, accountID)
	p := stscreds.NewAssumeRoleProvider(a.client, arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = a.role.SessionName
		o.Duration = a.role.Duration
		if a.role.ExternalID != "" {
			o.ExternalID = aws.String(a.role.ExternalID)
		}
	})
	c := aws.NewCredentialsCache(EarlyExpiry(p, a.role.RefreshBeforeExpiry, a.now))
	a.caches[key] = c
	return c
}

// AssumeRoleCredentials returns cached credentials of roleARN (used for
// organization.management_role_arn), with the session name, duration and
// refresh rule of role and the given external ID (none when empty).
func AssumeRoleCredentials(client stscreds.AssumeRoleAPIClient, roleARN, externalID string, role RoleSpec, now func() time.Time) *aws.CredentialsCache {
	if now == nil {
		now = time.Now
	}
	p := stscreds.NewAssumeRoleProvider(client, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = role.SessionName
		o.Duration = role.Duration
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	})
	return aws.NewCredentialsCache(EarlyExpiry(p, role.RefreshBeforeExpiry, now))
}

// EarlyExpiry wraps a provider so that credentials report themselves
// expired window before their real expiry, capped at a quarter of their
// remaining lifetime; an aws.CredentialsCache around it then renews them in
// time. (The cache's own ExpiryWindow is fixed, which would make every call
// renew sessions shorter than the window.)
func EarlyExpiry(p aws.CredentialsProvider, window time.Duration, now func() time.Time) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		c, err := p.Retrieve(ctx)
		if err != nil || !c.CanExpire {
			return c, err
		}
		w := window
		if life := c.Expires.Sub(now()); life/4 < w {
			w = life / 4
		}
		if w > 0 {
			c.Expires = c.Expires.Add(-w)
		}
		return c, nil
	})
}
