"""The command line: exit codes, reports, and one clear line for every input a user can get wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.helpers import stack, write_tree
from ttgate.cli import main
from ttgate.errors import UserError
from ttgate.gate.rules import RULES

REPO = Path(__file__).resolve().parents[2]

QUEUE_AND_CONSUMER = """
resource "aws_sqs_queue" "main" {
  name                       = "tt-practice-dev-main-queue"
  visibility_timeout_seconds = var.visibility
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 3
  })
}

resource "aws_sqs_queue" "dlq" {
  name                      = "tt-practice-dev-main-dlq"
  message_retention_seconds = 1209600
}

resource "aws_cloudwatch_metric_alarm" "dlq" {
  alarm_name          = "tt-practice-dev-main-dlq-messages-alarm"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  period              = 60
  evaluation_periods  = 1
}

resource "aws_cloudwatch_log_group" "worker" {
  name              = "/aws/lambda/tt-practice-dev-worker"
  retention_in_days = 14
}

variable "visibility" {
  default = 60
}

resource "aws_lambda_function" "worker" {
  function_name = "tt-practice-dev-worker"
  timeout       = 30
}

resource "aws_lambda_event_source_mapping" "worker" {
  event_source_arn = aws_sqs_queue.main.arn
  function_name    = aws_lambda_function.worker.arn
}
"""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "ttgate", *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ttgate: error: ")
    return lines[0]


def only(root: Path, *rules: str) -> Path:
    """Turn off every rule but ``rules`` under root (.ttgate.yml): the command line's behaviour on a
    tree is then asserted on those rules' findings, whatever rules are added to the gate later."""
    others = {rule: {"enabled": False} for rule in RULES if rule not in rules}
    (root / ".ttgate.yml").write_text(yaml.safe_dump({"rules": others}), encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A queue whose visibility (var.visibility = 60) is too short for its consumer: TG201, and only it."""
    return only(write_tree(tmp_path, stack("20_infra", "dev", main=QUEUE_AND_CONSUMER)), "TG000", "TG201")


def test_findings_exit_1_and_json_report_follows_the_schema(tree: Path) -> None:
    result = run("check", ".", "--format", "json", cwd=tree)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["version"] == 1
    assert report["tool"]["name"] == "ttgate"
    assert report["summary"]["errors"] >= 1
    finding = next(f for f in report["findings"] if f["rule"] == "TG201")
    assert finding["file"] == "practice/deploy/20_infra/environments/dev/main.tf"
    assert finding["line"] == 3
    assert finding["stack"] == "practice/deploy/20_infra/environments/dev"
    assert (finding["layer"], finding["env"], finding["source"]) == ("20_infra", "dev", "hcl")
    assert finding["address"] == "aws_sqs_queue.main"
    assert set(finding) >= {
        "rule",
        "name",
        "severity",
        "message",
        "file",
        "line",
        "end_line",
        "address",
        "stack",
        "layer",
        "env",
        "source",
        "suppressed",
        "fix",
    }


def test_fail_on_decides_the_exit_status(tree: Path) -> None:
    (tree / "practice/deploy/20_infra/environments/dev/terraform.tfvars").write_text("visibility = 180\n")
    assert run("check", ".", cwd=tree).returncode == 0
    (tree / "practice/deploy/20_infra/environments/dev/terraform.tfvars").write_text("visibility = 100\n")
    assert run("check", ".", cwd=tree).returncode == 1
    assert run("check", ".", "--fail-on", "never", cwd=tree).returncode == 0


def test_text_report_groups_by_stack_and_file_and_ends_with_a_summary(tree: Path) -> None:
    result = run("check", ".", cwd=tree)
    lines = result.stdout.splitlines()
    assert lines[0] == "practice/deploy/20_infra/environments/dev  [20_infra / dev]"
    assert lines[1] == "  practice/deploy/20_infra/environments/dev/main.tf"
    assert "error   TG201 sqs-visibility-timeout" in lines[2]
    assert "fix: Set visibility_timeout_seconds to at least 180" in result.stdout
    assert lines[-1].startswith("1 error, ")


def test_several_formats_at_once(tree: Path) -> None:
    result = run("check", ".", "--format", "text", "--format", "json:out/report.json", cwd=tree)
    assert "TG201" in result.stdout
    assert result.returncode == 2  # out/ does not exist: nothing is half-written
    (tree / "out").mkdir()
    result = run("check", ".", "--format", "text", "--format", "json:out/report.json", cwd=tree)
    assert result.returncode == 1
    assert json.loads((tree / "out/report.json").read_text())["summary"]["errors"] == 1


def test_broken_hcl_is_tg000_and_the_other_files_are_still_checked(tree: Path) -> None:
    broken = tree / "practice/deploy/20_infra/environments/dev/broken.tf"
    broken.write_text('resource "aws_sqs_queue" "x" {\n  name = "a"\n')
    result = run("check", ".", "--format", "json", cwd=tree)
    rules = {(f["rule"], f["file"], f["line"]) for f in json.loads(result.stdout)["findings"]}
    assert ("TG000", "practice/deploy/20_infra/environments/dev/broken.tf", 3) in rules
    assert ("TG201", "practice/deploy/20_infra/environments/dev/main.tf", 3) in rules


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "no/such/dir"], "no/such/dir: no such file or directory"),
        (["check", ".", "--format", "xml"], 'unknown format "xml"'),
        (["check", ".", "--format", "text", "--format", "json"], "only one format can go to the terminal"),
        (["check", ".", "--policy", "missing.yml"], "missing.yml"),
        (["check", ".", "--var-file", "nope.tfvars"], "--var-file nope.tfvars: no such file"),
        (["check", "--plan", "nope.json"], "--plan nope.json: no such file"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(tree: Path, args: list[str], message: str) -> None:
    assert message in one_line_error(run(*args, cwd=tree))


def test_a_policy_that_is_not_yaml_is_one_line(tree: Path) -> None:
    (tree / ".ttgate.yml").write_text("rules: [unclosed\n")
    line = one_line_error(run("check", ".", cwd=tree))
    assert ".ttgate.yml" in line


def test_a_bad_policy_key_names_file_line_and_key(tree: Path) -> None:
    (tree / ".ttgate.yml").write_text("rules:\n  TG201:\n    multiplier: six\n")
    line = one_line_error(run("check", ".", cwd=tree))
    assert ".ttgate.yml:3" in line and "rules.TG201.multiplier" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_one_line(tree: Path) -> None:
    secret = tree / "practice/deploy/20_infra/environments/dev/locked.tf"
    secret.write_text("locals {}\n")
    secret.chmod(0)
    try:
        assert "locked.tf" in one_line_error(run("check", ".", cwd=tree))
    finally:
        secret.chmod(0o644)


def test_no_stack_found_says_so(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "no Terraform here\n", ".terraform/modules/x/main.tf": ""})
    result = run("check", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert "no Terraform configuration found" in result.stdout


def test_a_module_library_is_checked_and_said_so(tmp_path: Path) -> None:
    only(write_tree(tmp_path, {"modules/q/main.tf": 'resource "aws_sqs_queue" "q" {}\n'}), "TG201")
    result = run("check", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert "1 module directory that no root calls checked as roots" in result.stdout
    assert "modules/q" in result.stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from ttgate.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('hcl2', 'lark', 'jinja2', 'boto3', 'github', 'yaml') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for command in ("check", "explain"):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output


# A user error each command refuses before touching git, AWS or GitHub.
REFUSED = {
    "check": ["check", "no/such/dir"],
    "locks": ["locks", "release", " ", "--env", "dev"],
    "state": ["state", "restore", "--layer", "30_app", "--env", "dev", "--version-id", "v", "--upload"],
    "rollback": ["rollback", "create", "--to", "abc1234"],
}


@pytest.mark.parametrize("command", sorted(REFUSED))
@pytest.mark.parametrize("where", ["before", "after", "env"])
def test_debug_shows_the_error_itself_before_or_after_any_command(command: str, where: str) -> None:
    args = REFUSED[command]
    if where == "before":
        args = ["--debug", *args]
    elif where == "after":
        args = [*args, "--debug"]
    result = CliRunner().invoke(main, args, env={"TTGATE_DEBUG": "1" if where == "env" else ""})
    assert result.exit_code == 2 and f"{UserError.__module__}.UserError: " in result.stderr, result.output


@pytest.mark.parametrize("command", sorted(REFUSED))
def test_without_debug_the_same_error_is_one_line(command: str) -> None:
    result = CliRunner().invoke(main, REFUSED[command], env={"TTGATE_DEBUG": ""})
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("ttgate: error: ") and len(result.stderr.splitlines()) == 1


def test_an_internal_error_is_exit_3_and_debug_shows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr("ttgate.gate.run.run_gate", broken)
    monkeypatch.delenv("TTGATE_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 3
    assert result.stderr.startswith("ttgate: internal error: KeyError: 'bug' (run again with --debug")
    debugged = CliRunner().invoke(main, ["check", ".", "--debug"])
    assert debugged.exit_code == 3 and "Traceback" in debugged.stderr and "KeyError: 'bug'" in debugged.stderr


def test_python_dash_m_and_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("ttgate, version ")


def test_examples_pass_and_fail_as_the_readme_says() -> None:
    assert run("check", "examples/passing", cwd=REPO).returncode == 0
    failing = run("check", "examples/failing", "--format", "json", cwd=REPO)
    assert failing.returncode == 1
    assert json.loads(failing.stdout)["summary"]["errors"] > 0
