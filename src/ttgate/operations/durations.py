"""How long ago something happened, as an operator reads it at a glance (``3m05s``, ``2h10m``, ``4d03h``).

Shared by every operation family that reports an age: a lock's (``ttgate locks``), a DLQ's oldest
message (``ttgate dlq status``).
"""

from __future__ import annotations

from datetime import timedelta


def format_age(age: timedelta) -> str:
    """The two largest units of ``age``; a negative age (a clock ahead of ours) is ``0s``."""
    seconds = max(0, int(age.total_seconds()))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


__all__ = ["format_age"]
