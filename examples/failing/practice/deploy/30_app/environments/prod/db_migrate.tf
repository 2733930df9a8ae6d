# db-migrate: runs schema migrations. The apply workflow invokes it after 30_app is applied:
#   aws lambda invoke --function-name tt-practice-prod-db-migrate --region ap-southeast-1 out.json

locals {
  db_migrate_function_name = "${var.project}-${var.environment}-db-migrate"
}

data "aws_iam_policy_document" "db_migrate_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "db_migrate" {
  name               = "${var.project}-${var.environment}-lambda-db-migrate-role"
  assume_role_policy = data.aws_iam_policy_document.db_migrate_assume.json
}

resource "aws_iam_role_policy_attachment" "db_migrate_basic" {
  role       = aws_iam_role.db_migrate.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_cloudwatch_log_group" "db_migrate" {
  name = "/aws/lambda/${local.db_migrate_function_name}"
}

resource "aws_lambda_function" "db_migrate" {
  function_name = local.db_migrate_function_name
  description   = "Applies pending database migrations"
  role          = aws_iam_role.db_migrate.arn

  filename         = "${var.artifacts_dir}/db_migrate.zip"
  source_code_hash = filebase64sha256("${var.artifacts_dir}/db_migrate.zip")
  handler          = "migrate.handler"
  runtime          = "python3.12"
  architectures    = ["arm64"]

  timeout     = 300
  memory_size = 512

  depends_on = [
    aws_cloudwatch_log_group.db_migrate,
    aws_iam_role_policy_attachment.db_migrate_basic,
  ]
}
