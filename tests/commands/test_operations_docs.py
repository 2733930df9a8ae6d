"""Every command that acts on AWS, GitHub or git has its section in a guide (docs/operations.md, ...).

The commands are found, not listed: every leaf of the click tree whose module (in ttgate.commands) imports
an operation, the GitHub integration or another integration. A section is a Markdown heading that names
the command in backticks (```ttgate dlq peek```); one heading may name several.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import click

from ttgate.cli import main

ROOT = Path(__file__).resolve().parents[2]
GUIDES = [
    ROOT / "docs" / name
    for name in ("operations.md", "rollback.md", "audit.md", "audit-workflow.md", "github-action.md")
]
ACTING = ("ttgate.operations", "ttgate.github", "ttgate.integrations")
HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.MULTILINE)


def leaves(command: click.Command, name: str) -> Iterator[tuple[str, click.Command]]:
    if isinstance(command, click.Group):
        for sub_name, sub in sorted(command.commands.items()):
            yield from leaves(sub, f"{name} {sub_name}")
    else:
        yield name, command


def acts_outside(module: str) -> bool:
    """Whether the module (anywhere in it, functions included) imports what reaches AWS, GitHub or git."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    imported = [
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    return any(name == part or name.startswith(part + ".") for name in imported for part in ACTING)


def operation_commands() -> list[str]:
    found = []
    for name, command in leaves(main, "ttgate"):
        module = getattr(command.callback, "__module__", "")
        if module.startswith("ttgate.commands.") and acts_outside(module):
            found.append(name)
    return found


def documented() -> set[str]:
    headings = [heading for guide in GUIDES for heading in HEADING.findall(guide.read_text(encoding="utf-8"))]
    return {name for heading in headings for name in re.findall(r"`(ttgate [^`]+)`", heading)}


def test_every_operation_command_has_a_section() -> None:
    missing = [name for name in operation_commands() if name not in documented()]
    assert not missing, (
        f"no section in a guide ({[path.name for path in GUIDES]}) for {missing}: add a heading that "
        "names the command in backticks (CONTRIBUTING.md, Adding an operation)"
    )


def test_the_walk_finds_the_operations_and_only_them() -> None:
    found = operation_commands()
    assert {"ttgate dlq redrive", "ttgate state restore", "ttgate rollback create", "ttgate logs"} <= set(
        found
    )
    assert "ttgate check" not in found and "ttgate rules" not in found
