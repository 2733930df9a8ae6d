terraform {
  backend "s3" {
    key            = "infra/terraform.tfstate"
    encrypt        = true
    dynamodb_table = "tt-practice-tf-locks"
  }
}
module "app" {
  source = "../../modules/app"
}
