# event-processor: consumes the events queue from 20_infra (dev only for now).

data "aws_iam_policy_document" "event_processor_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "event_processor" {
  name               = "${var.project}-${var.environment}-lambda-event-processor-role"
  assume_role_policy = data.aws_iam_policy_document.event_processor_assume.json
}

resource "aws_iam_role_policy_attachment" "event_processor_basic" {
  role       = aws_iam_role.event_processor.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy_attachment" "event_processor_sqs" {
  role       = aws_iam_role.event_processor.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
}

resource "aws_lambda_function" "event_processor" {
  function_name = "${var.project}-${var.environment}-event-processor"
  description   = "Processes order events from the events queue"
  role          = aws_iam_role.event_processor.arn

  filename         = "${var.artifacts_dir}/event_processor.zip"
  source_code_hash = filebase64sha256("${var.artifacts_dir}/event_processor.zip")
  handler          = "events.handler"
  runtime          = "python3.12"
  architectures    = ["arm64"]

  timeout     = 10
  memory_size = 256

  environment {
    variables = {
      LOG_LEVEL = "DEBUG"
    }
  }
}

resource "aws_lambda_event_source_mapping" "event_processor" {
  event_source_arn        = data.terraform_remote_state.infra.outputs.events_queue_arn
  function_name           = aws_lambda_function.event_processor.function_name
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]

  depends_on = [aws_iam_role_policy_attachment.event_processor_sqs]
}
