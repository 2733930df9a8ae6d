variable "queue_arn" {
  type = string
}

variable "timeout" {
  type = number
}

resource "aws_lambda_function" "worker" {
  function_name = "worker"
  role          = "arn:aws:iam::111111111111:role/worker"
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = "worker.zip"
  timeout       = var.timeout
}

resource "aws_lambda_event_source_mapping" "worker" {
  event_source_arn = var.queue_arn
  function_name    = aws_lambda_function.worker.arn
  batch_size       = 10
}
