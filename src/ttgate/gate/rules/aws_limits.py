"""The numbers AWS accepts for the attributes the rules read.

A value outside them (negative, not finite, fractional, above the maximum) fails at apply time; a rule
that compared it anyway would pass ``inf`` as "long enough" or crash on it, so it is an error finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AcceptedRange:
    """Whole numbers from ``low`` to ``high``; ``unit`` is how the docs and messages write them."""

    low: int
    high: int
    unit: str = ""

    def accepts(self, number: float | int) -> bool:
        # A float may be inf or nan, and 1.5 is no whole number; an int of any size compares exactly.
        if isinstance(number, float) and not (math.isfinite(number) and number.is_integer()):
            return False
        return self.low <= number <= self.high

    def __str__(self) -> str:
        return f"a whole number from {self.low} to {self.high}{self.unit}"


@dataclass(frozen=True)
class Rejected:
    """A value AWS does not accept for an attribute: reported as such, never compared."""

    value: Any
    accepted: AcceptedRange | str


SQS_VISIBILITY_TIMEOUT = AcceptedRange(0, 43_200, " s")  # 12 hours
SQS_MESSAGE_RETENTION = AcceptedRange(60, 1_209_600, " s")  # 1 minute to 14 days
SQS_MAX_RECEIVE_COUNT = AcceptedRange(1, 1_000)
LAMBDA_TIMEOUT = AcceptedRange(1, 900, " s")  # 15 minutes
LAMBDA_BATCHING_WINDOW = AcceptedRange(0, 300, " s")
# PutMetricAlarm: Period is 10, 20, 30 or a multiple of 60; Period × EvaluationPeriods is at most
# 7 days, and at most 1 day when Period is under an hour.
ALARM_EVALUATION_PERIODS = AcceptedRange(1, 604_800 // 10)
ALARM_PERIOD = AcceptedRange(10, 604_800, " s")
ALARM_PERIOD_RULE = "10, 20, 30 or a multiple of 60 s"
ALARM_WINDOW_LONG = 604_800
ALARM_WINDOW_SHORT = 86_400  # for a period under 3,600 s


def alarm_period_accepted(period: int) -> bool:
    """A period ALARM_PERIOD accepts is also one of CloudWatch's steps."""
    return period in (10, 20, 30) or period % 60 == 0


def alarm_window_limit(period: int) -> int:
    return ALARM_WINDOW_SHORT if period < 3_600 else ALARM_WINDOW_LONG
