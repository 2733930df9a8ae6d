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

variable "worker_timeout_seconds" {
  description = "Timeout of the worker Lambda in 30_app that consumes the main queue. Keep in sync with worker_timeout in 30_app."
  type        = number
}

variable "worker_batching_window_seconds" {
  description = "maximum_batching_window_in_seconds of the worker's event source mapping in 30_app."
  type        = number
  default     = 5
}
