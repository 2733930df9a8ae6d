"""Write what a rule reports on the examples and the plan fixtures into the whole-gate expectations.

    python scripts/update_expectations.py TG601 [TG602 ...]

The whole gate's output on examples/failing and on the dev plans is pinned in two data files, and
only there: tests/data/examples_expected.yml and tests/plans/dev/expected.yml. Every count, summary
line and report length the tests check is derived from them. This replaces the entries of the given
rules (and the TG001 notices they raise, marked ``for_rule``) with what the rules report now, leaving
every other line, comments included, as it is. Read the diff: it is what the change claims the gate
now says. A rule that reports anything on examples/passing is named on stderr (its test requires none).

Uses this checkout's own source (src/ is put first on the path), whatever ttgate is installed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from ttgate.gate.findings import Finding

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLES_EXPECTED = ROOT / "tests" / "data" / "examples_expected.yml"
PLANS = ROOT / "tests" / "plans" / "dev"
PLANS_EXPECTED = PLANS / "expected.yml"
PLAN_STACKS = ("10_core", "20_infra", "30_app")
UNVERIFIABLE = "TG001"

_ENTRY = re.compile(r"^- \{rule: (?P<rule>TG\d{3})(?:, for_rule: (?P<for_rule>TG\d{3}))?[,}]")
_PLAIN = re.compile(r"^[A-Za-z0-9_./-]+$")


def _scalar(value: object) -> str:
    if isinstance(value, int) or (isinstance(value, str) and _PLAIN.match(value) and not value.isdigit()):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def entry_line(entry: Mapping[str, object]) -> str:
    """One entry as the data files write them: a flow mapping on one line, plain where YAML allows."""
    line = "- {" + ", ".join(f"{key}: {_scalar(value)}" for key, value in entry.items()) + "}"
    [parsed] = yaml.safe_load(line)
    assert parsed == dict(entry), f"{line} does not read back as {entry}"
    return line


def first_sentence(message: str) -> str:
    sentence, dot, _ = message.partition(". ")
    return sentence + dot.strip() if dot else message


def owner(finding: Finding) -> str:
    """The rule a finding belongs to: its own, or the one a TG001 notice speaks for."""
    if finding.rule == UNVERIFIABLE and finding.for_rule:
        return finding.for_rule
    return finding.rule


def examples_findings(which: str) -> list[Finding]:
    from ttgate.gate.engine import run_rules
    from ttgate.gate.hcl.loader import load_hcl
    from ttgate.gate.hcl.parse import Parser
    from ttgate.gate.rules import RULES
    from ttgate.policy import load_policy

    root = EXAMPLES / which
    policy = load_policy(RULES, search_dir=root)
    return run_rules(load_hcl([root], root, policy, Parser(None, 1)), policy)


def plan_findings() -> list[Finding]:
    from ttgate.gate.engine import run_rules
    from ttgate.gate.model import Model
    from ttgate.gate.plan import PlanSpec, add_plans
    from ttgate.gate.rules import RULES
    from ttgate.policy import load_policy

    policy = load_policy(RULES, search_dir=ROOT)
    model = Model(root=ROOT)
    add_plans(model, [PlanSpec(f"{layer}/dev", PLANS / f"{layer}.json") for layer in PLAN_STACKS], policy)
    return run_rules(model, policy)


def examples_entry(finding: Finding) -> dict[str, Any]:
    entry: dict[str, Any] = {"rule": finding.rule}
    if finding.for_rule:
        entry["for_rule"] = finding.for_rule
    entry["severity"] = finding.severity.label
    entry["file"] = finding.location.file if finding.location else ""
    entry["line"] = finding.location.line if finding.location else 0
    entry["stack"] = finding.stack.name if finding.stack else ""
    if finding.address:
        entry["address"] = finding.address
    entry["note"] = first_sentence(finding.message)
    return entry


def plan_entry(finding: Finding) -> dict[str, Any]:
    entry: dict[str, Any] = {"rule": finding.rule}
    if finding.for_rule:
        entry["for_rule"] = finding.for_rule
    entry["address"] = finding.address
    entry["stack"] = finding.stack.label if finding.stack else ""
    entry["note"] = first_sentence(finding.message)
    return entry


def _identity(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((key, value) for key, value in entry.items() if key != "note"))


def rewrite(text: str, rules: set[str], entries: list[dict[str, Any]]) -> tuple[str, int, int]:
    """The data file with the entries of ``rules`` made ``entries``: an entry already there stays as
    it is, where it is (its note too); one no longer reported goes; a new one follows the rule's last
    entry, or ends the file. Also: how many entries were added and removed."""
    wanted = {_identity(entry) for entry in entries}
    lines: list[str] = []
    present: set[tuple[Any, ...]] = set()
    insert_at: int | None = None
    removed = 0
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if not (match and (match["rule"] in rules or match["for_rule"] in rules)):
            lines.append(line)
            continue
        [entry] = yaml.safe_load(line)
        if _identity(entry) in wanted:
            present.add(_identity(entry))
            lines.append(line)
        else:
            removed += 1
        insert_at = len(lines)
    added = [entry_line(entry) for entry in entries if _identity(entry) not in present]
    position = len(lines) if insert_at is None else insert_at
    lines[position:position] = added
    return "\n".join(lines) + "\n", len(added), removed


def update(path: Path, rules: set[str], entries: Iterable[dict[str, Any]]) -> str:
    text, added, removed = rewrite(path.read_text(encoding="utf-8"), rules, list(entries))
    path.write_text(text, encoding="utf-8")
    return f"{path.relative_to(ROOT)}: {', '.join(sorted(rules))}: {added} entries added, {removed} removed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="update_expectations.py", description=__doc__.split("\n")[0])
    parser.add_argument("rules", nargs="+", metavar="TGnnn", help="the rules whose entries to rewrite")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    from ttgate.gate.rules import RULES

    rules = set(args.rules)
    unknown = sorted(rules - set(RULES))
    if unknown:
        missing = ", ".join(unknown)
        print(f"update_expectations.py: error: no rule {missing} in {ROOT / 'src'}", file=sys.stderr)
        return 2
    on_failing = [f for f in examples_findings("failing") if owner(f) in rules]
    on_plans = [f for f in plan_findings() if owner(f) in rules]
    print(update(EXAMPLES_EXPECTED, rules, map(examples_entry, on_failing)))
    print(update(PLANS_EXPECTED, rules, map(plan_entry, on_plans)))
    on_passing = sorted({owner(f) for f in examples_findings("passing") if owner(f) in rules})
    if on_passing:
        print(
            f"update_expectations.py: {', '.join(on_passing)} report findings on examples/passing: "
            "fix the examples or the rule (its test_examples requires none there)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
