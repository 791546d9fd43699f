package org

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// fakeOrg is an in-memory Organizations API: children by parent, policies by
// target, with optional errors by "Operation:target".
type fakeOrg struct {
	ous      map[string][]types.OrganizationalUnit
	accounts map[string][]types.Account
	attached map[string][]types.PolicySummary // target -> policies (both types)
	docs     map[string]string
	errs     map[string]error

	mu    sync.Mutex
	calls map[string]int
}

func (f *fakeOrg) count(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[op]++
}

func (f *fakeOrg) DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error) {
	f.count("DescribeOrganization")
	return &organizations.DescribeOrganizationOutput{Organization: &types.Organization{Id: aws.String("o-abc"), MasterAccountId: aws.String("111111111111")}}, nil
}

func (f *fakeOrg) ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error) {
	f.count("ListRoots")
	return &organizations.ListRootsOutput{Roots: []types.Root{{Id: aws.String("r-ab12"), Name: aws.String("Root"), PolicyTypes: []types.PolicyTypeSummary{
		{Type: types.PolicyTypeServiceControlPolicy, Status: types.PolicyTypeStatusEnabled},
	}}}}, nil
}

func (f *fakeOrg) ListOrganizationalUnitsForParent(_ context.Context, in *organizations.ListOrganizationalUnitsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	f.count("ListOrganizationalUnitsForParent")
	if err := f.errs["ListOrganizationalUnitsForParent:"+*in.ParentId]; err != nil {
		return nil, err
	}
	return &organizations.ListOrganizationalUnitsForParentOutput{OrganizationalUnits: f.ous[*in.ParentId]}, nil
}

// ListAccountsForParent returns one account per page to exercise pagination.
func (f *fakeOrg) ListAccountsForParent(_ context.Context, in *organizations.ListAccountsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	f.count("ListAccountsForParent")
	if err := f.errs["ListAccountsForParent:"+*in.ParentId]; err != nil {
		return nil, err
	}
	all := f.accounts[*in.ParentId]
	i := 0
	if in.NextToken != nil {
		json.Unmarshal([]byte(*in.NextToken), &i)
	}
	if err := f.errs[fmt.Sprintf("ListAccountsForParent:%s@%d", *in.ParentId, i)]; err != nil {
		return nil, err
	}
	out := &organizations.ListAccountsForParentOutput{}
	if i < len(all) {
		out.Accounts = all[i : i+1]
	}
	if i+1 < len(all) {
		b, _ := json.Marshal(i + 1)
		out.NextToken = aws.String(string(b))
	}
	return out, nil
}

func (f *fakeOrg) ListPoliciesForTarget(_ context.Context, in *organizations.ListPoliciesForTargetInput, _ ...func(*organizations.Options)) (*organizations.ListPoliciesForTargetOutput, error) {
	f.count("ListPoliciesForTarget:" + string(in.Filter))
	if err := f.errs["ListPoliciesForTarget:"+*in.TargetId]; err != nil {
		return nil, err
	}
	out := &organizations.ListPoliciesForTargetOutput{}
	for _, p := range f.attached[*in.TargetId] {
		if p.Type == in.Filter {
			out.Policies = append(out.Policies, p)
		}
	}
	return out, nil
}

func (f *fakeOrg) DescribePolicy(_ context.Context, in *organizations.DescribePolicyInput, _ ...func(*organizations.Options)) (*organizations.DescribePolicyOutput, error) {
	f.count("DescribePolicy")
	if err := f.errs["DescribePolicy:"+*in.PolicyId]; err != nil {
		return nil, err
	}
	return &organizations.DescribePolicyOutput{Policy: &types.Policy{Content: aws.String(f.docs[*in.PolicyId])}}, nil
}

func (f *fakeOrg) ListTagsForResource(_ context.Context, in *organizations.ListTagsForResourceInput, _ ...func(*organizations.Options)) (*organizations.ListTagsForResourceOutput, error) {
	f.count("ListTagsForResource")
	if *in.ResourceId == "222222222222" {
		return &organizations.ListTagsForResourceOutput{Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}, nil
	}
	return &organizations.ListTagsForResourceOutput{}, nil
}

func scp(id string) types.PolicySummary {
	return types.PolicySummary{Id: aws.String(id), Name: aws.String(id + "-name"), Type: types.PolicyTypeServiceControlPolicy}
}

func acct(id string, state types.AccountState) types.Account {
	return types.Account{Id: aws.String(id), Name: aws.String("n" + id), Arn: aws.String("arn:aws-cn:organizations::111111111111:account/o-abc/" + id), State: state}
}

func TestWalk(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "no"}
	f := &fakeOrg{
		ous: map[string][]types.OrganizationalUnit{
			"r-ab12":           {{Id: aws.String("ou-ab12-22222222"), Name: aws.String("Workloads")}, {Id: aws.String("ou-ab12-11111111"), Name: aws.String("Security")}},
			"ou-ab12-22222222": {{Id: aws.String("ou-ab12-33333333"), Name: aws.String("Prod")}},
		},
		accounts: map[string][]types.Account{
			"r-ab12":           {acct("111111111111", types.AccountStateActive)},
			"ou-ab12-33333333": {acct("222222222222", types.AccountStateActive), acct("333333333333", types.AccountStateSuspended), acct("444444444444", types.AccountStateActive)},
		},
		attached: map[string][]types.PolicySummary{
			"r-ab12":           {scp("p-full")},
			"ou-ab12-22222222": {scp("p-full"), scp("p-deny")},
			"ou-ab12-33333333": {scp("p-full")},
			"222222222222":     {scp("p-full"), scp("p-acct")},
		},
		docs: map[string]string{"p-full": `{"Version":"2012-10-17"}`, "p-deny": `{"Statement":[]}`},
		errs: map[string]error{
			"ListAccountsForParent:ou-ab12-11111111": denied,
			"DescribePolicy:p-acct":                  denied,
			"ListPoliciesForTarget:444444444444":     denied,
		},
	}
	got, err := Walk(context.Background(), f, WalkOptions{Concurrency: 3, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	want := &inventory.Organization{
		ID: "o-abc", ManagementAccountID: "111111111111",
		Root: inventory.OU{ID: "r-ab12", Name: "Root", Policies: []string{"p-full"}, Accounts: []string{"111111111111"}, OUs: []inventory.OU{
			{ID: "ou-ab12-11111111", Name: "Security", Errors: inventory.Errors{inventory.KeyAccounts: {Code: "AccessDenied", Message: "no"}}},
			{ID: "ou-ab12-22222222", Name: "Workloads", Policies: []string{"p-deny", "p-full"}, OUs: []inventory.OU{
				{ID: "ou-ab12-33333333", Name: "Prod", Policies: []string{"p-full"}, Accounts: []string{"222222222222", "444444444444"}},
			}},
		}},
		Policies: []inventory.OrgPolicy{
			{ID: "p-acct", Name: "p-acct-name", Type: inventory.ServiceControlPolicy, Errors: inventory.Errors{inventory.KeyDocument: {Code: "AccessDenied", Message: "no"}}},
			{ID: "p-deny", Name: "p-deny-name", Type: inventory.ServiceControlPolicy, Document: inventory.NewPolicyDocument([]byte(`{"Statement":[]}`))},
			{ID: "p-full", Name: "p-full-name", Type: inventory.ServiceControlPolicy, Document: inventory.NewPolicyDocument([]byte(`{"Version":"2012-10-17"}`))},
		},
	}
	if diff := cmp.Diff(want, got.Organization, cmp.Comparer(func(a, b *inventory.PolicyDocument) bool { return a.String() == b.String() })); diff != "" {
		t.Errorf("organization (-want +got):\n%s", diff)
	}
	var ids []string
	for _, m := range got.Members {
		ids = append(ids, m.ID)
	}
	if diff := cmp.Diff([]string{"111111111111", "222222222222", "444444444444"}, ids); diff != "" {
		t.Errorf("members: %s", diff)
	}
	m := got.Members[1]
	if m.OUPath != "Root/Workloads/Prod" || m.Partition() != "aws-cn" || !cmp.Equal(m.Policies, []string{"p-acct", "p-full"}) || m.Tags["env"] != "prod" {
		t.Errorf("member 2222: %+v", m)
	}
	if !got.Members[2].Errors.Has("policies") {
		t.Errorf("member 4444 lost its policies error: %+v", got.Members[2])
	}
	if f.calls["DescribePolicy"] != 3 {
		t.Errorf("DescribePolicy called %d times, want once per policy (3)", f.calls["DescribePolicy"])
	}
	if f.calls["ListPoliciesForTarget:RESOURCE_CONTROL_POLICY"] != 0 {
		t.Errorf("RCPs are not enabled on the root, yet listed %d times", f.calls["ListPoliciesForTarget:RESOURCE_CONTROL_POLICY"])
	}
}

// TestWalkKeepsPartialAccountList: a listing that fails on its second page
// keeps the accounts of the first, and says the list is incomplete.
func TestWalkKeepsPartialAccountList(t *testing.T) {
	f := &fakeOrg{
		accounts: map[string][]types.Account{"r-ab12": {acct("111111111111", types.AccountStateActive), acct("222222222222", types.AccountStateActive)}},
		errs:     map[string]error{"ListAccountsForParent:r-ab12@1": &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "slow down"}},
	}
	got, err := Walk(context.Background(), f, WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	root := got.Organization.Root
	if !cmp.Equal(root.Accounts, []string{"111111111111"}) || root.Errors.Text(inventory.KeyAccounts) != "TooManyRequestsException: slow down" || len(got.Members) != 1 {
		t.Errorf("root %+v, members %+v", root, got.Members)
	}
}

func TestWalkFailsWithoutOrganization(t *testing.T) {
	f := &failingOrg{fakeOrg: &fakeOrg{}}
	if _, err := Walk(context.Background(), f, WalkOptions{}); err == nil || ErrorCode(err) != "AWSOrganizationsNotInUseException" {
		t.Fatalf("got %v", err)
	}
}

type failingOrg struct{ *fakeOrg }

func (f *failingOrg) DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AWSOrganizationsNotInUseException", Message: "not in use"}
}

func TestInScope(t *testing.T) {
	m := Member{ID: "222222222222", OUPath: "Root/Workloads/Prod", Ancestors: []string{"r-ab12", "ou-ab12-22222222", "ou-ab12-33333333"}}
	tests := []struct {
		name                 string
		inOU, exOU, inA, exA []string
		want                 bool
	}{
		{"no scope", nil, nil, nil, nil, true},
		{"include parent OU by id", []string{"ou-ab12-22222222"}, nil, nil, nil, true},
		{"include OU by path", []string{"Root/Workloads"}, nil, nil, nil, true},
		{"path prefix is not a parent", []string{"Root/Work"}, nil, nil, nil, false},
		{"include other account", nil, nil, []string{"333333333333"}, nil, false},
		{"include account", nil, nil, []string{"222222222222"}, nil, true},
		{"exclude wins", []string{"Root/Workloads"}, nil, nil, []string{"222222222222"}, false},
		{"exclude OU", nil, []string{"ou-ab12-33333333"}, nil, nil, false},
	}
	for _, tt := range tests {
		if got := InScope(m, tt.inOU, tt.exOU, tt.inA, tt.exA); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		code string
		text string
	}{
		{&smithy.GenericAPIError{Code: "NoSuchBucketPolicy", Message: "The bucket policy does not exist"}, "NoSuchBucketPolicy", "NoSuchBucketPolicy: The bucket policy does not exist"},
		{&smithy.OperationError{ServiceID: "S3", OperationName: "GetBucketPolicy", Err: &smithy.GenericAPIError{Code: "AccessDenied"}}, "AccessDenied", "AccessDenied"},
		{context.Canceled, CodeCanceled, "Canceled: context canceled"},
		{errors.New("dial tcp: refused"), CodeClient, "ClientError: dial tcp: refused"},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.code)
		}
		if got := FetchErrorOf(tt.err).String(); got != tt.text {
			t.Errorf("FetchErrorOf(%v).String() = %q, want %q", tt.err, got, tt.text)
		}
		// The text form parses back into the same FetchError, and SetError
		// records that error.
		if fe := FetchErrorOf(tt.err); inventory.ParseFetchError(tt.text) != fe || fe.Code != tt.code {
			t.Errorf("FetchErrorOf(%v) = %+v, want what %q parses as", tt.err, fe, tt.text)
		}
		var m inventory.Errors
		SetError(&m, inventory.KeyDocument, tt.err)
		if e, _ := m.Get(inventory.KeyDocument); e != FetchErrorOf(tt.err) || m.Text(inventory.KeyDocument) != tt.text {
			t.Errorf("SetError(%v) = %#v, want %q", tt.err, e, tt.text)
		}
	}
}

// fakeSTS mints sessions that live ttl.
type fakeSTS struct {
	ttl   time.Duration
	now   func() time.Time
	mu    sync.Mutex
	calls []sts.AssumeRoleInput
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, *in)
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("ASIA"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"),
		Expiration: aws.Time(f.now().Add(f.ttl)),
	}}, nil
}

func TestAssumerRefreshesBeforeExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	f := &fakeSTS{ttl: time.Hour, now: clock}
	a := NewAssumer(f, RoleSpec{Name: "Audit", Path: "/sec/", ExternalID: "ext", SessionName: "ba", Duration: time.Hour, RefreshBeforeExpiry: 5 * time.Minute}, clock)
	c := a.Credentials("aws", "222222222222")
	if a.Credentials("aws", "222222222222") != c {
		t.Fatal("credentials cache not shared per account")
	}
	// The cache uses the real clock; expiries are relative to it via the fake STS clock.
	now = time.Now()
	if _, err := c.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 1 {
		t.Fatalf("AssumeRole called %d times for a fresh session, want 1", len(f.calls))
	}
	in := f.calls[0]
	if got := aws.ToString(in.RoleArn); got != "arn:aws:iam::222222222222:role/sec/Audit" {
		t.Errorf("role ARN %q", got)
	}
	if aws.ToString(in.ExternalId) != "ext" || aws.ToString(in.RoleSessionName) != "ba" || aws.ToInt32(in.DurationSeconds) != 3600 {
		t.Errorf("AssumeRole input %+v", in)
	}
	creds, _ := c.Retrieve(context.Background())
	if want := now.Add(55 * time.Minute); creds.Expires.Sub(want).Abs() > time.Second {
		t.Errorf("cached expiry %v, want about %v (5 minutes early)", creds.Expires, want)
	}
	// A short session is renewed a quarter of its life early, not on every call.
	short := &fakeSTS{ttl: 8 * time.Second, now: time.Now}
	sc := NewAssumer(short, RoleSpec{Name: "Audit", Duration: time.Hour, RefreshBeforeExpiry: 5 * time.Minute}, nil).Credentials("aws", "333333333333")
	for range 3 {
		if _, err := sc.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(short.calls) != 1 {
		t.Errorf("short session renewed %d times in a row, want 1", len(short.calls))
	}
}
