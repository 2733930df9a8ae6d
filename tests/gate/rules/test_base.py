"""Helpers every rule shares (gate/rules/base.py)."""

from __future__ import annotations

import pytest

from ttgate.gate.rules.base import seconds


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0 s"),
        (30, "30 s"),
        (59, "59 s"),
        (60, "60 s (1 minute)"),
        (90, "90 s (1.5 minutes)"),
        (359, "359 s (about 6 minutes)"),
        (1800, "1,800 s (30 minutes)"),
        (3600, "3,600 s (1 hour)"),
        (3600.0, "3,600 s (1 hour)"),
        (43_200, "43,200 s (12 hours)"),
        (86_400, "86,400 s (1 day)"),
        (345_600, "345,600 s (4 days)"),
        (1_209_600, "1,209,600 s (14 days)"),
        (1.5, "1.5 s"),
    ],
)
def test_seconds_read_as_a_person_reads_them(value: float | int, shown: str) -> None:
    assert seconds(value) == shown
