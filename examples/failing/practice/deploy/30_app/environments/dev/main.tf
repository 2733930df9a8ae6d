data "terraform_remote_state" "infra" {
  backend = "s3"

  config = {
    bucket = "tt-practice-tf-state-${var.environment}-${var.account_id}"
    key    = "infra/terraform.tfstate"
    region = var.aws_region
  }
}

module "worker" {
  source = "../../../components/lambda_worker"

  project      = var.project
  environment  = var.environment
  name         = "worker"
  description  = "Processes jobs from the main queue"
  handler      = "worker.handler"
  package_path = "${var.artifacts_dir}/worker.zip"

  timeout            = var.worker_timeout
  memory_size        = var.worker_memory_size
  log_retention_days = var.worker_log_retention_days

  environment_variables = {
    LOG_LEVEL = "INFO"
  }
}

module "worker_main_queue" {
  source = "../../modules/sqs_consumer"

  function_name = module.worker.function_name
  role_name     = module.worker.role_name
  queue_name    = data.terraform_remote_state.infra.outputs.main_queue_name
  queue_arn     = data.terraform_remote_state.infra.outputs.main_queue_arn
  kms_key_arn   = data.terraform_remote_state.infra.outputs.queue_kms_key_arn

  batch_size                         = var.worker_batch_size
  maximum_batching_window_in_seconds = var.worker_batching_window_seconds
  maximum_concurrency                = var.worker_max_concurrency
}

data "aws_iam_policy_document" "api_server_enqueue" {
  statement {
    sid       = "EnqueueJobs"
    actions   = ["sqs:SendMessage"]
    resources = [data.terraform_remote_state.infra.outputs.main_queue_arn]
  }

  statement {
    sid       = "EncryptMessages"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [data.terraform_remote_state.infra.outputs.queue_kms_key_arn]
  }
}

module "api_server" {
  source = "../../../components/lambda_worker"

  project      = var.project
  environment  = var.environment
  name         = "api-server"
  description  = "HTTP API"
  handler      = "api.handler"
  package_path = "${var.artifacts_dir}/api_server.zip"

  timeout            = var.api_server_timeout
  memory_size        = var.api_server_memory_size
  log_retention_days = var.api_server_log_retention_days

  environment_variables = {
    LOG_LEVEL      = "INFO"
    MAIN_QUEUE_URL = data.terraform_remote_state.infra.outputs.main_queue_url
  }

  inline_policies = {
    enqueue-main-queue = data.aws_iam_policy_document.api_server_enqueue.json
  }
}

resource "aws_lambda_function_url" "api_server" {
  function_name      = module.api_server.function_name
  authorization_type = "AWS_IAM"
}
