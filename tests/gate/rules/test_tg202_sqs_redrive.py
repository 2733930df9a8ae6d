"""TG202 sqs-redrive: a Lambda-consumed queue has a redrive policy to a DLQ, maxReceiveCount 3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import by_address, expected_on_examples, findings, on_examples, stack, summary, write_tree
from tests.snippets import REMOTE_QUEUE_ARN, WORKER, event_source_mapping, remote_state
from ttgate.policy import Severity

INFRA = "practice/deploy/20_infra/environments/dev"
APP = "practice/deploy/30_app/environments/dev"

DLQ = """
resource "aws_sqs_queue" "dlq" {
  name                      = "tt-practice-dev-main-dlq"
  message_retention_seconds = 1209600
}
"""

CONSUMER = WORKER + event_source_mapping("aws_sqs_queue.main.arn")

REMOTE_STATE = remote_state() + WORKER + event_source_mapping(REMOTE_QUEUE_ARN)


def queue(redrive: str = "") -> str:
    """The main queue (lines 1-…), with an optional redrive_policy starting on line 5."""
    return f"""
resource "aws_sqs_queue" "main" {{
  name                       = "tt-practice-dev-main-queue"
  visibility_timeout_seconds = 360

{redrive}
}}
"""


REDRIVE_3 = """  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 3
  })"""


def tg202(root: Path) -> list[tuple[str, str, int, str]]:
    return summary(findings("TG202", root))


def unverifiable(root: Path) -> list[tuple[str, str, int, str]]:
    return summary(findings("TG202", root, tg001="only"))


def test_redrive_to_a_dlq_with_three_receives_passes(tmp_path: Path) -> None:
    write_tree(tmp_path, stack("20_infra", "dev", main=queue(REDRIVE_3) + DLQ + CONSUMER))
    assert tg202(tmp_path) == []
    assert unverifiable(tmp_path) == []


def test_consumed_queue_without_redrive_policy_is_an_error_on_the_queue(tmp_path: Path) -> None:
    found = findings("TG202", tmp_path, stack("20_infra", "dev", main=queue() + CONSUMER))
    assert summary(found) == [("TG202", f"{INFRA}/main.tf", 1, "20_infra/dev")]
    finding = found[0]
    assert finding.severity is Severity.ERROR
    assert finding.address == "aws_sqs_queue.main"
    assert "tt-practice-dev-main-queue" in finding.message
    assert "no redrive policy" in finding.message
    assert "maxReceiveCount = 3" in finding.fix


def test_queue_nobody_consumes_needs_no_redrive(tmp_path: Path) -> None:
    write_tree(tmp_path, stack("20_infra", "dev", main=queue()))
    assert tg202(tmp_path) == []


def test_every_redrive_policy_has_the_runbooks_count_consumed_or_not(tmp_path: Path) -> None:
    redrive = REDRIVE_3.replace("maxReceiveCount     = 3", "maxReceiveCount     = 10")
    found = findings("TG202", tmp_path, stack("20_infra", "dev", main=queue(redrive) + DLQ))
    assert summary(found) == [("TG202", f"{INFRA}/main.tf", 5, "20_infra/dev")]
    assert found[0].severity is Severity.WARNING


def test_an_unknown_count_on_a_queue_nobody_consumes_is_left_alone(tmp_path: Path) -> None:
    redrive = REDRIVE_3.replace("maxReceiveCount     = 3", "maxReceiveCount     = var.count")
    write_tree(tmp_path, stack("20_infra", "dev", main=queue(redrive) + DLQ + 'variable "count" {}\n'))
    assert tg202(tmp_path) == []
    assert unverifiable(tmp_path) == []


DLQ_ARN = "${aws_sqs_queue.dlq.arn}"


@pytest.mark.parametrize(
    "redrive",
    [
        # a heredoc, as serverless-patterns writes it
        '  redrive_policy = <<EOF\n{"deadLetterTargetArn": "' + DLQ_ARN + '", "maxReceiveCount": 10}\nEOF',
        # a JSON string template
        '  redrive_policy = "{\\"deadLetterTargetArn\\": \\"' + DLQ_ARN + '\\", \\"maxReceiveCount\\": 10}"',
    ],
    ids=["heredoc", "string"],
)
def test_a_redrive_policy_written_as_json_text_is_read(tmp_path: Path, redrive: str) -> None:
    assert [
        (f.rule, f.severity)
        for f in findings("TG202", tmp_path, stack("20_infra", "dev", main=queue(redrive) + DLQ + CONSUMER))
    ] == [("TG202", Severity.WARNING)]
    assert unverifiable(tmp_path) == []
    # the DLQ behind the text is known: it needs its alarm
    assert [f.address for f in findings("TG204", tmp_path)] == ["aws_sqs_queue.dlq"]


def test_a_stream_consumer_is_not_an_sqs_consumer(tmp_path: Path) -> None:
    stream = """
variable "stream_arn" {}

resource "aws_lambda_function" "worker" {
  function_name = "tt-practice-dev-worker"
}

resource "aws_lambda_event_source_mapping" "stream" {
  event_source_arn  = var.stream_arn
  function_name     = aws_lambda_function.worker.function_name
  starting_position = "LATEST"
}
"""
    assert [
        f
        for f in findings("TG001", tmp_path, stack("30_app", "dev", main=stream))
        if f.message.startswith(("TG201", "TG202"))
    ] == []


def test_other_max_receive_count_from_tfvars_is_a_warning_on_the_redrive_policy_line(tmp_path: Path) -> None:
    redrive = REDRIVE_3.replace("maxReceiveCount     = 3", "maxReceiveCount     = var.max_receive_count")
    found = findings(
        "TG202",
        tmp_path,
        stack(
            "20_infra",
            "dev",
            main=queue(redrive) + DLQ + CONSUMER,
            variables__tf='variable "max_receive_count" {\n  type    = number\n  default = 3\n}\n',
            terraform__tfvars="max_receive_count = 10\n",
        ),
    )
    assert summary(found) == [("TG202", f"{INFRA}/main.tf", 5, "20_infra/dev")]
    assert found[0].severity is Severity.WARNING
    assert "maxReceiveCount = 10" in found[0].message
    assert "Set maxReceiveCount = 3" in found[0].fix
    assert any("terraform.tfvars" in related.location.file for related in found[0].related)


def test_missing_max_receive_count_is_an_error(tmp_path: Path) -> None:
    redrive = "  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn })"
    found = findings("TG202", tmp_path, stack("20_infra", "dev", main=queue(redrive) + DLQ + CONSUMER))
    assert summary(found) == [("TG202", f"{INFRA}/main.tf", 5, "20_infra/dev")]
    assert found[0].severity is Severity.ERROR
    assert "no maxReceiveCount" in found[0].message


def test_target_that_is_not_a_queue_is_an_error(tmp_path: Path) -> None:
    redrive = (
        "  redrive_policy = jsonencode({ deadLetterTargetArn = "
        '"arn:aws:sns:ap-southeast-1:123456789012:t", maxReceiveCount = 3 })'
    )
    found = findings("TG202", tmp_path, stack("20_infra", "dev", main=queue(redrive) + CONSUMER))
    assert summary(found) == [("TG202", f"{INFRA}/main.tf", 5, "20_infra/dev")]
    assert "not an SQS queue ARN" in found[0].message


def test_literal_arn_of_a_queue_outside_the_check_is_accepted(tmp_path: Path) -> None:
    redrive = (
        "  redrive_policy = jsonencode({ deadLetterTargetArn = "
        '"arn:aws:sqs:ap-southeast-1:123456789012:shared-dlq", maxReceiveCount = 3 })'
    )
    write_tree(tmp_path, stack("20_infra", "dev", main=queue(redrive) + CONSUMER))
    assert tg202(tmp_path) == []


def test_separate_redrive_policy_resource_counts(tmp_path: Path) -> None:
    separate = """
resource "aws_sqs_queue_redrive_policy" "main" {
  queue_url = aws_sqs_queue.main.id
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  })
}
"""
    found = findings("TG202", tmp_path, stack("20_infra", "dev", main=queue() + DLQ + CONSUMER + separate))
    line = (queue() + DLQ + CONSUMER).lstrip("\n").count("\n") + 4
    assert summary(found) == [("TG202", f"{INFRA}/main.tf", line, "20_infra/dev")]
    assert found[0].address == "aws_sqs_queue_redrive_policy.main"
    assert found[0].severity is Severity.WARNING


def test_queue_in_a_local_module_reports_the_module_line_with_the_module_argument(tmp_path: Path) -> None:
    module = """
variable "max_receive_count" {
  type = number
}

resource "aws_sqs_queue" "dlq" {
  name = "tt-practice-dev-jobs-dlq"
}

resource "aws_sqs_queue" "main" {
  name = "tt-practice-dev-jobs-queue"
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
}

output "queue_arn" {
  value = aws_sqs_queue.main.arn
}
"""
    main = """
module "jobs" {
  source            = "../../modules/sqs"
  max_receive_count = 1
}

resource "aws_lambda_function" "worker" {
  function_name = "tt-practice-dev-worker"
}

resource "aws_lambda_event_source_mapping" "worker" {
  event_source_arn = module.jobs.queue_arn
  function_name    = aws_lambda_function.worker.function_name
}
"""
    found = findings(
        "TG202",
        tmp_path,
        {**stack("20_infra", "dev", main=main), "practice/deploy/20_infra/modules/sqs/main.tf": module},
    )
    module_file = "practice/deploy/20_infra/modules/sqs/main.tf"
    assert summary(found) == [("TG202", module_file, 11, "20_infra/dev")]
    assert found[0].address == "module.jobs.aws_sqs_queue.main"
    assert "single transient failure" in found[0].message
    assert any(related.location.file == f"{INFRA}/main.tf" for related in found[0].related)


def test_each_counted_queue_is_checked(tmp_path: Path) -> None:
    main = """
resource "aws_sqs_queue" "shard" {
  count = 2
  name  = "tt-practice-dev-shard${count.index}-queue"
}

resource "aws_lambda_function" "worker" {
  function_name = "tt-practice-dev-worker"
}

resource "aws_lambda_event_source_mapping" "shard" {
  count            = 2
  event_source_arn = aws_sqs_queue.shard[count.index].arn
  function_name    = aws_lambda_function.worker.function_name
}
"""
    found = findings("TG202", tmp_path, stack("20_infra", "dev", main=main))
    assert sorted(f.address for f in found) == ["aws_sqs_queue.shard[0]", "aws_sqs_queue.shard[1]"]
    assert {(f.location.file, f.location.line) for f in found if f.location} == {(f"{INFRA}/main.tf", 1)}


def test_unknown_max_receive_count_is_unverifiable(tmp_path: Path) -> None:
    redrive = REDRIVE_3.replace("maxReceiveCount     = 3", "maxReceiveCount     = var.max_receive_count")
    write_tree(
        tmp_path,
        stack(
            "20_infra",
            "dev",
            main=queue(redrive) + DLQ + CONSUMER,
            variables__tf='variable "max_receive_count" {\n  type = number\n}\n',
        ),
    )
    assert tg202(tmp_path) == []
    found = findings("TG202", tmp_path, tg001="only")
    assert summary(found) == [("TG001", f"{INFRA}/main.tf", 5, "20_infra/dev")]
    assert "maxReceiveCount" in found[0].message
    assert "var.max_receive_count" in found[0].message


def test_unknown_dead_letter_target_is_unverifiable(tmp_path: Path) -> None:
    redrive = REDRIVE_3.replace("aws_sqs_queue.dlq.arn", "var.dlq_arn")
    write_tree(
        tmp_path,
        stack(
            "20_infra",
            "dev",
            main=queue(redrive) + CONSUMER,
            variables__tf='variable "dlq_arn" {\n  type = string\n}\n',
        ),
    )
    assert tg202(tmp_path) == []
    assert unverifiable(tmp_path) == [("TG001", f"{INFRA}/main.tf", 5, "20_infra/dev")]


def test_cross_stack_consumer_through_remote_state(tmp_path: Path) -> None:
    output = 'output "main_queue_arn" {\n  value = aws_sqs_queue.main.arn\n}\n'
    found = findings(
        "TG202",
        tmp_path,
        {
            **stack("20_infra", "dev", main=queue(), outputs__tf=output),
            **stack("30_app", "dev", main=REMOTE_STATE),
        },
    )
    assert summary(found) == [("TG202", f"{INFRA}/main.tf", 1, "20_infra/dev")]
    assert "aws_lambda_event_source_mapping.worker in 30_app/dev" in found[0].message
    assert [related.location.file for related in found[0].related] == [f"{APP}/main.tf"]


def test_cross_stack_consumer_of_a_queue_with_redrive_passes(tmp_path: Path) -> None:
    output = 'output "main_queue_arn" {\n  value = aws_sqs_queue.main.arn\n}\n'
    write_tree(
        tmp_path,
        {
            **stack("20_infra", "dev", main=queue(REDRIVE_3) + DLQ, outputs__tf=output),
            **stack("30_app", "dev", main=REMOTE_STATE),
        },
    )
    assert tg202(tmp_path) == []
    assert unverifiable(tmp_path) == []


def test_examples() -> None:
    assert on_examples("TG202", "passing") == set()
    assert on_examples("TG202", "failing") == expected_on_examples("TG202") == set()


@pytest.mark.parametrize("has_redrive", [False, True], ids=["no redrive policy", "redrive policy"])
def test_tg202_consumed_queue_without_redrive_policy(tmp_path: Path, has_redrive: bool) -> None:
    redrive = plans.redrive(plans.DLQ) if has_redrive else ""
    infra = plans.orders_with_dlq(visibility_timeout_seconds=60, redrive_policy=redrive)
    found = findings(
        "TG202",
        tmp_path,
        plans={"20_infra/dev": infra, "30_app/dev": plans.app_plan(plans.sqs_arn(plans.QUEUE))},
        tg001="with",
    )
    assert by_address(found) == (
        [] if has_redrive else [("TG202", "aws_sqs_queue.orders", "20_infra/dev", "error")]
    )


@pytest.mark.parametrize(
    "count, expected", [(5, [("TG202", "aws_sqs_queue.orders", "20_infra/dev", "warning")]), (3, [])]
)
def test_tg202_max_receive_count(
    tmp_path: Path, count: int, expected: list[tuple[str, str, str, str]]
) -> None:
    infra = plans.orders_with_dlq(
        visibility_timeout_seconds=60, redrive_policy=plans.redrive(plans.DLQ, count)
    )
    found = findings(
        "TG202",
        tmp_path,
        plans={"20_infra/dev": infra, "30_app/dev": plans.app_plan(plans.sqs_arn(plans.QUEUE))},
        tg001="with",
    )
    assert by_address(found) == expected


@pytest.mark.parametrize("known", [False, True], ids=["redrive unknown", "redrive known"])
def test_tg202_redrive_policy_unknown_until_apply_still_finds_its_new_dlq(
    tmp_path: Path, known: bool
) -> None:
    """The existing queue gets a redrive policy to a new DLQ: the policy is unknown (it holds the new
    ARN), so maxReceiveCount cannot be read (TG001), but the configuration names the DLQ, which is checked."""
    orders = plans.queue(plans.QUEUE, visibility_timeout_seconds=60)
    if known:
        orders["redrive_policy"] = plans.redrive(plans.DLQ)
    else:
        del orders["redrive_policy"]
    infra = (
        plans.Plan(environment="dev")
        .resource(
            "aws_sqs_queue.orders_dlq",
            {"name": plans.DLQ, "message_retention_seconds": 345600},
            unknown=["url"],
            config={"name": plans.ref("var.project", "var.environment"), "message_retention_seconds": 345600},
        )
        .resource(
            "aws_sqs_queue.orders",
            orders,
            action="update",
            before={"redrive_policy": ""},
            unknown=[] if known else ["redrive_policy"],
            config={"redrive_policy": plans.ref("aws_sqs_queue.orders_dlq.arn")},
        )
    )
    by_label = {"20_infra/dev": infra, "30_app/dev": plans.app_plan(plans.sqs_arn(plans.QUEUE))}
    # every TG001, whichever rule raised it, then the findings of the three SQS rules
    found = [
        f for rule in ("TG001", "TG202", "TG203", "TG204") for f in findings(rule, tmp_path, plans=by_label)
    ]
    dlq_findings = [
        ("TG203", "aws_sqs_queue.orders_dlq", "20_infra/dev", "error"),
        ("TG204", "aws_sqs_queue.orders_dlq", "20_infra/dev", "error"),
    ]
    if known:
        assert by_address(found) == dlq_findings
    else:
        assert by_address(found) == [
            ("TG001", "aws_sqs_queue.orders", "20_infra/dev", "notice"),
            *dlq_findings,
        ]
        [notice] = [f for f in found if f.rule == "TG001"]
        assert notice.for_rule == "TG202"


@pytest.mark.parametrize("count", ["0", "1001", '"inf"', "1e309", '"nan"', "1" + "0" * 30, "2.5"])
def test_max_receive_count_aws_refuses_is_an_error(tmp_path: Path, count: str) -> None:
    redrive = REDRIVE_3.replace("maxReceiveCount     = 3", f"maxReceiveCount     = {count}")
    found = findings("TG202", tmp_path, stack("20_infra", "dev", main=queue(redrive) + DLQ + CONSUMER))
    assert summary(found) == [("TG202", f"{INFRA}/main.tf", 5, "20_infra/dev")]
    assert found[0].severity is Severity.ERROR
    assert "not a value AWS accepts (a whole number from 1 to 1000)" in found[0].message


@pytest.mark.parametrize("count", [1001, 10**30, "inf", "nan", -3])
def test_tg202_plan_max_receive_count_aws_refuses(tmp_path: Path, count: object) -> None:
    redrive = json.dumps({"deadLetterTargetArn": plans.sqs_arn(plans.DLQ), "maxReceiveCount": count})
    infra = plans.Plan(environment="dev").resource(
        "aws_sqs_queue.orders", plans.queue(plans.QUEUE, redrive_policy=redrive), action="no-op"
    )
    found = findings("TG202", tmp_path, plans={"20_infra/dev": infra}, tg001="with")
    assert by_address(found) == [("TG202", "aws_sqs_queue.orders", "20_infra/dev", "error")]
    assert "not a value AWS accepts" in found[0].message
