terraform {
  backend "s3" {
    key            = "core/terraform.tfstate"
    encrypt        = true
    dynamodb_table = "tt-practice-tf-locks"
  }
}
