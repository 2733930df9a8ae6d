"""Rule docs: generated from the rules, complete, and the same as docs/rules/ in the repository.

The runbook they cite is docs/runbook.md, in the repository: every section a rule, the policy or a
document cites exists there, and nothing in the repository points outside it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import check, load, policy_for, write_tree
from ttgate.cli import main
from ttgate.gate.engine import run_rules
from ttgate.gate.findings import Finding
from ttgate.gate.plan import PlanSpec, add_plans
from ttgate.gate.reporters.rule_docs import explain_text, rendered_pages, runbook_anchor, runbook_sections
from ttgate.gate.rules import RULES
from ttgate.gate.rules.base import Example

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "rules"
RUNBOOK = REPO / "docs" / "runbook.md"


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
    write_tree(root, example.tree())
    findings = check(root) if example.plan is None else _check_with_plan(example, root)
    return {f.rule for f in findings} | {f.for_rule for f in findings if f.for_rule}


def _check_with_plan(example: Example, root: Path) -> list[Finding]:
    """The example's HCL with its plan laid over its stack, as `--plan LAYER/ENV=FILE` gives it."""
    parts = example.file.split("/")
    plan = root.parent / f"{root.name}-plan.json"
    plan.write_text(json.dumps(example.plan), encoding="utf-8")
    model, policy = load(root), policy_for(root)
    add_plans(model, [PlanSpec(f"{parts[-4]}/{parts[-2]}", plan)], policy)
    return run_rules(model, policy)


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
    result = CliRunner().invoke(main, ["explain", "TGX01"])  # no rule can have it: IDs are TG + 3 digits
    assert result.exit_code == 2
    assert "no rule 'TGX01'" in result.output


def test_rules_lists_every_rule_on_one_line() -> None:
    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == list(RULES)
    assert all(rule.default_severity.label in line for rule, line in zip(RULES.values(), lines, strict=True))


# -- the runbook (docs/runbook.md) -------------------------------------------------------------------


@cache
def runbook_headings() -> dict[str, str]:
    """Anchor -> title of every heading of docs/runbook.md (code blocks left out)."""
    headings: dict[str, str] = {}
    fenced = False
    for line in RUNBOOK.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            title = line.lstrip("#").strip()
            assert runbook_anchor(title) not in headings, (
                f"docs/runbook.md: two headings make #{runbook_anchor(title)}"
            )
            headings[runbook_anchor(title)] = title
    return headings


@cache
def repository_files() -> tuple[Path, ...]:
    """Every file of the repository that git would commit (tracked, or new and not ignored)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout.decode()
        names = {name for name in listed.split("\0") if name}
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk it
        names = set(_walk(REPO))
    return tuple(REPO / name for name in sorted(names) if (REPO / name).is_file())


def _walk(root: Path) -> list[str]:
    skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "out", "dist"}
    names: list[str] = []
    for top, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip and not d.endswith(".egg-info")]
        names += [os.path.relpath(os.path.join(top, name), root) for name in files]
    return names


def text_of(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None  # binary


def files_under(*tops: str) -> list[Path]:
    return [path for path in repository_files() if path.relative_to(REPO).parts[0] in tops]


@pytest.mark.parametrize("rule", RULES.values(), ids=list(RULES))
def test_runbook_sections_cited_by_a_rule_exist(rule) -> None:
    titles = set(runbook_headings().values())
    cited = runbook_sections(rule.doc.runbook)
    assert cited, f"{rule.id} cites no runbook section"
    for section in cited:
        assert section in titles, f"{rule.id} cites a section docs/runbook.md does not have: {section!r}"


# Links: `docs/runbook.md#<anchor>` (the policy, README), `runbook.md#<anchor>` (docs/*.md),
# `../runbook.md#<anchor>` (docs/rules), `(#<anchor>)` (inside docs/runbook.md).
RUNBOOK_LINK = re.compile(r"runbook\.md#([\w-]+)")
OWN_LINK = re.compile(r"\]\(#([\w-]+)\)")


def test_every_link_into_the_runbook_names_a_section_it_has() -> None:
    anchors = runbook_headings()
    links = [
        (path.relative_to(REPO), anchor)
        for path in repository_files()
        for anchor in RUNBOOK_LINK.findall(text_of(path) or "")
    ]
    links += [(RUNBOOK.relative_to(REPO), a) for a in OWN_LINK.findall(RUNBOOK.read_text(encoding="utf-8"))]
    broken = [f"{path}: #{anchor}" for path, anchor in links if anchor not in anchors]
    assert not broken, "links to sections docs/runbook.md does not have:\n" + "\n".join(broken)
    cited_by = {path.parts[0] for path, _ in links}
    assert {"docs", "policies", "README.md"} <= cited_by, f"only {sorted(cited_by)} link to the runbook"


# Sections named in prose: (runbook: Title), runbook "Title", the runbook's "A" and "B" sections.
NAMED_SECTION = re.compile(
    r"\(runbook: ([A-Z][^(){}\n]*)\)|runbook(?:\\?'s)? ((?:\"[^\"{}\n]+\"(?:,? and |, )?)+)"
)


def test_every_runbook_section_named_in_code_or_docs_exists() -> None:
    """A message or a document that sends the reader to a runbook section by name names one that exists
    (compared as anchors: "State Lock Conflicts" is the section "State lock conflicts")."""
    anchors = runbook_headings()
    named = []
    for path in files_under(
        "src", "docs", "policies", "README.md", "CONTRIBUTING.md", "action.yml", ".github"
    ):
        for plain, quoted in NAMED_SECTION.findall(text_of(path) or ""):
            titles = runbook_sections(plain) if plain else re.findall(r'"([^"]+)"', quoted)
            named += [(path.relative_to(REPO), title) for title in titles]
    missing = [f"{path}: {title!r}" for path, title in named if runbook_anchor(title) not in anchors]
    assert not missing, "runbook sections that docs/runbook.md does not have:\n" + "\n".join(missing)
    assert len(named) >= 5, named  # the pattern still finds the citations


def test_the_runbook_states_the_numbers_of_the_builtin_policy(builtin_policy) -> None:
    text = RUNBOOK.read_text(encoding="utf-8")
    numbers = [
        "6 × the function's timeout",
        "`maxReceiveCount = 3`",
        "1,209,600 seconds (14 days)",
        "threshold **1** message, period **60** seconds, **1** evaluation period",
        "**14 days**",
        "`tt-practice-tf-locks`",
        "`LockID`",
        "30_app → 20_infra → 10_core",
        f"**{builtin_policy.operations.lock_release_min_age_minutes} minutes**",
        " → ".join(layer.name for layer in builtin_policy.layers),
    ]
    numbers += [f"`{layer.state_key}`" for layer in builtin_policy.layers]
    for number in numbers:
        assert number in text, f"docs/runbook.md no longer says {number!r}"
    *days, last = (str(days) for days in RULES["TG301"].defaults["allowed_days"])
    assert f"{', '.join(days)} or {last} days" in text, (
        "docs/runbook.md's retention values are not the policy's"
    )


# Outside the repository: a sibling directory of the checkout, or an absolute path of this machine.
OUTSIDE = re.compile(r"\.\./shared\b|(?<![\w.~-])/(?:work|home|Users|root|tmp|mnt|srv)/|/\s*[\"']shared[\"']")


def test_no_file_refers_to_a_path_outside_the_repository() -> None:
    """Tests read only the repository (CI has nothing beside the checkout), and docs link only into it."""
    parent = str(REPO.parent) + os.sep
    found = []
    for path in repository_files():
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line) or parent in line:
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:120]}")
    assert not found, "paths outside the repository:\n" + "\n".join(found)
    assert len(repository_files()) > 100 and RUNBOOK in repository_files()
