variable "role_name" {
  description = "Name of the audit role (audit_role.name in the bucketaudit configuration)."
  type        = string
  default     = "BucketAuditRole"
}

variable "role_path" {
  description = "Path of the audit role (audit_role.path)."
  type        = string
  default     = "/"
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
