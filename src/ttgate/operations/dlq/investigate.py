"""`ttgate dlq investigate`: why a message failed, from its consumer's logs while it was retried.

The runbook's root-cause step, done right: the window follows the message's retries, from 5 minutes
before it was sent (or first received) to 5 minutes after its last receive from the source queue
(first receive + (receives - 1) x the source's visibility timeout, as SQS hands a message out again
only once that has passed), in milliseconds; every page is read, and the errors and the request ids
they belong to come first. The receive count leaves out investigate's own receive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ttgate.errors import UserError
from ttgate.integrations.cloudwatch_logs import LogEvent, logs_client
from ttgate.integrations.sqs import Queue, dead_letter_sources, find_queue, queue_attributes, queue_name
from ttgate.operations.dlq.peek import PeekedMessage, peek, refuse_if_receives_move_messages
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
    warning: str | None = None  # the DLQ has a redrive policy of its own (read anyway, as asked)


def investigate(
    aws: Aws,
    policy: Policy | None,
    dlq_name: str,
    *,
    message_id: str | None = None,
    function: str | None = None,
    despite_redrive_policy: bool = False,
) -> Investigation:
    sqs = aws.client("sqs")
    dlq = find_queue(sqs, dlq_name, account=aws.account_id)
    warning = refuse_if_receives_move_messages(sqs, dlq, allowed=despite_redrive_policy)
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
    visibility = max(
        (
            int(queue_attributes(sqs, source_queue(url), ["VisibilityTimeout"]).get("VisibilityTimeout", 30))
            for url in dead_letter_sources(sqs, dlq)
        ),
        default=30,
    )
    start_ms, end_ms = retry_window(chosen, visibility)
    events = list(read(logs_client(aws), Query(group, start_ms, end_ms)))
    errors = [event for event in events if is_error(event)]
    return Investigation(
        chosen, function, group, start_ms, end_ms, errors, request_ids(errors), events, warning
    )


def source_queue(url: str) -> Queue:
    return Queue(queue_name(url), url, "")


def retry_window(message: PeekedMessage, visibility_seconds: int) -> tuple[int, int]:
    """From 5 minutes before the message was sent (or first received) to 5 minutes after its last
    receive before the DLQ: first receive + (receives - 1) x the source's visibility timeout."""
    sent = message.sent_ms or 0
    first = message.first_receive_ms or sent
    last = first + max(0, message.receive_count - 1) * visibility_seconds * 1000
    return min(sent, first) - WINDOW_MS, max(last, sent) + WINDOW_MS


__all__ = ["Investigation", "investigate", "retry_window"]
