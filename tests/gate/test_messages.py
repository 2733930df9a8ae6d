"""Messages show values as Terraform writes them, never as Python's reprs."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import check, stack, write_tree

# Each DLQ's retention is something ttgate cannot decide, for a different reason.
TRICKY = [
    "var.settings.retention",  # null
    'var.names["z"]',  # no such key
    "var.names[0]",  # a map indexed by a number
    "[for x in 5 : x][0]",  # iterating over a number
    '"maybe" ? 1 : 2',  # not a bool
    "[1] + 1",  # arithmetic on a list
    '-"it\'s"',  # negating a string
    "aws_lambda_function.f.*.arn[0]",  # legacy splat of an unknown
    '{for k in ["a", "a"] : k => k}["a"]',  # duplicate key
    'file("../../../../../../outside.txt")',  # out of the repository
    'file("missing.json")',
    'jsondecode("{\\"a\\": [\\"x\\", \\"it\'s\\"]}").b',  # no attribute
    'tonumber(["x", "y"])',
    "var.list[var.list]",
]


def test_messages_from_tricky_inputs_have_no_python_reprs(tmp_path: Path) -> None:
    queues = "".join(
        f"""
resource "aws_sqs_queue" "q{n}" {{
  name                      = "tt-practice-dev-q{n}-dlq"
  message_retention_seconds = {expression}
}}
"""
        for n, expression in enumerate(TRICKY)
    )
    variables = """
variable "settings" {
  default = null
}
variable "names" {
  default = { a = "it's", b = "x" }
}
variable "list" {
  default = ["a", "b"]
}
resource "aws_lambda_function" "f" {
  function_name = "tt-practice-dev-f"
}
module "remote" {
  source = "git::https://example.com/it's.git"
}
"""
    write_tree(tmp_path, stack("20_infra", "dev", queues + variables))
    found = check(tmp_path)
    messages = [finding.message for finding in found]
    assert len([f for f in found if f.rule == "TG001"]) >= len(TRICKY), messages
    text = "\n".join(messages)
    for python in ("Unknown(", "Invalid(", "[Unknown", "NoneType", "<ttgate", "Token(", "Tree("):
        assert python not in text
    assert not re.search(r"\['[^']*'(, '[^']*')*\]", text), text  # ['a', 'b']
    assert not re.search(r"(?<![a-z])'[^' ]+'(?![a-z])", text.replace("it's", "")), text  # 'z'
    assert "var.settings is null, so var.settings.retention cannot be read" in text
    assert 'no key "z"' in text


def test_strings_are_quoted_as_terraform_quotes_them() -> None:
    from ttgate.gate.values import display

    assert display('say "hi"\n${x}') == '"say \\"hi\\"\\n$${x}"'
    assert display(["a", None, True, {"k": "v"}]) == '["a", null, true, {k = "v"}]'
