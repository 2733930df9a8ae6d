"""`ttgate dlq investigate`: why a message failed, from its consumer's logs around the time it was sent.

The runbook's root-cause step, done right: the window is SentTimestamp ± 5 minutes in milliseconds,
every page is read, and the errors and the request ids they belong to come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ttgate.errors import UserError
from ttgate.integrations.cloudwatch_logs import LogEvent, logs_client
from ttgate.integrations.sqs import dead_letter_sources, find_queue
from ttgate.operations.dlq.peek import PeekedMessage, peek
from ttgate.operations.dlq.status import consumers
from ttgate.operations.logs.events import Query, is_error, log_group, read, request_ids

if TYPE_CHECKING:
    from ttgate.integrations.aws import Aws
    from ttgate.policy import Policy

WINDOW_MS = 5 * 60 * 1000
PEEK_LIMIT = 100  # how many messages are read looking for --message-id


@dataclass(frozen=True)
class Investigation:
    message: PeekedMessage
    function: str
    group: str
    start_ms: int
    end_ms: int
    errors: list[LogEvent]
    request_ids: list[str]
    events: list[LogEvent]


def investigate(
    aws: Aws,
    policy: Policy | None,
    dlq_name: str,
    *,
    message_id: str | None = None,
    function: str | None = None,
) -> Investigation:
    sqs = aws.client("sqs")
    dlq = find_queue(sqs, dlq_name)
    messages = peek(sqs, dlq, PEEK_LIMIT if message_id else 1)
    chosen = next((m for m in messages if message_id in (None, m.message_id)), None)
    if chosen is None:
        where = f"message {message_id} is not among the first {PEEK_LIMIT}" if message_id else "it is empty"
        raise UserError(f"nothing to investigate in {dlq.name}: {where}")
    if chosen.sent_ms is None:
        raise UserError(f"message {chosen.message_id} has no SentTimestamp")
    if function is None:
        lambdas = aws.client("lambda")
        found = [name for url in dead_letter_sources(sqs, dlq) for name in consumers(sqs, lambdas, url)]
        if not found:
            raise UserError(
                f"no Lambda function reads the source queue of {dlq.name} (no event source mapping): "
                "name the consumer with --function"
            )
        if len(set(found)) > 1:
            raise UserError(
                f"several functions read the source of {dlq.name} ({', '.join(found)}): "
                "pick one with --function"
            )
        function = found[0]
    group = log_group(policy, function)
    start_ms, end_ms = chosen.sent_ms - WINDOW_MS, chosen.sent_ms + WINDOW_MS
    events = list(read(logs_client(aws), Query(group, start_ms, end_ms)))
    errors = [event for event in events if is_error(event)]
    return Investigation(chosen, function, group, start_ms, end_ms, errors, request_ids(errors), events)


__all__ = ["Investigation", "investigate"]
