terraform {
  backend "s3" {
    key            = "infra/terraform.tfstate"
    encrypt        = true
    dynamodb_table = "tt-practice-tf-locks"
  }
}
data "terraform_remote_state" "queues" {
  backend = "s3"
  config = {
    key = "infra/terraform.tfstate"
  }
}
