output "kms_key_arn" {
  description = "ARN of the platform KMS key; used by 20_infra for queues and topics."
  value       = module.kms.key_arn
}

output "kms_key_id" {
  description = "ID of the platform KMS key."
  value       = module.kms.key_id
}

output "kms_alias_name" {
  description = "Alias of the platform KMS key."
  value       = module.kms.alias_name
}

output "state_bucket_name" {
  description = "Terraform state bucket of this environment."
  value       = module.state_backend.state_bucket_name
}

output "lock_table_name" {
  description = "DynamoDB table used for state locking."
  value       = module.state_backend.lock_table_name
}
