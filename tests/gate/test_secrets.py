"""Issue 10, secrets: a value declared sensitive, or marked sensitive by a plan, is in no output.

The canaries are set the three ways a job receives secrets: ``TF_VAR_`` in the environment, a tfvars
file, and a plan's ``after_sensitive``. Each report format and the pull-request comment body are
searched for them; the findings that use those values must still be there, saying ``(sensitive)``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import write_tree
from ttgate.cli import main
from ttgate.gate.reporters import FORMATS
from ttgate.gate.reporters.markdown import Links, comment_body
from ttgate.gate.run import Inputs, run_gate
from ttgate.gate.values import SENSITIVE, display, mark_sensitive

REPO = Path(__file__).resolve().parents[2]
PLANS = REPO / "tests" / "plans" / "dev"
PLAN_CANARY = "CANARY-s3cr3t-7f1d"  # in tests/plans/dev/30_app.json, marked by after_sensitive
ENV_CANARY = "envcanary"
TFVARS_CANARY = "tfvarscanary"
INFRA_DEV = "practice/deploy/20_infra/environments/dev"


def hostile_tree(root: Path) -> Path:
    """examples/failing with 20_infra/dev's project from TF_VAR_, its environment from tfvars, and its
    DLQ retention from tfvars: all three declared sensitive."""
    shutil.copytree(REPO / "examples" / "failing" / "practice", root / "practice")
    infra = root / INFRA_DEV
    variables = (infra / "variables.tf").read_text(encoding="utf-8")
    variables = variables.replace('variable "project" {\n', 'variable "project" {\n  sensitive = true\n')
    variables = variables.replace(
        'variable "environment" {\n', 'variable "environment" {\n  sensitive = true\n'
    )
    variables += '\nvariable "retention" {\n  sensitive = true\n}\n'
    events = (infra / "events.tf").read_text(encoding="utf-8")
    events = events.replace(
        "message_retention_seconds = 345600 # 4 days", "message_retention_seconds = var.retention"
    )
    tfvars = (infra / "terraform.tfvars").read_text(encoding="utf-8")
    tfvars = tfvars.replace('environment = "dev"', f'environment = "{TFVARS_CANARY}"')
    return write_tree(
        root,
        {
            f"{INFRA_DEV}/variables.tf": variables,
            f"{INFRA_DEV}/events.tf": events,
            f"{INFRA_DEV}/terraform.tfvars": tfvars + "retention = 345601\n",
        },
    )


def plan_args() -> list[str]:
    return [
        arg
        for layer in ("10_core", "20_infra", "30_app")
        for arg in ("--plan", f"{layer}/dev={PLANS / f'{layer}.json'}")
    ]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TF_VAR_project", ENV_CANARY)
    monkeypatch.chdir(hostile_tree(tmp_path / "repo"))
    return tmp_path / "repo"


def assert_no_secret(where: str, text: str) -> None:
    for canary in (ENV_CANARY, TFVARS_CANARY, PLAN_CANARY, "345601"):
        assert canary not in text, f"{canary} leaked into {where}"


@pytest.mark.parametrize("report_format", sorted(FORMATS))
def test_no_sensitive_value_in_any_format(tree: Path, tmp_path: Path, report_format: str) -> None:
    out = tmp_path / "report"
    args = ["check", "practice", *plan_args(), "--fail-on", "never", "--format", "text"]
    result = CliRunner().invoke(main, [*args, "--format", f"{report_format}:{out}"])
    assert result.exit_code == 0, result.stderr
    report = out.read_text(encoding="utf-8")
    assert "TG203" in result.stdout and "TG203" in report, "the findings that use the secrets are gone"
    for where, text in (("stdout", result.stdout), ("stderr", result.stderr), (report_format, report)):
        assert_no_secret(where, text)


def test_no_sensitive_value_in_the_comment_body(tree: Path) -> None:
    plans = [arg for arg in plan_args() if arg != "--plan"]
    from ttgate.gate.run import check_inputs

    inputs: Inputs = check_inputs([Path("practice")], plans, [])
    report = run_gate(inputs, root=None, policy_file=None, cache=False, jobs=1)
    body = comment_body(report, "key", Links(repo="o/r", sha="abc"))
    assert "TG203" in body
    assert_no_secret("the comment body", body)


def test_a_sensitive_number_is_still_checked_and_shown_as_sensitive(tree: Path) -> None:
    result = CliRunner().invoke(main, ["check", "practice", "--fail-on", "never"])
    finding = re.search(r"TG203 dlq-retention\n(.*?)\n    \d", result.stdout, re.DOTALL)
    assert finding is not None, result.stdout
    assert "Dead-letter queue (sensitive)" in finding.group(1)
    assert "var.retention = (sensitive)" in finding.group(1)


def test_origin_notes_name_the_variable_without_its_value(tree: Path) -> None:
    result = CliRunner().invoke(main, ["check", "practice", "--fail-on", "never"])
    assert "↳ var.environment = (sensitive)" in result.stdout
    assert "↳ var.project = (sensitive)" in result.stdout


def test_marked_values_compute_as_themselves_and_show_as_sensitive() -> None:
    marked = mark_sensitive({"name": "hunter2", "timeout": 30, "ratio": 1.5, "list": ["x"], "on": True})
    assert marked["timeout"] * 6 == 180 and marked["timeout"] >= 30 and marked["name"] == "hunter2"
    for value in (marked["name"], marked["timeout"], marked["ratio"]):
        assert display(value) == f"{value}" == str(value) == repr(value) == SENSITIVE
    assert "hunter2" not in repr(marked) and marked["on"] is True
