"""Rule docs: generated from the rules, complete, and the same as docs/rules/ in the repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import check, write_tree
from ttgate.cli import main
from ttgate.gate.reporters.rule_docs import explain_text, rendered_pages
from ttgate.gate.rules import RULES
from ttgate.gate.rules.base import Example

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules"
RUNBOOK = Path(__file__).resolve().parents[2] / "shared" / "runbook.md"


def test_docs_in_the_repository_match_the_rules() -> None:
    expected = rendered_pages(list(RULES.values()))
    actual = {path.name: path.read_text(encoding="utf-8") for path in DOCS.glob("*.md")}
    stale = sorted(name for name in expected if actual.get(name) != expected[name])
    extra = sorted(set(actual) - set(expected))
    assert not stale and not extra, (
        f"docs/rules is out of date ({stale or extra}); "
        "run: python -m ttgate.gate.reporters.rule_docs docs/rules"
    )


@pytest.mark.parametrize("rule", RULES.values(), ids=list(RULES))
def test_every_rule_is_documented(rule) -> None:
    doc = rule.doc
    for part in (doc.what, doc.why, doc.runbook, doc.fix, doc.bad.hcl, doc.good.hcl, rule.summary):
        assert part.strip(), f"{rule.id} has an empty doc section"
    assert rule.id[:2] == "TG" and rule.id[2:].isdigit()
    assert rule.name == rule.name.lower() and " " not in rule.name


def _rules_found(example: Example, root: Path) -> set[str]:
    findings = check(write_tree(root, example.tree()))
    return {f.rule for f in findings} | {f.for_rule for f in findings if f.for_rule}


@pytest.mark.parametrize("rule", RULES.values(), ids=list(RULES))
def test_the_failing_example_fails_and_the_passing_one_passes(rule, tmp_path: Path) -> None:
    """The docs' examples are run: a reader who copies one sees what the doc promises."""
    (tmp_path / ".git").mkdir()
    assert rule.id in _rules_found(rule.doc.bad, tmp_path / "bad"), f"{rule.id}'s failing example passes"
    assert rule.id not in _rules_found(rule.doc.good, tmp_path / "good"), f"{rule.id}'s passing example fails"


@pytest.mark.parametrize("rule", RULES.values(), ids=list(RULES))
def test_explain_prints_what_why_fix_examples_and_parameters(rule) -> None:
    result = CliRunner().invoke(main, ["explain", rule.id])
    assert result.exit_code == 0
    assert result.output == explain_text(rule)
    for heading in ("What it checks", "Why (runbook:", "How to fix", "Fails", "Passes"):
        assert heading in result.output
    for name in rule.parameters:
        assert f"    {name}: " in result.output


def test_explain_accepts_a_rule_name_and_rejects_an_unknown_id() -> None:
    assert CliRunner().invoke(main, ["explain", "dlq-alarm"]).output.startswith("TG204 dlq-alarm")
    result = CliRunner().invoke(main, ["explain", "TG999"])
    assert result.exit_code == 2
    assert "no rule 'TG999'" in result.output


def test_rules_lists_every_rule_on_one_line() -> None:
    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == list(RULES)
    assert all(rule.default_severity.label in line for rule, line in zip(RULES.values(), lines, strict=True))


@pytest.mark.skipif(not RUNBOOK.is_file(), reason="../shared/runbook.md is not beside the checkout")
@pytest.mark.parametrize("rule", RULES.values(), ids=list(RULES))
def test_runbook_sections_cited_by_a_rule_exist(rule) -> None:
    headings = {
        line.lstrip("#").strip()
        for line in RUNBOOK.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    }
    for path in rule.doc.runbook.split(";"):
        for section in path.split("›"):
            assert section.strip() in headings, (
                f"{rule.id} cites a runbook section that does not exist: {section}"
            )
