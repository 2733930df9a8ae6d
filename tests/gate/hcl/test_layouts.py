"""Stacks by layout: a root evaluated once per environment with its var files and its workspace."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import findings, load, write_tree
from ttgate.gate.model import Model, Stack

QUEUE = """
    variable "visibility" { default = 30 }
    resource "aws_sqs_queue" "main" {
      name                       = "tt-practice-orders-queue"
      visibility_timeout_seconds = var.visibility
    }
"""

BY_WORKSPACE = """
    locals {
      visibility = { dev = 60, prod = 600 }
    }
    resource "aws_sqs_queue" "main" {
      name                       = "tt-practice-${terraform.workspace}-queue"
      visibility_timeout_seconds = local.visibility[terraform.workspace]
    }
"""


def stacks(model: Model) -> dict[str, Stack]:
    return {stack.name: stack for stack in model.stacks}


def visibility(stack: Stack) -> object:
    return stack.resources[0].values["visibility_timeout_seconds"]


def test_var_files_make_one_stack_per_environment_with_its_values(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            ".ttgate.yml": """
                layouts:
                  - {roots: "components/*", var_files: ["env/{env}.tfvars", "/shared/{env}.tfvars"]}
            """,
            "components/queue/main.tf": QUEUE,
            "components/queue/env/dev.tfvars": "visibility = 60\n",
            "components/queue/env/prod.tfvars": "visibility = 600\n",
            "shared/prod.tfvars": "visibility = 900\n",  # relative to the repository, applied after
        },
    )
    (root / ".git").mkdir()

    found = stacks(load(root))

    assert sorted(found) == ["components/queue@dev", "components/queue@prod"]
    dev, prod = found["components/queue@dev"], found["components/queue@prod"]
    assert (dev.env, dev.layout, dev.var_files) == ("dev", "layouts[0]", ("components/queue/env/dev.tfvars",))
    assert prod.var_files == ("components/queue/env/prod.tfvars", "shared/prod.tfvars")
    assert (visibility(dev), visibility(prod)) == (60, 900)


def test_var_files_outside_the_root_with_the_root_name(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            ".ttgate.yml": """
                layouts:
                  - {roots: "stacks/*", var_files: ["../../vars/{env}/{name}.tfvars"]}
            """,
            "stacks/queue/main.tf": QUEUE,
            "vars/stage/queue.tfvars": "visibility = 120\n",
            "vars/stage/other.tfvars": "visibility = 1\n",
        },
    )

    found = stacks(load(root))

    assert list(found) == ["stacks/queue@stage"]
    assert visibility(found["stacks/queue@stage"]) == 120


def test_workspace_layout_evaluates_the_root_once_per_environment(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            ".ttgate.yml": 'layouts:\n  - {roots: "app", workspace: "{env}"}\nenvironments: [dev, prod]\n',
            "app/main.tf": BY_WORKSPACE,
        },
    )

    found = stacks(load(root))

    assert sorted(found) == ["app@dev", "app@prod"]
    assert [(s.workspace, s.resources[0].values["name"], visibility(s)) for s in found.values()] == [
        ("dev", "tt-practice-dev-queue", 60),
        ("prod", "tt-practice-prod-queue", 600),
    ]


def test_terraform_workspace_is_unknown_when_nothing_says_it(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "app/main.tf": """
                resource "aws_cloudwatch_log_group" "test_only" {
                  count             = terraform.workspace == "test" ? 1 : 0
                  name              = "/aws/lambda/tt-practice-test-probe"
                  retention_in_days = 14
                }
            """
            + BY_WORKSPACE,
        },
    )

    (stack,) = load(root).stacks
    group, queue = stack.resources

    assert stack.workspace is None
    assert "nothing says which workspace app is applied in" in group.present.reason  # type: ignore[union-attr]
    assert (
        "terraform.workspace" in queue.values["visibility_timeout_seconds"].reason
    )  # never "no key 'default'"


def test_a_resource_counted_by_an_unknown_workspace_is_still_checked(tmp_path: Path) -> None:
    """Before, terraform.workspace was "default": the count was 0 and the resource vanished unchecked."""
    root = write_tree(
        tmp_path,
        {
            "app/main.tf": """
                resource "aws_lambda_function" "probe" {
                  count         = terraform.workspace == "test" ? 1 : 0
                  function_name = "tt-practice-test-probe"
                }
                resource "aws_cloudwatch_log_group" "test_only" {
                  count             = terraform.workspace == "test" ? 1 : 0
                  name              = "/aws/lambda/tt-practice-test-other"
                  retention_in_days = 5000
                }
            """
        },
    )

    assert [f.rule for f in findings("TG301", root, tg001="with")] == ["TG301"]
    assert [f.rule for f in findings("TG302", root, tg001="with")] == ["TG302"]


def test_a_fixed_workspace_in_the_policy_is_used(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            ".ttgate.yml": 'layouts:\n  - {roots: "app", workspace: default}\n',
            "app/main.tf": 'output "ws" { value = terraform.workspace }\n',
        },
    )

    (stack,) = load(root).stacks

    assert (stack.env, stack.workspace, stack.outputs["ws"]) == (None, "default", "default")


def test_an_env_folder_of_tfvars_is_detected_and_said(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "components/queue/main.tf": QUEUE,
            "components/queue/environments/dev.tfvars": "visibility = 45\n",
        },
    )

    model = load(root)

    (stack,) = model.stacks
    assert (stack.name, stack.env, stack.layout, visibility(stack)) == (
        "components/queue@dev",
        "dev",
        None,
        45,
    )
    assert any("per-environment var files detected in components/queue" in note for note in model.notes)


def test_a_layout_matching_nothing_is_one_notice_and_the_other_rules_still_run(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"components/queue/main.tf": QUEUE + 'terraform {\n  backend "s3" {}\n}\n'})

    model = load(root)

    notices = [note for note in model.notes if "no root stack matches the layout" in note]
    assert len(notices) == 1 and "layouts:" in notices[0] and "every other rule ran" in notices[0]
    assert [stack.role for stack in model.stacks] == ["root"]
    assert findings("TG202", root) == [] and findings("TG102", root) == []


def test_roots_with_no_environment_and_envs_directories(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            ".ttgate.yml": """
                layouts:
                  - {roots: "envs/{env}/{layer}"}
                  - {roots: "envs/{env}"}
                  - {roots: "global/*", layer_map: {dns: 10_core}}
            """,
            "envs/prod/main.tf": 'module "queue" {\n  source = "../../modules/queue"\n}\n',
            "envs/dev/20_infra/main.tf": 'module "queue" {\n  source = "../../../modules/queue"\n}\n',
            "modules/queue/main.tf": QUEUE,
            "global/dns/main.tf": 'resource "aws_route53_zone" "main" { name = "example.com" }\n',
        },
    )

    found = stacks(load(root))

    assert {name: (s.layer, s.env, s.role) for name, s in found.items()} == {
        "envs/prod": (None, "prod", "root"),
        "envs/dev/20_infra": ("20_infra", "dev", "root"),
        "global/dns": ("10_core", None, "root"),
    }


def test_the_runbook_layout_is_unchanged(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"deploy/20_infra/environments/dev/main.tf": QUEUE})

    (stack,) = load(root).stacks

    assert (stack.name, stack.layer, stack.env, stack.layout, stack.var_files) == (
        "deploy/20_infra/environments/dev",
        "20_infra",
        "dev",
        "stack_path",
        (),
    )


def test_a_workspace_template_names_the_root(tmp_path: Path) -> None:
    # one layout for every <app>-<env> workspace, not one per root
    root = write_tree(
        tmp_path,
        {
            ".ttgate.yml": 'layouts:\n  - {roots: "apps/*", workspace: "{name}-{env}"}\n'
            "environments: [dev, prod]\n",
            "apps/orders/main.tf": 'provider "aws" {}\n',
            "apps/billing/main.tf": 'provider "aws" {}\n',
        },
    )

    found = stacks(load(root))

    assert {name: stack.workspace for name, stack in found.items()} == {
        "apps/billing@dev": "billing-dev",
        "apps/billing@prod": "billing-prod",
        "apps/orders@dev": "orders-dev",
        "apps/orders@prod": "orders-prod",
    }


def test_a_pattern_that_names_no_file_for_an_environment_is_one_note(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            ".ttgate.yml": """
                layouts:
                  - name: components
                    roots: "components/*"
                    var_files: ["env/{env}.tfvars", "env/{env}.secrets.tfvars"]
            """,
            "components/a/main.tf": QUEUE,
            "components/a/env/dev.tfvars": "visibility = 60\n",
            "components/a/env/prod.tfvars": "visibility = 600\n",
            "components/a/env/dev.secrets.tfvars": "",
            "components/b/main.tf": QUEUE,
            "components/b/env/prod.tfvars": "visibility = 600\n",
        },
    )

    notes = [note for note in load(root).notes if "names no file" in note]

    assert notes == [
        'layout "components": "env/{env}.secrets.tfvars" names no file for environment prod in '
        "components/a, components/b, so none was applied there; check the pattern, or that the "
        "environment is meant to have one"
    ]


def test_a_root_at_the_repository_top_is_named_by_a_dot(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            ".ttgate.yml": 'layouts:\n  - {roots: ".", var_files: ["env/{env}.tfvars"], '
            'layer_map: {".": 30_app}}\n',
            "main.tf": QUEUE,
            "env/dev.tfvars": "visibility = 60\n",
        },
    )

    found = stacks(load(root))

    assert list(found) == [".@dev"]
    assert (found[".@dev"].layer, found[".@dev"].layout, visibility(found[".@dev"])) == (
        "30_app",
        "layouts[0]",
        60,
    )


def test_layout_files_outside_the_repository_are_never_read(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_tree(
        tmp_path,
        {
            "secret/dev.tfvars": "visibility = 1\n",
            "secret/stolen.tfvars": "visibility = 1\n",
            "secret/backend.conf": 'key = "stolen"\n',
            "repo/.ttgate.yml": 'layouts:\n  - {roots: "app", var_files: ["../../secret/{env}.tfvars"], '
            'backend_config: ["../../secret/backend.conf"], workspace: "{env}"}\nenvironments: [dev]\n',
            "repo/app/main.tf": 'terraform {\n  backend "s3" {}\n}\n' + QUEUE,
        },
    )
    (repo / ".git").mkdir()

    (stack,) = load(repo).stacks

    assert stack.name == "app@dev"  # from the workspace, not from the files outside
    assert (stack.var_files, visibility(stack)) == ((), 30)
    assert stack.backend is not None and stack.backend.config_files == ()
