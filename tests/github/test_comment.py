"""`ttgate comment`: one sticky PR comment per key, driven through PyGithub against `responses`.

Every test that talks to "GitHub" asserts the exact requests made (method, URL, JSON body) and the body
sent. PyGithub spells the default HTTPS port in the URLs it requests, hence ``:443`` below.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from click.testing import CliRunner, Result
from responses.registries import OrderedRegistry

from tests.expectations import counts, examples_failing, stacks_with_errors
from tests.reports import NASTY, finding, report
from ttgate.cli import main
from ttgate.gate.reporters import Report
from ttgate.gate.reporters.json_report import render as json_report
from ttgate.gate.reporters.json_report import report_from_document
from ttgate.gate.reporters.markdown import COMMENT_LIMIT, Links, comment_body, marker
from ttgate.gate.reporters.markup import href
from ttgate.github.action_io import parse_outputs
from ttgate.github.comment import render_comment
from ttgate.integrations import github as github_integration
from ttgate.policy import Severity

REPO = Path(__file__).resolve().parents[2]
TOKEN = "ghs_secret-token-never-printed"
SHA = "0123456789abcdef0123456789abcdef01234567"
KEY = "pr-gate/check/examples/failing"  # the default: workflow/job/checked paths
API = "https://api.github.com:443"
COMMENTS = f"{API}/repos/acme/infra/issues/7/comments?per_page=100"
GRAPHQL = f"{API}/graphql"
BOT = "github-actions[bot]"  # the GraphQL viewer of a workflow token
LINKS = Links(
    server_url="https://github.com",
    repo="acme/infra",
    sha=SHA,
    details_url="https://github.com/acme/infra/actions/runs/42",
)


# --- fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def failing_report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JSON report of the broken example, made by ttgate check itself (see examples_expected.yml)."""
    path = tmp_path_factory.mktemp("report") / "failing.json"
    subprocess.run(
        [sys.executable, "-m", "ttgate", "check", "examples/failing", "--no-cache", f"--format=json:{path}"],
        cwd=REPO,
        check=False,  # exit 1: the example has findings
        capture_output=True,
    )
    assert path.is_file(), "ttgate check did not write the report"
    return path


@pytest.fixture
def failing(failing_report_file: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(failing_report_file.read_text())
    return report


def fixed_version_of(report: dict[str, Any]) -> dict[str, Any]:
    """The same checked tree after every finding was fixed."""
    fixed = copy.deepcopy(report)
    fixed["findings"] = []
    fixed["summary"].update(errors=0, warnings=0, notices=0, suppressed=0)
    return fixed


def build_body(
    report: dict[str, Any] | Report, key: str, links: Links = LINKS, previous: bool = False
) -> str:
    """The body ttgate comment sends for a report (as read from its JSON, or built by hand)."""
    if isinstance(report, dict):
        report = report_from_document(report)
    return render_comment(report, key, links, previous=previous)


@pytest.fixture
def actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of a pull_request workflow run, as GitHub Actions sets it; returns GITHUB_OUTPUT."""
    event = {
        "number": 7,
        "pull_request": {"number": 7, "head": {"sha": SHA, "repo": {"full_name": "acme/infra"}}},
        "repository": {"full_name": "acme/infra"},
    }
    (tmp_path / "event.json").write_text(json.dumps(event))
    output = tmp_path / "github_output"
    output.touch()
    for name, value in {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "acme/infra",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_WORKFLOW": "pr-gate",
        "GITHUB_JOB": "check",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "42",
        "GITHUB_OUTPUT": str(output),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    # No real waiting: no backoff, no pacing between requests.
    monkeypatch.setattr(
        github_integration,
        "DEFAULT_POLICY",
        github_integration.RetryPolicy(
            backoff_factor=0, seconds_between_requests=None, seconds_between_writes=None
        ),
    )
    return output


@pytest.fixture
def api() -> Any:
    """A stand-in GitHub that answers only the requests registered, in the order registered."""
    with responses.RequestsMock(registry=OrderedRegistry, assert_all_requests_are_fired=True) as mock:
        mock.post(GRAPHQL, json={"data": {"viewer": {"login": BOT}}})  # whose token: always asked first
        yield mock
        if not mock.calls:
            mock.reset()  # a test that expects no request at all, not even the GraphQL one


def run(tmp_path: Path, report: dict[str, Any] | Report, *args: str) -> Result:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report) if isinstance(report, dict) else json_report(report))
    result = CliRunner().invoke(main, ["comment", "--report", str(path), *args])
    assert TOKEN not in result.output + result.stderr
    return result


def requests_made(mock: Any, graphql: str = GRAPHQL) -> list[tuple[str, str, Any]]:
    """The REST requests, after the GraphQL question of whose token this is (asked once, first)."""
    calls = [
        (call.request.method, call.request.url, json.loads(call.request.body) if call.request.body else None)
        for call in mock.calls
    ]
    return calls[1:] if calls and calls[0][1] == graphql else calls


def comment_json(comment_id: int, body: str, author: str = "github-actions[bot]") -> dict[str, Any]:
    return {
        "id": comment_id,
        "body": body,
        "user": {"login": author, "id": 41898282, "type": "Bot"},
        "url": f"https://api.github.com/repos/acme/infra/issues/comments/{comment_id}",
        "html_url": f"https://github.com/acme/infra/pull/7#issuecomment-{comment_id}",
    }


def outputs(path: Path) -> dict[str, str]:
    return parse_outputs(path.read_text(encoding="utf-8"))


def web_url(comment_id: int) -> str:
    return f"https://github.com/acme/infra/pull/7#issuecomment-{comment_id}"


def edit_url(comment_id: int) -> str:
    return f"{API}/repos/acme/infra/issues/comments/{comment_id}"


SOMEONE_ELSE = comment_json(1, "LGTM, but see the queue timeout", author="alice")


# --- the comment's life ---------------------------------------------------------------------------


def test_first_comment_is_created_with_the_marker(
    tmp_path: Path, actions: Path, api: Any, failing: dict
) -> None:
    body = build_body(failing, KEY)
    api.get(COMMENTS, json=[SOMEONE_ELSE])
    api.post(COMMENTS.split("?")[0], json=comment_json(101, body), status=201)
    api.get(COMMENTS, json=[SOMEONE_ELSE, comment_json(101, body)])  # looked at again: still one

    result = run(tmp_path, failing)

    assert result.exit_code == 0, result.output
    assert requests_made(api) == [
        ("GET", COMMENTS, None),
        ("POST", f"{API}/repos/acme/infra/issues/7/comments", {"body": body}),
        ("GET", COMMENTS, None),
    ]
    assert api.calls[0].request.headers["Authorization"] == f"token {TOKEN}"
    headline = f"### ❌ ttgate: {counts(examples_failing())}\n"
    assert body.startswith(f"<!-- ttgate:comment key={KEY} -->\n{headline}")
    assert result.stdout == f"ttgate comment: created {web_url(101)}\n"
    assert outputs(actions) == {"comment-url": f"{web_url(101)}"}


def test_existing_comment_is_updated_in_place(tmp_path: Path, actions: Path, api: Any, failing: dict) -> None:
    old = build_body(report(finding()), KEY)
    new = build_body(failing, KEY, previous=True)
    api.get(COMMENTS, json=[SOMEONE_ELSE, comment_json(55, old)])
    api.patch(edit_url(55), json=comment_json(55, new))

    result = run(tmp_path, failing)

    assert requests_made(api) == [("GET", COMMENTS, None), ("PATCH", edit_url(55), {"body": new})]
    assert result.stdout == f"ttgate comment: updated {web_url(55)}\n"
    assert outputs(actions) == {"comment-url": f"{web_url(55)}"}


def test_unchanged_body_is_not_written_again(tmp_path: Path, actions: Path, api: Any, failing: dict) -> None:
    api.get(COMMENTS, json=[comment_json(55, build_body(failing, KEY, previous=True))])

    result = run(tmp_path, failing)

    assert requests_made(api) == [("GET", COMMENTS, None)]
    assert result.stdout == f"ttgate comment: unchanged {web_url(55)} (same body, nothing written)\n"


def test_fixed_findings_turn_the_comment_into_an_all_clear(
    tmp_path: Path, actions: Path, api: Any, failing: dict
) -> None:
    fixed = fixed_version_of(failing)
    all_clear = build_body(fixed, KEY, previous=True)
    api.get(COMMENTS, json=[comment_json(55, build_body(failing, KEY))])
    api.patch(edit_url(55), json=comment_json(55, all_clear))

    result = run(tmp_path, fixed)  # --mode on-findings (the default) still updates the earlier comment

    assert requests_made(api) == [("GET", COMMENTS, None), ("PATCH", edit_url(55), {"body": all_clear})]
    assert result.stdout == f"ttgate comment: updated {web_url(55)}\n"
    assert all_clear.splitlines()[:4] == [
        f"<!-- ttgate:comment key={KEY} -->",
        "### ✅ ttgate: all clear",
        "",
        "Every finding reported earlier in this comment is fixed. Checked 6 stacks (10_core, 20_infra, "
        f"30_app in dev, prod), 56 files at [0123456](https://github.com/acme/infra/commit/{SHA}).",
    ]
    assert "<details" not in all_clear and len(all_clear) < 700  # the digest line included


def test_no_findings_and_no_earlier_comment_posts_nothing(
    tmp_path: Path, actions: Path, api: Any, failing: dict
) -> None:
    api.get(COMMENTS, json=[SOMEONE_ELSE])

    result = run(tmp_path, fixed_version_of(failing))

    assert requests_made(api) == [("GET", COMMENTS, None)]
    assert result.stdout == (
        "ttgate comment: skipped: no active findings and no earlier comment to turn into an all-clear\n"
    )
    assert outputs(actions) == {"comment-url": ""}


def test_mode_always_posts_an_all_clear(tmp_path: Path, actions: Path, api: Any, failing: dict) -> None:
    body = build_body(fixed_version_of(failing), KEY)
    api.get(COMMENTS, json=[])
    api.post(COMMENTS.split("?")[0], json=comment_json(9, body), status=201)
    api.get(COMMENTS, json=[comment_json(9, body)])

    result = run(tmp_path, fixed_version_of(failing), "--mode", "always")

    assert requests_made(api)[1] == ("POST", f"{API}/repos/acme/infra/issues/7/comments", {"body": body})
    assert "No findings. Checked 6 stacks" in body
    assert result.stdout == f"ttgate comment: created {web_url(9)}\n"


def test_a_standing_all_clear_is_left_alone(tmp_path: Path, actions: Path, api: Any, failing: dict) -> None:
    fixed = fixed_version_of(failing)
    api.get(COMMENTS, json=[comment_json(9, build_body(fixed, KEY).replace("\n", "\r\n"))])

    result = run(tmp_path, fixed, "--mode", "always")

    assert requests_made(api) == [("GET", COMMENTS, None)]
    assert result.stdout == f"ttgate comment: unchanged {web_url(9)} (same body, nothing written)\n"


def test_mode_never_makes_no_request(tmp_path: Path, actions: Path, api: Any, failing: dict) -> None:
    result = run(tmp_path, failing, "--mode", "never")

    assert requests_made(api) == []
    assert result.exit_code == 0
    assert result.stdout == "ttgate comment: skipped (--mode off)\n"


def test_every_page_of_comments_is_searched(tmp_path: Path, actions: Path, api: Any, failing: dict) -> None:
    page_two = f"{API}/repositories/99/issues/7/comments?page=2&per_page=100"
    api.get(
        COMMENTS,
        json=[comment_json(n, f"comment {n}") for n in range(1, 101)],
        headers={
            "Link": "<https://api.github.com/repositories/99/issues/7/comments?per_page=100&page=2>; "
            'rel="next", <https://api.github.com/repositories/99/issues/7/comments?per_page=100&page=2>; '
            'rel="last"'
        },
    )
    api.get(page_two, json=[comment_json(170, build_body(report(finding()), KEY))])
    body = build_body(failing, KEY, previous=True)
    api.patch(edit_url(170), json=comment_json(170, body))

    result = run(tmp_path, failing)

    assert requests_made(api) == [
        ("GET", COMMENTS, None),
        ("GET", page_two, None),
        ("PATCH", edit_url(170), {"body": body}),
    ]
    assert result.stdout == f"ttgate comment: updated {web_url(170)}\n"


def test_two_keys_side_by_side_each_update_their_own(
    tmp_path: Path, actions: Path, api: Any, failing: dict
) -> None:
    dev, prod = "gate/dev", "gate/dev --> prod"  # a key that would end an unescaped HTML comment
    old = report(finding())
    api.get(
        COMMENTS,
        json=[comment_json(10, build_body(old, dev)), comment_json(20, build_body(old, prod))],
    )
    new_prod = build_body(failing, prod, previous=True)
    api.patch(edit_url(20), json=comment_json(20, new_prod))

    result = run(tmp_path, failing, "--key", prod)

    assert requests_made(api) == [("GET", COMMENTS, None), ("PATCH", edit_url(20), {"body": new_prod})]
    assert result.stdout == f"ttgate comment: updated {web_url(20)}\n"
    assert marker(prod) == "<!-- ttgate:comment key=gate/dev%20-%2D%3E%20prod -->"
    assert not marker(prod).startswith(marker(dev)[:-4] + " ")


# --- faults: retried, or a warning and exit 0 -----------------------------------------------------


def test_create_that_got_a_502_is_looked_for_before_posting_again(
    tmp_path: Path, actions: Path, api: Any, failing: dict
) -> None:
    body = build_body(failing, KEY)
    api.get(COMMENTS, json=[])
    api.post(COMMENTS.split("?")[0], json={"message": "Server Error"}, status=502)
    api.get(COMMENTS, json=[comment_json(101, body)])  # the 502'd POST had created it after all

    result = run(tmp_path, failing)

    assert requests_made(api) == [
        ("GET", COMMENTS, None),
        ("POST", f"{API}/repos/acme/infra/issues/7/comments", {"body": body}),
        ("GET", COMMENTS, None),
    ]
    assert result.stdout == f"ttgate comment: created {web_url(101)} (the retried create had gone through)\n"


def test_create_that_got_a_502_and_did_not_land_is_posted_again(
    tmp_path: Path, actions: Path, api: Any, failing: dict
) -> None:
    body = build_body(failing, KEY)
    api.get(COMMENTS, status=502, json={"message": "Server Error"})  # retried by GithubRetry
    api.get(COMMENTS, json=[])
    api.post(COMMENTS.split("?")[0], json={"message": "Server Error"}, status=502)
    api.get(COMMENTS, json=[])
    api.post(COMMENTS.split("?")[0], json=comment_json(101, body), status=201)
    api.get(COMMENTS, json=[comment_json(101, body)])

    result = run(tmp_path, failing)

    post = ("POST", f"{API}/repos/acme/infra/issues/7/comments", {"body": body})
    get = ("GET", COMMENTS, None)
    assert requests_made(api) == [get, get, post, get, post, get]
    assert result.stdout == f"ttgate comment: created {web_url(101)}\n"


SECONDARY_LIMIT = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
}


def test_secondary_rate_limit_is_waited_out(tmp_path: Path, actions: Path, api: Any, failing: dict) -> None:
    body = build_body(failing, KEY)
    api.get(COMMENTS, status=403, json=SECONDARY_LIMIT, headers={"retry-after": "0"})  # GithubRetry
    api.get(COMMENTS, json=[])
    api.post(COMMENTS.split("?")[0], status=403, json=SECONDARY_LIMIT, headers={"retry-after": "0"})
    api.get(COMMENTS, json=[])
    api.post(COMMENTS.split("?")[0], json=comment_json(101, body), status=201)
    api.get(COMMENTS, json=[comment_json(101, body)])

    result = run(tmp_path, failing)

    post = ("POST", f"{API}/repos/acme/infra/issues/7/comments", {"body": body})
    get = ("GET", COMMENTS, None)
    assert requests_made(api) == [get, get, post, get, post, get]
    assert result.exit_code == 0
    assert result.stdout == f"ttgate comment: created {web_url(101)}\n"


def test_fork_pull_request_token_that_cannot_comment(
    tmp_path: Path, actions: Path, api: Any, failing: dict
) -> None:
    event = json.loads((tmp_path / "event.json").read_text())
    event["pull_request"]["head"]["repo"]["full_name"] = "someone/infra-fork"
    (tmp_path / "event.json").write_text(json.dumps(event))
    body = build_body(failing, KEY)
    api.get(COMMENTS, json=[])
    api.post(COMMENTS.split("?")[0], status=403, json={"message": "Resource not accessible by integration"})

    result = run(tmp_path, failing)

    assert requests_made(api) == [
        ("GET", COMMENTS, None),
        ("POST", f"{API}/repos/acme/infra/issues/7/comments", {"body": body}),  # not retried
    ]
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == (
        "ttgate: warning: no PR comment written: GitHub refused to create a comment on acme/infra#7: "
        "403 Resource not accessible by integration (the pull request comes from the fork "
        "someone/infra-fork, whose workflow token is read-only). The gate's result comes from ttgate "
        "check alone and is unaffected (exit 0).\n"
    )
    assert outputs(actions) == {"comment-url": ""}


def test_unreachable_api_is_a_warning(tmp_path: Path, actions: Path, api: Any, failing: dict) -> None:
    api.get(COMMENTS, body=requests.ConnectionError("connection refused"))

    result = run(tmp_path, failing)

    assert requests_made(api) == [("GET", COMMENTS, None)]
    assert result.exit_code == 0
    assert "GitHub could not list the comments on acme/infra#7: ConnectionError" in result.stderr


def test_missing_token_is_a_warning(
    tmp_path: Path, actions: Path, api: Any, failing: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")

    result = run(tmp_path, failing)

    assert requests_made(api) == []
    assert result.exit_code == 0
    assert result.stderr.startswith("ttgate: warning: no PR comment written: GITHUB_TOKEN is not set")
    assert outputs(actions) == {"comment-url": ""}


def test_run_outside_a_pull_request_is_a_notice_and_nothing_else(
    tmp_path: Path, actions: Path, api: Any, failing: dict
) -> None:
    (tmp_path / "event.json").write_text(json.dumps({"ref": "refs/heads/main", "after": SHA}))  # a push

    result = run(tmp_path, failing)

    assert requests_made(api) == []
    assert result.exit_code == 0
    assert (
        result.stderr
        == "ttgate comment: this run is not for a pull request, so there is no comment to write.\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not JSON"),
        ('{"version": 1, "findings": []}', "not a ttgate report"),
    ],
)
def test_a_bad_report_is_a_user_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)

    result = CliRunner().invoke(main, ["comment", "--report", str(path)])

    assert result.exit_code == 2
    assert result.stderr.startswith(f"ttgate: error: --report {path}: {message}")
    assert result.stderr.count("\n") == 1


# --- the body -------------------------------------------------------------------------------------


def test_github_enterprise_api_and_links(
    tmp_path: Path, actions: Path, api: Any, failing: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://ghe.example.com")
    links = Links(
        "https://ghe.example.com", "acme/infra", SHA, "https://ghe.example.com/acme/infra/actions/runs/42"
    )
    body = build_body(failing, KEY, links)
    api.reset()  # GraphQL lives at /api/graphql on GitHub Enterprise Server, beside /api/v3
    api.post("https://ghe.example.com:443/api/graphql", json={"data": {"viewer": {"login": BOT}}})
    ghe = "https://ghe.example.com:443/api/v3/repos/acme/infra/issues/7/comments"
    api.get(f"{ghe}?per_page=100", json=[])
    created = {**comment_json(3, body), "html_url": "https://ghe.example.com/acme/infra/pull/7#c3"}
    api.post(ghe, json=created)
    api.get(f"{ghe}?per_page=100", json=[created])

    result = run(tmp_path, failing)

    get = ("GET", f"{ghe}?per_page=100", None)
    assert requests_made(api, "https://ghe.example.com:443/api/graphql") == [
        get,
        ("POST", ghe, {"body": body}),
        get,
    ]
    assert result.stdout == "ttgate comment: created https://ghe.example.com/acme/infra/pull/7#c3\n"
    assert f"(https://ghe.example.com/acme/infra/blob/{SHA}/examples/failing/practice/deploy/" in body
    assert "https://github.com/acme" not in body


def test_dry_run_prints_the_body_and_sends_nothing(
    tmp_path: Path, actions: Path, api: Any, failing: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")

    result = run(tmp_path, failing, "--dry-run")

    assert requests_made(api) == []
    assert result.exit_code == 0
    assert result.stdout == build_body(failing, KEY)
    assert actions.read_text() == ""


def test_options_override_the_event(tmp_path: Path, actions: Path, api: Any, failing: dict) -> None:
    result = run(
        tmp_path,
        failing,
        "--dry-run",
        "--repo",
        "other/repo",
        "--sha",
        "feedbeef",
        "--key",
        "mine",
        "--details-url",
        "https://ci.example.com/build/1",
    )

    assert result.stdout.startswith("<!-- ttgate:comment key=mine -->\n")
    assert "(https://github.com/other/repo/blob/feedbeef/examples/failing/" in result.stdout
    assert "[the workflow run](https://ci.example.com/build/1)" in result.stdout


def test_findings_are_grouped_by_stack_in_apply_order(failing: dict) -> None:
    body = build_body(failing, KEY)

    summaries = [line for line in body.splitlines() if line.startswith("<summary>")]
    # practice/deploy/<layer>/environments/<env>, each env in layer order: dev's layers, then prod's
    stacks = {tuple(entry["stack"].split("/")[2::2]) for entry in examples_failing()}
    in_apply_order = [f"{layer}/{env}" for layer, env in sorted(stacks, key=lambda stack: stack[::-1])]
    assert [s.split("<b>")[1].split("</b>")[0] for s in summaries] == in_apply_order
    assert "- **dev**: 10_core ✅ → 20_infra ❌ → 30_app ❌" in body
    open_stacks = len(stacks_with_errors(examples_failing()))
    assert body.count("<details open>") == open_stacks and body.count("</details>") == len(stacks)
    assert (
        "- ❌ **error** [TG301 log-retention]"
        "(https://github.com/ttgate/ttgate/blob/main/docs/rules/TG301.md) in [examples/failing/practice/deploy/components/lambda_worker/main.tf:43](https://github.com/acme/"
        f"infra/blob/{SHA}/examples/failing/practice/deploy/components/lambda_worker/main.tf#L43) · "
        "<code>module.api_server.aws_cloudwatch_log_group.this</code>"
    ) in body
    assert "  **Fix:** Use an accepted value, such as 7;" in body


def test_suppressed_findings_are_listed_apart_with_their_reasons() -> None:
    body = build_body(report(finding(), finding(suppressed=True, reason="migrating in JIRA-12", line=9)), "k")

    suppressed = body.split("<summary>🔕 1 suppressed finding</summary>")[1]
    assert "in [practice/deploy/20_infra/environments/dev/main.tf:9]" in suppressed
    assert suppressed.split("\n\n")[1].endswith(": migrating in JIRA-12")
    assert "1 error" in body.splitlines()[1]  # the headline counts active findings only


NASTY_FILE = "modules/<img src=x onerror=alert(1)> | `rm -rf` *bold* [x](javascript:alert(1)) <!-- q.tf"


def test_markup_in_file_names_and_messages_is_printed_not_interpreted() -> None:
    message = f"</details></summary>\n\n# heading\n- item @acme/oncall ~~gone~~ <!-- hidden --> {NASTY}"
    nasty = finding(file=NASTY_FILE, message=message, fix="- 1. `x`", address="a|b")

    body = build_body(report(nasty), "k")

    assert body.count("<details") == body.count("</details>") == 1
    assert body.count("<summary>") == body.count("</summary>") == 1
    assert body.count("<!--") == 2  # only the marker and the digest, first and last
    assert body.startswith("<!-- ttgate:comment key=k -->\n")
    assert re.search(r"\n<!-- ttgate:digest sha256=[0-9a-f]{64} -->\n$", body)
    for raw in ("<script", "<img", "](javascript", "`rm", "*bold*", "~~gone", "$x$", "@acme", "\n# heading"):
        assert raw not in body, raw
    assert f"]({href(LINKS.file(NASTY_FILE, 3) or '')})" in body


def test_oversized_report_drops_the_least_severe_first(tmp_path: Path, actions: Path, api: Any) -> None:
    long = "x" * 600
    big = report(
        *[finding(message=f"error {n} {long}", line=n) for n in range(40)],
        *[finding("TG302", Severity.WARNING, message=f"warning {n} {long}", line=n) for n in range(60)],
        *[finding("TG001", Severity.NOTICE, message=f"notice {n} {long}", line=n) for n in range(60)],
    )
    api.get(COMMENTS, json=[])
    stored = marker("big") + "\nstored"
    api.post(COMMENTS.split("?")[0], json=comment_json(5, stored), status=201)
    api.get(COMMENTS, json=[comment_json(5, stored)])

    result = run(tmp_path, big, "--key", "big")

    body = requests_made(api)[1][2]["body"]
    assert result.stdout == f"ttgate comment: created {web_url(5)}\n"
    assert COMMENT_LIMIT - 2_000 < len(body) <= COMMENT_LIMIT
    assert all(f"error {n} x" in body for n in range(40))
    kept = [n for n in range(60) if f"warning {n} x" in body]
    assert kept == list(range(len(kept))) and 0 < len(kept) < 60  # the first warnings stay
    assert "notice 0 x" not in body
    left_out = 60 + 60 - len(kept)
    assert (
        f"> **{left_out} findings not shown** ({60 - len(kept)} warnings, 60 notices): the comment would "
        "exceed GitHub's 65,536-character limit. The full report is in the job summary of "
        "[the workflow run](https://github.com/acme/infra/actions/runs/42)."
    ) in body
    assert f"- … {left_out} more findings in this stack not shown (size limit)" in body
    assert body.count("<details") == body.count("</details>") == 1
    text, digest = body.rstrip().rsplit("\n", 1)
    assert text.endswith("</sub>") and digest.startswith("<!-- ttgate:digest sha256=")


def test_a_comment_that_cannot_fit_keeps_its_marker() -> None:
    body = comment_body(report(finding(), notes=["n" * 1500]), "k", LINKS, limit=1000)

    assert body == (
        "<!-- ttgate:comment key=k -->\n### ❌ ttgate: 1 error\n\n"
        "The findings do not fit in the comment: see "
        "the job summary of [the workflow run](https://github.com/acme/infra/actions/runs/42), which lists "
        "them all.\n"
    )


def test_under_actions_the_warning_is_also_an_annotation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps({"version": 1, "tool": {"name": "ttgate"}, "summary": {}, "findings": [], "stacks": []})
    )
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = CliRunner().invoke(
        main, ["comment", "--report", str(report), "--repo", "acme/infra", "--pr", "7"]
    )
    assert result.exit_code == 0
    assert "::warning title=ttgate comment::No PR comment written: " in result.stdout
