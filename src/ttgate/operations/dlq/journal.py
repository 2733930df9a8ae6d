"""The redrive journal: which DLQ messages were copied to the destination and not yet deleted.

A run that stops between SendMessageBatch and DeleteMessageBatch (a crash, Ctrl-C, an expired receipt
handle) leaves messages in the DLQ whose copies were already accepted. The next run reads the journal
and deletes those without sending them again. The journal is written and flushed to disk right after
each accepted send, so only a stop between the send and that write can duplicate messages: one batch
at most. It is removed when a run ends with nothing outstanding.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO


class Journal:
    """An append-only JSON-lines file of ``sent`` and ``deleted`` DLQ message ids for one DLQ."""

    def __init__(self, path: Path, *, source: str, destination: str) -> None:
        self.path = path
        self.outstanding: set[str] = set()  # sent, not yet deleted from the DLQ
        self._file: IO[str] | None = None
        if path.exists():
            self._replay(source, destination)
        self._header = {"source": source, "destination": destination}

    def _replay(self, source: str, destination: str) -> None:
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                # The last line of a run killed while writing it; everything before it is whole.
                continue
            if number == 1 and (record.get("source"), record.get("destination")) != (source, destination):
                from ttgate.errors import UserError

                raise UserError(
                    f"journal {self.path} belongs to a redrive of {record.get('source')} to "
                    f"{record.get('destination')}, not of {source} to {destination}; give another --journal"
                )
            ids = record.get("ids", [])
            if record.get("event") == "sent":
                self.outstanding.update(ids)
            elif record.get("event") == "deleted":
                self.outstanding.difference_update(ids)

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

    def sent(self, message_ids: Iterable[str]) -> None:
        ids = list(message_ids)
        if ids:
            self.outstanding.update(ids)
            self._write({"event": "sent", "ids": ids})

    def deleted(self, message_ids: Iterable[str]) -> None:
        ids = list(message_ids)
        if ids:
            self.outstanding.difference_update(ids)
            self._write({"event": "deleted", "ids": ids})

    def close(self) -> None:
        """Close the file; remove it when nothing is outstanding (the next run starts clean)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if not self.outstanding and self.path.exists():
            self.path.unlink()


__all__ = ["Journal"]
