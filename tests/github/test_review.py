"""`ttgate review`: literal fixes as suggestion comments on the PR's changed lines, against the local GitHub
fake (tests/github/github_server.py), through the real CLI (``python -m ttgate review`` in a subprocess,
GITHUB_API_URL pointing at the fake) and, where waits or many writes matter, in-process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.github.github_server import PR, REPO, FakeGitHub, serve
from tests.github.test_github_server import BOT, MALLORY, MALLORY_TOKEN, TOKEN, environment
from tests.reports import INFRA, finding, report
from ttgate.cli import main
from ttgate.gate.findings import Finding, LiteralEdit
from ttgate.gate.reporters.json_report import read_report
from ttgate.gate.reporters.json_report import render as json_report
from ttgate.github.diff_lines import added_lines
from ttgate.github.review_comments import fixed_line, marked_fingerprint, marker
from ttgate.integrations import github as github_api
from ttgate.policy import Severity

KEY = "gate/dev"
MAIN_TF = "practice/deploy/20_infra/environments/dev/main.tf"
SOURCE = """\
module "orders_queue" {
  source = "../../modules/sqs"

  name                       = "orders"
  visibility_timeout_seconds = 545 # the worker's timeout is 120 s
  message_retention_seconds  = 345600
  max_receive_count          = 10
  delay_seconds              = 0
  kms_master_key_id          = "alias/orders"
}
"""
# The PR added lines 4 to 8 (the queue's settings); lines 1-3 and 9-10 are context.
PATCH = "\n".join(
    [
        "@@ -1,5 +1,10 @@",
        ' module "orders_queue" {',
        '   source = "../../modules/sqs"',
        " ",
        *(f"+{line}" for line in SOURCE.splitlines()[3:8]),
        '   kms_master_key_id          = "alias/orders"',
        " }",
    ]
)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(tokens={TOKEN: BOT, MALLORY_TOKEN: MALLORY})) as fake:
        fake.change(MAIN_TF, PATCH)
        fake.change("README.md", "@@ -1 +1 @@\n-old\n+new\n")
        yield fake


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / MAIN_TF).parent.mkdir(parents=True)
    (root / MAIN_TF).write_text(SOURCE)
    return root


def literal_finding(
    attribute: str, replacement: str, *, rule: str = "TG201", severity: Severity = Severity.ERROR
) -> Finding:
    """A finding whose fix replaces ``attribute``'s value on its line of SOURCE."""
    number, text = next((n, t) for n, t in enumerate(SOURCE.splitlines(), 1) if f" {attribute} " in t)
    start = text.index("= ") + 3
    end = start + len(text[start - 1 :].split()[0])
    result = finding(rule, severity, fix=f"Set {attribute} to {replacement}.", file=MAIN_TF, line=number)
    result.address = f"module.orders_queue.{attribute}"
    result.edit = LiteralEdit(MAIN_TF, number, start, end, replacement)
    return result


VISIBILITY = literal_finding("visibility_timeout_seconds", "725")


def write_report(tmp_path: Path, *findings: Finding) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json_report(report(*findings)))
    return path


def review(
    tmp_path: Path, github: FakeGitHub, report_file: Path, root: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """``python -m ttgate review`` as the action runs it."""
    command = [sys.executable, "-m", "ttgate", "review", "--report", str(report_file), "--root", str(root)]
    env = environment(tmp_path, github)
    run = subprocess.run(
        [*command, "--key", KEY, *args], env=env, text=True, capture_output=True, timeout=120, check=False
    )
    assert TOKEN not in run.stdout + run.stderr
    return run


def review_in_process(github: FakeGitHub, tmp_path: Path, report_file: Path, root: Path, *args: str) -> str:
    """The same command in-process, with no pacing and no waits (many writes, scripted failures)."""
    policy = github_api.RetryPolicy(
        backoff_factor=0, seconds_between_requests=None, seconds_between_writes=None, sleep=lambda _: None
    )
    original, github_api.DEFAULT_POLICY = github_api.DEFAULT_POLICY, policy
    try:
        result = CliRunner(env=environment(tmp_path, github)).invoke(
            main, ["review", "--report", str(report_file), "--root", str(root), "--key", KEY, *args]
        )
    finally:
        github_api.DEFAULT_POLICY = original
    assert result.exit_code == 0, result.output
    return result.stdout + result.stderr


def suggested(comment: dict[str, object]) -> str:
    """The one line of a comment's suggestion block."""
    body = str(comment["body"])
    return body.split("```suggestion\n", 1)[1].split("\n```", 1)[0]


# --- the diff and the line ----------------------------------------------------------------------------


def test_only_added_lines_of_the_right_side_are_changed_lines() -> None:
    patch = (
        "@@ -3,4 +3,5 @@ module\n a\n-b\n+B\n+C\n c\n\\ No newline at end of file\n"
        "@@ -20,2 +21,2 @@\n x\n+y\n"
    )
    assert added_lines(PATCH) == {4, 5, 6, 7, 8}
    assert added_lines(patch) == {4, 5, 22}
    assert added_lines("") == set()


def test_the_fixed_line_keeps_indentation_and_comment_and_refuses_what_it_must_not_quote() -> None:
    edit = VISIBILITY.edit
    assert edit is not None
    line = SOURCE.splitlines()[4]
    assert fixed_line(line, edit) == "  visibility_timeout_seconds = 725 # the worker's timeout is 120 s"
    assert fixed_line("  visibility_timeout_seconds = var.timeout", edit) is None  # not the literal
    secret = LiteralEdit(MAIN_TF, 1, 17, 27, '"x"')
    assert fixed_line('  db_password = "hunter2xyz"', secret) is None  # a secret-like attribute
    assert fixed_line("  visibility_timeout_seconds = 545 # ```", edit) is None  # would end the block
    assert fixed_line("  visibility_timeout_seconds = 545 # \x1b[31m", edit) is None
    odd = LiteralEdit(MAIN_TF, 5, edit.column, edit.end_column, "725\n```")
    assert fixed_line(line, odd) is None  # the replacement is a literal, nothing more


def test_the_edit_travels_in_the_json_report(tmp_path: Path) -> None:
    read = read_report(write_report(tmp_path, VISIBILITY, finding()))
    assert read.findings[0].edit == VISIBILITY.edit
    assert [f.edit for f in read.findings[1:]] == [None]


# --- against the fake, through the real CLI --------------------------------------------------------


@pytest.mark.slow
def test_a_changed_545_gets_a_725_suggestion_and_the_fix_leaves_none_open(
    tmp_path: Path, github: FakeGitHub, workspace: Path
) -> None:
    run = review(tmp_path, github, write_report(tmp_path, VISIBILITY), workspace)

    assert run.returncode == 0, run.stderr
    [comment] = github.open_reviews()
    assert (comment["path"], comment["line"], comment["user"]["login"]) == (MAIN_TF, 5, BOT)
    assert comment["commit_id"] == "0" * 40
    assert suggested(comment) == "  visibility_timeout_seconds = 725 # the worker's timeout is 120 s"
    assert marked_fingerprint(str(comment["body"]), KEY) is not None
    assert run.stdout.startswith("ttgate review: 1 suggestion on the diff (1 posted"), run.stdout

    # The same report again: nothing written.
    writes = len(
        [r for r in github.requests if r[1] in ("POST", "PATCH", "DELETE") and "graphql" not in r[2]]
    )
    run = review(tmp_path, github, write_report(tmp_path, VISIBILITY), workspace)
    assert "1 unchanged" in run.stdout
    assert writes == len(
        [r for r in github.requests if r[1] in ("POST", "PATCH", "DELETE") and "graphql" not in r[2]]
    )

    # The author applies the suggestion; the next check finds nothing: the thread is resolved.
    (workspace / MAIN_TF).write_text(SOURCE.replace("= 545", "= 725"))
    run = review(tmp_path, github, write_report(tmp_path), workspace)

    assert run.returncode == 0, run.stderr
    assert github.open_reviews() == []
    assert comment["resolved"] is True
    assert "1 resolved" in run.stdout


@pytest.mark.slow
def test_another_users_comment_with_the_same_marker_is_never_touched(
    tmp_path: Path, github: FakeGitHub, workspace: Path
) -> None:
    first = review(tmp_path, github, write_report(tmp_path, VISIBILITY), workspace)
    assert first.returncode == 0, first.stderr
    [own] = github.open_reviews(BOT)
    # Mallory copies the marker onto the same line, and onto a finding ttgate will no longer report.
    copied = github.review(MALLORY, MAIN_TF, 5, str(own["body"]).replace("725", "9999"))
    stale_body = f"{marker(KEY, '0123456789abcdef')}\n```suggestion\n  delay_seconds = 900\n```\n"
    stale = github.review(MALLORY, MAIN_TF, 8, stale_body)

    run = review(tmp_path, github, write_report(tmp_path, VISIBILITY), workspace)
    assert run.returncode == 0, run.stderr
    run = review(tmp_path, github, write_report(tmp_path), workspace)  # everything fixed
    assert run.returncode == 0, run.stderr

    assert copied in github.review_comments and stale in github.review_comments
    assert not copied["resolved"] and not stale["resolved"]
    assert "9999" in str(copied["body"]) and stale["body"] == stale_body
    assert github.open_reviews() == [copied, stale] and own["resolved"]
    assert all(login == BOT for login, _, _ in github.requests)
    touched = [t for _, method, t in github.requests if method in ("PATCH", "DELETE")]
    assert not [t for t in touched if t.endswith((f"/{copied['id']}", f"/{stale['id']}"))]


@pytest.mark.slow
def test_a_fork_token_that_cannot_write_is_one_warning_and_exit_0(
    tmp_path: Path, github: FakeGitHub, workspace: Path
) -> None:
    github.fail("POST", rf"/repos/{REPO}/pulls/{PR}/comments", 403, "Resource not accessible by integration")

    run = review(tmp_path, github, write_report(tmp_path, VISIBILITY), workspace)

    assert run.returncode == 0
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("ttgate: warning: no review suggestion"), (
        run.stderr
    )
    assert "403 Resource not accessible by integration" in run.stderr and "PR comment" in run.stderr
    assert github.open_reviews() == []


def test_without_a_token_it_is_one_line_and_exit_2(
    tmp_path: Path, github: FakeGitHub, workspace: Path
) -> None:
    env = environment(tmp_path, github) | {"GITHUB_TOKEN": ""}
    result = CliRunner(env=env).invoke(
        main, ["review", "--report", str(write_report(tmp_path, VISIBILITY)), "--root", str(workspace)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("ttgate: error: GITHUB_TOKEN is not set (pass the workflow token")
    assert result.stderr.count("\n") == 1
    assert github.requests == []


# --- in-process: many writes, scripted failures ----------------------------------------------------


def test_only_the_cap_is_posted_most_severe_first_and_unchanged_lines_get_none(
    tmp_path: Path, github: FakeGitHub, workspace: Path
) -> None:
    findings = [
        literal_finding("delay_seconds", "5", rule="TG203", severity=Severity.NOTICE),
        literal_finding("max_receive_count", "3", rule="TG204", severity=Severity.WARNING),
        VISIBILITY,
        literal_finding("message_retention_seconds", "1209600", rule="TG205", severity=Severity.ERROR),
        # On context lines of the diff (9 and 2), not lines the PR changed: no suggestion.
        literal_finding("kms_master_key_id", '"alias/queues"', rule="TG206"),
        literal_finding("source", '"../../modules/queue"', rule="TG207"),
    ]
    # 150 other files first: the PR's file is on the second page of its files.
    patch = "@@ -1 +1 @@\n-a\n+b\n"
    github.files[:0] = [
        {"filename": f"docs/{n}.md", "status": "modified", "patch": patch} for n in range(150)
    ]
    report_file = write_report(tmp_path, *findings)

    output = review_in_process(github, tmp_path, report_file, workspace, "--max-suggestions", "3")

    posted = github.open_reviews(BOT)
    assert [c["line"] for c in posted] == [5, 6, 7]  # both errors (in file order), then the warning
    assert suggested(posted[2]) == "  max_receive_count          = 3"
    assert "3 suggestions on the diff (3 posted" in output
    assert "1 over --max-suggestions and 2 on unchanged lines" in output
    assert any(f"/pulls/{PR}/files" in t and "page=2" in t for _, _, t in github.requests)

    # The notice's fix lands: nothing over the cap, the three unchanged.
    report_file = write_report(tmp_path, *findings[1:])
    output = review_in_process(github, tmp_path, report_file, workspace, "--max-suggestions", "3")
    assert "3 unchanged" in output and "0 over" in output
    assert len(github.open_reviews(BOT)) == 3


def test_a_finding_that_moved_is_suggested_on_its_new_line_and_the_old_one_closed(
    tmp_path: Path, github: FakeGitHub, workspace: Path
) -> None:
    review_in_process(github, tmp_path, write_report(tmp_path, VISIBILITY), workspace)
    [old] = github.open_reviews(BOT)
    moved = literal_finding("visibility_timeout_seconds", "725")
    assert moved.edit is not None
    moved.edit = LiteralEdit(MAIN_TF, 6, moved.edit.column, moved.edit.end_column, "725")
    lines = SOURCE.splitlines()
    lines.insert(5, lines[4])
    (workspace / MAIN_TF).write_text("\n".join(lines) + "\n")

    output = review_in_process(github, tmp_path, write_report(tmp_path, moved), workspace)

    [new] = github.open_reviews(BOT)
    assert new["line"] == 6 and old["resolved"]
    assert "1 posted" in output and "1 resolved" in output


def test_a_create_that_got_a_502_is_looked_for_before_posting_again(
    tmp_path: Path, github: FakeGitHub, workspace: Path
) -> None:
    github.fail("POST", rf"/repos/{REPO}/pulls/{PR}/comments", 502, "Server Error", carried_out=True)

    output = review_in_process(github, tmp_path, write_report(tmp_path, VISIBILITY), workspace)

    assert len(github.review_comments) == 1, output
    assert "1 posted" in output


def test_unreachable_api_is_one_warning_and_exit_0(
    tmp_path: Path, github: FakeGitHub, workspace: Path
) -> None:
    github.fail("GET", rf"/repos/{REPO}/pulls/{PR}/files", 502, "Server Error", times=10)

    output = review_in_process(github, tmp_path, write_report(tmp_path, VISIBILITY), workspace)

    assert output.startswith(
        "ttgate: warning: no review suggestion written: GitHub could not list the changed"
    )
    assert output.count("\n") == 1
    assert github.review_comments == []


def test_a_sensitive_line_gets_no_suggestion(tmp_path: Path, github: FakeGitHub, workspace: Path) -> None:
    text = SOURCE.replace("  delay_seconds              = 0", "  auth_token_ttl             = 0")
    (workspace / MAIN_TF).write_text(text)
    risky = literal_finding("delay_seconds", "5")
    output = review_in_process(github, tmp_path, write_report(tmp_path, risky), workspace)

    assert github.review_comments == []
    assert f"no suggestion for TG201 at {MAIN_TF}:8: the line does not take a literal suggestion" in output


def test_outside_a_pull_request_nothing_is_asked(tmp_path: Path, github: FakeGitHub, workspace: Path) -> None:
    env = environment(tmp_path, github)
    (tmp_path / "event.json").write_text("{}")
    result = CliRunner(env=env).invoke(
        main, ["review", "--report", str(write_report(tmp_path, VISIBILITY)), "--root", str(workspace)]
    )
    assert result.exit_code == 0 and "not for a pull request" in result.stderr
    assert github.requests == []


assert INFRA.name in MAIN_TF  # the findings' stack holds the file


# --- from a real check, end to end ---------------------------------------------------------------------

REAL_TF = "practice/deploy/30_app/environments/dev/orders.tf"
REAL_SOURCE = """\
resource "aws_sqs_queue" "orders" {
  name                       = "tt-practice-dev-orders-queue"
  visibility_timeout_seconds = 545 # was 545 before the worker got slower
}

resource "aws_lambda_function" "worker" {
  function_name = "tt-practice-dev-worker"
  timeout       = 120
}

resource "aws_lambda_event_source_mapping" "orders" {
  event_source_arn                   = aws_sqs_queue.orders.arn
  function_name                      = aws_lambda_function.worker.arn
  maximum_batching_window_in_seconds = 5
}
"""


@pytest.mark.slow
def test_a_real_check_report_gets_its_literal_fix_suggested_on_the_changed_line(tmp_path: Path) -> None:
    """`ttgate check` finds TG201 and computes the edit (the rules fill it); `ttgate review` posts it."""
    root = tmp_path / "checkout"
    (root / REAL_TF).parent.mkdir(parents=True)
    (root / REAL_TF).write_text(REAL_SOURCE)
    report_file = tmp_path / "report.json"
    checked = CliRunner().invoke(
        main, ["check", str(root), "--root", str(root), "--format", f"json:{report_file}"]
    )
    assert checked.exit_code == 1, checked.output
    [tg201] = [f for f in read_report(report_file).findings if f.rule == "TG201"]
    assert tg201.edit is not None and tg201.edit.replacement == "725"
    patch = "@@ -0,0 +1,15 @@\n" + "".join(f"+{line}\n" for line in REAL_SOURCE.splitlines())
    with serve(FakeGitHub(tokens={TOKEN: BOT})) as github:
        github.change(REAL_TF, patch)
        run = review(tmp_path, github, report_file, root)
        assert run.returncode == 0, run.stderr
        [comment] = github.open_reviews()
    assert (comment["path"], comment["line"]) == (REAL_TF, 3)
    assert suggested(comment) == "  visibility_timeout_seconds = 725 # was 545 before the worker got slower"
