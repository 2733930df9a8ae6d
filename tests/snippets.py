"""HCL that several test files write: one copy each, here. A test that counts lines counts them in these.

Each snippet starts with a blank line and ends with a newline, so snippets concatenate into blocks
separated by one blank line (write_tree drops the blank line at the top of a file).
"""

from __future__ import annotations

# The consumer of the main queue in 30_app/dev: lines 2-5 of the snippet.
WORKER = """
resource "aws_lambda_function" "worker" {
  function_name = "tt-practice-dev-worker"
  timeout       = 10
}
"""

# The main queue's ARN as 30_app reads it from 20_infra's state (through remote_state()).
REMOTE_QUEUE_ARN = "data.terraform_remote_state.infra.outputs.main_queue_arn"


def remote_state(key: str = '"infra/terraform.tfstate"', name: str = "infra", env: str = "dev") -> str:
    """A terraform_remote_state block (lines 2-10) reading ``key`` (HCL) from env's state bucket."""
    return f"""
data "terraform_remote_state" "{name}" {{
  backend = "s3"
  config = {{
    bucket = "tt-practice-tf-state-{env}-123456789012"
    key    = {key}
    region = "ap-southeast-1"
  }}
}}
"""


def event_source_mapping(
    queue_arn: str, function: str = "aws_lambda_function.worker.function_name", name: str = "worker"
) -> str:
    """The mapping (lines 2-5) by which ``function`` consumes the queue at ``queue_arn`` (both HCL)."""
    return f"""
resource "aws_lambda_event_source_mapping" "{name}" {{
  event_source_arn = {queue_arn}
  function_name    = {function}
}}
"""
