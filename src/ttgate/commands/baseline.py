"""`ttgate baseline`: record a repository's findings, so the gate fails only on new ones from now on."""

from __future__ import annotations

from pathlib import Path

import click

from ttgate.commands.options import PARSING, POLICY, VAR_FILES


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The baseline file to write (commit it; pass it to ttgate check --baseline).",
)
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    help="File paths relative to this directory (default: the current directory), as ttgate check.",
)
@POLICY
@VAR_FILES
@PARSING
def baseline(
    paths: tuple[Path, ...],
    output: Path,
    root: Path | None,
    policy_file: Path | None,
    var_files: tuple[Path, ...],
    no_cache: bool,
    jobs: int | None,
) -> None:
    """Write the findings of PATHS (default .) to a baseline file.

    Run it once where the gate is adopted and commit the file; `ttgate check --baseline FILE` then
    reports what it lists as existing (never failing the run) and says when entries no longer match:
    run this again to shrink the file. Suppressed findings are left out. Run both from the same
    directory (the repository's top level): file paths in the baseline are relative to it.

    \b
    Examples:
      ttgate baseline . --output .ttgate-baseline.json
      ttgate check . --baseline .ttgate-baseline.json
    """
    from ttgate.errors import UserError
    from ttgate.gate.baseline import entries, render
    from ttgate.gate.findings import plural
    from ttgate.gate.reporters.sanitize import visible
    from ttgate.gate.run import check_destinations, check_inputs, check_jobs, run_gate, write_report_file

    jobs = check_jobs(jobs)
    inputs = check_inputs(paths, (), var_files)
    try:
        check_destinations([("baseline", str(output))], inputs, policy_file)
    except UserError as error:  # said as the option this command has
        raise UserError(str(error).replace(f"--format baseline:{output}", f"--output {output}", 1)) from None
    report = run_gate(inputs, root=root, policy_file=policy_file, cache=not no_cache, jobs=jobs)
    text = render(report.findings)
    try:
        write_report_file(output, text)
    except OSError as error:
        raise UserError(f"--output {output}: cannot write: {error.strerror or error}") from None
    listed = entries(report.findings)
    word = "entry" if len(listed) == 1 else "entries"
    click.echo(visible(f"wrote {len(listed)} {word} ({plural(len(report.active), 'finding')}) to {output}"))


COMMANDS = [baseline]
