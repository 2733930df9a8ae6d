project     = "tt-practice"
environment = "prod"
aws_region  = "ap-southeast-1"
account_id  = "418295760331"
