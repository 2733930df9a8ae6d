"""Ages as an operator reads them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ttgate.operations.durations import format_age


@pytest.mark.parametrize(
    ("age", "shown"),
    [
        (timedelta(seconds=-5), "0s"),
        (timedelta(seconds=42), "42s"),
        (timedelta(minutes=3, seconds=5), "3m05s"),
        (timedelta(hours=2, minutes=10, seconds=59), "2h10m"),
        (timedelta(days=4, hours=3, minutes=7), "4d03h"),
    ],
)
def test_an_age_shows_its_two_largest_units(age: timedelta, shown: str) -> None:
    assert format_age(age) == shown
