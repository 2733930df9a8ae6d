"""Adversarial but valid Terraform: ttgate reports on it, never crashes, hangs or misreads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check, load, write_tree
from ttgate.gate.hcl.evaluate import Evaluator
from ttgate.gate.hcl.parse import Parser, parse_text
from ttgate.gate.values import Unknown

PROVIDER = 'provider "aws" {\n  region = "eu-west-1"\n}\n'


def log_group(retention: str) -> str:
    body = f'  name              = "g"\n  retention_in_days = {retention}\n'
    return 'resource "aws_cloudwatch_log_group" "l" {\n' + body + "}\n"


def retention_messages(root: Path) -> list[str]:
    return [finding.message for finding in check(root) if finding.rule in ("TG001", "TG301")]


# --- deep nesting --------------------------------------------------------------------------


def test_expression_too_deep_to_convert_is_a_parse_error_not_a_crash(tmp_path: Path) -> None:
    nested = "1"
    for _ in range(400):
        nested = f"({nested} + 1)"
    write_tree(tmp_path, {"main.tf": PROVIDER + f"locals {{\n  x = {nested}\n}}\n"})
    problems = load(tmp_path).problems
    assert [problem.message for problem in problems] == [
        "an expression is nested too deeply for ttgate (hundreds of levels of brackets or operators)"
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_tree_too_deep_to_pickle_is_evaluated_but_not_cached(tmp_path: Path, jobs: int) -> None:
    # 300 additions: converted and evaluated fine, but deeper than pickle (cache, workers) goes.
    chain = " + ".join(["1"] * 300)
    files = {"main.tf": PROVIDER + log_group(chain)}
    # Enough files for the worker pool when jobs > 1.
    files.update({f"empty{index}.tf": "" for index in range(30)})
    root = write_tree(tmp_path / "tree", files)
    cache = tmp_path / "cache"
    parser = Parser(cache_dir=cache, jobs=jobs)
    parsed = parser.parse_many([(path, path.read_bytes()) for path in sorted(root.glob("*.tf"))])
    assert len(parsed) == 31 and all(result.problem is None for result in parsed.values())
    assert not [path for path in cache.rglob("*") if path.is_file() and path.name.startswith(".tmp-")]
    messages = retention_messages(root)
    assert len(messages) == 1 and "retention_in_days = 300" in messages[0]


# --- module recursion ----------------------------------------------------------------------


def test_module_calling_itself_is_reported_and_does_not_hang(tmp_path: Path) -> None:
    module = 'module "again" {\n  source = "./"\n}\n' + log_group("14")
    call = 'module "m" {\n  source = "./mod"\n}\n'
    write_tree(tmp_path, {"main.tf": PROVIDER + call, "mod/main.tf": module})
    findings = check(tmp_path)
    parse_errors = [finding for finding in findings if finding.rule == "TG000"]
    assert len(parse_errors) == 1
    assert "module recursion" in parse_errors[0].message
    assert parse_errors[0].location is not None and parse_errors[0].location.file == "mod/main.tf"


def test_modules_calling_each_other_are_reported(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "main.tf": PROVIDER + 'module "a" {\n  source = "./a"\n}\n',
            "a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
            "b/main.tf": 'module "a" {\n  source = "../a"\n}\n',
        },
    )
    messages = [finding.message for finding in check(tmp_path, "TG000")]
    assert len(messages) == 1 and "module recursion" in messages[0]


def test_same_module_called_twice_is_not_recursion(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "main.tf": PROVIDER + 'module "a" {\n  source = "./mod"\n}\n'
            'module "b" {\n  source = "./mod"\n}\n',
            "mod/main.tf": 'module "leaf" {\n  source = "../leaf"\n}\n',
            "leaf/main.tf": log_group("14"),
        },
    )
    assert check(tmp_path, "TG000") == []
    assert sorted(resource.address for resource in load(tmp_path).stacks[0].resources) == [
        "module.a.module.leaf.aws_cloudwatch_log_group.l",
        "module.b.module.leaf.aws_cloudwatch_log_group.l",
    ]


# --- identifiers and line endings ----------------------------------------------------------


def test_unicode_identifiers_and_crlf(tmp_path: Path) -> None:
    text = PROVIDER + 'locals {\n  näme = "grüße"\n  日数 = 8\n}\n' + log_group("local.日数")
    (tmp_path / "main.tf").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    findings = check(tmp_path)
    assert [finding.rule for finding in findings] == ["TG301"]
    assert "retention_in_days = 8" in findings[0].message


# --- template directives -------------------------------------------------------------------


class _Vars:
    def lookup(self, name: str, trace: list[object]) -> object:
        values = {"on": True, "off": False, "xs": ["a", "b"], "m": {"z": 1, "a": 2}, "s": " s "}
        return values if name == "var" else None


def evaluate(source: str) -> object:
    parsed = parse_text(f"x = {source}\n")
    assert parsed.problem is None and parsed.body is not None
    return Evaluator(_Vars()).evaluate(parsed.body.attributes["x"].expr)


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('"%{ if var.on }on%{ else }off%{ endif }"', "on"),
        ('"%{ if var.off }on%{ else }off%{ endif }"', "off"),
        ('"%{ if var.off }on%{ endif }"', ""),
        ('"[%{ for x in var.xs }${x},%{ endfor }]"', "[a,b,]"),
        ('"%{ for k, v in var.m }${k}=${v};%{ endfor }"', "a=2;z=1;"),  # keys in lexical order
        ('"a  %{~ if var.on ~}  b  %{~ endif ~}  c"', "abc"),
        ('"a ${~ var.s ~} b"', "a s b"),
        ('"%%{ if } $${x}"', "%{ if } ${x}"),
        ('"%{ for x in var.xs }%{ if x == "a" }A%{ else }${x}%{ endif }%{ endfor }"', "Ab"),
        ("<<EOT\n%{ for x in var.xs ~}\nitem ${x}\n%{ endfor ~}\nEOT", "item a\nitem b\n"),
        ("<<-EOT\n  %{~ if var.on ~}\n  yes\n  %{~ endif ~}\n  EOT", "yes"),
    ],
)
def test_template_directives(source: str, value: str) -> None:
    assert evaluate(source) == value


@pytest.mark.parametrize("source", ['"%{ endif }"', '"%{ if var.on }x"', '"%{ for x in var.xs }x"'])
def test_unbalanced_directives_are_unknown(source: str) -> None:
    result = evaluate(source)
    assert isinstance(result, Unknown) and "template directive" in result.reason


def test_directive_value_reaches_a_rule(tmp_path: Path) -> None:
    variable = 'variable "long" {\n  default = false\n}\n'
    retention = log_group('"%{ if var.long }30%{ else }8%{ endif }"')
    write_tree(tmp_path, {"main.tf": PROVIDER + variable + retention})
    messages = retention_messages(tmp_path)
    assert len(messages) == 1 and "retention_in_days = 8" in messages[0]


# --- empty files ---------------------------------------------------------------------------


def test_empty_and_comment_only_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.tf": "", "b.tf": "  \n\n", "c.tf": "# nothing\n", "main.tf": PROVIDER})
    assert check(tmp_path) == []


# --- issue 18: no input crashes the run, and every format renders ------------------------------------

ODD_STACK = "practice/deploy/20_infra/environments/dev"
ODD_BACKEND = (
    'terraform {\n  backend "s3" {\n    key    = "infra/terraform.tfstate"\n    region = "ap-southeast-1"\n'
    '  }\n}\nprovider "aws" {\n  region = "ap-southeast-1"\n}\n'
)


def _every_format(root: Path, tmp_path: Path) -> dict[str, str]:
    """`ttgate check` with every format in one process; each output, stderr included."""
    from click.testing import CliRunner

    from ttgate.cli import main
    from ttgate.gate.reporters import FORMATS

    reports = tmp_path / "reports"
    reports.mkdir()
    formats = [f"--format={name}:{reports / name}" for name in sorted(FORMATS)]
    result = CliRunner().invoke(main, ["check", str(root), "--fail-on", "never", *formats])
    assert result.exit_code == 0, result.output
    outputs = {path.name: path.read_text(encoding="utf-8") for path in reports.iterdir()}
    outputs["stderr"] = result.stderr
    return outputs


def test_lone_surrogates_in_tf_tf_json_and_tfvars_json_strings(tmp_path: Path) -> None:
    import json

    root = write_tree(
        tmp_path / "repo",
        {
            f"{ODD_STACK}/backend.tf": ODD_BACKEND,
            f"{ODD_STACK}/main.tf": 'variable "v" {\n  default = "x"\n}\n'
            'resource "aws_sqs_queue" "a" {\n  name = "tt-practice-dev-\\ud800-queue"\n}\n'
            'resource "aws_sqs_queue" "b" {\n  name = var.v\n}\n',
            f"{ODD_STACK}/json.tf.json": '{"resource": {"aws_sqs_queue": {"j": {"name": "j\\udfff_"}}}}',
            f"{ODD_STACK}/terraform.tfvars.json": '{"v": "\\udc00bad_name"}',
        },
    )
    outputs = _every_format(root, tmp_path)
    assert "\\ud800" in outputs["text"] and "\\udc00bad" in outputs["text"]
    assert json.loads(outputs["json"])["findings"]


def test_file_and_directory_names_that_are_not_utf8(tmp_path: Path) -> None:
    import json
    import os

    root = tmp_path / "repo"
    stack = os.fsencode(root / "practice/deploy/20_infra/environments") + b"/d\xff\xfe"
    os.makedirs(stack)
    with open(stack + b"/backend.tf", "w", encoding="utf-8") as handle:
        handle.write(ODD_BACKEND)
    with open(stack + b"/m\xfa.tf", "w", encoding="utf-8") as handle:
        handle.write('resource "aws_sqs_queue" "q" {\n  name = "bad_name"\n}\n')
    outputs = _every_format(root, tmp_path)
    assert "d%FF%FE/m%FA.tf" in outputs["sarif"]
    files = [finding["file"] for finding in json.loads(outputs["json"])["findings"]]
    assert any(file.endswith("d\udcff\udcfe/m\udcfa.tf") for file in files), files
    assert "m\\xfa.tf" in outputs["text"] or "m\\udcfa.tf" in outputs["text"]


@pytest.mark.parametrize(
    "document",
    ['{"v": 1' + "9" * 5000 + "}", '{"v": ' + "[" * 100_000 + "]" * 100_000 + "}"],
    ids=["5000-digit number", "100k nested brackets"],
)
def test_tfvars_json_past_pythons_limits_is_a_finding(tmp_path: Path, document: str) -> None:
    write_tree(
        tmp_path,
        {"main.tf": PROVIDER + 'variable "v" {\n  default = 1\n}\n', "terraform.tfvars.json": document},
    )
    problems = [(p.location.file, p.message) for p in load(tmp_path).problems]
    too_much = "a number too long (over 4,300 digits) or arrays and objects nested too deeply"
    assert problems == [("terraform.tfvars.json", f"{too_much} for ttgate to read")]


def test_a_var_file_syntax_error_quotes_nothing_of_the_file(tmp_path: Path) -> None:
    secret = "Sup3r%{SECRET-VALUE"
    write_tree(
        tmp_path,
        {
            "main.tf": PROVIDER + 'variable "db_password" {\n  default = "x"\n}\n',
            "terraform.tfvars": f'db_password = "{secret} }}"\n',
            "extra.auto.tfvars.json": f'{{"db_password": "{secret}", oops}}',
        },
    )
    messages = [p.message for p in load(tmp_path).problems]
    assert len(messages) == 2, messages
    assert not any("SECRET" in message or "Sup3r" in message for message in messages), messages
