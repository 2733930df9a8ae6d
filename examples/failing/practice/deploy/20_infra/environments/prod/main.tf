data "terraform_remote_state" "core" {
  backend = "s3"

  config = {
    bucket = "tt-practice-tf-state-${var.environment}-${var.account_id}"
    key    = "core/terraform.tfstate"
    region = var.aws_region
  }
}

locals {
  kms_key_arn = data.terraform_remote_state.core.outputs.kms_key_arn

  # AWS recommends a visibility timeout of at least 6x the function timeout,
  # plus the batching window, for queues consumed by Lambda.
  worker_timeout     = var.worker_timeout_seconds
  visibility_timeout = local.worker_timeout * 6 + var.worker_batching_window_seconds
}

resource "aws_sns_topic" "alerts" {
  name              = "${var.project}-${var.environment}-alerts"
  kms_master_key_id = local.kms_key_arn
}

module "main_queue" {
  source = "../../modules/sqs"

  project                    = var.project
  environment                = var.environment
  queue_name                 = "main"
  visibility_timeout_seconds = local.visibility_timeout
  max_receive_count          = 3
  kms_master_key_id          = local.kms_key_arn
  alarm_actions              = [aws_sns_topic.alerts.arn]
}
