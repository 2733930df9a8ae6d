project     = "tt-practice"
environment = "prod"
aws_region  = "ap-southeast-1"
account_id  = "418295760331"

# Mirrors 30_app/environments/prod: worker timeout and batching window.
worker_timeout_seconds         = 90
worker_batching_window_seconds = 5
