"""TG502 lock-table: the lock table's only key is LockID, a string."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import EXAMPLES, by_address, findings, stack, summary

CORE_DEV = "practice/deploy/10_core/environments/dev"
MODULE = "practice/deploy/10_core/modules/locks"


def table(
    name: str = '"tt-practice-tf-locks"', hash_key: str = "LockID", attribute_type: str = "S", extra: str = ""
) -> str:
    return f"""
resource "aws_dynamodb_table" "locks" {{
  name         = {name}
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "{hash_key}"
{extra}
  attribute {{
    name = "{hash_key}"
    type = "{attribute_type}"
  }}
}}
"""


def test_runbook_lock_table_passes(tmp_path: Path) -> None:
    assert findings("TG502", tmp_path, stack("10_core", "dev", main=table())) == []


def test_wrong_hash_key_is_reported_on_its_line(tmp_path: Path) -> None:
    found = findings("TG502", tmp_path, stack("10_core", "dev", main=table(hash_key="id")))
    assert summary(found) == [("TG502", f"{CORE_DEV}/main.tf", 4, "10_core/dev")]
    assert found[0].severity.label == "error"
    assert '"id"' in found[0].message and "LockID" in found[0].message
    assert 'hash_key = "LockID"' in found[0].fix


def test_lock_id_of_type_number_is_reported_on_the_attribute(tmp_path: Path) -> None:
    found = findings("TG502", tmp_path, stack("10_core", "dev", main=table(attribute_type="N")))
    assert summary(found) == [("TG502", f"{CORE_DEV}/main.tf", 6, "10_core/dev")]
    assert '"N"' in found[0].message


def test_range_key_is_reported(tmp_path: Path) -> None:
    extra = '  range_key    = "Digest"\n'
    found = findings("TG502", tmp_path, stack("10_core", "dev", main=table(extra=extra)))
    assert summary(found) == [("TG502", f"{CORE_DEV}/main.tf", 5, "10_core/dev")]
    assert "range_key" in found[0].message


def test_missing_lock_id_attribute(tmp_path: Path) -> None:
    main = """
resource "aws_dynamodb_table" "locks" {
  name     = "tt-practice-tf-locks"
  hash_key = "LockID"

  attribute {
    name = "Other"
    type = "S"
  }
}
"""
    found = findings("TG502", tmp_path, stack("10_core", "dev", main=main))
    assert summary(found) == [("TG502", f"{CORE_DEV}/main.tf", 5, "10_core/dev")]
    assert "no attribute block" in found[0].message


def test_other_tables_are_not_checked(tmp_path: Path) -> None:
    assert (
        findings(
            "TG502",
            tmp_path,
            stack("20_infra", "dev", main=table(name='"tt-practice-dev-orders"', hash_key="id")),
        )
        == []
    )


def test_name_and_key_through_variables_and_tfvars(tmp_path: Path) -> None:
    main = """
variable "project" {
  type = string
}
variable "lock_key" {
  type    = string
  default = "LockID"
}

resource "aws_dynamodb_table" "state_lock" {
  name     = "${var.project}-tf-locks"
  hash_key = var.lock_key

  attribute {
    name = var.lock_key
    type = "S"
  }
}
"""
    tfvars = 'project  = "tt-practice"\nlock_key = "Lock"\n'
    found = findings("TG502", tmp_path, stack("10_core", "prod", main=main, terraform__tfvars=tfvars))
    assert summary(found) == [
        ("TG502", "practice/deploy/10_core/environments/prod/main.tf", 11, "10_core/prod")
    ]
    origins = [(r.location.file, r.location.line) for r in found[0].related]
    assert origins == [("practice/deploy/10_core/environments/prod/terraform.tfvars", 2)]


def test_table_in_a_module_through_its_arguments(tmp_path: Path) -> None:
    module = """
variable "table_name" {
  type = string
}
variable "key_type" {
  type = string
}

resource "aws_dynamodb_table" "this" {
  name     = var.table_name
  hash_key = "LockID"
  attribute {
    name = "LockID"
    type = var.key_type
  }
}
"""

    def call(key_type: str) -> str:
        return f"""
module "locks" {{
  source     = "../../modules/locks"
  table_name = "tt-practice-tf-locks"
  key_type   = "{key_type}"
}}
"""

    found = findings(
        "TG502",
        tmp_path,
        {
            f"{MODULE}/main.tf": module,
            **stack("10_core", "dev", main=call("S")),
            **stack("10_core", "prod", main=call("B")),
        },
    )
    assert summary(found) == [("TG502", f"{MODULE}/main.tf", 11, "10_core/prod")]  # attribute
    assert found[0].address == "module.locks.aws_dynamodb_table.this"


def test_count_instances_are_each_checked(tmp_path: Path) -> None:
    main = """
resource "aws_dynamodb_table" "locks" {
  count    = 2
  name     = ["tt-practice-tf-locks", "tt-practice-dev-cache"][count.index]
  hash_key = "id"
  attribute {
    name = "id"
    type = "S"
  }
}
"""
    found = findings("TG502", tmp_path, stack("10_core", "dev", main=main))
    assert [(f.address, f.location.line if f.location else 0) for f in found] == [
        ("aws_dynamodb_table.locks[0]", 4)
    ]


UNKNOWN_NAME = """
variable "lock_table_name" {
  type = string
}
""" + table(name="var.lock_table_name", hash_key="ID")


def test_unknown_name_of_a_broken_lock_table_is_unverifiable(tmp_path: Path) -> None:
    found = findings("TG502", tmp_path, stack("10_core", "dev", main=UNKNOWN_NAME), tg001="only")
    assert summary(found) == [("TG001", f"{CORE_DEV}/main.tf", 6, "10_core/dev")]  # name = var...
    assert "var.lock_table_name" in found[0].message
    assert findings("TG502", tmp_path) == []


def test_unknown_name_does_not_matter_for_a_correct_table(tmp_path: Path) -> None:
    main = UNKNOWN_NAME.replace('"ID"', '"LockID"')
    assert findings("TG502", tmp_path, stack("10_core", "dev", main=main), tg001="with") == []


def test_backend_naming_a_table_no_stack_creates_is_fine(tmp_path: Path) -> None:
    # helpers.stack's backend names dynamodb_table "tt-practice-tf-locks"; nothing here creates it
    assert findings("TG502", tmp_path, stack("20_infra", "dev", main="")) == []


def test_examples_have_correct_lock_tables() -> None:
    for example in ("passing", "failing"):
        assert findings("TG502", EXAMPLES / example, tg001="with") == [], example


@pytest.mark.parametrize("hash_key, fails", [("ID", True), ("LockID", False)])
def test_tg502_lock_table_hash_key(tmp_path: Path, hash_key: str, fails: bool) -> None:
    core = plans.Plan(environment="dev").resource(
        "aws_dynamodb_table.locks",
        {
            "attribute": [{"name": hash_key, "type": "S"}],
            "billing_mode": "PAY_PER_REQUEST",
            "hash_key": hash_key,
            "name": "tt-practice-tf-locks",
            "range_key": None,
        },
        action="no-op",
    )
    found = findings("TG502", tmp_path, plans={"10_core/dev": core}, tg001="with")
    assert by_address(found) == (
        [("TG502", "aws_dynamodb_table.locks", "10_core/dev", "error")] if fails else []
    )
