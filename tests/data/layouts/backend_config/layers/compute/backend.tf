terraform {
  backend "s3" {}
}

provider "aws" {
  region = "ap-southeast-1"
}

variable "env" {
  type = string
}

data "terraform_remote_state" "network" {
  backend = "s3"
  config = {
    bucket = "tt-practice-tf-state-${var.env}-123456789012"
    key    = "core/terraform.tfstate"
    region = "ap-southeast-1"
  }
}
