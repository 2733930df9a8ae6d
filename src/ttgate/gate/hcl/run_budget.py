"""One run's budgets, and the TG000 problems that say what they cut.

Evaluation: the budget itself is :func:`ttgate.gate.hcl.bounds.run_budget`; this module reads its size
from TG000's parameters (``evaluation_steps``, ``evaluation_seconds``) and, once the run is loaded,
finds the resources whose values it left unknown so that the report names them. Reading:
:class:`ReadBudget` admits configuration files up to :data:`~ttgate.gate.hcl.bounds.MAX_FILES` and
:data:`~ttgate.gate.hcl.bounds.MAX_RUN_FILE_BYTES`, and names those it did not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ttgate.gate.hcl import bounds
from ttgate.gate.model import Location, Model, Problem, Resource
from ttgate.gate.values import Unknown, display
from ttgate.policy import Policy

PARSE_RULE = "TG000"
# Values looked at per resource when looking for what the budget cut (nested blocks included).
_LOOK_AT = 200


@contextmanager
def evaluation_budget(policy: Policy) -> Iterator[bounds.RunBudget]:
    """The run's budget, as TG000's parameters size it (the defaults of bounds.py without them)."""
    try:
        params: Any = policy.settings(PARSE_RULE).params
    except KeyError:
        params = {}
    steps = params.get("evaluation_steps", bounds.MAX_RUN_STEPS)
    seconds = params.get("evaluation_seconds", bounds.MAX_RUN_SECONDS)
    with bounds.run_budget(int(steps), float(seconds)) as budget:
        yield budget


def budget_problem(model: Model, budget: bounds.RunBudget) -> Problem | None:
    """The TG000 problem of a run whose budget ran out (None when it did not): what ran out, the first
    resource left unknown, how many were, and how to raise the budget."""
    if budget.cut is None:
        return None
    cut = [resource for stack in model.stacks for resource in stack.resources if _was_cut(resource)]
    first = cut[0] if cut else None
    location = (first.location if first else None) or _first_location(model)
    if budget.cut == "time":
        spent = f"its {budget.seconds:g} CPU seconds"
        knob = f"evaluation_seconds: {int(budget.seconds * 2)}"
    elif budget.cut == "memory":
        spent = f"the {bounds.MAX_RUN_MEMORY >> 20} MiB of memory it may use"
        knob = None
    else:
        spent = f"its {budget.steps:,} evaluation steps"
        knob = f"evaluation_steps: {budget.steps * 2}"
    where = (
        f"from {display(first.stack.name)}: {display(first.address)} on, {len(cut):,} resource(s) were "
        "not evaluated"
        if first
        else "values evaluated after that point were not evaluated"
    )
    message = (
        f"the run's evaluation budget ran out ({spent}, shared by every root, instance and attribute); "
        f"{where}, and what they decide is unknown (TG001)"
    )
    fix = (
        "Find the expression that does the most work (a count or for_each over a heavy attribute, nested "
        "for expressions over ranges, a large string built in a loop) and simplify it"
    )
    if knob is not None:
        fix += (
            "; a configuration that truly needs more can raise the budget in .ttgate.yml: "
            f"`rules: {{TG000: {{{knob}}}}}`"
        )
    return Problem(message, location, fix + ".")


def _was_cut(resource: Resource) -> bool:
    if _cut_value(resource.present):
        return True
    pending: list[Any] = list(resource.values.values())
    looked = 0
    while pending and looked < _LOOK_AT:
        value = pending.pop()
        looked += 1
        if _cut_value(value):
            return True
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
    return False


def _cut_value(value: Any) -> bool:
    return isinstance(value, Unknown) and value.reason == bounds.RUN_BUDGET_SPENT


def _first_location(model: Model) -> Location:
    for stack in model.stacks:
        for resource in stack.resources:
            if resource.location is not None:
                return resource.location
    return Location(".", 0)


class ReadBudget:
    """The configuration files one run may read, by count and bytes; what it refused, in order."""

    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0
        self.unread: list[Path] = []
        self.why = ""

    def admit(self, path: Path) -> bool:
        """Whether ``path`` may be read; once one is refused, every later one is (the run is cut)."""
        if self.unread:  # refused without a look: a tree of 100,000 files costs no stat past the bound
            self.unread.append(path)
            return False
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0  # the reader says why it cannot be read
        if self.files + 1 > bounds.MAX_FILES:
            self.why = f"more than the {bounds.MAX_FILES:,} configuration files ttgate reads in one run"
        elif self.bytes + size > bounds.MAX_RUN_FILE_BYTES:
            mebibytes = bounds.MAX_RUN_FILE_BYTES >> 20
            self.why = f"more than the {mebibytes} MiB of configuration ttgate reads in one run"
        else:
            self.files += 1
            self.bytes += size
            return True
        self.unread.append(path)
        return False

    def problem(self, relative: Callable[[Path], str]) -> Problem | None:
        """One TG000 problem naming what was not read (None when everything was)."""
        if not self.unread:
            return None
        first = relative(self.unread[0])
        directories = len({path.parent for path in self.unread})
        return Problem(
            f"the checked paths hold {self.why}: {len(self.unread):,} file(s) in {directories:,} "
            f"director{'y' if directories == 1 else 'ies'}, from {display(first)} on, were not read, and "
            "nothing in them was checked",
            Location(first, 0),
            "Check the repository in parts (pass the stack directories a change touches), or remove "
            "generated configuration from the checkout.",
        )
