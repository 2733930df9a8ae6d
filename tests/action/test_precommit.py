"""The pre-commit hook (.pre-commit-hooks.yaml), run by pre-commit itself on a temporary git repository.

A user's .pre-commit-config.yaml names this repository and a rev; `pre-commit run` clones it, builds the
hook's virtualenv (pip install) and runs the hook on the files. Here the rev is a snapshot of this working
tree, made once, and both runs share one PRE_COMMIT_HOME, so the virtualenv is built once: the first run
takes seconds, the second about one. (`pre-commit try-repo` would build it again on every call: it keeps
its store in a new temporary directory.) Skipped when pre-commit is not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.prefix) / "bin" / "pre-commit"


HOOK = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]


def test_the_hook_runs_once_on_what_the_gate_checks() -> None:
    assert HOOK["id"] == "ttgate" and HOOK["entry"] == "ttgate check" and HOOK["language"] == "python"
    assert HOOK["pass_filenames"] is False and HOOK["require_serial"] is True


@pytest.mark.parametrize(
    ("name", "triggers"),
    [
        ("stacks/app/main.tf", True),
        ("stacks/app/main.tf.json", True),
        ("stacks/app/terraform.tfvars", True),
        ("stacks/app/prod.tfvars.json", True),
        ("live/app/terragrunt.hcl", True),
        (".ttgate.yml", True),
        ("stacks/.ttgate.yaml", True),
        ("README.md", False),
        ("stacks/app/main.tfstate", False),
        ("docs/hcl.hcl", False),
    ],
)
def test_the_hook_runs_for_every_file_the_gate_reads(name: str, triggers: bool) -> None:
    assert (re.search(HOOK["files"], name) is not None) is triggers


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree, uncommitted changes included, as a clean repository and its rev."""
    snapshot = tmp_path_factory.mktemp("ttgate-repository")
    listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_symlink() or source.is_file():  # a file deleted but not yet committed is still listed
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name, follow_symlinks=False)
    git(snapshot, "init", "-q")
    git(snapshot, "add", "-A")
    git(snapshot, "-c", "user.name=tests", "-c", "user.email=tests@ttgate.invalid", "commit", "-qm", "x")
    return snapshot, git(snapshot, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by both runs (one xdist worker runs both): pre-commit builds the hook's virtualenv once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.mark.precommit
@pytest.mark.xdist_group("pre-commit-home")
@pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is not installed in this virtualenv")
@pytest.mark.parametrize(("example", "passes"), [("passing", True), ("failing", False)])
def test_pre_commit_runs_the_hook_on_a_temporary_repository(
    tmp_path: Path, hook_repository: tuple[Path, str], pre_commit_home: Path, example: str, passes: bool
) -> None:
    repository, rev = hook_repository
    work = tmp_path / "infra"
    shutil.copytree(REPO / "examples" / example, work)
    config = {"repos": [{"repo": str(repository), "rev": rev, "hooks": [{"id": "ttgate"}]}]}
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    git(work, "init", "-q")
    git(work, "add", ".")
    done = subprocess.run(
        [str(PRE_COMMIT), "run", "--all-files"],
        cwd=work,
        env={
            "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PRE_COMMIT_HOME": str(pre_commit_home),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (done.returncode == 0) is passes, done.stdout + done.stderr
    assert "ttgate check" in done.stdout
    if not passes:
        assert "TG201" in done.stdout


@pytest.mark.precommit
@pytest.mark.xdist_group("pre-commit-home")
@pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is not installed in this virtualenv")
@pytest.mark.parametrize(
    "changed",
    [
        "practice/deploy/20_infra/modules/sqs/main.tf",  # a shared module alone: TG201 is in its callers
        "practice/deploy/20_infra/environments/prod/terraform.tfvars",  # a tfvars file alone
    ],
)
def test_a_commit_changing_only_a_module_or_a_tfvars_file_fails_as_the_gate_does(
    tmp_path: Path, hook_repository: tuple[Path, str], pre_commit_home: Path, changed: str
) -> None:
    repository, rev = hook_repository
    work = tmp_path / "infra"
    shutil.copytree(REPO / "examples" / "failing", work)
    config = {"repos": [{"repo": str(repository), "rev": rev, "hooks": [{"id": "ttgate"}]}]}
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    git(work, "init", "-q")
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@ttgate.invalid", "commit", "-qm", "the tree as it is")
    with (work / changed).open("a", encoding="utf-8") as handle:
        handle.write("\n# a comment: the commit changes this file and nothing else\n")
    git(work, "add", changed)
    done = subprocess.run(
        [str(PRE_COMMIT), "run"],  # the staged files, as on `git commit`
        cwd=work,
        env={
            "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PRE_COMMIT_HOME": str(pre_commit_home),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ttgate check" in done.stdout and "Failed" in done.stdout
    assert done.stdout.count("TG201") >= 2  # the queue module's findings, in the stacks that call it
