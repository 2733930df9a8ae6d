"""TG301: log group retention is a value CloudWatch accepts and the policy allows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import by_address, findings, stack, summary, write_tree
from ttgate.policy import Severity

APP = "practice/deploy/30_app/environments/dev"


def log_group(retention: str | None, extra: str = "") -> str:
    line = f"  retention_in_days = {retention}\n" if retention is not None else ""
    return (
        f'resource "aws_cloudwatch_log_group" "worker" {{\n{extra}  name = "/aws/lambda/worker"\n{line}}}\n'
    )


def test_fourteen_days_passes(tmp_path: Path) -> None:
    assert findings("TG301", tmp_path, stack("30_app", "dev", log_group("14")), tg001="with") == []


def test_value_cloudwatch_rejects_is_an_error(tmp_path: Path) -> None:
    (finding,) = findings("TG301", tmp_path, stack("30_app", "dev", log_group("10")), tg001="with")
    assert summary([finding]) == [("TG301", f"{APP}/main.tf", 3, "30_app/dev")]
    assert finding.severity is Severity.ERROR
    assert "CloudWatch rejects" in finding.message


def test_value_accepted_by_cloudwatch_but_not_the_policy(tmp_path: Path) -> None:
    (finding,) = findings("TG301", tmp_path, stack("30_app", "dev", log_group("2192")), tg001="with")
    assert summary([finding]) == [("TG301", f"{APP}/main.tf", 3, "30_app/dev")]
    assert finding.severity is Severity.ERROR
    assert "policy does not allow" in finding.message


def test_unset_or_zero_never_expires_warning(tmp_path: Path) -> None:
    (unset,) = findings("TG301", tmp_path / "unset", stack("30_app", "dev", log_group(None)), tg001="with")
    assert summary([unset]) == [("TG301", f"{APP}/main.tf", 1, "30_app/dev")]
    assert unset.severity is Severity.WARNING
    (zero,) = findings("TG301", tmp_path / "zero", stack("30_app", "dev", log_group("0")), tg001="with")
    assert summary([zero]) == [("TG301", f"{APP}/main.tf", 3, "30_app/dev")]
    assert zero.severity is Severity.WARNING


def test_policy_override_of_allowed_days(tmp_path: Path) -> None:
    write_tree(tmp_path, {".ttgate.yml": "rules:\n  TG301:\n    allowed_days: [14, 2192]\n"})
    assert findings("TG301", tmp_path, stack("30_app", "dev", log_group("2192")), tg001="with") == []
    assert summary(findings("TG301", tmp_path, stack("30_app", "dev", log_group("30")), tg001="with")) == [
        ("TG301", f"{APP}/main.tf", 3, "30_app/dev")
    ]


def test_value_through_variable_tfvars_and_module(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "practice/deploy/components/lambda/main.tf": 'variable "days" {\n  default = 14\n}\n\n'
            'resource "aws_cloudwatch_log_group" "this" {\n  name = "x"\n  retention_in_days = var.days\n}\n',
        },
    )
    main = (
        'variable "api_days" {}\n'
        'module "api" {\n  source = "../../../components/lambda"\n  days = var.api_days\n}\n'
        'module "worker" {\n  source = "../../../components/lambda"\n}\n'
    )
    result = findings(
        "TG301", tmp_path, stack("30_app", "dev", main, terraform__tfvars="api_days = 10\n"), tg001="with"
    )
    assert summary(result) == [("TG301", "practice/deploy/components/lambda/main.tf", 7, "30_app/dev")]
    assert result[0].address == "module.api.aws_cloudwatch_log_group.this"


def test_for_each_log_groups_with_one_bad(tmp_path: Path) -> None:
    main = """
locals {
  days = { a = 14, b = 10, c = 30 }
}

resource "aws_cloudwatch_log_group" "job" {
  for_each          = local.days
  name              = "/aws/lambda/${each.key}"
  retention_in_days = each.value
}
"""
    result = findings("TG301", tmp_path, stack("30_app", "dev", main), tg001="with")
    assert summary(result) == [("TG301", f"{APP}/main.tf", 8, "30_app/dev")]
    assert result[0].address == 'aws_cloudwatch_log_group.job["b"]'


def test_conditional_on_environment(tmp_path: Path) -> None:
    main = 'variable "env" {}\n' + log_group('var.env == "prod" ? 365 : 10')
    assert summary(
        findings(
            "TG301",
            tmp_path / "dev",
            stack("30_app", "dev", main, terraform__tfvars='env = "dev"\n'),
            tg001="with",
        )
    ) == [("TG301", f"{APP}/main.tf", 4, "30_app/dev")]
    assert (
        findings(
            "TG301",
            tmp_path / "prod",
            stack("30_app", "dev", main, terraform__tfvars='env = "prod"\n'),
            tg001="with",
        )
        == []
    )


def test_unknown_retention_is_unverifiable(tmp_path: Path) -> None:
    result = findings(
        "TG301",
        tmp_path,
        stack("30_app", "dev", 'variable "days" {}\n' + log_group("var.days")),
        tg001="with",
    )
    assert summary(result) == [("TG001", f"{APP}/main.tf", 4, "30_app/dev")]
    assert "retention_in_days" in result[0].message
    assert "var.days" in result[0].message


def test_not_a_number_is_an_error(tmp_path: Path) -> None:
    assert summary(
        findings("TG301", tmp_path, stack("30_app", "dev", log_group('"two weeks"')), tg001="with")
    ) == [("TG301", f"{APP}/main.tf", 3, "30_app/dev")]


@pytest.mark.parametrize(
    "retention, expected",
    [
        (10, [("TG301", plans.LOG_GROUP_ADDRESS, "30_app/dev", "error")]),
        (0, [("TG301", plans.LOG_GROUP_ADDRESS, "30_app/dev", "warning")]),
        (None, [("TG301", plans.LOG_GROUP_ADDRESS, "30_app/dev", "warning")]),
        (14, []),
    ],
)
def test_tg301_retention_of_a_new_log_group(
    tmp_path: Path, retention: int | None, expected: list[tuple[str, str, str, str]]
) -> None:
    plan = plans.Plan(environment="dev").resource(plans.LOG_GROUP_ADDRESS, plans.planned_log_group(retention))
    assert by_address(findings("TG301", tmp_path, plans={"30_app/dev": plan}, tg001="with")) == expected


@pytest.mark.parametrize(
    "action, expected",
    [("delete", []), ("no-op", [("TG301", plans.LOG_GROUP_ADDRESS, "30_app/dev", "error")])],
)
def test_tg301_a_log_group_being_deleted_is_not_checked(
    tmp_path: Path, action: str, expected: list[tuple[str, str, str, str]]
) -> None:
    plan = plans.Plan(environment="dev").resource(
        plans.LOG_GROUP_ADDRESS, plans.planned_log_group(2192), action=action
    )  # CloudWatch: yes; policy: no
    assert by_address(findings("TG301", tmp_path, plans={"30_app/dev": plan}, tg001="with")) == expected


@pytest.mark.parametrize(
    "before, after, expected",
    [(14, 10, [("TG301", plans.LOG_GROUP_ADDRESS, "30_app/dev", "error")]), (2192, 14, [])],
)
def test_tg301_an_update_is_checked_on_its_new_value(
    tmp_path: Path, before: int, after: int, expected: list[tuple[str, str, str, str]]
) -> None:
    plan = plans.Plan(environment="dev").resource(
        plans.LOG_GROUP_ADDRESS,
        plans.planned_log_group(after),
        action="update",
        before={"retention_in_days": before},
    )
    assert by_address(findings("TG301", tmp_path, plans={"30_app/dev": plan}, tg001="with")) == expected


@pytest.mark.parametrize("retention", ["-14", '"inf"', "1e309", '"nan"', "1" + "0" * 30, "14.5"])
def test_retention_aws_refuses_is_an_error(tmp_path: Path, retention: str) -> None:
    (finding,) = findings("TG301", tmp_path, stack("30_app", "dev", log_group(retention)), tg001="with")
    assert summary([finding]) == [("TG301", f"{APP}/main.tf", 3, "30_app/dev")]
    assert finding.severity is Severity.ERROR
    assert "not a value AWS accepts: one of 1, 3, 5, 7, 14," in finding.message


@pytest.mark.parametrize("retention", [-14, 10**30, "inf", "nan"])
def test_tg301_plan_retention_aws_refuses(tmp_path: Path, retention: object) -> None:
    plan = plans.Plan(environment="dev").resource(
        plans.LOG_GROUP_ADDRESS, {**plans.planned_log_group(None), "retention_in_days": retention}
    )
    (finding,) = findings("TG301", tmp_path, plans={"30_app/dev": plan}, tg001="with")
    assert (finding.address, finding.severity) == (plans.LOG_GROUP_ADDRESS, Severity.ERROR)
    assert "not a value AWS accepts" in finding.message
