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
