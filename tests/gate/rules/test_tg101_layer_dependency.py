"""TG101: a stack reads state (or uses module code) only of its own or a lower layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import by_address, findings, stack, summary
from tests.snippets import remote_state
from ttgate.policy import Severity

CORE = "practice/deploy/10_core/environments/dev"


def remote(key: str, name: str = "other") -> str:
    return remote_state(key, name)


def test_upward_remote_state_is_reported(tmp_path: Path) -> None:
    result = findings(
        "TG101",
        tmp_path,
        {**stack("10_core", "dev", remote('"infra/terraform.tfstate"')), **stack("20_infra", "dev")},
    )
    assert summary(result) == [("TG101", f"{CORE}/main.tf", 1, "10_core/dev")]
    assert result[0].address == "data.terraform_remote_state.other"
    assert "20_infra" in result[0].message
    assert [r.location.file for r in result[0].related] == [
        "practice/deploy/20_infra/environments/dev/backend.tf"
    ]


def test_upward_read_without_a_writer_is_still_reported(tmp_path: Path) -> None:
    assert summary(
        findings("TG101", tmp_path, stack("20_infra", "dev", remote('"app/terraform.tfstate"')), tg001="with")
    ) == [("TG101", "practice/deploy/20_infra/environments/dev/main.tf", 1, "20_infra/dev")]


def test_same_layer_and_downward_reads_pass(tmp_path: Path) -> None:
    assert (
        summary(
            findings(
                "TG101",
                tmp_path,
                {
                    **stack("10_core", "dev"),
                    **stack(
                        "20_infra",
                        "dev",
                        remote('"core/terraform.tfstate"') + remote('"infra/terraform.tfstate"', "self"),
                    ),
                    **stack(
                        "30_app",
                        "dev",
                        remote('"core/terraform.tfstate"', "core") + remote('"infra/terraform.tfstate"'),
                    ),
                },
                tg001="with",
            )
        )
        == []
    )


def test_key_through_a_local_is_followed(tmp_path: Path) -> None:
    main = 'locals {\n  key = "app/terraform.tfstate"\n}\n' + remote("local.key")
    assert summary(findings("TG101", tmp_path, stack("20_infra", "dev", main), tg001="with")) == [
        ("TG101", "practice/deploy/20_infra/environments/dev/main.tf", 5, "20_infra/dev")
    ]


def test_unknown_key_is_unverifiable(tmp_path: Path) -> None:
    result = findings(
        "TG101", tmp_path, stack("10_core", "dev", 'variable "key" {}\n' + remote("var.key")), tg001="with"
    )
    assert summary(result) == [("TG001", f"{CORE}/main.tf", 5, "10_core/dev")]
    assert "state key" in result[0].message and "var.key" in result[0].message


def test_module_from_a_higher_layer_directory(tmp_path: Path) -> None:
    result = findings(
        "TG101",
        tmp_path,
        {
            "practice/deploy/20_infra/modules/sqs/main.tf": 'resource "aws_sqs_queue" "q" {}\n',
            **stack("10_core", "dev", 'module "sqs" {\n  source = "../../../20_infra/modules/sqs"\n}\n'),
        },
    )
    assert summary(result) == [("TG101", f"{CORE}/main.tf", 1, "10_core/dev")]
    assert result[0].address == "module.sqs"


def test_nested_module_from_a_higher_layer_reported_at_the_root_call(tmp_path: Path) -> None:
    result = findings(
        "TG101",
        tmp_path,
        {
            "practice/deploy/30_app/modules/api/main.tf": 'resource "aws_lambda_function" "f" {}\n',
            "practice/deploy/20_infra/modules/wrapper/main.tf": (
                'module "api" {\n  source = "../../../30_app/modules/api"\n}\n'
            ),
            **stack("20_infra", "dev", '\nmodule "wrapper" {\n  source = "../../modules/wrapper"\n}\n'),
        },
    )
    assert summary(result) == [
        ("TG101", "practice/deploy/20_infra/modules/wrapper/main.tf", 1, "20_infra/dev")
    ]
    assert result[0].address == "module.wrapper.module.api"


def test_lower_layer_and_shared_components_pass(tmp_path: Path) -> None:
    tree = {
        "practice/deploy/10_core/modules/naming/main.tf": 'output "prefix" {\n  value = "tt"\n}\n',
        "practice/deploy/components/lambda_worker/main.tf": 'resource "aws_lambda_function" "f" {}\n',
        "practice/deploy/30_app/modules/api/main.tf": 'resource "aws_lambda_function" "f" {}\n',
        **stack(
            "30_app",
            "dev",
            'module "naming" {\n  source = "../../../10_core/modules/naming"\n}\n'
            'module "worker" {\n  source = "../../../components/lambda_worker"\n}\n'
            'module "api" {\n  source = "../../modules/api"\n}\n',
        ),
    }
    assert findings("TG101", tmp_path, tree, tg001="with") == []


@pytest.mark.parametrize(
    "label, expected",
    [
        ("10_core/dev", [("TG101", "data.terraform_remote_state.infra", "10_core/dev", "error")]),
        ("30_app/dev", []),
    ],
)
def test_tg101_reading_infra_state_from_remote_state_in_prior_state(
    tmp_path: Path, label: str, expected: list[tuple[str, str, str, str]]
) -> None:
    plan = plans.Plan(environment="dev").remote_state(
        "infra", "infra/terraform.tfstate", outputs={"orders_queue_arn": plans.sqs_arn(plans.QUEUE)}
    )
    plan.resource(
        "aws_ssm_parameter.queue", {"name": "/dev/orders-queue", "value": plans.sqs_arn(plans.QUEUE)}
    )
    found = findings("TG101", tmp_path, plans={label: plan})
    assert by_address(found) == expected


# -- Terragrunt: dependency blocks and dependencies { paths } are edges like a remote state --------

TERRAGRUNT_LAYOUT = 'environments: [dev, prod]\nlayouts:\n  - {roots: "live/{env}/{layer}/*"}\n'
UNIT_MODULE = 'variable "x" {\n  default = null\n}\noutput "id" {\n  value = "v"\n}\n'


def test_a_terragrunt_dependency_on_a_higher_layer_is_reported_at_the_block(tmp_path: Path) -> None:
    tree = {
        ".ttgate.yml": TERRAGRUNT_LAYOUT,
        "live/dev/10_core/vpc/terragrunt.hcl": (
            'dependency "worker" {\n  config_path = "../../30_app/worker"\n}\n'
            "inputs = { x = dependency.worker.outputs.id }\n"
        ),
        "live/dev/10_core/vpc/main.tf": UNIT_MODULE,
        "live/dev/30_app/worker/terragrunt.hcl": "inputs = {}\n",
        "live/dev/30_app/worker/main.tf": UNIT_MODULE,
        # lower layers are allowed
        "live/dev/30_app/api/terragrunt.hcl": 'dependency "vpc" {\n  config_path = "../../10_core/vpc"\n}\n',
        "live/dev/30_app/api/main.tf": UNIT_MODULE,
    }

    found = findings("TG101", tmp_path, tree)

    assert summary(found) == [("TG101", "live/dev/10_core/vpc/terragrunt.hcl", 1, "10_core/dev")]
    assert (
        'reads the outputs of live/dev/30_app/worker (30_app) through dependency "worker"' in found[0].message
    )


def test_terragrunt_dependencies_paths_are_edges_too(tmp_path: Path) -> None:
    tree = {
        ".ttgate.yml": TERRAGRUNT_LAYOUT,
        "live/dev/20_infra/queues/terragrunt.hcl": (
            'dependencies {\n  paths = ["../../10_core/vpc", "../../30_app/worker"]\n}\n'
        ),
        "live/dev/20_infra/queues/main.tf": UNIT_MODULE,
        "live/dev/10_core/vpc/terragrunt.hcl": "",
        "live/dev/10_core/vpc/main.tf": UNIT_MODULE,
        "live/dev/30_app/worker/terragrunt.hcl": "",
        "live/dev/30_app/worker/main.tf": UNIT_MODULE,
    }

    found = findings("TG101", tmp_path, tree)

    assert summary(found) == [("TG101", "live/dev/20_infra/queues/terragrunt.hcl", 2, "20_infra/dev")]
    assert "is applied after live/dev/30_app/worker (30_app) by dependencies.paths[1]" in found[0].message


# -- reads linked to the stack that writes the state (corpus-defects 7, 8) -------------------------


def _backend(key: str) -> str:
    return (
        'terraform {\n  backend "s3" {\n    bucket = "demo-state"\n    key    = "'
        + key
        + '"\n    region = "eu-west-1"\n  }\n}\n'
    )


def _reads(key: str) -> str:
    return (
        'data "terraform_remote_state" "other" {\n  backend = "s3"\n  config = {\n    bucket = "demo-state"\n'
        f'    key    = "{key}"\n    region = "eu-west-1"\n  }}\n}}\n'
    )


COMPONENTS = (
    'environments: [dev, prod]\nlayouts:\n  - {name: components, roots: "*/environments/{env}", '
    "layer_map: {iam: 10_core, s3: 20_infra, net: 10_core, app: 30_app}}\n"
)


def test_a_read_takes_the_layer_of_the_stack_that_writes_the_state(tmp_path: Path) -> None:
    # deptagency: soapbox/terraform/dev/iam (10_core) reads s3's state (20_infra), keys not the runbook's
    tree = {
        ".ttgate.yml": COMPONENTS,
        "iam/environments/dev/main.tf": _backend("iam/dev.tfstate") + _reads("s3/dev.tfstate"),
        "s3/environments/dev/main.tf": _backend("s3/dev.tfstate"),
    }

    found = findings("TG101", tmp_path, tree)

    assert summary(found) == [("TG101", "iam/environments/dev/main.tf", 8, "10_core/dev")]
    assert "reads the state of s3/environments/dev, a 20_infra stack (s3/dev.tfstate)" in found[0].message


def test_reading_another_environment_s_state_is_a_warning(tmp_path: Path) -> None:
    # sydney-sisco: staging's module hard-codes key = "networking.prod.tfstate"
    tree = {
        ".ttgate.yml": COMPONENTS,
        "net/environments/prod/main.tf": _backend("net.prod.tfstate"),
        "app/environments/dev/main.tf": _backend("app.dev.tfstate") + _reads("net.prod.tfstate"),
    }

    (found,) = findings("TG101", tmp_path, tree)

    assert found.severity == Severity.WARNING
    assert found.message.startswith(
        "app/environments/dev (dev) depends on net/environments/prod, a stack of prod, through "
        "data.terraform_remote_state.other"
    )
