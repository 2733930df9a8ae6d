"""The clock of the parse under way, read by the grammar's token stream (:func:`tick`): the part of
:mod:`ttgate.gate.hcl.parse_budget` the grammar needs, apart so that neither imports the other."""

from __future__ import annotations

import math
import os
import time

from ttgate.gate.hcl.bounds import work

# Tokens between two looks at the clock (about 10 to 40 ms of parsing).
_CHECK_EVERY = 2048


class ParseBudgetSpent(Exception):
    """The file being parsed took the run past its budget; raised from inside the token stream."""


class _Parsing:
    """The parse under way in this process; in a worker process, the share of the run's budget it has."""

    def __init__(self) -> None:
        self.active = False
        self.started = 0.0  # CPU time when the file under way began
        self.tokens = 0  # since the last look at the clock
        self.parent = 0  # the process that gave workers their share (see in_workers)
        self.share = math.inf  # CPU seconds a worker process may spend parsing
        self.spent_here = 0.0  # CPU seconds this worker has spent parsing

    def in_worker(self) -> bool:
        return self.parent != 0 and os.getpid() != self.parent

    def spent(self, now: float) -> bool:
        """Whether the run's budget is spent, the file under way (started at ``now`` if none is) included."""
        if self.in_worker():
            return self.spent_here + (now - self.started if self.active else 0.0) > self.share
        return run_seconds(now, self.started if self.active else now) > work.max_seconds


def run_seconds(now: float, parse_started: float) -> float:
    """The run's CPU seconds in this process: its finished evaluations, and the evaluation or parse
    under way (a parse inside an evaluation, a module read when a call to it is evaluated, is in it)."""
    return work.seconds + now - (work.started if work.depth > 0 else parse_started)


current_parse = _Parsing()


def tick() -> None:
    """One token lexed: every few thousand, ParseBudgetSpent if the parse has taken the run past its
    budget. Called by the grammar's post-lexer for every token, so it does as little as it can."""
    parsing = current_parse
    parsing.tokens += 1
    if parsing.tokens >= _CHECK_EVERY:
        parsing.tokens = 0
        if parsing.active and parsing.spent(time.process_time()):
            raise ParseBudgetSpent
