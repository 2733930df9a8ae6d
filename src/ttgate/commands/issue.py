"""`ttgate issue`: keep one GitHub issue per key up to date with a ttgate JSON report (the audit's)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ttgate.commands.options import REPORT
from ttgate.errors import UserError
from ttgate.gate.reporters.json_report import read_report


@click.command()
@REPORT
@click.option("--key", required=True, help="Which issue to keep up to date: one per key (the environment).")
@click.option("--title", help="The title of a new issue (default: ttgate audit: ... in KEY ...).")
@click.option(
    "--label",
    default="ttgate-audit",
    show_default=True,
    help="The label ttgate's issues carry; only issues with it are looked at.",
)
@click.option("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY).")
@click.option(
    "--details-url", help="The run to link (default: GITHUB_SERVER_URL/REPO/actions/runs/GITHUB_RUN_ID)."
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 2 when GitHub refuses or cannot be reached (a scheduled audit nobody watches should fail).",
)
@click.option("--dry-run", is_flag=True, help="Print the body a new issue would get; no token needed.")
def issue(
    report_file: Path,
    key: str,
    title: str | None,
    label: str,
    repo: str | None,
    details_url: str | None,
    strict: bool,
    dry_run: bool,
) -> None:
    """Keep one GitHub issue per key in step with a ttgate JSON report.

    \b
    Examples:
      ttgate audit --env prod --format json:audit.json; ttgate issue --report audit.json --key prod
      ttgate issue --report audit.json --key prod --repo acme/infra --dry-run

    Opened when the report has findings and no issue of ours is open; edited when the findings change
    (not at all when they are the same); closed with a comment when the report is clean. Findings that
    come back after a clean report open a new issue linking the last one. The issue is found by its
    label, a hidden marker holding the key AND its author, who must be the token's own identity
    (GraphQL viewer): an issue by anyone else is never edited or closed. The token comes from
    GITHUB_TOKEN only. Prints one line (the issue URL and what happened) and, under Actions, writes
    issue-url to GITHUB_OUTPUT.

    Exit status: 0 when the report could be read, even when GitHub refused or failed (a warning says
    why; --strict makes that 2); 2 for a bad report, option or a missing token.
    """
    from ttgate.github import audit_issue
    from ttgate.github.client import CommentError

    request = audit_issue.Request(read_report(report_file), key, title, label, repo, details_url)
    env = dict(os.environ)
    if dry_run:
        click.echo(audit_issue.issue_body(request.report, key.strip(), details_url), nl=False)
        return
    try:
        outcome = audit_issue.keep_issue_up_to_date(request, env)
    except CommentError as error:
        if strict:
            raise UserError(f"no issue written: {error}") from None
        click.echo(f"ttgate: warning: no issue written: {error}. The audit's result is unaffected.", err=True)
        if env.get("GITHUB_ACTIONS") == "true":
            from ttgate.gate.reporters.github import escape_data

            click.echo(f"::warning title=ttgate issue::{escape_data(f'No issue written: {error}.')}")
        _write_output(env, None)
        return
    _write_output(env, outcome.url)
    note = f" ({outcome.reason})" if outcome.reason else ""
    click.echo(f"ttgate issue: {outcome.action} {outcome.url or ''}{note}".replace("  ", " "))


def _write_output(env: dict[str, str], url: str | None) -> None:
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    from ttgate.github.action_io import write_outputs

    try:
        write_outputs(path, [("issue-url", url or "")])
    except OSError as error:
        raise UserError(f"GITHUB_OUTPUT {path}: cannot write: {error.strerror or error}") from None


COMMANDS = [issue]
