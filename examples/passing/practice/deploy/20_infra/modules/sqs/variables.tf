variable "project" {
  description = "Project prefix."
  type        = string
}

variable "environment" {
  description = "Deployment environment."
  type        = string
}

variable "queue_name" {
  description = "Short queue name; creates {project}-{environment}-{queue_name}-queue and -dlq."
  type        = string
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout of the main queue. Must be at least 6x the consuming Lambda's timeout plus its batching window."
  type        = number
  default     = 360
}

variable "message_retention_seconds" {
  description = "Retention of the main queue (4 days). Must not exceed the DLQ's retention."
  type        = number
  default     = 345600
}

variable "receive_wait_time_seconds" {
  description = "Long polling wait time."
  type        = number
  default     = 20
}

variable "dlq_message_retention_seconds" {
  description = "Retention of the DLQ: 14 days, the SQS maximum, so failed messages can be inspected and redriven."
  type        = number
  default     = 1209600
}

variable "max_receive_count" {
  description = "Receives before a message is moved to the DLQ."
  type        = number
  default     = 3
}

variable "kms_master_key_id" {
  description = "KMS key for server-side encryption. Null uses SQS-managed encryption."
  type        = string
  default     = null
}

variable "dlq_alarm_threshold" {
  description = "Number of visible DLQ messages that raises the alarm."
  type        = number
  default     = 1
}

variable "alarm_actions" {
  description = "SNS topic ARNs notified when the DLQ alarm changes state."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for the queues and the alarm."
  type        = map(string)
  default     = {}
}
