"""Seeded fuzzing, part of every run: generated expressions and mutated examples each end in a report.

The generator and the checker are benchmarks/fuzz_hcl.py's; that script runs tens of thousands of cases.
A case that would hang is stopped by an alarm and fails here, rather than hanging the suite.
"""

from __future__ import annotations

import pytest
from benchmarks.fuzz_hcl import cases, check_text

# Generous: a case takes milliseconds; this only turns a hang into a failure.
_HANG = 60

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize(("kind", "count"), [("expression", 200), ("mutation", 100)])
def test_every_case_ends_in_a_report(kind: str, count: int) -> None:
    failures = []
    for index, text in cases(kind, count, seed=7):
        outcome = check_text(text, _HANG)
        if outcome.kind not in ("report", "error"):
            failures.append((index, outcome.kind, outcome.detail, text[:300]))
    assert failures == []


def test_odd_characters_in_every_string_and_name_end_in_a_report() -> None:
    from benchmarks.fuzz_hcl import check_tree, odd_cases

    failures = []
    for index, tree in odd_cases(60, seed=7):
        outcome = check_tree(tree, _HANG)
        if outcome.kind not in ("report", "error"):
            failures.append((index, outcome.kind, outcome.detail))
    assert failures == []
