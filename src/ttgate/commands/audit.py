"""`ttgate audit`: the runbook's rules on what is deployed in one account and region, and the drift from
the code."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ttgate.commands.options import AWS

if TYPE_CHECKING:
    from ttgate.gate.model import Model

FAIL_ON = ("error", "warning", "notice", "never")


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--env", required=True, help="The environment the account and region hold (dev, stage, prod...)."
)
@AWS
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="F[:FILE]",
    help="text (default), json, sarif, markdown or github; add :FILE to write it to a file. Repeatable.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="error",
    show_default=True,
    help="Exit 1 when a finding at or above this severity remains.",
)
@click.option(
    "--max-calls",
    type=int,
    default=None,
    help="At most this many AWS calls (default 5,000); what is left unread is a finding.",
)
@click.option("--no-drift", is_flag=True, help="Do not compare with the code in PATH.")
def audit(
    path: Path | None,
    env: str,
    region: str | None,
    profile: str | None,
    policy_file: Path | None,
    formats: tuple[str, ...],
    fail_on: str,
    max_calls: int | None,
    no_drift: bool,
) -> None:
    """Check what is deployed against the runbook, and compare it with the code.

    \b
    Examples:
      ttgate audit --env prod                      # this account and region, the code in .
      ttgate audit --env dev --region ap-southeast-1 --format json:audit.json practice/deploy
      ttgate audit --env prod --no-drift --format sarif:audit.sarif

    Reads SQS queues, Lambda functions and their event source mappings, CloudWatch metric alarms and
    log groups (List, Get and Describe calls only; nothing is written), runs TG201-TG204, TG301 and
    TG302 on them, and with the code in PATH (default: the current directory) reports TG601 drift: a
    value the rules read that differs from the code, a resource only in code or only in AWS. A read
    the role may not make is a TG000 finding naming the permission; the rest is still checked.

    Exit status: 0 no finding at or above --fail-on, 1 findings, 2 a usage, credential or input error.
    """
    from ttgate.commands.options import connect
    from ttgate.gate.deployed.audit import audit_report
    from ttgate.gate.run import fails, parse_formats, write_reports
    from ttgate.integrations.aws_inventory import DEFAULT_MAX_CALLS, read_inventory

    outputs = parse_formats(formats)
    code_dir = path or Path(".")
    if path is not None and not path.is_dir():
        from ttgate.errors import UserError

        raise UserError(f"{path}: no such directory")
    policy, aws = connect(region, profile, policy_file)
    inventory = read_inventory(aws, DEFAULT_MAX_CALLS if max_calls is None else max_calls)
    code = None if no_drift else _load_code(code_dir, policy_file)
    report = audit_report(inventory, env, policy, code_dir, code)
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    write_reports(report, outputs, echo=lambda text: click.echo(text, nl=False), color=color)
    if fails(report, fail_on):
        sys.exit(1)


def _load_code(directory: Path, policy_file: Path | None) -> Model:
    from ttgate.gate.hcl.loader import load_hcl
    from ttgate.gate.hcl.parse import Parser, default_cache_dir
    from ttgate.gate.plan import collector_paused
    from ttgate.gate.rules import RULES
    from ttgate.policy import load_policy

    policy = load_policy(RULES, explicit=policy_file, search_dir=directory.resolve())
    with collector_paused():
        return load_hcl([directory], directory.resolve(), policy, Parser(default_cache_dir(), None), [])


COMMANDS = [audit]
