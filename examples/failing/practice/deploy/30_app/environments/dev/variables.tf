variable "project" {
  description = "Project prefix used in resource names."
  type        = string
  default     = "tt-practice"
}

variable "environment" {
  description = "Deployment environment."
  type        = string
}

variable "aws_region" {
  description = "AWS region."
  type        = string
  default     = "ap-southeast-1"
}

variable "account_id" {
  description = "AWS account this environment is deployed to."
  type        = string
}

variable "artifacts_dir" {
  description = "Directory holding the packages built by `practice/bin/cb build`."
  type        = string
  default     = "../../../../bin/dist"
}

# worker: consumes the main queue from 20_infra.

variable "worker_timeout" {
  description = "Worker timeout in seconds. 20_infra sizes the main queue's visibility timeout from this (worker_timeout_seconds)."
  type        = number
  default     = 60
}

variable "worker_memory_size" {
  description = "Worker memory in MB."
  type        = number
  default     = 256
}

variable "worker_batch_size" {
  description = "Messages per worker invocation."
  type        = number
  default     = 10
}

variable "worker_batching_window_seconds" {
  description = "Batching window of the worker's event source mapping."
  type        = number
  default     = 5
}

variable "worker_max_concurrency" {
  description = "Maximum concurrent worker invocations from the main queue."
  type        = number
  default     = 10
}

variable "worker_log_retention_days" {
  description = "Log retention of the worker, in days."
  type        = number
  default     = 14
}

# api-server: HTTP entrypoint, enqueues jobs on the main queue.

variable "api_server_timeout" {
  description = "api-server timeout in seconds."
  type        = number
  default     = 30
}

variable "api_server_memory_size" {
  description = "api-server memory in MB."
  type        = number
  default     = 256
}

variable "api_server_log_retention_days" {
  description = "Log retention of the api-server, in days."
  type        = number
  default     = 14
}
