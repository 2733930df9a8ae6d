"""Issue 17 item 5, redaction by origin: only text that came from a sensitive value is hidden.

A value derived from a sensitive one keeps its mark through templates, functions, conversions and
arithmetic, and a rule that writes it into a message, fix or related note writes ``(sensitive)``
because of that mark. Nothing else is rewritten: a secret equal to part of another stack's names (or of
the same stack's literal names) leaves those names whole, which would otherwise also give the secret
away by elimination.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import stack, write_tree
from ttgate.cli import main
from ttgate.gate.reporters import FORMATS

APP = "practice/deploy/30_app/environments/dev"
INFRA = "practice/deploy/20_infra/environments/dev"
SECRET = "Hunter2Pass"  # mixed case: a lowercased or uppercased copy must not escape either


def run(root: Path, report_format: str, tmp_path: Path) -> str:
    out = tmp_path / f"report.{report_format}"
    result = CliRunner().invoke(
        main, ["check", str(root / "practice"), "--fail-on", "never", "--format", f"{report_format}:{out}"]
    )
    assert result.exit_code == 0, result.output
    return result.stdout + result.stderr + out.read_text(encoding="utf-8")


def test_another_stacks_names_print_whole(tmp_path: Path) -> None:
    """A sensitive "orders" in 20_infra does not touch 30_app's orders queue or its address."""
    app = """
    resource "aws_sqs_queue" "orders_dlq" {
      name = "orders-dlq"
    }
    """
    infra = """
    variable "token" {
      sensitive = true
      default   = "orders"
    }
    resource "aws_ssm_parameter" "p" {
      name  = "/x"
      type  = "SecureString"
      value = var.token
    }
    """
    tree = {**stack("30_app", "dev", app), **stack("20_infra", "dev", infra)}
    root = write_tree(tmp_path / "repo", tree)
    text = run(root, "text", tmp_path)
    assert '"orders-dlq"' in text and "aws_sqs_queue.orders_dlq" in text
    assert "(sensitive)-dlq" not in text and "(sensitive)_dlq" not in text


TRANSFORMS = {
    "upper": "upper(var.secret)",
    "lower": "lower(var.secret)",
    "base64encode": "base64encode(var.secret)",
    "strrev": "strrev(var.secret)",
    "substr": "substr(var.secret, 1, 8)",
    "replace": 'replace(var.secret, "Pass", "_x")',
    "format": 'format("%s_Q", var.secret)',
    "join": 'join("_", [var.secret, "Q"])',
    "template": '"${var.secret}_Q"',
    "title": "title(var.secret)",
    "for": '[for s in [var.secret] : "${lower(s)}_Q"][0]',
    "sensitive()": 'lower(sensitive("Hunter2Pass"))',
}


def _leaked_forms(secret: str) -> list[str]:
    import base64

    encoded = base64.b64encode(secret.encode()).decode()
    return sorted({secret, secret.lower(), secret.upper(), secret[::-1], secret[1:9], encoded})


@pytest.mark.parametrize("report_format", sorted(FORMATS))
@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_a_name_built_from_a_secret_shows_in_no_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transform: str, report_format: str
) -> None:
    """TG401 suggests a rename from the (lowercased) name: neither it nor the name shows the secret.

    The report's substring backstop is off: the marks alone hide every transform."""
    monkeypatch.setattr("ttgate.gate.run.hide_secrets", lambda report, secrets: None)
    app = f"""
    variable "secret" {{
      sensitive = true
      default   = "{SECRET}"
    }}
    resource "aws_sqs_queue" "q" {{
      name = {TRANSFORMS[transform]}
    }}
    """
    root = write_tree(tmp_path / "repo", stack("30_app", "dev", app))
    text = run(root, report_format, tmp_path)
    assert "TG401" in text, text
    for form in _leaked_forms(SECRET):
        assert form not in text, f"{form} leaked through {transform} in {report_format}"
        assert form.lower() not in text.lower(), f"{form} leaked through {transform} in {report_format}"


def test_a_sensitive_number_given_a_string_prints_neither(tmp_path: Path) -> None:
    """A conversion error ("'nine-hundred' is not a number") quotes the value: not for a sensitive one."""
    app = """
    variable "retention" {
      type      = number
      sensitive = true
      default   = "nine-hundred-Zq"
    }
    variable "untyped" {
      sensitive = true
      default   = "fourteen-Zq"
    }
    resource "aws_cloudwatch_log_group" "typed" {
      name              = "/aws/lambda/tt-practice-dev-worker"
      retention_in_days = var.retention
    }
    resource "aws_cloudwatch_log_group" "untyped" {
      name              = "/aws/lambda/tt-practice-dev-other"
      retention_in_days = var.untyped
    }
    resource "aws_cloudwatch_log_group" "sum" {
      name              = "/aws/lambda/tt-practice-dev-third"
      retention_in_days = var.untyped + 1
    }
    resource "aws_cloudwatch_log_group" "negated" {
      name              = "/aws/lambda/tt-practice-dev-fourth"
      retention_in_days = -var.untyped
    }
    """
    root = write_tree(tmp_path / "repo", stack("30_app", "dev", app))
    for report_format in sorted(FORMATS):
        text = run(root, report_format, tmp_path)
        assert "TG301" in text and "log-retention" in text
        assert "zq" not in text.lower() and "hundred" not in text and "fourteen" not in text, report_format


def _encoded_forms(secret: str) -> dict[str, str]:
    import base64
    import json
    import urllib.parse

    return {
        "as it is": secret,
        "upper": secret.upper(),
        "lower": secret.lower(),
        "JSON": json.dumps(secret)[1:-1],
        "JSON, ASCII only": json.dumps(secret.upper(), ensure_ascii=True)[1:-1],
        "JSON, not ASCII-escaped": json.dumps(secret, ensure_ascii=False)[1:-1],
        "Terraform-quoted": secret.replace("\\", "\\\\").replace('"', '\\"'),
        "Python-escaped": secret.encode("unicode_escape").decode(),
        "URL-encoded": urllib.parse.quote(secret, safe=""),
        "URL-encoded, plus": urllib.parse.quote_plus(secret.lower()),
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64 of lower": base64.b64encode(secret.lower().encode()).decode(),
    }


def test_the_backstop_hides_a_secret_in_any_case_escape_or_encoding() -> None:
    """Issue 18: the last line of defence ignores case and the usual escapes and encodings, and still
    leaves alone what did not come from the secret (a longer name holding it, another stack's text)."""
    from ttgate.gate.findings import Finding
    from ttgate.gate.model import Stack
    from ttgate.gate.reporters.report import Report
    from ttgate.gate.reporters.sanitize import hide_secrets
    from ttgate.policy import Severity

    secret = 'QzX"Wv\\Jø7Kp-Mn'
    mine, other = Stack("30_app", None, "30_app", "dev"), Stack("20_infra", None, "20_infra", "dev")
    forms = _encoded_forms(secret)
    findings = [
        Finding(
            "TG401", "naming", Severity.WARNING, f'name "{form}" is wrong', f"Rename ({form})", stack=mine
        )
        for form in forms.values()
    ]
    untouched = [
        Finding("TG401", "naming", Severity.WARNING, f"name {secret}-dlq", "x", stack=mine),
        Finding("TG401", "naming", Severity.WARNING, f'name "{secret}"', "x", stack=other),
    ]
    report = Report([*findings, *untouched], stacks=2, files=1)
    hide_secrets(report, {"30_app": {secret}})
    for how, finding in zip(forms, findings, strict=True):
        assert (finding.message, finding.fix) == ('name "(sensitive)" is wrong', "Rename ((sensitive))"), how
    assert [finding.message for finding in untouched] == [f"name {secret}-dlq", f'name "{secret}"']


def test_the_jobs_secrets_are_hidden_in_every_stacks_findings() -> None:
    """A TF_VAR_ or --var-file secret belongs to no stack: the backstop looks for it in every finding,
    a stack's own secrets only in that stack's."""
    from ttgate.gate.findings import Finding
    from ttgate.gate.model import Stack
    from ttgate.gate.reporters.report import Report
    from ttgate.gate.reporters.sanitize import hide_secrets
    from ttgate.gate.values import EVERY_STACK
    from ttgate.policy import Severity

    stacks = [Stack(name, None, name, "dev") for name in ("10_core", "20_infra", "30_app")]
    findings = [
        Finding("TG401", "naming", Severity.WARNING, 'names "Job-Token" and "Own-Secret"', "", stack=stack)
        for stack in stacks
    ]
    report = Report(findings, stacks=3, files=1)
    hide_secrets(report, {EVERY_STACK: {"Job-Token"}, "20_infra": {"Own-Secret"}})
    assert [finding.message for finding in findings] == [
        'names "(sensitive)" and "Own-Secret"',
        'names "(sensitive)" and "(sensitive)"',
        'names "(sensitive)" and "Own-Secret"',
    ]
