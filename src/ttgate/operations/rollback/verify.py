"""The rollback commit, checked before any branch points at it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ttgate.errors import UserError
from ttgate.operations.rollback.tree import is_under

if TYPE_CHECKING:
    from ttgate.integrations.git import Git
    from ttgate.operations.rollback.scope import RollbackScope


def verify_commit(git: Git, scope: RollbackScope, commit: str) -> None:
    """The new commit's restored paths are the target's, object for object; nothing else differs
    from HEAD."""
    for path in scope.restore_paths:
        if git.object_id(commit, path) != git.object_id(scope.target, path):
            raise UserError(f"internal check failed: the rollback commit's {path} differs from the target's")
    outside = [
        name
        for name in git.diff_names(scope.head, commit)
        if not any(is_under(name, path) for path in scope.restore_paths)
    ]
    if outside:
        raise UserError(
            f"internal check failed: the rollback commit changes {outside[0]}, outside the rollback"
        )
