"""What the whole gate must report on examples/failing and on the dev plans, from the data files only.

tests/data/examples_expected.yml and tests/plans/dev/expected.yml are the one place the whole gate's
output is pinned (``python scripts/update_expectations.py TGnnn`` writes a rule's entries). A test
about a report of the examples derives its counts from them here, never writes "9 errors" by hand:
adding a rule then changes the data files, not the tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
EXAMPLES_EXPECTED = REPO / "tests" / "data" / "examples_expected.yml"
PLANS_EXPECTED = REPO / "tests" / "plans" / "dev" / "expected.yml"
SEVERITIES = ("error", "warning", "notice")  # most severe first, as reports count them

Entry = dict[str, Any]


def examples_failing() -> list[Entry]:
    """Every finding ``ttgate check examples/failing`` reports: rule, severity, file, line, stack, ..."""
    entries: list[Entry] = yaml.safe_load(EXAMPLES_EXPECTED.read_text(encoding="utf-8"))
    return entries


def dev_plans() -> list[Entry]:
    """Every finding of the three dev plans checked alone: rule, address, stack (label)."""
    entries: list[Entry] = yaml.safe_load(PLANS_EXPECTED.read_text(encoding="utf-8"))
    return entries


def count(entries: Iterable[Entry], severity: str) -> int:
    return sum(1 for entry in entries if entry["severity"] == severity)


def counts(entries: Iterable[Entry]) -> str:
    """``9 errors, 2 warnings``: the counts a headline shows, most severe first, none left out but zeros."""
    entries = list(entries)
    parts = [(count(entries, severity), severity) for severity in SEVERITIES]
    return ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in parts if n)


def stacks_with_errors(entries: Iterable[Entry]) -> set[str]:
    return {entry["stack"] for entry in entries if entry["severity"] == "error"}
