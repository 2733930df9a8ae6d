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


def test_the_cases_draw_every_construct_and_mostly_light_work() -> None:
    drawn = [files for _, files in cases(2_000, seed=1)]
    text = "\n".join(files["main.tf"] + files.get("modules/m/main.tf", "") for files in drawn)
    for construct in ("flatten(", "format(", "join(", "replace(", "strrev(", "setproduct(", "jsonencode("):
        assert construct in text
    assert '"${"${' in text and "sum([" in text and "count = 100000" in text
    default_budget = sum(".ttgate.yml" not in files for files in drawn)
    assert 10 <= default_budget <= 100  # a steady share keeps the default budget (2%)
    assert sum("locals.tf" in files for files in drawn) > 400
