"""The pre-commit hook (.pre-commit-hooks.yaml), run by pre-commit itself on a temporary git repository.

`pre-commit try-repo` installs this repository as pre-commit does for a user's config (a clone, a
virtualenv, pip install) and runs the hook on the staged files. Skipped when pre-commit is not installed.
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


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by both runs: pre-commit builds the hook's virtualenv once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is not installed in this virtualenv")
@pytest.mark.parametrize(("example", "passes"), [("passing", True), ("failing", False)])
def test_pre_commit_runs_the_hook_on_a_temporary_repository(
    tmp_path: Path, example: str, passes: bool
) -> None:
    work = tmp_path / "infra"
    shutil.copytree(REPO / "examples" / example, work)
    git(work, "init", "-q")
    git(work, "add", ".")
    done = subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(REPO), "ttgate", "--all-files"],
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
