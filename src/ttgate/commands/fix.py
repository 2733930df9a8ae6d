"""`ttgate fix`: set the literals the findings name to the values the rules ask for."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ttgate.commands.options import POLICY


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@POLICY
@click.option(
    "--rule", "rules", multiple=True, metavar="ID", help="Fix only this rule's findings. Repeatable."
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print the changes as a unified diff; change nothing."
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra tfvars file applied to every root stack, as for `ttgate check`. Repeatable.",
)
def fix(
    paths: tuple[Path, ...],
    policy_file: Path | None,
    rules: tuple[str, ...],
    show_diff: bool,
    var_files: tuple[Path, ...],
) -> None:
    """Apply the findings' one-literal fixes (visibility_timeout_seconds = 725, retention_in_days = 14).

    Only each literal changes: comments, spacing, ordering and line endings stay. The tree is checked
    again after the edits; a file whose finding remains, or that no longer parses, is put back.

    \b
    Examples:
      ttgate fix practice/deploy --diff       print what would change, change nothing
      ttgate fix practice/deploy --rule TG201

    Exit status: 0 every finding fixed, 1 findings remain, 2 a usage or input error.
    """
    from ttgate.errors import UserError
    from ttgate.gate.findings import Finding
    from ttgate.gate.fix import apply, plan_fixes, repositories_of, wanted
    from ttgate.gate.reporters.sanitize import no_command_lines, visible
    from ttgate.gate.rules import RULES
    from ttgate.gate.run import check_inputs, root_for, run_gate

    unknown = sorted({rule.upper() for rule in rules} - set(RULES))
    if unknown:
        raise UserError(f"--rule {unknown[0]}: no such rule (`ttgate rules` lists them)")
    inputs = check_inputs(paths, [], var_files)
    root = root_for(inputs.targets)

    def check() -> list[Finding]:
        report = run_gate(inputs, root=root, policy_file=policy_file, cache=True, jobs=None)
        return [finding for finding in report.findings if not finding.suppressed]

    plan = plan_fixes(wanted(check(), rules), root, repositories_of(inputs.targets))
    if show_diff:
        for target in plan.files:
            lines = target.diff().splitlines()
            click.echo(no_command_lines("".join(visible(line) + "\n" for line in lines)), nl=False)
        fixed = [finding for change in plan.changes for finding in change.findings]
    else:
        fixed = apply(plan, check)
    # With --diff the diff owns stdout; the summary goes to stderr so the diff can be piped to `git apply`.
    out = sys.stderr if show_diff else sys.stdout
    verb = "would fix" if show_diff else "fixed"
    for change in plan.changes:
        edit = change.edit
        for finding in change.findings:
            if any(finding is done for done in fixed):
                click.echo(
                    visible(
                        f"{verb}  {finding.rule} {edit.file}:{edit.line}:{edit.column}  "
                        f"{change.before} -> {edit.replacement}  ({finding.address or finding.name})"
                    ),
                    file=out,
                )
    for left in plan.left:
        finding = left.finding
        where = str(finding.location) if finding.location else finding.address or ""
        click.echo(visible(f"left       {finding.rule} {where}  {left.reason}"), file=out)
    click.echo(f"{len(fixed)} {'to fix' if show_diff else 'fixed'}, {len(plan.left)} left.", file=out)
    if plan.left:
        sys.exit(1)


COMMANDS = [fix]
