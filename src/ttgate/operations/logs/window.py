"""The time window of ``ttgate logs``: ``--since 30m`` or ISO 8601 ``--start/--end``, as the epoch
milliseconds FilterLogEvents takes (a time in seconds would be read as a moment in January 1970)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from ttgate.errors import UserError

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``30m``, ``2h``, ``1h30m``, ``7d``: a duration; anything else is refused in one line."""
    value = text.strip()
    parts = _DURATION.findall(value)
    if not parts or "".join(number + unit for number, unit in parts) != value:
        raise UserError(f"--since {text!r}: give a duration such as 30m, 2h, 1h30m or 7d")
    return sum((timedelta(**{_UNITS[unit]: int(number)}) for number, unit in parts), timedelta())


def parse_time(text: str, option: str) -> int:
    """ISO 8601 (``2025-01-31T14:05``, ``...Z`` or an offset; without one, UTC) as epoch milliseconds."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UserError(f"{option} {text!r}: give an ISO 8601 time such as 2025-01-31T14:05:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def time_window(
    since: str | None, start: str | None, end: str | None, now_ms: int | None = None
) -> tuple[int, int | None]:
    """(start, end) in epoch milliseconds; the default is the last 30 minutes, until now."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    if since is not None and (start is not None or end is not None):
        raise UserError("--since and --start/--end: give one (--since 30m, or --start T [--end T])")
    if start is not None:
        start_ms, end_ms = parse_time(start, "--start"), parse_time(end, "--end") if end else None
        if end_ms is not None and end_ms < start_ms:
            raise UserError(f"--end {end} is before --start {start}")
        return start_ms, end_ms
    if end is not None:
        raise UserError("--end needs --start")
    return now_ms - int(parse_duration(since or "30m").total_seconds() * 1000), None


__all__ = ["parse_duration", "parse_time", "time_window"]
