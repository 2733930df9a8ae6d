output "main_queue_arn" {
  description = "ARN of the main queue, consumed by the worker in 30_app."
  value       = module.main_queue.queue_arn
}

output "main_queue_url" {
  description = "URL of the main queue."
  value       = module.main_queue.queue_url
}

output "main_queue_name" {
  description = "Name of the main queue."
  value       = module.main_queue.queue_name
}

output "dlq_arn" {
  description = "ARN of the main queue's dead-letter queue."
  value       = module.main_queue.dlq_arn
}

output "dlq_url" {
  description = "URL of the main queue's dead-letter queue."
  value       = module.main_queue.dlq_url
}

output "queue_kms_key_arn" {
  description = "KMS key encrypting the queues; consumers need kms:Decrypt on it."
  value       = local.kms_key_arn
}

output "alerts_topic_arn" {
  description = "SNS topic for operational alarms."
  value       = aws_sns_topic.alerts.arn
}
