project     = "tt-practice"
environment = "dev"
aws_region  = "ap-southeast-1"
account_id  = "057336397237"

# The main queue's visibility timeout in 20_infra is derived from these two.
worker_timeout                 = 60
worker_batching_window_seconds = 5
worker_memory_size             = 256
worker_batch_size              = 10
worker_max_concurrency         = 5

api_server_timeout     = 30
api_server_memory_size = 256

# Dev logs are noisy and nobody looks at them after a week or so.
api_server_log_retention_days = 10
