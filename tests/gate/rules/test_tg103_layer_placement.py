"""TG103 layer-placement: resource types live in the layer the runbook rolls them back with."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import EXAMPLES, by_address, findings, stack, summary, write_tree

APP_DEV = "practice/deploy/30_app/environments/dev"
INFRA_DEV = "practice/deploy/20_infra/environments/dev"
CORE_DEV = "practice/deploy/10_core/environments/dev"

QUEUE = """
resource "aws_sqs_queue" "jobs" {
  name = "tt-practice-dev-jobs-queue"
}
"""
LAMBDA = """
resource "aws_lambda_function" "worker" {
  function_name = "tt-practice-dev-worker"
  role          = "arn:aws:iam::123456789012:role/worker"
  handler       = "main.handler"
  runtime       = "python3.12"
  filename      = "worker.zip"
}
"""
LOCK_TABLE = """
resource "aws_dynamodb_table" "locks" {
  name     = "tt-practice-tf-locks"
  hash_key = "LockID"
  attribute {
    name = "LockID"
    type = "S"
  }
}
"""


def test_resources_in_their_layers_pass(tmp_path: Path) -> None:
    assert (
        findings(
            "TG103",
            tmp_path,
            {
                **stack("10_core", "dev", main=LOCK_TABLE + 'resource "aws_kms_key" "main" {}\n'),
                **stack("20_infra", "dev", main=QUEUE),
                **stack("30_app", "dev", main=LAMBDA),
            },
        )
        == []
    )


def test_queue_in_the_app_layer_is_a_warning_on_the_resource(tmp_path: Path) -> None:
    found = findings("TG103", tmp_path, stack("30_app", "dev", main=LAMBDA + QUEUE))
    assert summary(found) == [("TG103", f"{APP_DEV}/main.tf", 9, "30_app/dev")]
    assert found[0].severity.label == "warning"
    assert found[0].address == "aws_sqs_queue.jobs"
    assert "20_infra" in found[0].message and "30_app/dev" in found[0].message
    assert "20_infra/environments/dev" in found[0].fix


def test_lambda_in_the_infra_layer(tmp_path: Path) -> None:
    assert summary(findings("TG103", tmp_path, stack("20_infra", "dev", main=LAMBDA))) == [
        ("TG103", f"{INFRA_DEV}/main.tf", 1, "20_infra/dev")
    ]


def test_data_sources_and_unmapped_types_are_ignored(tmp_path: Path) -> None:
    main = """
data "aws_sqs_queue" "jobs" {
  name = "tt-practice-dev-jobs-queue"
}

resource "aws_iam_role" "worker" {
  name               = "tt-practice-dev-worker"
  assume_role_policy = "{}"
}
"""
    assert findings("TG103", tmp_path, stack("30_app", "dev", main=main)) == []


def test_lock_table_belongs_in_core_whatever_the_map_says(tmp_path: Path) -> None:
    assert findings("TG103", tmp_path / "core", stack("10_core", "dev", main=LOCK_TABLE)) == []
    found = findings("TG103", tmp_path / "infra", stack("20_infra", "dev", main=LOCK_TABLE))
    assert summary(found) == [("TG103", f"{INFRA_DEV}/main.tf", 1, "20_infra/dev")]
    assert "state lock table" in found[0].message and "10_core" in found[0].message


def test_other_dynamodb_tables_follow_the_map(tmp_path: Path) -> None:
    table = LOCK_TABLE.replace("tt-practice-tf-locks", "tt-practice-dev-orders")
    write_tree(tmp_path / "infra", stack("20_infra", "dev", main=table))
    write_tree(tmp_path / "core", stack("10_core", "dev", main=table))
    assert findings("TG103", tmp_path / "infra") == []
    assert summary(findings("TG103", tmp_path / "core")) == [
        ("TG103", f"{CORE_DEV}/main.tf", 1, "10_core/dev")
    ]


def test_state_bucket_outside_core(tmp_path: Path) -> None:
    bucket = 'resource "aws_s3_bucket" "state" {\n  bucket = "tt-practice-tf-state-prod-057336397237"\n}\n'
    other = 'resource "aws_s3_bucket" "assets" {\n  bucket = "tt-practice-prod-assets"\n}\n'
    found = findings("TG103", tmp_path, stack("20_infra", "prod", main=bucket + other))
    assert [f.address for f in found] == ["aws_s3_bucket.state"]
    assert "state bucket" in found[0].message


def test_names_through_variables_and_tfvars(tmp_path: Path) -> None:
    main = """
variable "project" {
  type = string
}

resource "aws_dynamodb_table" "locks" {
  name     = "${var.project}-tf-locks"
  hash_key = "LockID"
  attribute {
    name = "LockID"
    type = "S"
  }
}
"""
    for project in ("tt-practice", "cache"):
        write_tree(
            tmp_path / project,
            stack("10_core", "dev", main=main, terraform__tfvars=f'project = "{project}"\n'),
        )
    assert findings("TG103", tmp_path / "tt-practice") == []
    assert summary(findings("TG103", tmp_path / "cache")) == [
        ("TG103", f"{CORE_DEV}/main.tf", 5, "10_core/dev")
    ]


def test_module_resource_is_reported_per_stack_at_its_declaration(tmp_path: Path) -> None:
    module = """
variable "name" {
  type = string
}

resource "aws_sqs_queue" "this" {
  name = var.name
}
"""
    call = """
module "jobs" {
  source = "../../../components/queue"
  name   = "tt-practice-dev-jobs-queue"
}
"""
    found = findings(
        "TG103",
        tmp_path,
        {
            "practice/deploy/components/queue/main.tf": module,
            **stack("20_infra", "dev", main=call),
            **stack("30_app", "dev", main=call),
        },
    )
    assert summary(found) == [("TG103", "practice/deploy/components/queue/main.tf", 5, "30_app/dev")]
    assert found[0].address == "module.jobs.aws_sqs_queue.this"
    assert [(r.location.file, r.location.line) for r in found[0].related] == [(f"{APP_DEV}/main.tf", 1)]


def test_count_instances_give_one_finding(tmp_path: Path) -> None:
    main = QUEUE.replace("name =", "count = 3\n  name =").replace(
        '"tt-practice-dev-jobs-queue"', '"tt-practice-dev-jobs-${count.index}-queue"'
    )
    found = findings("TG103", tmp_path, stack("30_app", "dev", main=main))
    assert [f.address for f in found] == ["aws_sqs_queue.jobs[0]"]


UNKNOWN_TABLE = 'variable "table" {\n  type = string\n}\n' + LOCK_TABLE.replace(
    '"tt-practice-tf-locks"', "var.table"
)


def test_unknown_table_name_in_core_is_unverifiable(tmp_path: Path) -> None:
    found = findings("TG103", tmp_path, stack("10_core", "dev", main=UNKNOWN_TABLE), tg001="only")
    assert summary(found) == [("TG001", f"{CORE_DEV}/main.tf", 6, "10_core/dev")]  # name = var.table
    assert "var.table" in found[0].message
    assert findings("TG103", tmp_path) == []


def test_unknown_table_name_in_infra_uses_the_map(tmp_path: Path) -> None:
    assert findings("TG103", tmp_path, stack("20_infra", "dev", main=UNKNOWN_TABLE), tg001="with") == []


def test_placement_parameter_is_read_from_the_policy(tmp_path: Path) -> None:
    policy = "extends: runbook\nrules:\n  TG103:\n    placement:\n      aws_sqs_queue: 30_app\n"
    assert findings("TG103", tmp_path, {".ttgate.yml": policy, **stack("30_app", "dev", main=QUEUE)}) == []


def test_examples_have_everything_in_its_layer() -> None:
    for example in ("passing", "failing"):
        assert findings("TG103", EXAMPLES / example, tg001="with") == [], example


@pytest.mark.parametrize(
    "label, expected",
    [
        ("20_infra/dev", [("TG103", "aws_lambda_function.order_processor", "20_infra/dev", "warning")]),
        ("30_app/dev", []),
    ],
)
def test_tg103_a_lambda_function_in_the_infra_plan(
    tmp_path: Path, label: str, expected: list[tuple[str, str, str, str]]
) -> None:
    plan = plans.Plan(environment="dev").resource("aws_lambda_function.order_processor", plans.function())
    assert by_address(findings("TG103", tmp_path, plans={label: plan})) == expected
