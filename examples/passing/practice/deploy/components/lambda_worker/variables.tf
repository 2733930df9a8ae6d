variable "project" {
  description = "Project prefix used in every resource name."
  type        = string
}

variable "environment" {
  description = "Deployment environment (dev, stage, prod)."
  type        = string
}

variable "name" {
  description = "Short function name, e.g. \"worker\". The full name is {project}-{environment}-{name}."
  type        = string
}

variable "description" {
  description = "Human readable description of the function."
  type        = string
  default     = ""
}

variable "handler" {
  description = "Function entrypoint."
  type        = string
  default     = "app.handler"
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "python3.12"
}

variable "architectures" {
  description = "Instruction set architecture."
  type        = list(string)
  default     = ["arm64"]
}

variable "package_path" {
  description = "Path to the deployment package built by `practice/bin/cb build`."
  type        = string
}

variable "timeout" {
  description = "Function timeout in seconds. Queues feeding this function need a visibility timeout of at least 6x this value."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "Lambda timeout must be between 1 and 900 seconds."
  }
}

variable "memory_size" {
  description = "Memory in MB."
  type        = number
  default     = 128
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency; -1 leaves the function unreserved."
  type        = number
  default     = -1
}

variable "environment_variables" {
  description = "Environment variables passed to the function."
  type        = map(string)
  default     = {}
}

variable "inline_policies" {
  description = "Extra IAM policy documents (JSON) attached to the execution role, keyed by policy name."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
  default     = 14
}

variable "log_kms_key_arn" {
  description = "KMS key used to encrypt the log group. Null uses CloudWatch's default encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource in the component."
  type        = map(string)
  default     = {}
}
