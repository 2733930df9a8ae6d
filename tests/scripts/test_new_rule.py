"""scripts/new_rule.py: a new rule is its module, its test, its doc and its entries in the expectations.

The slow test does what a contributor does, in a copy of the repository: scaffold a rule that fires on
examples/failing, run the documented commands, run the suite parts that judge a rule and the whole
gate's output, and check that nothing else had to change.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ttgate.gate.rules import RULES

REPO = Path(__file__).resolve().parents[2]
RULES_PACKAGE = "src/ttgate/gate/rules"
SUMMARY_LINE = re.compile(r"^\d+ errors?, \d+ warnings?, \d+ notices? in \d+ stacks?, \d+ files?\.$")


def python(
    script: str, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, script, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def rules_only(tmp_path: Path) -> Path:
    """A root with the rule modules alone: enough for the scaffold to refuse, and nothing to spoil."""
    shutil.copytree(REPO / RULES_PACKAGE, tmp_path / RULES_PACKAGE)
    return tmp_path


@pytest.mark.parametrize(
    ("rule_id", "name", "message"),
    [
        ("TG203", "sqs-tags", "TG203 is taken by TG203 dlq-retention; choose a free ID"),
        ("TG601", "dlq-alarm", "the name 'dlq-alarm' is taken by TG204; choose another name"),
        ("TG6011", "sqs-tags", "'TG6011' is not a rule ID: expected TG and three digits, e.g. TG601"),
        ("TGX01", "sqs-tags", "'TGX01' is not a rule ID"),
        ("TG601", "SQS_tags", "'SQS_tags' is not a rule name: lowercase words joined by hyphens"),
        ("TG601", "sqs tags", "'sqs tags' is not a rule name"),
    ],
)
def test_a_taken_or_malformed_id_or_name_is_refused_in_one_line(
    rules_only: Path, rule_id: str, name: str, message: str
) -> None:
    before = sorted(rules_only.rglob("*"))
    result = python(
        str(REPO / "scripts" / "new_rule.py"), rule_id, name, "--root", str(rules_only), cwd=rules_only
    )
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"new_rule.py: error: {message}")
    assert sorted(rules_only.rglob("*")) == before


def copy_of_the_repository(target: Path) -> Path:
    """The working tree as git sees it (tracked and new files, not ignored ones), committed in a new repo."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git("init", "-q", cwd=target)
    git("add", "-A", cwd=target)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "copy", cwd=target)
    return target


@pytest.mark.slow
def test_a_scaffolded_rule_passes_the_suite_touching_only_its_own_files(tmp_path: Path) -> None:
    copy = copy_of_the_repository(tmp_path / "repo")
    # The copy's own source, not the installed ttgate: the new rule exists only there.
    env = {**os.environ, "PYTHONPATH": str(copy / "src"), "TTGATE_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PYTEST_XDIST_WORKER", None)
    citation = RULES["TG202"].doc.runbook  # a section the runbook has

    steps = [
        (
            "scripts/new_rule.py",
            "TG601",
            "sqs-tags",
            "--resource-type",
            "aws_sqs_queue",
            "--attribute",
            "tags",
            "--runbook",
            citation,
        ),
        ("scripts/update_expectations.py", "TG601"),
        ("scripts/render_samples.py",),
    ]
    for script, *args in steps:
        result = python(script, *args, cwd=copy, env=env)
        assert result.returncode == 0, f"{script}: {result.stdout}{result.stderr}"

    suite = [
        "tests/gate/rules/test_tg601_sqs_tags.py",
        "tests/test_docs.py",
        "tests/gate/test_acceptance.py",
        "tests/gate/plan/test_plans.py",
        "tests/gate/reporters/test_reporters.py",
        "tests/github/test_comment.py",
        "tests/commands/test_cli.py",
        "tests/scripts/test_render_samples.py",
    ]
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *suite],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]

    changed = {
        line[3:] for line in git("status", "--porcelain", "--untracked-files=all", cwd=copy).splitlines()
    }
    assert changed == {
        "src/ttgate/gate/rules/tg601_sqs_tags.py",
        "tests/gate/rules/test_tg601_sqs_tags.py",
        "docs/rules/TG601.md",
        "docs/rules/README.md",
        "tests/data/examples_expected.yml",  # the rule fires on examples/failing (the events queues)
        "tests/plans/dev/expected.yml",  # and on the dev plans
        "README.md",  # regenerated: the summary line's counts
        "docs/comment-sample.md",  # regenerated: the comment lists every finding
    }
    assert "rule: TG601" in (copy / "tests/data/examples_expected.yml").read_text(encoding="utf-8")
    readme_diff = [
        line
        for line in git("diff", "-U0", "README.md", cwd=copy).splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    # Only the summary line's counts; the findings shown are chosen by rule ID.
    assert len(readme_diff) == 2, readme_diff
    assert all(SUMMARY_LINE.match(line[1:]) for line in readme_diff), readme_diff
