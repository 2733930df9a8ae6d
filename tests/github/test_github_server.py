"""`ttgate comment` against a local HTTP server that answers like GitHub (tests/github/github_server.py).

Not `responses`: real HTTP through PyGithub and requests, pagination by Link headers, 5xx and secondary
rate limits, writes refused on others' comments. The ownership and concurrency tests run the CLI as a
subprocess (``python -m ttgate comment`` with GITHUB_API_URL pointing at the server); the tests about
waits run it in-process, so that RetryPolicy.sleep records the waits instead of sleeping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.github.github_server import PR, REPO, FakeGitHub, serve
from tests.reports import finding, report
from ttgate.cli import main
from ttgate.gate.reporters.json_report import render as json_report
from ttgate.gate.reporters.markdown import marker
from ttgate.integrations import github as github_api

BOT, TOKEN = "github-actions[bot]", "ghs_workflow-token"
MALLORY, MALLORY_TOKEN = "mallory", "ghp_mallory"
KEY = "gate/prod"
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(tokens={TOKEN: BOT, MALLORY_TOKEN: MALLORY})) as fake:
        yield fake


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json_report(report(finding())))
    return path


def environment(tmp_path: Path, github: FakeGitHub) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR, "head": {"sha": "0" * 40}}}))
    env = {name: value for name, value in os.environ.items() if not name.startswith("GITHUB_")}
    return env | {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": github.url,
        "PYTHONPATH": str(SRC),
    }


def start(report_file: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "ttgate", "comment", "--report", str(report_file), "--key", KEY, *args]
    return subprocess.Popen(command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[str]) -> str:
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert TOKEN not in stdout + stderr
    assert "warning" not in stderr, stderr
    return stdout


def own(github: FakeGitHub) -> list[str]:
    return [body for body in github.bodies(BOT) if body.startswith(marker(KEY))]


@pytest.mark.slow
def test_another_users_comment_with_the_exact_marker_is_untouched(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    for number in range(130):  # two pages of 100: the impostor and ttgate's own are both on page 2
        github.post("alice", f"comment {number}")
    impostor = github.post(MALLORY, f"{marker(KEY)}\nall clear, merge away")

    output = finish(start(report_file, environment(tmp_path, github)))

    assert impostor in github.comments and impostor["body"] == f"{marker(KEY)}\nall clear, merge away"
    assert len(own(github)) == 1 and "1 error" in own(github)[0]
    assert ("mallory", "PATCH") not in {(login, method) for login, method, _ in github.requests}
    assert not [r for r in github.requests if r[1] in ("PATCH", "DELETE")]
    assert any("page=2" in target for _, _, target in github.requests)  # followed the Link header
    assert output.startswith("ttgate comment: created https://github.example/acme/infra/pull/7#issuecomment-")

    # The next run finds its own comment on page 2, past the impostor's, and updates it in place.
    report_file.write_text(json_report(report(finding(), finding(rule="TG202"))))
    output = finish(start(report_file, environment(tmp_path, github)))

    assert output.startswith("ttgate comment: updated ")
    assert len(own(github)) == 1 and "2 errors" in own(github)[0]
    assert impostor["body"] == f"{marker(KEY)}\nall clear, merge away"


@pytest.mark.slow
def test_two_runs_at_once_end_with_one_comment(tmp_path: Path, github: FakeGitHub, report_file: Path) -> None:
    github.barrier = threading.Barrier(2)  # both list before either posts: both create one
    env = environment(tmp_path, github)

    runs = [start(report_file, env), start(report_file, env)]
    outputs = [finish(run) for run in runs]

    assert len(own(github)) == 1, outputs
    posts = [
        target for _, method, target in github.requests if method == "POST" and target.endswith("/comments")
    ]
    assert len(posts) == 2  # the race happened: both created, one was merged away
    assert sorted(output.split()[2] for output in outputs) == ["created", "updated"]


def run_in_process(
    tmp_path: Path, github: FakeGitHub, report_file: Path, *args: str
) -> tuple[str, list[float]]:
    waits: list[float] = []
    policy = github_api.RetryPolicy(
        seconds_between_requests=None, seconds_between_writes=None, sleep=waits.append
    )
    env = environment(tmp_path, github)
    original = github_api.DEFAULT_POLICY
    github_api.DEFAULT_POLICY = policy
    try:
        result = CliRunner(env=env).invoke(
            main, ["comment", "--report", str(report_file), "--key", KEY, *args]
        )
    finally:
        github_api.DEFAULT_POLICY = original
    assert result.exit_code == 0, result.output
    return result.stdout + result.stderr, waits


def test_a_secondary_rate_limit_on_a_create_waits_a_minute(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    github.fail(
        "POST", rf"/repos/{REPO}/issues/{PR}/comments", 403, "You have exceeded a secondary rate limit."
    )

    output, waits = run_in_process(tmp_path, github, report_file)

    assert waits == [60.0]
    assert output.startswith("ttgate comment: created"), output
    assert len(own(github)) == 1


def test_retry_after_and_5xx_on_reads_are_waited_out(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    comments = rf"/repos/{REPO}/issues/{PR}/comments"
    github.fail("GET", comments, 403, "You have exceeded a secondary rate limit.", **{"Retry-After": "7"})
    github.fail("GET", comments, 502, "Server Error")

    output, waits = run_in_process(tmp_path, github, report_file)

    assert waits[0] == 7.0 and len(waits) == 2  # Retry-After, then the backoff after the 502
    assert output.startswith("ttgate comment: created"), output


def test_recreate_deletes_the_old_comment_and_posts_at_the_bottom(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    old = github.post(BOT, f"{marker(KEY)}\nold report")
    github.post("alice", "a later review comment")

    output, _ = run_in_process(tmp_path, github, report_file, "--mode", "recreate")

    assert output.startswith("ttgate comment: recreated"), output
    assert old not in github.comments
    assert github.comments[-1]["body"].startswith(marker(KEY)) and "1 error" in github.comments[-1]["body"]


def test_hide_minimizes_and_retires_the_old_comment(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    old = github.post(BOT, f"{marker(KEY)}\nold report")

    output, _ = run_in_process(tmp_path, github, report_file, "--mode", "hide")

    assert output.startswith("ttgate comment: recreated"), output
    assert old["minimized"] and not old["body"].startswith(marker(KEY)) and old["body"].endswith("old report")
    assert len(own(github)) == 1 and own(github)[0] != old["body"]

    output, _ = run_in_process(tmp_path, github, report_file, "--mode", "hide")  # again: one live comment
    assert len(own(github)) == 1


def test_a_token_that_may_not_write_is_a_warning(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    github.fail("POST", rf"/repos/{REPO}/issues/{PR}/comments", 403, "Resource not accessible by integration")

    output, waits = run_in_process(tmp_path, github, report_file)

    assert "no PR comment written: GitHub refused to create a comment" in output and waits == []
    assert github.comments == []
