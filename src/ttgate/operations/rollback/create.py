"""Creating the rollback: a commit on a new branch, pushed, with its pull request.

The commit is built with git plumbing: the working tree, the index and the checked-out branch are
never touched (so there is nothing to switch back from), no existing ref moves, and pushes are never
forced. Every refusal comes before anything changes. Token policy: when pushing, the token is
required up front, so a push is never left without its pull request for want of a token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ttgate.errors import UserError
from ttgate.operations.rollback.pull_request import apply_order, describe_restore, pull_body
from ttgate.operations.rollback.render import render_text
from ttgate.operations.rollback.verify import verify_commit

if TYPE_CHECKING:
    from ttgate.integrations.git import Git
    from ttgate.operations.rollback.preflight import Preflight
    from ttgate.operations.rollback.scope import RollbackScope
    from ttgate.policy import Policy

REMOTE = "origin"


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
    """The reason on one line; refused when empty (it goes into the commit and the PR)."""
    text = " ".join((reason or "").split())
    if not text:
        raise UserError("--reason is required: say why you roll back (it goes into the commit and the PR)")
    return text


def _silent(_: str) -> None:
    pass


def _refuse_head_outside_base(
    git: Git, scope: RollbackScope, base: str | None, echo: Callable[[str], None]
) -> None:
    """The pull request goes from a branch made on HEAD into ``base``: a HEAD that ``base`` does not
    contain would carry its own commits along, which the rollback plan never showed (it says the
    other stacks stay as they are). The remote's branch is the one the pull request merges into."""
    if base is None:
        echo(f"note: base branch unknown (no --base, no {REMOTE}/HEAD): not checked that HEAD is on it")
        return
    ref = git.ref(f"refs/remotes/{REMOTE}/{base}") or git.ref(f"refs/heads/{base}")
    if ref is None:
        raise UserError(
            f"--base {base}: no branch {REMOTE}/{base} (nor {base}) in this repository to check HEAD "
            f"against; git fetch {REMOTE} {base}, then run again"
        )
    if not git.is_ancestor(scope.head, ref):
        raise UserError(
            f"HEAD ({git.short(scope.head)}) is not contained in the base branch {base}: the pull request "
            f"would carry commits that are not on {base}; check out {base} as it is on {REMOTE} "
            f"(git switch {base} && git pull --ff-only) and run again"
        )


def create_rollback(
    git: Git,
    policy: Policy,
    scope: RollbackScope,
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
    echo: Callable[[str], None] = _silent,
) -> CreateResult:
    """Branch, commit, push and pull request for ``scope``; ``echo`` hears each step as it is done."""
    import ttgate.github.pulls as pulls  # the module, not the package: that one is above operations
    from ttgate.integrations.github import api_url as github_api_url

    reason = clean_reason(reason)
    dirty = git.status()
    if dirty:
        raise UserError(
            f"the working tree has uncommitted changes ({len(dirty)}, e.g. {dirty[0].strip()}); "
            "commit or stash them first"
        )
    if git.head() != scope.head:
        raise UserError("HEAD moved while planning; run the rollback again")
    if not scope.restore_paths:
        raise UserError(
            "no file of the chosen stacks changed since the target: nothing to roll back "
            "(ttgate rollback plan shows what changed)"
        )
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
    url = api_url or github_api_url()
    base = base or git.remote_default_branch(REMOTE)
    if base is None and repository is not None and token is not None:
        base = pulls.default_branch(repository, token=token, base_url=url)
    _refuse_head_outside_base(git, scope, base, echo)
    if preflight is not None:
        held = preflight(scope, policy)
        if held:
            raise UserError(f"{len(held)} lock(s) held, roll back later: " + "; ".join(held))

    short = git.short(scope.target)
    branch = branch_name(short, now or datetime.now(UTC))
    if git.branch_exists(branch):
        raise UserError(f"branch {branch} already exists; run again in a second")
    message = commit_message(scope.path, short, reason)
    stat = git.diff_stat(scope.head, scope.target, scope.restore_paths)
    original = git.current_branch()

    echo(render_text(scope, git.short).rstrip("\n"))
    echo("")
    if dry_run:
        echo("Dry run: nothing changed. ttgate rollback create would:")
        echo(
            f"  create branch {branch} from HEAD ({git.short(scope.head)}), "
            f"leaving {original or 'HEAD'} as it is"
        )
        echo(f"  restore {describe_restore(scope)} exactly as at {short} and commit: {message}")
        echo("  " + (stat.splitlines()[-1].strip() if stat else "no file changes"))
        if push:
            echo(
                f"  push it to {REMOTE} (never forced) and open a pull request "
                f"into {base or 'the default branch'}"
            )
        else:
            echo("  leave it unpushed (--no-push)")
        return CreateResult(branch, None, False, None)

    commit = git.commit_with_paths_from(scope.head, scope.target, scope.restore_paths, message)
    verify_commit(git, scope, commit)
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
    try:
        target_base = base or pulls.default_branch(repository, token=token, base_url=url)
        pull = pulls.open_pull_request(
            repository,
            head=branch,
            base=target_base,
            title=message,
            body=pull_body(scope, policy, reason=reason, short=short, stat=stat),
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
