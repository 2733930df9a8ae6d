# Monthly cost guard for prod. Alerts go to the on-call topic.

data "terraform_remote_state" "infra" {
  backend = "s3"

  config = {
    bucket = "tt-practice-tf-state-${var.environment}-${var.account_id}"
    key    = "infra/terraform.tfstate"
    region = var.aws_region
  }
}

resource "aws_budgets_budget" "monthly" {
  name         = "${var.project}-${var.environment}-monthly"
  budget_type  = "COST"
  limit_amount = "500"
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 80
    threshold_type            = "PERCENTAGE"
    notification_type         = "FORECASTED"
    subscriber_sns_topic_arns = [data.terraform_remote_state.infra.outputs.alerts_topic_arn]
  }
}
