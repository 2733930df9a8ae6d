"""action.yml under hostile inputs, run as a runner runs it (tests/action/test_action.py's runner).

Every input is attacker-controlled text in some workflow (a matrix value, a PR title passed on, a
workflow_dispatch field). Whatever they hold: the gate's result is the check's, Decide fails on the
example's 9 errors, no step output is added or replaced, and nothing becomes a workflow command.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.action.test_action import (
    ACTION,
    ARTIFACT_URL,
    Services,
    StepRun,
    run_action,
    serve_fake_github,
    use_this_venv,
)
from tests.expectations import count, examples_failing

# What each step may write, and nothing else.
STEP_OUTPUTS = {
    "prepare": {
        "mode",
        "fail-on",
        "policy",
        "sarif-file",
        "key",
        "artifact",
        "docs-url",
        "cache-key",
        "venv",
        "parse-cache-prefix",
        "parse-cache-key",
        "parse-cache",
    },
    "install": {"bin", "installed"},
    "check": {"json-report", "sarif-file", "exit-code", "errors", "warnings", "notices", "suppressed"},
    "comment": {"comment-url"},
    "review": set(),
    None: set(),
}
INJECTED = "\nexit-code=0\nerrors=0\ndocs-url=javascript:alert(1)\n::error::pwned"
ERRORS = count(examples_failing(), "error")


def assert_outputs_are_the_steps_own(steps: list[StepRun]) -> None:
    for step in steps:
        assert set(step.outputs) <= STEP_OUTPUTS[step.id], (step.id, step.outputs)


def test_the_example_has_nine_errors() -> None:
    assert ERRORS == 9


@pytest.mark.action
def test_hostile_but_well_formed_inputs_are_data(tmp_path: Path) -> None:
    key = 'k exit-code=0 <<EOF docs-url=x ::error::x %0A --> `id` $(id) "quoted"'
    sarif = tmp_path / "a<<EOF=exit-code=0 b.sarif"
    docs = "https://docs.example/exit-code=0/errors=0"
    with serve_fake_github() as github:
        run = run_action(
            tmp_path,
            {"path": "examples/failing", "comment-key": key, "docs-url": docs, "sarif-file": str(sarif)},
            github.url,
            use_this_venv(),
        )
    assert run.returncode == 1, run.log
    assert run.steps[-1].name == "Decide" and run.steps[-1].returncode == 1
    assert run.outputs["errors"] == str(ERRORS)
    assert run.step("check").outputs["exit-code"] == "1"
    assert run.step("prepare").outputs["key"] == key
    assert run.step("prepare").outputs["docs-url"] == docs
    assert run.outputs["sarif-file"] == str(sarif) and sarif.is_file()
    # automationDetails only when asked (TTGATE_SARIF_ID): upload-sarif's category: is then the one used.
    assert "automationDetails" not in json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]
    assert_outputs_are_the_steps_own(run.steps)
    assert f"[an artifact of the workflow run]({ARTIFACT_URL})" in github.comments[0]["body"]


@pytest.mark.parametrize("name", sorted(ACTION["inputs"]))
def test_a_newline_in_any_input_never_turns_the_gate_green(tmp_path: Path, name: str) -> None:
    base = {"path": "examples/failing", "comment": "off"}
    value = (base.get(name) or str(ACTION["inputs"][name].get("default", ""))).replace(
        "${{ github.token }}", "t"
    )
    with serve_fake_github() as github:
        run = run_action(tmp_path, base | {name: value + INJECTED}, github.url, use_this_venv())

    decide = run.steps[-1]
    assert decide.name == "Decide" and decide.returncode != 0, run.log
    assert run.returncode != 0
    checks = [step for step in run.steps if step.id == "check"]
    assert all(step.outputs.get("exit-code") != "0" for step in checks)
    assert run.outputs["errors"] in ("", str(ERRORS))
    assert_outputs_are_the_steps_own(run.steps)
    prepare = run.step("prepare")
    if prepare.returncode:
        # Refused in one place, in one line: the input's text escaped, never a second command.
        (line,) = prepare.stdout.splitlines()
        assert line.startswith(f"::error title=ttgate::{name}: ") and "%0A" not in line[:30]
        assert "\\n::error::pwned" in line
        assert [step.id for step in run.steps] == ["prepare", None]
    for step in run.steps:
        assert "::error::pwned" not in step.stdout.replace("\\n::error::pwned", "")


def test_an_unknown_comment_value_never_reaches_an_error_line_raw(tmp_path: Path) -> None:
    run = run_action(tmp_path, {"comment": "x\n::warning::pwned %0A"}, extra_env=use_this_venv())
    assert run.step("prepare").stdout == (
        '::error title=ttgate::comment: unknown value "x\\n::warning::pwned %250A" '
        "(expected update, recreate, hide or off)\n"
    )


@pytest.mark.action
@pytest.mark.parametrize(("example", "status"), [("failing", 1), ("passing", 0)])
def test_without_the_artifact_the_findings_alone_decide(tmp_path: Path, example: str, status: int) -> None:
    """GitHub Enterprise Server has no upload-artifact v4, and an exhausted quota fails the upload too:
    the step warns, the comment links to the job summary, and Decide still decides."""
    with serve_fake_github() as github:
        run = run_action(
            tmp_path,
            {"path": f"examples/{example}", "comment": "always"},
            github.url,
            use_this_venv(),
            services=Services(artifact_fails=True),
        )
    assert ("Keep the full report with the run", "failure") in run.used
    assert [step.id for step in run.steps] == ["prepare", "install", "check", "comment", "review", None], (
        run.log
    )
    assert run.returncode == status, run.log
    body = github.comments[0]["body"]
    assert ARTIFACT_URL not in body and "the job summary of [the workflow run]" in body


@pytest.mark.action
def test_the_parse_cache_is_carried_to_the_next_run_and_saved_when_the_gate_fails(tmp_path: Path) -> None:
    services = Services()
    first = run_action(
        tmp_path, {"path": "examples/failing", "comment": "off"}, extra_env=use_this_venv(), services=services
    )
    assert first.returncode == 1
    assert ("Save the parse cache", "success") in first.used  # saved although the gate failed
    (saved,) = [key for key in services.store if "ttgate-parse-" in key]
    assert any(services.store[saved].iterdir())

    cache = tmp_path / "runner-temp" / "ttgate-parse-cache"
    shutil.rmtree(tmp_path / "runner-temp")  # a new runner
    second = run_action(
        tmp_path,
        {"path": "examples/failing", "comment": "off"},
        extra_env=use_this_venv() | {"GITHUB_RUN_ID": "778"},
        services=services,
    )
    assert second.returncode == 1
    assert cache.is_dir() and services.restored[-1] == saved  # from the earlier run, by prefix
