"""`ttgate github-outputs`: a JSON report's counts as GitHub step outputs (used by action.yml)."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

import click

from ttgate.errors import UserError
from ttgate.gate.reporters.json_report import load_report

COUNTS = ("errors", "warnings", "notices", "suppressed")


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def write_outputs(path: Path, values: Iterable[tuple[str, str]]) -> None:
    """Append ``values`` as heredocs with fresh random delimiters, the format of every output the
    action writes (its own steps use ttgate.github.action_io, which runs before ttgate is installed)."""
    parts = []
    for name, value in values:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if not _NAME.match(name) or delimiter in value:
            raise UserError(f"step output {name!r}: not a plain name, or a value holding its delimiter")
        parts.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(parts))


def output_values(report: Path) -> list[tuple[str, str]]:
    """``(name, value)`` for each count in the report's summary."""
    summary = load_report(report)["summary"]
    try:
        return [(name, str(int(summary[name]))) for name in COUNTS]
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
    values = output_values(report)
    if output is None:
        target = os.environ.get("GITHUB_OUTPUT")
        if not target:
            raise UserError("GITHUB_OUTPUT is not set: give --output FILE outside GitHub Actions")
        output = Path(target)
    try:
        write_outputs(output, values)  # heredocs with random delimiters, like every output ttgate writes
    except OSError as error:
        raise UserError(f"{output}: cannot write: {error.strerror or error}") from None


COMMANDS = [github_outputs]
