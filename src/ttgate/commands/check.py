"""`ttgate check`: the gate itself."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ttgate.commands.options import PARSING, POLICY, VAR_FILES

FAIL_ON = ("error", "warning", "notice", "never")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--plan",
    "plans",
    multiple=True,
    metavar="[LABEL=]FILE",
    help="A `terraform show -json` plan; LABEL names its stack (20_infra or 20_infra/dev). Repeatable.",
)
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    help="Report file paths relative to this directory (default: the current directory).",
)
@POLICY
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="F[:FILE]",
    help="text (default), json, sarif, markdown or github (annotations); add :FILE to write it "
    "to a file. Repeatable.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="error",
    show_default=True,
    help="Exit 1 when a finding at or above this severity remains.",
)
@VAR_FILES
@click.option(
    "--comment-template",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A jinja2 template for --format markdown (docs/comment-templates.md).",
)
@click.option(
    "--new-from",
    metavar="REV",
    help="Check the tree at this git revision too; findings also there are existing: reported apart, "
    "never failing the run.",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A file from `ttgate baseline`: the findings it lists are existing, never failing the run.",
)
@click.option(
    "--changed-from",
    metavar="REV",
    help="Check only the stacks the change since REV can affect (a pull request's base: "
    "its merge base with HEAD, plus uncommitted changes).",
)
@PARSING
def check(
    paths: tuple[Path, ...],
    plans: tuple[str, ...],
    root: Path | None,
    policy_file: Path | None,
    formats: tuple[str, ...],
    fail_on: str,
    var_files: tuple[Path, ...],
    new_from: str | None,
    baseline_file: Path | None,
    changed_from: str | None,
    comment_template: Path | None,
    no_cache: bool,
    jobs: int | None,
) -> None:
    """Check Terraform stacks against the runbook's rules.

    \b
    Examples:
      ttgate check practice/deploy
      ttgate check examples/failing --format json:report.json
      ttgate check . --fail-on warning --var-file ci.tfvars
      ttgate check practice/deploy --plan 20_infra/dev=infra.json --plan 30_app/dev=app.json
      ttgate check . --new-from origin/main       fail only on findings main does not have
      ttgate check . --baseline .ttgate-baseline.json
      ttgate check . --changed-from origin/main

    Exit status: 0 no new finding at or above --fail-on, 1 findings, 2 a usage or input error.
    """
    from ttgate.gate.baseline import apply as apply_baseline
    from ttgate.gate.baseline import read as read_baseline
    from ttgate.gate.changes import changed_since
    from ttgate.gate.reporters.comment_template import load_template
    from ttgate.gate.revision import compare_with_revision
    from ttgate.gate.run import (
        check_destinations,
        check_inputs,
        check_jobs,
        fails,
        parse_formats,
        run_gate,
        write_reports,
    )
    from ttgate.policy.boundary import recording

    template = load_template(comment_template) if comment_template is not None else None

    jobs = check_jobs(jobs)
    inputs = check_inputs(paths, plans, var_files)
    outputs = parse_formats(formats)
    check_destinations(outputs, inputs, policy_file)
    baseline = read_baseline(baseline_file) if baseline_file is not None else None
    changed = changed_since(changed_from, inputs.targets) if changed_from is not None else None
    with recording() as read:
        report = run_gate(
            inputs, root=root, policy_file=policy_file, cache=not no_cache, jobs=jobs, changed=changed
        )
    refuse_read_destinations(outputs, read)
    if baseline is not None:
        apply_baseline(report, baseline)
    if new_from is not None:
        compare_with_revision(
            report, new_from, inputs, root=root, policy_file=policy_file, cache=not no_cache, jobs=jobs
        )
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    write_reports(
        report, outputs, echo=lambda text: click.echo(text, nl=False), color=color, template=template
    )
    if fails(report, fail_on):
        sys.exit(1)


def refuse_read_destinations(outputs: list[tuple[str, str | None]], read: set[str]) -> None:
    """No report is written over a file the run read: the policy an ``extends`` reached, a module
    outside the checked paths, a var file. (Checked after the run, which is what finds them.)"""
    from ttgate.errors import UserError

    for name, destination in outputs:
        if destination is not None and os.path.realpath(destination) in read:
            raise UserError(
                f"--format {name}:{destination}: is one of the files this check read; "
                "write the report elsewhere"
            )


COMMANDS = [check]
