locals {
  project = "shop"
}

remote_state {
  backend = "s3"
  config = {
    bucket         = "shop-tf-state"
    key            = "${path_relative_to_include()}/terraform.tfstate"
    region         = "ap-southeast-1"
    encrypt        = true
    dynamodb_table = "shop-tf-locks"
  }
}

inputs = {
  project = local.project
  region  = get_env("AWS_REGION", "ap-southeast-1")
}
