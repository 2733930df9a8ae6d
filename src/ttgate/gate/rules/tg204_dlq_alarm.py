"""TG204 dlq-alarm: every dead-letter queue has a CloudWatch alarm on its visible messages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ttgate.gate.findings import Finding, LiteralEdit, Related
from ttgate.gate.links import (
    Candidates,
    Namesakes,
    attribution,
    reference_keys,
    remedy_for,
    resource_name,
    same_resource,
)
from ttgate.gate.model import Resource
from ttgate.gate.rules.aws_limits import (
    ALARM_EVALUATION_PERIODS,
    ALARM_PERIOD,
    ALARM_PERIOD_RULE,
    Rejected,
    alarm_period_accepted,
    alarm_window_limit,
)
from ttgate.gate.rules.base import INFRA_DEV, Example, Rule, RuleContext, RuleDoc, seconds, where
from ttgate.gate.rules.literal import literal_edit
from ttgate.gate.rules.sqs import DeadLetterQueue, dead_letter_queues
from ttgate.gate.values import Unknown, as_number, display, mark_like
from ttgate.policy import Parameter, Severity

RULE = Rule(
    id="TG204",
    name="dlq-alarm",
    default_severity=Severity.ERROR,
    summary="Every DLQ has a CloudWatch alarm on ApproximateNumberOfMessagesVisible for its QueueName.",
    parameters={
        "metric_name": Parameter("ApproximateNumberOfMessagesVisible"),
        "threshold": Parameter(1, minimum=0),
        "period": Parameter(60, minimum=10),  # CloudWatch's shortest standard-resolution period
        "evaluation_periods": Parameter(1, minimum=1),
        "dlq_suffix": Parameter("-dlq"),
        "alarm_suffix": Parameter("-messages-alarm"),
    },
    doc=RuleDoc(
        what="Finds every dead-letter queue (the target of another queue's redrive policy, written on "
        "the queue or in an `aws_sqs_queue_redrive_policy`, and every queue named `…-dlq`) and looks in "
        "all stacks of the same environment (with no known environment: its own stack first, then every "
        "stack without one; an alarm that a same-named queue of another such stack may own as well is "
        "TG001 naming both) for an `aws_cloudwatch_metric_alarm` on namespace AWS/SQS, "
        "metric ApproximateNumberOfMessagesVisible, with a `QueueName` dimension that is the DLQ's name "
        "however it is written (a literal, a local, `aws_sqs_queue.dlq.name`, a module output, inside "
        "`metric_query`). No alarm is an error. An alarm that is mis-tuned (not threshold 1, period 60, "
        "1 evaluation period) or not named `{dlq-name}-messages-alarm` is a warning. An alarm behind "
        "a `count` that cannot be evaluated is TG001. A `period` or `evaluation_periods` CloudWatch "
        "refuses (a period other than 10, 20, 30 or a multiple of 60 s; fewer than 1 evaluation "
        "periods; period × evaluation_periods above 1 day, or 7 days for periods of an hour or more) "
        "is an error.",
        why="The runbook gives every DLQ an alarm named `{dlq-name}-messages-alarm` on "
        "ApproximateNumberOfMessagesVisible, threshold 1 message, period 60 s, 1 evaluation period. "
        "Without it, messages that failed max_receive_count times sit in the DLQ unnoticed until the "
        "14-day retention deletes them.",
        runbook="DLQ alarm",
        fix="Add the alarm next to the DLQ (in the SQS module), with `dimensions = { QueueName = "
        "aws_sqs_queue.dlq.name }`; when it sits behind `count`, make sure the flag is on in every "
        "environment. "
        "Fixed by `ttgate fix` when an existing alarm has one mis-tuned literal (threshold, period, "
        "evaluation_periods or alarm_name); a missing alarm is added by hand.",
        bad=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_sqs_queue" "dlq" {
              name = "tt-practice-dev-main-dlq"
            }
            """,
        ),
        good=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_sqs_queue" "dlq" {
              name = "tt-practice-dev-main-dlq"
            }

            resource "aws_cloudwatch_metric_alarm" "dlq" {
              alarm_name          = "${aws_sqs_queue.dlq.name}-messages-alarm"
              namespace           = "AWS/SQS"
              metric_name         = "ApproximateNumberOfMessagesVisible"
              dimensions          = { QueueName = aws_sqs_queue.dlq.name }
              statistic           = "Maximum"
              comparison_operator = "GreaterThanOrEqualToThreshold"
              threshold           = 1
              period              = 60
              evaluation_periods  = 1
            }
            """,
        ),
    ),
)


@dataclass
class _Metric:
    name: Any
    namespace: Any
    dimensions: Any
    period: Any


def _metrics(alarm: Resource) -> list[_Metric]:
    values = alarm.values
    metrics = []
    if values.get("metric_name") is not None:
        metrics.append(
            _Metric(
                values.get("metric_name"),
                values.get("namespace"),
                values.get("dimensions"),
                values.get("period"),
            )
        )
    queries = values.get("metric_query")
    for query in queries if isinstance(queries, list) else []:
        inner = query.get("metric") if isinstance(query, dict) else None
        for metric in inner if isinstance(inner, list) else []:
            if isinstance(metric, dict):
                metrics.append(
                    _Metric(
                        metric.get("metric_name"),
                        metric.get("namespace"),
                        metric.get("dimensions"),
                        metric.get("period"),
                    )
                )
    return metrics


def _matches(metric: _Metric, dlq: Resource, metric_name: str) -> bool | Unknown:
    """Whether this metric watches ``metric_name`` of this queue: True, False, or Unknown."""
    dimensions = metric.dimensions
    if isinstance(dimensions, Unknown):
        queue = dimensions
    elif isinstance(dimensions, dict) and "QueueName" in dimensions:
        queue = dimensions["QueueName"]
    else:
        return False
    same = same_resource(queue, dlq)
    if same is False:
        return False
    for value, expected in ((metric.name, metric_name), (metric.namespace, "AWS/SQS")):
        if isinstance(value, Unknown):
            return value
        if value != expected:
            return False
    return same


def _refers_to(metric: _Metric, queue: Resource) -> bool:
    """Whether the metric's QueueName is the queue's own attribute (``aws_sqs_queue.dlq.name``), not a
    name that a same-named queue elsewhere may carry too."""
    dimensions = metric.dimensions
    value = dimensions.get("QueueName") if isinstance(dimensions, dict) else dimensions
    return isinstance(value, Unknown) and value.resource is queue


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    alarms = Candidates(context.model, "aws_cloudwatch_metric_alarm", _watched_queues)
    namesakes = Namesakes(context.model.resources("aws_sqs_queue"), _known_name)
    for dlq in dead_letter_queues(context, context.params["dlq_suffix"], unknown_targets=False):
        yield from _check_dlq(context, dlq, alarms, namesakes)


def _known_name(queue: Resource) -> str | None:
    name = resource_name(queue)
    return name if isinstance(name, str) else None


def _watched_queues(alarm: Resource) -> list[str] | None:
    """The QueueName dimensions of an alarm's metrics, as names; None when one is unknown."""
    keys: list[str] = []
    for metric in _metrics(alarm):
        dimensions = metric.dimensions
        queue = dimensions.get("QueueName") if isinstance(dimensions, dict) else None
        found = reference_keys(dimensions if isinstance(dimensions, Unknown) else queue)
        if found is None:
            return None
        keys += found
    return keys


def _check_dlq(
    context: RuleContext, dlq: DeadLetterQueue, candidates: Candidates, namesakes: Namesakes
) -> Iterator[Finding]:
    """The DLQ's alarm is searched in every stack of its scope (``links.same_scope``), its own stack
    first; one in another stack that a same-named queue may own as well is TG001 naming both."""
    queue = dlq.queue
    metric_name = context.params["metric_name"]
    name = resource_name(queue)
    alarms = candidates.near(queue, name if isinstance(name, str) else None)
    others = namesakes.of(queue)
    certain: list[tuple[Resource, _Metric]] = []
    maybe: list[tuple[Resource, Unknown]] = []
    for alarm in alarms:
        for metric in _metrics(alarm):
            matched = _matches(metric, queue, metric_name)
            if matched is True and not _refers_to(metric, queue):
                owned = attribution(
                    alarm, queue, others, f"the queue {alarm.address} ({alarm.stack.label}) watches"
                )
                if owned is False:
                    continue  # a same-named queue in the alarm's own stack is the one it watches
                if isinstance(owned, Unknown):
                    maybe.append((alarm, owned))
                    continue
            if matched is True and alarm.present is True:
                certain.append((alarm, metric))
            elif matched is True:
                assert isinstance(alarm.present, Unknown)
                maybe.append((alarm, alarm.present))
            elif isinstance(matched, Unknown):
                maybe.append((alarm, matched))
    if certain:
        for alarm, metric in certain:
            yield from _tuning(context, queue, alarm, metric)
        return
    if maybe:
        alarm, unknown = maybe[0]
        context.unverifiable(
            queue,
            f"whether {alarm.address} ({alarm.stack.label}) alarms on it",
            unknown,
            remedy=remedy_for(unknown),
        )
        return
    name = resource_name(queue)
    label = name if isinstance(name, str) else queue.address
    names = {
        resource_name(r.source) if isinstance(resource_name(r.source), str) else r.source.address
        for r in dlq.sources
    }
    sources = mark_like(", ".join(sorted(names)), *names)  # str.join gives plain text: keep the marks
    fed_by = f" (dead-letter queue of {sources})" if sources else ""
    expected_alarm = (
        f"{label}{context.params['alarm_suffix']}" if isinstance(name, str) else "…-messages-alarm"
    )
    failed = f"messages that failed {'processing' if sources else 'delivery'}"
    other = _other_metric_alarms(alarms, queue, metric_name)
    if other:
        shown = "; ".join(
            _alarm_label(alarm)
            + f" on {watched}"
            + _threshold_text(alarm)
            + ("" if alarm.present is True else ", if its count or for_each creates it")
            for alarm, watched in other
        )
        consequence = (
            f"it has only {shown}. {'Those alarms fire' if len(other) > 1 else 'That alarm fires'} "
            "once a message has waited past the threshold, not on "
            f"the first message, so {failed} wait unseen until then, and the runbook's alarm, the one "
            "on-call and `ttgate dlq status` look for by name, does not exist."
        )
    else:
        consequence = f"{failed} would pile up there unnoticed until they expire."
    yield context.finding(
        f"Dead-letter queue {label}{fed_by} in {queue.stack.label} has no CloudWatch alarm on "
        f"{metric_name} for QueueName {label}: {consequence}",
        f'Add an aws_cloudwatch_metric_alarm "{expected_alarm}" with namespace "AWS/SQS", metric_name '
        f'"{metric_name}", dimensions = {{ QueueName = {queue.type}.{queue.name}.name }}, threshold '
        f"{context.params['threshold']}, period {context.params['period']}, evaluation_periods "
        f"{context.params['evaluation_periods']} (comparison GreaterThanOrEqualToThreshold).",
        resource=queue,
        related=[
            Related(f"alarm on {watched}", alarm.location) for alarm, watched in other if alarm.location
        ],
    )


def _other_metric_alarms(alarms: Any, queue: Resource, metric_name: str) -> list[tuple[Resource, str]]:
    """Alarms certainly on this queue, but on another SQS metric (ApproximateAgeOfOldestMessage)."""
    found: list[tuple[Resource, str]] = []
    for alarm in alarms:
        if alarm.present is False:
            continue
        for metric in _metrics(alarm):
            watched = metric.name
            if not isinstance(watched, str) or watched == metric_name:
                continue
            if _matches(metric, queue, watched) is True:
                found.append((alarm, watched))
                break
    return found


def _alarm_label(alarm: Resource) -> str:
    name = alarm.values.get("alarm_name")
    return f'"{name}" ({where(alarm)})' if isinstance(name, str) else where(alarm)


def _threshold_text(alarm: Resource) -> str:
    threshold = alarm.values.get("threshold")
    return "" if threshold is None or isinstance(threshold, Unknown) else f" (threshold {display(threshold)})"


def _tuning(context: RuleContext, queue: Resource, alarm: Resource, metric: _Metric) -> Iterator[Finding]:
    params = context.params
    problems: list[str] = []
    fixes: list[str] = []
    # (attribute, value) of each fix that is one literal: the finding's edit when it is the only fix.
    literal_fixes: list[tuple[str, Any]] = []
    threshold = as_number(alarm.values.get("threshold"))
    operator = alarm.values.get("comparison_operator")
    wanted = params["threshold"]
    fires_at_wanted = (operator == "GreaterThanOrEqualToThreshold" and threshold == wanted) or (
        operator == "GreaterThanThreshold" and threshold == wanted - 1
    )
    if not isinstance(threshold, Unknown) and not isinstance(operator, Unknown) and not fires_at_wanted:
        problems.append(f"it fires on {display(operator)} {display(threshold)}, not at {wanted} message(s)")
        fixes.append(f'comparison_operator = "GreaterThanOrEqualToThreshold" and threshold = {wanted}')
        if operator == "GreaterThanOrEqualToThreshold":
            literal_fixes.append(("threshold", wanted))
    timing = {"period": metric.period, "evaluation_periods": alarm.values.get("evaluation_periods")}
    refused = dict(_refused_timing(timing["period"], timing["evaluation_periods"]))
    for attribute, rejected in refused.items():
        yield context.rejected(alarm, attribute, "The DLQ alarm's timing", rejected)
    for attribute, expected in (
        ("period", params["period"]),
        ("evaluation_periods", params["evaluation_periods"]),
    ):
        number = as_number(timing[attribute])
        if attribute in refused:
            continue
        if number is not None and not isinstance(number, Unknown) and number != expected:
            problems.append(f"{attribute} is {display(number)} (runbook: {expected})")
            fixes.append(f"{attribute} = {expected}")
            if alarm.values.get(attribute) == timing[attribute]:  # not a metric_query's period
                literal_fixes.append((attribute, expected))
    dlq_name = resource_name(queue)
    alarm_name = alarm.values.get("alarm_name")
    if isinstance(dlq_name, str) and isinstance(alarm_name, str):
        expected_name = dlq_name + params["alarm_suffix"]
        if alarm_name != expected_name:
            problems.append(f'it is named "{alarm_name}", not "{expected_name}"')
            fixes.append(f'alarm_name = "{expected_name}"')
            literal_fixes.append(("alarm_name", expected_name))
    if not problems:
        return
    yield context.finding(
        f"The alarm on dead-letter queue {dlq_name if isinstance(dlq_name, str) else queue.address} "
        f"({where(alarm)}) does not follow the runbook: " + "; ".join(problems) + ". On-call engineers "
        "look for this alarm by name and expect it to fire on the first failed message.",
        "Set " + ", ".join(fixes) + ".",
        resource=alarm,
        severity=context.at_most_warning,
        related=[Related(f"dead-letter queue {where(queue)}", queue.location)] if queue.location else [],
        edit=_one_edit(context, alarm, fixes, literal_fixes),
    )


def _one_edit(
    context: RuleContext, alarm: Resource, fixes: list[str], literal_fixes: list[tuple[str, Any]]
) -> LiteralEdit | None:
    """The finding's edit: only when its one fix is one literal."""
    if len(fixes) != 1 or len(literal_fixes) != 1:
        return None
    return literal_edit(context, alarm, *literal_fixes[0])


def _refused_timing(period: Any, evaluations: Any) -> Iterator[tuple[str, Rejected]]:
    """(attribute, why) for an alarm period or evaluation_periods that PutMetricAlarm refuses."""
    period_number, evaluations_number = as_number(period), as_number(evaluations)
    period_seconds: int | None = None
    if isinstance(period_number, (int, float)) and not isinstance(period_number, Unknown):
        if ALARM_PERIOD.accepts(period_number) and alarm_period_accepted(int(period_number)):
            period_seconds = int(period_number)
        else:
            yield "period", Rejected(period, ALARM_PERIOD_RULE)
    if not isinstance(evaluations_number, (int, float)) or isinstance(evaluations_number, Unknown):
        return
    if not ALARM_EVALUATION_PERIODS.accepts(evaluations_number):
        yield "evaluation_periods", Rejected(evaluations, ALARM_EVALUATION_PERIODS)
    elif period_seconds is not None:
        limit = alarm_window_limit(period_seconds)
        if period_seconds * evaluations_number > limit:
            yield (
                "evaluation_periods",
                Rejected(
                    evaluations,
                    f"at most {limit // period_seconds} with a period of {seconds(period_seconds)}: "
                    f"period × evaluation_periods is at most {seconds(limit)}",
                ),
            )
