output "role_arn" {
  description = "ARN of the scanning role: the trusted_principal_arn of the audit roles."
  value       = aws_iam_role.scanner.arn
}
