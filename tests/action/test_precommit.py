"""The pre-commit hook (.pre-commit-hooks.yaml), run by pre-commit itself on a temporary git repository.

A user's .pre-commit-config.yaml names this repository and a rev; `pre-commit run` clones it, builds the
hook's virtualenv (pip install) and runs the hook on the files. Here the rev is a snapshot of this working
tree, made once, and both runs share one PRE_COMMIT_HOME, so the virtualenv is built once: the first run
takes seconds, the second about one. (`pre-commit try-repo` would build it again on every call: it keeps
its store in a new temporary directory.) Skipped when pre-commit is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.prefix) / "bin" / "pre-commit"


def test_the_hook_checks_the_stacks_of_terraform_files_only() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "ttgate" and hook["entry"] == "ttgate check" and hook["language"] == "python"
    assert hook["pass_filenames"] is True and hook["files"] == r"\.tf$"


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
