"""One redrive of a DLQ at a time: a lock every operator can see, kept as a tag on the DLQ itself.

Why a tag: it lives with the queue (no other resource to create or grant), the console and
``aws sqs list-queue-tags`` show it, and only the redrive role's sqs:TagQueue/UntagQueue/ListQueueTags
are needed. SQS has no conditional write, so two runs starting in the same instant are told apart
after the fact: each writes its own token, waits ``settle_seconds`` and reads the tag back; only the
run whose token is there goes on. A holder reads the tag again before every batch (and refreshes its
time at least every :data:`REFRESH_SECONDS`), so a run that finds another's token there stops before
its next send. A lock not refreshed for :data:`STALE_SECONDS` belongs to a dead run and is taken over,
saying so; ``--break-lock`` takes over a live-looking one (only when its holder is known to be gone).

The tag value is ``<token> <epoch seconds> <who>``: who is ``$GITHUB_ACTOR (run $GITHUB_RUN_ID)`` in
Actions, else ``user@host``.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.integrations.aws import aws_error

if TYPE_CHECKING:
    from ttgate.integrations.sqs import Queue

TAG = "ttgate:redrive-lock"
STALE_SECONDS = 15 * 60
REFRESH_SECONDS = 60
SETTLE_SECONDS = 2.0
_TAG_UNSAFE = re.compile(r"[^\w .:/=+\-@]")


def who_am_i() -> str:
    actor = os.environ.get("GITHUB_ACTOR")
    if actor:
        return f"{actor} (run {os.environ.get('GITHUB_RUN_ID', '?')})"
    try:
        user = getpass.getuser()
    except Exception:
        user = "someone"
    return f"{user}@{socket.gethostname()}"


@dataclass(frozen=True)
class Holder:
    token: str
    since: int  # epoch seconds of the holder's last refresh
    who: str

    @classmethod
    def parse(cls, value: str) -> Holder:
        token, _, rest = value.partition(" ")
        stamp, _, who = rest.partition(" ")
        return cls(token, int(stamp) if stamp.isdigit() else 0, who or "unknown")

    def value(self) -> str:
        return _TAG_UNSAFE.sub("_", f"{self.token} {self.since} {self.who}")[:256]


@dataclass
class RedriveLock:
    """The lock of one DLQ for this run: :meth:`acquire`, :meth:`check` before each batch, :meth:`release`."""

    sqs: Any
    dlq: Queue
    who: str = field(default_factory=who_am_i)
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    settle_seconds: float = field(default_factory=lambda: SETTLE_SECONDS)
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    taken_over: str | None = None  # whose stale lock this run took over
    _refreshed: float = 0.0
    _held: bool = False

    def _current(self) -> Holder | None:
        try:
            tags = self.sqs.list_queue_tags(QueueUrl=self.dlq.url).get("Tags", {}) or {}
        except Exception as error:
            raise aws_error(
                error, f"reading the redrive lock of {self.dlq.name} (sqs:ListQueueTags)"
            ) from None
        value = tags.get(TAG)
        return Holder.parse(str(value)) if value else None

    def _write(self) -> None:
        now = int(self.clock())
        holder = Holder(self.token, now, self.who)
        try:
            self.sqs.tag_queue(QueueUrl=self.dlq.url, Tags={TAG: holder.value()})
        except Exception as error:
            raise aws_error(error, f"taking the redrive lock of {self.dlq.name} (sqs:TagQueue)") from None
        self._refreshed = now

    def _describe(self, holder: Holder) -> str:
        age = max(0, int(self.clock()) - holder.since)
        return f"{holder.who}, last seen {age} s ago (tag {TAG} on {self.dlq.name})"

    def acquire(self, *, break_lock: bool = False) -> None:
        holder = self._current()
        if holder is not None and holder.token != self.token:
            stale = int(self.clock()) - holder.since >= STALE_SECONDS
            if not (stale or break_lock):
                raise UserError(
                    f"another redrive of {self.dlq.name} is running: {self._describe(holder)}; wait for "
                    f"it to finish, or if it is dead, pass --break-lock (a lock is stale after "
                    f"{STALE_SECONDS // 60} min)"
                )
            self.taken_over = self._describe(holder)
        self._write()
        self.sleep(self.settle_seconds)
        now = self._current()
        if now is None or now.token != self.token:
            other = self._describe(now) if now is not None else "the tag was removed"
            raise UserError(
                f"another redrive of {self.dlq.name} started at the same moment ({other}); it goes on, "
                "this one stops: run again when it has finished"
            )
        self._held = True

    def check(self) -> None:
        """Before each batch: the lock is still this run's (else stop), refreshed now and then."""
        if not self._held:
            return
        holder = self._current()
        if holder is None or holder.token != self.token:
            self._held = False
            other = self._describe(holder) if holder is not None else "its tag was removed"
            raise UserError(f"the redrive lock of {self.dlq.name} is no longer this run's ({other})")
        if self.clock() - self._refreshed >= REFRESH_SECONDS:
            self._write()

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        try:
            holder = self._current()
            if holder is not None and holder.token == self.token:
                self.sqs.untag_queue(QueueUrl=self.dlq.url, TagKeys=[TAG])
        except UserError:
            raise
        except Exception as error:
            raise aws_error(
                error,
                f"releasing the redrive lock of {self.dlq.name} (it goes stale in {STALE_SECONDS // 60} min)",
            ) from None


__all__ = ["STALE_SECONDS", "TAG", "Holder", "RedriveLock", "who_am_i"]
