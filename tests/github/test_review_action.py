"""The action's review step, run as the runner runs it (tests/action/test_action.py's runner), against the
local GitHub fake: it reads the check's report with the comment's key and token, and its inputs are data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.action.test_action import TOKEN, run_action, use_this_venv
from tests.github.github_server import PR, REPO, FakeGitHub, serve

BOT = "github-actions[bot]"


def event(tmp_path: Path) -> Path:
    path = tmp_path / "pull.json"
    path.write_text(json.dumps({"pull_request": {"number": PR, "head": {"sha": "0" * 40}}}), encoding="utf-8")
    return path


def reviews_asked(github: FakeGitHub) -> list[str]:
    return [target.split("?")[0] for _, _, target in github.requests if f"/pulls/{PR}/" in target]


@pytest.mark.action
def test_the_review_step_reads_the_report_and_hostile_inputs_stay_data(tmp_path: Path) -> None:
    env = use_this_venv() | {"GITHUB_REPOSITORY": REPO}
    with serve(FakeGitHub(tokens={TOKEN: BOT})) as github:
        github.change("examples/failing/README.md", "@@ -1 +1 @@\n-a\n+b\n")
        run = run_action(tmp_path, {"path": "examples/failing"}, github.url, env, event=event(tmp_path))

        review = run.step("review")
        assert review.returncode == 0, run.log
        assert review.stdout.startswith("ttgate review: 0 suggestions on the diff (0 posted"), review.stdout
        assert reviews_asked(github) == [
            f"/repos/{REPO}/pulls/{PR}/files",
            f"/repos/{REPO}/pulls/{PR}/comments",
        ]
        assert run.returncode == 1  # the check's findings decide, as before

        github.requests.clear()
        hostile = "3\n::error::pwned"
        run = run_action(
            tmp_path,
            {"path": "examples/failing", "max-suggestions": hostile},
            github.url,
            env,
            event=event(tmp_path),
        )
        review = run.step("review")
        assert review.returncode == 0 and "pwned" not in review.stdout + review.stderr
        assert review.stdout.startswith("::warning title=ttgate::the max-suggestions input must be a number")
        assert reviews_asked(github) == []

        run = run_action(
            tmp_path,
            {"path": "examples/failing", "suggestions": "false"},
            github.url,
            env,
            event=event(tmp_path),
        )
        assert run.step("review").stdout == "suggestions: false, so no review suggestions\n"
        assert reviews_asked(github) == []
