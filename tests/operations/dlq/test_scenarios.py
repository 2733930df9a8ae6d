"""The redrive fault scenarios of benchmarks/bench_redrive.py, small: 200 messages each, ttgate as its
own process against moto's server behind the fault-injecting proxy. Nothing lost, no silent duplicate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.operations.dlq.scenarios import SCENARIOS, Scenario, play

pytestmark = pytest.mark.moto_server


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.name for scenario in SCENARIOS])
def test_no_fault_loses_a_message_or_duplicates_one_silently(scenario: Scenario, tmp_path: Path) -> None:
    outcome = play(scenario, 200, tmp_path)
    assert (outcome.lost, outcome.silent_duplicates, outcome.left_in_dlq) == (0, 0, 0), outcome
    assert outcome.exit_codes[-1] == 0, outcome
    if scenario.name == "two-at-once":
        assert sorted(outcome.exit_codes[:2]) == [0, 2], outcome  # one refused by the other's lock
    if scenario.fifo:
        assert outcome.duplicates == 0, outcome  # SQS deduplicates FIFO re-sends within 5 minutes
