"""Seeded slice of benchmarks/fuzz_work.py: heavy count, for_each, for, strings and templates each end in a
report, in a forked child, within the run's budget; the script runs ten thousand such cases."""

from __future__ import annotations

import pytest
from benchmarks.fuzz_work import cases, run_case

pytestmark = pytest.mark.fuzz

# Generous: the run's budget ends a case in seconds; these only turn a hang or a blow-up into a failure.
_HANG = 120
_MEMORY_MIB = 2048


def test_heavy_work_ends_in_a_report_within_the_budget() -> None:
    failures = []
    for index, files in cases(12, seed=7):
        outcome = run_case(files, _HANG)
        if outcome.code not in (0, 1, 2) or outcome.peak_mib > _MEMORY_MIB:
            failures.append((index, outcome, files))
    assert failures == []
