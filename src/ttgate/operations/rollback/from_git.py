"""The rollback scope of a real repository: from HEAD back to a commit, under the deploy tree.

Every refusal (unknown or foreign commit, nothing to roll back, a filter that leaves no stack) is a
one-line UserError that names the option to change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ttgate.errors import UserError
from ttgate.operations.rollback.scope import FileChange, RollbackScope, build_scope, parse_layers

if TYPE_CHECKING:
    from ttgate.integrations.git import Git
    from ttgate.policy import Policy


def scope_from_git(
    git: Git,
    policy: Policy,
    *,
    to: str,
    path: str,
    env: str | None = None,
    layers: str = "auto",
    through_merge: bool = False,
) -> RollbackScope:
    """The rollback scope from HEAD back to ``to`` under ``path``; refuses (UserError) what it cannot do."""
    from ttgate.integrations.git import GitTree, normalize_path

    chosen_layers = parse_layers(layers, policy)
    if env is not None and env not in policy.environments:
        raise UserError(f"--env {env}: not an environment of the policy ({', '.join(policy.environments)})")
    deploy = normalize_path(path, git.prefix)
    if not deploy:
        raise UserError(f"--path {path}: names the whole repository; give the deploy directory")
    head = git.head()
    if head is None:
        raise UserError(f"{git.root}: the repository has no commits yet")
    target = git.resolve_commit(to.strip())
    if target is None:
        raise UserError(f"--to {to}: no such commit in {git.root} (fetch it first, or check the SHA)")
    if target == head:
        raise UserError(f"--to {to}: is HEAD itself; there is nothing to roll back")
    if not git.is_ancestor(target, head):
        raise UserError(
            f"--to {to}: commit {git.short(target)} is not an ancestor of HEAD ({git.short(head)}); "
            "a rollback goes back along the current branch's own history"
        )
    if not git.first_parent_chain_contains(target, head) and not through_merge:
        merge = git.merge_bringing(target, head)
        came = (
            f"came in through merge {git.short(merge)}'s other parent" if merge else "is on a merged branch"
        )
        first = git.resolve_parent(merge) if merge else None
        instead = f" (e.g. {git.short(first)}, that merge's first parent)" if first else ""
        raise UserError(
            f"--to {to}: commit {git.short(target)} is not on HEAD's first-parent history, it {came}: its "
            f"tree never was this branch's; roll back to a commit of this branch{instead}, or pass "
            "--through-merge if that tree is really the one you want"
        )
    if git.object_id(target, deploy) is None:
        raise UserError(
            f"--path {deploy}: does not exist at {git.short(target)}; rolling back would delete it all "
            "(choose a later commit, or check --path)"
        )
    changes = [FileChange(c.status, c.path, c.old_path) for c in git.diff_name_status(target, head, deploy)]
    if not changes:
        raise UserError(
            f"--to {to}: {git.short(target)}..HEAD changes nothing under {deploy}; nothing to roll back"
        )
    scope = build_scope(
        policy=policy,
        target=target,
        head=head,
        path=deploy,
        changes=changes,
        trees=[GitTree(git, target), GitTree(git, head)],
        env=env,
        layers=chosen_layers,
    )
    if not scope.stacks and scope.excluded:
        chosen = " ".join(part for part in (f"--env {env}" if env else "", f"--layers {layers}") if part)
        raise UserError(
            f"{git.short(target)}..HEAD changes no stack of {chosen} under {deploy} "
            f"(it changes {', '.join(stack.name for stack in scope.excluded)})"
        )
    return scope
