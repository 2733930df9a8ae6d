"""The redrive journal: which DLQ messages are being copied, which were copied and not yet deleted.

Every send is journaled *before* it goes out (``sending``, with the time) and its outcome after
(``sent`` for each entry SQS accepted, as soon as that attempt answers, even if a later attempt of the
same batch fails). So after any stop (a crash, Ctrl-C, an expired receipt handle, a SendMessageBatch
that got no answer) the next run knows, for each message back in the DLQ:

- ``outstanding``: its copy was accepted: delete it, never send it again;
- ``in_doubt``: a send went out and no answer came back: it may or may not have arrived. On a FIFO
  queue a re-send with the same deduplication id within 5 minutes of the first is dropped by SQS (no
  duplicate); later, or on a standard queue, the re-send may duplicate it, and the run says so.
- ``duplicates``: those re-sends, kept until a run has printed them (``maybe-duplicated`` and
  ``reported``), so that a run killed after a re-send leaves its duplicates to the next run's report.

Records are flushed and fsynced one by one. The journal is removed when a run ends with nothing
outstanding and nothing in doubt.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from ttgate.errors import UserError


class Journal:
    """An append-only JSON-lines file of ``sending``, ``sent`` and ``deleted`` DLQ message ids."""

    def __init__(self, path: Path, *, source: str, destination: str) -> None:
        self.path = path
        self.outstanding: set[str] = set()  # sent, not yet deleted from the DLQ
        self.in_doubt: dict[str, int] = {}  # sent without an answer: message id -> first attempt (ms)
        # sent again after a send without an answer: extra copies that may have arrived, not yet
        # reported by a run (a run killed before its report leaves them to the next one's)
        self.duplicates: Counter[str] = Counter()
        self._file: IO[str] | None = None
        if path.exists():
            self._replay(source, destination)
        self._header = {"source": source, "destination": destination}

    def _replay(self, source: str, destination: str) -> None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise UserError(f"journal {self.path} cannot be read: {error}") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                # The last line of a run killed while writing it; everything before it is whole.
                continue
            if not isinstance(record, dict):
                continue
            if number == 1 and (record.get("source"), record.get("destination")) != (source, destination):
                raise UserError(
                    f"journal {self.path} belongs to a redrive of {record.get('source')} to "
                    f"{record.get('destination')}, not of {source} to {destination}; give another --journal"
                )
            self._apply(record)

    def _apply(self, record: dict[str, object]) -> None:
        raw = record.get("ids")
        ids = [str(message_id) for message_id in raw] if isinstance(raw, list) else []
        event = record.get("event")
        if event == "sending":
            stamp = record.get("at")
            at = int(stamp) if isinstance(stamp, int | float | str) else 0
            for message_id in ids:
                if message_id not in self.outstanding:
                    self.in_doubt.setdefault(message_id, at)
        elif event == "sent":
            self.outstanding.update(ids)
            for message_id in ids:
                self.in_doubt.pop(message_id, None)
        elif event == "maybe-duplicated":
            self.duplicates.update(ids)
        elif event == "reported":
            for message_id in ids:
                self.duplicates.pop(message_id, None)
        elif event == "deleted":
            self.outstanding.difference_update(ids)
            for message_id in ids:
                self.in_doubt.pop(message_id, None)

    def _write(self, record: dict[str, object]) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not self.path.exists() or self.path.stat().st_size == 0
            self._file = self.path.open("a", encoding="utf-8")
            if fresh:
                self._file.write(json.dumps(self._header) + "\n")
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def _record(self, event: str, message_ids: Iterable[str], **extra: object) -> None:
        ids = list(message_ids)
        if ids:
            record: dict[str, object] = {"event": event, "ids": ids, **extra}
            self._apply(record)
            self._write(record)

    def sending(self, message_ids: Iterable[str], at_ms: int) -> None:
        """Written before the send goes out: a stop before its answer leaves these in doubt."""
        self._record("sending", message_ids, at=at_ms)

    def sent(self, message_ids: Iterable[str]) -> None:
        self._record("sent", message_ids)

    def deleted(self, message_ids: Iterable[str]) -> None:
        self._record("deleted", message_ids)

    def maybe_duplicated(self, message_ids: Iterable[str]) -> None:
        self._record("maybe-duplicated", message_ids)

    def take_duplicates(self) -> Counter[str]:
        """The possible duplicates no run has reported yet (this one reports them now)."""
        found = Counter(self.duplicates)
        self._record("reported", list(found))
        return found

    def close(self) -> None:
        """Close the file; remove it when nothing is outstanding or in doubt (the next run starts clean)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if not self.outstanding and not self.in_doubt and self.path.exists():
            self.path.unlink()


__all__ = ["Journal"]
