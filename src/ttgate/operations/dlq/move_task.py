"""Redrive with SQS's own message move task (StartMessageMoveTask, ListMessageMoveTasks,
CancelMessageMoveTask): SQS moves the messages itself, standard and FIFO, up to 500 per second.

SQS allows one running task per DLQ, so an existing one is looked for first and reported rather than
started over. Ctrl-C while following a task cancels it (the messages already moved stay moved).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.integrations.aws import aws_error, error_code

if TYPE_CHECKING:
    from ttgate.integrations.sqs import Queue

MAX_RATE = 500  # MaxNumberOfMessagesPerSecond's upper bound
FINISHED = ("COMPLETED", "FAILED", "CANCELLED")
# Codes that mean this endpoint or these credentials cannot run a move task: redrive by hand instead.
UNSUPPORTED_CODES = (
    "UnsupportedOperation",
    "InvalidAction",
    "UnknownOperationException",
    "NotImplemented",
    "AccessDenied",
    "AccessDeniedException",
)


def _unavailable(error: Exception) -> bool:
    # moto in-process raises NotImplementedError: an endpoint without move tasks, as some emulators are.
    # A 5xx (after the client's retries) or no answer at all: the API is down; redriving by hand works.
    if isinstance(error, NotImplementedError) or error_code(error) in UNSUPPORTED_CODES:
        return True
    status = getattr(error, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    if isinstance(status, int) and (status >= 500 or status == 404):
        return True
    from ttgate.integrations.aws import call_outcome

    return not hasattr(error, "response") and call_outcome(error) != "refused"


def _why(error: Exception) -> str:
    status = getattr(error, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = error_code(error) or type(error).__name__
    return f"{code} (HTTP {status})" if status else code


class MoveTaskUnavailable(Exception):
    """StartMessageMoveTask is not available here; ``reason`` says why (the AWS error code)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MoveTask:
    """One entry of ListMessageMoveTasks."""

    status: str  # RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED
    handle: str | None  # only while RUNNING
    moved: int
    to_move: int | None
    failure: str | None
    destination: str | None

    @classmethod
    def from_response(cls, result: dict[str, Any]) -> MoveTask:
        to_move = result.get("ApproximateNumberOfMessagesToMove")
        return cls(
            status=str(result.get("Status", "")),
            handle=result.get("TaskHandle"),
            moved=int(result.get("ApproximateNumberOfMessagesMoved", 0)),
            to_move=int(to_move) if to_move is not None else None,
            failure=result.get("FailureReason"),
            destination=result.get("DestinationArn"),
        )

    def describe(self) -> str:
        total = f" of {self.to_move}" if self.to_move is not None else ""
        failure = f": {self.failure}" if self.failure else ""
        return f"{self.status.lower()}, {self.moved}{total} moved{failure}"


def latest_task(sqs: Any, dlq: Queue) -> MoveTask | None:
    """The most recent move task of ``dlq`` (SQS lists the newest first), or None."""
    try:
        results = sqs.list_message_move_tasks(SourceArn=dlq.arn, MaxResults=1).get("Results", [])
    except Exception as error:
        if _unavailable(error):
            raise MoveTaskUnavailable(f"ListMessageMoveTasks answered {_why(error)}") from None
        raise aws_error(error, f"listing the message move tasks of {dlq.name}") from None
    return MoveTask.from_response(results[0]) if results else None


def refuse_if_running(sqs: Any, dlq: Queue) -> None:
    """Refused in one line while a move task runs on ``dlq``; MoveTaskUnavailable when SQS cannot say."""
    running = latest_task(sqs, dlq)
    if running is not None and running.status in ("RUNNING", "CANCELLING"):
        raise UserError(
            f"a message move task is already {running.status.lower()} on {dlq.name} ({running.describe()}; "
            f"handle {running.handle}): wait for it (ttgate dlq status) or cancel it before starting another"
        )


def start_task(sqs: Any, dlq: Queue, destination: Queue | None, rate: int | None) -> str:
    """Start a move task; refused while one is running. Returns its handle."""
    refuse_if_running(sqs, dlq)
    arguments: dict[str, Any] = {"SourceArn": dlq.arn}
    if destination is not None:
        arguments["DestinationArn"] = destination.arn
    if rate is not None:
        arguments["MaxNumberOfMessagesPerSecond"] = rate
    try:
        return str(sqs.start_message_move_task(**arguments)["TaskHandle"])
    except Exception as error:
        if _unavailable(error):
            raise MoveTaskUnavailable(f"StartMessageMoveTask answered {_why(error)}") from None
        raise aws_error(error, f"starting a message move task on {dlq.name}") from None


def follow_task(
    sqs: Any,
    dlq: Queue,
    handle: str,
    progress: Callable[[MoveTask], None] | None = None,
    *,
    poll_seconds: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> MoveTask:
    """Poll the task until it finishes; Ctrl-C cancels it and raises a UserError saying how far it got."""
    try:
        while True:
            task = latest_task(sqs, dlq)
            if task is None:
                raise UserError(f"the message move task {handle} of {dlq.name} is no longer listed")
            if progress is not None:
                progress(task)
            if task.status in FINISHED:
                return task
            sleep(poll_seconds)
    except KeyboardInterrupt:
        moved = cancel_task(sqs, dlq, handle)
        raise UserError(
            f"interrupted: message move task on {dlq.name} cancelled after about {moved} message(s) "
            "moved; the rest stay in the DLQ"
        ) from None


def cancel_task(sqs: Any, dlq: Queue, handle: str) -> int:
    """Cancel a running task; returns about how many messages it had moved."""
    try:
        return int(sqs.cancel_message_move_task(TaskHandle=handle).get("ApproximateNumberOfMessagesMoved", 0))
    except Exception as error:
        raise aws_error(error, f"cancelling the message move task {handle} on {dlq.name}") from None


__all__ = [
    "MAX_RATE",
    "MoveTask",
    "MoveTaskUnavailable",
    "cancel_task",
    "follow_task",
    "latest_task",
    "refuse_if_running",
    "start_task",
]
