"""The sticky comment when GitHub misbehaves, against the local fake (tests/github/github_server.py):
GraphQL failing like REST (502, secondary rate limit), writes refused, lists lagging behind writes.

What must hold: every call is retried the same way; `hide` and `recreate` never leave the pull request
without the current report, nor with a stale report in sight; an unchanged report is left alone, whatever
the run and artifact links say; concurrent runs end with one comment even when lists lag.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.github.github_server import PR, REPO, FakeGitHub, serve
from tests.github.test_github_server import BOT, KEY, TOKEN, own, run_in_process
from tests.reports import finding, report
from ttgate.gate.reporters.json_report import render as json_report
from ttgate.gate.reporters.markdown import Links, comment_body, marker
from ttgate.github import client, sticky_comment
from ttgate.github.comment import is_own_comment, retired
from ttgate.integrations import github as github_api

COMMENTS = rf"/repos/{REPO}/issues/{PR}/comments"
ONE = rf"/repos/{REPO}/issues/comments/\d+"
RATE_LIMIT = "You have exceeded a secondary rate limit."


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(tokens={TOKEN: BOT})) as fake:
        yield fake


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json_report(report(finding())))
    return path


def visible_own(github: FakeGitHub) -> list[dict[str, object]]:
    return [c for c in github.comments if c["user"]["login"] == BOT and not c["minimized"]]


def test_graphql_viewer_502_and_rate_limit_are_retried(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    github.fail("POST", "/graphql", 502, "Server Error", contains="viewer")
    github.fail("POST", "/graphql", 403, RATE_LIMIT, contains="viewer")

    output, waits = run_in_process(tmp_path, github, report_file)

    assert output.startswith("ttgate comment: created"), output
    assert waits[1] == 60.0  # the secondary rate limit waits a minute, as for REST
    assert len(own(github)) == 1


def test_hide_keeps_the_marker_until_minimized_and_never_leaves_a_stale_report_in_sight(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    old = github.post(BOT, f"{marker(KEY)}\nold report")
    github.fail("POST", "/graphql", 502, "Server Error", contains="minimizeComment", times=4)

    output, _ = run_in_process(tmp_path, github, report_file, "--mode", "hide")

    # Minimizing failed after its retries: the stale report was deleted, never stripped of its marker
    # while still in sight; the new one holds the current report.
    assert output.startswith("ttgate comment: recreated"), output
    assert old not in github.comments
    assert [c["body"] for c in visible_own(github)] == own(github) and len(own(github)) == 1
    assert "1 error" in own(github)[0]


def test_hide_that_can_neither_minimize_nor_delete_keeps_the_marker_for_the_next_run(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    old = github.post(BOT, f"{marker(KEY)}\nold report")
    github.fail("POST", "/graphql", 502, "Server Error", contains="minimizeComment", times=4)
    github.fail("DELETE", ONE, 502, "Server Error", times=4)

    output, _ = run_in_process(tmp_path, github, report_file, "--mode", "hide")

    assert "warning" in output and "delete a comment" in output
    assert old["body"].startswith(marker(KEY)) and not old["minimized"]  # found again next time
    assert "1 error" in github.comments[-1]["body"]  # the current report was posted first

    output, _ = run_in_process(tmp_path, github, report_file, "--mode", "hide")

    assert output.startswith("ttgate comment: recreated"), output
    assert old["minimized"] and not old["body"].startswith(marker(KEY))
    assert len(visible_own(github)) == 1 and len(own(github)) == 1


def test_recreate_posts_first_and_updates_in_place_when_it_cannot_post(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    old = github.post(BOT, f"{marker(KEY)}\nold report")
    github.fail("POST", COMMENTS, 403, RATE_LIMIT, times=3)  # every create round rate-limited

    output, _ = run_in_process(tmp_path, github, report_file, "--mode", "recreate")

    assert "could not post a new comment: updated the old one" in output, output
    assert github.comments == [old] and "1 error" in old["body"]

    output, _ = run_in_process(tmp_path, github, report_file, "--mode", "recreate")  # GitHub is back
    assert output.startswith("ttgate comment: recreated"), output
    assert old not in github.comments and len(own(github)) == 1


def test_recreate_deletes_only_after_the_new_comment_is_posted(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    github.post(BOT, f"{marker(KEY)}\nold report")

    run_in_process(tmp_path, github, report_file, "--mode", "recreate")

    writes = [(method, target.split("?")[0]) for _, method, target in github.requests if method != "GET"]
    writes = [write for write in writes if write[1] != "/graphql"]
    assert [method for method, _ in writes] == ["POST", "DELETE"]


def test_an_unchanged_report_is_left_alone_whatever_the_run_and_artifact_links(
    tmp_path: Path, github: FakeGitHub, report_file: Path
) -> None:
    output, _ = run_in_process(
        tmp_path, github, report_file, "--details-url", "https://github.example/runs/1", "--report-url", "a1"
    )
    assert output.startswith("ttgate comment: created"), output

    output, _ = run_in_process(
        tmp_path, github, report_file, "--details-url", "https://github.example/runs/2", "--report-url", "a2"
    )

    assert output.startswith("ttgate comment: unchanged"), output
    assert not [request for request in github.requests if request[1] == "PATCH"]

    report_file.write_text(json_report(report(finding(), finding(rule="TG202"))))
    output, _ = run_in_process(tmp_path, github, report_file)
    assert output.startswith("ttgate comment: updated"), output  # the findings changed: written


def test_ten_runs_at_once_with_lagging_lists_end_with_one_comment(report_file: Path) -> None:
    runs = 10
    fake = FakeGitHub(tokens={TOKEN: BOT}, list_lag=0.3, barrier=threading.Barrier(runs))
    # Real waits, short: each run looks again (0.2 s, then 0.4 s) until its own comment is listed.
    policy = github_api.RetryPolicy(
        backoff_factor=0.1, seconds_between_requests=None, seconds_between_writes=None
    )
    the_report = report(finding())
    links = Links(server_url="https://github.example", repo=REPO, sha="0" * 40)
    gate = sticky_comment.Gate(
        lambda text: is_own_comment(text, KEY),
        lambda previous: comment_body(the_report, KEY, links),
        retired,
    )
    outcomes: list[sticky_comment.Outcome] = []
    errors: list[BaseException] = []

    def one_run() -> None:
        try:
            store = client.PyGithubCommentStore(TOKEN, REPO, PR, fake.url, policy)
            outcomes.append(sticky_comment.sync_comment(store, gate, create=True, policy=policy))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    with serve(fake):
        threads = [threading.Thread(target=one_run) for _ in range(runs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert not errors, errors
    assert len(outcomes) == runs
    assert len(own(fake)) == 1, [o.action for o in outcomes]
    assert len({outcome.url for outcome in outcomes}) == 1  # every run names the one that stayed
