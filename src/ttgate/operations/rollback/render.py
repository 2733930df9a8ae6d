"""The rollback scope as text, for the terminal (`ttgate rollback plan`, `ttgate rollback create`)."""

from __future__ import annotations

from collections.abc import Callable

from ttgate.operations.rollback.scope import RollbackScope


def render_text(scope: RollbackScope, short: Callable[[str], str] = lambda sha: sha[:12]) -> str:
    """The scope for a person: the order, the files per stack, the warnings."""
    lines: list[str] = []
    count = len(scope.stacks)
    lines.append(
        f"Rollback of {scope.path} to {short(scope.target)} (HEAD is {short(scope.head)}): "
        f"{count} stack{'s' if count != 1 else ''} in rollback order"
    )
    arrow = " → ".join(scope.layers)
    if arrow:
        lines.append(f"Apply one stack at a time, each only after the one before completed: {arrow}")
    lines.append("")
    statuses = {file: change.status for change in scope.changes for file in change.paths}
    width = len(str(count))
    for number, stack in enumerate(scope.stacks, start=1):
        moved = f", moved back from {stack.moved_from}" if stack.moved_from else ""
        lines.append(f"{number:>{width}}. {stack.name}  ({stack.directory}{moved})")
        if not stack.files:
            lines.append(f"{'':>{width}}    no file changed (listed by --layers)")
        for file in stack.files:
            lines.append(f"{'':>{width}}    {statuses.get(file, '?')} {file}")
    if scope.stacks:
        lines.append("")
    lines.append(
        "Status since the target: A added (the rollback removes it), M modified, D deleted, R renamed "
        "(the rollback moves it back)."
    )
    for warning in scope.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines) + "\n"
