project     = "tt-practice"
environment = "dev"
aws_region  = "ap-southeast-1"
account_id  = "057336397237"
