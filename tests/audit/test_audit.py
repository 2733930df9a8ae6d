"""`ttgate audit` against moto's server over HTTP, through a fault-injecting proxy: the planted drift is
found, nothing else; faults change no verdict but the denied one, which is named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.audit.account import DRIFT, PASSING, put_alarm, seed
from tests.audit.fault_proxy import Endpoint
from ttgate.cli import main
from ttgate.integrations.aws_inventory import OPERATIONS

REPO = Path(__file__).resolve().parents[2]


def audit(*args: str, status: int | None = None) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(
        main, ["audit", "--env", "dev", "--format", "json", *args, str(REPO / PASSING)]
    )
    if status is not None:
        assert result.exit_code == status, result.output
    report = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    return result.exit_code, report, result.output


def verdicts(report: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["message"].split(":", 1)[-1].strip()[:60]) for f in report["findings"])


def test_a_compliant_account_matching_the_code_is_clean(account: Endpoint) -> None:
    seed(account.moto)
    _, report, output = audit(status=0)
    assert report["findings"] == [], output


# What each planted drift must produce: the rule that catches it on deployed resources, and TG601.
PLANTED = [
    ("TG201", "Queue tt-practice-dev-main-queue"),  # visibility 100 < 6 x 60 + 5
    ("TG204", "Dead-letter queue tt-practice-dev-main-dlq"),  # its alarm deleted
    ("TG301", "Log group /aws/lambda/tt-practice-dev-worker"),  # retention removed
    ("TG601", "Alarm tt-practice-dev-main-dlq-messages-alarm is declared in code"),
    ("TG601", "Deployed function tt-practice-dev-api-server has timeout = 120; the code declares 30"),
    ("TG601", "Deployed log group /aws/lambda/tt-practice-dev-worker has retention_in_days = unset"),
    ("TG601", "Deployed queue tt-practice-dev-main-queue has visibility_timeout_seconds = 100"),
]


def found(report: dict[str, Any]) -> list[tuple[str, str]]:
    """Each finding as (rule, the PLANTED entry its message starts with, or the whole message)."""
    result = []
    for finding in report["findings"]:
        message = finding["message"].removeprefix("Deployed: ")
        match = next(
            (text for rule, text in PLANTED if rule == finding["rule"] and message.startswith(text)), message
        )
        result.append((finding["rule"], match))
    return sorted(result)


def test_every_planted_problem_is_found_and_nothing_else(account: Endpoint) -> None:
    seed(account.moto, drift=DRIFT)
    _, report, _ = audit("--fail-on", "warning", status=1)
    assert found(report) == sorted(PLANTED)
    deployed = [f for f in report["findings"] if f["rule"] != "TG601" or "Deployed" in f["message"]]
    assert all(f["address"].startswith("arn:aws:") for f in deployed)
    assert all(f["source"] == "deployed" for f in deployed)


def test_throttling_and_5xx_on_every_call_change_no_verdict(account: Endpoint) -> None:
    seed(account.moto, drift=DRIFT)
    every = [operation for operations in OPERATIONS.values() for operation in operations]
    account.faults.throttle.update(dict.fromkeys(every, 2))
    account.faults.unavailable.update(dict.fromkeys(every, 1))
    _, report, _ = audit("--fail-on", "warning", status=1)
    assert found(report) == sorted(PLANTED)
    assert not any(account.faults.throttle.values()) and not any(account.faults.unavailable.values())


def test_access_denied_on_one_service_is_named_and_the_rest_still_checked(account: Endpoint) -> None:
    seed(account.moto, drift=DRIFT)
    account.faults.denied.add("logs")
    _, report, _ = audit("--fail-on", "warning", status=1)
    denied = [f for f in report["findings"] if f["rule"] == "TG000"]
    assert [f["message"] for f in denied] == [
        "Deployed: access denied to logs:DescribeLogGroups: TG301, TG302 not checked in "
        "aws://123456789012/ap-southeast-1."
    ]
    # Every verdict that does not need the log groups is the same.
    without_logs = [item for item in PLANTED if "log group" not in item[1].lower()]
    assert [item for item in found(report) if item[0] != "TG000"] == sorted(without_logs)
    assert any(
        "not checked, for want of a complete read: TG301, TG302" in note
        for note in report["summary"]["notes"]
    )


def test_only_read_only_calls_are_made(account: Endpoint) -> None:
    seed(account.moto, drift=DRIFT)
    audit("--fail-on", "never", status=0)
    sent = set(account.faults.calls)
    allowed = {
        f"{service}:{operation}" for service, operations in OPERATIONS.items() for operation in operations
    }
    assert sent and sent <= allowed, sent - allowed
    assert all(operation.split(":")[1].startswith(("List", "Get", "Describe")) for operation in allowed)


def test_the_call_bound_is_a_finding_never_a_guess(account: Endpoint) -> None:
    seed(account.moto)
    _, report, _ = audit("--max-calls", "3", status=1)
    messages = [f["message"] for f in report["findings"]]
    assert any("stopped at the bound of 3 calls" in message for message in messages), messages
    assert all(f["rule"] == "TG000" for f in report["findings"]), messages  # nothing checked on half a read


def test_no_credentials_is_one_line_and_exit_2(account: Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = CliRunner().invoke(main, ["audit", "--env", "dev", "--no-drift"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().count("\n") == 0 and "no usable AWS credentials" in result.output


def test_a_bad_max_calls_or_path_is_exit_2(account: Endpoint, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["audit", "--env", "dev", "--max-calls", "0", "--no-drift"])
    assert result.exit_code == 2 and "--max-calls 0: expected at least 1" in result.output
    result = CliRunner().invoke(main, ["audit", "--env", "dev", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "missing" in result.output


def test_every_format_renders_the_deployed_findings(account: Endpoint, tmp_path: Path) -> None:
    seed(account.moto, drift=DRIFT)
    files = {name: tmp_path / f"audit.{name}" for name in ("sarif", "markdown", "github", "json")}
    args = [arg for name, path in files.items() for arg in ("--format", f"{name}:{path}")]
    result = CliRunner().invoke(
        main, ["audit", "--env", "dev", *args, "--format", "text", str(REPO / PASSING)]
    )
    assert result.exit_code == 1, result.output
    assert (
        "TG601 deployed-drift" in result.stdout
        and "Deployed: Queue tt-practice-dev-main-queue" in result.stdout
    )
    addresses = [finding["address"] for finding in json.loads(files["json"].read_text())["findings"]]
    assert "arn:aws:sqs:ap-southeast-1:123456789012:tt-practice-dev-main-queue" in addresses
    sarif = json.loads(files["sarif"].read_text())
    assert len(sarif["runs"][0]["results"]) == len(PLANTED)
    assert "deployed/dev" in files["markdown"].read_text()
    assert files["github"].read_text().count("::") >= len(PLANTED)


def test_names_read_from_aws_are_data_in_every_format(account: Endpoint, tmp_path: Path) -> None:
    """An alarm's name is free text to whoever can create alarms in the account: it reaches the reports
    through the one sanitiser, like a name in a pull request."""
    import boto3

    seed(account.moto)
    hostile = "tt-practice-dev-x\n::error title=pwned::green\u202e <img src=x> @team #1"
    put_alarm(boto3.client("cloudwatch", endpoint_url=account.moto), hostile)
    files = {name: tmp_path / f"audit.{name}" for name in ("markdown", "github", "sarif")}
    args = [arg for name, path in files.items() for arg in ("--format", f"{name}:{path}")]
    result = CliRunner().invoke(
        main, ["audit", "--env", "dev", *args, "--format", "text", str(REPO / PASSING)]
    )
    assert result.exit_code == 0, result.output  # only in AWS: a warning
    assert "tt-practice-dev-x" in result.stdout
    for text in [result.stdout, *(path.read_text() for path in files.values())]:
        assert not any(line.startswith("::error") for line in text.splitlines())
        assert chr(0x202E) not in text
    assert "<img" not in files["markdown"].read_text()
