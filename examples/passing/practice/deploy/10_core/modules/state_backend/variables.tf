variable "project" {
  description = "Project prefix; the bucket is {project}-tf-state-{environment}-{account_id}."
  type        = string
}

variable "environment" {
  description = "Deployment environment."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the state bucket and the lock table."
  type        = string
}

variable "lock_table_name" {
  description = "DynamoDB table used by the S3 backend for state locking."
  type        = string
  default     = "tt-practice-tf-locks"
}

variable "noncurrent_version_retention_days" {
  description = "How long superseded state versions are kept for rollback."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags for the backend resources."
  type        = map(string)
  default     = {}
}
