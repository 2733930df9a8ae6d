resource "aws_sqs_queue" "main" {
  name = "tt-practice-orders-queue"
}
