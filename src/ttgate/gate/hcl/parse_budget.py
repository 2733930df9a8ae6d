"""Parsing under the run's budget: a dense file, or many, cannot take the run past its CPU seconds.

python-hcl2's LALR parser needs about 12 to 20 µs of CPU per token, so one dense megabyte (a million
tokens) takes 12 to 24 s, and the 32 MiB a run reads could take minutes. Parsing therefore spends the
same CPU seconds as evaluation (TG000's ``evaluation_seconds``, :func:`ttgate.gate.hcl.bounds.run_budget`):
the parser's token stream calls :func:`tick` for every token, and every :data:`_CHECK_EVERY` tokens the
CPU time spent parsing is compared with what is left of the budget. A file whose parse runs past it is
cut (:func:`bounded` returns :func:`cut_file`), and so is every file after it; the run still evaluates
what was parsed, and one TG000 names the files cut (:func:`gather_cut_problem`).

Worker processes (a cold run parses on every core) inherit the budget when they are forked: each may
spend its share (:func:`in_workers`), and their CPU time is charged to the run when they have exited.
A cut file is never cached (:func:`was_cut`): the next run parses it again under its own budget.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ttgate.gate.hcl.bounds import RunBudget, work
from ttgate.gate.hcl.syntax import ParsedFile, SyntaxProblem
from ttgate.gate.model import Location, Model, Problem
from ttgate.gate.values import display

# Tokens between two looks at the clock (about 10 to 40 ms of parsing).
_CHECK_EVERY = 2048
CUT = "not parsed: the run's budget was spent before this file was (a bound against hostile input)"


class ParseBudgetSpent(Exception):
    """The file being parsed took the run past its budget; raised from inside the token stream."""


class _Parsing:
    """The parse under way in this process, and the share of the run's budget the process may spend."""

    def __init__(self) -> None:
        self.active = False
        self.started = 0.0  # CPU time when the file under way began
        self.tokens = 0  # since the last look at the clock
        self.share = 1.0  # of what was left at `base`: a worker process spends 1/jobs of it
        self.base = 0.0  # the run's seconds spent when the share was given

    def limit(self) -> float:
        """The run's seconds spent at which parsing stops in this process."""
        return self.base + (work.max_seconds - self.base) * self.share

    def spent(self, now: float) -> bool:
        return work.seconds + (now - self.started) > self.limit()


_parsing = _Parsing()


def tick() -> None:
    """One token lexed: every few thousand, ParseBudgetSpent if the parse has taken the run past its
    budget. Called by the grammar's post-lexer for every token, so it does as little as it can."""
    parsing = _parsing
    parsing.tokens += 1
    if parsing.tokens >= _CHECK_EVERY:
        parsing.tokens = 0
        if parsing.active and parsing.spent(time.process_time()):
            raise ParseBudgetSpent


def cut_file() -> ParsedFile:
    return ParsedFile(None, SyntaxProblem(CUT, 0, 0))


def was_cut(parsed: ParsedFile) -> bool:
    return parsed.problem is not None and parsed.problem.message == CUT


def bounded(parse: Callable[[str], ParsedFile], text: str) -> ParsedFile:
    """``parse(text)`` charged to the run's budget; the file is cut when the budget is spent before or
    during it."""
    from ttgate.gate.hcl.grammar import lark_parser

    lark_parser()  # built (once per process) before the clock starts: the grammar is no file's work
    parsing = _parsing
    started = time.process_time()
    if parsing.active:  # a template parsed again inside a file is charged to the file
        return parse(text)
    if work.seconds >= parsing.limit():
        return cut_file()
    parsing.active, parsing.started, parsing.tokens = True, started, 0
    try:
        return parse(text)
    except ParseBudgetSpent:
        return cut_file()
    finally:
        parsing.active = False
        _charge(time.process_time() - started)


@contextmanager
def in_workers(jobs: int) -> Iterator[None]:
    """Around a pool of ``jobs`` forked workers: each may spend 1/jobs of what is left, and what they
    spent is charged to the run once they have exited (so the pool must close inside this block)."""
    before = _children_seconds()
    saved = _parsing.share, _parsing.base
    _parsing.share, _parsing.base = saved[0] / max(jobs, 1), work.seconds
    try:
        yield
    finally:
        _parsing.share, _parsing.base = saved
        _charge(_children_seconds() - before)


def _charge(seconds: float) -> None:
    """Parsing's seconds counted against the run's; a parse inside an evaluation (a module read when a
    call to it is evaluated) is counted by the evaluation's own clock already."""
    if work.depth == 0:
        work.seconds += seconds


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def gather_cut_problem(model: Model, budget: RunBudget) -> Problem | None:
    """Replace the problems of the files cut (one each, as the loader reports them) with one TG000
    naming how many, where and the first; None when none was cut."""
    cut = [problem for problem in model.problems if problem.message == CUT]
    if not cut:
        return None
    model.problems[:] = [problem for problem in model.problems if problem.message != CUT]
    first = cut[0].location
    directories = len({str(problem.location.file).rpartition("/")[0] for problem in cut})
    seconds = budget.seconds
    return Problem(
        f"the run's budget ({seconds:g} CPU seconds, parsing and evaluation together) ran out while "
        f"parsing: {len(cut):,} file(s) in {directories:,} director{'y' if directories == 1 else 'ies'}, "
        f"from {display(first.file)} on, were not parsed, and nothing in them was checked",
        Location(first.file, 0),
        "A configuration file this large is usually generated: remove it from the checkout, or check "
        "the repository in parts; one that truly needs more can raise the budget in .ttgate.yml: "
        f"`rules: {{TG000: {{evaluation_seconds: {int(seconds * 2)}}}}}`.",
    )
