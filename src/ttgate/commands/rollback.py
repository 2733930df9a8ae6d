"""`ttgate rollback plan` and `ttgate rollback create`: the runbook's git-based rollback, safely.

``create`` builds the rollback commit with git plumbing on a new branch: the working tree, the index
and the checked-out branch are never touched (so there is nothing to switch back from), no existing
ref moves, and pushes are never forced. Token policy: without ``--dry-run`` or ``--no-push``,
GITHUB_TOKEN is required up front, so a push is never left without its pull request for want of a
token; ``--no-push`` creates the branch locally and prints how to push it and open the PR by hand.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from ttgate.commands.common import load_policy, policy_option
from ttgate.errors import UserError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ttgate.gate.policy import Policy
    from ttgate.integrations.git import Git
    from ttgate.operations.rollback import RollbackPlan

DEFAULT_PATH = "practice/deploy"
REMOTE = "origin"

# The lock preflight: the held locks of the plan's stacks, one line each (empty: go ahead).
Preflight = Callable[["RollbackPlan", "Policy"], list[str]]


# --- planning ---------------------------------------------------------------------------------


class _GitTree:
    """One revision of the repository, as :class:`ttgate.operations.rollback.Tree`."""

    def __init__(self, git: Git, revision: str) -> None:
        self._git = git
        self._revision = revision
        self._files: list[str] | None = None

    def files(self) -> Sequence[str]:
        if self._files is None:
            self._files = [entry.path for entry in self._git.ls_tree(self._revision) if entry.type == "blob"]
        return self._files

    def read(self, paths: Sequence[str]) -> Mapping[str, bytes]:
        return self._git.read_blobs(self._revision, paths)


def open_repository(repo_dir: Path | str) -> Git:
    from ttgate.integrations.git import Git

    return Git(repo_dir)


def load_policy_for(git: Git, policy_file: Path | None) -> Policy:
    return load_policy(policy_file, git.root / git.prefix)


def make_plan(
    git: Git,
    policy: Policy,
    *,
    to: str,
    path: str = DEFAULT_PATH,
    env: str | None = None,
    layers: str = "auto",
) -> RollbackPlan:
    """The rollback plan from HEAD back to ``to`` under ``path``; refuses (UserError) what it cannot do."""
    from ttgate.integrations.git import normalize_path
    from ttgate.operations.rollback import FileChange, build_plan, parse_layers

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
    plan = build_plan(
        policy=policy,
        target=target,
        head=head,
        path=deploy,
        changes=changes,
        trees=[_GitTree(git, target), _GitTree(git, head)],
        env=env,
        layers=chosen_layers,
    )
    if not plan.stacks and plan.excluded:
        chosen = " ".join(part for part in (f"--env {env}" if env else "", f"--layers {layers}") if part)
        raise UserError(
            f"{git.short(target)}..HEAD changes no stack of {chosen} under {deploy} "
            f"(it changes {', '.join(stack.name for stack in plan.excluded)})"
        )
    return plan


# --- creating ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateResult:
    branch: str
    commit: str | None  # None on a dry run
    pushed: bool
    pull_url: str | None


def branch_name(short_sha: str, now: datetime) -> str:
    return f"rollback/{short_sha}-{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def commit_message(path: str, short_sha: str, reason: str) -> str:
    return f"Rollback: {path} to {short_sha} ({reason})"


def clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise UserError("--reason is required: say why you roll back (it goes into the commit and the PR)")
    return text


def apply_order(policy: Policy) -> str:
    return " → ".join(layer.name for layer in sorted(policy.layers, key=lambda layer: -layer.order))


def pull_body(plan: RollbackPlan, policy: Policy, *, reason: str, short: str, stat: str) -> str:
    lines = [
        f"## Rollback of `{plan.path}` to `{short}`",
        "",
        f"**Reason:** {reason}",
        "",
        f"Restores `{plan.path}` exactly as it was at {plan.target} (HEAD was {plan.head}): files added "
        f"since are removed. Nothing outside `{plan.path}` changes.",
        "",
        "### Stacks, in rollback order",
        "",
    ]
    statuses = {file: change.status for change in plan.changes for file in change.paths}
    for number, stack in enumerate(plan.stacks, start=1):
        lines.append(f"{number}. **{stack.name}** (`{stack.directory}`)")
        lines.extend(f"   - `{statuses.get(file, '?')} {file}`" for file in stack.files)
        if not stack.files:
            lines.append("   - no file changed")
    if not plan.stacks:
        lines.append("No stack changes.")
    lines += [
        "",
        "### Apply order",
        "",
        f"Apply the stacks one at a time, in the order above: **{apply_order(policy)}**, each layer only "
        "after the one before completed (runbook: Layer-Specific Rollback Order).",
    ]
    if plan.warnings:
        lines += ["", "### Warnings", ""]
        lines.extend(f"- {warning}" for warning in plan.warnings)
    lines += ["", "### Diff summary", "", "```", stat, "```", "", "Opened by `ttgate rollback create`."]
    return "\n".join(lines) + "\n"


def _default_preflight(plan: RollbackPlan, policy: Policy) -> list[str]:
    """``ttgate.operations.locks.find_held_locks`` for the plan's stacks, an environment at a time."""
    import importlib

    try:
        locks = importlib.import_module("ttgate.operations.locks")
        aws_module = importlib.import_module("ttgate.integrations.aws")
    except ModuleNotFoundError as error:
        raise UserError(
            f"--check-locks needs {error.name}, which this ttgate does not have; check the locks by hand "
            "(runbook: State Lock Conflicts) and run without --check-locks"
        ) from None
    aws = aws_module.Aws(region=policy.region)
    held: list[str] = []
    for env in dict.fromkeys(stack.env for stack in plan.stacks):
        stacks = [(stack.layer, stack.env) for stack in plan.stacks if stack.env == env]
        held.extend(lock.describe() for lock in locks.find_held_locks(stacks, policy, env, aws))
    return held


def create_rollback(
    git: Git,
    policy: Policy,
    plan: RollbackPlan,
    *,
    reason: str,
    dry_run: bool = False,
    push: bool = True,
    base: str | None = None,
    github_repo: str | None = None,
    token: str | None = None,
    api_url: str | None = None,
    preflight: Preflight | None = None,
    now: datetime | None = None,
    echo: Callable[[str], None] = click.echo,
) -> CreateResult:
    """Branch, commit, push and pull request for ``plan``; every refusal comes before anything changes."""
    from ttgate.github import pulls
    from ttgate.operations.rollback import render_text

    reason = clean_reason(reason)
    dirty = git.status()
    if dirty:
        raise UserError(
            f"the working tree has uncommitted changes ({len(dirty)}, e.g. {dirty[0].strip()}); "
            "commit or stash them first"
        )
    if git.head() != plan.head:
        raise UserError("HEAD moved while planning; run the rollback again")
    repository: str | None = None
    if push and not dry_run:
        if git.remote_url(REMOTE) is None:
            raise UserError(f"no remote {REMOTE!r} to push to; add it, or use --no-push")
        if token is None:
            raise UserError(
                "GITHUB_TOKEN is not set: it is needed to open the pull request; set it, "
                "or use --no-push to create the branch only"
            )
        repository = github_repo or pulls.repository_from_remote(git.remote_url(REMOTE))
        if repository is None:
            raise UserError(
                f"cannot tell the GitHub repository from remote {REMOTE!r}; give --github-repo OWNER/NAME"
            )
        pulls.check_repository_name(repository)
    if preflight is not None:
        held = preflight(plan, policy)
        if held:
            raise UserError(f"{len(held)} lock(s) held, roll back later: " + "; ".join(held))

    short = git.short(plan.target)
    branch = branch_name(short, now or datetime.now(UTC))
    if git.branch_exists(branch):
        raise UserError(f"branch {branch} already exists; run again in a second")
    message = commit_message(plan.path, short, reason)
    stat = git.diff_stat(plan.head, plan.target, plan.path)
    original = git.current_branch()

    echo(render_text(plan, git.short).rstrip("\n"))
    echo("")
    if dry_run:
        echo("Dry run: nothing changed. ttgate rollback create would:")
        echo(
            f"  create branch {branch} from HEAD ({git.short(plan.head)}), "
            f"leaving {original or 'HEAD'} as it is"
        )
        echo(f"  restore {plan.path} exactly as at {short} and commit: {message}")
        echo("  " + (stat.splitlines()[-1].strip() if stat else "no file changes"))
        if push:
            echo(
                f"  push it to {REMOTE} (never forced) and open a pull request "
                f"into {base or 'the default branch'}"
            )
        else:
            echo("  leave it unpushed (--no-push)")
        return CreateResult(branch, None, False, None)

    commit = git.commit_with_path_from(plan.head, plan.target, plan.path, message)
    _verify(git, plan, commit)
    git.create_branch(branch, commit)
    echo(f"Created branch {branch} ({git.short(commit)}): {message}")
    if not push:
        echo(f"Not pushed (--no-push). Your checkout is unchanged ({original or 'detached HEAD'}).")
        echo(f"  git push -u {REMOTE} {branch}   # then open a pull request from {branch}")
        return CreateResult(branch, commit, False, None)

    assert repository is not None and token is not None
    try:
        git.push_new_branch(REMOTE, branch)
    except UserError:
        git.delete_branch(branch, commit)  # nothing was published: leave the repository as it was
        raise
    echo(f"Pushed {branch} to {REMOTE}.")
    url = api_url or pulls.api_url()
    try:
        target_base = base or pulls.default_branch(repository, token=token, base_url=url)
        pull = pulls.open_pull_request(
            repository,
            head=branch,
            base=target_base,
            title=message,
            body=pull_body(plan, policy, reason=reason, short=short, stat=stat),
            token=token,
            base_url=url,
        )
    except UserError as error:
        raise UserError(
            f"{error}; branch {branch} is pushed: open the pull request by hand at "
            f"{pulls.compare_url(repository, base, branch, url)}"
        ) from None
    echo(f"Opened pull request #{pull.number}: {pull.url}")
    echo(f"Merge it, then apply in rollback order: {apply_order(policy)}.")
    return CreateResult(branch, commit, True, pull.url)


def _verify(git: Git, plan: RollbackPlan, commit: str) -> None:
    """The new commit's path is the target's, object for object; nothing else differs from HEAD."""
    if git.object_id(commit, plan.path) != git.object_id(plan.target, plan.path):
        raise UserError(f"internal check failed: the rollback commit's {plan.path} differs from the target's")
    outside = [name for name in git.diff_names(plan.head, commit) if not _under(name, plan.path)]
    if outside:
        raise UserError(
            f"internal check failed: the rollback commit changes {outside[0]} outside {plan.path}"
        )


def _under(name: str, path: str) -> bool:
    return name == path or name.startswith(path + "/")


# --- the commands -----------------------------------------------------------------------------

_common = [
    click.option(
        "--to", "to", required=True, metavar="SHA", help="The commit to roll back to (an ancestor of HEAD)."
    ),
    click.option(
        "--path",
        default=DEFAULT_PATH,
        show_default=True,
        help="The deploy tree to restore, relative to --repo-dir.",
    ),
    click.option("--env", default=None, help="Only this environment's stacks."),
    click.option(
        "--layers",
        default="auto",
        show_default=True,
        metavar="auto|all|LIST",
        help="auto: the layers the rollback touches; all: every layer; or a comma-separated list.",
    ),
    click.option(
        "--repo-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path("."),
        show_default=True,
        help="A directory of the git repository.",
    ),
    policy_option(),
]


_F = TypeVar("_F", bound=Callable[..., object])


def _with_common(function: _F) -> _F:
    for option in reversed(_common):
        function = option(function)
    return function


@click.group()
def rollback() -> None:
    """Roll the deploy tree back to an earlier commit, in rollback order (30_app → 20_infra → 10_core)."""


@rollback.command("plan")
@_with_common
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def plan_command(
    to: str,
    path: str,
    env: str | None,
    layers: str,
    repo_dir: Path,
    policy_file: Path | None,
    output_format: str,
) -> None:
    """Show which stacks a rollback to SHA changes, in rollback order, with their files.

    \b
    Examples:
      ttgate rollback plan --to 1a2b3c4
      ttgate rollback plan --to 1a2b3c4 --env prod --format json

    Exit status: 0 a plan, 2 a refusal (unknown SHA, not an ancestor, nothing changed).
    """
    from ttgate.operations.rollback import render_text

    git = open_repository(repo_dir)
    policy = load_policy_for(git, policy_file)
    plan = make_plan(git, policy, to=to, path=path, env=env, layers=layers)
    if output_format == "json":
        click.echo(json.dumps(plan.to_json(), indent=2))
    else:
        click.echo(render_text(plan, git.short), nl=False)


@rollback.command("create")
@_with_common
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
) -> None:
    """Open a pull request that restores the deploy tree exactly as it was at SHA.

    \b
    Examples:
      ttgate rollback create --to 1a2b3c4 --reason "queue consumer crash-loops" --dry-run
      ttgate rollback create --to 1a2b3c4 --reason "INC-42" --check-locks
      ttgate rollback create --to 1a2b3c4 --reason "INC-42" --no-push

    Needs a clean working tree and, unless --no-push or --dry-run, GITHUB_TOKEN (GITHUB_API_URL for
    GitHub Enterprise). Never force-pushes, never moves an existing branch, leaves your checkout as is.
    """
    from ttgate.github.pulls import github_token

    text = clean_reason(reason)
    git = open_repository(repo_dir)
    policy = load_policy_for(git, policy_file)
    plan = make_plan(git, policy, to=to, path=path, env=env, layers=layers)
    create_rollback(
        git,
        policy,
        plan,
        reason=text,
        dry_run=dry_run,
        push=not no_push,
        base=base,
        github_repo=github_repo,
        token=github_token(),
        preflight=_default_preflight if check_locks else None,
    )


COMMANDS = [rollback]
