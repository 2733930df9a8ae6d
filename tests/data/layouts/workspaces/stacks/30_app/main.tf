terraform {
  backend "s3" {
    key            = "app/terraform.tfstate"
    encrypt        = true
    dynamodb_table = "tt-practice-tf-locks"
  }
}
locals {
  memory = { dev = 128, prod = 1024 }
}
output "memory" { value = local.memory[terraform.workspace] }
