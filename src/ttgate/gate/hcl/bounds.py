"""Limits that keep evaluating hostile input linear: no Terraform configuration in practice comes near them.

A pull request's author writes every expression ttgate evaluates, so each evaluation has a budget of
work (expression nodes evaluated plus value elements measured), values and strings have a size, numbers
a magnitude, and count/for_each a number of instances. Going past a limit makes the value Unknown with a
reason (reported as TG001), never a hang, an exhausted memory or a crash.
"""

from __future__ import annotations

import math
from typing import Any

from ttgate.gate.values import Invalid, Unknown

# Instances one count or for_each expands, and instances (resources and modules) one run expands.
MAX_INSTANCES = 10_000
MAX_INSTANCES_TOTAL = 100_000
# Work one outermost evaluation may do: expression nodes evaluated and value elements measured.
MAX_STEPS = 2_000_000
# Elements (a string counts its length) of one value, and characters of one string.
MAX_VALUE_SIZE = 2_000_000
MAX_STRING = 2_000_000
# Known and unknown pieces one partly unknown string template keeps.
MAX_TEMPLATE_PARTS = 1_000
# Terraform's numbers are arbitrary precision; ttgate keeps integers of up to about 1,200 digits.
MAX_NUMBER_BITS = 4096
# Bytes of one configuration file ttgate reads.
MAX_FILE_BYTES = 8 * 1024 * 1024


class WorkExhausted(Exception):
    """The evaluation under way has used its budget (see :data:`MAX_STEPS`)."""


class _Work:
    """The work of the outermost evaluation under way: nested evaluations (locals...) share it."""

    def __init__(self) -> None:
        self.depth = 0
        self.steps = 0

    def charge(self, steps: int) -> None:
        self.steps += steps
        if self.steps > MAX_STEPS:
            raise WorkExhausted


work = _Work()


def too_large(what: str) -> Unknown:
    return Unknown(f"{what} is larger than ttgate evaluates (a bound against hostile input)")


def exhausted() -> Unknown:
    return Unknown(
        f"this expression needs more than {MAX_STEPS:,} evaluation steps, more than ttgate spends "
        "on one value (a bound against hostile input)"
    )


def check_value(value: Any, limit: int = MAX_VALUE_SIZE) -> Unknown | None:
    """Why ``value`` cannot be kept: larger than ``limit``, or holding a number out of range; else None.

    The size counts elements, and characters of strings; a value built by repeating a reference
    (``[local.a, local.a]``) counts as the tree it stands for, but counting stops past the limit, so
    checking costs at most the limit, and is charged as work.
    """
    size = 0
    pending = [value]
    problem: Unknown | None = None
    while pending and size <= limit:
        item = pending.pop()
        if isinstance(item, str):
            size += len(item)
            continue
        size += 1
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (int, float)) and problem is None:
            reason = number_problem(item)
            problem = Invalid(reason) if reason else None
    work.charge(min(size, limit) // 16)
    if size > limit:
        return too_large("this value")
    return problem


def number_problem(value: Any) -> str | None:
    """Why a number cannot be used (infinite, not a number, too many digits), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return "a number out of the range ttgate evaluates (infinite, not a number, or over 1e1233)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_NUMBER_BITS:
        return f"a number of more than {MAX_NUMBER_BITS * 3 // 10:,} digits is larger than ttgate evaluates"
    return None
