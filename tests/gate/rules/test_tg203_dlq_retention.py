"""TG203 dlq-retention: a DLQ keeps messages 14 days and at least as long as its source queues."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import by_address, expected_on_examples, findings, on_examples, stack, summary, write_tree
from ttgate.gate.rules import RULES
from ttgate.policy import Severity, load_policy

INFRA = "practice/deploy/20_infra/environments/dev"


def queues(dlq_retention: str = "  message_retention_seconds = 1209600\n", source_extra: str = "") -> str:
    """A DLQ (resource on line 1, its retention on line 3) and the main queue that redrives to it."""
    return f"""
resource "aws_sqs_queue" "dlq" {{
  name = "tt-practice-dev-main-dlq"
{dlq_retention}}}

resource "aws_sqs_queue" "main" {{
  name = "tt-practice-dev-main-queue"
{source_extra}
  redrive_policy = jsonencode({{
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 3
  }})
}}
"""


def tg203(root: Path) -> list[tuple[str, str, int, str]]:
    return summary(findings("TG203", root))


def unverifiable(root: Path) -> list[tuple[str, str, int, str]]:
    return summary(findings("TG203", root, tg001="only"))


def test_fourteen_days_passes(tmp_path: Path) -> None:
    write_tree(tmp_path, stack("20_infra", "dev", main=queues()))
    assert tg203(tmp_path) == []
    assert unverifiable(tmp_path) == []


def test_four_days_is_an_error_on_the_retention_line(tmp_path: Path) -> None:
    found = findings(
        "TG203", tmp_path, stack("20_infra", "dev", main=queues("  message_retention_seconds = 345600\n"))
    )
    assert summary(found) == [("TG203", f"{INFRA}/main.tf", 3, "20_infra/dev")]
    assert found[0].severity is Severity.ERROR
    assert found[0].address == "aws_sqs_queue.dlq"
    assert "345,600 s (4 days)" in found[0].message
    assert "1,209,600 s (14 days), the SQS maximum," in found[0].message
    assert "message_retention_seconds = 1209600" in found[0].fix


def test_an_hour_is_shown_as_an_hour_not_as_days(tmp_path: Path) -> None:
    found = findings(
        "TG203", tmp_path, stack("20_infra", "dev", main=queues("  message_retention_seconds = 3600\n"))
    )
    assert "keeps messages 3,600 s (1 hour) but" in found[0].message
    assert "days" not in found[0].message.split(" but ")[0]


def test_unset_retention_is_the_sqs_default_and_reported_on_the_block(tmp_path: Path) -> None:
    found = findings("TG203", tmp_path, stack("20_infra", "dev", main=queues("")))
    assert summary(found) == [("TG203", f"{INFRA}/main.tf", 1, "20_infra/dev")]
    assert "345,600 s (4 days), the SQS default (message_retention_seconds is unset)," in found[0].message


def test_retention_from_tfvars_is_followed(tmp_path: Path) -> None:
    found = findings(
        "TG203",
        tmp_path,
        stack(
            "20_infra",
            "dev",
            main=queues("  message_retention_seconds = var.dlq_retention\n"),
            variables__tf='variable "dlq_retention" {\n  type    = number\n  default = 1209600\n}\n',
            terraform__tfvars="dlq_retention = 604800\n",
        ),
    )
    assert summary(found) == [("TG203", f"{INFRA}/main.tf", 3, "20_infra/dev")]
    assert "604,800 s (7 days)" in found[0].message
    assert any(related.location.file == f"{INFRA}/terraform.tfvars" for related in found[0].related)


def test_queue_named_like_a_dlq_is_checked_even_without_a_source(tmp_path: Path) -> None:
    main = 'resource "aws_sqs_queue" "spare" {\n  name = "tt-practice-dev-spare-dlq"\n}\n'
    write_tree(tmp_path, stack("20_infra", "dev", main=main))
    assert tg203(tmp_path) == [("TG203", f"{INFRA}/main.tf", 1, "20_infra/dev")]


def test_ordinary_queue_is_not_checked(tmp_path: Path) -> None:
    main = 'resource "aws_sqs_queue" "main" {\n  name = "tt-practice-dev-main-queue"\n}\n'
    write_tree(tmp_path, stack("20_infra", "dev", main=main))
    assert tg203(tmp_path) == []


def _lower_requirement(root: Path) -> None:
    """A policy that asks DLQs for only 4 days, so that the source-queue comparison decides."""
    write_tree(root, {".ttgate.yml": "rules:\n  TG203:\n    retention_seconds: 345600\n"})


def test_dlq_shorter_than_its_standard_source_is_an_error(tmp_path: Path) -> None:
    _lower_requirement(tmp_path)
    found = findings(
        "TG203",
        tmp_path,
        stack(
            "20_infra",
            "dev",
            main=queues("  message_retention_seconds = 345600\n", "  message_retention_seconds = 1209600\n"),
        ),
    )
    assert summary(found) == [("TG203", f"{INFRA}/main.tf", 3, "20_infra/dev")]
    assert "shorter than its source queue tt-practice-dev-main-queue" in found[0].message
    assert "original enqueue timestamp" in found[0].message
    assert "message_retention_seconds = 1209600" in found[0].fix


def test_dlq_as_long_as_its_source_passes(tmp_path: Path) -> None:
    _lower_requirement(tmp_path)
    write_tree(
        tmp_path,
        stack(
            "20_infra",
            "dev",
            main=queues("  message_retention_seconds = 345600\n", "  message_retention_seconds = 345600\n"),
        ),
    )
    assert tg203(tmp_path) == []


def test_fifo_source_restarts_the_clock_so_only_the_minimum_applies(tmp_path: Path) -> None:
    _lower_requirement(tmp_path)
    main = queues(
        "  message_retention_seconds = 345600\n  fifo_queue = true\n",
        "  message_retention_seconds = 1209600\n  fifo_queue = true\n",
    )
    main = main.replace('-dlq"', '-dlq.fifo"').replace('-queue"', '-queue.fifo"')
    write_tree(tmp_path, stack("20_infra", "dev", main=main))
    assert tg203(tmp_path) == []


def test_separate_redrive_policy_resource_makes_a_dlq(tmp_path: Path) -> None:
    main = """
resource "aws_sqs_queue" "failed" {
  name                      = "tt-practice-dev-failed"
  message_retention_seconds = 86400
}

resource "aws_sqs_queue" "main" {
  name = "tt-practice-dev-main-queue"
}

resource "aws_sqs_queue_redrive_policy" "main" {
  queue_url = aws_sqs_queue.main.id
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.failed.arn
    maxReceiveCount     = 3
  })
}
"""
    write_tree(tmp_path, stack("20_infra", "dev", main=main))
    assert tg203(tmp_path) == [("TG203", f"{INFRA}/main.tf", 3, "20_infra/dev")]


def test_dlq_in_a_local_module_with_retention_from_the_module_argument(tmp_path: Path) -> None:
    module = """
variable "dlq_retention" {
  type    = number
  default = 1209600
}

resource "aws_sqs_queue" "dlq" {
  name                      = "tt-practice-dev-jobs-dlq"
  message_retention_seconds = var.dlq_retention
}
"""
    main = """
module "jobs" {
  source        = "../../modules/sqs"
  dlq_retention = 172800
}
"""
    found = findings(
        "TG203",
        tmp_path,
        {**stack("20_infra", "dev", main=main), "practice/deploy/20_infra/modules/sqs/main.tf": module},
    )
    assert summary(found) == [("TG203", "practice/deploy/20_infra/modules/sqs/main.tf", 8, "20_infra/dev")]
    assert found[0].address == "module.jobs.aws_sqs_queue.dlq"
    assert any(
        related.location.file == f"{INFRA}/main.tf" and related.location.line == 3
        for related in found[0].related
    )


def test_each_counted_dlq_is_checked(tmp_path: Path) -> None:
    main = """
resource "aws_sqs_queue" "dlq" {
  count                     = 2
  name                      = "tt-practice-dev-shard${count.index}-dlq"
  message_retention_seconds = count.index == 0 ? 1209600 : 345600
}
"""
    found = findings("TG203", tmp_path, stack("20_infra", "dev", main=main))
    assert [f.address for f in found] == ["aws_sqs_queue.dlq[1]"]
    assert summary(found) == [("TG203", f"{INFRA}/main.tf", 4, "20_infra/dev")]


def test_unknown_retention_is_unverifiable(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        stack(
            "20_infra",
            "dev",
            main=queues("  message_retention_seconds = var.dlq_retention\n"),
            variables__tf='variable "dlq_retention" {\n  type = number\n}\n',
        ),
    )
    assert tg203(tmp_path) == []
    found = findings("TG203", tmp_path, tg001="only")
    assert summary(found) == [("TG001", f"{INFRA}/main.tf", 3, "20_infra/dev")]
    assert "var.dlq_retention" in found[0].message


def test_unknown_redrive_target_is_unverifiable(tmp_path: Path) -> None:
    main = queues().replace("aws_sqs_queue.dlq.arn", "var.dlq_arn")
    write_tree(
        tmp_path,
        stack(
            "20_infra",
            "dev",
            main=main.replace('"tt-practice-dev-main-dlq"', '"x"'),
            variables__tf='variable "dlq_arn" {\n  type = string\n}\n',
        ),
    )
    assert tg203(tmp_path) == []
    assert unverifiable(tmp_path) == [("TG001", f"{INFRA}/main.tf", 9, "20_infra/dev")]


def test_examples() -> None:
    assert on_examples("TG203", "passing") == set()
    expected = expected_on_examples("TG203")
    assert len(expected) == 1  # the events DLQ in dev
    assert on_examples("TG203", "failing") == expected


def dlq_plan(retention: object) -> plans.Plan:
    """20_infra/dev: the orders queue (existing) redriving to its DLQ, which keeps ``retention``."""
    return (
        plans.Plan(environment="dev")
        .resource(
            "aws_sqs_queue.orders_dlq",
            plans.queue(plans.DLQ, message_retention_seconds=retention),
            action="no-op",
        )
        .resource(
            "aws_sqs_queue.orders",
            plans.queue(plans.QUEUE, redrive_policy=plans.redrive(plans.DLQ)),
            action="no-op",
        )
    )


@pytest.mark.parametrize("retention, fails", [(345600, True), (1209600, False)])
def test_tg203_dlq_retention(tmp_path: Path, retention: int, fails: bool) -> None:
    found = findings("TG203", tmp_path, plans={"20_infra/dev": dlq_plan(retention)}, tg001="with")
    assert by_address(found) == (
        [("TG203", "aws_sqs_queue.orders_dlq", "20_infra/dev", "error")] if fails else []
    )


@pytest.mark.parametrize("source_retention, fails", [(604800, True), (345600, False)])
def test_tg203_dlq_shorter_than_its_source(tmp_path: Path, source_retention: int, fails: bool) -> None:
    # A team that keeps DLQ messages 4 days: only the comparison with the source queue can fail.
    _lower_requirement(tmp_path)
    infra = plans.orders_with_dlq(345600, message_retention_seconds=source_retention)
    found = findings(
        "TG203",
        tmp_path,
        plans={"20_infra/dev": infra},
        policy=load_policy(RULES, explicit=tmp_path / ".ttgate.yml"),
        tg001="with",
    )
    assert by_address(found) == (
        [("TG203", "aws_sqs_queue.orders_dlq", "20_infra/dev", "error")] if fails else []
    )
    if fails:
        [finding] = [f for f in found if f.rule == "TG203"]
        assert f"shorter than its source queue {plans.QUEUE}" in finding.message


@pytest.mark.parametrize("retention, fails", [(345600, True), (1209600, False)])
def test_tg203_new_dlq_in_a_module_reached_through_its_output(
    tmp_path: Path, retention: int, fails: bool
) -> None:
    orders = plans.queue(plans.QUEUE)
    del orders["redrive_policy"]  # unknown: it will hold the new DLQ's ARN
    infra = (
        plans.Plan(environment="dev")
        .resource(
            "module.orders_dlq.aws_sqs_queue.this",
            {"name": plans.DLQ, "message_retention_seconds": retention},
            unknown=["url"],
            config={"name": plans.DLQ, "message_retention_seconds": retention},
        )
        .module_output("orders_dlq", "arn", plans.ref("aws_sqs_queue.this.arn"))
        .resource(
            "aws_sqs_queue.orders",
            orders,
            action="update",
            before={"redrive_policy": ""},
            unknown=["redrive_policy"],
            config={"redrive_policy": plans.ref("module.orders_dlq.arn")},
        )
    )
    found = findings("TG203", tmp_path, plans={"20_infra/dev": infra}, tg001="with")
    assert by_address(found) == (
        [("TG203", "module.orders_dlq.aws_sqs_queue.this", "20_infra/dev", "error")] if fails else []
    )


@pytest.mark.parametrize("retention", ["59", "1209601", '"inf"', "1e309", '"nan"', "1" + "0" * 30, "-1"])
def test_dlq_retention_aws_refuses_is_an_error(tmp_path: Path, retention: str) -> None:
    main = queues(f"  message_retention_seconds = {retention}\n")
    found = findings("TG203", tmp_path, stack("20_infra", "dev", main=main), tg001="with")
    assert summary(found) == [("TG203", f"{INFRA}/main.tf", 3, "20_infra/dev")]
    assert found[0].severity is Severity.ERROR
    assert "not a value AWS accepts (a whole number from 60 to 1209600 s)" in found[0].message


def test_source_retention_aws_refuses_is_an_error_on_the_source(tmp_path: Path) -> None:
    main = queues("  message_retention_seconds = 1209600\n", '  message_retention_seconds = "inf"\n')
    found = findings("TG203", tmp_path, stack("20_infra", "dev", main=main), tg001="with")
    assert [(f.address, f.severity) for f in found] == [("aws_sqs_queue.main", Severity.ERROR)]
    assert "not a value AWS accepts" in found[0].message


@pytest.mark.parametrize("retention", [1209601, 10**30, "inf", "nan", 30])
def test_tg203_plan_dlq_retention_aws_refuses(tmp_path: Path, retention: object) -> None:
    found = findings("TG203", tmp_path, plans={"20_infra/dev": dlq_plan(retention)}, tg001="with")
    assert by_address(found) == [("TG203", "aws_sqs_queue.orders_dlq", "20_infra/dev", "error")]
    assert "not a value AWS accepts" in found[0].message
