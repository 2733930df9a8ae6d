"""The sticky pull-request comment: where it goes, which comment is ttgate's, and keeping it up to date.

The body is the Markdown reporter's (:func:`ttgate.gate.reporters.markdown.comment_body`), the same
template as the job summary (ttgate's, or the repository's ``--comment-template``). This module works
out the pull request from the options, then the workflow's environment and event, and drives
:func:`ttgate.github.sticky_comment.sync_comment`. Not being able to comment (no token, not a pull
request, a fork's read-only token, GitHub unreachable) is a warning, never an error: the gate's result
is ttgate check's alone.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ttgate.errors import UserError
from ttgate.gate.reporters import Report
from ttgate.gate.reporters.markdown import COMMENT_LIMIT, Links, comment_body, marker
from ttgate.github.pulls import REPOSITORY_NAME
from ttgate.integrations.github import DEFAULT_API_URL

if TYPE_CHECKING:
    from ttgate.gate.reporters.comment_template import CommentTemplate

MODES = ("update", "recreate", "hide", "off")
# The modes' names before 0.2: (mode, post an all-clear even without an earlier comment).
OLD_MODES = {"on-findings": ("update", False), "always": ("update", True), "never": ("off", False)}
RETIRED_MARKER = "<!-- ttgate: outdated report -->"


def mode_and_always(mode: str) -> tuple[str, bool]:
    """``(mode, always)`` for any accepted spelling; a one-line UserError for anything else."""
    if mode in MODES:
        return mode, False
    if mode in OLD_MODES:
        return OLD_MODES[mode]
    raise UserError(f"comment mode {mode!r}: expected one of {', '.join(MODES)}")


def is_own_comment(body: str, key: str) -> bool:
    """The body carries the key's marker. Not enough alone: the author must be the token's identity."""
    return body.split("\n", 1)[0].strip() == marker(key)


def render_comment(
    report: Report,
    key: str,
    links: Links,
    *,
    previous: bool = False,
    template: CommentTemplate | None = None,
) -> str:
    """The comment's body, ending with a hidden digest of what it reports: the same body without the
    links that change on every run (the run, the artifact) or push (the head commit). Two runs with the
    same findings have the same digest, and the comment is left alone."""
    stable = replace(links, sha=None, details_url=None, report_url=None)
    shown = comment_body(report, key, stable, previous=previous, template=template)
    line = f"\n<!-- ttgate:digest sha256={hashlib.sha256(shown.encode('utf-8')).hexdigest()} -->\n"
    limit = COMMENT_LIMIT - len(line)
    body = comment_body(report, key, links, previous=previous, limit=limit, template=template)
    return body.rstrip("\n") + "\n" + line.lstrip("\n")


def retired(body: str) -> str:
    """An outdated comment's body: the marker replaced, so no later run takes it for the live one."""
    return RETIRED_MARKER + "\n" + body.split("\n", 1)[-1]


def checked_paths(report: Report) -> str:
    """The paths a report covers: its ``paths`` when it has them, else the stacks' common directory."""
    if report.paths:
        return ",".join(report.paths)
    names = [str(row["name"]) for row in report.stack_list if row.get("name")]
    return (posixpath.commonpath(names) or ".") if names else "."


def default_key(report: Report, workflow: str | None, job: str | None) -> str:
    """``WORKFLOW/JOB/PATHS``: one comment per workflow, job and checked paths (so matrix jobs over
    different paths keep separate comments). Outside Actions: ``local/-/PATHS``."""
    return f"{workflow or 'local'}/{job or '-'}/{checked_paths(report)}"


@dataclass(frozen=True)
class Request:
    """What ``ttgate comment`` was asked for; None means: from the environment."""

    report: Report
    key: str | None = None
    mode: str = "update"
    always: bool = False  # post an all-clear even when there is no earlier comment to turn into one
    repo: str | None = None
    pr_number: int | None = None
    sha: str | None = None
    details_url: str | None = None
    dry_run: bool = False
    report_url: str | None = None  # the JSON report uploaded as an artifact, linked as the full report
    template: CommentTemplate | None = None  # a repository's own (--comment-template); None: ttgate's


@dataclass(frozen=True)
class Result:
    output: str  # for standard output: the body (--dry-run) or one line saying what happened
    warning: str | None = None  # why no comment was written
    notice: str | None = None  # why none was expected (not a pull request)


def _event(env: Mapping[str, str]) -> tuple[dict[str, Any], str | None]:
    """The workflow's event (GITHUB_EVENT_PATH) and, when it cannot be read, why."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}, None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return {}, f"cannot read the event file {path} ({type(error).__name__})"
    return (event if isinstance(event, dict) else {}), None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _full_name(repository: Any) -> str | None:
    name = _object(repository).get("full_name")
    return str(name) if name else None


def _write_output(env: Mapping[str, str], url: str | None) -> None:
    """``comment-url`` for the next steps, under Actions."""
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    from ttgate.github.action_io import write_outputs

    try:
        write_outputs(path, [("comment-url", url or "")])
    except OSError as error:
        raise UserError(f"GITHUB_OUTPUT {path}: cannot write: {error.strerror or error}") from None


def _repository(request: Request, env: Mapping[str, str]) -> str | None:
    if request.repo is not None and not REPOSITORY_NAME.match(request.repo):
        raise UserError(f"--repo {request.repo}: expected OWNER/NAME")
    repo = request.repo or env.get("GITHUB_REPOSITORY") or None
    if repo is not None and not REPOSITORY_NAME.match(repo):
        raise UserError(f"GITHUB_REPOSITORY {repo}: expected OWNER/NAME")
    return repo


def keep_comment_up_to_date(request: Request, env: Mapping[str, str]) -> Result:
    """Create, update or leave the pull request's comment for the key, as ``request.mode`` says."""
    from ttgate.github import client, sticky_comment

    repo = _repository(request, env)
    event, event_problem = _event(env)
    pull = _object(event.get("pull_request"))
    head = _object(pull.get("head"))
    number = request.pr_number or (pull.get("number") if isinstance(pull.get("number"), int) else None)
    sha = request.sha or (str(head["sha"]) if head.get("sha") else None)
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"
    details_url = request.details_url
    if details_url is None and repo and env.get("GITHUB_RUN_ID"):
        details_url = f"{server.rstrip('/')}/{repo}/actions/runs/{env['GITHUB_RUN_ID']}"
    key = request.key
    if key is None:
        key = default_key(request.report, env.get("GITHUB_WORKFLOW"), env.get("GITHUB_JOB"))
    if not key.strip():
        raise UserError("--key: must not be empty")
    links = Links(
        server_url=server, repo=repo, sha=sha, details_url=details_url, report_url=request.report_url
    )

    def render(previous: bool) -> str:
        return render_comment(request.report, key, links, previous=previous, template=request.template)

    if request.dry_run:
        return Result(render(False))
    if request.template is not None:
        render(False)  # a template's error (exit 2) stops the run before any request
    mode, always = mode_and_always(request.mode)
    always = always or request.always
    if mode == "off":
        _write_output(env, None)
        return Result("ttgate comment: skipped (--mode off)\n")
    if number is None and not event_problem and request.pr_number is None:
        _write_output(env, None)
        return Result("", notice="this run is not for a pull request, so there is no comment to write")

    token = env.get("GITHUB_TOKEN")
    why = None
    if not token:
        why = "GITHUB_TOKEN is not set (pass the workflow token, with pull-requests: write)"
    elif not repo:
        why = "no repository (GITHUB_REPOSITORY is not set and --repo is not given)"
    elif number is None:
        why = "this run is not for a pull request (no pull_request in the event and no --pr)"
        if event_problem:
            why += f"; {event_problem}"
    if why or not token or not repo or number is None:  # (the second half is for the type checker)
        _write_output(env, None)
        return Result("", warning=why or "missing input")

    api_url = (env.get("GITHUB_API_URL") or "").strip() or DEFAULT_API_URL
    try:
        store = client.PyGithubCommentStore(token, repo, number, api_url)
        gate = sticky_comment.Gate(lambda text: is_own_comment(text, key), render, retired)
        outcome = sticky_comment.sync_comment(
            store,
            gate,
            create=always or bool(request.report.new),  # existing findings alone start no comment
            mode=cast(sticky_comment.Mode, mode),
        )
    except client.CommentError as error:
        reason = str(error)
        base, fork = _full_name(event.get("repository")), _full_name(head.get("repo"))
        if isinstance(error, client.CommentDenied) and fork and base and fork != base:
            reason += f" (the pull request comes from the fork {fork}, whose workflow token is read-only)"
        _write_output(env, None)
        return Result("", warning=reason)
    _write_output(env, outcome.url)
    if outcome.action == "skipped":
        return Result(f"ttgate comment: skipped: {outcome.reason}\n")
    note = f" ({outcome.reason})" if outcome.reason else ""
    return Result(f"ttgate comment: {outcome.action} {outcome.url}{note}\n")
