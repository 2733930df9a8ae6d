"""Limits that keep evaluating hostile input linear: no Terraform configuration in practice comes near them.

A pull request's author writes every expression ttgate evaluates, so each evaluation has a budget of
work (expression nodes evaluated plus value elements measured), values and strings have a size, numbers
a magnitude, and count/for_each a number of instances. Going past a limit makes the value Unknown with a
reason (reported as TG001), never a hang, an exhausted memory or a crash.

One run has a budget too, shared by every root, instance and attribute (see :func:`run_budget`): a
``count`` of heavy attributes spends it once, not once per instance. Past it every further evaluation is
Unknown at once, and the run reports what was cut (TG000).
"""

from __future__ import annotations

import math
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ttgate.gate.values import Invalid, Unknown

# Instances one count or for_each expands, and instances (resources and modules) one run expands.
MAX_INSTANCES = 10_000
MAX_INSTANCES_TOTAL = 100_000
# Work one outermost evaluation may do: expression nodes evaluated and value elements measured.
MAX_STEPS = 2_000_000
# Work one run may do, all its evaluations together (4 s to over a minute on one core: a step's cost
# varies with what it measures); TG000's evaluation_steps raises it. The
# largest repository measured (204 roots) spends 1.4 million. (TG000's parameters hold the same defaults.)
MAX_RUN_STEPS = 5_000_000
# Backstops of the same budget: CPU seconds spent parsing (see gate/hcl/parse_budget.py) and evaluating
# (TG000's evaluation_seconds; CPU, not wall clock, so a loaded machine cuts no more than an idle one),
# and the process's peak memory.
MAX_RUN_SECONDS = 20
MAX_RUN_MEMORY = 1536 * 1024 * 1024
# Steps between two looks at the clock and the memory.
_CHECK_EVERY = 50_000
# Elements (a string counts its length) of one value, and characters of one string.
MAX_VALUE_SIZE = 2_000_000
MAX_STRING = 2_000_000
# Known and unknown pieces one partly unknown string template keeps.
MAX_TEMPLATE_PARTS = 1_000
# Terraform's numbers are arbitrary precision; ttgate keeps integers of up to about 1,200 digits.
MAX_NUMBER_BITS = 4096
# Bytes of one configuration file ttgate reads: the largest .tf of 13,276 in public repositories is
# 113 KB, and the HCL parser reads a dense megabyte in tens of seconds (8 MiB took 67 s and 1.5 GB).
MAX_FILE_BYTES = 1024 * 1024
# Configuration files (.tf, .tfvars, their JSON, terragrunt.hcl) one run reads, and their bytes: the
# largest repository measured holds 4,272 of them, 11.8 MiB. Past either, the rest are not read (TG000).
# 10,000 small files cost some 15 s of CPU cold (parsed, cached and evaluated), 20,000 over the run's 20 s.
MAX_FILES = 10_000
MAX_RUN_FILE_BYTES = 32 * 1024 * 1024


class WorkExhausted(Exception):
    """The evaluation under way has used its budget (see :data:`MAX_STEPS`), or the run has."""


class _Work:
    """The work of the outermost evaluation under way (nested evaluations, locals..., share it), and of
    the run (see :func:`run_budget`)."""

    def __init__(self) -> None:
        self.depth = 0
        self.steps = 0  # of the outermost evaluation under way
        self.run_steps = 0  # of the run's finished outermost evaluations
        self.run_limit = sys.maxsize  # no run under way: only MAX_STEPS applies
        self.seconds = 0.0  # spent in the run's finished outermost evaluations
        self.started = 0.0  # when the outermost evaluation under way began
        self.max_seconds = math.inf
        self.next_check = sys.maxsize
        self.cut: str | None = None  # why the run's budget ran out: "steps", "time" or "memory"
        self.limit = MAX_STEPS  # steps of this evaluation before _over() has a look

    def begin(self) -> None:
        """An outermost evaluation begins; WorkExhausted at once when the run's budget is spent."""
        self.run_steps += self.steps
        self.steps = 0
        self.started = time.process_time()
        if self.cut is not None:
            raise WorkExhausted
        self._set_limit()

    def end(self) -> None:
        """The outermost evaluation ends: its time counts against the run's (parsing's, when it parses
        a file, included)."""
        self.seconds += time.process_time() - self.started

    def charge(self, steps: int) -> None:
        self.steps += steps
        if self.steps > self.limit:
            self._over()

    def _set_limit(self) -> None:
        if self.cut is not None:
            self.limit = -1
            return
        self.limit = min(MAX_STEPS, self.run_limit - self.run_steps, self.next_check - self.run_steps)

    def _over(self) -> None:
        if self.depth == 0:  # work outside any evaluation (an instance's bindings) is never cut
            return
        if self.cut is not None or self.steps > MAX_STEPS:
            raise WorkExhausted
        total = self.run_steps + self.steps
        if total > self.run_limit:
            self._cut("steps")
        if total >= self.next_check:
            self.next_check = total + _CHECK_EVERY
            if self.seconds + time.process_time() - self.started > self.max_seconds:
                self._cut("time")
            if _peak_memory() > MAX_RUN_MEMORY:
                self._cut("memory")
        self._set_limit()

    def _cut(self, why: str) -> None:
        self.cut = why
        self.limit = -1
        raise WorkExhausted


work = _Work()


def _peak_memory() -> int:
    """The process's peak resident memory in bytes (Linux counts KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class RunBudget:
    """What one run may spend on evaluation, and what it spent (read after the run)."""

    def __init__(self, steps: int, seconds: float) -> None:
        self.steps = steps
        self.seconds = seconds
        self.cut: str | None = None  # "steps", "time" or "memory" once the budget has run out
        self.spent = 0


# What a run's budget sets on `work` and puts back after (a run inside a run, as tests do, restores it).
_RUN_STATE = ("steps", "run_steps", "run_limit", "seconds", "max_seconds", "next_check", "cut")


@contextmanager
def run_budget(steps: int = MAX_RUN_STEPS, seconds: float = MAX_RUN_SECONDS) -> Iterator[RunBudget]:
    """One run's evaluation budget: every evaluation inside the block shares ``steps`` steps, ``seconds``
    CPU seconds of parsing and evaluating, and the process's memory up to :data:`MAX_RUN_MEMORY`."""
    budget = RunBudget(steps, seconds)
    saved = {field: getattr(work, field) for field in _RUN_STATE}
    work.steps, work.run_steps, work.seconds, work.cut = 0, 0, 0.0, None
    work.run_limit, work.max_seconds, work.next_check = steps, seconds, _CHECK_EVERY
    try:
        yield budget
    finally:
        budget.cut, budget.spent = work.cut, work.run_steps + work.steps
        for field, value in saved.items():
            setattr(work, field, value)
        work._set_limit()


RUN_BUDGET_SPENT = (
    "not evaluated: the run's evaluation budget was spent before it (a bound against hostile input; "
    "see TG000)"
)


def too_large(what: str) -> Unknown:
    return Unknown(f"{what} is larger than ttgate evaluates (a bound against hostile input)")


def exhausted() -> Unknown:
    if work.cut is not None:
        return Unknown(RUN_BUDGET_SPENT)
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
