# Order events published by the storefront, processed by event-processor in 30_app.
# Dev only for now; promote to prod once the load test is signed off.

resource "aws_sqs_queue" "events_dlq" {
  name                      = "${var.project}-${var.environment}-events-dlq"
  message_retention_seconds = 345600 # 4 days
}

resource "aws_sqs_queue" "events" {
  name                      = "${var.project}-${var.environment}-events-queue"
  message_retention_seconds = 345600
  receive_wait_time_seconds = 20

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.events_dlq.arn
    maxReceiveCount     = 3
  })
}
