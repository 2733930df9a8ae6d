"""yamldecode(file(...)) and fileset(path, pattern) on repository files: the YAML 1.2 core schema,
safe loading only, bounded, and never outside the repository."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import findings, write_tree
from ttgate.gate.hcl import files as files_module
from ttgate.gate.hcl.evaluate import Evaluator, Trace
from ttgate.gate.hcl.files import Files, Repository
from ttgate.gate.hcl.parse import parse_text
from ttgate.gate.values import Invalid, Unknown

CONFIG = """
dev:
  timeout: 30
  enabled: yes        # YAML 1.1's true; the core schema's string
  since: 2024-01-01   # a string too, not a timestamp
  hex: 0x10
prod:
  timeout: 300
  ratio: 2.5
  ref: !Ref Other
  list: &ports [80, 443]
  again: *ports
"""


class NoNames:
    def lookup(self, name: str, trace: Trace) -> Any:
        return Invalid(f"{name} is not declared")


def ev(text: str, root: Path) -> Any:
    body = parse_text(f"x = {text}\n").body
    assert body is not None, text
    return Evaluator(NoNames(), files=Files(Repository(root), root)).evaluate(body.attributes["x"].expr)


def test_yamldecode_of_a_repository_file_follows_the_core_schema(tmp_path: Path) -> None:
    write_tree(tmp_path, {"config.yaml": CONFIG})

    dev = ev('yamldecode(file("config.yaml"))["dev"]', tmp_path)
    prod = ev('yamldecode(file("config.yaml")).prod', tmp_path)

    assert dev == {"timeout": 30, "enabled": "yes", "since": "2024-01-01", "hex": 16}
    assert (prod["timeout"], prod["ratio"], prod["list"], prod["again"]) == (300, 2.5, [80, 443], [80, 443])
    assert isinstance(prod["ref"], Unknown)
    assert prod["ref"].reason == "the YAML tag !Ref is outside the core schema, so ttgate does not decode it"


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['true']", "!!binary aGk=", "!!set {a}"])
def test_tags_beyond_the_core_schema_are_never_constructed(tmp_path: Path, tag: str) -> None:
    value = ev(f"yamldecode({_hcl_string('x: ' + tag)}).x", tmp_path)

    assert isinstance(value, Unknown) and not isinstance(value, Invalid)
    assert "outside the core schema" in value.reason


def test_invalid_yaml_is_terraforms_error_with_the_line(tmp_path: Path) -> None:
    value = ev(_yamldecode("a: 1\nb: [\n"), tmp_path)

    assert isinstance(value, Invalid)
    assert "yamldecode: invalid YAML: on line 3" in value.reason


def test_an_alias_bomb_is_bounded(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]

    value = ev(_yamldecode("\n".join(lines) + "\n"), tmp_path)

    assert isinstance(value, Unknown) and "once its aliases are expanded" in value.reason


def test_fileset_lists_matching_files_relative_to_the_path(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"queues/orders.yaml": "", "queues/nested/billing.yml": "", "queues/readme.md": "", "other.yaml": ""},
    )

    assert ev('fileset("queues", "*.yaml")', tmp_path) == ["orders.yaml"]
    assert ev('fileset("queues", "**/*.{yaml,yml}")', tmp_path) == ["nested/billing.yml", "orders.yaml"]
    assert ev('fileset("nope", "*")', tmp_path) == []


def test_fileset_never_lists_outside_the_repository(tmp_path: Path) -> None:
    inside = tmp_path / "repo"
    write_tree(tmp_path, {"secret/key.yaml": "", "repo/a.yaml": ""})
    os.symlink(tmp_path / "secret/key.yaml", inside / "link.yaml")

    assert ev('fileset(".", "*.yaml")', inside) == ["a.yaml"]
    outside = ev('fileset("../secret", "*")', inside)
    assert isinstance(outside, Unknown) and "outside the repository" in outside.reason


def test_fileset_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "MAX_LISTED", 3)
    write_tree(tmp_path, {f"d/{n}.yaml": "" for n in range(5)})

    value = ev('fileset("d", "*")', tmp_path)

    assert isinstance(value, Unknown) and "more than 3 entries" in value.reason


def test_a_queue_configured_by_a_yaml_file_per_workspace_is_checked(tmp_path: Path) -> None:
    # `yamldecode(file(...))[terraform.workspace]`: the corpus's configuration left unknown before
    tree = {
        ".ttgate.yml": 'layouts:\n  - {roots: "app", workspace: "{env}", layer_map: {app: 20_infra}}\n'
        "environments: [dev, prod]\n",
        "app/settings.yaml": "dev:\n  visibility: 900\nprod:\n  visibility: 20\n",
        "app/main.tf": """
            locals {
              settings = yamldecode(file("${path.module}/settings.yaml"))[terraform.workspace]
            }
            resource "aws_sqs_queue" "dlq" {
              name = "tt-practice-${terraform.workspace}-orders-dlq"
            }
            resource "aws_sqs_queue" "main" {
              name                       = "tt-practice-${terraform.workspace}-orders-queue"
              visibility_timeout_seconds = local.settings.visibility
              redrive_policy = jsonencode({
                deadLetterTargetArn = aws_sqs_queue.dlq.arn
                maxReceiveCount     = 3
              })
            }
            resource "aws_lambda_function" "worker" {
              function_name = "tt-practice-${terraform.workspace}-worker"
              role          = "arn:aws:iam::123456789012:role/r"
              handler       = "h"
              runtime       = "python3.12"
              filename      = "f.zip"
              timeout       = 25
            }
            resource "aws_lambda_event_source_mapping" "m" {
              event_source_arn = aws_sqs_queue.main.arn
              function_name    = aws_lambda_function.worker.arn
            }
        """,
    }

    found = findings("TG201", tmp_path, tree, tg001="with")

    assert [(f.rule, f.stack.name if f.stack else None) for f in found] == [("TG201", "app@prod")]


def _hcl_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _yamldecode(text: str) -> str:
    return f"yamldecode({_hcl_string(text)})"
