"""New versus existing findings: `check --new-from REV`, `ttgate baseline` and `check --baseline FILE`.

Each test builds a real git repository in tmp_path (a stack of CloudWatch log groups whose retention
CloudWatch rejects: one TG301 error each), commits a base, changes the tree as a pull request would, and
runs the command line from the repository's top level.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.helpers import stack, write_tree
from ttgate.cli import main

MAIN = "practice/deploy/20_infra/environments/dev/main.tf"
BACKEND = "practice/deploy/20_infra/environments/dev/backend.tf"


def log_group(name: str, retention: int = 2, *, indent: str = "  ") -> str:
    """A log group; retention 2 is one CloudWatch rejects (a TG301 error), 14 one it accepts."""
    return (
        f'resource "aws_cloudwatch_log_group" "{name}" {{\n'
        f'{indent}name = "/tt/{name}"\n'
        f"{indent}retention_in_days = {retention}\n"
        "}\n"
    )


def groups(count: int, start: int = 0) -> str:
    return "\n".join(log_group(f"g{number}") for number in range(start, start + count))


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "infra"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    return root


def ttgate(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.chdir(repo)
    return CliRunner().invoke(main, list(args))


def report_of(path: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return document


def check_json(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, dict[str, object]]:
    out = repo.parent / "report.json"
    result = ttgate(repo, monkeypatch, "check", ".", "--format", f"json:{out}", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, report_of(out)


def summary(document: dict[str, object]) -> dict[str, object]:
    value = document["summary"]
    assert isinstance(value, dict)
    return value


def findings(document: dict[str, object]) -> list[dict[str, object]]:
    value = document["findings"]
    assert isinstance(value, list)
    return value


# --- --new-from ------------------------------------------------------------------------------------


def test_a_pr_adding_one_violation_to_fifty_fails_on_exactly_the_new_one(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(50)))
    base = commit(repo, "fifty existing problems")
    write_tree(repo, {MAIN: groups(50) + "\n" + log_group("added")})
    commit(repo, "the pull request")

    status, document = check_json(repo, monkeypatch, "--new-from", base)

    assert status == 1
    assert summary(document)["errors"] == 51
    assert summary(document)["new"] == 1 and summary(document)["existing"] == 50
    new = [f for f in findings(document) if not f["existing"]]
    assert [(f["rule"], f["address"]) for f in new] == [("TG301", "aws_cloudwatch_log_group.added")]
    existing = {f["address"] for f in findings(document) if f["existing"]}
    assert existing == {f"aws_cloudwatch_log_group.g{number}" for number in range(50)}
    text = ttgate(repo, monkeypatch, "check", ".", "--new-from", base)
    assert text.exit_code == 1
    assert "Existing (50): already on the base revision or in the baseline" in text.output
    assert text.output.rstrip().endswith(
        "51 errors, 0 warnings, 0 notices in 1 stack, 2 files: 1 new, 50 existing."
    )


def test_without_a_new_finding_the_run_passes_and_says_what_it_compared(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(3)))
    base = commit(repo, "base")
    status, document = check_json(repo, monkeypatch, "--new-from", base)
    assert status == 0
    assert summary(document)["notes"] == [
        f"new versus existing: 3 findings of 3 also on {base[:12]}, reported as existing; 0 new"
    ]
    status, document = check_json(repo, monkeypatch, "--new-from", "main")
    assert summary(document)["notes"] == [
        f'new versus existing: 3 findings of 3 also on "main" ({base[:12]}), reported as existing; 0 new'
    ]
    plain = ttgate(repo, monkeypatch, "check", ".")
    assert plain.exit_code == 1  # without --new-from every finding counts, as before


def test_moved_lines_and_reformatting_keep_every_finding_existing(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(5)))
    base = commit(repo, "base")
    unrelated = "\n".join(log_group(f"fine{number}", 14) for number in range(3))
    reformatted = "\n\n".join(log_group(f"g{number}", indent="      ") for number in reversed(range(5)))
    write_tree(repo, {MAIN: "# queues first\n\n" + unrelated + "\n\n\n" + reformatted})
    commit(repo, "blocks inserted above, the rest reordered and re-indented")

    status, document = check_json(repo, monkeypatch, "--new-from", base)

    assert status == 0, summary(document)
    assert summary(document)["new"] == 0 and summary(document)["existing"] == 5
    lines = {f["line"] for f in findings(document)}
    assert min(lines) > 20  # the findings really moved


def test_renaming_an_unrelated_resource_keeps_the_others_existing(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(repo, stack("20_infra", "dev", log_group("fine", 14) + "\n" + groups(3)))
    base = commit(repo, "base")
    write_tree(repo, {MAIN: log_group("renamed_fine", 14) + "\n" + groups(3)})
    commit(repo, "rename the log group that has no finding")

    status, document = check_json(repo, monkeypatch, "--new-from", base)

    assert status == 0
    assert summary(document)["existing"] == 3 and summary(document)["new"] == 0


def test_a_stack_wide_finding_survives_moved_lines(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = stack("20_infra", "dev", log_group("fine", 14))
    files[BACKEND] = files[BACKEND].replace('"infra/terraform.tfstate"', '"wrong/terraform.tfstate"')
    write_tree(repo, files)
    base = commit(repo, "base")
    status, document = check_json(repo, monkeypatch)
    backend = [f for f in findings(document) if f["address"] is None]
    assert status == 1 and backend and {f["rule"] for f in backend} == {"TG102"}
    write_tree(repo, {BACKEND: "# the state of 20_infra/dev\n\n\n" + files[BACKEND]})
    commit(repo, "a comment above the backend")

    status, document = check_json(repo, monkeypatch, "--new-from", base)

    assert status == 0, findings(document)
    assert summary(document)["existing"] == len(backend)


def test_a_new_stack_is_all_new(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(2)))
    base = commit(repo, "base")
    write_tree(repo, stack("20_infra", "prod", groups(2)))
    commit(repo, "a new environment, copied with its problems")

    status, document = check_json(repo, monkeypatch, "--new-from", base)

    assert status == 1
    new = {f["stack"] for f in findings(document) if not f["existing"]}
    assert new == {"practice/deploy/20_infra/environments/prod"}
    assert summary(document)["existing"] == 2


def test_an_unreadable_revision_is_a_note_and_everything_is_new(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(2)))
    commit(repo, "base")

    status, document = check_json(repo, monkeypatch, "--new-from", "no-such-branch")

    assert status == 1
    assert summary(document)["new"] == 2 and summary(document)["existing"] == 0
    (note,) = summary(document)["notes"]  # type: ignore[misc]
    assert note.startswith('--new-from "no-such-branch": the tree there could not be checked (no commit')
    assert note.endswith("every finding is reported as new")


def test_outside_a_git_repository_new_from_is_a_note_and_everything_is_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = write_tree(tmp_path / "plain", stack("20_infra", "dev", groups(1)))
    status, document = check_json(plain, monkeypatch, "--new-from", "HEAD")
    assert status == 1
    (note,) = summary(document)["notes"]  # type: ignore[misc]
    assert "not a git repository" in note and note.endswith("every finding is reported as new")


def test_new_from_leaves_the_repository_as_it_was(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(1)))
    base = commit(repo, "base")
    write_tree(repo, {MAIN: groups(2)})
    before = (git(repo, "status", "--porcelain"), git(repo, "worktree", "list"), git(repo, "show-ref"))

    status, _ = check_json(repo, monkeypatch, "--new-from", base)

    assert status == 1
    assert (
        git(repo, "status", "--porcelain"),
        git(repo, "worktree", "list"),
        git(repo, "show-ref"),
    ) == before


# --- the baseline file -----------------------------------------------------------------------------


def test_the_baseline_shrinks_as_findings_are_fixed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(3)))
    made = ttgate(repo, monkeypatch, "baseline", ".", "--output", ".ttgate-baseline.json")
    assert made.exit_code == 0, made.output
    assert made.output == "wrote 3 entries (3 findings) to .ttgate-baseline.json\n"
    assert len(findings(report_of(repo / ".ttgate-baseline.json"))) == 3

    status, document = check_json(repo, monkeypatch, "--baseline", ".ttgate-baseline.json")
    assert status == 0
    assert summary(document)["notes"] == ["baseline: 3 findings listed there, reported as existing"]

    write_tree(repo, {MAIN: log_group("g0", 14) + "\n" + groups(2, start=1)})  # g0 fixed
    status, document = check_json(repo, monkeypatch, "--baseline", ".ttgate-baseline.json")
    assert status == 0
    assert summary(document)["notes"] == [
        "baseline: 2 findings listed there, reported as existing",
        "1 baseline entry no longer matches; run ttgate baseline to shrink the file",
    ]

    again = ttgate(repo, monkeypatch, "baseline", ".", "--output", ".ttgate-baseline.json")
    assert again.output == "wrote 2 entries (2 findings) to .ttgate-baseline.json\n"
    status, document = check_json(repo, monkeypatch, "--baseline", ".ttgate-baseline.json")
    assert summary(document)["notes"] == ["baseline: 2 findings listed there, reported as existing"]


def test_a_finding_the_baseline_does_not_list_fails(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(2)))
    assert ttgate(repo, monkeypatch, "baseline", "--output", "b.json").exit_code == 0
    write_tree(repo, {MAIN: groups(3)})
    status, document = check_json(repo, monkeypatch, "--baseline", "b.json")
    assert status == 1
    assert [f["address"] for f in findings(document) if not f["existing"]] == ["aws_cloudwatch_log_group.g2"]


def test_the_baseline_file_is_stable_sorted_and_holds_no_message(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(3)) | stack("30_app", "dev", log_group("app")))
    assert ttgate(repo, monkeypatch, "baseline", "--output", "one.json").exit_code == 0
    write_tree(repo, {MAIN: "\n\n" + groups(3)})  # lines move: the file does not change
    assert ttgate(repo, monkeypatch, "baseline", "--output", "two.json").exit_code == 0
    text = (repo / "one.json").read_text(encoding="utf-8")
    assert text == (repo / "two.json").read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["version"] == 1 and document["tool"] == "ttgate" and document["total"] == 4
    entries = document["findings"]
    assert [entry["file"] for entry in entries] == sorted(entry["file"] for entry in entries)
    assert entries[0] == {
        "fingerprint": entries[0]["fingerprint"],
        "count": 1,
        "rule": "TG301",
        "file": MAIN,
        "stack": "practice/deploy/20_infra/environments/dev",
        "description": "log-retention on aws_cloudwatch_log_group.g0",
    }
    assert "CloudWatch" not in text and "retention_in_days = 2" not in text


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file (write it with ttgate baseline --output bad.json)"),
        ("{", "not JSON (Expecting property name enclosed in double quotes at line 1)"),
        ('{"tool": "checkov"}', 'not a ttgate baseline: no "tool": "ttgate"'),
        ('{"tool": "ttgate", "version": 9}', "not a ttgate baseline: version 9; this ttgate reads version 1"),
        (
            '{"tool": "ttgate", "version": 1, "fingerprint": "ttgateFinding/v1", "findings": [{"count": 1}]}',
            "not a ttgate baseline: entry 1 has no valid fingerprint",
        ),
        (
            '{"tool": "ttgate", "version": 1, "fingerprint": "ttgateFinding/v1", "findings": '
            '[{"fingerprint": "' + "a" * 32 + '", "count": 0}]}',
            "not a ttgate baseline: entry 1 has no valid count",
        ),
        ("\udcff", "cannot read"),
    ],
)
def test_a_bad_baseline_file_is_one_line_and_exit_2(
    repo: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, problem: str
) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(1)))
    if content == "\udcff":
        (repo / "bad.json").write_bytes(b"\xff\xfe{")
    elif content is not None:
        (repo / "bad.json").write_text(content, encoding="utf-8")
    result = ttgate(repo, monkeypatch, "check", ".", "--baseline", "bad.json")
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith('ttgate: error: --baseline "bad.json": ') and problem in line, line


def test_baseline_and_new_from_together_count_a_finding_once(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(2)))
    base = commit(repo, "base")
    assert ttgate(repo, monkeypatch, "baseline", "--output", "../b.json").exit_code == 0
    write_tree(repo, {MAIN: groups(3)})
    status, document = check_json(repo, monkeypatch, "--baseline", "../b.json", "--new-from", base)
    assert status == 1
    assert summary(document)["existing"] == 2 and summary(document)["new"] == 1


def test_baseline_never_writes_over_a_file_the_check_reads(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(1)))
    before = (repo / MAIN).read_text(encoding="utf-8")
    result = ttgate(repo, monkeypatch, "baseline", ".", "--output", MAIN)
    assert result.exit_code == 2
    assert result.output == (
        f"ttgate: error: --output {MAIN}: is a Terraform or policy file this check may read; "
        "write the report elsewhere\n"
    )
    assert (repo / MAIN).read_text(encoding="utf-8") == before


def test_new_from_in_a_subdirectory_compares_the_same_paths(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(2)))
    base = commit(repo, "base")
    write_tree(repo, {MAIN: "\n" + groups(3)})
    out = repo.parent / "sub.json"
    result = ttgate(
        repo / "practice", monkeypatch, "check", "deploy", "--new-from", base, "--format", f"json:{out}"
    )
    assert result.exit_code == 1, result.output
    document = report_of(out)
    assert summary(document)["existing"] == 2 and summary(document)["new"] == 1
    assert {f["file"] for f in findings(document)} == {"deploy/20_infra/environments/dev/main.tf"}


def test_a_baseline_that_is_a_fifo_is_refused_without_waiting(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(1)))
    os.mkfifo(repo / "fifo.json")
    result = ttgate(repo, monkeypatch, "check", ".", "--baseline", "fifo.json")
    assert result.exit_code == 2
    assert result.output.startswith('ttgate: error: --baseline "fifo.json": cannot read: not a regular file')


def test_new_from_reads_the_repository_of_the_checked_paths(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(repo, stack("20_infra", "dev", groups(1)))
    base = commit(repo, "base")
    write_tree(repo, {MAIN: groups(2)})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "elsewhere.json"
    result = ttgate(elsewhere, monkeypatch, "check", str(repo), "--new-from", base, "--format", f"json:{out}")
    assert result.exit_code == 1, result.output
    assert summary(report_of(out))["existing"] == 1 and summary(report_of(out))["new"] == 1
