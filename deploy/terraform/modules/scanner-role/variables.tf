variable "role_name" {
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
  default     = "BucketAuditRole"
}

variable "audit_role_path" {
  description = "Path of the audit role (audit_role.path)."
  type        = string
  default     = "/"
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
