"""`ttgate fix`: the literal edits applied in the working tree, every other byte kept (issue 22)."""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import EXAMPLES, check, stack, write_tree
from ttgate.cli import main
from ttgate.gate.findings import Finding, LiteralEdit
from ttgate.gate.fix import apply, plan_fixes
from ttgate.gate.model import Location
from ttgate.policy import Severity

APP = "practice/deploy/30_app/environments/dev"
# The literal findings of examples/failing: (rule, stack, address) and the line each edit rewrites.
LITERAL_FINDINGS = {
    ("TG203", "practice/deploy/20_infra/environments/dev", "aws_sqs_queue.events_dlq"),
    ("TG301", "practice/deploy/30_app/environments/dev", "module.api_server.aws_cloudwatch_log_group.this"),
}
EDITED_LINES = {
    "practice/deploy/20_infra/environments/dev/events.tf": (
        "  message_retention_seconds = 345600 # 4 days",
        "  message_retention_seconds = 1209600 # 4 days",
    ),
    "practice/deploy/30_app/environments/dev/terraform.tfvars": (
        "api_server_log_retention_days = 10",
        "api_server_log_retention_days = 7",
    ),
}


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def keys(root: Path) -> set[tuple[str, str, str]]:
    return {(f.rule, f.stack.name if f.stack else "", f.address or "") for f in check(root)}


@pytest.fixture
def failing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "failing", root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("TTGATE_CACHE_DIR", str(tmp_path / "cache"))
    return root


@pytest.mark.slow
def test_fix_on_examples_failing_changes_only_the_literals(failing: Path) -> None:
    before = snapshot(failing)
    assert keys(failing) >= LITERAL_FINDINGS
    result = CliRunner().invoke(main, ["fix", "."])
    assert result.exit_code == 1, result.output  # findings that are not one literal remain
    assert "2 fixed" in result.output
    after = snapshot(failing)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == set(EDITED_LINES) and set(after) == set(before)
    for name, (old_line, new_line) in EDITED_LINES.items():
        old, new = before[name].decode(), after[name].decode()
        diff = [line for line in difflib.ndiff(old.splitlines(True), new.splitlines(True)) if line[0] in "+-"]
        assert diff == [f"- {old_line}\n", f"+ {new_line}\n"]
        # Byte for byte: the file is the old one with only the literal replaced.
        assert after[name] == before[name].replace(old_line.encode(), new_line.encode(), 1)
    assert not LITERAL_FINDINGS & keys(failing)


@pytest.mark.slow
def test_git_diff_touches_only_the_values(failing: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "before"], check=True)
    CliRunner().invoke(main, ["fix", "."])
    diff = subprocess.run([*git, "diff", "-U0"], check=True, capture_output=True, text=True).stdout
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert sorted(changed) == sorted(
        [f"-{old}" for old, _ in EDITED_LINES.values()] + [f"+{new}" for _, new in EDITED_LINES.values()]
    )


@pytest.mark.slow
def test_diff_prints_and_changes_nothing(failing: Path) -> None:
    before = snapshot(failing)
    result = CliRunner().invoke(main, ["fix", ".", "--diff"])
    assert result.exit_code == 1
    assert snapshot(failing) == before
    for name, (old_line, new_line) in EDITED_LINES.items():
        assert f"--- a/{name}\n+++ b/{name}\n" in result.stdout
        assert f"\n-{old_line}\n+{new_line}\n" in result.stdout
    assert "would fix  TG203" in result.stderr and "2 to fix" in result.stderr


def test_rule_filter_and_exit_zero_when_all_fixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    main_tf = (
        'resource "aws_cloudwatch_log_group" "a" {\r\n'
        '  name              = "/aws/lambda/a"\r\n'
        "  retention_in_days = 10   # one week and a bit\r\n"
        "}\r\n"
    )
    write_tree(tmp_path, stack("30_app", "dev", ""))
    target = tmp_path / APP / "main.tf"
    target.write_bytes(("\ufeff" + main_tf).encode())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["fix", ".", "--rule", "tg301"])
    assert result.exit_code == 0, result.output
    # The byte order mark, CRLF line endings and the spacing before the comment are kept.
    assert target.read_bytes() == ("\ufeff" + main_tf.replace("= 10   #", "= 7   #")).encode()


def test_unknown_rule_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["fix", ".", "--rule", "TG999"])
    assert result.exit_code == 2
    assert "--rule TG999: no such rule" in result.output


def test_never_writes_through_a_symbolic_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    write_tree(repo, stack("30_app", "dev", ""))
    (repo / ".git").mkdir()
    shared = repo / "common" / "logs.tf"
    shared.parent.mkdir()
    text = (
        'resource "aws_cloudwatch_log_group" "a" {\n'
        '  name              = "/aws/lambda/a"\n'
        "  retention_in_days = 10\n"
        "}\n"
    )
    shared.write_text(text)
    (repo / APP / "logs.tf").symlink_to(shared)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["fix", APP])
    assert shared.read_text() == text
    assert result.exit_code == 1, result.output
    assert (
        f"left       TG301 {APP}/logs.tf:3:3  {APP}/logs.tf is reached through a symbolic link"
        in result.output
    )


def _literal_finding(rule: str, file: str, line: int, column: int, end: int, value: str) -> Finding:
    return Finding(
        rule,
        "name",
        Severity.ERROR,
        "message",
        "fix",
        location=Location(file, line),
        address="aws_sqs_queue.main",
        edit=LiteralEdit(file, line, column, end, value),
    )


@pytest.mark.parametrize("after", ["same finding", "file broken"])
def test_an_edit_that_does_not_fix_is_undone(tmp_path: Path, after: str) -> None:
    original = b'resource "aws_sqs_queue" "main" {\n  visibility_timeout_seconds = 545 # \x0c\n}\n'
    (tmp_path / "main.tf").write_bytes(original)
    finding = _literal_finding("TG201", "main.tf", 2, 32, 35, "725")
    plan = plan_fixes([finding], tmp_path, [tmp_path])
    assert plan.files[0].edited() == original.replace(b"545", b"725")
    again = (
        [finding]
        if after == "same finding"
        else [Finding("TG000", "parse-error", Severity.ERROR, "m", "f", location=Location("main.tf", 2))]
    )
    assert apply(plan, lambda: again) == []
    assert (tmp_path / "main.tf").read_bytes() == original
    assert plan.left[0].reason.startswith("edit undone")


def test_an_edit_whose_position_holds_no_literal_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("locals {\n  x = var.y\n}\n")
    plan = plan_fixes([_literal_finding("TG201", "main.tf", 2, 7, 12, "725")], tmp_path, [tmp_path])
    assert plan.files == [] and "does not hold a literal" in plan.left[0].reason
