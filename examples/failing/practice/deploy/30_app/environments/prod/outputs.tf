output "worker_function_name" {
  description = "Name of the worker Lambda."
  value       = module.worker.function_name
}

output "worker_log_group_name" {
  description = "Log group of the worker Lambda."
  value       = module.worker.log_group_name
}

output "worker_event_source_mapping_uuid" {
  description = "UUID of the worker's main queue mapping."
  value       = module.worker_main_queue.event_source_mapping_uuid
}

output "api_server_function_name" {
  description = "Name of the api-server Lambda."
  value       = module.api_server.function_name
}

output "api_server_url" {
  description = "Function URL of the api-server (IAM auth)."
  value       = aws_lambda_function_url.api_server.function_url
}
