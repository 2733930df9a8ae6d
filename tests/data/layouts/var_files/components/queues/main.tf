terraform {
  backend "s3" {
    key            = "infra/terraform.tfstate"
    encrypt        = true
    dynamodb_table = "tt-practice-tf-locks"
  }
}
variable "name" {}
resource "aws_sqs_queue" "main" {
  name = var.name
}
output "queue_arn" { value = aws_sqs_queue.main.arn }
