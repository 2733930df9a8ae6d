"""`ttgate comment`: keep one sticky pull-request comment up to date with a ttgate JSON report."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ttgate.commands.options import REPORT
from ttgate.gate.reporters.json_report import read_report
from ttgate.github.comment import MODES, OLD_MODES, Request, keep_comment_up_to_date


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


def _notice(why: str) -> None:
    click.echo(f"ttgate comment: {why}.", err=True)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from ttgate.gate.reporters.github import escape_data

        click.echo(f"::notice title=ttgate comment::{escape_data(why)}.")


@click.command()
@REPORT
@click.option(
    "--key",
    help="Which comment to keep up to date: one per key. Default: GITHUB_WORKFLOW/GITHUB_JOB/PATHS, "
    "PATHS being the checked paths as given to ttgate check.",
)
@click.option(
    "--mode",
    type=click.Choice(MODES + tuple(OLD_MODES)),
    default="update",
    show_default=True,
    help="update: edit the comment in place; recreate: delete it and post a new one at the bottom; "
    "hide: minimize it as outdated and post a new one; off: do nothing. A first comment is posted "
    "only when findings remain (see --always); an earlier one always becomes an all-clear. "
    "on-findings, always and never are the older names of update, update --always and off.",
)
@click.option("--always", is_flag=True, help="Post an all-clear even when there is no earlier comment.")
@click.option("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY).")
@click.option(
    "--pr", "pr_number", type=click.IntRange(1), help="Pull request number (default: from GITHUB_EVENT_PATH)."
)
@click.option("--sha", help="The PR's head commit, for file links (default: from GITHUB_EVENT_PATH).")
@click.option(
    "--details-url",
    help="Where the full report is (default: GITHUB_SERVER_URL/REPO/actions/runs/GITHUB_RUN_ID).",
)
@click.option(
    "--report-url", help="The JSON report kept as an artifact of the run: linked as the full report when set."
)
@click.option(
    "--comment-template",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A jinja2 template for the body, instead of ttgate's (docs/comment-templates.md).",
)
@click.option("--dry-run", is_flag=True, help="Print the body instead of posting it; no token needed.")
def comment(
    report_file: Path,
    key: str | None,
    mode: str,
    always: bool,
    repo: str | None,
    pr_number: int | None,
    sha: str | None,
    details_url: str | None,
    report_url: str | None,
    comment_template: Path | None,
    dry_run: bool,
) -> None:
    """Keep one up-to-date pull-request comment per key from a ttgate JSON report.

    \b
    Examples:
      ttgate check . --format json:ttgate.json; ttgate comment --report ttgate.json
      ttgate comment --report ttgate.json --mode recreate --always --key "gate/prod"
      ttgate comment --report ttgate.json --repo acme/infra --pr 12 --sha 4f2c9e1 --dry-run
      ttgate comment --report ttgate.json --comment-template .github/ttgate-comment.md.j2 --dry-run

    The comment is found by a hidden marker holding the key AND by its author, who must be the
    token's own identity (GraphQL viewer: github-actions[bot] for the workflow token): a comment
    by anyone else is never edited, whatever it says. One comment per key: when two runs at once
    both post, each looks again and keeps the oldest. No write when nothing changed; when every
    finding is fixed the comment becomes a short all-clear. The token comes from GITHUB_TOKEN only;
    GITHUB_API_URL points at GitHub Enterprise. Prints one line (the comment URL and what happened)
    and, under Actions, writes comment-url to GITHUB_OUTPUT.

    Exit status: 0 whenever the report could be read, even when no comment could be written (no
    token, not a pull request, a fork's read-only token, GitHub unreachable: a warning says why). The
    gate's result is ttgate check's exit status alone. 2 for a bad report, option or template (a
    template's syntax or runtime error names its file and line).
    """
    from ttgate.gate.reporters.comment_template import load_template

    template = load_template(comment_template) if comment_template is not None else None
    request = Request(
        read_report(report_file),
        key,
        mode,
        always,
        repo,
        pr_number,
        sha,
        details_url,
        dry_run,
        report_url or None,
        template,
    )
    result = keep_comment_up_to_date(request, os.environ)
    if result.warning:
        _warn(result.warning)
    if result.notice:
        _notice(result.notice)
    click.echo(result.output, nl=False)


COMMANDS = [comment]
