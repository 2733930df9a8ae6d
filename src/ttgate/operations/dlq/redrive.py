"""`ttgate dlq redrive`: which queue goes where and how (SQS's move task, or by hand), then the move.

The move task is preferred: SQS does the work server-side. A redrive by hand is used when asked
(``manual``), when only part of the DLQ is to move (``max_messages``: a move task takes everything),
and when this endpoint or these credentials cannot start a move task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ttgate.errors import UserError
from ttgate.integrations.sqs import (
    Queue,
    SqsClients,
    dead_letter_sources,
    find_queue,
    queue_attributes,
    queue_name,
)
from ttgate.operations.dlq.journal import Journal
from ttgate.operations.dlq.lock import RedriveLock
from ttgate.operations.dlq.manual import Pace, RedriveResult, redrive_manually
from ttgate.operations.dlq.move_task import (
    MAX_RATE,
    MoveTask,
    MoveTaskUnavailable,
    follow_task,
    refuse_if_running,
    start_task,
)

Method = Literal["move-task", "manual"]
JOURNAL_DIR = Path(".ttgate") / "redrive"


@dataclass(frozen=True)
class RedrivePlan:
    """What a redrive will do: from which DLQ, to which queue, how, and about how many messages."""

    dlq: Queue
    destination: Queue | None  # None: the move task returns each message to the queue it came from
    sources: tuple[str, ...]  # the names of the queues whose redrive policy names the DLQ
    method: Method
    why: str  # why this method
    visible: int
    in_flight: int
    max_messages: int | None
    rate: float | None

    def describe(self) -> str:
        where = (
            self.destination.name if self.destination else f"their source queues ({', '.join(self.sources)})"
        )
        limit = f"at most {self.max_messages}" if self.max_messages is not None else "all"
        pace = f", at most {self.rate:g}/s" if self.rate else ""
        return (
            f"{self.dlq.name}: {self.visible} visible, {self.in_flight} in flight; would move {limit} "
            f"to {where} with {self.method} ({self.why}){pace}"
        )


def plan_redrive(
    sqs: Any,
    dlq_name: str,
    *,
    to: str | None = None,
    max_messages: int | None = None,
    rate: float | None = None,
    manual: bool = False,
    account: Callable[[], str] | None = None,
) -> RedrivePlan:
    """Check the DLQ is one (some queue's redrive policy names it) and choose destination and method."""
    if max_messages is not None and max_messages < 1:
        raise UserError(f"--max {max_messages}: give at least 1")
    if rate is not None and rate <= 0:
        raise UserError(f"--rate {rate:g}: give a positive number of messages per second")
    dlq = find_queue(sqs, dlq_name, account=account)
    source_urls = dead_letter_sources(sqs, dlq)
    sources = tuple(queue_name(url) for url in source_urls)
    if not sources:
        raise UserError(
            f"{dlq.name} is not a dead-letter queue: no queue's redrive policy names it "
            "(ttgate dlq status --env ENV lists the DLQs)"
        )
    if to is not None:
        destination: Queue | None = find_queue(sqs, to, account=account)
    elif len(sources) == 1:
        destination = find_queue(sqs, source_urls[0], account=account)
    else:
        destination = None
    if destination is not None and destination.fifo != dlq.fifo:
        raise UserError(
            f"{dlq.name} and {destination.name}: one is FIFO and the other is not; "
            "give a --to of the same kind"
        )
    method: Method
    if manual:
        method, why = "manual", "--manual"
    elif max_messages is not None:
        method, why = "manual", "--max: a move task always moves the whole queue"
    elif rate is not None and rate != int(rate):
        method, why = "manual", f"--rate {rate:g}: the move task takes whole messages per second"
    else:
        method, why = "move-task", "SQS moves the messages itself"
        if rate is not None and rate > MAX_RATE:
            raise UserError(f"--rate {rate:g}: SQS's move task moves at most {MAX_RATE}/s (or pass --manual)")
    if method == "manual" and destination is None:
        raise UserError(
            f"{dlq.name} is the DLQ of several queues ({', '.join(sources)}): say which with --to"
        )
    attributes = queue_attributes(sqs, dlq)
    return RedrivePlan(
        dlq=dlq,
        destination=destination,
        sources=sources,
        method=method,
        why=why,
        visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
        in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        max_messages=max_messages,
        rate=rate,
    )


@dataclass(frozen=True)
class Leftover:
    """What SQS says is still in the DLQ after a run (approximate counts), and why it was not moved."""

    visible: int
    in_flight: int
    delayed: int
    visibility_timeout: int

    @property
    def empty(self) -> bool:
        return not (self.visible or self.in_flight or self.delayed)


@dataclass
class RedriveOutcome:
    method: Method
    task: MoveTask | None = None
    manual: RedriveResult | None = None
    fell_back: str | None = None  # why the move task could not be used
    notes: list[str] = field(default_factory=list)  # what the run could not check, taken-over locks
    left: Leftover | None = None
    journal: Path | None = None


def journal_path(dlq: Queue) -> Path:
    return JOURNAL_DIR / f"{dlq.name}.jsonl"


def leftover(sqs: Any, dlq: Queue) -> Leftover:
    attributes = queue_attributes(sqs, dlq)
    return Leftover(
        visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
        in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        delayed=int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
        visibility_timeout=int(attributes.get("VisibilityTimeout", 30)),
    )


def redrive(
    clients: SqsClients | Any,
    plan: RedrivePlan,
    *,
    journal: Path | None = None,
    on_moved: Callable[[int], None] | None = None,
    on_task: Callable[[MoveTask], None] | None = None,
    pace: Pace | None = None,
    poll_seconds: float = 5.0,
    lock: RedriveLock | None = None,
    break_lock: bool = False,
) -> RedriveOutcome:
    """Carry out ``plan``: the move task (falling back to a redrive by hand), or a redrive by hand.

    A redrive by hand takes the DLQ's lock first (:mod:`.lock`) and is refused while a move task runs;
    after it, the DLQ's counts say what is left (``outcome.left``).
    """
    if not isinstance(clients, SqsClients):
        clients = SqsClients.single(clients)
    fell_back = None
    if plan.method == "move-task":
        try:
            rate = int(plan.rate) if plan.rate else None
            handle = start_task(clients.probe, plan.dlq, plan.destination, rate)
        except MoveTaskUnavailable as unavailable:
            fell_back = unavailable.reason
        else:
            return RedriveOutcome(
                "move-task",
                task=follow_task(clients.main, plan.dlq, handle, on_task, poll_seconds=poll_seconds),
            )
        if plan.destination is None:
            raise UserError(
                f"the move task is not available ({fell_back}) and {plan.dlq.name} is the DLQ of several "
                f"queues ({', '.join(plan.sources)}): redrive by hand with --to"
            )
    assert plan.destination is not None
    outcome = RedriveOutcome("manual", fell_back=fell_back)
    if fell_back is None:
        try:
            refuse_if_running(clients.probe, plan.dlq)
        except MoveTaskUnavailable as unavailable:
            outcome.notes.append(
                f"could not check for a running move task ({unavailable.reason}); if one runs, it and "
                "this redrive share the messages (none is moved twice)"
            )
    lock = lock or RedriveLock(clients.main, plan.dlq)
    lock.acquire(break_lock=break_lock)
    if lock.taken_over:
        outcome.notes.append(f"took over a stale redrive lock: {lock.taken_over}")
    try:
        path = journal or journal_path(plan.dlq)
        log = Journal(path, source=plan.dlq.url, destination=plan.destination.url)
        pace = pace or Pace(max_messages=plan.max_messages, rate=plan.rate)
        result = redrive_manually(clients, plan.dlq, plan.destination, log, pace, on_moved, lock)
        outcome.manual, outcome.journal = result, path
        outcome.left = leftover(clients.main, plan.dlq)
    finally:
        lock.release()
    return outcome


__all__ = ["Leftover", "RedriveOutcome", "RedrivePlan", "journal_path", "leftover", "plan_redrive", "redrive"]
