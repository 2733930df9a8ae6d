"""`ttgate check`'s command line under hostile use (issue 10): bounded --jobs, exit statuses kept with
--debug, and report files that never overwrite an input or write through a link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ttgate.cli import main

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "tests" / "plans" / "dev" / "20_infra.json"
MAIN_TF = 'resource "aws_sqs_queue" "q" {\n  name = "tt-practice-dev-jobs-queue"\n}\n'


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"TTGATE_DEBUG": ""})


def _one_line_error(result: Result, *expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("ttgate: error: ") and len(result.stderr.splitlines()) == 1
    for text in expected:
        assert text in result.stderr


@pytest.mark.parametrize("jobs", ["0", "-1", "65", "100000"])
def test_jobs_outside_1_to_64_is_refused_in_one_line(jobs: str) -> None:
    _one_line_error(_invoke("check", "--plan", f"20_infra/dev={PLAN}", "--jobs", jobs), f"--jobs {jobs}: ")


def test_jobs_within_range_runs() -> None:
    assert _invoke("check", "--plan", f"20_infra/dev={PLAN}", "--jobs", "64").exit_code in (0, 1)


@pytest.mark.parametrize("debug", [["--debug"], []])
def test_a_user_error_exits_2_with_or_without_debug(debug: list[str]) -> None:
    result = _invoke("check", "no/such/dir", *debug)
    assert result.exit_code == 2
    assert ("Traceback" in result.stderr) == bool(debug)


def _stack(tmp_path: Path) -> Path:
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "main.tf").write_text(MAIN_TF, encoding="utf-8")
    (stack / "dev.tfvars").write_text('x = "1"\n', encoding="utf-8")
    return stack


@pytest.mark.parametrize("victim", ["main.tf", "dev.tfvars", "new.tf", ".ttgate.yml"])
def test_a_report_never_overwrites_a_terraform_or_policy_file(tmp_path: Path, victim: str) -> None:
    stack = _stack(tmp_path)
    before = {path.name: path.read_bytes() for path in stack.iterdir()}
    _one_line_error(
        _invoke("check", str(stack), "--format", f"json:{stack / victim}"), "write the report elsewhere"
    )
    assert {path.name: path.read_bytes() for path in stack.iterdir()} == before


def test_a_report_never_overwrites_a_plan_var_file_or_policy(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_bytes(PLAN.read_bytes())
    policy = tmp_path / "policy.yml"
    policy.write_text("extends: runbook\n", encoding="utf-8")
    variables = tmp_path / "ci.vars"
    variables.write_text('x = "1"\n', encoding="utf-8")
    for victim in (plan, policy, variables):
        before = victim.read_bytes()
        result = _invoke(
            "check",
            *("--plan", f"20_infra/dev={plan}", "--policy", str(policy), "--var-file", str(variables)),
            *("--format", f"sarif:{victim}"),
        )
        _one_line_error(result, "is one of the files this check reads")
        assert victim.read_bytes() == before


def test_a_report_never_writes_through_a_symbolic_link(tmp_path: Path) -> None:
    target = tmp_path / "outside.txt"
    target.write_text("keep\n", encoding="utf-8")
    link = tmp_path / "report.json"
    link.symlink_to(target)
    _one_line_error(
        _invoke("check", "--plan", f"20_infra/dev={PLAN}", "--format", f"json:{link}"), "symbolic link"
    )
    assert target.read_text(encoding="utf-8") == "keep\n" and link.is_symlink()


def test_a_report_replaces_a_regular_file_and_writes_to_a_device(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("old", encoding="utf-8")
    result = _invoke("check", "--plan", f"20_infra/dev={PLAN}", "--format", f"json:{report}")
    assert result.exit_code in (0, 1) and report.read_text(encoding="utf-8").startswith("{")
    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]  # no temporary file left
    devnull = _invoke("check", "--plan", f"20_infra/dev={PLAN}", "--format", f"json:{os.devnull}")
    assert devnull.exit_code in (0, 1), devnull.output


@pytest.mark.parametrize("option", ["--plan", "--var-file"])
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/dev/null", "not a regular file"),
        (str(REPO / "tests"), "is a directory"),
        ("nope.json", "no such file"),
    ],
    ids=["device", "directory", "missing"],
)
def test_a_plan_or_var_file_that_is_not_a_file_says_what_it_is(option: str, path: str, expected: str) -> None:
    _one_line_error(
        _invoke("check", str(REPO / "examples" / "passing"), option, path), f"{option} {path}: {expected}"
    )
