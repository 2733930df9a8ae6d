"""Parsing under the run's budget: a dense file, or many, cannot take the run past its CPU seconds.

python-hcl2's LALR parser needs about 12 to 20 µs of CPU per token, so one dense megabyte (a million
tokens) takes 12 to 24 s, and the 32 MiB a run reads could take minutes. Parsing therefore spends the
same CPU seconds as evaluation (TG000's ``evaluation_seconds``, :func:`ttgate.gate.hcl.bounds.run_budget`):
the parser's token stream calls :func:`.parse_clock.tick` for every token, and every few thousand tokens the
CPU time spent parsing is compared with what is left of the budget. A file whose parse runs past it is
cut (:func:`bounded` returns :func:`cut_file`), and so is every file after it; the run still evaluates
what was parsed, and one TG000 names the files cut (:func:`gather_cut_problem`).

Worker processes (a cold run parses on every core) inherit the budget when they are forked: each may
spend its share (:func:`in_workers`), and their CPU time is charged to the run when they have exited.
A cut file is never cached (:func:`was_cut`): the next run parses it again under its own budget.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ttgate.gate.hcl.bounds import RunBudget, work
from ttgate.gate.hcl.parse_clock import ParseBudgetSpent, current_parse, run_seconds
from ttgate.gate.hcl.syntax import ParsedFile, SyntaxProblem
from ttgate.gate.model import Location, Model, Problem
from ttgate.gate.values import display

CUT = "not parsed: the run's budget was spent before this file was (a bound against hostile input)"


def cut_file() -> ParsedFile:
    return ParsedFile(None, SyntaxProblem(CUT, 0, 0))


def was_cut(parsed: ParsedFile) -> bool:
    return parsed.problem is not None and parsed.problem.message == CUT


def bounded(parse: Callable[[str], ParsedFile], text: str) -> ParsedFile:
    """``parse(text)`` charged to the run's budget; the file is cut when the budget is spent before or
    during it."""
    parsing = current_parse  # the grammar is built before (parse.py): no file's work
    if parsing.active:  # a template parsed again inside a file is charged to the file
        return parse(text)
    started = time.process_time()
    if parsing.spent(started):
        return cut_file()
    parsing.active, parsing.started, parsing.tokens = True, started, 0
    try:
        return parse(text)
    except ParseBudgetSpent:
        return cut_file()
    finally:
        parsing.active = False
        elapsed = time.process_time() - started
        if parsing.in_worker():
            parsing.spent_here += elapsed
        elif work.depth == 0:  # else the evaluation under way counts it
            work.seconds += elapsed


@contextmanager
def in_workers(jobs: int) -> Iterator[None]:
    """Around a pool of ``jobs`` forked workers: each may spend 1/jobs of what is left, and what they
    spent is charged to the run once they have exited (so the pool must close inside this block)."""
    before = _children_seconds()
    saved = current_parse.parent, current_parse.share, current_parse.spent_here
    now = time.process_time()
    current_parse.parent = os.getpid()
    current_parse.share = max(work.max_seconds - run_seconds(now, now), 0.0) / max(jobs, 1)
    current_parse.spent_here = 0.0
    try:
        yield
    finally:
        current_parse.parent, current_parse.share, current_parse.spent_here = saved
        work.seconds += _children_seconds() - before  # never in this process's own clock


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
