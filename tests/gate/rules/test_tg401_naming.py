"""TG401 naming: Lambda functions, queues, DLQs and Lambda log groups follow the runbook's names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import EXAMPLES, by_address, findings, stack, summary, write_tree
from ttgate.policy import Severity

APP = "practice/deploy/30_app/environments/dev"
INFRA = "practice/deploy/20_infra/environments/dev"

GOOD = """
resource "aws_lambda_function" "worker" {
  function_name = "tt-practice-dev-api-server2"
}

resource "aws_cloudwatch_log_group" "worker" {
  name = "/aws/lambda/tt-practice-dev-api-server2"
}

resource "aws_cloudwatch_log_group" "ecs" {
  name = "/ecs/anything_goes"
}

resource "aws_sqs_queue" "dlq" {
  name = "tt-practice-dev-main-dlq"
}

resource "aws_sqs_queue" "main" {
  name = "tt-practice-dev-main-queue"
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 3
  })
}

resource "aws_sqs_queue" "orders" {
  name       = "tt-practice-dev-orders-queue.fifo"
  fifo_queue = true
}
"""


def tg401(root: Path) -> list[tuple[str, str, int, str]]:
    return summary(findings("TG401", root))


def one(name: str, resource: str = "aws_lambda_function", attribute: str = "function_name") -> str:
    return f'resource "{resource}" "x" {{\n  {attribute} = "{name}"\n}}\n'


def test_runbook_names_pass(tmp_path: Path) -> None:
    write_tree(tmp_path, stack("30_app", "dev", main=GOOD))
    assert tg401(tmp_path) == []


def test_lambda_name_with_underscore_is_a_warning_on_the_name_line(tmp_path: Path) -> None:
    found = findings("TG401", tmp_path, stack("30_app", "dev", main=one("tt-practice-dev-api_server")))
    assert summary(found) == [("TG401", f"{APP}/main.tf", 2, "30_app/dev")]
    assert found[0].severity is Severity.WARNING
    assert "tt-practice-dev-<name>" in found[0].message
    assert 'Rename it to "tt-practice-dev-api-server"' in found[0].fix


def test_lambda_name_without_project_and_env(tmp_path: Path) -> None:
    found = findings("TG401", tmp_path, stack("30_app", "dev", main=one("worker")))
    assert summary(found) == [("TG401", f"{APP}/main.tf", 2, "30_app/dev")]
    assert '"tt-practice-dev-worker"' in found[0].fix


def test_name_of_another_environment_is_called_out(tmp_path: Path) -> None:
    found = findings("TG401", tmp_path, stack("30_app", "dev", main=one("tt-practice-prod-worker")))
    assert summary(found) == [("TG401", f"{APP}/main.tf", 2, "30_app/dev")]
    assert "names environment prod" in found[0].message
    assert '"tt-practice-dev-worker"' in found[0].fix


def test_queue_needs_the_queue_suffix(tmp_path: Path) -> None:
    found = findings(
        "TG401", tmp_path, stack("20_infra", "dev", main=one("tt-practice-dev-jobs", "aws_sqs_queue", "name"))
    )
    assert summary(found) == [("TG401", f"{INFRA}/main.tf", 2, "20_infra/dev")]
    assert "tt-practice-dev-<name>-queue" in found[0].message
    assert '"tt-practice-dev-jobs-queue"' in found[0].fix


def test_redrive_target_must_be_named_as_a_dlq(tmp_path: Path) -> None:
    main = GOOD.replace('"tt-practice-dev-main-dlq"', '"tt-practice-dev-main-failed-queue"')
    found = findings("TG401", tmp_path, stack("20_infra", "dev", main=main))
    assert summary(found) == [("TG401", f"{INFRA}/main.tf", 14, "20_infra/dev")]
    assert "Dead-letter queue" in found[0].message
    assert '"tt-practice-dev-main-failed-dlq"' in found[0].fix


def test_fifo_suffix_is_allowed_only_after_the_pattern(tmp_path: Path) -> None:
    good = one("tt-practice-dev-a-queue.fifo", "aws_sqs_queue", "name")
    write_tree(tmp_path / "ok", stack("20_infra", "dev", main=good))
    assert tg401(tmp_path / "ok") == []
    bad = one("tt-practice-dev-a.fifo", "aws_sqs_queue", "name")
    found = findings("TG401", tmp_path / "bad", stack("20_infra", "dev", main=bad))
    assert summary(found) == [("TG401", f"{INFRA}/main.tf", 2, "20_infra/dev")]
    assert '"tt-practice-dev-a-queue.fifo"' in found[0].fix


def test_unnamed_queue_is_reported_on_its_block(tmp_path: Path) -> None:
    main = 'resource "aws_sqs_queue" "x" {\n  name_prefix = "jobs"\n}\n'
    found = findings("TG401", tmp_path, stack("20_infra", "dev", main=main))
    assert summary(found) == [("TG401", f"{INFRA}/main.tf", 1, "20_infra/dev")]
    assert "sets no name" in found[0].message


def test_lambda_log_group_must_name_a_function_that_follows_the_pattern(tmp_path: Path) -> None:
    main = one("/aws/lambda/worker", "aws_cloudwatch_log_group", "name")
    found = findings("TG401", tmp_path, stack("30_app", "dev", main=main))
    assert summary(found) == [("TG401", f"{APP}/main.tf", 2, "30_app/dev")]
    assert '"/aws/lambda/tt-practice-dev-worker"' in found[0].fix


def test_alarm_names_are_left_to_tg204(tmp_path: Path) -> None:
    main = one("whatever", "aws_cloudwatch_metric_alarm", "alarm_name")
    write_tree(tmp_path, stack("20_infra", "dev", main=main))
    assert tg401(tmp_path) == []


def test_names_from_tfvars_and_the_stack_env(tmp_path: Path) -> None:
    main = (
        'resource "aws_lambda_function" "w" {\n'
        '  function_name = "${var.project}-${var.environment}-worker"\n}\n'
    )
    variables = 'variable "project" {}\nvariable "environment" {}\n'
    write_tree(
        tmp_path / "ok",
        stack(
            "30_app",
            "prod",
            main=main,
            variables__tf=variables,
            terraform__tfvars='project = "tt-practice"\nenvironment = "prod"\n',
        ),
    )
    assert tg401(tmp_path / "ok") == []
    found = findings(
        "TG401",
        tmp_path / "bad",
        stack(
            "30_app",
            "prod",
            main=main,
            variables__tf=variables,
            terraform__tfvars='project = "tt-practice"\nenvironment = "live"\n',
        ),
    )
    prod = "practice/deploy/30_app/environments/prod/main.tf"
    assert summary(found) == [("TG401", prod, 2, "30_app/prod")]
    assert any(r.location.file.endswith("terraform.tfvars") for r in found[0].related)


def test_queue_in_a_local_module_named_from_the_module_argument(tmp_path: Path) -> None:
    module = """
variable "name" {
  type = string
}

resource "aws_sqs_queue" "main" {
  name = "tt-practice-dev-${var.name}-queue"
}
"""
    main = """
module "good" {
  source = "../../modules/sqs"
  name   = "jobs"
}

module "bad" {
  source = "../../modules/sqs"
  name   = "Jobs_Main"
}
"""
    found = findings(
        "TG401",
        tmp_path,
        {**stack("20_infra", "dev", main=main), "practice/deploy/20_infra/modules/sqs/main.tf": module},
    )
    assert summary(found) == [("TG401", "practice/deploy/20_infra/modules/sqs/main.tf", 6, "20_infra/dev")]
    assert found[0].address == "module.bad.aws_sqs_queue.main"
    assert '"tt-practice-dev-jobs-main-queue"' in found[0].fix


def test_counted_resources_are_each_checked(tmp_path: Path) -> None:
    main = """
resource "aws_lambda_function" "shard" {
  count         = 3
  function_name = count.index == 2 ? "tt-practice-dev-Shard2" : "tt-practice-dev-shard${count.index}"
}
"""
    found = findings("TG401", tmp_path, stack("30_app", "dev", main=main))
    assert [f.address for f in found] == ["aws_lambda_function.shard[2]"]
    assert summary(found) == [("TG401", f"{APP}/main.tf", 3, "30_app/dev")]


def test_unknown_name_is_unverifiable(tmp_path: Path) -> None:
    main = 'resource "aws_sqs_queue" "x" {\n  name = "${var.prefix}-queue"\n}\n'
    write_tree(tmp_path, stack("20_infra", "dev", main=main, variables__tf='variable "prefix" {}\n'))
    assert tg401(tmp_path) == []
    found = findings("TG401", tmp_path, tg001="only")
    assert summary(found) == [("TG001", f"{INFRA}/main.tf", 2, "20_infra/dev")]


def test_stack_without_environment_is_skipped(tmp_path: Path) -> None:
    files = stack("30_app", "dev", main=one("worker"))
    sandbox = {
        name.replace("practice/deploy/30_app/environments/dev", "sandbox"): text
        for name, text in files.items()
    }
    write_tree(tmp_path, sandbox)
    assert tg401(tmp_path) == []
    assert findings("TG401", tmp_path, tg001="only") == []


def test_project_comes_from_the_policy(tmp_path: Path) -> None:
    found = findings(
        "TG401",
        tmp_path,
        {
            ".ttgate.yml": "project: acme\n",
            **stack(
                "30_app", "dev", main=one("tt-practice-dev-worker") + GOOD.replace("tt-practice", "acme")
            ),
        },
    )
    assert summary(found) == [("TG401", f"{APP}/main.tf", 2, "30_app/dev")]
    assert "acme-dev-<name>" in found[0].message


def test_examples_have_no_naming_findings() -> None:
    for example in ("passing", "failing"):
        assert summary(findings("TG401", EXAMPLES / example, tg001="with")) == [], example


@pytest.mark.parametrize(
    "label, address, attribute, name, fails",
    [
        ("30_app/dev", "aws_lambda_function.order_processor", "function_name", "OrderProcessor", True),
        ("30_app/dev", "aws_lambda_function.order_processor", "function_name", plans.FUNCTION, False),
        ("20_infra/dev", "aws_sqs_queue.orders", "name", "orders", True),
        ("20_infra/dev", "aws_sqs_queue.orders", "name", plans.QUEUE, False),
        ("30_app/dev", plans.LOG_GROUP_ADDRESS, "name", "/aws/lambda/order_processor_dev", True),
        ("30_app/dev", plans.LOG_GROUP_ADDRESS, "name", plans.LOG_GROUP, False),
    ],
)
def test_tg401_names_in_plans(
    tmp_path: Path, label: str, address: str, attribute: str, name: str, fails: bool
) -> None:
    plan = plans.Plan(environment="dev").resource(address, {attribute: name}, config={attribute: name})
    found = findings("TG401", tmp_path, plans={label: plan}, tg001="with")
    assert by_address(found) == ([("TG401", address, label, "warning")] if fails else [])


@pytest.mark.parametrize("name, fails", [("orders-dead-letters", True), (plans.DLQ, False)])
def test_tg401_a_redrive_target_is_named_as_a_dlq(tmp_path: Path, name: str, fails: bool) -> None:
    infra = (
        plans.Plan(environment="dev")
        .resource(
            "aws_sqs_queue.orders_dlq", plans.queue(name, message_retention_seconds=1209600), action="no-op"
        )
        .resource(
            "aws_sqs_queue.orders",
            plans.queue(plans.QUEUE, redrive_policy=plans.redrive(name)),
            action="no-op",
        )
    )
    found = findings("TG401", tmp_path, plans={"20_infra/dev": infra}, tg001="with")
    assert by_address(found) == (
        [("TG401", "aws_sqs_queue.orders_dlq", "20_infra/dev", "warning")] if fails else []
    )
    if fails:
        [finding] = [f for f in found if f.rule == "TG401"]
        assert finding.message.startswith('Dead-letter queue name "orders-dead-letters"')
