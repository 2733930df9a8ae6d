"""TG204: every dead-letter queue has a CloudWatch alarm on its visible messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import Summary, by_address, findings, stack, summary
from ttgate.policy import Severity

INFRA = "practice/deploy/20_infra/environments/dev"
DLQ_LINE = 5  # the aws_sqs_queue.dlq block when QUEUES starts a file (write_tree drops its first newline)

QUEUES = """
locals {
  dlq_name = "tt-practice-dev-main-dlq"
}

resource "aws_sqs_queue" "dlq" {
  name = local.dlq_name
}

resource "aws_sqs_queue" "main" {
  name = "tt-practice-dev-main-queue"
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 3
  })
}
"""


def alarm(
    queue_name: str = "aws_sqs_queue.dlq.name",
    *,
    extra: str = "",
    threshold: int = 1,
    name: str = '"tt-practice-dev-main-dlq-messages-alarm"',
) -> str:
    return f"""
resource "aws_cloudwatch_metric_alarm" "dlq" {{
{extra}  alarm_name          = {name}
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = {{ QueueName = {queue_name} }}
  statistic           = "Maximum"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = {threshold}
  period              = 60
  evaluation_periods  = 1
}}
"""


NO_ALARM = [("TG204", f"{INFRA}/main.tf", DLQ_LINE, "20_infra/dev")]


def test_dlq_with_alarm_passes(tmp_path: Path) -> None:
    assert (
        summary(findings("TG204", tmp_path, stack("20_infra", "dev", QUEUES + alarm()), tg001="with")) == []
    )


def test_dlq_without_alarm(tmp_path: Path) -> None:
    result = findings("TG204", tmp_path, stack("20_infra", "dev", QUEUES))
    assert summary(result) == NO_ALARM
    assert result[0].severity is Severity.ERROR
    assert "tt-practice-dev-main-queue" in result[0].message
    assert result[0].address == "aws_sqs_queue.dlq"


@pytest.mark.parametrize(
    "queue_name, expected",
    [
        ('"tt-practice-dev-main-dlq"', []),
        ("local.dlq_name", []),
        ('"${aws_sqs_queue.dlq.name}"', []),
        ("aws_sqs_queue.main.name", NO_ALARM),
        ('"${aws_sqs_queue.dlq.name}-copy"', NO_ALARM),
        ('"tt-practice-dev-other-dlq"', NO_ALARM),
    ],
    ids=["literal", "local", "template", "another queue", "suffix", "another literal"],
)
def test_the_alarm_counts_only_on_the_dlqs_name_however_written(
    tmp_path: Path, queue_name: str, expected: list[Summary]
) -> None:
    tree = stack("20_infra", "dev", QUEUES + alarm(queue_name))
    assert summary(findings("TG204", tmp_path, tree, tg001="with")) == expected


def test_alarm_on_another_metric_does_not_count(tmp_path: Path) -> None:
    main = QUEUES + alarm().replace("ApproximateNumberOfMessagesVisible", "NumberOfMessagesSent")
    assert summary(findings("TG204", tmp_path, stack("20_infra", "dev", main), tg001="with")) == NO_ALARM


def test_queue_name_from_a_module_output(tmp_path: Path) -> None:
    assert (
        summary(
            findings(
                "TG204",
                tmp_path,
                {
                    "practice/deploy/20_infra/modules/sqs/main.tf": QUEUES + 'output "dlq_name" {\n'
                    "  value = aws_sqs_queue.dlq.name\n}\n",
                    **stack(
                        "20_infra",
                        "dev",
                        'module "sqs" {\n  source = "../../modules/sqs"\n}\n' + alarm("module.sqs.dlq_name"),
                    ),
                },
                tg001="with",
            )
        )
        == []
    )


def test_alarm_inside_metric_query(tmp_path: Path) -> None:
    main = (
        QUEUES
        + """
resource "aws_cloudwatch_metric_alarm" "dlq" {
  alarm_name          = "tt-practice-dev-main-dlq-messages-alarm"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  evaluation_periods  = 1

  metric_query {
    id          = "m1"
    return_data = true
    metric {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = aws_sqs_queue.dlq.name }
      period      = 60
      stat        = "Maximum"
    }
  }
}
"""
    )
    assert summary(findings("TG204", tmp_path, stack("20_infra", "dev", main), tg001="with")) == []


def test_alarm_behind_count(tmp_path: Path) -> None:
    behind = 'variable "alarms" {}\n' + QUEUES + alarm(extra="  count = var.alarms ? 1 : 0\n")
    assert (
        summary(
            findings(
                "TG204",
                tmp_path / "on",
                stack("20_infra", "dev", behind, terraform__tfvars="alarms = true\n"),
                tg001="with",
            )
        )
        == []
    )
    assert summary(
        findings(
            "TG204",
            tmp_path / "off",
            stack("20_infra", "dev", behind, terraform__tfvars="alarms = false\n"),
            tg001="with",
        )
    ) == [("TG204", f"{INFRA}/main.tf", DLQ_LINE + 2, "20_infra/dev")]
    unknown = summary(findings("TG204", tmp_path / "unknown", stack("20_infra", "dev", behind), tg001="with"))
    assert unknown == [("TG001", f"{INFRA}/main.tf", DLQ_LINE + 2, "20_infra/dev")]
    message = findings("TG001", tmp_path / "unknown")[0].message
    assert "aws_cloudwatch_metric_alarm.dlq" in message
    assert "var.alarms" in message


def test_mis_tuned_alarm_is_a_warning_on_the_alarm(tmp_path: Path) -> None:
    result = findings("TG204", tmp_path, stack("20_infra", "dev", QUEUES + alarm(threshold=5)))
    assert summary(result) == [("TG204", f"{INFRA}/main.tf", 17, "20_infra/dev")]
    assert result[0].severity is Severity.WARNING
    assert "threshold = 1" in result[0].fix


def test_misnamed_alarm_is_a_warning(tmp_path: Path) -> None:
    result = findings("TG204", tmp_path, stack("20_infra", "dev", QUEUES + alarm(name='"dlq-alarm"')))
    assert summary(result) == [("TG204", f"{INFRA}/main.tf", 17, "20_infra/dev")]
    assert result[0].severity is Severity.WARNING
    assert "tt-practice-dev-main-dlq-messages-alarm" in result[0].message


def test_dlq_through_a_separate_redrive_policy(tmp_path: Path) -> None:
    main = """
resource "aws_sqs_queue" "failed" {
  name = "tt-practice-dev-orders-failed"
}

resource "aws_sqs_queue" "orders" {
  name = "tt-practice-dev-orders-queue"
}

resource "aws_sqs_queue_redrive_policy" "orders" {
  queue_url = aws_sqs_queue.orders.id
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.failed.arn
    maxReceiveCount     = 3
  })
}
"""
    assert summary(findings("TG204", tmp_path / "bad", stack("20_infra", "dev", main), tg001="with")) == [
        ("TG204", f"{INFRA}/main.tf", 1, "20_infra/dev")
    ]
    good = main + alarm("aws_sqs_queue.failed.name", name='"tt-practice-dev-orders-failed-messages-alarm"')
    assert summary(findings("TG204", tmp_path / "good", stack("20_infra", "dev", good), tg001="with")) == []


def test_queue_named_dlq_without_source(tmp_path: Path) -> None:
    main = 'resource "aws_sqs_queue" "spare" {\n  name = "tt-practice-dev-spare-dlq"\n}\n'
    assert summary(findings("TG204", tmp_path, stack("20_infra", "dev", main), tg001="with")) == [
        ("TG204", f"{INFRA}/main.tf", 1, "20_infra/dev")
    ]


@pytest.mark.parametrize(
    "alarm_stack, expected",
    [(("30_app", "dev"), []), (("20_infra", "prod"), NO_ALARM)],
    ids=["another stack of the same env counts", "another env does not count"],
)
def test_alarm_in_another_stack(
    tmp_path: Path, alarm_stack: tuple[str, str], expected: list[Summary]
) -> None:
    tree = {**stack("20_infra", "dev", QUEUES), **stack(*alarm_stack, alarm('"tt-practice-dev-main-dlq"'))}
    assert summary(findings("TG204", tmp_path, tree, tg001="with")) == expected


def test_unknown_dlq_name_in_alarm_is_unverifiable(tmp_path: Path) -> None:
    main = 'variable "watched" {}\n' + QUEUES + alarm("var.watched")
    assert summary(findings("TG204", tmp_path, stack("20_infra", "dev", main), tg001="with")) == [
        ("TG001", f"{INFRA}/main.tf", DLQ_LINE + 2, "20_infra/dev")
    ]


NO_ALARM_IN_PLAN = [("TG204", "aws_sqs_queue.orders_dlq", "20_infra/dev", "error")]


@pytest.mark.parametrize(
    "queue_name, expected",
    [(plans.DLQ, []), ("tt-practice-dev-orders-queue", NO_ALARM_IN_PLAN)],
    ids=["the DLQ", "the source"],
)
def test_tg204_alarm_on_the_dlqs_queue_name(
    tmp_path: Path, queue_name: str, expected: list[tuple[str, str, str, str]]
) -> None:
    infra = plans.orders_with_dlq().resource(
        "aws_cloudwatch_metric_alarm.orders_dlq",
        plans.alarm(plans.DLQ, dimensions={"QueueName": queue_name}),
        action="no-op",
    )
    assert by_address(findings("TG204", tmp_path, plans={"20_infra/dev": infra}, tg001="with")) == expected


def test_tg204_dlq_without_any_alarm(tmp_path: Path) -> None:
    assert (
        by_address(findings("TG204", tmp_path, plans={"20_infra/dev": plans.orders_with_dlq()}, tg001="with"))
        == NO_ALARM_IN_PLAN
    )


@pytest.mark.parametrize("label, expected", [("30_app/dev", []), ("30_app/prod", NO_ALARM_IN_PLAN)])
def test_tg204_alarm_in_another_plan_of_the_same_environment(
    tmp_path: Path, label: str, expected: list[tuple[str, str, str, str]]
) -> None:
    alarms = plans.Plan(environment=label.split("/")[1]).resource(
        "aws_cloudwatch_metric_alarm.orders_dlq", plans.alarm(plans.DLQ), action="no-op"
    )
    found = findings(
        "TG204", tmp_path, plans={"20_infra/dev": plans.orders_with_dlq(), label: alarms}, tg001="with"
    )
    assert by_address(found) == expected


@pytest.mark.parametrize("action, expected", [("delete", NO_ALARM_IN_PLAN), ("no-op", [])])
def test_tg204_an_alarm_being_deleted_does_not_watch_the_dlq(
    tmp_path: Path, action: str, expected: list[tuple[str, str, str, str]]
) -> None:
    infra = plans.orders_with_dlq().resource(
        "aws_cloudwatch_metric_alarm.orders_dlq", plans.alarm(plans.DLQ), action=action
    )
    assert by_address(findings("TG204", tmp_path, plans={"20_infra/dev": infra}, tg001="with")) == expected


def timed_alarm(period: str = "60", evaluation_periods: str = "1") -> str:
    return (
        alarm()
        .replace("period              = 60", f"period              = {period}")
        .replace("evaluation_periods  = 1", f"evaluation_periods  = {evaluation_periods}")
    )


@pytest.mark.parametrize(
    "period, evaluation_periods, line, accepted",
    [
        ("-60", "1", 25, "10, 20, 30 or a multiple of 60 s"),
        ('"inf"', "1", 25, "10, 20, 30 or a multiple of 60 s"),
        ("1e309", "1", 25, "10, 20, 30 or a multiple of 60 s"),
        ("90", "1", 25, "10, 20, 30 or a multiple of 60 s"),
        ("60", "0", 26, "a whole number from 1 to"),
        ("60", '"nan"', 26, "a whole number from 1 to"),
        ("60", "1" + "0" * 30, 26, "a whole number from 1 to"),
        ("60", "1441", 26, "at most 1440 with a period of 60 s"),
        ("3600", "169", 26, "at most 168 with a period of 3,600 s (1 hour)"),
    ],
)
def test_alarm_timing_aws_refuses_is_an_error(
    tmp_path: Path, period: str, evaluation_periods: str, line: int, accepted: str
) -> None:
    result = findings(
        "TG204", tmp_path, stack("20_infra", "dev", QUEUES + timed_alarm(period, evaluation_periods))
    )
    refused = [finding for finding in result if "not a value AWS accepts" in finding.message]
    assert summary(refused) == [("TG204", f"{INFRA}/main.tf", line, "20_infra/dev")]
    assert refused[0].severity is Severity.ERROR
    assert accepted in refused[0].message


@pytest.mark.parametrize("period, evaluation_periods", [("3600", "168"), ("10", "1"), ("86400", "7")])
def test_alarm_timing_aws_accepts_is_only_tuning(
    tmp_path: Path, period: str, evaluation_periods: str
) -> None:
    result = findings(
        "TG204", tmp_path, stack("20_infra", "dev", QUEUES + timed_alarm(period, evaluation_periods))
    )
    assert [finding.severity for finding in result] == [Severity.WARNING]


@pytest.mark.parametrize(
    "attribute, value", [("period", "inf"), ("period", -60), ("evaluation_periods", 10**30)]
)
def test_tg204_plan_alarm_timing_aws_refuses(tmp_path: Path, attribute: str, value: object) -> None:
    infra = plans.orders_with_dlq().resource(
        "aws_cloudwatch_metric_alarm.orders_dlq", plans.alarm(plans.DLQ, **{attribute: value}), action="no-op"
    )
    found = findings("TG204", tmp_path, plans={"20_infra/dev": infra}, tg001="with")
    refused = [finding for finding in found if finding.severity is Severity.ERROR]
    assert by_address(refused) == [
        ("TG204", "aws_cloudwatch_metric_alarm.orders_dlq", "20_infra/dev", "error")
    ]
    assert "not a value AWS accepts" in refused[0].message


# The alarm is searched in every stack of the DLQ's scope (links.same_scope): here stacks whose
# environment ttgate does not know, a layout the policy does not describe.
PROVIDER = 'provider "aws" {\n  region = "ap-southeast-1"\n}\n'
BY_NAME = alarm('"tt-practice-dev-main-dlq"')


def test_alarm_in_a_sibling_alarms_stack_without_known_environment(tmp_path: Path) -> None:
    tree = {"prod/queues/main.tf": PROVIDER + QUEUES, "prod/alarms/main.tf": PROVIDER + BY_NAME}
    assert summary(findings("TG204", tmp_path, tree, tg001="with")) == []


def test_same_named_dlqs_of_two_environments_each_need_their_own_alarm(tmp_path: Path) -> None:
    tree = {"envs/dev/main.tf": PROVIDER + QUEUES + BY_NAME, "envs/prod/main.tf": PROVIDER + QUEUES}
    found = findings("TG204", tmp_path, tree, tg001="with")
    assert summary(found) == [("TG204", "envs/prod/main.tf", DLQ_LINE + 4, "envs/prod")]


def test_an_alarm_two_same_named_dlqs_may_own_is_tg001_naming_both(tmp_path: Path) -> None:
    tree = {
        "dev/queues/main.tf": PROVIDER + QUEUES,
        "prod/queues/main.tf": PROVIDER + QUEUES,
        "prod/alarms/main.tf": PROVIDER + BY_NAME,
    }
    found = findings("TG204", tmp_path, tree, tg001="with")
    assert [(f.rule, f.stack.label if f.stack else "") for f in found] == [
        ("TG001", "dev/queues"),
        ("TG001", "prod/queues"),
    ]
    assert "aws_sqs_queue.dlq (dev/queues) and aws_sqs_queue.dlq (prod/queues)" in found[1].message
    assert "stack_path" in (found[1].fix or "")


def dlq_plan() -> plans.Plan:
    """A plan with a DLQ and its source queue, of an environment ttgate cannot tell."""
    return (
        plans.Plan()
        .resource("aws_sqs_queue.orders_dlq", plans.queue(plans.DLQ), action="no-op")
        .resource(
            "aws_sqs_queue.orders",
            plans.queue(plans.QUEUE, redrive_policy=plans.redrive(plans.DLQ)),
            action="no-op",
        )
    )


def test_tg204_alarm_in_another_plan_without_known_environment(tmp_path: Path) -> None:
    alarms = plans.Plan().resource("aws_cloudwatch_metric_alarm.dlq", plans.alarm(plans.DLQ), action="no-op")
    found = findings("TG204", tmp_path, plans={"20_infra": dlq_plan(), "30_app": alarms}, tg001="with")
    assert by_address(found) == []


def test_tg204_alarm_of_another_known_environment_does_not_count(tmp_path: Path) -> None:
    alarms = plans.Plan(environment="prod").resource(
        "aws_cloudwatch_metric_alarm.dlq", plans.alarm(plans.DLQ), action="no-op"
    )
    found = findings(
        "TG204", tmp_path, plans={"20_infra/dev": plans.orders_with_dlq(), "30_app/prod": alarms}
    )
    assert by_address(found) == NO_ALARM_IN_PLAN


def test_an_age_alarm_is_named_not_called_no_alarm_at_all(tmp_path: Path) -> None:
    # NDR: an ApproximateAgeOfOldestMessage alarm at 6 days; the runbook's rule (visible messages) is
    # not met, but "would pile up unnoticed" overstated it
    age = alarm(name='"tt-practice-dev-main-dlq-age"').replace(
        "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"
    )
    age = age.replace("threshold           = 1", "threshold           = 518400")

    found = findings("TG204", tmp_path, stack("20_infra", "dev", QUEUES + age))

    assert summary(found) == NO_ALARM
    message = found[0].message
    assert "would pile up" not in message
    assert 'it has only "tt-practice-dev-main-dlq-age" (aws_cloudwatch_metric_alarm.dlq' in message
    assert "on ApproximateAgeOfOldestMessage (threshold 518400)" in message
    assert [r.note for r in found[0].related] == ["alarm on ApproximateAgeOfOldestMessage"]


def test_an_age_alarm_behind_an_unknown_count_is_named_with_that_condition(tmp_path: Path) -> None:
    age = alarm(name='"tt-practice-dev-main-dlq-age"', extra="  count = var.alarms ? 1 : 0\n")
    age = 'variable "alarms" {}\n' + age.replace(
        "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"
    )

    found = findings("TG204", tmp_path, stack("20_infra", "dev", QUEUES + age))

    assert summary(found) == NO_ALARM
    assert "on ApproximateAgeOfOldestMessage (threshold 1), if its count or for_each creates it" in (
        found[0].message
    )
