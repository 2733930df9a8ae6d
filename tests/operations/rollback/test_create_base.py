"""Which commits a rollback may start from and go back to: HEAD on the base, the target on this branch,
commit IDs never shadowed by refs."""

from __future__ import annotations

from click.testing import Result

from tests.operations.rollback.test_rollback import DEPLOY, History, commit, git, plan_json, run, stack


def one_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ttgate: error: "), lines
    return str(lines[0])


def test_create_refuses_a_head_the_base_branch_does_not_contain(history: History) -> None:
    git(history.repo, "switch", "-q", "side")  # a branch of unrelated commits, never merged
    for extra in ("--no-push", "--dry-run"):
        line = one_line(
            run(history, "rollback", "create", "--to", history.c1, "--reason", "r", "--base", "main", extra)
        )
        assert "is not contained in the base branch main" in line
    assert "rollback/" not in git(history.repo, "branch")
    # Unpushed local commits on main are not on origin's main either.
    git(history.repo, "switch", "-q", "main")
    commit(history.repo, "local only", {"docs/local.md": "x\n"})
    line = one_line(
        run(history, "rollback", "create", "--to", history.c1, "--reason", "r", "--no-push", "--base", "main")
    )
    assert "not contained in the base branch main" in line
    git(history.repo, "push", "-q", "origin", "main")
    result = run(
        history, "rollback", "create", "--to", history.c1, "--reason", "r", "--no-push", "--base", "main"
    )
    assert result.exit_code == 0, result.output


def test_a_target_reached_only_through_a_merge_is_refused_unless_confirmed(history: History) -> None:
    git(history.repo, "switch", "-q", "-c", "feature", history.c5)
    on_branch = commit(
        history.repo,
        "feature work",
        {f"{DEPLOY}/30_app/environments/dev/main.tf": stack("30_app", "dev", "# f\n")},
    )
    git(history.repo, "switch", "-q", "main")
    commit(
        history.repo,
        "main work",
        {f"{DEPLOY}/20_infra/environments/dev/main.tf": stack("20_infra", "dev", "# m\n")},
    )
    git(history.repo, "merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    merge = git(history.repo, "rev-parse", "HEAD").strip()
    short_merge = git(history.repo, "rev-parse", "--short", merge).strip()
    line = one_line(run(history, "rollback", "plan", "--to", on_branch))
    assert f"merge {short_merge}'s other parent" in line and "--through-merge" in line
    data = plan_json(history, "--to", on_branch, "--through-merge")
    assert data["target"] == on_branch
    # A commit of this branch's own history is fine.
    assert plan_json(history, "--to", f"{merge}^1")["target"] != on_branch


def test_a_hex_named_tag_never_shadows_an_abbreviated_commit_id(history: History) -> None:
    short = history.c1[:7]
    git(history.repo, "tag", short, history.c3)  # a tag named like c1's ID, pointing to c3
    line = one_line(run(history, "rollback", "plan", "--to", short))
    assert "ambiguous" in line and f"refs/tags/{short}" in line
    # The full ID is not ambiguous: c1, not the tag's c3.
    assert plan_json(history, "--to", history.c1)["target"] == history.c1
    # A hex-named tag with no commit of that ID is not taken for one.
    git(history.repo, "tag", "abcdef0", history.c3)
    if not git(history.repo, "rev-parse", "--disambiguate=abcdef0").strip():
        line = one_line(run(history, "rollback", "plan", "--to", "abcdef0"))
        assert "give the commit ID" in line
