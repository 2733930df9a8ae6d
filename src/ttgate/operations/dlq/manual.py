"""Redrive by hand: receive a batch from the DLQ, send copies to the destination, delete exactly the
messages whose copies were accepted.

What a copy keeps: the body, every message attribute, the AWSTraceHeader, and on FIFO queues the
message group id and the deduplication id. Entries the destination refused are retried with backoff
and, when they still fail, left in the DLQ (never deleted). The :class:`~.journal.Journal` makes a
second run after a crash delete what the first one already copied instead of sending it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.integrations.aws import aws_error, error_code

if TYPE_CHECKING:
    from ttgate.integrations.sqs import Queue
    from ttgate.operations.dlq.journal import Journal

BATCH = 10  # the most ReceiveMessage, SendMessageBatch and DeleteMessageBatch take
SEND_ATTEMPTS = 5
# A copy sent to a FIFO queue within 5 minutes of a message with the same deduplication id is accepted
# and silently dropped. A message that reached the DLQ quickly would be lost that way, so a young one
# gets a derived id (still the same on every attempt, so a resend after a crash is deduplicated).
FIFO_DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000 + 30 * 1000
_MAX_DEDUPLICATION_ID = 128


@dataclass
class RedriveResult:
    """What a run did; ``failed`` maps each message left in the DLQ to the destination's last error."""

    moved: int = 0  # copied and deleted
    resumed: int = 0  # copied by an earlier run (the journal), deleted now without a second copy
    failed: dict[str, str] = field(default_factory=dict)
    undeleted: list[str] = field(default_factory=list)  # copied, still in the DLQ: the journal has them

    @property
    def complete(self) -> bool:
        return not self.failed and not self.undeleted


@dataclass(frozen=True)
class Pace:
    """How fast and how far: ``rate`` messages per second at most (None: as fast as SQS goes)."""

    max_messages: int | None = None
    rate: float | None = None
    visibility_timeout: int = 120  # seconds a received batch stays hidden while it is copied
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000)


def copy_entry(message: dict[str, Any], entry_id: str, *, fifo: bool, now_ms: int) -> dict[str, Any]:
    """The SendMessageBatch entry that re-sends ``message`` as it was sent."""
    attributes = message.get("Attributes", {})
    entry: dict[str, Any] = {"Id": entry_id, "MessageBody": message["Body"]}
    if message.get("MessageAttributes"):
        entry["MessageAttributes"] = {
            name: {key: value for key, value in attribute.items() if value not in ([], None)}
            for name, attribute in message["MessageAttributes"].items()
        }
    if "AWSTraceHeader" in attributes:
        entry["MessageSystemAttributes"] = {
            "AWSTraceHeader": {"DataType": "String", "StringValue": attributes["AWSTraceHeader"]}
        }
    if fifo:
        entry["MessageGroupId"] = attributes["MessageGroupId"]
        entry["MessageDeduplicationId"] = deduplication_id(message, now_ms)
    return entry


def deduplication_id(message: dict[str, Any], now_ms: int) -> str:
    attributes = message.get("Attributes", {})
    original = str(attributes.get("MessageDeduplicationId") or message["MessageId"])
    sent = int(attributes.get("SentTimestamp", "0"))
    if now_ms - sent >= FIFO_DEDUPLICATION_WINDOW_MS:
        return original
    suffix = "-redrive-" + str(message["MessageId"])
    return original[: _MAX_DEDUPLICATION_ID - len(suffix)] + suffix


def redrive_manually(
    sqs: Any,
    dlq: Queue,
    destination: Queue,
    journal: Journal,
    pace: Pace | None = None,
    progress: Callable[[int], None] | None = None,
) -> RedriveResult:
    """Move messages from ``dlq`` to ``destination`` until the DLQ is empty or ``pace.max_messages``."""
    pace = pace or Pace()
    result = RedriveResult()
    started = pace.clock()
    try:
        while pace.max_messages is None or result.moved + result.resumed < pace.max_messages:
            wanted = BATCH
            if pace.max_messages is not None:
                wanted = min(BATCH, pace.max_messages - result.moved - result.resumed)
            messages = _receive(sqs, dlq, wanted, pace.visibility_timeout)
            if not messages:
                break
            done_before = result.moved + result.resumed
            _move_batch(sqs, dlq, destination, journal, messages, pace, result)
            if progress is not None:
                progress(result.moved + result.resumed - done_before)
            if pace.rate:
                ahead = started + (result.moved + result.resumed) / pace.rate - pace.clock()
                if ahead > 0:
                    pace.sleep(ahead)
    except UserError as error:
        raise UserError(
            f"{error} (stopped after moving {result.moved + result.resumed} message(s); the rest are "
            "still in the DLQ, and a second run resumes from the journal)"
        ) from None
    finally:
        journal.close()
    return result


def _receive(sqs: Any, dlq: Queue, wanted: int, visibility_timeout: int) -> list[dict[str, Any]]:
    try:
        response = sqs.receive_message(
            QueueUrl=dlq.url,
            MaxNumberOfMessages=wanted,
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=visibility_timeout,
            WaitTimeSeconds=1,  # a long poll asks every SQS server: an empty answer means empty
        )
    except Exception as error:
        raise aws_error(error, f"receiving from {dlq.name}") from None
    return list(response.get("Messages", []))


def _move_batch(
    sqs: Any,
    dlq: Queue,
    destination: Queue,
    journal: Journal,
    messages: list[dict[str, Any]],
    pace: Pace,
    result: RedriveResult,
) -> None:
    copied_before = [m for m in messages if m["MessageId"] in journal.outstanding]
    to_send = [m for m in messages if m["MessageId"] not in journal.outstanding]
    accepted = _send_with_retries(sqs, destination, to_send, pace, result)
    journal.sent(message["MessageId"] for message in accepted)
    deleted = _delete(sqs, dlq, copied_before + accepted)
    journal.deleted(deleted)
    for message in copied_before + accepted:
        if message["MessageId"] not in deleted:
            result.undeleted.append(message["MessageId"])
    result.resumed += sum(1 for message in copied_before if message["MessageId"] in deleted)
    result.moved += sum(1 for message in accepted if message["MessageId"] in deleted)


def _send_with_retries(
    sqs: Any,
    destination: Queue,
    messages: list[dict[str, Any]],
    pace: Pace,
    result: RedriveResult,
) -> list[dict[str, Any]]:
    """The messages whose copies ``destination`` accepted; the others are in ``result.failed``."""
    accepted: list[dict[str, Any]] = []
    pending = messages
    for attempt in range(SEND_ATTEMPTS):
        if not pending:
            break
        if attempt:
            pace.sleep(min(0.2 * 2**attempt, 5.0))
        refused = _send(sqs, destination, pending, pace.now_ms())
        accepted.extend(message for message in pending if message["MessageId"] not in refused)
        pending = [message for message in pending if message["MessageId"] in refused]
        for message in pending:
            result.failed[message["MessageId"]] = refused[message["MessageId"]]
    for message in accepted:
        result.failed.pop(message["MessageId"], None)
    return accepted


def _send(sqs: Any, destination: Queue, messages: list[dict[str, Any]], now_ms: int) -> dict[str, str]:
    """Send one batch; returns the refused messages' ids with the reason SQS gave."""
    entries = [
        copy_entry(message, str(index), fifo=destination.fifo, now_ms=now_ms)
        for index, message in enumerate(messages)
    ]
    try:
        response = sqs.send_message_batch(QueueUrl=destination.url, Entries=entries)
    except Exception as error:
        if error_code(error) in ("AWS.SimpleQueueService.BatchRequestTooLong", "BatchRequestTooLong"):
            if len(messages) == 1:
                raise aws_error(error, f"sending message {messages[0]['MessageId']}") from None
            half = len(messages) // 2
            return {
                **_send(sqs, destination, messages[:half], now_ms),
                **_send(sqs, destination, messages[half:], now_ms),
            }
        raise aws_error(error, f"sending to {destination.name}") from None
    refused: dict[str, str] = {}
    for failure in response.get("Failed", []):
        message = messages[int(failure["Id"])]
        refused[message["MessageId"]] = f"{failure.get('Code')}: {failure.get('Message', '')}".strip()
    # An entry that is in neither list was not confirmed: treat it as refused, never delete it.
    confirmed = {entry["Id"] for entry in response.get("Successful", [])}
    for index, message in enumerate(messages):
        if str(index) not in confirmed and message["MessageId"] not in refused:
            refused[message["MessageId"]] = "not confirmed by SendMessageBatch"
    return refused


def _delete(sqs: Any, dlq: Queue, messages: list[dict[str, Any]]) -> set[str]:
    """Delete ``messages`` from the DLQ; returns the ids SQS confirmed deleted."""
    if not messages:
        return set()
    entries = [{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)]
    try:
        response = sqs.delete_message_batch(QueueUrl=dlq.url, Entries=entries)
    except Exception as error:
        raise aws_error(error, f"deleting copied messages from {dlq.name}") from None
    return {messages[int(entry["Id"])]["MessageId"] for entry in response.get("Successful", [])}


__all__ = ["Pace", "RedriveResult", "copy_entry", "deduplication_id", "redrive_manually"]
