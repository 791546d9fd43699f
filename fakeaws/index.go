package fakeaws

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// index is the served document arranged for lookups. It is built once and
// only read afterwards.
type index struct {
	org                   *inventory.Organization
	managementAccount     string
	managementCredentials *inventory.Credentials

	accounts     map[string]*accountState
	accountOrder []*accountState // document order
	buckets      map[string]*bucketState
	ous          map[string]*ouState // the root and every OU, by ID
	parentOf     map[string]*ouState // account or OU ID → its parent
	policies     map[string]*inventory.OrgPolicy
	// fullAWSAccess is true when a root, OU or account that lists no
	// policies has FullAWSAccess attached (inventory.DefaultsFullAWSAccess).
	fullAWSAccess bool
	keys          map[string]*keyState // by ARN
	// partition is the partition of the document's regions ("aws",
	// "aws-us-gov", "aws-cn"): an organisation lives in one.
	partition string
}

type accountState struct {
	acct     inventory.Account    // with its own defaults filled in
	buckets  []*bucketState       // sorted by name, as ListBuckets lists them
	keys     []*keyState          // document order, then implicit aws/s3 keys
	aliases  map[string]*keyState // "region alias/name" → key
	endpoint []inventory.VPCEndpoint
}

type bucketState struct {
	b      *inventory.Bucket
	owner  *accountState
	region string // served region ("" in the fixture means us-east-1)

	// status is GetBucketPolicyStatus's answer, worked out on the first
	// call (the policy is parsed once, not on every call: the document
	// is only read once served).
	status struct {
		once   sync.Once
		public bool
		err    error
	}
}

// policyIsPublic is policyIsPublic of the bucket, computed once.
func (b *bucketState) policyIsPublic() (bool, error) {
	b.status.once.Do(func() { b.status.public, b.status.err = policyIsPublic(b.b) })
	return b.status.public, b.status.err
}

type keyState struct {
	key    inventory.KMSKey // with defaults
	owner  *accountState
	region string
	id     string
}

type ouState struct {
	ou     *inventory.OU
	isRoot bool
}

func buildIndex(doc *inventory.Document) (*index, error) {
	x := &index{
		org:      doc.Organization,
		accounts: map[string]*accountState{},
		buckets:  map[string]*bucketState{},
		ous:      map[string]*ouState{},
		parentOf: map[string]*ouState{},
		policies: map[string]*inventory.OrgPolicy{},
		keys:     map[string]*keyState{},
	}
	if len(doc.Accounts) == 0 {
		return nil, errors.New("the document has no accounts")
	}
	for i := range doc.Accounts {
		a := &doc.Accounts[i]
		if _, dup := x.accounts[a.ID]; dup {
			return nil, fmt.Errorf("duplicate account %s", a.ID)
		}
		st := &accountState{acct: a.WithDefaults(), aliases: map[string]*keyState{}}
		x.accounts[a.ID] = st
		x.accountOrder = append(x.accountOrder, st)
		for j := range a.Buckets {
			b := &a.Buckets[j]
			if _, dup := x.buckets[b.Name]; dup {
				return nil, fmt.Errorf("duplicate bucket %s", b.Name)
			}
			region := b.Region
			if region == "" {
				region = defaultRegion
			}
			bs := &bucketState{b: b, owner: st, region: region}
			x.buckets[b.Name] = bs
			st.buckets = append(st.buckets, bs)
		}
		sort.Slice(st.buckets, func(i, j int) bool { return st.buckets[i].b.Name < st.buckets[j].b.Name })
		keys := append(append([]inventory.KMSKey(nil), a.KMSKeys...), inventory.ImplicitKMSKeys(a)...)
		for _, k := range keys {
			ks := &keyState{key: k.WithDefaults(a.ID), owner: st, region: inventory.KeyRegion(k.ARN)}
			ks.id = k.ARN[strings.LastIndex(k.ARN, "/")+1:]
			if _, dup := x.keys[k.ARN]; dup {
				return nil, fmt.Errorf("duplicate KMS key %s", k.ARN)
			}
			x.keys[k.ARN] = ks
			st.keys = append(st.keys, ks)
			for _, al := range k.Aliases {
				st.aliases[ks.region+" "+al] = ks
			}
		}
		for _, e := range a.VPCEndpoints {
			st.endpoint = append(st.endpoint, e.WithDefaults())
		}
	}
	part, err := docPartition(x)
	if err != nil {
		return nil, err
	}
	x.partition = part
	if o := doc.Organization; o != nil {
		x.managementAccount = o.ManagementAccountID
		x.managementCredentials = o.ManagementCredentials
		for i := range o.Policies {
			x.policies[o.Policies[i].ID] = &o.Policies[i]
		}
		if x.fullAWSAccess = inventory.DefaultsFullAWSAccess(doc); x.fullAWSAccess && x.policies[inventory.FullAWSAccessID] == nil {
			p := inventory.FullAWSAccessPolicy()
			x.policies[p.ID] = &p
		}
		var walk func(ou *inventory.OU, root bool)
		walk = func(ou *inventory.OU, root bool) {
			st := &ouState{ou: ou, isRoot: root}
			x.ous[ou.ID] = st
			for _, id := range ou.Accounts {
				x.parentOf[id] = st
			}
			for i := range ou.OUs {
				x.parentOf[ou.OUs[i].ID] = st
				walk(&ou.OUs[i], false)
			}
		}
		walk(&o.Root, true)
	} else {
		// Without an organisation, the base credentials belong to the first account.
		x.managementAccount = doc.Accounts[0].ID
	}
	if _, ok := x.accounts[x.managementAccount]; !ok {
		return nil, fmt.Errorf("management account %s is not in the document", x.managementAccount)
	}
	return x, nil
}

// docPartition returns the partition of the regions of the index's
// buckets, KMS keys and VPC endpoints ("aws" when it has none), or an error
// when they span partitions: an account, and an organisation, is scoped to
// one partition (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
func docPartition(x *index) (string, error) {
	part, from := "", ""
	see := func(p, what string) error {
		switch {
		case part == "":
			part, from = p, what
		case p != part:
			return fmt.Errorf("%s is in partition %s but %s is in %s: an organisation lives in one partition", what, p, from, part)
		}
		return nil
	}
	for _, a := range x.accountOrder {
		for _, b := range a.buckets {
			if err := see(awsid.PartitionOf(b.region), "bucket "+b.b.Name+" (region "+b.region+")"); err != nil {
				return "", err
			}
		}
		for _, k := range a.keys {
			if err := see(awsid.PartitionOfARN(k.key.ARN), "KMS key "+k.key.ARN); err != nil {
				return "", err
			}
		}
		for _, e := range a.endpoint {
			if err := see(awsid.PartitionOf(e.Region), "VPC endpoint "+e.ID+" (region "+e.Region+")"); err != nil {
				return "", err
			}
		}
	}
	if part == "" {
		part = awsid.AWS
	}
	return part, nil
}

// orgAccounts lists the accounts that belong to the organisation, in
// document order.
func (x *index) orgAccounts() []*accountState {
	var out []*accountState
	for _, a := range x.accountOrder {
		if _, placed := x.parentOf[a.acct.ID]; placed {
			out = append(out, a)
		}
	}
	return out
}

// bucket returns the effective configuration of a bucket.
func (b *bucketState) effective() inventory.Bucket {
	return b.b.WithDefaults(b.owner.acct.CanonicalID)
}
