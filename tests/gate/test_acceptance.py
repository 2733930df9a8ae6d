"""End to end on realistic trees: exactly the expected findings, and none on the fixed versions.

On examples/ the whole gate is compared, every rule and notice: tests/data/examples_expected.yml is
the one place its output is pinned (scripts/update_expectations.py writes a rule's entries).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers import Summary, check, expected_on_examples, located, on_examples

ACCEPTANCE = Path(__file__).resolve().parents[1] / "fixtures" / "acceptance"
OURS = {"TG000", "TG001", "TG101", "TG201", "TG204", "TG301"}  # the rules the acceptance fixtures pin


def acceptance_findings(root: Path) -> set[Summary]:
    return located(f for f in check(root) if f.rule in OURS)


def acceptance_expected() -> set[Summary]:
    entries = yaml.safe_load((ACCEPTANCE / "expected.yml").read_text(encoding="utf-8"))
    return {(e["rule"], e["file"], e["line"], e["stack"]) for e in entries if e["rule"] in OURS}


def test_acceptance_broken_gives_exactly_the_expected_findings() -> None:
    assert acceptance_findings(ACCEPTANCE / "broken") == acceptance_expected()


def test_acceptance_fixed_gives_none() -> None:
    assert acceptance_findings(ACCEPTANCE / "fixed") == set()


def test_examples_failing_gives_exactly_the_expected_findings_of_every_rule() -> None:
    assert on_examples(None, "failing") == expected_on_examples()


def test_examples_passing_gives_none() -> None:
    assert on_examples(None, "passing") == set()
