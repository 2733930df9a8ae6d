"""`ttgate rollback plan|create` on real git repositories made in temporary directories."""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
from click.testing import CliRunner, Result

from tests.github.github_server import FakeGitHub, serve
from ttgate.cli import main
from ttgate.errors import UserError
from ttgate.gate.rules import RULES
from ttgate.integrations import github as github_api
from ttgate.integrations.git import Git
from ttgate.operations.rollback.create import create_rollback
from ttgate.operations.rollback.from_git import scope_from_git
from ttgate.operations.rollback.scope import FileChange, build_scope
from ttgate.policy import load_policy

DEPLOY = "practice/deploy"
API = "https://ghe.example.com/api/v3"
# PyGithub writes the port out: https://ghe.example.com:443/api/v3/...
PULLS = re.compile(r"^https://ghe\.example\.com(:443)?/api/v3/repos/acme/infra/pulls$")
REPO = re.compile(r"^https://ghe\.example\.com(:443)?/api/v3/repos/acme/infra$")
BRANCH_SHAPE = re.compile(r"^rollback/[0-9a-f]{7,40}-\d{8}T\d{6}Z$")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def git_bytes(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True).stdout


def write(repo: Path, files: Mapping[str, str | bytes | None]) -> None:
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")


def commit(repo: Path, message: str, files: Mapping[str, str | bytes | None]) -> str:
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def stack(layer: str, env: str, extra: str = "") -> str:
    return f'terraform {{\n  backend "s3" {{}}\n}}\n# {layer}/{env}\n{extra}'


APP_CALL = 'module "app" {\n  source = "../../modules/billing_app"\n}\n'


@dataclass
class History:
    repo: Path
    origin: Path
    c0: str  # the initial tree
    c1: str  # 30_app/dev changed
    c2: str  # the shared component changed (30_app dev and prod use it)
    c3: str  # 20_infra/prod changed, a file added
    c4: str  # a 10_core module file renamed, a file outside the deploy tree changed
    c5: str  # only files outside the deploy tree changed
    side: str  # a commit on another branch: not an ancestor of HEAD


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No global or system git config, no token, no GitHub settings from the outside."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY", "GIT_DIR", "GIT_WORK_TREE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def history(tmp_path: Path) -> History:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.com")
    files: dict[str, str | bytes | None] = {
        "README.md": "# infra\n",
        "docs/notes.md": "notes v1\n",
        f"{DEPLOY}/README.md": "deploy tree\n",
        f"{DEPLOY}/components/lambda_function/main.tf": 'resource "aws_lambda_function" "f" {}\n',
        f"{DEPLOY}/components/lambda_function/src/handler.py": "def handler(event, context):\n    return 1\n",
        f"{DEPLOY}/components/lambda_unused/main.tf": "# nobody calls me\n",
        f"{DEPLOY}/30_app/modules/billing_app/main.tf": (
            'module "fn" {\n  source = "../../../components/lambda_function"\n}\n'
        ),
        f"{DEPLOY}/10_core/modules/kms/main.tf": 'resource "aws_kms_key" "k" {}\n',
        f"{DEPLOY}/10_core/environments/dev/state.bin": bytes(range(256)),
    }
    for layer in ("10_core", "20_infra", "30_app"):
        for env in ("dev", "prod"):
            files[f"{DEPLOY}/{layer}/environments/{env}/main.tf"] = stack(
                layer, env, APP_CALL if layer == "30_app" else ""
            )
    c0 = commit(repo, "initial", files)
    c1 = commit(
        repo,
        "app dev",
        {f"{DEPLOY}/30_app/environments/dev/main.tf": stack("30_app", "dev", APP_CALL + "# v2\n")},
    )
    c2 = commit(
        repo,
        "component",
        {
            f"{DEPLOY}/components/lambda_function/src/handler.py": (
                "def handler(event, context):\n    return 2\n"
            )
        },
    )
    c3 = commit(
        repo,
        "infra prod",
        {
            f"{DEPLOY}/20_infra/environments/prod/main.tf": stack("20_infra", "prod", "# v2\n"),
            f"{DEPLOY}/20_infra/environments/prod/new_queue.tf": 'resource "aws_sqs_queue" "q" {}\n',
        },
    )
    git(repo, "mv", f"{DEPLOY}/10_core/modules/kms/main.tf", f"{DEPLOY}/10_core/modules/kms/key.tf")
    c4 = commit(repo, "core rename", {"docs/notes.md": "notes v2\n"})
    c5 = commit(repo, "docs only", {"docs/notes.md": "notes v3\n", "README.md": "# infra v2\n"})
    git(repo, "switch", "-q", "-c", "side", c3)
    side = commit(repo, "side", {f"{DEPLOY}/30_app/environments/prod/main.tf": "# side\n"})
    git(repo, "switch", "-q", "main")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "origin", "main")
    return History(repo, origin, c0, c1, c2, c3, c4, c5, side)


def run(history: History, *args: str, env: Mapping[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [*args, "--repo-dir", str(history.repo)], env=dict(env or {}))


def plan_json(history: History, *args: str) -> dict[str, Any]:
    result = run(history, "rollback", "plan", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def stacks_of(data: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    stacks = data["stacks"]
    return [(s["layer"], s["env"], s["files"]) for s in stacks]


def snapshot(repo: Path, *, but_rollback: bool = False) -> tuple[str, str, str, str]:
    """HEAD, every ref (but the new rollback ones), the status and the checked-out branch."""
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)").splitlines(keepends=True)
    return (
        git(repo, "rev-parse", "HEAD"),
        "".join(ref for ref in refs if not (but_rollback and "/rollback/" in ref)),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        git(repo, "symbolic-ref", "-q", "HEAD"),
    )


# --- the plan ---------------------------------------------------------------------------------


def test_plan_everything_since_the_first_commit_in_rollback_order(history: History) -> None:
    data = plan_json(history, "--to", history.c0)
    d = DEPLOY
    assert stacks_of(data) == [
        (
            "30_app",
            "dev",
            [
                f"{d}/30_app/environments/dev/main.tf",
                f"{d}/components/lambda_function/src/handler.py",
            ],
        ),
        ("30_app", "prod", [f"{d}/components/lambda_function/src/handler.py"]),
        (
            "20_infra",
            "prod",
            [f"{d}/20_infra/environments/prod/main.tf", f"{d}/20_infra/environments/prod/new_queue.tf"],
        ),
        ("10_core", "dev", [f"{d}/10_core/modules/kms/main.tf", f"{d}/10_core/modules/kms/key.tf"]),
        ("10_core", "prod", [f"{d}/10_core/modules/kms/main.tf", f"{d}/10_core/modules/kms/key.tf"]),
    ]
    assert data["version"] == 1
    assert data["target"] == history.c0
    assert data["head"] == history.c5
    assert data["path"] == DEPLOY
    stacks = data["stacks"]
    assert isinstance(stacks, list)
    assert stacks[0]["directory"] == f"{d}/30_app/environments/dev"
    warnings = data["warnings"]
    assert isinstance(warnings, list)
    assert any("Rolling back 10_core may affect the state backend itself" in w for w in warnings)


def test_plan_for_later_targets(history: History) -> None:
    # Only the component changed since c1... and what came after it.
    assert [(layer, env) for layer, env, _ in stacks_of(plan_json(history, "--to", history.c1))] == [
        ("30_app", "dev"),
        ("30_app", "prod"),
        ("20_infra", "prod"),
        ("10_core", "dev"),
        ("10_core", "prod"),
    ]
    # Since c3: the rename in a 10_core module, counted on both sides; both 10_core stacks.
    data = plan_json(history, "--to", history.c3)
    rename = [f"{DEPLOY}/10_core/modules/kms/main.tf", f"{DEPLOY}/10_core/modules/kms/key.tf"]
    assert stacks_of(data) == [("10_core", "dev", rename), ("10_core", "prod", rename)]
    changes = data["changes"]
    assert isinstance(changes, list)
    assert changes == [{"status": "R", "path": rename[1], "old_path": rename[0]}]
    # Since c2 (component already in): no 30_app stack.
    assert [s[:2] for s in stacks_of(plan_json(history, "--to", history.c2))] == [
        ("20_infra", "prod"),
        ("10_core", "dev"),
        ("10_core", "prod"),
    ]


def test_plan_without_core_has_no_core_warning(history: History) -> None:
    data = plan_json(history, "--to", history.c1, "--layers", "30_app,20_infra")
    assert {layer for layer, _, _ in stacks_of(data)} == {"30_app", "20_infra"}
    assert not any("10_core" in w and "state backend" in w for w in data["warnings"])


def test_plan_env_filter_and_layer_lists(history: History) -> None:
    # 20_infra/prod alone: its files only; the other changed stacks are named, not restored.
    data = plan_json(history, "--to", history.c2, "--env", "prod", "--layers", "20_infra")
    assert [s[:2] for s in stacks_of(data)] == [("20_infra", "prod")]
    assert any("their files stay as they are: 10_core/dev, 10_core/prod" in w for w in data["warnings"])
    assert data["restore_paths"] == [
        f"{DEPLOY}/20_infra/environments/prod/main.tf",
        f"{DEPLOY}/20_infra/environments/prod/new_queue.tf",
    ]
    # A listed layer shows every stack of it, changed or not.
    data = plan_json(history, "--to", history.c3, "--layers", "20_infra", "--env", "dev")
    assert stacks_of(data) == [("20_infra", "dev", [])]
    data = plan_json(history, "--to", history.c3, "--layers", "all")
    assert [s[:2] for s in stacks_of(data)] == [
        ("30_app", "dev"),
        ("30_app", "prod"),
        ("20_infra", "dev"),
        ("20_infra", "prod"),
        ("10_core", "dev"),
        ("10_core", "prod"),
    ]


def test_plan_text(history: History) -> None:
    result = run(history, "rollback", "plan", "--to", history.c0)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("1. 30_app/dev") < out.index("3. 20_infra/prod") < out.index("5. 10_core/prod")
    assert f"A {DEPLOY}/20_infra/environments/prod/new_queue.tf" in out
    assert "30_app → 20_infra → 10_core" in out
    assert "warning: Rolling back 10_core may affect the state backend itself" in out


def test_plan_refuses_a_filter_that_leaves_nothing(history: History) -> None:
    result = run(history, "rollback", "plan", "--to", history.c3, "--layers", "30_app", "--env", "dev")
    # --layers 30_app lists the stack even unchanged: not a refusal.
    assert result.exit_code == 0
    result = run(history, "rollback", "plan", "--to", history.c2, "--env", "dev", "--layers", "auto")
    assert result.exit_code == 2  # 10_core/dev is in it, with the kms module 10_core/prod shares
    assert "used by 10_core/dev and by 10_core/prod" in result.stderr
    result = run(
        history, "rollback", "plan", "--to", history.c1, "--path", f"{DEPLOY}/20_infra", "--env", "dev"
    )
    assert result.exit_code == 2
    assert "changes no stack of --env dev" in result.stderr


@dataclass
class FakeTree:
    contents: dict[str, bytes]

    def files(self) -> Sequence[str]:
        return sorted(self.contents)

    def read(self, paths: Sequence[str]) -> Mapping[str, bytes]:
        return {p: self.contents[p] for p in paths if p in self.contents}


def test_a_module_source_that_is_not_a_literal_includes_the_stack_and_says_so() -> None:
    policy = load_policy(RULES)
    tree = FakeTree(
        {
            "d/30_app/environments/dev/main.tf": (
                b'module "a" {\n  source = "${local.root}/components/x"\n}\n'
            ),
            "d/30_app/environments/prod/main.tf": b'module "a" {\n  source = "../../../components/y"\n}\n',
            "d/20_infra/environments/dev/main.tf": b'module "a" {\n  source = "../../../components/x"\n}\n',
            "d/components/x/main.tf": b"# x\n",
            "d/components/y/main.tf": b"# y\n",
        }
    )
    scope = build_scope(
        policy=policy,
        target="a" * 40,
        head="b" * 40,
        path="d",
        changes=[FileChange("M", "d/components/x/main.tf")],
        trees=[tree],
    )
    assert [s.name for s in scope.stacks] == ["30_app/dev", "20_infra/dev"]
    assert any("d/30_app/environments/dev/main.tf:2: module source" in w for w in scope.warnings)


def test_a_changed_file_no_stack_uses_is_reported(history: History) -> None:
    commit(history.repo, "unused", {f"{DEPLOY}/components/lambda_unused/main.tf": "# v2\n"})
    data = plan_json(history, "--to", history.c5)
    assert data["stacks"] == []
    assert any("belong to no stack" in w and "lambda_unused" in w for w in data["warnings"])


# --- create -----------------------------------------------------------------------------------


def sent_json(body: object) -> dict[str, Any]:
    assert isinstance(body, (bytes, str))
    data: dict[str, Any] = json.loads(body)
    return data


def pr_env(**extra: str) -> dict[str, str]:
    return {"GITHUB_TOKEN": "t0ken", "GITHUB_API_URL": API, "GITHUB_REPOSITORY": "acme/infra", **extra}


def archived(repo: Path, revision: str) -> dict[str, tuple[int, bytes]]:
    """`git archive REVISION DEPLOY`, unpacked: name -> (mode, bytes)."""
    data = git_bytes(repo, "archive", "--format=tar", revision, DEPLOY)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {
            member.name: (member.mode, extracted.read())
            for member in tar.getmembers()
            if (extracted := tar.extractfile(member)) is not None
        }


def assert_restored(history: History, branch: str, target: str) -> None:
    repo = history.repo
    at_target = git(repo, "ls-tree", "-r", target, "--", DEPLOY)
    at_branch = git(repo, "ls-tree", "-r", branch, "--", DEPLOY)
    assert at_branch == at_target  # same files, modes and blobs: nothing added since survives
    for line in at_target.splitlines():
        name = line.split("\t", 1)[1]
        assert git_bytes(repo, "show", f"{branch}:{name}") == git_bytes(repo, "show", f"{target}:{name}")
    assert archived(repo, branch) == archived(repo, target) != {}
    # Nothing outside the deploy tree differs from HEAD; the branch is one commit on HEAD.
    changed = git(repo, "diff", "--name-only", "main", branch).split()
    assert changed and all(name.startswith(DEPLOY + "/") for name in changed)
    assert git(repo, "show", f"{branch}:docs/notes.md") == "notes v3\n"
    assert git(repo, "rev-parse", f"{branch}^").strip() == history.c5


@responses.activate
def test_create_restores_commits_pushes_and_opens_the_pull_request(history: History) -> None:
    before = snapshot(history.repo)
    responses.post(
        PULLS, json={"number": 7, "html_url": "https://ghe.example.com/acme/infra/pull/7"}, status=201
    )
    result = run(
        history,
        "rollback",
        "create",
        "--to",
        history.c0,
        "--reason",
        "queue consumer crash-loops",
        "--base",
        "main",
        env=pr_env(),
    )
    assert result.exit_code == 0, result.output
    # Same HEAD, branch checked out and clean tree; main (here and on origin) unmoved.
    assert snapshot(history.repo, but_rollback=True) == before
    short = git(history.repo, "rev-parse", "--short", history.c0).strip()
    branches = git(
        history.origin, "for-each-ref", "--format=%(refname:short)", "refs/heads/rollback/"
    ).split()
    assert len(branches) == 1 and BRANCH_SHAPE.match(branches[0])
    branch = branches[0]
    assert branch.startswith(f"rollback/{short}-")
    assert git(history.origin, "rev-parse", "main").strip() == history.c5
    assert git(history.repo, "rev-parse", branch) == git(history.origin, "rev-parse", branch)
    message = f"Rollback: {DEPLOY} to {short} (queue consumer crash-loops)"
    assert git(history.repo, "log", "-1", "--format=%B", branch).strip() == message
    assert_restored(history, branch, history.c0)
    assert (history.repo / DEPLOY / "20_infra/environments/prod/new_queue.tf").exists()  # checkout untouched

    assert len(responses.calls) == 1
    request = responses.calls[0].request
    assert request.method == "POST" and PULLS.match(request.url or "")
    assert request.headers["Authorization"] == "token t0ken"
    sent = sent_json(request.body)
    assert set(sent) == {"title", "head", "base", "body"}
    assert (sent["title"], sent["head"], sent["base"]) == (message, branch, "main")
    body = sent["body"]
    assert "**Reason:** queue consumer crash-loops" in body
    assert body.index("**30_app/dev**") < body.index("**30_app/prod**") < body.index("**20_infra/prod**")
    assert body.index("**20_infra/prod**") < body.index("**10_core/dev**")
    assert f"`A {DEPLOY}/20_infra/environments/prod/new_queue.tf`" in body
    assert "**30_app → 20_infra → 10_core**" in body
    stat = git(history.repo, "diff", "--stat=100", "-M", history.c5, history.c0, "--", DEPLOY).rstrip()
    assert f"```\n{stat}\n```" in body
    assert "Rolling back 10_core may affect the state backend itself" in body
    assert "Opened pull request #7" in result.stdout


@responses.activate
def test_create_uses_the_default_branch_and_a_fixed_clock(history: History) -> None:
    responses.get(REPO, json={"full_name": "acme/infra", "default_branch": "trunk"})
    responses.post(PULLS, json={"number": 1, "html_url": "u"}, status=201)
    git(history.repo, "branch", "trunk")  # the default branch contains HEAD
    repo = Git(history.repo)
    policy = load_policy(RULES)
    scope = scope_from_git(repo, policy, to=history.c3, path=DEPLOY)
    result = create_rollback(
        repo,
        policy,
        scope,
        reason="  rename\n broke kms ",
        github_repo="acme/infra",
        token="t",
        api_url=API,
        now=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
        echo=lambda _: None,
    )
    short = git(history.repo, "rev-parse", "--short", history.c3).strip()
    assert result.branch == f"rollback/{short}-20240506T070809Z"
    sent = sent_json(responses.calls[-1].request.body)
    assert sent["base"] == "trunk"
    assert sent["title"] == f"Rollback: {DEPLOY} to {short} (rename broke kms)"
    assert_restored(history, result.branch, history.c3)
    assert (history.repo / DEPLOY / "10_core/modules/kms/key.tf").exists()  # the checkout is untouched


def test_create_retries_the_pull_request_through_the_one_github_client(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    policy = github_api.RetryPolicy(
        seconds_between_requests=None, seconds_between_writes=None, sleep=waits.append
    )
    monkeypatch.setattr(github_api, "DEFAULT_POLICY", policy)
    with serve(FakeGitHub(tokens={"t": "on-call"}, default_branch="trunk")) as github:
        github.fail("GET", r"/repos/acme/infra", 502, "Server Error")
        github.fail("POST", r"/repos/acme/infra/pulls", 502, "Server Error", carried_out=True)
        git(history.repo, "branch", "trunk")  # the default branch contains HEAD
        repo = Git(history.repo)
        policy_ = load_policy(RULES)
        scope = scope_from_git(repo, policy_, to=history.c3, path=DEPLOY)
        result = create_rollback(
            repo, policy_, scope, reason="r", github_repo="acme/infra", token="t", api_url=github.url
        )
    assert result.pull_url == "https://github.example/acme/infra/pull/1"
    assert [pull["base"]["ref"] for pull in github.pulls] == ["trunk"]  # one pull request, not two
    reads = [
        target for _, method, target in github.requests if (method, target) == ("GET", "/repos/acme/infra")
    ]
    assert len(reads) == 2  # the read that got a 502 was retried (at once: urllib3's first backoff is 0)
    assert waits == [policy.wait(1)]  # the create's 502: a wait, then a look that found it opened


@responses.activate
def test_a_refused_pull_request_leaves_the_pushed_branch_and_says_how(history: History) -> None:
    responses.post(PULLS, json={"message": "Validation Failed", "errors": [{"message": "no"}]}, status=422)
    result = run(
        history, "rollback", "create", "--to", history.c0, "--reason", "r", "--base", "main", env=pr_env()
    )
    assert result.exit_code == 2
    assert "GitHub answered 422: Validation Failed; no" in result.stderr
    assert (
        "is pushed: open the pull request by hand at https://ghe.example.com/acme/infra/compare/main..."
        in (result.stderr)
    )
    assert git(history.origin, "for-each-ref", "refs/heads/rollback/").strip()


def test_dry_run_changes_nothing(history: History) -> None:
    before = snapshot(history.repo)
    result = run(history, "rollback", "create", "--to", history.c0, "--reason", "r", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing changed" in result.stdout
    assert f"commit: Rollback: {DEPLOY} to" in result.stdout
    assert snapshot(history.repo) == before
    assert not git(history.origin, "for-each-ref", "refs/heads/rollback/").strip()


def test_no_push_creates_the_branch_locally_only(history: History) -> None:
    before = snapshot(history.repo)
    result = run(history, "rollback", "create", "--to", history.c1, "--reason", "r", "--no-push")
    assert result.exit_code == 0, result.output
    branch = next(
        b for b in git(history.repo, "branch", "--format=%(refname:short)").split() if "rollback/" in b
    )
    assert BRANCH_SHAPE.match(branch)
    assert f"git push -u origin {branch}" in result.stdout
    assert_restored(history, branch, history.c1)
    assert snapshot(history.repo, but_rollback=True) == before
    assert not git(history.origin, "for-each-ref", "refs/heads/rollback/").strip()


def test_a_held_lock_stops_create(history: History) -> None:
    repo = Git(history.repo)
    policy = load_policy(RULES)
    scope = scope_from_git(repo, policy, to=history.c0, path=DEPLOY)
    before = snapshot(history.repo)
    seen: list[list[str]] = []

    def preflight(scope_: object, policy_: object) -> list[str]:
        seen.append([s.name for s in scope.stacks])
        return ["30_app/dev is locked in dynamodb table t: ID 1, OperationTypeApply by bob"]

    with pytest.raises(UserError, match="1 lock\\(s\\) held, roll back later: 30_app/dev is locked"):
        create_rollback(repo, policy, scope, reason="r", push=False, preflight=preflight)
    assert seen and seen[0][0] == "30_app/dev"
    assert snapshot(history.repo) == before


def test_check_locks_without_the_locks_module_says_so(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "ttgate.operations.state.locks", None)
    result = run(
        history, "rollback", "create", "--to", history.c0, "--reason", "r", "--no-push", "--check-locks"
    )
    assert result.exit_code == 2
    assert "--check-locks needs ttgate.operations.state.locks" in result.stderr


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown", "no such commit"),
        ("side", "is not an ancestor of HEAD"),
        ("nothing", "changes nothing under practice/deploy"),
        ("head", "is HEAD itself"),
        ("dirty", "the working tree has uncommitted changes"),
        ("token", "GITHUB_TOKEN is not set"),
        ("reason", "--reason is required"),
        ("layers", "--layers 40_x: unknown layer 40_x"),
        ("env", "--env qa: not an environment of the policy"),
        ("path", "--path ../x: outside the repository"),
    ],
)
@pytest.mark.parametrize("command", ["plan", "create"])
def test_bad_input_stops_with_one_line_and_changes_nothing(
    history: History, case: str, message: str, command: str
) -> None:
    if command == "plan" and case in ("dirty", "token", "reason"):
        pytest.skip("create only")
    to = {"unknown": "0123456789abcdef", "side": history.side, "nothing": history.c4, "head": "HEAD"}.get(
        case, history.c0
    )
    args = ["rollback", command, "--to", to]
    if case == "layers":
        args += ["--layers", "40_x"]
    if case == "env":
        args += ["--env", "qa"]
    if case == "path":
        args += ["--path", "../x"]
    if command == "create" and case != "reason":
        args += ["--reason", "because"]
    if case == "dirty":
        write(history.repo, {f"{DEPLOY}/30_app/environments/dev/main.tf": "# edited\n"})
    before = snapshot(history.repo)
    result = run(history, *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("ttgate: error: ") and message in result.stderr
    assert snapshot(history.repo) == before
    assert not git(history.origin, "for-each-ref", "refs/heads/rollback/").strip()


def test_not_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    for command in (["plan"], ["create", "--reason", "r"]):
        result = CliRunner().invoke(main, ["rollback", *command, "--to", "abc1234", "--repo-dir", str(plain)])
        assert result.exit_code == 2
        assert (
            result.stderr.strip()
            == f"ttgate: error: {plain}: not a git repository (or not inside its working tree)"
        )
    assert list(plain.iterdir()) == []


def test_a_failed_push_removes_the_new_branch(history: History) -> None:
    git(history.repo, "remote", "set-url", "origin", str(history.repo.parent / "missing.git"))
    before = snapshot(history.repo)
    result = run(
        history, "rollback", "create", "--to", history.c0, "--reason", "r", "--base", "main", env=pr_env()
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("ttgate: error: git push failed: ")
    assert snapshot(history.repo) == before


# --- scope: exactly the chosen stacks -----------------------------------------------------------


DEV_ONLY_CALL = 'module "dev_tools" {\n  source = "../../modules/dev_tools"\n}\n'


def dev_only_changes(history: History) -> str:
    """Two commits on HEAD: 30_app/dev calls a new module only it uses, then prod and 20_infra/dev change."""
    target = commit(
        history.repo,
        "app dev module",
        {
            f"{DEPLOY}/30_app/modules/dev_tools/main.tf": "# v1\n",
            f"{DEPLOY}/30_app/environments/dev/main.tf": stack("30_app", "dev", APP_CALL + DEV_ONLY_CALL),
        },
    )
    commit(
        history.repo,
        "app dev and others",
        {
            f"{DEPLOY}/30_app/modules/dev_tools/main.tf": "# v2\n",
            f"{DEPLOY}/30_app/environments/dev/main.tf": stack(
                "30_app", "dev", APP_CALL + DEV_ONLY_CALL + "# v3\n"
            ),
            f"{DEPLOY}/30_app/environments/prod/main.tf": stack("30_app", "prod", APP_CALL + "# v3\n"),
            f"{DEPLOY}/20_infra/environments/dev/main.tf": stack("20_infra", "dev", "# v3\n"),
            f"{DEPLOY}/README.md": "deploy tree v2\n",
        },
    )
    return target


def test_a_one_stack_rollback_changes_only_that_stack_and_its_own_module(history: History) -> None:
    target = dev_only_changes(history)
    head = git(history.repo, "rev-parse", "HEAD").strip()
    data = plan_json(history, "--to", target, "--env", "dev", "--layers", "30_app")
    assert stacks_of(data) == [
        (
            "30_app",
            "dev",
            [f"{DEPLOY}/30_app/environments/dev/main.tf", f"{DEPLOY}/30_app/modules/dev_tools/main.tf"],
        )
    ]
    result = run(
        history,
        "rollback",
        "create",
        "--to",
        target,
        "--env",
        "dev",
        "--layers",
        "30_app",
        "--reason",
        "r",
        "--no-push",
    )
    assert result.exit_code == 0, result.output
    branch = next(
        b for b in git(history.repo, "branch", "--format=%(refname:short)").split() if "rollback/" in b
    )
    assert sorted(git(history.repo, "diff", "--name-only", head, branch).split()) == [
        f"{DEPLOY}/30_app/environments/dev/main.tf",
        f"{DEPLOY}/30_app/modules/dev_tools/main.tf",
    ]
    for name in git(history.repo, "diff", "--name-only", head, branch).split():
        assert git(history.repo, "show", f"{branch}:{name}") == git(history.repo, "show", f"{target}:{name}")


def test_a_module_shared_with_stacks_outside_the_selection_is_refused(history: History) -> None:
    # c1..HEAD changes the component that 30_app/prod calls too (through billing_app).
    for command in ("plan", "create"):
        extra = ["--reason", "r", "--no-push"] if command == "create" else []
        result = run(
            history, "rollback", command, "--to", history.c1, "--env", "dev", "--layers", "30_app", *extra
        )
        assert result.exit_code == 2, result.output
        assert f"{DEPLOY}/components/lambda_function/src/handler.py" in result.stderr
        assert "30_app/prod" in result.stderr
        assert "without --env" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert "rollback/" not in git(history.repo, "branch")


def test_a_stack_added_after_the_target_is_named_with_its_live_resources(history: History) -> None:
    commit(
        history.repo, "new stack", {f"{DEPLOY}/30_app/environments/stage/main.tf": stack("30_app", "stage")}
    )
    data = plan_json(history, "--to", history.c5)
    assert any("30_app/stage did not exist at" in w and "terraform destroy" in w for w in data["warnings"]), (
        data["warnings"]
    )


# --- the plan check of mode direct ---------------------------------------------------------------


def plan_document(*changes: tuple[str, str, list[str], dict[str, Any]]) -> str:
    return json.dumps(
        {
            "format_version": "1.2",
            "planned_values": {"root_module": {}},
            "resource_changes": [
                {"address": address, "type": type_, "change": {"actions": actions, "before": before}}
                for address, type_, actions, before in changes
            ],
        }
    )


def test_check_plan_refuses_a_destroy_or_replace_of_the_backend_in_10_core(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(
        plan_document(
            ("aws_s3_bucket.state", "aws_s3_bucket", ["delete"], {"bucket": "tt-practice-tf-state-dev-1"}),
            ("aws_kms_key.state", "aws_kms_key", ["create", "delete"], {"key_id": "k-1"}),
            ("aws_dynamodb_table.locks", "aws_dynamodb_table", ["update"], {"name": "tt-practice-tf-locks"}),
            ("aws_sqs_queue.q", "aws_sqs_queue", ["delete"], {}),
        )
    )
    result = CliRunner().invoke(main, ["rollback", "check-plan", "--layer", "10_core", str(plan)])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "destroy aws_s3_bucket.state (tt-practice-tf-state-dev-1)" in line
    assert "replace aws_kms_key.state (k-1)" in line
    assert "dynamodb" not in line and "sqs" not in line
    # Another layer, or a plan that keeps them: fine.
    result = CliRunner().invoke(main, ["rollback", "check-plan", "--layer", "30_app", str(plan)])
    assert result.exit_code == 0, result.output
    plan.write_text(plan_document(("aws_kms_key.state", "aws_kms_key", ["update"], {})))
    result = CliRunner().invoke(main, ["rollback", "check-plan", "--layer", "10_core", str(plan)])
    assert result.exit_code == 0, result.output
