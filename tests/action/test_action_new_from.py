"""action.yml on a pull request: --changed-from and --new-from the base commit by default, check-all to
check everything (tests/action/test_action.py's runner, with its stub ttgate that records its arguments).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.action.test_action import REPO, calls, pull_request_event, run_action, stub_venv


def head_of_this_repository() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.skip("the action's tests run in a git checkout of ttgate to have a base commit")
    return result.stdout.strip()


def event_with_base(tmp_path: Path, base: object) -> Path:
    path = pull_request_event(tmp_path / "event.json")
    event = json.loads(path.read_text(encoding="utf-8"))
    event["pull_request"]["base"]["sha"] = base
    path.write_text(json.dumps(event), encoding="utf-8")
    return path


def check_args(tmp_path: Path, with_: dict[str, str], event: Path, **env: str) -> tuple[list[str], str]:
    venv, log = stub_venv(tmp_path)
    run = run_action(
        tmp_path,
        {"path": "examples/failing", "comment": "off"} | with_,
        extra_env={"TTGATE_VENV": str(venv), "STUB_LOG": str(log)} | env,
        event=event,
    )
    assert run.returncode == 0, run.log
    return next(args for args in calls(log) if args[:1] == ["check"]), run.step("check").stdout


def test_a_pull_request_is_checked_against_its_base_commit(tmp_path: Path) -> None:
    base = head_of_this_repository()
    args, _ = check_args(tmp_path, {}, event_with_base(tmp_path, base))
    assert args[:6] == ["check", "examples/failing", "--changed-from", base, "--new-from", base]


def test_check_all_checks_everything(tmp_path: Path) -> None:
    base = head_of_this_repository()
    args, _ = check_args(tmp_path, {"check-all": "true"}, event_with_base(tmp_path, base))
    assert "--new-from" not in args and "--changed-from" not in args


def test_other_events_check_everything(tmp_path: Path) -> None:
    base = head_of_this_repository()
    args, _ = check_args(tmp_path, {}, event_with_base(tmp_path, base), GITHUB_EVENT_NAME="push")
    assert "--new-from" not in args and "--changed-from" not in args


@pytest.mark.parametrize("base", ["f" * 40, "$(touch pwned)", "--upload-pack=touch pwned", 7, None])
def test_a_base_commit_that_cannot_be_had_checks_everything_with_a_warning(
    tmp_path: Path, base: object
) -> None:
    args, stdout = check_args(tmp_path, {}, event_with_base(tmp_path, base))
    assert "--new-from" not in args and "--changed-from" not in args
    if base == "f" * 40:  # well formed but not in the clone, and fetching it fails: said, never silent
        assert f"::warning title=ttgate::the base commit {base} could not be fetched" in stdout
    assert not list(REPO.glob("pwned*")) and not list(tmp_path.glob("pwned*"))


def test_a_check_all_that_is_not_true_or_false_stops_the_gate(tmp_path: Path) -> None:
    venv, log = stub_venv(tmp_path)
    run = run_action(
        tmp_path,
        {"path": "examples/failing", "comment": "off", "check-all": "yes"},
        extra_env={"TTGATE_VENV": str(venv), "STUB_LOG": str(log)},
    )
    assert run.step("check").stdout == "::error title=ttgate::check-all: expected true or false\n"
    assert run.returncode == 2 and run.steps[-1].name == "Decide"


def test_the_token_fetches_the_base_and_never_reaches_ttgate(tmp_path: Path) -> None:
    """The fetch gets the token through git's environment; ttgate check, reading the PR's files, does not."""
    venv, log = stub_venv(tmp_path)
    stub = venv / "bin" / "ttgate"
    stub.rename(venv / "bin" / "ttgate-stub")
    stub.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "if sys.argv[1:2] == ['check']:\n"
        "    leaked = [name for name, value in os.environ.items() if 'secret-token' in value]\n"
        "    open(os.environ['ENV_LOG'], 'w').write(repr(leaked))\n"
        "os.execv(sys.argv[0] + '-stub', [sys.argv[0] + '-stub', *sys.argv[1:]])\n",
        encoding="utf-8",
    )
    stub.chmod(0o755)
    env_log = tmp_path / "env.log"
    run = run_action(
        tmp_path,
        {"path": "examples/failing", "comment": "off", "github-token": "secret-token"},
        extra_env={"TTGATE_VENV": str(venv), "STUB_LOG": str(log), "ENV_LOG": str(env_log)},
        event=event_with_base(tmp_path, "e" * 40),
    )
    assert run.returncode == 0, run.log
    assert env_log.read_text(encoding="utf-8") == "[]"
    assert "secret-token" not in run.log
