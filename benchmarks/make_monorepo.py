"""Generate a realistic layered Terraform monorepo for benchmarking ttgate (and checkov).

Layout (the runbook's, repeated per "domain" to reach N root stacks)::

    OUTDIR/practice/deploy/
        10_core/environments/{dev,stage,prod}/   <- domain 0: the runbook's own layout
        10_core/modules/state_backend/
        20_infra/environments/{dev,stage,prod}/
        20_infra/modules/sqs/
        30_app/environments/{dev,stage,prod}/
        30_app/modules/lambda_worker/
        svc001/{10_core,20_infra,30_app}/...     <- domains 1.. when N > 3 x len(envs)
        svc002/...

Each root stack has backend.tf, main.tf, variables.tf, outputs.tf and terraform.tfvars. Stacks are
created domain by domain, layer by layer (10_core, 20_infra, 30_app), environment by environment, so
the first N are written; a layer's modules are written with its first stack. A few domains carry a
deliberate, realistic mistake (short visibility timeout, odd log retention, ...), so a checker has
something to report. Output is deterministic: the same N and envs give byte-identical files.

Usage: python benchmarks/make_monorepo.py N OUTDIR [--envs dev,stage,prod]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT = "tt-practice"
REGION = "ap-southeast-1"
LOCK_TABLE = "tt-practice-tf-locks"
LAYERS = ("10_core", "20_infra", "30_app")
STATE_KEY_PART = {"10_core": "core", "20_infra": "infra", "30_app": "app"}
QUEUE_NAMES = ("main", "events", "orders", "billing", "notify", "ingest", "audit", "export")
RUNTIMES = ("python3.12", "python3.11", "nodejs20.x")
ENVIRONMENTS = ("dev", "stage", "prod", "qa", "perf")


def render(template: str, **values: object) -> str:
    """Fill ``@name@`` placeholders (HCL itself never uses ``@``)."""

    def repl(match: re.Match[str]) -> str:
        return str(values[match.group(1)])

    return re.sub(r"@([a-z_]+)@", repl, template).lstrip("\n")


@dataclass(frozen=True)
class Domain:
    index: int

    @property
    def name(self) -> str:
        return "" if self.index == 0 else f"svc{self.index:03d}"

    @property
    def label(self) -> str:
        return self.name or "platform"

    def base(self, out: Path) -> Path:
        root = out / "practice" / "deploy"
        return root / self.name if self.name else root

    def state_key(self, layer: str) -> str:
        key = f"{STATE_KEY_PART[layer]}/terraform.tfstate"
        return f"{self.name}/{key}" if self.name else key

    def account_id(self, env: str) -> str:
        """A deterministic 12-digit account per domain and environment."""
        return str(100000000000 + self.index * 1000 + ENVIRONMENTS.index(env))


# --------------------------------------------------------------------------- root stack files

BACKEND_TF = """
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
  }

  # The bucket is passed at init time:
  #   terraform init -backend-config="bucket=tt-practice-tf-state-@env@-<account-id>"
  backend "s3" {
    key            = "@key@"
    region         = "@region@"
    encrypt        = true
    dynamodb_table = "@lock_table@"
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.env
      Layer       = "@layer@"
      ManagedBy   = "terraform"
    }
  }
}
"""

COMMON_VARIABLES_TF = """
variable "project" {
  description = "Project name, the first part of every resource name."
  type        = string
  default     = "@project@"
}

variable "env" {
  description = "Deployment environment."
  type        = string

  validation {
    condition     = contains([@env_list@], var.env)
    error_message = "env must be one of @env_names@."
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "@region@"
}

variable "account_id" {
  description = "AWS account that holds this environment."
  type        = string
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
"""

COMMON_LOCALS = """
locals {
  name_prefix = "${var.project}-${var.env}"
  domain      = "@domain@"
  common_tags = merge(var.tags, {
    Domain = local.domain
    Owner  = "team-${local.domain}"
  })
}
"""

# 10_core --------------------------------------------------------------------

CORE_MAIN_TF = (
    COMMON_LOCALS
    + """
module "state_backend" {
  source = "../../modules/state_backend"

  bucket_name     = "${var.project}-tf-state-${var.env}-${var.account_id}"
  lock_table_name = var.lock_table_name
  kms_key_arn     = aws_kms_key.state.arn
  noncurrent_days = var.env == "prod" ? 365 : 90
  tags            = local.common_tags
}

resource "aws_kms_key" "state" {
  description             = "Encrypts Terraform state for ${local.name_prefix}"
  deletion_window_in_days = 30
  enable_key_rotation     = true
  tags                    = local.common_tags
}

resource "aws_kms_alias" "state" {
  name          = "alias/${local.name_prefix}-tf-state"
  target_key_id = aws_kms_key.state.key_id
}

resource "aws_sns_topic" "alerts" {
  name              = "${local.name_prefix}-alerts"
  kms_master_key_id = aws_kms_key.state.arn
  tags              = local.common_tags
}

resource "aws_sns_topic_subscription" "oncall" {
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}
"""
)

CORE_VARIABLES_TF = (
    COMMON_VARIABLES_TF
    + """
variable "lock_table_name" {
  description = "DynamoDB table that locks Terraform state."
  type        = string
  default     = "@lock_table@"
}

variable "alert_emails" {
  description = "Addresses subscribed to the alerts topic."
  type        = list(string)
  default     = []
}
"""
)

CORE_OUTPUTS_TF = """
output "state_bucket_name" {
  description = "Terraform state bucket."
  value       = module.state_backend.bucket_name
}

output "lock_table_name" {
  description = "Terraform lock table."
  value       = module.state_backend.lock_table_name
}

output "kms_key_arn" {
  description = "KMS key for state and topics."
  value       = aws_kms_key.state.arn
}

output "alerts_topic_arn" {
  description = "SNS topic for operational alarms."
  value       = aws_sns_topic.alerts.arn
}
"""

CORE_TFVARS = """
env        = "@env@"
account_id = "@account_id@"
region     = "@region@"

alert_emails = [@emails@]

tags = {
  CostCenter = "@cost_center@"
}
"""

STATE_BACKEND_MAIN_TF = """
resource "aws_s3_bucket" "state" {
  bucket = var.bucket_name
  tags   = var.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "@versioning@"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-noncurrent-state"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_days
    }
  }
}

resource "aws_dynamodb_table" "locks" {
  name         = var.lock_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}
"""

STATE_BACKEND_VARIABLES_TF = """
variable "bucket_name" {
  description = "Name of the state bucket: tt-practice-tf-state-{env}-{account-id}."
  type        = string
}

variable "lock_table_name" {
  description = "Name of the DynamoDB lock table."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts state and locks."
  type        = string
}

variable "noncurrent_days" {
  description = "Days a non-current state version is kept."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
"""

STATE_BACKEND_OUTPUTS_TF = """
output "bucket_name" {
  value = aws_s3_bucket.state.bucket
}

output "bucket_arn" {
  value = aws_s3_bucket.state.arn
}

output "lock_table_name" {
  value = aws_dynamodb_table.locks.name
}
"""

# 20_infra -------------------------------------------------------------------

INFRA_MAIN_TF = (
    COMMON_LOCALS
    + """
data "terraform_remote_state" "core" {
  backend = "s3"

  config = {
    bucket = "${var.project}-tf-state-${var.env}-${var.account_id}"
    key    = "@core_key@"
    region = var.region
  }
}

module "queues" {
  source   = "../../modules/sqs"
  for_each = var.queues

  name_prefix                   = local.name_prefix
  queue_name                    = each.key
  visibility_timeout_seconds    = each.value.visibility_timeout_seconds
  message_retention_seconds     = lookup(each.value, "message_retention_seconds", 345600)
  max_receive_count             = var.max_receive_count
  dlq_message_retention_seconds = var.dlq_message_retention_seconds
  create_dlq_alarm              = var.create_dlq_alarms
  alarm_actions                 = [data.terraform_remote_state.core.outputs.alerts_topic_arn]
  kms_key_arn                   = data.terraform_remote_state.core.outputs.kms_key_arn
  tags                          = local.common_tags
}
"""
)

INFRA_VARIABLES_TF = (
    COMMON_VARIABLES_TF
    + """
variable "queues" {
  description = "Queues of this domain, by short name."
  type = map(object({
    visibility_timeout_seconds = number
    message_retention_seconds  = optional(number)
  }))
}

variable "max_receive_count" {
  description = "Receives before a message moves to the DLQ."
  type        = number
  default     = 3
}

variable "dlq_message_retention_seconds" {
  description = "How long the DLQ keeps a message."
  type        = number
  default     = 1209600
}

variable "create_dlq_alarms" {
  description = "Create a CloudWatch alarm on each DLQ."
  type        = bool
  default     = true
}
"""
)

INFRA_OUTPUTS_TF = """
output "queue_arn" {
  description = "ARN of the main queue, consumed by 30_app."
  value       = module.queues["@main_queue@"].queue_arn
}

output "queue_url" {
  description = "URL of the main queue."
  value       = module.queues["@main_queue@"].queue_url
}

output "dlq_arn" {
  description = "ARN of the main queue's DLQ."
  value       = module.queues["@main_queue@"].dlq_arn
}

output "queue_arns" {
  description = "Every queue's ARN, by short name."
  value       = { for name, q in module.queues : name => q.queue_arn }
}
"""

INFRA_TFVARS = """
env        = "@env@"
account_id = "@account_id@"
region     = "@region@"

queues = {
@queues@}

max_receive_count             = @max_receive_count@
dlq_message_retention_seconds = @dlq_retention@
create_dlq_alarms             = @create_alarms@
"""

SQS_MAIN_TF = """
locals {
  queue_name = "${var.name_prefix}-${var.queue_name}-queue"
  dlq_name   = "${var.name_prefix}-${var.queue_name}-dlq"
}

resource "aws_sqs_queue" "dlq" {
  name                      = local.dlq_name
  message_retention_seconds = var.dlq_message_retention_seconds
  kms_master_key_id         = var.kms_key_arn
  tags                      = merge(var.tags, { Role = "dlq" })
}

resource "aws_sqs_queue" "this" {
  name                       = local.queue_name
  visibility_timeout_seconds = var.visibility_timeout_seconds
  message_retention_seconds  = var.message_retention_seconds
  receive_wait_time_seconds  = 20
  kms_master_key_id          = var.kms_key_arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  tags = var.tags
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

resource "aws_cloudwatch_metric_alarm" "dlq_messages" {
  count = var.create_dlq_alarm ? 1 : 0

  alarm_name          = "${local.dlq_name}-messages-alarm"
  alarm_description   = "Messages are waiting in ${local.dlq_name}; see the runbook's DLQ section."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  statistic           = "Maximum"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.alarm_threshold
  period              = @alarm_period@
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions

  dimensions = {
    QueueName = aws_sqs_queue.dlq.name
  }

  tags = var.tags
}
"""

SQS_VARIABLES_TF = """
variable "name_prefix" {
  description = "{project}-{env}."
  type        = string
}

variable "queue_name" {
  description = "Short queue name; the queue is {name_prefix}-{queue_name}-queue."
  type        = string
}

variable "visibility_timeout_seconds" {
  description = "At least 6 x the consuming Lambda's timeout."
  type        = number
  default     = 30
}

variable "message_retention_seconds" {
  description = "How long the queue keeps a message."
  type        = number
  default     = 345600
}

variable "max_receive_count" {
  description = "Receives before a message moves to the DLQ."
  type        = number
  default     = 3
}

variable "dlq_message_retention_seconds" {
  description = "How long the DLQ keeps a message (14 days)."
  type        = number
  default     = 1209600
}

variable "create_dlq_alarm" {
  description = "Create the DLQ alarm."
  type        = bool
  default     = true
}

variable "alarm_threshold" {
  description = "Messages in the DLQ that raise the alarm."
  type        = number
  default     = 1
}

variable "alarm_actions" {
  description = "SNS topics notified by the alarm."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key for server-side encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
"""

SQS_OUTPUTS_TF = """
output "queue_arn" {
  value = aws_sqs_queue.this.arn
}

output "queue_url" {
  value = aws_sqs_queue.this.id
}

output "queue_name" {
  value = aws_sqs_queue.this.name
}

output "dlq_arn" {
  value = aws_sqs_queue.dlq.arn
}

output "dlq_name" {
  value = aws_sqs_queue.dlq.name
}
"""

# 30_app ---------------------------------------------------------------------

APP_MAIN_TF = (
    COMMON_LOCALS
    + """
data "terraform_remote_state" "infra" {
  backend = "s3"

  config = {
    bucket = "${var.project}-tf-state-${var.env}-${var.account_id}"
    key    = "@infra_key@"
    region = var.region
  }
}

module "worker" {
  source = "../../modules/lambda_worker"

  function_name      = "${local.name_prefix}-@worker@"
  handler            = "@handler@"
  runtime            = var.runtime
  timeout            = var.worker_timeout
  memory_size        = var.env == "prod" ? var.worker_memory * 2 : var.worker_memory
  artifact_bucket    = var.artifact_bucket
  package_version    = var.package_version
  log_retention_days = var.log_retention_days

  queue_arn                          = data.terraform_remote_state.infra.outputs.queue_arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.batching_window

  environment_variables = {
    ENV       = var.env
    QUEUE_URL = data.terraform_remote_state.infra.outputs.queue_url
    LOG_LEVEL = var.env == "prod" ? "INFO" : "DEBUG"
  }

  tags = local.common_tags
}

module "api" {
  source = "../../modules/lambda_worker"

  function_name      = "${local.name_prefix}-@api@"
  handler            = "app.api.handler"
  runtime            = var.runtime
  timeout            = 29
  memory_size        = 256
  artifact_bucket    = var.artifact_bucket
  package_version    = var.package_version
  log_retention_days = var.log_retention_days

  environment_variables = {
    ENV = var.env
  }

  tags = local.common_tags
}
"""
)

APP_VARIABLES_TF = (
    COMMON_VARIABLES_TF
    + """
variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "python3.12"
}

variable "worker_timeout" {
  description = "Worker timeout in seconds; the queue's visibility timeout must be 6 x this."
  type        = number
  default     = 30
}

variable "worker_memory" {
  description = "Worker memory in MB (doubled in prod)."
  type        = number
  default     = 512
}

variable "batch_size" {
  description = "Messages per invocation."
  type        = number
  default     = 10
}

variable "batching_window" {
  description = "Maximum batching window in seconds."
  type        = number
  default     = 0
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for the functions."
  type        = number
  default     = 14
}

variable "artifact_bucket" {
  description = "Bucket holding the Lambda packages."
  type        = string
}

variable "package_version" {
  description = "Version of the Lambda package to deploy."
  type        = string
}
"""
)

APP_OUTPUTS_TF = """
output "worker_function_name" {
  value = module.worker.function_name
}

output "worker_function_arn" {
  value = module.worker.function_arn
}

output "api_function_name" {
  value = module.api.function_name
}

output "log_group_names" {
  value = [module.worker.log_group_name, module.api.log_group_name]
}
"""

APP_TFVARS = """
env        = "@env@"
account_id = "@account_id@"
region     = "@region@"

runtime            = "@runtime@"
worker_timeout     = @worker_timeout@
worker_memory      = @worker_memory@
batch_size         = @batch_size@
batching_window    = @batching_window@
log_retention_days = @log_retention@

artifact_bucket = "@project@-@env@-artifacts-@account_id@"
package_version = "@package_version@"
"""

LAMBDA_MAIN_TF = """
locals {
  log_group_name = "/aws/lambda/${var.function_name}"
  consumes_queue = var.queue_arn != null
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.function_name}-role"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "basic" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "sqs" {
  count = local.consumes_queue ? 1 : 0

  name = "${var.function_name}-sqs"
  role = aws_iam_role.this.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
      Resource = var.queue_arn
    }]
  })
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  function_name = var.function_name
  role          = aws_iam_role.this.arn
  handler       = var.handler
  runtime       = var.runtime
  timeout       = var.timeout
  memory_size   = var.memory_size
  s3_bucket     = var.artifact_bucket
  s3_key        = "lambda/${var.function_name}/${var.package_version}.zip"

  environment {
    variables = var.environment_variables
  }

  tracing_config {
    mode = "Active"
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy_attachment.basic]
}

resource "aws_lambda_event_source_mapping" "queue" {
  count = local.consumes_queue ? 1 : 0

  event_source_arn                   = var.queue_arn
  function_name                      = aws_lambda_function.this.arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = @max_concurrency@
  }
}
"""

LAMBDA_VARIABLES_TF = """
variable "function_name" {
  description = "{project}-{env}-{name}."
  type        = string
}

variable "handler" {
  type = string
}

variable "runtime" {
  type = string
}

variable "timeout" {
  description = "Function timeout in seconds."
  type        = number
  default     = 3
}

variable "memory_size" {
  type    = number
  default = 128
}

variable "artifact_bucket" {
  type = string
}

variable "package_version" {
  type = string
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention in days."
  type        = number
  default     = 14
}

variable "queue_arn" {
  description = "SQS queue feeding the function; null for none."
  type        = string
  default     = null
}

variable "batch_size" {
  type    = number
  default = 10
}

variable "maximum_batching_window_in_seconds" {
  type    = number
  default = 0
}

variable "environment_variables" {
  type    = map(string)
  default = {}
}

variable "tags" {
  type    = map(string)
  default = {}
}
"""

LAMBDA_OUTPUTS_TF = """
output "function_name" {
  value = aws_lambda_function.this.function_name
}

output "function_arn" {
  value = aws_lambda_function.this.arn
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.this.name
}
"""


# --------------------------------------------------------------------------- generation


@dataclass
class Writer:
    out: Path
    files: int = 0

    def write(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.files += 1


def domain_traits(domain: Domain, envs: list[str]) -> dict[str, object]:
    """Per-domain choices, drawn from a generator seeded by the domain index (deterministic)."""
    rng = random.Random(1000 + domain.index)
    flaw = domain.index % 7 if domain.index else 0  # domain 0 is clean; others may carry one mistake
    worker_timeout = rng.choice((15, 30, 60, 90, 120))
    batching_window = rng.choice((0, 0, 5, 10))
    visibility = 6 * worker_timeout + batching_window + rng.choice((0, 0, 30, 60))
    if flaw == 3:
        visibility = worker_timeout * 2  # TG201: too short for the consumer
    n_queues = rng.randint(1, 3)
    start = rng.randrange(len(QUEUE_NAMES))
    queues = [QUEUE_NAMES[(start + i) % len(QUEUE_NAMES)] for i in range(n_queues)]
    return {
        "queues": queues,
        "visibility": visibility,
        "extra_visibility": rng.choice((60, 120, 300)),
        "worker": rng.choice(("worker", "processor", "consumer", "handler")),
        "api": rng.choice(("api-server", "api", "gateway")),
        "handler": rng.choice(("app.worker.handler", "main.handler", "index.handler")),
        "runtime": rng.choice(RUNTIMES),
        "worker_timeout": worker_timeout,
        "worker_memory": rng.choice((256, 512, 1024)),
        "batch_size": rng.choice((1, 5, 10, 10)),
        "batching_window": batching_window,
        "log_retention": 10 if flaw == 5 else rng.choice((14, 14, 30)),  # 10: not a CloudWatch value
        "max_receive_count": 5 if flaw == 2 else 3,
        "dlq_retention": 345600 if flaw == 4 else 1209600,
        "create_alarms": "false" if flaw == 6 else "true",
        "versioning": "Suspended" if flaw == 1 else "Enabled",
        "alarm_period": 300 if flaw == 1 else 60,
        "max_concurrency": rng.choice((2, 5, 10)),
        "cost_center": f"cc-{4000 + domain.index}",
        "emails": ", ".join(f'"oncall+{domain.label}-{e}@example.com"' for e in envs[:1]),
        "package_version": f"1.{domain.index % 10}.{rng.randint(0, 20)}",
    }


def write_modules(w: Writer, domain: Domain, layer: str, t: dict[str, object]) -> None:
    mod = domain.base(w.out) / layer / "modules"
    if layer == "10_core":
        d = mod / "state_backend"
        w.write(d / "main.tf", render(STATE_BACKEND_MAIN_TF, versioning=t["versioning"]))
        w.write(d / "variables.tf", render(STATE_BACKEND_VARIABLES_TF))
        w.write(d / "outputs.tf", render(STATE_BACKEND_OUTPUTS_TF))
    elif layer == "20_infra":
        d = mod / "sqs"
        w.write(d / "main.tf", render(SQS_MAIN_TF, alarm_period=t["alarm_period"]))
        w.write(d / "variables.tf", render(SQS_VARIABLES_TF))
        w.write(d / "outputs.tf", render(SQS_OUTPUTS_TF))
    else:
        d = mod / "lambda_worker"
        w.write(d / "main.tf", render(LAMBDA_MAIN_TF, max_concurrency=t["max_concurrency"]))
        w.write(d / "variables.tf", render(LAMBDA_VARIABLES_TF))
        w.write(d / "outputs.tf", render(LAMBDA_OUTPUTS_TF))


def write_stack(
    w: Writer, domain: Domain, layer: str, env: str, envs: list[str], t: dict[str, object]
) -> None:
    root = domain.base(w.out) / layer / "environments" / env
    common = {
        "project": PROJECT,
        "region": REGION,
        "env": env,
        "layer": layer,
        "lock_table": LOCK_TABLE,
        "domain": domain.label,
        "account_id": domain.account_id(env),
        "env_list": ", ".join(f'"{e}"' for e in envs),
        "env_names": ", ".join(envs),
    }
    w.write(root / "backend.tf", render(BACKEND_TF, key=domain.state_key(layer), **common))
    queues = t["queues"]
    assert isinstance(queues, list)
    if layer == "10_core":
        main, variables, outputs = CORE_MAIN_TF, CORE_VARIABLES_TF, CORE_OUTPUTS_TF
        tfvars = render(CORE_TFVARS, emails=t["emails"], cost_center=t["cost_center"], **common)
    elif layer == "20_infra":
        main, variables, outputs = INFRA_MAIN_TF, INFRA_VARIABLES_TF, INFRA_OUTPUTS_TF
        lines = []
        for i, q in enumerate(queues):
            vis = t["visibility"] if i == 0 else t["extra_visibility"]
            retention = "" if i == 0 else "\n    message_retention_seconds  = 604800"
            lines.append(f"  {q} = {{\n    visibility_timeout_seconds = {vis}{retention}\n  }}\n")
        tfvars = render(
            INFRA_TFVARS,
            queues="".join(lines),
            max_receive_count=t["max_receive_count"],
            dlq_retention=t["dlq_retention"],
            create_alarms=t["create_alarms"],
            **common,
        )
    else:
        main, variables, outputs = APP_MAIN_TF, APP_VARIABLES_TF, APP_OUTPUTS_TF
        tfvars = render(
            APP_TFVARS,
            runtime=t["runtime"],
            worker_timeout=t["worker_timeout"],
            worker_memory=t["worker_memory"],
            batch_size=t["batch_size"],
            batching_window=t["batching_window"],
            log_retention=t["log_retention"],
            package_version=t["package_version"],
            **common,
        )
    w.write(
        root / "main.tf",
        render(
            main,
            core_key=domain.state_key("10_core"),
            infra_key=domain.state_key("20_infra"),
            worker=t["worker"],
            api=t["api"],
            handler=t["handler"],
            **common,
        ),
    )
    w.write(root / "variables.tf", render(variables, **common))
    w.write(root / "outputs.tf", render(outputs, main_queue=queues[0]))
    w.write(root / "terraform.tfvars", tfvars)


def generate(n_stacks: int, out: Path, envs: list[str]) -> Writer:
    w = Writer(out)
    made = 0
    index = 0
    while made < n_stacks:
        domain = Domain(index)
        traits = domain_traits(domain, envs)
        for layer in LAYERS:
            if made >= n_stacks:
                break
            write_modules(w, domain, layer, traits)
            for env in envs:
                if made >= n_stacks:
                    break
                write_stack(w, domain, layer, env, envs, traits)
                made += 1
        index += 1
    return w


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", type=int, metavar="N", help="number of root stacks to generate")
    parser.add_argument("outdir", type=Path, metavar="OUTDIR")
    parser.add_argument("--envs", default="dev,stage,prod", help="comma-separated environments")
    args = parser.parse_args(argv)
    envs = [e.strip() for e in args.envs.split(",") if e.strip()]
    if args.n < 1 or not envs:
        parser.error("N must be >= 1 and --envs must name at least one environment")
    if unknown := [e for e in envs if e not in ENVIRONMENTS]:
        parser.error(f"unknown environment(s) {', '.join(unknown)}; choose from {', '.join(ENVIRONMENTS)}")
    out: Path = args.outdir
    if (out / "practice").exists():
        shutil.rmtree(out / "practice")  # regenerate from scratch so output is deterministic
    w = generate(args.n, out, envs)
    print(f"{args.n} stacks, {w.files} .tf/.tfvars files written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
