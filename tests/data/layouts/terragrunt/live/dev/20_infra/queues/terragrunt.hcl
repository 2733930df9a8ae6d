include "root" {
  path = find_in_parent_folders("root.hcl")
}

terraform {
  source = "../../../../modules//queues"
}

dependency "vpc" {
  config_path = "../../10_core/vpc"
  mock_outputs = {
    vpc_id = "vpc-mock"
  }
}

inputs = {
  name   = "${include.root.locals.project}-orders"
  vpc_id = dependency.vpc.outputs.vpc_id
}
