output "queue_name" {
  description = "Name of the main queue."
  value       = aws_sqs_queue.main.name
}

output "queue_arn" {
  description = "ARN of the main queue."
  value       = aws_sqs_queue.main.arn
}

output "queue_url" {
  description = "URL of the main queue."
  value       = aws_sqs_queue.main.url
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_alarm_arn" {
  description = "ARN of the DLQ messages alarm."
  value       = aws_cloudwatch_metric_alarm.dlq_messages.arn
}
