project     = "tt-practice"
environment = "prod"
aws_region  = "ap-southeast-1"
account_id  = "418295760331"

# The main queue's visibility timeout in 20_infra is derived from these two.
worker_timeout                 = 90
worker_batching_window_seconds = 5
worker_memory_size             = 512
worker_batch_size              = 10
worker_max_concurrency         = 20

api_server_timeout     = 30
api_server_memory_size = 512
