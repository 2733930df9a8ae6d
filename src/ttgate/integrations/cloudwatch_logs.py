"""CloudWatch Logs through boto3: FilterLogEvents over every page (the runbook's command stops at the
first), times in epoch milliseconds as the API takes them; a missing log group is one line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.integrations.aws import aws_error, error_code

if TYPE_CHECKING:
    from ttgate.integrations.aws import Aws


@dataclass(frozen=True)
class LogEvent:
    timestamp_ms: int
    message: str
    stream: str
    event_id: str


def logs_client(aws: Aws) -> Any:
    return aws.client("logs")


def filter_events(
    logs: Any, group: str, start_ms: int, end_ms: int | None = None, pattern: str | None = None
) -> Iterator[LogEvent]:
    """Every event of ``group`` from ``start_ms`` to ``end_ms`` (inclusive, epoch ms), all pages."""
    arguments: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    if end_ms is not None:
        arguments["endTime"] = end_ms
    if pattern:
        arguments["filterPattern"] = pattern
    try:
        for page in logs.get_paginator("filter_log_events").paginate(**arguments):
            for event in page.get("events", []):
                yield LogEvent(
                    timestamp_ms=int(event["timestamp"]),
                    message=str(event.get("message", "")),
                    stream=str(event.get("logStreamName", "")),
                    event_id=str(event.get("eventId", "")),
                )
    except UserError:
        raise
    except Exception as error:
        if error_code(error) == "ResourceNotFoundException":
            raise UserError(
                f"log group {group} does not exist in this account and region (has the function run "
                "since it was created? check the name, --region and --profile)"
            ) from None
        raise aws_error(error, f"reading log group {group}") from None


__all__ = ["LogEvent", "filter_events", "logs_client"]
