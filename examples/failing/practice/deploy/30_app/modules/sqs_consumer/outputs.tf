output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping (for `aws lambda get-event-source-mapping`)."
  value       = aws_lambda_event_source_mapping.this.uuid
}
