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
