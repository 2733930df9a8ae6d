"""`ttgate check`: the gate itself."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ttgate.commands.common import load_policy, policy_option
from ttgate.errors import UserError

if TYPE_CHECKING:
    pass

FAIL_ON = ("error", "warning", "notice", "never")


def _root_for(paths: list[Path]) -> Path:
    """File paths in reports are relative to this: the working directory when it holds every path."""
    cwd = Path.cwd().resolve()
    resolved = [path.resolve() for path in paths]
    if all(path == cwd or cwd in path.parents for path in resolved):
        return cwd
    common = Path(os.path.commonpath([str(p if p.is_dir() else p.parent) for p in resolved]))
    return common


def _parse_formats(values: tuple[str, ...]) -> list[tuple[str, str | None]]:
    from ttgate.gate.reporters import FORMATS

    formats: list[tuple[str, str | None]] = []
    for value in values or ("text",):
        name, _, target = value.partition(":")
        if name not in FORMATS:
            raise UserError(f"--format {value}: unknown format {name!r} (choose from {', '.join(FORMATS)})")
        formats.append((name, target or None))
    if sum(1 for _, target in formats if target is None) > 1:
        raise UserError(
            "--format: only one format can go to the terminal; give the others a file (json:FILE)"
        )
    return formats


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
@policy_option()
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
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra tfvars file applied to every root stack (like terraform -var-file). Repeatable.",
)
@click.option("--no-cache", is_flag=True, help="Parse every file again instead of using the cache.")
@click.option("--jobs", type=click.IntRange(1), default=None, help="Parser processes (default: every core).")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def check(
    paths: tuple[Path, ...],
    plans: tuple[str, ...],
    root: Path | None,
    policy_file: Path | None,
    formats: tuple[str, ...],
    fail_on: str,
    var_files: tuple[Path, ...],
    no_cache: bool,
    jobs: int | None,
    debug: bool,
) -> None:
    """Check Terraform stacks against the runbook's rules.

    \b
    Examples:
      ttgate check practice/deploy
      ttgate check examples/failing --format json:report.json
      ttgate check . --fail-on warning --var-file ci.tfvars
      ttgate check practice/deploy --plan 20_infra/dev=infra.json --plan 30_app/dev=app.json

    Exit status: 0 no finding at or above --fail-on, 1 findings, 2 a usage or input error.
    """
    from ttgate.gate.engine import run_rules
    from ttgate.gate.findings import Severity
    from ttgate.gate.hcl.loader import load_hcl
    from ttgate.gate.hcl.parse import Parser, default_cache_dir
    from ttgate.gate.model import Model
    from ttgate.gate.plan import PlanSpec, add_plans
    from ttgate.gate.reporters import FORMATS, Report

    plan_specs = [PlanSpec.parse(text) for text in plans]
    for spec in plan_specs:
        if not spec.path.is_file():
            what = "is a directory; pass the plan's JSON file" if spec.path.is_dir() else "no such file"
            raise UserError(f"--plan {spec.path}: {what}")
    targets = list(paths) or ([] if plan_specs else [Path(".")])
    for target in targets:
        if not target.exists():
            raise UserError(f"{target}: no such file or directory")
    for var_file in var_files:
        if not var_file.is_file():
            raise UserError(f"--var-file {var_file}: no such file")
    outputs = _parse_formats(formats)
    first = (targets[0] if targets[0].is_dir() else targets[0].parent) if targets else Path(".")
    policy = load_policy(policy_file, first.resolve())
    if root is None:
        root = _root_for(targets or [Path(".")])
    parser = Parser(None if no_cache else default_cache_dir(), jobs)
    model = (
        load_hcl(targets, root, policy, parser, list(var_files)) if targets else Model(root=root.resolve())
    )
    add_plans(model, plan_specs, policy)
    findings = run_rules(model, policy)
    report = Report(
        findings,
        stacks=len(model.stacks),
        files=parser.hits + parser.misses + len(plan_specs),
        notes=list(model.notes),
    )
    report.paths = [target.as_posix() for target in targets] + [spec.path.as_posix() for spec in plan_specs]
    order = {layer.name: layer.order for layer in policy.layers}
    report.stack_list = [
        {"name": s.name, "layer": s.layer, "env": s.env, "source": s.kind, "plan_file": s.plan_file}
        for s in sorted(
            model.stacks, key=lambda s: (s.env or "", order.get(s.layer or "", len(order)), s.name)
        )
    ]
    if not model.stacks:
        report.notes.append(
            "no Terraform configuration found (no .tf file outside hidden directories); check the path"
        )
    for name, destination in outputs:
        color = destination is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        text = FORMATS[name](report, color)
        if destination is None:
            click.echo(text, nl=False)
        else:
            try:
                Path(destination).write_text(text, encoding="utf-8")
            except OSError as error:
                raise UserError(
                    f"--format {name}:{destination}: cannot write: {error.strerror or error}"
                ) from None
    if fail_on != "never":
        threshold = Severity.parse(fail_on)
        if any(finding.severity >= threshold for finding in report.active):
            sys.exit(1)


COMMANDS = [check]
