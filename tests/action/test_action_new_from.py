"""action.yml on a pull request: --changed-from and --new-from the base commit by default, check-all to
check everything (tests/action/test_action.py's runner, with its stub ttgate that records its arguments).
"""

from __future__ import annotations

import json
import subprocess
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
