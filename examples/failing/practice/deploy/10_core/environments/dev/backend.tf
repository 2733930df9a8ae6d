# The bucket is per environment and account, so it is passed at init:
#   terraform init -backend-config="bucket=tt-practice-tf-state-<env>-<account-id>"
# This stack creates that bucket and the lock table; the first apply of a new
# environment runs with local state and is then migrated with `terraform init -migrate-state`.
terraform {
  backend "s3" {
    key            = "core/terraform.tfstate"
    region         = "ap-southeast-1"
    encrypt        = true
    dynamodb_table = "tt-practice-tf-locks"
  }
}
