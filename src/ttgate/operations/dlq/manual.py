"""Redrive by hand: receive a batch from the DLQ, send copies to the destination, delete exactly the
messages whose copies were accepted. Exactly once wherever SQS allows it, and said so where not.

What a copy keeps: the body, every message attribute, the AWSTraceHeader, and on FIFO queues the
message group id. Its FIFO deduplication id is derived from the message itself
(:func:`deduplication_id`): never one another message sent in the last 5 minutes can have.

SendMessageBatch is never retried by botocore (the ``sender`` client has no automatic retries): a 5xx
or a timeout may hide a batch the server accepted. Every send is journaled before it goes out
(:class:`~.journal.Journal`), and each outcome decides the next step:

- entries accepted are journaled at once (even if a later attempt for the rest fails), then deleted;
- entries refused, or a throttled call, are sent again with backoff; entries still refused stay in
  the DLQ, never deleted;
- no answer (5xx, timeout): on a FIFO queue the same entries go again with the same deduplication ids
  and SQS drops what it already has; on a standard queue nothing can tell, so they go again and each
  is counted as a possible duplicate, printed with its count.

FIFO order within a message group survives partial failures: a SendMessageBatch carries at most one
message per group, and a group whose message is refused is stopped for the rest of the run (its
later messages stay in the DLQ, in order).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.integrations.aws import aws_error, call_outcome, error_code

if TYPE_CHECKING:
    from ttgate.integrations.sqs import Queue, SqsClients
    from ttgate.operations.dlq.journal import Journal
    from ttgate.operations.dlq.lock import RedriveLock

BATCH = 10  # the most ReceiveMessage, SendMessageBatch and DeleteMessageBatch take
SEND_ATTEMPTS = 5
# SQS drops a FIFO message whose deduplication id it saw in the last 5 minutes; a re-send of a message
# whose first send is older than that (with a margin for clocks) may arrive twice.
FIFO_DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000 - 30 * 1000
DEDUPLICATION_MARKER = "ttgate-redrive"


@dataclass
class RedriveResult:
    """What a run did; ``failed`` maps each message left in the DLQ to the destination's last error."""

    moved: int = 0  # copied and deleted
    resumed: int = 0  # copied by an earlier run (the journal), deleted now without a second copy
    failed: dict[str, str] = field(default_factory=dict)
    undeleted: list[str] = field(default_factory=list)  # copied, still in the DLQ: the journal has them
    stopped_groups: dict[str, str] = field(default_factory=dict)  # FIFO group -> the refused message
    held_back: list[str] = field(default_factory=list)  # FIFO messages behind a stopped group's refusal
    # message id -> how many extra copies may have arrived (sends without an answer, then sent again),
    # this run's and those of earlier runs that stopped before saying so
    possible_duplicates: Counter[str] = field(default_factory=Counter)
    interrupted: bool = False  # Ctrl-C

    @property
    def done(self) -> int:
        return self.moved + self.resumed

    @property
    def complete(self) -> bool:
        return not self.failed and not self.undeleted and not self.held_back and not self.interrupted


@dataclass(frozen=True)
class Pace:
    """How fast and how far: ``rate`` messages per second at most (None: as fast as SQS goes)."""

    max_messages: int | None = None
    rate: float | None = None
    visibility_timeout: int = 120  # seconds a received batch stays hidden while it is copied
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000)

    def batch_size(self, done: int) -> int:
        wanted = BATCH
        if self.rate is not None and self.rate < BATCH:
            wanted = max(1, int(self.rate))  # --rate 0.5: one message, then two seconds' wait
        if self.max_messages is not None:
            wanted = min(wanted, self.max_messages - done)
        return wanted


def copy_entry(message: dict[str, Any], entry_id: str, *, fifo: bool) -> dict[str, Any]:
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
        entry["MessageDeduplicationId"] = deduplication_id(message)
    return entry


def deduplication_id(message: dict[str, Any]) -> str:
    """``ttgate-redrive:<message id>:<hash of the original>``: the same for every copy of this DLQ
    message (SQS drops a re-send within 5 minutes) and unlike any id a producer sends, so a copy is
    never taken for another message and dropped. (The original id is not reused: a producer may have
    sent a new message with it in the last 5 minutes, and SQS would drop the copy as a duplicate while
    reporting it accepted.)"""
    attributes = message.get("Attributes", {})
    original = "\n".join(
        [
            str(message["MessageId"]),
            str(attributes.get("MessageGroupId", "")),
            str(attributes.get("MessageDeduplicationId", "")),
            hashlib.sha256(str(message.get("Body", "")).encode()).hexdigest(),
        ]
    )
    digest = hashlib.sha256(original.encode()).hexdigest()[:32]
    return f"{DEDUPLICATION_MARKER}:{message['MessageId']}:{digest}"[:128]


def _group(message: dict[str, Any]) -> str | None:
    group = message.get("Attributes", {}).get("MessageGroupId")
    return str(group) if group is not None else None


def redrive_manually(
    clients: SqsClients,
    dlq: Queue,
    destination: Queue,
    journal: Journal,
    pace: Pace | None = None,
    progress: Callable[[int], None] | None = None,
    lock: RedriveLock | None = None,
) -> RedriveResult:
    """Move messages from ``dlq`` to ``destination`` until the DLQ gives no more or ``pace.max_messages``.

    Ctrl-C stops after making the messages in hand visible again: ``result.interrupted`` is set and
    the result says what was moved. Messages not moved are made visible again when the run ends.
    """
    pace = pace or Pace()
    result = RedriveResult()
    started = pace.clock()
    held: dict[str, dict[str, Any]] = {}  # received, not deleted: made visible again at the end
    try:
        while pace.max_messages is None or result.done < pace.max_messages:
            if lock is not None:
                lock.check()
            messages = _receive(clients.main, dlq, pace.batch_size(result.done), pace.visibility_timeout)
            if not messages:
                break
            held.update((message["MessageId"], message) for message in messages)
            done_before = result.done
            deleted = _move_batch(clients, dlq, destination, journal, messages, pace, result)
            for message_id in deleted:
                held.pop(message_id, None)
            if progress is not None:
                progress(result.done - done_before)
            if pace.rate:
                ahead = started + result.done / pace.rate - pace.clock()
                if ahead > 0:
                    pace.sleep(ahead)
    except KeyboardInterrupt:
        result.interrupted = True
    except UserError as error:
        _release(clients.main, dlq, list(held.values()))
        duplicates = journal.take_duplicates()
        journal.close()
        if duplicates:
            error = UserError(
                f"{error}; {sum(duplicates.values())} duplicate(s) may have arrived, of "
                f"{len(duplicates)} message(s) sent again after a send without an answer"
            )
        raise UserError(
            f"{error} (stopped after moving {result.done} message(s); the rest are "
            "still in the DLQ, and a second run resumes from the journal)"
        ) from None
    _release(clients.main, dlq, list(held.values()))
    result.possible_duplicates = journal.take_duplicates()
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


def _rounds(messages: list[dict[str, Any]], fifo: bool) -> list[list[dict[str, Any]]]:
    """Send batches: on FIFO at most one message per group each, in the order received."""
    if not fifo:
        return [messages] if messages else []
    rounds: list[list[dict[str, Any]]] = []
    depth: dict[str | None, int] = {}
    for message in messages:
        level = depth.get(_group(message), 0)
        depth[_group(message)] = level + 1
        if level == len(rounds):
            rounds.append([])
        rounds[level].append(message)
    return rounds


def _move_batch(
    clients: SqsClients,
    dlq: Queue,
    destination: Queue,
    journal: Journal,
    messages: list[dict[str, Any]],
    pace: Pace,
    result: RedriveResult,
) -> set[str]:
    """Copy and delete one received batch; returns the ids deleted from the DLQ."""
    copied_before = [m for m in messages if m["MessageId"] in journal.outstanding]
    to_send = [m for m in messages if m["MessageId"] not in journal.outstanding]
    now = pace.now_ms()
    for message in to_send:
        first = journal.in_doubt.get(message["MessageId"])
        # An earlier run's send got no answer: on FIFO a re-send within the window is dropped by SQS
        if first is not None and (not destination.fifo or now - first >= FIFO_DEDUPLICATION_WINDOW_MS):
            journal.maybe_duplicated([message["MessageId"]])
    accepted: list[dict[str, Any]] = []
    for batch in _rounds(to_send, destination.fifo):
        sendable = []
        for message in batch:
            group = _group(message)
            if destination.fifo and group in result.stopped_groups:
                result.held_back.append(message["MessageId"])
            else:
                sendable.append(message)
        accepted_now = _send_with_retries(clients.sender, destination, journal, sendable, pace, result)
        accepted += accepted_now
        if destination.fifo:
            taken = {message["MessageId"] for message in accepted_now}
            for message in sendable:
                if message["MessageId"] not in taken:
                    result.stopped_groups.setdefault(str(_group(message)), message["MessageId"])
    deleted = _delete(clients.main, dlq, copied_before + accepted)
    journal.deleted(deleted)
    for message in copied_before + accepted:
        if message["MessageId"] not in deleted:
            result.undeleted.append(message["MessageId"])
    result.resumed += sum(1 for message in copied_before if message["MessageId"] in deleted)
    result.moved += sum(1 for message in accepted if message["MessageId"] in deleted)
    return deleted


def _send_with_retries(
    sender: Any,
    destination: Queue,
    journal: Journal,
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
        journal.sending((message["MessageId"] for message in pending), pace.now_ms())
        taken, refused, unanswered = _send(sender, destination, pending)
        journal.sent(taken)  # at once: a later attempt failing must not lose what this one did
        accepted.extend(message for message in pending if message["MessageId"] in taken)
        for message_id, reason in refused.items():
            result.failed[message_id] = reason
        for message_id in unanswered:
            result.failed[message_id] = "no answer from SendMessageBatch (it may have been accepted)"
            if not destination.fifo and attempt + 1 < SEND_ATTEMPTS:
                # the next attempt sends it again: if this one was accepted, it arrives twice
                journal.maybe_duplicated([message_id])
        pending = [m for m in pending if m["MessageId"] in refused or m["MessageId"] in unanswered]
    for message in accepted:
        result.failed.pop(message["MessageId"], None)
    return accepted


def _send(
    sender: Any, destination: Queue, messages: list[dict[str, Any]]
) -> tuple[set[str], dict[str, str], set[str]]:
    """Send one batch: (accepted ids, refused ids with SQS's reason, ids whose fate is unknown)."""
    entries = [
        copy_entry(message, str(index), fifo=destination.fifo) for index, message in enumerate(messages)
    ]
    every = {message["MessageId"] for message in messages}
    try:
        response = sender.send_message_batch(QueueUrl=destination.url, Entries=entries)
    except Exception as error:
        code = error_code(error)
        if code in ("AWS.SimpleQueueService.BatchRequestTooLong", "BatchRequestTooLong"):
            if len(messages) == 1:
                raise aws_error(error, f"sending message {messages[0]['MessageId']}") from None
            half = len(messages) // 2
            first, second = (
                _send(sender, destination, messages[:half]),
                _send(sender, destination, messages[half:]),
            )
            return first[0] | second[0], {**first[1], **second[1]}, first[2] | second[2]
        outcome = call_outcome(error)
        if outcome == "not-done":
            return set(), dict.fromkeys(every, f"{code or type(error).__name__}: not sent"), set()
        if outcome == "unknown":
            return set(), {}, every
        raise aws_error(error, f"sending to {destination.name}") from None
    refused: dict[str, str] = {}
    for failure in response.get("Failed", []):
        message = messages[int(failure["Id"])]
        refused[message["MessageId"]] = f"{failure.get('Code')}: {failure.get('Message', '')}".strip()
    confirmed = {entry["Id"] for entry in response.get("Successful", [])}
    taken = {messages[int(entry_id)]["MessageId"] for entry_id in confirmed}
    # An entry in neither list was not confirmed: its fate is unknown, it is never deleted on faith.
    unknown = every - taken - set(refused)
    return taken, refused, unknown


def _delete(sqs: Any, dlq: Queue, messages: list[dict[str, Any]]) -> set[str]:
    """Delete ``messages`` from the DLQ; returns the ids SQS confirmed deleted."""
    deleted: set[str] = set()
    for start in range(0, len(messages), BATCH):
        chunk = messages[start : start + BATCH]
        entries = [{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(chunk)]
        try:
            response = sqs.delete_message_batch(QueueUrl=dlq.url, Entries=entries)
        except Exception as error:
            raise aws_error(error, f"deleting copied messages from {dlq.name}") from None
        deleted |= {chunk[int(entry["Id"])]["MessageId"] for entry in response.get("Successful", [])}
    return deleted


def _release(sqs: Any, dlq: Queue, messages: list[dict[str, Any]]) -> None:
    """Make messages this run holds but did not move visible again (best effort: else they return by
    themselves after the visibility timeout)."""
    for start in range(0, len(messages), BATCH):
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
            for index, message in enumerate(messages[start : start + BATCH])
        ]
        try:
            sqs.change_message_visibility_batch(QueueUrl=dlq.url, Entries=entries)
        except Exception:
            return


__all__ = ["Pace", "RedriveResult", "copy_entry", "deduplication_id", "redrive_manually"]
