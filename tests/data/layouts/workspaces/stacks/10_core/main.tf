terraform {
  backend "s3" {
    key            = "core/terraform.tfstate"
    encrypt        = true
    dynamodb_table = "tt-practice-tf-locks"
  }
}
data "terraform_remote_state" "app" {
  backend   = "s3"
  workspace = terraform.workspace
  config = {
    key = "app/terraform.tfstate"
  }
}
