"""Terragrunt units (gate/hcl/terragrunt.py): include merge, dependency outputs linked to the unit at
config_path, remote sources, and hostile trees (cycles, deep chains, paths outside the repository)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import findings, policy_for, write_tree
from ttgate.gate.hcl.evaluate import Evaluator
from ttgate.gate.hcl.loader import load_hcl
from ttgate.gate.hcl.parse import Parser
from ttgate.gate.model import Model
from ttgate.gate.values import Unknown
from ttgate.policy import Policy

LAYOUTS = Path(__file__).resolve().parents[2] / "data" / "layouts"

VARIABLE_MODULE = """
variable "name" {
  type = string
}

variable "region" {
  type    = string
  default = "us-east-1"
}

resource "aws_sqs_queue" "main" {
  name = "${var.name}-${var.region}"
}

output "arn" {
  value = aws_sqs_queue.main.arn
}
"""


def load(root: Path, policy: Policy) -> Model:
    return load_hcl([root], root, policy, Parser(None, 1))


def test_include_merges_inputs_shallowly_and_remote_state(tmp_path: Path, builtin_policy: Policy) -> None:
    root = write_tree(
        tmp_path,
        {
            "root.hcl": """
                locals { region = get_env("AWS_REGION", "eu-west-1") }
                remote_state {
                  backend = "s3"
                  config  = { key = "${path_relative_to_include()}/terraform.tfstate" }
                }
                inputs = { name = "parent", region = local.region }
            """,
            "units/a/terragrunt.hcl": """
                include "root" { path = find_in_parent_folders("root.hcl") }
                terraform { source = "../../modules/q" }
                locals { suffix = "child" }
                inputs = { name = "${include.root.locals.region}-${local.suffix}" }
            """,
            "modules/q/main.tf": VARIABLE_MODULE,
        },
    )

    model = load(root, builtin_policy)

    (stack,) = model.stacks
    assert stack.name == "units/a"
    assert stack.backend is not None and stack.backend.config["key"] == "units/a/terraform.tfstate"
    (queue,) = stack.resources
    assert queue.values["name"] == "eu-west-1-child-eu-west-1"
    assert model.problems == []


def test_get_env_never_reads_the_job_environment(
    tmp_path: Path, builtin_policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTGATE_TEST_NAME", "from-env")
    root = write_tree(
        tmp_path,
        {
            "u/terragrunt.hcl": """
                terraform { source = "../modules/q" }
                inputs = { name = get_env("TTGATE_TEST_NAME", "default-name") }
            """,
            "modules/q/main.tf": VARIABLE_MODULE,
        },
    )
    (queue,) = load(root, builtin_policy).stacks[0].resources

    assert queue.values["name"] == "default-name-us-east-1"


def test_a_dependency_reads_the_real_units_outputs_never_mocks(
    tmp_path: Path, builtin_policy: Policy
) -> None:
    root = write_tree(
        tmp_path,
        {
            "q/terragrunt.hcl": """
                terraform { source = "../modules/q" }
                inputs = { name = "orders" }
            """,
            "c/terragrunt.hcl": """
                terraform { source = "../modules/q" }
                dependency "q" {
                  config_path  = "../q"
                  mock_outputs = { arn = "mock" }
                }
                inputs = { name = dependency.q.outputs.arn }
            """,
            "modules/q/main.tf": VARIABLE_MODULE,
        },
    )

    model = load(root, builtin_policy)

    consumer = next(stack for stack in model.stacks if stack.name == "c")
    (dependency,) = consumer.dependencies
    assert dependency.target is not None and dependency.target.name == "q"
    (queue,) = consumer.resources
    assert "mock" not in str(queue.values["name"])
    assert not isinstance(queue.values["name"], str)  # the real queue's ARN: unknown until apply


def test_tg201_across_a_dependency(builtin_policy: Policy) -> None:
    found = findings("TG201", LAYOUTS / "terragrunt")

    assert [(f.stack.name if f.stack else None, f.location.file if f.location else None) for f in found] == [
        ("live/dev/20_infra/queues", "modules/queues/main.tf")
    ]
    assert "consumer worker (30_app/dev) may run for 300 s" in found[0].message


def test_a_remote_source_is_listed_with_a_note(tmp_path: Path, builtin_policy: Policy) -> None:
    root = write_tree(
        tmp_path,
        {"u/terragrunt.hcl": 'terraform { source = "git::https://example.com/m.git//q?ref=v1" }\n'},
    )

    model = load(root, builtin_policy)

    (stack,) = model.stacks
    assert stack.unit_source == "git::https://example.com/m.git//q?ref=v1"
    assert stack.resources == []
    assert any("is remote" in note and "u:" in note for note in model.notes)


def test_an_include_path_built_with_dirname_is_followed(tmp_path: Path, builtin_policy: Policy) -> None:
    """Terragrunt's own example layout: an exposed include found next to the root file."""
    root = write_tree(
        tmp_path,
        {
            "live/root.hcl": "",
            "live/_envcommon/q.hcl": 'locals {\n  source = "../../../modules/q"\n}\n',
            "live/dev/q/terragrunt.hcl": (
                'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n'
                'include "envcommon" {\n'
                '  path   = "${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/q.hcl"\n'
                "  expose = true\n}\n"
                'terraform {\n  source = "git::https://example.com/m.git//q?ref=${include.envcommon.locals.source}"\n}\n'
            ),
        },
    )

    model = load(root, builtin_policy)

    (stack,) = model.stacks
    assert stack.unit_source == "git::https://example.com/m.git//q?ref=../../../modules/q"
    assert model.problems == []


def test_an_include_path_it_cannot_evaluate_is_a_note_not_an_error(
    tmp_path: Path, builtin_policy: Policy
) -> None:
    root = write_tree(
        tmp_path,
        {"u/terragrunt.hcl": 'include "x" {\n  path = get_path_from_somewhere()\n}\n'},
    )

    model = load(root, builtin_policy)

    assert model.problems == []
    assert any("include x: its path cannot be evaluated" in note for note in model.notes), model.notes


def test_an_include_cycle_is_one_problem(tmp_path: Path, builtin_policy: Policy) -> None:
    root = write_tree(
        tmp_path,
        {
            "a.hcl": 'include "b" { path = "b.hcl" }\n',
            "b.hcl": 'include "a" { path = "a.hcl" }\n',
            "u/terragrunt.hcl": 'include "a" { path = find_in_parent_folders("a.hcl") }\n',
        },
    )

    model = load(root, builtin_policy)

    assert [stack.name for stack in model.stacks] == ["u"]
    assert [p.message for p in model.problems if "cycle" in p.message] == [
        "include a reads a.hcl, which is already being read (a cycle)"
    ]


def test_a_deep_include_chain_is_bounded(tmp_path: Path, builtin_policy: Policy) -> None:
    tree = {f"c{n}.hcl": f'include "next" {{ path = "c{n + 1}.hcl" }}\n' for n in range(50)}
    tree["c50.hcl"] = "inputs = {}\n"
    tree["u/terragrunt.hcl"] = 'include "c" { path = find_in_parent_folders("c0.hcl") }\n'
    root = write_tree(tmp_path, tree)

    model = load(root, builtin_policy)

    assert [stack.name for stack in model.stacks] == ["u"]
    assert len([p for p in model.problems if "deeper than" in p.message]) == 1


def test_a_config_path_outside_the_repository_is_not_followed(tmp_path: Path, builtin_policy: Policy) -> None:
    write_tree(tmp_path, {"outside/terragrunt.hcl": "inputs = {}\n"})
    root = write_tree(
        tmp_path / "repo",
        {
            "u/terragrunt.hcl": """
                terraform { source = "../modules/q" }
                dependency "x" { config_path = "../../outside" }
                inputs = { name = dependency.x.outputs.arn }
            """,
            "modules/q/main.tf": VARIABLE_MODULE,
        },
    )

    model = load(root, builtin_policy)

    (stack,) = model.stacks
    (dependency,) = stack.dependencies
    assert dependency.target is None
    assert dependency.problem == "its config_path is outside the checked directory"
    assert len(model.problems) == 1
    name = stack.resources[0].values["name"]
    assert isinstance(name, Unknown) and "outside the checked directory" in name.reason


def test_a_missing_dependency_directory_is_one_problem(tmp_path: Path, builtin_policy: Policy) -> None:
    root = write_tree(
        tmp_path,
        {
            "u/terragrunt.hcl": """
                terraform { source = "../modules/q" }
                dependency "gone" { config_path = "../gone" }
                inputs = { name = dependency.gone.outputs.arn }
            """,
            "modules/q/main.tf": VARIABLE_MODULE,
        },
    )

    model = load(root, builtin_policy)

    assert [p.message for p in model.problems] == [
        'dependency "gone" of u: no unit at gone, so its outputs are unknown'
    ]


def test_an_included_files_inputs_are_evaluated_once_however_often_they_are_read(
    tmp_path: Path, builtin_policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real tree (growit-io's) took 85 s: every include.x read evaluated the parent's inputs again."""
    reads = "\n".join(f"  r{i} = include.root.inputs.name" for i in range(50))
    root = write_tree(
        tmp_path,
        {
            "live/root.hcl": 'inputs = {\n  name = "orders"\n}\n',
            "live/dev/q/main.tf": (
                'variable "all" {}\nresource "aws_sqs_queue" "q" {\n  name = var.all[0]\n}\n'
            ),
            "live/dev/q/terragrunt.hcl": (
                'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n'
                f"locals {{\n{reads}\n}}\n"
                "inputs = {\n  all = [" + ", ".join(f"local.r{i}" for i in range(50)) + "]\n}\n"
            ),
        },
    )
    evaluated: list[str] = []
    original = Evaluator.evaluate

    def counting(self: Evaluator, expr: Any, trace: Any = None) -> Any:
        if type(expr).__name__ == "ObjectExpr" and "'orders'" in repr(expr):
            evaluated.append("root inputs")
        return original(self, expr) if trace is None else original(self, expr, trace)

    monkeypatch.setattr(Evaluator, "evaluate", counting)
    [queue] = [resource for stack in load(root, builtin_policy).stacks for resource in stack.resources]
    assert queue.values["name"] == "orders"
    # once for the include.root reads, once where the unit merges its inputs (keeping their origins)
    assert len(evaluated) <= 2, len(evaluated)


def test_read_terragrunt_config_locals_can_be_merged(tmp_path: Path, builtin_policy: Policy) -> None:
    # corpus-defects 4 (deptagency): merge(local.common.locals, ...) was "a map or object is required,
    # got _Locals", a Python class name, and every unit's backend was unchecked
    root = write_tree(
        tmp_path,
        {
            "live/common.hcl": 'locals {\n  prefix = "demo"\n}\n',
            "live/dev/terragrunt.hcl": """
                locals {
                  common = read_terragrunt_config(find_in_parent_folders("common.hcl"))
                  merged = merge(local.common.locals, { env = "dev" })
                }
                remote_state {
                  backend = "s3"
                  config = {
                    bucket         = "${local.merged.prefix}-tfstate"
                    key            = "${path_relative_to_include()}/terraform.tfstate"
                    dynamodb_table = "${local.merged.prefix}-${local.merged.env}-locks"
                  }
                }
            """,
            "live/dev/app/terragrunt.hcl": """
                include "root" {
                  path = find_in_parent_folders()
                }
                terraform {
                  source = "../../../modules/app"
                }
                inputs = { name = merge(include.root.locals.merged, {}).prefix }
            """,
            "modules/app/main.tf": VARIABLE_MODULE,
        },
    )

    model = load(root, builtin_policy)

    (stack,) = model.stacks
    assert stack.backend is not None
    assert (stack.backend.config["bucket"], stack.backend.config["dynamodb_table"]) == (
        "demo-tfstate",
        "demo-dev-locks",
    )
    assert stack.resources[0].values["name"] == "demo-us-east-1"


def test_get_original_terragrunt_dir_is_the_unit_s_directory(tmp_path: Path, builtin_policy: Policy) -> None:
    # chrispsheehan/aws-terragrunt-starter: config_path = "${get_original_terragrunt_dir()}/../security"
    root = write_tree(
        tmp_path,
        {
            "live/security/terragrunt.hcl": "",
            "live/security/main.tf": 'output "sg" {\n  value = "sg-1"\n}\n',
            "live/app/terragrunt.hcl": """
                dependency "security" {
                  config_path = "${get_original_terragrunt_dir()}/../security"
                }
                terraform {
                  source = "../../modules/q"
                }
                inputs = { name = dependency.security.outputs.sg }
            """,
            "modules/q/main.tf": VARIABLE_MODULE,
        },
    )

    model = load(root, builtin_policy)

    app = next(stack for stack in model.stacks if stack.name == "live/app")
    assert [d.target.name if d.target else d.problem for d in app.dependencies] == ["live/security"]
    assert app.resources[0].values["name"] == "sg-1-us-east-1"


def test_generate_blocks_add_their_files_to_the_unit_s_module(tmp_path: Path) -> None:
    # corpus-defects 5 (cds-snc env/terragrunt.hcl:207): generate "common_variables" { contents =
    # file("variables.tf") }; "var.retention is not declared in modules/logs" was a TG001 per resource
    root = write_tree(
        tmp_path,
        {
            "live/terragrunt.hcl": """
                generate "common_variables" {
                  path      = "common_variables.tf"
                  if_exists = "overwrite"
                  contents  = file("variables.tf")
                }
                generate "unknown" {
                  path     = "other.tf"
                  contents = get_env("NOT_SET")
                }
                inputs = {
                  retention = 8
                }
            """,
            "live/variables.tf": 'variable "retention" {\n  type = number\n}\n',
            "live/dev/logs/terragrunt.hcl": """
                include {
                  path = find_in_parent_folders()
                }
                terraform {
                  source = "../../../modules/logs"
                }
            """,
            "live/dev/other/terragrunt.hcl": "include {\n  path = find_in_parent_folders()\n}\n",
            "modules/logs/main.tf": """
                resource "aws_cloudwatch_log_group" "g" {
                  name              = "/app/logs"
                  retention_in_days = var.retention
                }
            """,
            ".ttgate.yml": "environments: [dev]\nlayouts:\n"
            '  - {roots: "live/{env}/*", layer_map: {logs: 30_app}}\n',
        },
    )

    found = findings("TG301", root, tg001="with")

    assert [(f.rule, f.location.file if f.location else None) for f in found] == [
        ("TG301", "modules/logs/main.tf")
    ]
    assert "8" in found[0].message
    model = load_hcl([root], root, policy_for(root), Parser(None, 1))
    # once for the block, not once per unit that includes it (cds-snc: 100 times)
    assert sum('generate "unknown" writes other.tf' in note for note in model.notes) == 1


def test_a_directory_of_generate_sources_is_not_a_module_no_root_calls(tmp_path: Path) -> None:
    # corpus-defects 5 (cds-snc env/variables.tf): it was "checked as a root" with a note saying so
    root = write_tree(
        tmp_path,
        {
            "live/terragrunt.hcl": """
                generate "common_variables" {
                  path     = "common_variables.tf"
                  contents = file("variables.tf")
                }
            """,
            "live/variables.tf": 'variable "retention" {\n  type = number\n}\n',
            "live/dev/logs/terragrunt.hcl": "include {\n  path = find_in_parent_folders()\n}\n",
            "live/dev/logs/main.tf": 'output "retention" {\n  value = var.retention\n}\n',
            "modules/lib/main.tf": 'variable "x" {}\n',
        },
    )

    model = load_hcl([root], root, policy_for(root), Parser(None, 1))

    assert model.directories["live"] == "Terragrunt generate source, written into the units"
    assert model.directories["modules/lib"] == "module no root calls, checked as a root"
    assert [stack.name for stack in model.stacks] == ["live/dev/logs", "modules/lib"]
