"""`ttgate issue`: one issue per environment kept in step with the audit's report, against the local GitHub
fake (tests/github/github_server.py) through the real CLI.

The lifecycle: opened when findings appear, left alone while they are the same (no write at all),
edited when they change, closed with a comment when clean, a new issue (linking the last) when they come
back. Ownership as the sticky comment's: another user's issue with the exact marker is never touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.github.github_server import REPO, FakeGitHub, serve
from tests.reports import finding, report
from ttgate.cli import main
from ttgate.gate.reporters.json_report import render as json_report
from ttgate.github.audit_issue import DEFAULT_LABEL, marker
from ttgate.integrations import github as github_api

BOT, TOKEN = "github-actions[bot]", "ghs_workflow-token"
MALLORY, MALLORY_TOKEN = "mallory", "ghp_mallory"
SRC = Path(__file__).resolve().parents[2] / "src"
ISSUES = rf"/repos/{REPO}/issues"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(tokens={TOKEN: BOT, MALLORY_TOKEN: MALLORY}, page_size_cap=2)) as fake:
        yield fake


def write_report(tmp_path: Path, *messages: str) -> Path:
    path = tmp_path / "audit.json"
    path.write_text(json_report(report(*(finding(message=message) for message in messages))))
    return path


def environment(github: FakeGitHub, token: str = TOKEN) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GITHUB_")}
    return env | {
        "GITHUB_TOKEN": token,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": github.url,
        "GITHUB_RUN_ID": "77",
        "PYTHONPATH": str(SRC),
    }


def run(report_file: Path, env: dict[str, str], *args: str, status: int = 0) -> str:
    command = [sys.executable, "-m", "ttgate", "issue", "--report", str(report_file), "--key", "prod", *args]
    done = subprocess.run(command, env=env, text=True, capture_output=True, timeout=60, check=False)
    assert done.returncode == status, done.stderr
    assert TOKEN not in done.stdout + done.stderr
    return done.stdout + done.stderr


def ours(github: FakeGitHub) -> list[dict[str, object]]:
    return [issue for issue in github.issues if issue["user"]["login"] == BOT]


def writes(github: FakeGitHub) -> list[tuple[str, str, str]]:
    return [
        request
        for request in github.requests
        if request[1] in ("POST", "PATCH") and "graphql" not in request[2]
    ]


@pytest.mark.slow
def test_the_issue_lives_while_there_are_findings(tmp_path: Path, github: FakeGitHub) -> None:
    env = environment(github)
    # A page size of 2 and unrelated issues: ours is found on a later page.
    for number in range(3):
        github.open_issue(BOT, f"other {number}", f"not ours {number}", [DEFAULT_LABEL])

    out = run(write_report(tmp_path, "queue tt-prod-orders visibility 30 < 180"), env)
    assert "created https://github.example/" in out
    (issue,) = [i for i in ours(github) if str(i["body"]).startswith(marker("prod"))]
    assert issue["state"] == "open"
    assert [label["name"] for label in issue["labels"]] == [DEFAULT_LABEL]  # type: ignore[attr-defined]
    assert "visibility 30 &lt; 180" in str(issue["body"]) or "visibility 30 < 180" in str(issue["body"])
    assert "actions/runs/77" in str(issue["body"])

    # Same findings on the next day's run (another run id): nothing written at all.
    before = len(writes(github))
    out = run(
        write_report(tmp_path, "queue tt-prod-orders visibility 30 < 180"), env | {"GITHUB_RUN_ID": "78"}
    )
    assert "unchanged" in out
    assert len(writes(github)) == before

    # Findings change: the body is edited in place, no new issue.
    out = run(write_report(tmp_path, "queue tt-prod-orders visibility 30 < 180", "alarm deleted"), env)
    assert "updated" in out
    assert "alarm deleted" in str(issue["body"])
    assert len([i for i in ours(github) if str(i["body"]).startswith(marker("prod"))]) == 1

    # Clean: a comment saying so, then closed as completed.
    out = run(write_report(tmp_path), env)
    assert "closed" in out
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    assert "came back clean" in issue["comments"][-1]["body"]  # type: ignore[index]

    # Clean again: nothing to do, nothing written.
    before = len(writes(github))
    assert "clean" in run(write_report(tmp_path), env)
    assert len(writes(github)) == before

    # Findings come back: a new issue, linking the last one; the closed one stays closed.
    run(write_report(tmp_path, "retention removed"), env)
    mine = [i for i in ours(github) if str(i["body"]).startswith(marker("prod"))]
    assert [i["state"] for i in mine] == ["closed", "open"]
    assert f"#{issue['number']}" in str(mine[1]["body"])


@pytest.mark.slow
def test_another_users_issue_with_the_exact_marker_is_never_touched(
    tmp_path: Path, github: FakeGitHub
) -> None:
    forged = github.open_issue(MALLORY, "ttgate audit", f"{marker('prod')}\nplease close me", [DEFAULT_LABEL])
    env = environment(github)
    run(write_report(tmp_path, "alarm deleted"), env)
    run(write_report(tmp_path), env)
    assert forged["body"] == f"{marker('prod')}\nplease close me" and forged["state"] == "open"
    assert forged["comments"] == []
    # Ours was opened beside it, then closed when clean.
    (mine,) = ours(github)
    assert mine["state"] == "closed"


@pytest.mark.slow
def test_another_keys_issue_is_not_ours(tmp_path: Path, github: FakeGitHub) -> None:
    staging = github.open_issue(BOT, "staging", f"{marker('prod/staging')}\nx", [DEFAULT_LABEL])
    run(write_report(tmp_path), environment(github))
    assert staging["state"] == "open"


def test_duplicates_left_by_two_runs_are_closed_keeping_the_oldest(
    tmp_path: Path, github: FakeGitHub
) -> None:
    first = github.open_issue(BOT, "t", f"{marker('prod')}\nold", [DEFAULT_LABEL])
    second = github.open_issue(BOT, "t", f"{marker('prod')}\nold too", [DEFAULT_LABEL])
    out = invoke(github, write_report(tmp_path, "alarm deleted"))
    assert "updated" in out and "closed 1 duplicate" in out
    assert first["state"] == "open" and "alarm deleted" in str(first["body"])
    assert second["state"] == "closed" and f"#{first['number']}" in second["comments"][0]["body"]  # type: ignore[index]


def invoke(github: FakeGitHub, report_file: Path, *args: str, status: int = 0) -> str:
    """In-process, so RetryPolicy.sleep records the waits instead of sleeping."""
    policy = github_api.RetryPolicy(
        seconds_between_requests=None, seconds_between_writes=None, sleep=lambda _: None
    )
    original = github_api.DEFAULT_POLICY
    github_api.DEFAULT_POLICY = policy
    try:
        result = CliRunner(env=environment(github)).invoke(
            main, ["issue", "--report", str(report_file), "--key", "prod", *args]
        )
    finally:
        github_api.DEFAULT_POLICY = original
    assert result.exit_code == status, result.output
    return result.stdout + result.stderr


def test_a_5xx_is_retried(tmp_path: Path, github: FakeGitHub) -> None:
    github.fail("GET", ISSUES, 502, "Bad Gateway", times=2)
    assert "created" in invoke(github, write_report(tmp_path, "alarm deleted"))


def test_github_failing_is_a_warning_or_with_strict_exit_2(tmp_path: Path, github: FakeGitHub) -> None:
    github.fail("GET", ISSUES, 502, "Bad Gateway", times=20)
    out = invoke(github, write_report(tmp_path, "alarm deleted"))
    assert "warning: no issue written: GitHub could not list the issues" in out and "retries" in out
    github.fail("GET", ISSUES, 502, "Bad Gateway", times=20)
    out = invoke(github, write_report(tmp_path, "alarm deleted"), "--strict", status=2)
    assert out.count("\n") == 1 and "no issue written" in out


def test_issues_disabled_or_no_permission_is_named(tmp_path: Path, github: FakeGitHub) -> None:
    github.fail("POST", ISSUES, 403, "Resource not accessible by integration")
    out = invoke(github, write_report(tmp_path, "alarm deleted"), "--strict", status=2)
    assert "403 Resource not accessible by integration" in out and "open an issue" in out


def test_a_missing_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GITHUB_")}
    result = CliRunner(env=env | {"GITHUB_REPOSITORY": REPO}).invoke(
        main, ["issue", "--report", str(write_report(tmp_path, "x")), "--key", "prod"]
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "ttgate: error: GITHUB_TOKEN is not set: pass a token with issues: write"
    ]


def test_a_bad_report_or_repository_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "audit.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(main, ["issue", "--report", str(bad), "--key", "prod", "--dry-run"])
    assert result.exit_code == 2 and "audit.json" in result.output
    result = CliRunner(env={"GITHUB_TOKEN": "x"}).invoke(
        main, ["issue", "--report", str(write_report(tmp_path, "x")), "--key", "prod", "--repo", "not a repo"]
    )
    assert result.exit_code == 2 and "--repo not a repo: expected OWNER/NAME" in result.output


def test_dry_run_prints_the_body_with_its_marker_and_digest(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["issue", "--report", str(write_report(tmp_path, "alarm deleted")), "--key", "prod", "--dry-run"],
    )
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == marker("prod") and lines[-1].startswith("<!-- ttgate:digest sha256=")


def test_the_marker_of_one_key_is_not_the_start_of_anothers() -> None:
    assert not marker("prod/eu").startswith(marker("prod")[:-4] + " ")
    assert marker("a -->b") != marker("a") and "-->b" not in marker("a -->b")
