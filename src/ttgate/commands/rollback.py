"""`ttgate rollback plan` and `ttgate rollback create`: the runbook's git-based rollback, safely.

The work is :mod:`ttgate.operations.rollback`'s; here are the options and the output. Token policy:
without ``--dry-run`` or ``--no-push``, GITHUB_TOKEN is required up front; ``--no-push`` creates the
branch locally and prints how to push it and open the PR by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from ttgate.commands.options import POLICY, ROLLBACK_SCOPE, load_policy, output_format
from ttgate.errors import UserError

if TYPE_CHECKING:
    from ttgate.integrations.git import Git
    from ttgate.operations.rollback.scope import RollbackScope
    from ttgate.policy import Policy


THROUGH_MERGE = click.option(
    "--through-merge",
    is_flag=True,
    help="Accept a target reached only through a merge's second parent (a merged branch's commit).",
)


def _rollback_scope(
    repo_dir: Path,
    policy_file: Path | None,
    *,
    to: str,
    path: str,
    env: str | None,
    layers: str,
    through_merge: bool = False,
) -> tuple[Git, Policy, RollbackScope]:
    """The repository, its policy and the scope of the rollback the options describe."""
    from ttgate.integrations.git import Git
    from ttgate.operations.rollback.from_git import scope_from_git

    git = Git(repo_dir)
    policy = load_policy(policy_file, git.root / git.prefix)
    scope = scope_from_git(git, policy, to=to, path=path, env=env, layers=layers, through_merge=through_merge)
    return git, policy, scope


@click.group()
def rollback() -> None:
    """Roll the deploy tree back to an earlier commit, in rollback order (30_app → 20_infra → 10_core)."""


@rollback.command("plan")
@ROLLBACK_SCOPE
@THROUGH_MERGE
@output_format(show_default=True)
def plan_command(
    to: str,
    path: str,
    env: str | None,
    layers: str,
    repo_dir: Path,
    policy_file: Path | None,
    through_merge: bool,
    output_format: str,
) -> None:
    """Show which stacks a rollback to SHA changes, in rollback order, with their files.

    \b
    Examples:
      ttgate rollback plan --to 1a2b3c4
      ttgate rollback plan --to 1a2b3c4 --env prod --format json

    Exit status: 0 a plan, 2 a refusal (unknown or ambiguous SHA, not an ancestor, reached only through
    a merge's second parent without --through-merge, nothing changed).
    """
    from ttgate.operations.rollback.render import render_text

    git, _, scope = _rollback_scope(
        repo_dir, policy_file, to=to, path=path, env=env, layers=layers, through_merge=through_merge
    )
    if output_format == "json":
        click.echo(json.dumps(scope.to_json(), indent=2))
    else:
        click.echo(render_text(scope, git.short), nl=False)


@rollback.command("create")
@ROLLBACK_SCOPE
@click.option("--reason", default=None, help="Why (required): goes into the commit message and the PR.")
@click.option("--dry-run", is_flag=True, help="Print what would be done; change nothing.")
@click.option("--no-push", is_flag=True, help="Create the branch locally only (no token needed).")
@click.option(
    "--base", default=None, help="The pull request's base branch (default: the repository's default)."
)
@click.option(
    "--github-repo",
    envvar="GITHUB_REPOSITORY",
    default=None,
    metavar="OWNER/NAME",
    help="The GitHub repository (default: $GITHUB_REPOSITORY, else from the origin remote).",
)
@click.option("--check-locks", is_flag=True, help="Refuse while a stack's Terraform state is locked (AWS).")
@THROUGH_MERGE
def create_command(
    to: str,
    path: str,
    env: str | None,
    layers: str,
    repo_dir: Path,
    policy_file: Path | None,
    reason: str | None,
    dry_run: bool,
    no_push: bool,
    base: str | None,
    github_repo: str | None,
    check_locks: bool,
    through_merge: bool,
) -> None:
    """Open a pull request that restores the deploy tree exactly as it was at SHA.

    \b
    Examples:
      ttgate rollback create --to 1a2b3c4 --reason "queue consumer crash-loops" --dry-run
      ttgate rollback create --to 1a2b3c4 --reason "INC-42" --check-locks
      ttgate rollback create --to 1a2b3c4 --reason "INC-42" --no-push

    Needs a clean working tree and, unless --no-push or --dry-run, GITHUB_TOKEN (GITHUB_API_URL for
    GitHub Enterprise). Never force-pushes, never moves an existing branch, leaves your checkout as is.
    Refuses a HEAD that the base branch (as on origin) does not contain.
    """
    from ttgate.integrations.github import github_token
    from ttgate.operations.rollback.create import clean_reason, create_rollback
    from ttgate.operations.rollback.preflight import held_locks

    text = clean_reason(reason)  # refused before the repository is even opened
    git, policy, scope = _rollback_scope(
        repo_dir, policy_file, to=to, path=path, env=env, layers=layers, through_merge=through_merge
    )
    create_rollback(
        git,
        policy,
        scope,
        reason=text,
        dry_run=dry_run,
        push=not no_push,
        base=base,
        github_repo=github_repo,
        token=github_token(),
        preflight=held_locks if check_locks else None,
        echo=click.echo,
    )


@rollback.command("check-plan")
@click.option("--layer", required=True, help="The layer the plan is for.")
@click.argument("plan_json", type=click.File("r", encoding="utf-8"))
@POLICY
def check_plan_command(layer: str, plan_json: TextIO, policy_file: Path | None) -> None:
    """Refuse a plan that destroys, replaces or weakens the state backend.

    The backend: state bucket (its versioning, policy, public access block, encryption), lock table
    (and its key), KMS keys and aliases. PLAN_JSON is `terraform show -json tfplan` ("-" for stdin);
    any other document is refused, whatever the layer. Only the lowest layer's (10_core) resources are
    checked: it is the one that holds the backend. Exit status: 0 fine, 2 refused.

    \b
    Example:
      terraform show -json tfplan | ttgate rollback check-plan --layer 10_core -
    """
    from ttgate.operations.rollback.protected import refuse_protected_changes

    policy = load_policy(policy_file, Path.cwd())
    if policy.layer(layer) is None:
        raise UserError(f"--layer {layer}: not a layer of the policy")
    refuse_protected_changes(plan_json.read(), layer, policy)
    click.echo(f"{layer}: the plan destroys, replaces or weakens no part of the state backend")


COMMANDS = [rollback]
