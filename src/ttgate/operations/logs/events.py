"""A Lambda function's log events: which group, which of its events, and how they print.

The function's log group is ``/aws/lambda/{function}`` (the policy's ``log_group`` pattern); every page
is read. ``--level`` and ``--request-id`` are matched here, so they combine with any ``--filter``
pattern (CloudWatch's own syntax, sent as it is).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ttgate.integrations.cloudwatch_logs import LogEvent, filter_events

if TYPE_CHECKING:
    from ttgate.policy import Policy

# Lambda's text logs put the level in brackets ([ERROR]); its JSON logs in "level": "ERROR".
LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
_ERROR_WORDS = re.compile(r"\b(ERROR|FATAL|Exception|Traceback|Task timed out|Runtime\.\w+)\b")
# START/END/REPORT lines, JSON logs, and the text format "[ERROR]\t<time>Z\t<request id>\t...".
_UUID = r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
_REQUEST_ID = re.compile(rf"RequestId: {_UUID}|\"requestId\"\s*:\s*\"{_UUID}\"|Z\t{_UUID}\t")


def log_group(policy: Policy | None, function: str) -> str:
    """``function``'s log group by the policy's ``log_group`` pattern; a name starting with / is one."""
    if function.startswith("/"):
        return function
    template = "/aws/lambda/{function}"
    if policy is not None and "TG401" in policy.rules:
        template = policy.settings("TG401").params.get("patterns", {}).get("log_group", template)
    return str(template).replace("{function}", function)


@dataclass(frozen=True)
class Query:
    group: str
    start_ms: int
    end_ms: int | None = None
    pattern: str | None = None
    level: str | None = None
    request_id: str | None = None

    def keeps(self, event: LogEvent) -> bool:
        if self.request_id and self.request_id not in event.message:
            return False
        return not self.level or level_of(event.message) == self.level


def level_of(message: str) -> str | None:
    """The level a Lambda log line carries: ``[ERROR]`` (text) or ``"level": "ERROR"`` (JSON)."""
    match = re.search(r"\[(TRACE|DEBUG|INFO|WARN(?:ING)?|ERROR|FATAL|CRITICAL)\]", message) or re.search(
        r"\"level\"\s*:\s*\"(\w+)\"", message
    )
    if not match:
        return None
    level = match.group(1).upper()
    return {"WARNING": "WARN", "CRITICAL": "FATAL"}.get(level, level)


def read(logs: Any, query: Query) -> Iterator[LogEvent]:
    for event in filter_events(logs, query.group, query.start_ms, query.end_ms, query.pattern):
        if query.keeps(event):
            yield event


def follow(
    logs: Any,
    query: Query,
    *,
    poll_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    rounds: int | None = None,
) -> Iterator[LogEvent]:
    """New events as they arrive (until Ctrl-C, or ``rounds`` polls): each event once."""
    seen: set[str] = set()
    start = query.start_ms
    done = 0
    while rounds is None or done < rounds:
        for event in read(
            logs, Query(query.group, start, None, query.pattern, query.level, query.request_id)
        ):
            if event.event_id not in seen:
                seen.add(event.event_id)
                start = max(start, event.timestamp_ms)  # the same millisecond again: ``seen`` skips repeats
                yield event
        done += 1
        if rounds is None or done < rounds:
            sleep(poll_seconds)


def is_error(event: LogEvent) -> bool:
    return bool(_ERROR_WORDS.search(event.message)) or level_of(event.message) in ("ERROR", "FATAL")


def request_ids(events: Iterable[LogEvent]) -> list[str]:
    """The request ids the events name, in order of first appearance."""
    found: dict[str, None] = {}
    for event in events:
        for match in _REQUEST_ID.finditer(event.message):
            found.setdefault(next(group for group in match.groups() if group))
    return list(found)


def format_event(event: LogEvent) -> str:
    stamp = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return f"{stamp}Z {event.message.rstrip()}"


def to_json(event: LogEvent) -> dict[str, Any]:
    return {
        "timestamp_ms": event.timestamp_ms,
        "time": datetime.fromtimestamp(event.timestamp_ms / 1000, UTC).isoformat().replace("+00:00", "Z"),
        "stream": event.stream,
        "message": event.message,
    }


__all__ = [
    "LEVELS",
    "Query",
    "follow",
    "format_event",
    "is_error",
    "level_of",
    "log_group",
    "read",
    "request_ids",
    "to_json",
]
