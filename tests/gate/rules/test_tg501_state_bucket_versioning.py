"""TG501 state-bucket-versioning: the state bucket keeps every version of the state."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import EXAMPLES, by_address, findings, stack, summary, write_tree

CORE_DEV = "practice/deploy/10_core/environments/dev"
APP_DEV = "practice/deploy/30_app/environments/dev"
MODULE = "practice/deploy/10_core/modules/state_backend"

BUCKET = """
resource "aws_s3_bucket" "state" {
  bucket = "tt-practice-tf-state-dev-057336397237"
}
"""


def versioning(status: str, bucket: str = "aws_s3_bucket.state.id") -> str:
    return f"""
resource "aws_s3_bucket_versioning" "state" {{
  bucket = {bucket}

  versioning_configuration {{
    status = "{status}"
  }}
}}
"""


def test_enabled_versioning_resource_passes(tmp_path: Path) -> None:
    assert findings("TG501", tmp_path, stack("10_core", "dev", main=BUCKET + versioning("Enabled"))) == []


def test_versioning_by_bucket_name_passes(tmp_path: Path) -> None:
    main = BUCKET + versioning("Enabled", bucket='"tt-practice-tf-state-dev-057336397237"')
    assert findings("TG501", tmp_path, stack("10_core", "dev", main=main)) == []


def test_missing_versioning_is_an_error_on_the_bucket(tmp_path: Path) -> None:
    found = findings("TG501", tmp_path, stack("10_core", "dev", main=BUCKET))
    assert summary(found) == [("TG501", f"{CORE_DEV}/main.tf", 1, "10_core/dev")]
    assert found[0].severity.label == "error"
    assert "tt-practice-tf-state-dev-057336397237" in found[0].message
    assert "State Versioning" in found[0].message
    assert "aws_s3_bucket_versioning" in found[0].fix


def test_suspended_versioning_is_reported_on_the_configuration(tmp_path: Path) -> None:
    found = findings("TG501", tmp_path, stack("10_core", "dev", main=BUCKET + versioning("Suspended")))
    # BUCKET is lines 1-3, a blank line, then the versioning resource: its block starts on line 8
    assert summary(found) == [("TG501", f"{CORE_DEV}/main.tf", 8, "10_core/dev")]
    assert found[0].address == "aws_s3_bucket_versioning.state"
    assert '"Suspended"' in found[0].message
    assert 'status = "Enabled"' in found[0].fix


def test_versioning_of_another_bucket_does_not_count(tmp_path: Path) -> None:
    main = (
        BUCKET
        + """
resource "aws_s3_bucket" "logs" {
  bucket = "tt-practice-dev-logs"
}
"""
        + versioning("Enabled", bucket="aws_s3_bucket.logs.id")
    )
    assert summary(findings("TG501", tmp_path, stack("10_core", "dev", main=main))) == [
        ("TG501", f"{CORE_DEV}/main.tf", 1, "10_core/dev")
    ]


def test_legacy_inline_versioning(tmp_path: Path) -> None:
    enabled = """
resource "aws_s3_bucket" "state" {
  bucket = "tt-practice-tf-state-dev-057336397237"
  versioning {
    enabled = true
  }
}
"""
    write_tree(tmp_path / "on", stack("10_core", "dev", main=enabled))
    write_tree(tmp_path / "off", stack("10_core", "dev", main=enabled.replace("true", "false")))
    assert findings("TG501", tmp_path / "on") == []
    assert summary(findings("TG501", tmp_path / "off")) == [
        ("TG501", f"{CORE_DEV}/main.tf", 3, "10_core/dev")
    ]


def test_other_buckets_are_not_checked(tmp_path: Path) -> None:
    main = 'resource "aws_s3_bucket" "assets" {\n  bucket = "tt-practice-dev-assets"\n}\n'
    assert findings("TG501", tmp_path, stack("10_core", "dev", main=main)) == []


def test_name_from_variables_and_tfvars(tmp_path: Path) -> None:
    main = """
variable "project" {
  type = string
}
variable "environment" {
  type = string
}
variable "account_id" {
  type = string
}

resource "aws_s3_bucket" "tfstate" {
  bucket = "${var.project}-tf-state-${var.environment}-${var.account_id}"
}
"""
    tfvars = 'project = "tt-practice"\nenvironment = "prod"\naccount_id = "057336397237"\n'
    found = findings("TG501", tmp_path, stack("10_core", "prod", main=main, terraform__tfvars=tfvars))
    assert summary(found) == [
        ("TG501", "practice/deploy/10_core/environments/prod/main.tf", 11, "10_core/prod")
    ]
    assert "tt-practice-tf-state-prod-057336397237" in found[0].message


def test_bucket_in_a_module_is_reported_per_stack(tmp_path: Path) -> None:
    module = """
variable "bucket_name" {
  type = string
}
variable "status" {
  type = string
}

resource "aws_s3_bucket" "state" {
  bucket = var.bucket_name
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = var.status
  }
}
"""

    def call(env: str, status: str) -> str:
        return f"""
module "state_backend" {{
  source      = "../../modules/state_backend"
  bucket_name = "tt-practice-tf-state-{env}-057336397237"
  status      = "{status}"
}}
"""

    found = findings(
        "TG501",
        tmp_path,
        {
            f"{MODULE}/main.tf": module,
            **stack("10_core", "dev", main=call("dev", "Enabled")),
            **stack("10_core", "prod", main=call("prod", "Suspended")),
        },
    )
    assert summary(found) == [("TG501", f"{MODULE}/main.tf", 14, "10_core/prod")]  # the block
    assert found[0].address == "module.state_backend.aws_s3_bucket_versioning.state"


def test_count_instances_each_need_versioning(tmp_path: Path) -> None:
    main = """
variable "versioned" {
  default = false
}

resource "aws_s3_bucket" "state" {
  count  = 2
  bucket = "tt-practice-tf-state-${["dev", "stage"][count.index]}-057336397237"
}

resource "aws_s3_bucket_versioning" "state" {
  count  = var.versioned ? 1 : 0
  bucket = aws_s3_bucket.state[0].id
  versioning_configuration {
    status = "Enabled"
  }
}
"""
    found = findings("TG501", tmp_path / "none", stack("10_core", "dev", main=main))
    assert [f.address for f in found] == ["aws_s3_bucket.state[0]", "aws_s3_bucket.state[1]"]
    assert {f.location.line for f in found if f.location} == {5}  # both on the declaration

    versioned = main.replace("default = false", "default = true")
    assert [
        f.address for f in findings("TG501", tmp_path / "one", stack("10_core", "dev", main=versioned))
    ] == ["aws_s3_bucket.state[1]"]


UNKNOWN_NAME = """
variable "account_id" {
  type = string
}

resource "aws_s3_bucket" "state" {
  bucket = "tt-practice-tf-state-dev-${var.account_id}"
}
"""


def test_a_known_prefix_that_follows_the_pattern_decides(tmp_path: Path) -> None:
    # "tt-practice-tf-state-dev-" + an unknown account id: a state bucket by name, in any layer
    assert summary(findings("TG501", tmp_path, stack("30_app", "dev", main=UNKNOWN_NAME))) == [
        ("TG501", f"{APP_DEV}/main.tf", 5, "30_app/dev")
    ]
    assert findings("TG001", tmp_path) == []


UNKNOWN_WHOLE_NAME = UNKNOWN_NAME.replace("tt-practice-tf-state-dev-${var.account_id}", "${var.account_id}")


def test_unknown_name_of_an_unversioned_state_bucket_is_unverifiable(tmp_path: Path) -> None:
    found = findings("TG001", tmp_path, stack("10_core", "dev", main=UNKNOWN_WHOLE_NAME))
    assert summary(found) == [("TG001", f"{CORE_DEV}/main.tf", 6, "10_core/dev")]  # bucket =
    assert found[0].message.startswith("TG501 (state-bucket-versioning) cannot check aws_s3_bucket.state")
    assert "var.account_id" in found[0].message
    assert findings("TG501", tmp_path) == []


@pytest.mark.parametrize("main", [UNKNOWN_NAME, UNKNOWN_WHOLE_NAME], ids=["prefix", "whole"])
def test_unknown_name_does_not_matter_when_versioned(tmp_path: Path, main: str) -> None:
    assert findings("TG501", tmp_path, stack("10_core", "dev", main=main + versioning("Enabled"))) == []
    assert findings("TG001", tmp_path) == []


def test_unknown_name_outside_the_backend_layer_is_not_a_state_bucket(tmp_path: Path) -> None:
    assert findings("TG501", tmp_path, stack("30_app", "dev", main=UNKNOWN_WHOLE_NAME)) == []
    assert findings("TG001", tmp_path) == []


def test_a_known_prefix_that_cannot_follow_the_pattern_is_not_a_state_bucket(tmp_path: Path) -> None:
    main = UNKNOWN_NAME.replace("tt-practice-tf-state-dev-", "website-assets-")
    assert findings("TG501", tmp_path, stack("10_core", "dev", main=main)) == []
    assert findings("TG001", tmp_path) == []


def test_unknown_status_is_unverifiable(tmp_path: Path) -> None:
    main = BUCKET + 'variable "status" {\n  type = string\n}\n' + versioning("${var.status}")
    found = findings("TG001", tmp_path, stack("10_core", "dev", main=main))
    assert len(found) == 1
    assert found[0].message.startswith("TG501")
    assert found[0].address == "aws_s3_bucket_versioning.state"
    assert findings("TG501", tmp_path) == []


def test_examples_passing_has_no_finding() -> None:
    assert findings("TG501", EXAMPLES / "passing", tg001="with") == []


def test_examples_failing_versions_its_state_buckets() -> None:
    assert findings("TG501", EXAMPLES / "failing", tg001="with") == []


@pytest.mark.parametrize("status, fails", [("Suspended", True), ("Enabled", False)])
def test_tg501_versioning_of_the_state_bucket_in_the_core_plan(
    tmp_path: Path, status: str, fails: bool
) -> None:
    core = (
        plans.Plan(environment="dev")
        .resource(
            "module.state_backend.aws_s3_bucket.state",
            {
                "arn": f"arn:aws:s3:::{plans.STATE_BUCKET}",
                "bucket": plans.STATE_BUCKET,
                "id": plans.STATE_BUCKET,
            },
            action="no-op",
        )
        .resource(
            "module.state_backend.aws_s3_bucket_versioning.state",
            {
                "bucket": plans.STATE_BUCKET,
                "id": plans.STATE_BUCKET,
                "versioning_configuration": [{"mfa_delete": "", "status": status}],
            },
            action="update",
            before={"versioning_configuration": [{"mfa_delete": "", "status": "Enabled"}]},
            config={"bucket": plans.ref("aws_s3_bucket.state.id")},
        )
    )
    found = findings("TG501", tmp_path, plans={"10_core/dev": core}, tg001="with")
    assert by_address(found) == (
        [("TG501", "module.state_backend.aws_s3_bucket_versioning.state", "10_core/dev", "error")]
        if fails
        else []
    )


@pytest.mark.parametrize("status, fails", [("Suspended", True), ("Enabled", False)])
def test_tg501_a_new_state_bucket_linked_to_its_versioning_by_the_configuration(
    tmp_path: Path, status: str, fails: bool
) -> None:
    core = (
        plans.Plan(environment="dev")
        .resource(
            "aws_s3_bucket.state", {"bucket": plans.STATE_BUCKET}, config={"bucket": plans.STATE_BUCKET}
        )
        .resource(
            "aws_s3_bucket_versioning.state",
            {"versioning_configuration": [{"status": status}]},
            unknown=["bucket"],
            config={"bucket": plans.ref("aws_s3_bucket.state.id")},
        )
    )
    found = findings("TG501", tmp_path, plans={"10_core/dev": core}, tg001="with")
    assert by_address(found) == (
        [("TG501", "aws_s3_bucket_versioning.state", "10_core/dev", "error")] if fails else []
    )
