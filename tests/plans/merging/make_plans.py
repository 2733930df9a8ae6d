"""Make the `merging` plan fixtures with a real Terraform: three layers of one environment (dev).

    python tests/plans/merging/make_plans.py [OUTPUT_DIR]     # default: tests/plans/merging/dev

Terraform here has no provider but its built-in one, so every resource is a `terraform_data`: each
layer is applied once (v1), its code changed (v2), planned (`terraform plan -out`) and shown
(`terraform show -json`). Then :func:`as_aws` renames the resource types in the JSON to the AWS types
they stand for (RENAMED, by resource name) and copies each one's `input` object into its values, so a
rule reads `name` or `bucket` where the AWS provider would write them. Nothing else is edited: actions,
action reasons, replace paths, previous addresses, importing, prior state and configuration are
Terraform's own.

What the v2 code does (tests/plans/merging/README.md says what ttgate must make of it):

- 10_core: a no-op move (moved block), an update, an import (import block), a forget (removed block
  with destroy = false): nothing destroyed.
- 20_infra: the classic incident, a backend key copied from 10_core: the local backend's path (its
  key) points at 10_core's state, so the plan destroys the state bucket, the lock table, the KMS key,
  the secret and the zone 10_core built, and creates 20_infra's queues.
- 30_app: a log group renamed without a moved block (destroy + create), a count lowered (destroy of
  index 2), a table replaced (triggers_replace with create_before_destroy: ["create", "delete"]), an
  update, a create, and a bucket moved into a module (moved block).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LAYERS = ("10_core", "20_infra", "30_app")

# resource name -> the AWS type the terraform_data stands for
RENAMED = {
    "state_bucket": "aws_s3_bucket",
    "locks": "aws_dynamodb_table",
    "kms": "aws_kms_key",
    "data_key": "aws_kms_key",
    "legacy_secret": "aws_secretsmanager_secret",
    "zone": "aws_route53_zone",
    "zone_record": "aws_route53_record",
    "events_queue": "aws_sqs_queue",
    "events_dlq": "aws_sqs_queue",
    "api_logs": "aws_cloudwatch_log_group",
    "api_log_group": "aws_cloudwatch_log_group",
    "worker_logs": "aws_cloudwatch_log_group",
    "orders_table": "aws_dynamodb_table",
    "api": "aws_lambda_function",
    "event_mapping": "aws_lambda_event_source_mapping",
    "cache_bucket": "aws_s3_bucket",
    "bucket": "aws_s3_bucket",
}

CORE_V1 = """
resource "terraform_data" "state_bucket" {
  input = { bucket = "tt-practice-tf-state-dev-057336397237" }
}
resource "terraform_data" "locks" {
  input = { name = "tt-practice-tf-locks", hash_key = "LockID" }
}
resource "terraform_data" "kms" {
  input = { description = "tt-practice dev data key" }
}
resource "terraform_data" "legacy_secret" {
  input = { name = "tt-practice-dev-legacy" }
}
resource "terraform_data" "zone" {
  input = { name = "dev.tt-practice.internal", comment = "v1" }
}
"""
CORE_V2 = """
resource "terraform_data" "state_bucket" {
  input = { bucket = "tt-practice-tf-state-dev-057336397237" }
}
resource "terraform_data" "locks" {
  input = { name = "tt-practice-tf-locks", hash_key = "LockID" }
}
resource "terraform_data" "data_key" {
  input = { description = "tt-practice dev data key" }
}
moved {
  from = terraform_data.kms
  to   = terraform_data.data_key
}
removed {
  from = terraform_data.legacy_secret
  lifecycle {
    destroy = false
  }
}
resource "terraform_data" "zone" {
  input = { name = "dev.tt-practice.internal", comment = "v2" }
}
import {
  to = terraform_data.zone_record
  id = "Z0123456789_api.dev.tt-practice.internal_A"
}
resource "terraform_data" "zone_record" {}
"""
INFRA = """
terraform {
  backend "local" {
    path = "%s"
  }
}
resource "terraform_data" "events_dlq" {
  input = { name = "tt-practice-dev-events-dlq", message_retention_seconds = 1209600 }
}
resource "terraform_data" "events_queue" {
  input = {
    name           = "tt-practice-dev-events-queue"
    redrive_policy = jsonencode({
      deadLetterTargetArn = "arn:aws:sqs:ap-southeast-1:057336397237:tt-practice-dev-events-dlq"
      maxReceiveCount     = 3
    })
  }
}
"""
APP_V1 = """
resource "terraform_data" "api_logs" {
  input = { name = "/aws/lambda/tt-practice-dev-api", retention_in_days = 14 }
}
resource "terraform_data" "worker_logs" {
  count = 3
  input = { name = "/aws/lambda/tt-practice-dev-worker-${count.index}", retention_in_days = 14 }
}
resource "terraform_data" "orders_table" {
  input            = { name = "tt-practice-dev-orders", hash_key = "id" }
  triggers_replace = ["id"]
  lifecycle {
    create_before_destroy = true
  }
}
resource "terraform_data" "api" {
  input = { function_name = "tt-practice-dev-api", timeout = 10 }
}
resource "terraform_data" "cache_bucket" {
  input = { bucket = "tt-practice-dev-cache" }
}
"""
APP_V2 = """
resource "terraform_data" "api_log_group" {
  input = { name = "/aws/lambda/tt-practice-dev-api", retention_in_days = 14 }
}
resource "terraform_data" "worker_logs" {
  count = 2
  input = { name = "/aws/lambda/tt-practice-dev-worker-${count.index}", retention_in_days = 14 }
}
resource "terraform_data" "orders_table" {
  input            = { name = "tt-practice-dev-orders", hash_key = "order_id" }
  triggers_replace = ["order_id"]
  lifecycle {
    create_before_destroy = true
  }
}
resource "terraform_data" "api" {
  input = { function_name = "tt-practice-dev-api", timeout = 30 }
}
resource "terraform_data" "event_mapping" {
  input = { function_name = "tt-practice-dev-api", batch_size = 10 }
}
module "cache" {
  source = "./cache"
}
moved {
  from = terraform_data.cache_bucket
  to   = module.cache.terraform_data.bucket
}
"""
CACHE_MODULE = """
resource "terraform_data" "bucket" {
  input = { bucket = "tt-practice-dev-cache" }
}
"""


def terraform(directory: Path, *args: str) -> str:
    result = subprocess.run(
        ["terraform", *args, "-no-color"], cwd=directory, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise SystemExit(f"terraform {' '.join(args)} in {directory.name}: {result.stderr.strip()}")
    return result.stdout


def _write(directory: Path, files: dict[str, str]) -> None:
    for name in list(directory.glob("*.tf")):
        name.unlink()
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip(), encoding="utf-8")


def _plan(directory: Path) -> dict[str, Any]:
    terraform(directory, "init", "-input=false", "-reconfigure")
    terraform(directory, "plan", "-input=false", "-out=plan.bin")
    document: dict[str, Any] = json.loads(terraform(directory, "show", "-json", "plan.bin"))
    return document


_ADDRESS = re.compile(r"\bterraform_data\.([A-Za-z_][A-Za-z0-9_-]*)")


def as_aws(value: Any) -> Any:
    """The plan as the AWS provider would print it: types renamed (RENAMED), inputs as attributes."""
    if isinstance(value, str):
        return _ADDRESS.sub(
            lambda match: f"{RENAMED.get(match.group(1), 'terraform_data')}.{match.group(1)}", value
        )
    if isinstance(value, list):
        return [as_aws(item) for item in value]
    if not isinstance(value, dict):
        return value
    renamed = {key: as_aws(item) for key, item in value.items()}
    if value.get("type") == "terraform_data" and value.get("name") in RENAMED:
        renamed["type"] = RENAMED[value["name"]]
        for key in ("values", "before", "after"):
            _lift(renamed, key)
        _lift(renamed.get("change") or {}, "before")
        _lift(renamed.get("change") or {}, "after")
    return renamed


def _lift(holder: dict[str, Any], key: str) -> None:
    values = holder.get(key)
    if isinstance(values, dict) and isinstance(values.get("input"), dict):
        holder[key] = {**values, **values["input"]}


def make(output: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="ttgate-merging-") as work:
        root = Path(work)
        core, infra, app = (root / layer for layer in LAYERS)
        for directory in (core, infra, app):
            directory.mkdir()
        _write(core, {"main.tf": CORE_V1})
        _write(infra, {"main.tf": INFRA % "infra.tfstate"})
        _write(app, {"main.tf": APP_V1})
        for directory in (core, infra, app):
            terraform(directory, "init", "-input=false")
            terraform(directory, "apply", "-input=false", "-auto-approve")
        _write(core, {"main.tf": CORE_V2})
        _write(infra, {"main.tf": INFRA % "../10_core/terraform.tfstate"})  # the copied key
        _write(app, {"main.tf": APP_V2, "cache/main.tf": CACHE_MODULE})
        output.mkdir(parents=True, exist_ok=True)
        for layer, directory in zip(LAYERS, (core, infra, app), strict=True):
            document = as_aws(_plan(directory))
            text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            (output / f"{layer}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if shutil.which("terraform") is None:
        raise SystemExit("terraform is not on PATH")
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "dev")
