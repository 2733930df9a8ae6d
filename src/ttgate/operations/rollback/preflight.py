"""The lock preflight of `ttgate rollback create --check-locks`: no rollback while a stack is locked."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ttgate.errors import UserError

if TYPE_CHECKING:
    from ttgate.operations.rollback.scope import RollbackScope
    from ttgate.policy import Policy

# The held locks of the scope's stacks, one line each (empty: go ahead).
Preflight = Callable[["RollbackScope", "Policy"], list[str]]


def held_locks(scope: RollbackScope, policy: Policy) -> list[str]:
    """The locks held on the scope's stacks, an environment at a time (AWS, the policy's region)."""
    try:
        # Imported here: the AWS side is needed only with --check-locks, and a ttgate without it
        # should say so in one line rather than fail on import.
        from ttgate.operations.aws_session import open_session
        from ttgate.operations.state.locks import find_held_locks
    except ModuleNotFoundError as error:
        raise UserError(
            f"--check-locks needs {error.name}, which this ttgate does not have; check the locks by hand "
            "(runbook: State Lock Conflicts) and run without --check-locks"
        ) from None
    aws = open_session(policy)
    held: list[str] = []
    for env in dict.fromkeys(stack.env for stack in scope.stacks):
        stacks = [(stack.layer, stack.env) for stack in scope.stacks if stack.env == env]
        held.extend(lock.describe() for lock in find_held_locks(stacks, policy, env, aws))
    return held
