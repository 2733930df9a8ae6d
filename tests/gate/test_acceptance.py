"""End to end on realistic trees: exactly the expected findings, and none on the fixed versions."""

from __future__ import annotations

from pathlib import Path

import yaml

from ttgate.gate.engine import run_rules
from ttgate.gate.hcl.loader import load_hcl
from ttgate.gate.hcl.parse import Parser
from ttgate.gate.rules import RULES
from ttgate.policy import load_policy

HERE = Path(__file__).resolve().parents[1]
ACCEPTANCE = HERE / "fixtures" / "acceptance"
EXAMPLES = HERE.parent / "examples"
OURS = {"TG000", "TG001", "TG101", "TG201", "TG204", "TG301"}

Key = tuple[str, str, int, str]


def findings_of(root: Path) -> set[Key]:
    """(rule, file, line, stack directory) of this suite's rules, checked with root as the checked root."""
    policy = load_policy(RULES, search_dir=root)
    model = load_hcl([root], root, policy, Parser(None, 1))
    return {
        (
            f.rule,
            f.location.file if f.location else "",
            f.location.line if f.location else 0,
            f.stack.name if f.stack else "",
        )
        for f in run_rules(model, policy)
        if f.rule in OURS
    }


def expected(path: Path, rules: set[str]) -> set[Key]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {(e["rule"], e["file"], e["line"], e["stack"]) for e in entries if e["rule"] in rules}


def test_acceptance_broken_gives_exactly_the_expected_findings() -> None:
    assert findings_of(ACCEPTANCE / "broken") == expected(ACCEPTANCE / "expected.yml", OURS)


def test_acceptance_fixed_gives_none() -> None:
    assert findings_of(ACCEPTANCE / "fixed") == set()


def test_examples_failing() -> None:
    assert findings_of(EXAMPLES / "failing") == expected(HERE / "data" / "examples_expected.yml", OURS)


def test_examples_passing() -> None:
    assert findings_of(EXAMPLES / "passing") == set()
