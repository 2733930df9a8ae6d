"""Issue 18, sensitivity by origin through every path: a secret leaves by no function, template, key,
module, remote state, fix text, error message or type conversion, in any format or on stderr.

The secret has mixed case, a quote, a backslash and a non-ASCII letter, so that a case change or an
escape (Terraform's, JSON's, a URL's, base64) of it would not hide it from the search. It comes in five
ways: a variable declared ``sensitive``, one declared ``ephemeral``, ``sensitive()``, and the job's own
values (``TF_VAR_``, ``--var-file``) given to a root that declares the variable *without* ``sensitive``
(a pull request may add such a root and write the variable into a queue name). The report's substring
backstop is off in the matrix: the marks alone hide every path.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import stack, write_tree
from tests.snippets import remote_state
from ttgate.cli import main
from ttgate.gate.reporters import FORMATS

SECRET = 'QzX"Wv\\Jø7Kp-Mn'
HCL_SECRET = SECRET.replace("\\", "\\\\").replace('"', '\\"')
APP = "practice/deploy/30_app/environments/dev"
INFRA = "practice/deploy/20_infra/environments/dev"

# Every way of computing a name from the secret ``{s}``; the errors among them must not quote it.
PATHS = {
    "upper": "upper({s})",
    "lower": "lower({s})",
    "title": "title({s})",
    "strrev": "strrev({s})",
    "base64encode": "base64encode({s})",
    "base64decode": "base64decode(base64encode({s}))",
    "substr": "substr({s}, 1, 9)",
    "replace": 'replace({s}, "Q", "q")',
    "regex_replace": 'replace({s}, "/[A-Z]/", "x")',
    "format": 'format("%s-x", {s})',
    "format_q": 'format("%q", {s})',
    "join": 'join("-", [{s}, "a"])',
    "split": 'split("-", {s})[0]',
    "jsonencode": "jsonencode({s})",
    "jsonencode_object": "jsonencode({{a = {s}}})",
    "jsondecode": "jsondecode(jsonencode({s}))",
    "urlencode": "urlencode({s})",
    "sha256": "sha256({s})",
    "sha1": "sha1({s})",
    "md5": "md5({s})",
    "base64sha256": "base64sha256({s})",
    "trimspace": "trimspace({s})",
    "chomp": "chomp({s})",
    "indent": "indent(2, {s})",
    "yamlencode": "yamlencode({s})",
    "template": '"${{{s}}}-x"',
    "template_if": '"%{{ if true }}${{{s}}}%{{ endif }}"',
    "template_for": '"%{{ for x in [{s}] }}${{x}}%{{ endfor }}"',
    "conditional": 'true ? {s} : "a"',
    "for": "[for x in [{s}] : upper(x)][0]",
    "for_key": "keys({{for x in [{s}] : x => 1}})[0]",
    "map_key": "keys({{({s}) = 1}})[0]",
    "zipmap_key": "keys(zipmap([{s}], [1]))[0]",
    "lookup": 'lookup({{a = {s}}}, "a")',
    "local": "local.derived",
    "try": "try({s}, 1)",
    "coalesce": 'coalesce("", {s})',
    "tostring": "tostring({s})",
    "error_tonumber": "tonumber({s})",
    "error_jsondecode": "jsondecode({s})",
    "error_base64decode": "base64decode({s})",
    "error_regex": 'regex({s}, "a")',
    "error_cidrhost": "cidrhost({s}, 1)",
    "error_file": "file({s})",
    "error_format": 'format("%d", {s})',
    "error_parseint": "parseint({s}, 10)",
    "error_timeadd": 'timeadd({s}, "1h")',
    "error_index": "{{a = 1}}[{s}]",
    "error_negate": "-{s}",
    "error_arithmetic": "{s} + 1",
    "error_condition": '{s} ? "a" : "b"',
}
# nonsensitive() removes the mark of what the configuration marked, as Terraform does; not a lasting
# one (the job's values, ephemeral ones).
LASTING_PATHS = {"nonsensitive": "nonsensitive({s})", "nonsensitive_upper": "upper(nonsensitive({s}))"}

ORIGINS = ("sensitive", "ephemeral", "sensitive()", "TF_VAR_", "--var-file")
LASTING = ("ephemeral", "TF_VAR_", "--var-file")


def leaked_forms(secret: str) -> set[str]:
    """The secret as a report could show it: any case, reversed, escaped, encoded or hashed."""
    forms: set[str] = set()
    for text in {secret, secret.lower(), secret.upper(), secret.swapcase(), secret.title()}:
        for variant in (text, text[::-1]):
            raw = variant.encode()
            forms |= {
                variant,
                json.dumps(variant)[1:-1],
                variant.replace("\\", "\\\\").replace('"', '\\"'),
                variant.encode("unicode_escape").decode(),
                urllib.parse.quote(variant, safe=""),
                urllib.parse.quote_plus(variant),
                base64.b64encode(raw).decode(),
                hashlib.md5(raw).hexdigest(),
                hashlib.sha1(raw).hexdigest(),
                hashlib.sha256(raw).hexdigest(),
            }
    return forms | {"jø7kp", "7kp-mn", "j\\u00f87kp", "j%c3%b87kp"}  # pieces a substring keeps


LEAKED = leaked_forms(SECRET)


def leaks(text: str) -> list[str]:
    low = text.lower()
    return sorted(form for form in LEAKED if form.lower() in low)


def secret_tree(root: Path, origin: str) -> tuple[Path, list[str]]:
    """30_app/dev computing a queue, a function and a log group from the secret through every path,
    through a module's input and output, and through 20_infra's output read by remote state."""
    reference = "local.s" if origin == "sensitive()" else "var.s"
    declarations = {
        "sensitive": f'variable "s" {{\n  sensitive = true\n  default   = "{HCL_SECRET}"\n}}\n',
        "ephemeral": f'variable "s" {{\n  ephemeral = true\n  default   = "{HCL_SECRET}"\n}}\n',
        "sensitive()": f'locals {{\n  s = sensitive("{HCL_SECRET}")\n}}\n',
        "TF_VAR_": 'variable "s" {\n  type = string\n}\n',
        "--var-file": 'variable "s" {}\n',
    }
    declared = declarations[origin]
    app = [declared, f"locals {{\n  derived = upper({reference})\n}}\n", remote_state()]
    paths = {**PATHS, **(LASTING_PATHS if origin in LASTING else {})}
    for name, path in paths.items():
        expr = path.format(s=reference)
        app.append(
            f'resource "aws_sqs_queue" "{name}" {{\n  name = {expr}\n  visibility_timeout_seconds = 300\n}}\n'
            f'resource "aws_cloudwatch_log_group" "{name}" {{\n  name = "/aws/lambda/${{{expr}}}"\n'
            f"  retention_in_days = {expr}\n}}\n"
            f'output "{name}" {{\n  value = {expr}\n}}\n'
        )
    app.append(
        f'module "m" {{\n  source = "../../../../modules/m"\n  x      = {reference}\n}}\n'
        'resource "aws_sqs_queue" "from_module" {\n  name = module.m.y\n}\n'
        'resource "aws_sqs_queue" "from_remote_state" {\n'
        "  name = data.terraform_remote_state.infra.outputs.encoded\n}\n"
        'resource "aws_sqs_queue" "keyed" {\n'
        f"  for_each = toset([{reference}])\n  name     = each.key\n}}\n"
        'resource "aws_sqs_queue" "counted" {\n'
        f"  count = length({reference})\n  name  = {reference}\n}}\n"
    )
    infra = declared + f'output "encoded" {{\n  value = base64encode(upper({reference}))\n}}\n'
    files = {
        **stack("30_app", "dev", "\n".join(app)),
        **stack("20_infra", "dev", infra),
        "practice/modules/m/main.tf": 'variable "x" {}\noutput "y" {\n  value = strrev(var.x)\n}\n'
        'resource "aws_sqs_queue" "inner" {\n  name = "${var.x}-queue"\n}\n',
    }
    if origin == "--var-file":
        files["practice/ci.tfvars"] = f's = "{HCL_SECRET}"\n'
    root = write_tree(root, files)
    extra = ["--var-file", str(root / "practice" / "ci.tfvars")] if origin == "--var-file" else []
    return root, extra


def run_every_format(root: Path, tmp_path: Path, extra: list[str]) -> dict[str, str]:
    """One run writing every format (text on stdout), and what each output holds."""
    outputs = {name: tmp_path / f"report.{name}" for name in sorted(FORMATS) if name != "text"}
    args = ["check", str(root / "practice"), "--no-cache", "--fail-on", "never", "--format", "text", *extra]
    for name, path in outputs.items():
        args += ["--format", f"{name}:{path}"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    texts.update({name: path.read_text(encoding="utf-8") for name, path in outputs.items()})
    return texts


@pytest.mark.slow
@pytest.mark.parametrize("origin", ORIGINS)
def test_a_secret_leaks_through_no_path_in_any_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, origin: str
) -> None:
    monkeypatch.setattr("ttgate.gate.run.hide_secrets", lambda report, secrets: None)
    if origin == "TF_VAR_":
        monkeypatch.setenv("TF_VAR_s", SECRET)
    root, extra = secret_tree(tmp_path / "repo", origin)
    texts = run_every_format(root, tmp_path, extra)
    stdout = texts["stdout"]
    # The findings are there (TG401 suggests a rename, TG301 a retention), showing (sensitive).
    assert stdout.count("TG401") >= len(PATHS) and "fix: Rename it to" in stdout, stdout[:3000]
    assert "(sensitive)" in stdout
    found = {where: leaks(text) for where, text in texts.items()}
    assert found == {where: [] for where in texts}, found


def test_a_root_a_pull_request_adds_cannot_print_the_jobs_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exfiltration of issue 18: TF_VAR_db_password, declared plainly by a new root, encoded into
    a queue name and so into TG401's rename suggestion."""
    monkeypatch.setattr("ttgate.gate.run.hide_secrets", lambda report, secrets: None)
    monkeypatch.setenv("TF_VAR_db_password", SECRET)
    app = """
    variable "db_password" {
      type = string
    }
    resource "aws_sqs_queue" "exfiltrate" {
      name = base64encode(upper(strrev(var.db_password)))
    }
    output "leak" {
      value = base64encode(var.db_password)
    }
    """
    root = write_tree(tmp_path / "repo", stack("30_app", "dev", app))
    texts = run_every_format(root, tmp_path, [])
    assert "TG401" in texts["stdout"] and "Rename it to" in texts["stdout"]
    assert {where: leaks(text) for where, text in texts.items()} == {where: [] for where in texts}


def test_a_public_variable_from_the_job_shows_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``public_variables`` lists the job's values that are not secrets: the name is shown and checked."""
    monkeypatch.setenv("TF_VAR_queue", "Not-A-Secret")
    monkeypatch.setenv("TF_VAR_other", "Hidden-Value")
    app = """
    variable "queue" {}
    variable "other" {}
    resource "aws_sqs_queue" "public" {
      name = var.queue
    }
    resource "aws_sqs_queue" "hidden" {
      name = var.other
    }
    """
    files = stack("30_app", "dev", app)
    files[".ttgate.yml"] = "extends: runbook\npublic_variables: [queue]\n"
    root = write_tree(tmp_path / "repo", files)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["check", "practice", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert '"Not-A-Secret"' in result.stdout
    assert "hidden-value" not in result.stdout.lower()
    assert "SQS queue name (sensitive) (aws_sqs_queue.hidden" in result.stdout


def test_the_repositorys_own_tfvars_value_is_not_the_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TF_VAR_ value that the root's terraform.tfvars overrides is not what the root reads: the
    tfvars value is the repository's and shows as it is."""
    monkeypatch.setenv("TF_VAR_queue", "job-value")
    app = 'variable "queue" {}\nresource "aws_sqs_queue" "q" {\n  name = var.queue\n}\n'
    root = write_tree(
        tmp_path / "repo", stack("30_app", "dev", app, terraform__tfvars='queue = "Repo_Name"\n')
    )
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["check", "practice", "--fail-on", "never"])
    assert '"Repo_Name"' in result.stdout


def test_an_ephemeral_variable_is_sensitive(tmp_path: Path) -> None:
    app = """
    variable "token" {
      ephemeral = true
      default   = "Eph-Token-Value"
    }
    resource "aws_sqs_queue" "q" {
      name = var.token
    }
    """
    root = write_tree(tmp_path / "repo", stack("30_app", "dev", app))
    result = CliRunner().invoke(main, ["check", str(root / "practice"), "--fail-on", "never"])
    assert "SQS queue name (sensitive)" in result.stdout
    assert "eph-token-value" not in result.stdout.lower()


def test_a_functions_own_unknown_reason_does_not_quote_a_secret(tmp_path: Path) -> None:
    """file() of a missing path is unknown "(no file exists at <path>)": not when the path is secret."""
    app = """
    variable "s" {
      sensitive = true
      default   = "Missing-Secret-Path"
    }
    resource "aws_sqs_queue" "q" {
      name = file(var.s)
    }
    """
    root = write_tree(tmp_path / "repo", stack("30_app", "dev", app))
    result = CliRunner().invoke(main, ["check", str(root / "practice"), "--fail-on", "never"])
    text = " ".join(result.stdout.split())
    assert "TG001" in text and "file() of a sensitive value is unknown" in text, text
    assert "missing-secret-path" not in result.stdout.lower()


def test_an_evaluation_error_over_a_secret_is_not_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug's exception in a function over a marked value may hold the value: its message is not shown."""
    from ttgate.gate.hcl import evaluate, syntax
    from ttgate.gate.values import mark_sensitive

    def broken(name: str, args: list[object], files: object) -> object:
        raise ValueError(f"cannot handle {args[0]!s}")

    monkeypatch.setattr(evaluate, "call", broken)
    evaluator = evaluate.Evaluator(_Scope({"s": mark_sensitive("Bug-Secret")}))
    value = evaluator.evaluate(syntax.Call("upper", [syntax.GetAttr(syntax.Name("var"), "s")]))
    assert "Bug-Secret" not in value.reason and "ValueError" in value.reason
    plain = evaluator.evaluate(syntax.Call("upper", [syntax.Lit("plain-text")]))
    assert "cannot handle plain-text" in plain.reason


class _Scope:
    def __init__(self, variables: dict[str, object]) -> None:
        self.variables = variables

    def lookup(self, name: str, trace: list[object]) -> object:
        return self.variables if name == "var" else None


def test_a_jobs_number_given_a_string_prints_neither(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A TF_VAR_ value that is not the number the variable's type asks for: TG001 says so without it."""
    monkeypatch.setenv("TF_VAR_retention", "Nine-Hundred-Zq")
    app = """
    variable "retention" {
      type = number
    }
    resource "aws_cloudwatch_log_group" "g" {
      name              = "/aws/lambda/tt-practice-dev-worker"
      retention_in_days = var.retention
    }
    """
    root = write_tree(tmp_path / "repo", stack("30_app", "dev", app))
    texts = run_every_format(root, tmp_path, [])
    assert "TG301" in texts["stdout"] or "TG001" in texts["stdout"], texts["stdout"]
    for where, text in texts.items():
        assert "hundred" not in text.lower(), where


def test_a_sensitive_output_is_marked_in_every_consumer(tmp_path: Path) -> None:
    """``sensitive = true`` on a module's output or a stack's output marks what every reader makes of
    it, even a literal: a module call, and another stack through terraform_remote_state."""
    app = f"""
    {remote_state()}
    module "m" {{
      source = "../../../../modules/m"
    }}
    resource "aws_sqs_queue" "from_module" {{
      name = upper(module.m.name)
    }}
    resource "aws_sqs_queue" "from_state" {{
      name = lower(data.terraform_remote_state.infra.outputs.name)
    }}
    """
    infra = 'output "name" {\n  sensitive = true\n  value     = "Infra-Output-Zq"\n}\n'
    files = {
        **stack("30_app", "dev", app),
        **stack("20_infra", "dev", infra),
        "practice/modules/m/main.tf": 'output "name" {\n  sensitive = true\n'
        '  value     = "Module-Output-Zq"\n}\n',
    }
    root = write_tree(tmp_path / "repo", files)
    texts = run_every_format(root, tmp_path, [])
    assert texts["stdout"].count("TG401") >= 2, texts["stdout"]
    for where, text in texts.items():
        assert "output-zq" not in text.lower(), where


def test_a_dlq_fed_by_a_queue_with_a_secret_name_does_not_name_it(tmp_path: Path) -> None:
    """TG204 names the queues a DLQ serves, joined: str.join gives plain text, the mark must stay."""
    app = """
    variable "s" {
      sensitive = true
      default   = "Source-Secret-Zq"
    }
    resource "aws_sqs_queue" "source" {
      name           = "${var.s}-queue"
      redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = 5 })
    }
    resource "aws_sqs_queue" "dlq" {
      name                      = "tt-practice-dev-orders-dlq"
      message_retention_seconds = 1209600
    }
    """
    root = write_tree(tmp_path / "repo", stack("30_app", "dev", app))
    texts = run_every_format(root, tmp_path, [])
    assert "TG204" in texts["stdout"] and "dead-letter queue of (sensitive)" in texts["stdout"]
    for where, text in texts.items():
        assert "secret-zq" not in text.lower(), where
