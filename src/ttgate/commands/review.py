"""`ttgate review`: one-click fixes on the pull request's diff, from a ttgate JSON report."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ttgate.commands.options import REPORT
from ttgate.gate.reporters.json_report import read_report
from ttgate.github.review_comments import DEFAULT_LIMIT


def _annotate(kind: str, text: str) -> None:
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from ttgate.gate.reporters.github import escape_data

        click.echo(f"::{kind} title=ttgate review::{escape_data(text)}")


@click.command()
@REPORT
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=".",
    show_default=True,
    help="The checked-out pull request the report's file paths are relative to.",
)
@click.option(
    "--max-suggestions",
    "limit",
    type=click.IntRange(0),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="At most this many suggestions, most severe first; the rest stay in the PR comment.",
)
@click.option("--key", help="Whose suggestions these are: as ttgate comment's --key (same default).")
@click.option("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY).")
@click.option(
    "--pr", "pr_number", type=click.IntRange(1), help="Pull request number (default: from GITHUB_EVENT_PATH)."
)
@click.option("--sha", help="The head commit to comment on (default: from GITHUB_EVENT_PATH).")
def review(
    report_file: Path,
    root: Path,
    limit: int,
    key: str | None,
    repo: str | None,
    pr_number: int | None,
    sha: str | None,
) -> None:
    """Post review suggestions on the lines the pull request changed, from a ttgate JSON report.

    \b
    Examples:
      ttgate check . --format json:ttgate.json; ttgate review --report ttgate.json
      ttgate review --report ttgate.json --max-suggestions 5 --repo acme/infra --pr 12

    Each finding whose fix is one literal (a number, a boolean, a short quoted word) on a line the pull
    request added or changed gets a review comment on that line with a suggestion block: the whole line,
    its indentation and comment kept, the literal replaced. Findings on other lines stay in the PR
    comment (ttgate comment). A line naming a secret-like attribute is never quoted.

    The comments are found by a hidden marker (the key and the finding's fingerprint) AND their author,
    the token's own identity (GraphQL viewer): a later run edits its own comments and resolves the review
    threads of findings that are gone; a comment by anyone else is never touched.

    Exit status: 0 when the report could be read, even when GitHub refused the comments (a fork's
    read-only token) or could not be reached: a warning says why; the gate's result is ttgate check's
    exit status alone. 2 for a bad report or option, or no GITHUB_TOKEN.
    """
    from ttgate.github.review_comments import Request, post_suggestions

    request = Request(read_report(report_file), root, key, limit, repo, pr_number, sha)
    result = post_suggestions(request, os.environ)
    from ttgate.gate.reporters.sanitize import visible

    for why in result.refused:
        click.echo(f"ttgate review: no suggestion for {visible(why)}", err=True)
    if result.warning:
        click.echo(f"ttgate: warning: {visible(result.warning)}. The gate's result is unaffected.", err=True)
        _annotate("warning", f"{result.warning}.")
    if result.notice:
        click.echo(f"ttgate review: {visible(result.notice)}.", err=True)
    click.echo(result.output, nl=False)


COMMANDS = [review]
