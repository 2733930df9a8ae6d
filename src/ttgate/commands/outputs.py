"""`ttgate github-outputs`: a JSON report's counts as GitHub step outputs (used by action.yml)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ttgate.errors import UserError
from ttgate.gate.reporters.json_report import load_report

COUNTS = ("errors", "warnings", "notices", "suppressed")


def output_lines(report: Path) -> list[str]:
    """``name=value`` lines for each count in the report's summary."""
    summary = load_report(report)["summary"]
    try:
        return [f"{name}={int(summary[name])}" for name in COUNTS]
    except (ValueError, KeyError, TypeError) as error:
        raise UserError(f"--report {report}: not a ttgate JSON report (summary: {error})") from None


@click.command("github-outputs")
@click.option(
    "--report",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The JSON report of `ttgate check --format json:FILE`.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to append to (default: $GITHUB_OUTPUT).",
)
def github_outputs(report: Path, output: Path | None) -> None:
    """Write a report's counts (errors, warnings, notices, suppressed) as step outputs.

    \b
    Example:
      ttgate github-outputs --report "$RUNNER_TEMP/ttgate.json"
    """
    lines = output_lines(report)
    if output is None:
        target = os.environ.get("GITHUB_OUTPUT")
        if not target:
            raise UserError("GITHUB_OUTPUT is not set: give --output FILE outside GitHub Actions")
        output = Path(target)
    with output.open("a", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))


COMMANDS = [github_outputs]
