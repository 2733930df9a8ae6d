# terraform init -backend-config="bucket=tt-practice-tf-state-<env>-<account-id>"
terraform {
  backend "s3" {
    key            = "infra/terraform.tfstate"
    region         = "ap-southeast-1"
    encrypt        = true
    dynamodb_table = "tt-practice-tf-locks"
  }
}
