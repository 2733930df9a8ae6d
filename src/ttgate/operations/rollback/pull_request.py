"""The rollback pull request's body: reason, stacks in rollback order, apply order, warnings, diff."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ttgate.operations.rollback.scope import RollbackScope
    from ttgate.policy import Policy


def apply_order(policy: Policy) -> str:
    """The layers, highest first: the order a rollback is applied in."""
    return " → ".join(layer.name for layer in sorted(policy.layers, key=lambda layer: -layer.order))


def describe_restore(scope: RollbackScope) -> str:
    """What the rollback commit restores: the whole deploy tree, or the chosen stacks' files."""
    if scope.restore_paths == (scope.path,):
        return f"`{scope.path}` (files added since are removed)"
    return f"{len(scope.restore_paths)} file(s) of the stacks below (files added since are removed)"


def pull_body(scope: RollbackScope, policy: Policy, *, reason: str, short: str, stat: str) -> str:
    lines = [
        f"## Rollback of `{scope.path}` to `{short}`",
        "",
        f"**Reason:** {reason}",
        "",
        f"Restores {describe_restore(scope)} exactly as they were at {scope.target} (HEAD was "
        f"{scope.head}). Nothing else changes.",
        "",
        "### Stacks, in rollback order",
        "",
    ]
    statuses = {file: change.status for change in scope.changes for file in change.paths}
    for number, stack in enumerate(scope.stacks, start=1):
        moved = f", moved back from `{stack.moved_from}`" if stack.moved_from else ""
        lines.append(f"{number}. **{stack.name}** (`{stack.directory}`{moved})")
        lines.extend(f"   - `{statuses.get(file, '?')} {file}`" for file in stack.files)
        if not stack.files:
            lines.append("   - no file changed")
    if not scope.stacks:
        lines.append("No stack changes.")
    lines += [
        "",
        "### Apply order",
        "",
        f"Apply the stacks one at a time, in the order above: **{apply_order(policy)}**, each layer only "
        "after the one before completed (runbook: Layer-Specific Rollback Order).",
    ]
    if len(scope.layers) > 1:
        lines += [
            "",
            "> [!CAUTION]",
            f"> Merging alone applies these {len(scope.layers)} layers in the normal forward order "
            "(lowest layer first), not in rollback order. Before merging, apply each stack above from "
            "this branch, in the order listed (or run the Rollback workflow in mode `direct`), then merge "
            "so that the default branch matches what is deployed.",
        ]
    if scope.warnings:
        lines += ["", "### Warnings", ""]
        lines.extend(f"- {warning}" for warning in scope.warnings)
    lines += ["", "### Diff summary", "", "```", stat, "```", "", "Opened by `ttgate rollback create`."]
    return "\n".join(lines) + "\n"
