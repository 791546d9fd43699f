package deploy

// cloudFormation is the audit role's template, deployed to the member
// accounts by a service-managed StackSet (and as a plain stack in the
// management account, which service-managed StackSets skip).
const cloudFormation = `# {{header}}
#
# bucketaudit audit role: the read-only role "bucketaudit scan" assumes in every account.
# Deploy it to the organisation (or chosen OUs) with a service-managed StackSet, and as a
# plain stack in the management account (service-managed StackSets skip it). See deploy/README.md.
AWSTemplateFormatVersion: "2010-09-09"
Description: bucketaudit read-only audit role (reads S3 access configuration; no object data)

Parameters:
  RoleName:
    Type: String
    Default: ` + DefaultRoleName + `
    AllowedPattern: "[\\w+=,.@-]{1,64}"
    Description: Name of the audit role (audit_role.name in the bucketaudit configuration)
  RolePath:
    Type: String
    Default: ` + DefaultRolePath + `
    AllowedPattern: "/|/[\\x21-\\x7E]*/"
    Description: Path of the audit role (audit_role.path)
  ExternalId:
    Type: String
    NoEcho: true
    MinLength: 2
    MaxLength: 1224
    AllowedPattern: "[\\w+=,.@:/-]*"
    Description: External ID the scanner must present (audit_role.external_id)
  TrustedPrincipalArn:
    Type: String
    AllowedPattern: "arn:aws[a-z-]*:iam::\\d{12}:(role|user)/.+"
    Description: ARN of the principal that runs "bucketaudit scan" (see the scanner-role Terraform module)
  OrganizationId:
    Type: String
    AllowedPattern: "o-[a-z0-9]{10,32}"
    Description: ID of the organisation the scanning principal belongs to (aws:PrincipalOrgID)
  MaxSessionDuration:
    Type: Number
    Default: 3600
    MinValue: 3600
    MaxValue: 43200
    Description: Longest session in seconds; at least audit_role.duration

Resources:
  AuditRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Ref RoleName
      Path: !Ref RolePath
      Description: bucketaudit read-only audit role
      MaxSessionDuration: !Ref MaxSessionDuration
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: BucketAuditScanner
            Effect: Allow
            Principal:
              AWS: !Ref TrustedPrincipalArn
            Action: sts:AssumeRole
            Condition:
              StringEquals:
                sts:ExternalId: !Ref ExternalId
                aws:PrincipalOrgID: !Ref OrganizationId
      Policies:
        - PolicyName: BucketAuditReadOnly
          PolicyDocument:
{{indentedPolicy 12}}

Outputs:
  RoleArn:
    Description: ARN of the audit role
    Value: !GetAtt AuditRole.Arn
`

const auditRoleMain = `# {{header}}
#
# The read-only audit role "bucketaudit scan" assumes in an account. Apply it in every
# account (one provider per account), or use the CloudFormation StackSet for a whole
# organisation. See deploy/README.md.
terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

resource "aws_iam_role" "audit" {
  name                 = var.role_name
  path                 = var.role_path
  description          = "bucketaudit read-only audit role"
  max_session_duration = var.max_session_duration
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "BucketAuditScanner"
      Effect    = "Allow"
      Principal = { AWS = var.trusted_principal_arn }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = {
          "sts:ExternalId"     = var.external_id
          "aws:PrincipalOrgID" = var.organization_id
        }
      }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "read_only" {
  name   = "BucketAuditReadOnly"
  role   = aws_iam_role.audit.id
  policy = <<-EOT
{{indentedPolicy 4}}
  EOT
}
`

const auditRoleVariables = `variable "role_name" {
  description = "Name of the audit role (audit_role.name in the bucketaudit configuration)."
  type        = string
  default     = "` + DefaultRoleName + `"
}

variable "role_path" {
  description = "Path of the audit role (audit_role.path)."
  type        = string
  default     = "` + DefaultRolePath + `"
}

variable "external_id" {
  description = "External ID the scanner must present (audit_role.external_id)."
  type        = string
  sensitive   = true
}

variable "trusted_principal_arn" {
  description = "ARN of the principal that runs bucketaudit scan (output role_arn of the scanner-role module)."
  type        = string
}

variable "organization_id" {
  description = "ID of the organisation the scanning principal belongs to (aws:PrincipalOrgID)."
  type        = string
}

variable "max_session_duration" {
  description = "Longest session in seconds; at least audit_role.duration."
  type        = number
  default     = 3600
}

variable "tags" {
  description = "Tags of the role."
  type        = map(string)
  default     = {}
}
`

const auditRoleOutputs = `output "role_arn" {
  description = "ARN of the audit role."
  value       = aws_iam_role.audit.arn
}
`

const scannerRoleMain = `# {{header}}
#
# The role that runs "bucketaudit scan", in the management account (or a delegated
# administrator account for Organizations): it reads Organizations and assumes the audit
# role in the organisation's accounts. See deploy/README.md.
terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  # The issuer of the cluster's OIDC provider (its ARN after "oidc-provider/"):
  # the prefix of its claim keys.
  oidc_issuer = var.eks_oidc_provider_arn == "" ? "" : element(split("oidc-provider/", var.eks_oidc_provider_arn), 1)
}

resource "aws_iam_role" "scanner" {
  name        = var.role_name
  path        = var.role_path
  description = "Runs bucketaudit scan: reads Organizations and assumes the bucketaudit audit roles"
  # Whoever runs the scan: people and CI (trusted_principal_arns), the pods of one
  # Kubernetes service account (IRSA: the subject pinned, or any workload of the
  # cluster could assume it) and AWS Batch jobs of this account.
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      length(var.trusted_principal_arns) == 0 ? [] : [{
        Sid       = "People"
        Effect    = "Allow"
        Principal = { AWS = var.trusted_principal_arns }
        Action    = "sts:AssumeRole"
      }],
      var.eks_oidc_provider_arn == "" ? [] : [{
        Sid       = "KubernetesServiceAccount"
        Effect    = "Allow"
        Principal = { Federated = var.eks_oidc_provider_arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "${local.oidc_issuer}:sub" = "system:serviceaccount:${var.kubernetes_service_account}"
            "${local.oidc_issuer}:aud" = "sts.amazonaws.com"
          }
        }
      }],
      var.batch_job_role ? [{
        Sid       = "AWSBatchJobs"
        Effect    = "Allow"
        Principal = { Service = "ecs-tasks.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        }
      }] : [],
    )
  })
  tags = var.tags
  lifecycle {
    precondition {
      condition     = length(var.trusted_principal_arns) > 0 || var.eks_oidc_provider_arn != "" || var.batch_job_role
      error_message = "The scanning role trusts nobody: set trusted_principal_arns, eks_oidc_provider_arn or batch_job_role."
    }
  }
}

resource "aws_iam_role_policy" "scanner" {
  name = "BucketAuditScanner"
  role = aws_iam_role.scanner.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadOrganization"
        Effect   = "Allow"
        Action   = {{hclList 8 orgActions}}
        Resource = "*"
      },
      {
        Sid      = "AssumeAuditRole"
        Effect   = "Allow"
        Action   = "sts:AssumeRole"
        Resource = "arn:${data.aws_partition.current.partition}:iam::*:role${var.audit_role_path}${var.audit_role_name}"
        Condition = {
          StringEquals = { "aws:ResourceOrgID" = var.organization_id }
        }
      },
      {
        Sid      = "WhoAmI"
        Effect   = "Allow"
        Action   = {{hclList 8 whoAmIActions}}
        Resource = "*"
      },
    ]
  })
}
`

const scannerRoleVariables = `variable "role_name" {
  description = "Name of the scanning role."
  type        = string
  default     = "BucketAuditScanner"
}

variable "role_path" {
  description = "Path of the scanning role."
  type        = string
  default     = "/"
}

variable "trusted_principal_arns" {
  description = "Principals allowed to assume the scanning role (people's SSO roles, a CI role, ...)."
  type        = list(string)
  default     = []
}

variable "eks_oidc_provider_arn" {
  description = "IAM OIDC provider of the EKS cluster whose pods run the scan (IRSA; deploy/kubernetes). Empty: none."
  type        = string
  default     = ""
}

variable "kubernetes_service_account" {
  description = "NAMESPACE:NAME of the Kubernetes service account the scan pods run as (the only subject of the OIDC provider trusted)."
  type        = string
  default     = "bucketaudit:bucketaudit"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$", var.kubernetes_service_account))
    error_message = "kubernetes_service_account must be NAMESPACE:NAME."
  }
}

variable "batch_job_role" {
  description = "Whether AWS Batch jobs (ECS tasks) of this account may assume the role (deploy/aws-batch: the job role)."
  type        = bool
  default     = false
}

variable "audit_role_name" {
  description = "Name of the audit role in the member accounts (audit_role.name)."
  type        = string
  default     = "` + DefaultRoleName + `"
}

variable "audit_role_path" {
  description = "Path of the audit role (audit_role.path)."
  type        = string
  default     = "` + DefaultRolePath + `"
}

variable "organization_id" {
  description = "ID of the organisation (aws:ResourceOrgID of the audit roles)."
  type        = string
}

variable "tags" {
  description = "Tags of the role."
  type        = map(string)
  default     = {}
}
`

const scannerRoleOutputs = `output "role_arn" {
  description = "ARN of the scanning role: the trusted_principal_arn of the audit roles."
  value       = aws_iam_role.scanner.arn
}
`
