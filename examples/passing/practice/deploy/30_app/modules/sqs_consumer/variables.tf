variable "function_name" {
  description = "Name of the Lambda function consuming the queue."
  type        = string
}

variable "role_name" {
  description = "Execution role of the function; receives the queue permissions."
  type        = string
}

variable "queue_name" {
  description = "Name of the consumed queue (used in the policy name)."
  type        = string
}

variable "queue_arn" {
  description = "ARN of the consumed queue."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the queue, or null."
  type        = string
  default     = null
}

variable "batch_size" {
  description = "Maximum records per invocation."
  type        = number
  default     = 10
}

variable "maximum_batching_window_in_seconds" {
  description = "How long to gather records before invoking. The queue's visibility timeout must cover 6x the function timeout plus this window."
  type        = number
  default     = 0
}

variable "maximum_concurrency" {
  description = "Cap on concurrent invocations from this queue (2-1000), or null."
  type        = number
  default     = null
}
