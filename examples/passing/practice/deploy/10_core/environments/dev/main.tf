module "kms" {
  source = "../../modules/kms"

  project     = var.project
  environment = var.environment
  aws_region  = var.aws_region
}

module "state_backend" {
  source = "../../modules/state_backend"

  project         = var.project
  environment     = var.environment
  kms_key_arn     = module.kms.key_arn
  lock_table_name = "tt-practice-tf-locks"
}
