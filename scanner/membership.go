package scanner

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/org"
)

// OrganizationDescriber is the part of the Organizations client that
// CollectMembership uses, with an account's audit role.
type OrganizationDescriber interface {
	DescribeOrganization(ctx context.Context, in *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
}

// CodeOrganizationNotRead is the code of the error recorded under
// inventory.FieldOrganization for an account that belongs to an
// organisation whose SCPs and RCPs a scan of an accounts: list does not read.
const CodeOrganizationNotRead = "OrganizationNotRead"

// CollectMembership asks an account which organisation it belongs to
// (organizations:DescribeOrganization, which member accounts may call),
// for scans that do not walk the organisation (an accounts: list). An
// account in no organisation answers AWSOrganizationsNotInUseException: it
// is standalone, and no SCP or RCP applies to it. Any other failure is an
// error, never "standalone".
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html
func CollectMembership(ctx context.Context, api OrganizationDescriber, accountID string) (*inventory.Membership, error) {
	out, err := api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	switch {
	case org.HasCode(err, org.CodeOrganizationsNotInUse):
		return &inventory.Membership{Standalone: true}, nil
	case err != nil:
		return nil, fmt.Errorf("describe the organization of account %s: %w", accountID, err)
	case out.Organization == nil || aws.ToString(out.Organization.Id) == "":
		return nil, fmt.Errorf("describe the organization of account %s: empty answer", accountID)
	}
	return &inventory.Membership{OrganizationID: aws.ToString(out.Organization.Id), ManagementAccountID: aws.ToString(out.Organization.MasterAccountId)}, nil
}

// RecordMembership sets what account a says of its organisation, and the
// FieldOrganization error when its SCPs and RCPs stay unknown: the question
// failed, or the account belongs to an organisation that was not walked
// (its management account excepted: SCPs and RCPs do not govern it).
func RecordMembership(a *inventory.Account, m *inventory.Membership, err error) {
	if err != nil {
		org.SetError(&a.Errors, inventory.FieldOrganization, err)
		return
	}
	a.Membership = m
	if m.Standalone || m.ManagementAccountID == a.ID {
		return
	}
	a.Errors.Set(inventory.FieldOrganization, inventory.FetchError{Code: CodeOrganizationNotRead,
		Message: "account " + a.ID + " belongs to organization " + m.OrganizationID + ", whose SCPs and RCPs a scan of an accounts: list does not read"})
}
