package scanner

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// IAMAPI is the part of the IAM client the IAM collector uses.
type IAMAPI interface {
	GetAccountAuthorizationDetails(ctx context.Context, in *iam.GetAccountAuthorizationDetailsInput, optFns ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
}

// CollectIAM reads an account's roles, users, groups and managed policies
// (GetAccountAuthorizationDetails, every page), with the roles' and users'
// unique IDs (RoleId, UserId: their aws:userid). IAM returns policy documents
// URL-encoded; they are decoded here. A document that does not decode is an
// error: nothing is half-read.
func CollectIAM(ctx context.Context, api IAMAPI) (*inventory.IAM, error) {
	out := &inventory.IAM{}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(api, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []iamtypes.EntityType{iamtypes.EntityTypeRole, iamtypes.EntityTypeUser, iamtypes.EntityTypeGroup,
			iamtypes.EntityTypeLocalManagedPolicy, iamtypes.EntityTypeAWSManagedPolicy},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("get account authorization details: %w", err)
		}
		for _, r := range page.RoleDetailList {
			role := inventory.IAMRole{ARN: aws.ToString(r.Arn), ID: keptID(r.RoleId, "AROA"), AttachedPolicies: attachedARNs(r.AttachedManagedPolicies), Tags: iamTags(r.Tags)}
			if r.AssumeRolePolicyDocument != nil {
				if role.TrustPolicy, err = decodeDocument(*r.AssumeRolePolicyDocument); err != nil {
					return nil, fmt.Errorf("trust policy of role %q: %w", role.ARN, err)
				}
			}
			if role.InlinePolicies, err = inlinePolicies(r.RolePolicyList); err != nil {
				return nil, fmt.Errorf("inline policy of role %q: %w", role.ARN, err)
			}
			if r.PermissionsBoundary != nil {
				role.PermissionsBoundary = aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn)
			}
			out.Roles = append(out.Roles, role)
		}
		for _, u := range page.UserDetailList {
			user := inventory.IAMUser{ARN: aws.ToString(u.Arn), ID: keptID(u.UserId, "AIDA"), AttachedPolicies: attachedARNs(u.AttachedManagedPolicies), Groups: u.GroupList, Tags: iamTags(u.Tags)}
			if user.InlinePolicies, err = inlinePolicies(u.UserPolicyList); err != nil {
				return nil, fmt.Errorf("inline policy of user %q: %w", user.ARN, err)
			}
			if u.PermissionsBoundary != nil {
				user.PermissionsBoundary = aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn)
			}
			out.Users = append(out.Users, user)
		}
		for _, g := range page.GroupDetailList {
			group := inventory.IAMGroup{ARN: aws.ToString(g.Arn), AttachedPolicies: attachedARNs(g.AttachedManagedPolicies)}
			if group.InlinePolicies, err = inlinePolicies(g.GroupPolicyList); err != nil {
				return nil, fmt.Errorf("inline policy of group %q: %w", group.ARN, err)
			}
			out.Groups = append(out.Groups, group)
		}
		for _, mp := range page.Policies {
			pol := inventory.IAMManagedPolicy{ARN: aws.ToString(mp.Arn), Name: aws.ToString(mp.PolicyName)}
			for _, v := range mp.PolicyVersionList {
				if v.IsDefaultVersion && v.Document != nil {
					if pol.Document, err = decodeDocument(*v.Document); err != nil {
						return nil, fmt.Errorf("managed policy %q: %w", pol.ARN, err)
					}
				}
			}
			if pol.Document == nil {
				return nil, fmt.Errorf("managed policy %q: the answer holds no default version", pol.ARN)
			}
			out.Policies = append(out.Policies, pol)
		}
	}
	return out, nil
}

// keptID is a unique ID as the snapshot keeps it: "" when it does not look
// like one of its kind (the snapshot would not validate; its aws:userid
// stays unknown rather than the scan failing).
func keptID(id *string, prefix string) string {
	if s := aws.ToString(id); inventory.IsUniqueID(s, prefix) {
		return s
	}
	return ""
}

// decodeDocument URL-decodes a policy document as IAM returns it (RFC 3986
// percent-encoding: a "+" is a plus sign, not a space).
func decodeDocument(s string) (*inventory.PolicyDocument, error) {
	text, err := url.PathUnescape(s)
	if err != nil {
		return nil, fmt.Errorf("URL-decode policy document: %w", err)
	}
	return inventory.NewPolicyDocument([]byte(text)), nil
}

func inlinePolicies(list []iamtypes.PolicyDetail) (map[string]*inventory.PolicyDocument, error) {
	if len(list) == 0 {
		return nil, nil
	}
	m := make(map[string]*inventory.PolicyDocument, len(list))
	for _, p := range list {
		doc, err := decodeDocument(aws.ToString(p.PolicyDocument))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", aws.ToString(p.PolicyName), err)
		}
		m[aws.ToString(p.PolicyName)] = doc
	}
	return m, nil
}

func attachedARNs(list []iamtypes.AttachedPolicy) []string {
	var out []string
	for _, a := range list {
		out = append(out, aws.ToString(a.PolicyArn))
	}
	return out
}

func iamTags(tags []iamtypes.Tag) map[string]string {
	return tagMap(tags, func(t iamtypes.Tag) (*string, *string) { return t.Key, t.Value })
}

// EC2API is the part of the EC2 client the VPC endpoint collector uses.
type EC2API interface {
	DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
}

// CollectVPCEndpoints reads the S3 VPC endpoints of one region with their policies.
func CollectVPCEndpoints(ctx context.Context, api EC2API, region string) ([]inventory.VPCEndpoint, error) {
	var out []inventory.VPCEndpoint
	p := ec2.NewDescribeVpcEndpointsPaginator(api, &ec2.DescribeVpcEndpointsInput{
		Filters: []ec2types.Filter{{Name: aws.String("service-name"), Values: []string{"com.amazonaws." + region + ".s3"}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe VPC endpoints in %s: %w", region, err)
		}
		for _, e := range page.VpcEndpoints {
			ep := inventory.VPCEndpoint{
				ID: aws.ToString(e.VpcEndpointId), VPCID: aws.ToString(e.VpcId), Region: region,
				Service: aws.ToString(e.ServiceName), Type: string(e.VpcEndpointType),
			}
			if e.PolicyDocument != nil {
				// EC2 returns the document as plain JSON text.
				ep.Policy = inventory.NewPolicyDocument([]byte(*e.PolicyDocument))
			}
			out = append(out, ep)
		}
	}
	return out, nil
}
