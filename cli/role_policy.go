package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/config"
	"github.com/bucketaudit/bucketaudit/deploy"
	"github.com/bucketaudit/bucketaudit/internal/awsid"
	"github.com/bucketaudit/bucketaudit/org"
)

var (
	principalARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$|^\d{12}$`)
	orgIDPattern        = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// newRolePolicyCmd is `bucketaudit role-policy [--format json|cloudformation|terraform]`.
func newRolePolicyCmd(e *env) *cobra.Command {
	var (
		format, only, cfgPath   string
		principal, orgID, extID string
	)
	cmd := &cobra.Command{
		Use:   "role-policy [--format json|cloudformation|terraform]",
		Short: "Print the audit role's IAM policy, generated from the scanner's read-only allowlist",
		Long: `role-policy prints what the audit role needs, generated from the scanner's allowlist
of read operations (each mapped to its IAM action): nothing else, no object data.

  --format json            the permissions policy, the trust policy (the scanning principal,
                           sts:ExternalId and aws:PrincipalOrgID) and the scanning principal's
                           own policy, as one JSON object; --policy prints one document alone
                           (e.g. for "bucketaudit lint")
  --format cloudformation  the StackSet template (deploy/cloudformation/audit-role-stackset.yaml)
  --format terraform       the audit-role module (deploy/terraform/modules/audit-role/main.tf)

The role name, path and external ID come from --config (audit_role) when given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files := deploy.Files()
			out := cmd.OutOrStdout()
			switch format {
			case "cloudformation":
				_, err := out.Write(files["cloudformation/audit-role-stackset.yaml"])
				return err
			case "terraform":
				_, err := out.Write(files["terraform/modules/audit-role/main.tf"])
				return err
			case "json":
			default:
				return usageErr("--format: %q is not one of json, cloudformation, terraform", format)
			}
			cfg := config.Default()
			if cfgPath != "" {
				var err error
				if cfg, err = config.Load(cfgPath, config.Overrides{}, os.LookupEnv); err != nil {
					return fmt.Errorf("%w: %v", ErrUsage, err)
				}
			}
			// Every missing or malformed flag at once.
			var problems []string
			if extID == "" {
				extID = cfg.AuditRole.ExternalID
			} else {
				msgs, err := externalIDProblems(cfg, extID)
				if err != nil {
					return err
				}
				problems = append(problems, msgs...)
			}
			role := org.RoleSpec{Name: cfg.AuditRole.Name, Path: cfg.AuditRole.Path}
			partition := awsid.PartitionOfARN(principal)
			if partition == "" { // an account ID (or none): the home region's partition
				partition = awsid.PartitionOf(cfg.Region)
			}
			docs := map[string]deploy.Document{
				"permissions": deploy.PermissionsPolicy(),
				"scanner":     deploy.ScannerPolicy(partition, role.Path, role.Name, orgID),
			}
			needTrust := only == "" || only == "trust"
			if needTrust || only == "scanner" {
				switch {
				case orgID == "":
					problems = append(problems, "--organization-id is missing (the organization ID, o-…)")
				case !orgIDPattern.MatchString(orgID):
					problems = append(problems, fmt.Sprintf("--organization-id: %q is not an organization ID (o-…)", orgID))
				}
			}
			if needTrust {
				switch {
				case principal == "":
					problems = append(problems, "--trusted-principal is missing (the ARN of the role or user that runs scan)")
				case !principalARNPattern.MatchString(principal):
					problems = append(problems, fmt.Sprintf("--trusted-principal: %q is not the ARN of a role or user (the principal that runs scan)", principal))
				}
				if extID == "" {
					problems = append(problems, "an external ID is needed for the trust policy: --external-id, or audit_role.external_id with --config")
				}
			}
			if len(problems) > 0 {
				return usageErr("role-policy needs:\n  %s", strings.Join(problems, "\n  "))
			}
			if needTrust {
				docs["trust"] = deploy.TrustPolicy(principal, extID, orgID)
			}
			if only != "" {
				d, ok := docs[only]
				if !ok {
					return usageErr("--policy: %q is not one of permissions, trust, scanner", only)
				}
				_, err := out.Write(d.JSON())
				return err
			}
			b, err := json.MarshalIndent(map[string]any{
				"role_name":          role.Name,
				"role_path":          role.Path,
				"permissions_policy": docs["permissions"],
				"trust_policy":       docs["trust"],
				"scanner_policy":     docs["scanner"],
			}, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(out, "%s\n", b)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "json", "json, cloudformation or terraform")
	f.StringVar(&only, "policy", "", "with --format json: print only this policy document (permissions, trust or scanner)")
	f.StringVar(&cfgPath, "config", "", "scan configuration: role name, path and external ID from audit_role")
	f.StringVar(&principal, "trusted-principal", "", "ARN of the principal that runs scan (trust policy)")
	f.StringVar(&orgID, "organization-id", "", "organization ID (o-…) for aws:PrincipalOrgID and aws:ResourceOrgID")
	f.StringVar(&extID, "external-id", "", "external ID for the trust policy (default: audit_role.external_id of --config)")
	return cmd
}

// externalIDProblems checks --external-id with the validator scan applies
// to audit_role.external_id (config.Config.Validate), which never echoes
// the value (it is a shared secret), and returns what is wrong with it.
func externalIDProblems(cfg *config.Config, extID string) ([]string, error) {
	c := *cfg
	c.AuditRole.ExternalID = extID
	err := c.Validate()
	var ce *config.Error
	if err == nil || !errors.As(err, &ce) {
		return nil, err
	}
	var msgs []string
	for _, p := range ce.Problems {
		if p.Path != "audit_role.external_id" {
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		msgs = append(msgs, "--external-id: "+p.Msg)
	}
	return msgs, nil
}
