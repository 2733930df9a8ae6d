"""What ``ttgate check --changed-from REV`` compares: read from git (through ttgate.integrations.git),
never written. The stacks it selects are ttgate.gate.selection's."""

from __future__ import annotations

from pathlib import Path

from ttgate.errors import UserError
from ttgate.gate.selection import Changed
from ttgate.integrations.git import Git


def changed_since(revision: str, targets: list[Path]) -> Changed:
    """The paths changed from REV's merge base with HEAD to the working tree of the targets' repository."""
    first = targets[0] if targets else Path(".")
    try:
        git = Git(first if first.is_dir() else first.parent)
        base = git.diff_base(revision)
        paths = tuple(git.root / path for change in git.changes_since(base) for path in change.paths)
    except UserError as error:
        raise UserError(f"--changed-from {revision}: {error}") from None
    return Changed(revision, base, paths)
