"""`ttgate comment`: keep one sticky pull-request comment up to date with a ttgate JSON report."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from ttgate.errors import UserError
from ttgate.gate.reporters.json_report import load_report
from ttgate.github.pulls import DEFAULT_API_URL, REPOSITORY_NAME

MODES = ("on-findings", "always", "never")


def _event(env: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    """The workflow's event (GITHUB_EVENT_PATH) and, when it cannot be read, why."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}, None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return {}, f"cannot read the event file {path} ({type(error).__name__})"
    return (event if isinstance(event, dict) else {}), None


def _pull_request(event: dict[str, Any]) -> dict[str, Any]:
    pull = event.get("pull_request")
    return pull if isinstance(pull, dict) else {}


def _full_name(repository: Any) -> str | None:
    return (
        str(repository["full_name"]) if isinstance(repository, dict) and repository.get("full_name") else None
    )


def _warn(why: str) -> None:
    click.echo(
        f"ttgate: warning: no PR comment written: {why}. The gate's result comes from ttgate check alone "
        "and is unaffected (exit 0).",
        err=True,
    )
    if os.environ.get("GITHUB_ACTIONS") == "true":
        # Shown as a warning annotation in the run's summary, where a reviewer will see it.
        from ttgate.gate.reporters.github import escape_data

        click.echo(f"::warning title=ttgate comment::{escape_data(f'No PR comment written: {why}.')}")


def _write_output(env: dict[str, str], url: str | None) -> None:
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as output:
            output.write(f"comment-url={url or ''}\n")
    except OSError as error:
        raise UserError(f"GITHUB_OUTPUT {path}: cannot write: {error.strerror or error}") from None


@click.command()
@click.option(
    "--report",
    "report_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The JSON report of ttgate check (--format json:FILE).",
)
@click.option(
    "--key",
    help="Which comment to keep up to date: one per key. Default: GITHUB_WORKFLOW/GITHUB_JOB/PATHS, "
    "PATHS being the checked paths as given to ttgate check.",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="on-findings",
    show_default=True,
    help="on-findings: post only when findings remain, but always update an earlier comment "
    "(into an all-clear when everything is fixed); always: post either way; never: do nothing.",
)
@click.option(
    "--template",
    "template_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A jinja2 template for the body, instead of the packaged ttgate/templates/comment.md.j2.",
)
@click.option("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY).")
@click.option(
    "--pr", "pr_number", type=click.IntRange(1), help="Pull request number (default: from GITHUB_EVENT_PATH)."
)
@click.option("--sha", help="The PR's head commit, for file links (default: from GITHUB_EVENT_PATH).")
@click.option(
    "--details-url",
    help="Where the full report is (default: GITHUB_SERVER_URL/REPO/actions/runs/GITHUB_RUN_ID).",
)
@click.option("--dry-run", is_flag=True, help="Print the body instead of posting it; no token needed.")
def comment(
    report_file: Path,
    key: str | None,
    mode: str,
    template_file: Path | None,
    repo: str | None,
    pr_number: int | None,
    sha: str | None,
    details_url: str | None,
    dry_run: bool,
) -> None:
    """Keep one up-to-date pull-request comment per key from a ttgate JSON report.

    \b
    Examples:
      ttgate check . --format json:ttgate.json; ttgate comment --report ttgate.json
      ttgate comment --report ttgate.json --mode always --key "gate/prod"
      ttgate comment --report ttgate.json --repo acme/infra --pr 12 --sha 4f2c9e1 --dry-run

    The comment is found by a hidden marker holding the key and edited in place: never a second
    comment for a key, no write when nothing changed, never deleted; when every finding is fixed it
    becomes a short all-clear. The token comes from GITHUB_TOKEN only; GITHUB_API_URL points at GitHub
    Enterprise. Prints one line (the comment URL and what happened) and, under Actions, writes
    comment-url to GITHUB_OUTPUT.

    Exit status: 0 whenever the report could be read, even when no comment could be written (no
    token, not a pull request, a fork's read-only token, GitHub unreachable: a warning says why). The
    gate's result is ttgate check's exit status alone. 2 for a bad report, template or option.
    """
    from ttgate.github import client as github
    from ttgate.github import comment as body

    env = dict(os.environ)
    report = load_report(report_file)
    template = body.read_template(template_file) if template_file else None
    template_name = str(template_file) if template_file else "comment.md.j2"
    if repo is not None and not REPOSITORY_NAME.match(repo):
        raise UserError(f"--repo {repo}: expected OWNER/NAME")
    event, event_problem = _event(env)
    pull = _pull_request(event)
    repo = repo or env.get("GITHUB_REPOSITORY") or None
    if repo is not None and not REPOSITORY_NAME.match(repo):
        raise UserError(f"GITHUB_REPOSITORY {repo}: expected OWNER/NAME")
    number = pr_number or (pull.get("number") if isinstance(pull.get("number"), int) else None)
    head: dict[str, Any] = pull["head"] if isinstance(pull.get("head"), dict) else {}
    sha = sha or (str(head["sha"]) if head.get("sha") else None)
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"
    if details_url is None and repo and env.get("GITHUB_RUN_ID"):
        details_url = f"{server.rstrip('/')}/{repo}/actions/runs/{env['GITHUB_RUN_ID']}"
    key = (
        key
        if key is not None
        else body.default_key(report, env.get("GITHUB_WORKFLOW"), env.get("GITHUB_JOB"))
    )
    if not key.strip():
        raise UserError("--key: must not be empty")
    links = body.Links(server_url=server, repo=repo, sha=sha, details_url=details_url)

    def render(previous: bool) -> str:
        return body.build_body(
            report, key, links, template=template, template_name=template_name, previous=previous
        )

    first = render(False)  # a template error is exit 2 before anything is sent
    if dry_run:
        click.echo(first, nl=False)
        return
    if mode == "never":
        click.echo("ttgate comment: skipped (--mode never)")
        _write_output(env, None)
        return

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
        _warn(why or "missing input")
        _write_output(env, None)
        return

    api_url = (env.get("GITHUB_API_URL") or "").strip() or DEFAULT_API_URL
    try:
        store = github.PyGithubCommentStore(token, repo, number, api_url)
        outcome = github.sync_comment(
            store,
            lambda text: body.is_own_comment(text, key),
            render,
            create=mode == "always" or bool(body.active_findings(report)),
        )
    except github.CommentError as error:
        reason = str(error)
        base = _full_name(event.get("repository"))
        fork = _full_name(head.get("repo"))
        if isinstance(error, github.CommentDenied) and fork and base and fork != base:
            reason += f" (the pull request comes from the fork {fork}, whose workflow token is read-only)"
        _warn(reason)
        _write_output(env, None)
        return
    if outcome.action == "skipped":
        click.echo(f"ttgate comment: skipped: {outcome.reason}")
    else:
        note = f" ({outcome.reason})" if outcome.reason else ""
        click.echo(f"ttgate comment: {outcome.action} {outcome.url}{note}")
    _write_output(env, outcome.url)


COMMANDS = [comment]
