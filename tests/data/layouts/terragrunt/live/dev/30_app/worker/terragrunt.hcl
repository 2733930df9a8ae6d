include "root" {
  path = find_in_parent_folders("root.hcl")
}

terraform {
  source = "${get_terragrunt_dir()}/../../../../modules/worker"
}

dependency "queues" {
  config_path = "../../20_infra/queues"
  mock_outputs = {
    queue_arn = "arn:aws:sqs:ap-southeast-1:111111111111:mock"
  }
}

inputs = {
  queue_arn = dependency.queues.outputs.queue_arn
  timeout   = 300
}

# ordering only: apply after the vpc unit
dependencies {
  paths = ["../../10_core/vpc"]
}
