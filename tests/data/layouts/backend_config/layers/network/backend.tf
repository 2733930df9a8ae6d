terraform {
  backend "s3" {}
}

provider "aws" {
  region = "ap-southeast-1"
}

variable "env" {
  type = string
}
