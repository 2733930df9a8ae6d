"""`ttgate dlq status`: every DLQ of an environment, how full it is, how old its oldest message is, its
alarm's state, the queue that feeds it and that queue's consumer.

A DLQ is a queue whose name follows the policy's ``dlq`` pattern (TG401's ``patterns``), or one that a
queue of the environment names in its redrive policy (a DLQ named against the convention is still one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.integrations.aws import aws_error
from ttgate.integrations.sqs import (
    Queue,
    dead_letter_sources,
    find_queue,
    list_queue_urls,
    queue_attributes,
    queue_name,
)
from ttgate.policy.names import NamePattern, compile_template, template_regex

if TYPE_CHECKING:
    from ttgate.integrations.aws import Aws
    from ttgate.policy import Policy

DEFAULT_PATTERNS = {"dlq": "{project}-{env}-{name}-dlq", "alarm": "{dlq}-messages-alarm"}


@dataclass(frozen=True)
class DlqStatus:
    name: str
    visible: int
    in_flight: int
    oldest_age_seconds: int | None  # CloudWatch ApproximateAgeOfOldestMessage, the last 15 minutes
    alarm: str  # its name
    alarm_state: str | None  # OK, ALARM, INSUFFICIENT_DATA; None: no such alarm
    sources: tuple[str, ...]
    consumers: tuple[str, ...]  # Lambda functions reading the source queues
    url: str = ""  # its URL (or, when ``unread``, the ARN a redrive policy names)
    unread: str | None = None  # why this session cannot read it (another region or account)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "visible": self.visible,
            "in_flight": self.in_flight,
            "oldest_age_seconds": self.oldest_age_seconds,
            "alarm": self.alarm,
            "alarm_state": self.alarm_state,
            "sources": list(self.sources),
            "consumers": list(self.consumers),
            "url": self.url,
            "unread": self.unread,
        }


def patterns(policy: Policy) -> dict[str, str]:
    configured = policy.settings("TG401").params.get("patterns", {}) if "TG401" in policy.rules else {}
    return {**DEFAULT_PATTERNS, **configured}


def dlq_regex(policy: Policy, env: str) -> NamePattern:
    fragments = {
        "project": re.escape(policy.project),
        "env": re.escape(env),
        "region": re.escape(policy.region),
    }
    return compile_template(template_regex(patterns(policy)["dlq"], fragments) + r"(?:\.fifo)?")


def alarm_names(policy: Policy, dlq: str) -> list[str]:
    """The alarm's possible names: ``{dlq}`` is the DLQ's name, with or (a FIFO DLQ) without ``.fifo``."""
    names = [patterns(policy)["alarm"].replace("{dlq}", dlq)]
    if dlq.endswith(".fifo"):
        names.append(patterns(policy)["alarm"].replace("{dlq}", dlq.removesuffix(".fifo")))
    return names


def environment_prefix(policy: Policy, env: str) -> str:
    """The longest fixed beginning of the environment's queue names (ListQueues' QueueNamePrefix)."""
    template = patterns(policy)["dlq"].replace("{project}", policy.project).replace("{env}", env)
    return template.split("{", 1)[0]


@dataclass(frozen=True)
class Found:
    """The DLQs of an environment: their URLs, and those named by a redrive policy that this session
    cannot read (another region or account), each with the reason."""

    urls: list[str]
    elsewhere: dict[str, str]  # deadLetterTargetArn -> why it is not read here


def find_dlqs(sqs: Any, policy: Policy, env: str, account: Callable[[], str] | None = None) -> Found:
    """The environment's DLQs: queues named by the policy's pattern, and every queue a redrive policy of
    the environment's queues names, whatever its name (the ARN is followed whole: region and account)."""
    urls = list_queue_urls(sqs, environment_prefix(policy, env))
    by_name = dlq_regex(policy, env)
    dlqs = {url for url in urls if by_name.fullmatch(queue_name(url))}
    targets: set[str] = set()
    for url in urls:
        redrive = queue_attributes(sqs, Queue(queue_name(url), url, ""), ["RedrivePolicy"]).get(
            "RedrivePolicy"
        )
        if not redrive:
            continue
        try:
            target = json.loads(redrive).get("deadLetterTargetArn")
        except (ValueError, AttributeError):
            continue
        if target:
            targets.add(str(target))
    elsewhere: dict[str, str] = {}
    known = {queue_name(url): url for url in dlqs}
    for arn in sorted(targets):
        try:
            queue = find_queue(sqs, arn, account=account)
        except UserError as error:
            elsewhere[arn] = str(error)
            continue
        if known.get(queue.name) != queue.url:
            dlqs.add(queue.url)
    return Found(sorted(dlqs, key=queue_name), elsewhere)


def dlq_status(aws: Aws, policy: Policy, env: str, now: datetime | None = None) -> list[DlqStatus]:
    sqs, cloudwatch = aws.client("sqs"), aws.client("cloudwatch")
    lambdas = aws.client("lambda")
    statuses = []
    found = find_dlqs(sqs, policy, env, account=aws.account_id)
    for url in found.urls:
        dlq = Queue(queue_name(url), url, "")
        attributes = queue_attributes(sqs, dlq)
        source_urls = dead_letter_sources(sqs, dlq)
        alarm, alarm_state = _alarm(cloudwatch, alarm_names(policy, dlq.name))
        statuses.append(
            DlqStatus(
                name=dlq.name,
                visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
                in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
                oldest_age_seconds=_oldest_age(cloudwatch, dlq.name, now or datetime.now(UTC)),
                alarm=alarm,
                alarm_state=alarm_state,
                sources=tuple(queue_name(source) for source in source_urls),
                consumers=tuple(name for source in source_urls for name in consumers(sqs, lambdas, source)),
                url=url,
            )
        )
    for arn, why in found.elsewhere.items():
        statuses.append(DlqStatus(queue_name(arn), 0, 0, None, "", None, (), (), url=arn, unread=why))
    return statuses


def consumers(sqs: Any, lambdas: Any, source_url: str) -> list[str]:
    """The Lambda functions whose event source mappings read the queue at ``source_url``."""
    source = Queue(queue_name(source_url), source_url, "")
    arn = queue_attributes(sqs, source).get("QueueArn")
    try:
        pages = lambdas.get_paginator("list_event_source_mappings").paginate(EventSourceArn=arn)
        functions = [
            mapping["FunctionArn"] for page in pages for mapping in page.get("EventSourceMappings", [])
        ]
    except Exception as error:
        raise aws_error(error, f"listing the consumers of {source.name}") from None
    # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    return [str(function).split(":")[6] for function in functions]


def _oldest_age(cloudwatch: Any, dlq: str, now: datetime) -> int | None:
    try:
        response = cloudwatch.get_metric_statistics(
            Namespace="AWS/SQS",
            MetricName="ApproximateAgeOfOldestMessage",
            Dimensions=[{"Name": "QueueName", "Value": dlq}],
            StartTime=now - timedelta(minutes=15),
            EndTime=now,
            Period=300,
            Statistics=["Maximum"],
        )
    except Exception as error:
        raise aws_error(error, f"reading the age of the oldest message of {dlq}") from None
    points = sorted(response.get("Datapoints", []), key=lambda point: point["Timestamp"])
    return int(points[-1]["Maximum"]) if points else None


def _alarm(cloudwatch: Any, names: list[str]) -> tuple[str, str | None]:
    """The first of ``names`` that is an alarm, and its state; (the first name, None) when none is."""
    try:
        alarms = cloudwatch.describe_alarms(AlarmNames=names).get("MetricAlarms", [])
    except Exception as error:
        raise aws_error(error, f"reading alarm {names[0]}") from None
    states = {alarm["AlarmName"]: str(alarm["StateValue"]) for alarm in alarms}
    found = next((name for name in names if name in states), names[0])
    return found, states.get(found)


__all__ = ["DlqStatus", "Found", "alarm_names", "consumers", "dlq_status", "find_dlqs"]
