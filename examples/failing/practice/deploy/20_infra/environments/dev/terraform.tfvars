project     = "tt-practice"
environment = "dev"
aws_region  = "ap-southeast-1"
account_id  = "057336397237"

# Mirrors 30_app/environments/dev: worker timeout and batching window.
worker_timeout_seconds         = 60
worker_batching_window_seconds = 5
