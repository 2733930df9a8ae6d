"""`ttgate stacks`: how ttgate reads the repository, before any rule runs."""

from __future__ import annotations

from pathlib import Path

import click

from ttgate.commands.options import POLICY


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@POLICY
@click.option(
    "--format",
    "format_name",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help='text, or json (versioned: {"version": 1, "stacks": [...]}).',
)
@click.option("--no-cache", is_flag=True, help="Parse every file again instead of using the cache.")
def stacks(paths: tuple[Path, ...], policy_file: Path | None, format_name: str, no_cache: bool) -> None:
    """List the stacks: root, layer, environment, var files, workspace, and their edges.

    Each stack is one Terraform state: a root directory in one environment, with the var files and
    workspace its layout gives it (see docs/layouts.md). Edges are the states it reads
    (terraform_remote_state, and the stack that writes each) and the modules it calls.

    \b
    Examples:
      ttgate stacks
      ttgate stacks infra --format json
    """
    from ttgate.gate.stacks import load_stacks, render, stacks_document

    model, policy = load_stacks(list(paths), policy_file=policy_file, cache=not no_cache, jobs=None)
    click.echo(render(stacks_document(model, policy), format_name), nl=False)


COMMANDS = [stacks]
