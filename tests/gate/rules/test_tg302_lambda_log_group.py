"""TG302 lambda-log-group: every Lambda has a managed /aws/lambda/{function} log group."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import by_address, expected_on_examples, findings, on_examples, stack, summary, write_tree
from tests.snippets import WORKER, remote_state
from ttgate.policy import Severity

APP = "practice/deploy/30_app/environments/dev"


def log_group(name: str = '"/aws/lambda/tt-practice-dev-worker"') -> str:
    return f"""
resource "aws_cloudwatch_log_group" "worker" {{
  name              = {name}
  retention_in_days = 14
}}
"""


def tg302(root: Path) -> list[tuple[str, str, int, str]]:
    return summary(findings("TG302", root))


def unverifiable(root: Path) -> list[tuple[str, str, int, str]]:
    return summary(findings("TG302", root, tg001="only"))


def test_function_with_its_log_group_passes(tmp_path: Path) -> None:
    write_tree(tmp_path, stack("30_app", "dev", main=WORKER + log_group()))
    assert tg302(tmp_path) == []
    assert unverifiable(tmp_path) == []


def test_log_group_named_from_the_function_passes(tmp_path: Path) -> None:
    name = '"/aws/lambda/${aws_lambda_function.worker.function_name}"'
    write_tree(tmp_path, stack("30_app", "dev", main=WORKER + log_group(name)))
    assert tg302(tmp_path) == []
    assert unverifiable(tmp_path) == []


def test_function_without_log_group_is_a_warning_on_the_function(tmp_path: Path) -> None:
    found = findings("TG302", tmp_path, stack("30_app", "dev", main=WORKER))
    assert summary(found) == [("TG302", f"{APP}/main.tf", 1, "30_app/dev")]
    finding = found[0]
    assert finding.severity is Severity.WARNING
    assert finding.address == "aws_lambda_function.worker"
    assert '"/aws/lambda/tt-practice-dev-worker"' in finding.message
    assert '"never expire"' in finding.message
    assert "first invocation" in finding.message
    assert 'name = "/aws/lambda/tt-practice-dev-worker"' in finding.fix


def test_log_group_of_another_function_does_not_count(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        stack("30_app", "dev", main=WORKER + log_group('"/aws/lambda/tt-practice-dev-worker-old"')),
    )
    assert tg302(tmp_path) == [("TG302", f"{APP}/main.tf", 1, "30_app/dev")]


def test_logging_config_names_the_group_to_look_for(tmp_path: Path) -> None:
    function = WORKER.replace(
        "  timeout       = 10\n",
        '  logging_config {\n    log_format = "JSON"\n    log_group  = "/custom/worker"\n  }\n',
    )
    write_tree(tmp_path / "ok", stack("30_app", "dev", main=function + log_group('"/custom/worker"')))
    assert tg302(tmp_path / "ok") == []
    found = findings("TG302", tmp_path / "missing", stack("30_app", "dev", main=function + log_group()))
    assert summary(found) == [("TG302", f"{APP}/main.tf", 1, "30_app/dev")]
    assert 'its logging_config names "/custom/worker"' in found[0].message


def test_logging_config_referencing_the_managed_group_passes(tmp_path: Path) -> None:
    function = WORKER.replace(
        "  timeout       = 10\n",
        '  logging_config {\n    log_format = "JSON"\n'
        "    log_group  = aws_cloudwatch_log_group.worker.name\n  }\n",
    )
    write_tree(
        tmp_path,
        stack(
            "30_app",
            "dev",
            main=function + log_group('"/custom/${var.suffix}"'),
            variables__tf='variable "suffix" {\n  type = string\n}\n',
        ),
    )
    assert tg302(tmp_path) == []
    assert unverifiable(tmp_path) == []


def test_function_name_from_tfvars(tmp_path: Path) -> None:
    main = """
resource "aws_lambda_function" "worker" {
  function_name = "${var.project}-${var.environment}-worker"
}

resource "aws_cloudwatch_log_group" "worker" {
  name = "/aws/lambda/${var.project}-dev-worker"
}
"""
    variables = 'variable "project" {}\nvariable "environment" {}\n'
    write_tree(
        tmp_path / "ok",
        stack(
            "30_app",
            "dev",
            main=main,
            variables__tf=variables,
            terraform__tfvars='project = "tt-practice"\nenvironment = "dev"\n',
        ),
    )
    assert tg302(tmp_path / "ok") == []
    found = findings(
        "TG302",
        tmp_path / "drift",
        stack(
            "30_app",
            "dev",
            main=main,
            variables__tf=variables,
            terraform__tfvars='project = "tt-practice"\nenvironment = "qa"\n',
        ),
    )
    assert summary(found) == [("TG302", f"{APP}/main.tf", 1, "30_app/dev")]
    assert "/aws/lambda/tt-practice-qa-worker" in found[0].message


COMPONENT = """
variable "name" {
  type = string
}

variable "create_log_group" {
  type    = bool
  default = true
}

locals {
  function_name = "tt-practice-dev-${var.name}"
}

resource "aws_cloudwatch_log_group" "this" {
  count = var.create_log_group ? 1 : 0
  name  = "/aws/lambda/${local.function_name}"
}

resource "aws_lambda_function" "this" {
  function_name = local.function_name
}
"""


def test_function_in_a_local_module_with_a_module_argument(tmp_path: Path) -> None:
    main = """
module "worker" {
  source = "../../../components/lambda"
  name   = "worker"
}

module "cron" {
  source           = "../../../components/lambda"
  name             = "cron"
  create_log_group = false
}
"""
    found = findings(
        "TG302",
        tmp_path,
        {**stack("30_app", "dev", main=main), "practice/deploy/components/lambda/main.tf": COMPONENT},
    )
    assert summary(found) == [("TG302", "practice/deploy/components/lambda/main.tf", 19, "30_app/dev")]
    assert found[0].address == "module.cron.aws_lambda_function.this"
    assert "tt-practice-dev-cron" in found[0].message


def test_counted_functions_each_need_their_group(tmp_path: Path) -> None:
    main = """
resource "aws_lambda_function" "shard" {
  count         = 2
  function_name = "tt-practice-dev-shard${count.index}"
}

resource "aws_cloudwatch_log_group" "shard" {
  count = 1
  name  = "/aws/lambda/${aws_lambda_function.shard[count.index].function_name}"
}
"""
    found = findings("TG302", tmp_path, stack("30_app", "dev", main=main))
    assert [f.address for f in found] == ["aws_lambda_function.shard[1]"]
    assert summary(found) == [("TG302", f"{APP}/main.tf", 1, "30_app/dev")]


def test_a_function_with_an_unknown_name_and_no_log_group_at_all_is_a_warning(tmp_path: Path) -> None:
    main = 'resource "aws_lambda_function" "worker" {\n  function_name = var.name\n}\n'
    found = findings(
        "TG302", tmp_path, stack("30_app", "dev", main=main, variables__tf='variable "name" {}\n')
    )
    assert summary(found) == [("TG302", f"{APP}/main.tf", 1, "30_app/dev")]
    assert "/aws/lambda/<function_name>" in found[0].message
    assert unverifiable(tmp_path) == []


def test_a_log_group_named_after_the_functions_unknown_name_is_its_group(tmp_path: Path) -> None:
    main = """
        resource "aws_lambda_function" "worker" {
          function_name = "worker-${var.name}"
        }
        resource "aws_cloudwatch_log_group" "worker" {
          name              = "/aws/lambda/${aws_lambda_function.worker.function_name}"
          retention_in_days = 14
        }
    """
    write_tree(tmp_path, stack("30_app", "dev", main=main, variables__tf='variable "name" {}\n'))
    assert tg302(tmp_path) == []
    assert unverifiable(tmp_path) == []


@pytest.mark.parametrize(
    ("group_name", "is_its_group"),
    [
        ('"/aws/lambda/${var.name}-worker"', True),  # built the same way from the same variable
        ('"/aws/lambda/${var.name}-other"', False),  # the known ends differ
    ],
)
def test_a_group_built_like_the_functions_unknown_name_is_decided(
    tmp_path: Path, group_name: str, is_its_group: bool
) -> None:
    main = f"""
        resource "aws_lambda_function" "worker" {{
          function_name = "${{var.name}}-worker"
        }}
        resource "aws_cloudwatch_log_group" "worker" {{
          name              = {group_name}
          retention_in_days = 14
        }}
    """
    write_tree(tmp_path, stack("30_app", "dev", main=main, variables__tf='variable "name" {}\n'))
    assert len(tg302(tmp_path)) == (0 if is_its_group else 1)
    assert unverifiable(tmp_path) == []


@pytest.mark.parametrize(
    ("group_name", "decided"),
    [
        ('"/aws/lambda/worker-blue"', False),  # may be it: the function's name starts with "worker-"
        ('"/aws/lambda/other"', True),  # cannot be it
        ('"/aws/lambda/${var.group}"', False),  # may be it
        ('"/ecs/${var.group}"', True),  # cannot be it
    ],
)
def test_a_group_that_may_be_the_unknown_functions_is_unverifiable(
    tmp_path: Path, group_name: str, decided: bool
) -> None:
    main = f"""
        resource "aws_lambda_function" "worker" {{
          function_name = "worker-${{var.name}}"
        }}
        resource "aws_cloudwatch_log_group" "maybe" {{
          name              = {group_name}
          retention_in_days = 14
        }}
    """
    variables = 'variable "name" {}\nvariable "group" {}\n'
    assert len(findings("TG302", tmp_path, stack("30_app", "dev", main=main, variables__tf=variables))) == (
        1 if decided else 0
    )
    assert len(unverifiable(tmp_path)) == (0 if decided else 1)


def test_log_group_behind_an_unknown_count_is_unverifiable(tmp_path: Path) -> None:
    main = WORKER + log_group().replace("  name ", "  count             = var.enabled ? 1 : 0\n  name ")
    write_tree(tmp_path, stack("30_app", "dev", main=main, variables__tf='variable "enabled" {}\n'))
    assert tg302(tmp_path) == []
    assert unverifiable(tmp_path) == [("TG001", f"{APP}/main.tf", 1, "30_app/dev")]


INFRA_GROUP = log_group()


def test_log_group_in_another_stack_of_the_same_env_counts(tmp_path: Path) -> None:
    write_tree(
        tmp_path, {**stack("20_infra", "dev", main=INFRA_GROUP), **stack("30_app", "dev", main=WORKER)}
    )
    assert tg302(tmp_path) == []


def test_log_group_in_another_env_does_not_count(tmp_path: Path) -> None:
    found = findings(
        "TG302",
        tmp_path,
        {
            **stack("20_infra", "dev", main=INFRA_GROUP),
            **stack("30_app", "prod", main=WORKER.replace("-dev-", "-prod-")),
        },
    )
    assert summary(found) == [("TG302", "practice/deploy/30_app/environments/prod/main.tf", 1, "30_app/prod")]
    assert "any stack of prod" in found[0].message


def test_logging_config_through_remote_state_to_a_group_in_20_infra(tmp_path: Path) -> None:
    function = WORKER.replace(
        "  timeout       = 10\n",
        '  logging_config {\n    log_format = "JSON"\n'
        "    log_group  = data.terraform_remote_state.infra.outputs.log_group\n  }\n",
    )
    output = 'output "log_group" {\n  value = aws_cloudwatch_log_group.worker.name\n}\n'
    infra = log_group('"/shared/workers"') + output
    write_tree(
        tmp_path / "ok",
        {**stack("20_infra", "dev", main=infra), **stack("30_app", "dev", main=remote_state() + function)},
    )
    assert tg302(tmp_path / "ok") == []
    assert unverifiable(tmp_path / "ok") == []
    # Without a dev 20_infra stack the remote state cannot be read: unverifiable, not a pass.
    write_tree(
        tmp_path / "prod",
        {**stack("20_infra", "prod", main=infra), **stack("30_app", "dev", main=remote_state() + function)},
    )
    assert tg302(tmp_path / "prod") == []
    assert unverifiable(tmp_path / "prod") == [("TG001", f"{APP}/main.tf", 12, "30_app/dev")]


def test_examples() -> None:
    assert on_examples("TG302", "passing") == set()
    expected = expected_on_examples("TG302")
    assert len(expected) == 1  # event-processor in dev
    assert on_examples("TG302", "failing") == expected


@pytest.mark.parametrize(
    "group_action, expected",
    [
        (None, [("TG302", "aws_lambda_function.order_processor", "30_app/dev", "warning")]),
        ("delete", [("TG302", "aws_lambda_function.order_processor", "30_app/dev", "warning")]),
        ("no-op", []),
        ("create", []),
    ],
    ids=["no log group", "log group deleted", "log group", "new log group"],
)
def test_tg302_function_and_its_log_group(
    tmp_path: Path, group_action: str | None, expected: list[tuple[str, str, str, str]]
) -> None:
    plan = plans.Plan(environment="dev").resource(
        "aws_lambda_function.order_processor", plans.function(), action="no-op"
    )
    if group_action is not None:
        plan.resource(plans.LOG_GROUP_ADDRESS, plans.planned_log_group(14), action=group_action)
    assert by_address(findings("TG302", tmp_path, plans={"30_app/dev": plan}, tg001="with")) == expected


def test_a_configured_group_named_by_the_same_unknown_value_is_its_group(tmp_path: Path) -> None:
    main = """
        resource "aws_lambda_function" "worker" {
          function_name = "worker"
          logging_config {
            log_format = "JSON"
            log_group  = var.group
          }
        }
        resource "aws_cloudwatch_log_group" "custom" {
          name              = coalesce(var.group, "/aws/lambda/worker")
          retention_in_days = 14
        }
    """
    variables = 'variable "group" {}\n'
    tree = stack("30_app", "dev", main=main, variables__tf=variables)
    assert findings("TG302", tmp_path, tree, tg001="with") == []


# The group is searched in every stack of the function's scope (links.same_scope): here stacks whose
# environment ttgate does not know, a layout the policy does not describe.
PROVIDER = 'provider "aws" {\n  region = "ap-southeast-1"\n}\n'


def test_log_group_in_a_sibling_stack_without_known_environment(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/main.tf": PROVIDER + WORKER, "logs/main.tf": PROVIDER + log_group()})
    assert tg302(tmp_path) == []


def test_same_named_functions_of_two_environments_each_need_their_own_group(tmp_path: Path) -> None:
    tree = {"envs/dev/main.tf": PROVIDER + WORKER + log_group(), "envs/prod/main.tf": PROVIDER + WORKER}
    found = findings("TG302", tmp_path, tree, tg001="with")
    assert summary(found) == [("TG302", "envs/prod/main.tf", 5, "envs/prod")]
    assert "any checked stack without a known environment" in found[0].message


def test_a_group_two_same_named_functions_may_own_is_tg001_naming_both(tmp_path: Path) -> None:
    tree = {
        "dev/app/main.tf": PROVIDER + WORKER,
        "prod/app/main.tf": PROVIDER + WORKER,
        "prod/logs/main.tf": PROVIDER + log_group(),
    }
    found = findings("TG302", tmp_path, tree, tg001="with")
    assert [(f.rule, f.stack.label if f.stack else "") for f in found] == [
        ("TG001", "dev/app"),
        ("TG001", "prod/app"),
    ]
    assert (
        "aws_lambda_function.worker (dev/app) and aws_lambda_function.worker (prod/app)" in found[0].message
    )


def test_tg302_log_group_in_another_plan_without_known_environment(tmp_path: Path) -> None:
    functions = plans.Plan().resource("aws_lambda_function.order_processor", plans.function(), action="no-op")
    groups = plans.Plan().resource(plans.LOG_GROUP_ADDRESS, plans.planned_log_group(14), action="no-op")
    found = findings("TG302", tmp_path, plans={"20_infra": groups, "30_app": functions}, tg001="with")
    assert by_address(found) == []


def test_a_group_of_unknown_name_in_an_unrelated_root_does_not_hide_the_finding(tmp_path: Path) -> None:
    """Roots of no known environment: an unknown-named group elsewhere is no reason for TG001."""
    groups = 'variable "groups" {}\n' + log_group("each.key").replace(
        "  name ", "  for_each          = var.groups\n  name "
    )
    tree = {"a/main.tf": PROVIDER + WORKER, "b/main.tf": PROVIDER + groups}
    found = findings("TG302", tmp_path, tree, tg001="with")
    assert [(finding.rule, finding.location.file if finding.location else None) for finding in found] == [
        ("TG302", "a/main.tf")
    ]


def test_a_group_of_unknown_name_in_the_functions_own_stack_is_still_tg001(tmp_path: Path) -> None:
    groups = 'variable "groups" {}\n' + log_group("each.key").replace(
        "  name ", "  for_each          = var.groups\n  name "
    )
    found = findings("TG302", tmp_path, {"a/main.tf": PROVIDER + WORKER + groups}, tg001="with")
    assert [finding.rule for finding in found] == ["TG001"]


# -- Lambda@Edge: logs to /aws/lambda/us-east-1.<name> in each region that runs it --------------

EDGE_MODULE = """
resource "aws_lambda_function" "edge" {
  function_name = "tt-practice-dev-edge-auth"
  role          = "arn:aws:iam::123456789012:role/edge"
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  filename      = "edge.zip"
  publish       = true
}

output "qualified_arn" {
  value = aws_lambda_function.edge.qualified_arn
}
"""

DISTRIBUTION = """
module "edge" {
  source = "../../modules/edge"
}

resource "aws_cloudfront_distribution" "site" {
  enabled = true
  default_cache_behavior {
    target_origin_id       = "s3"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    lambda_function_association {
      event_type = "viewer-request"
      lambda_arn = module.edge.qualified_arn
    }
  }
}
"""


def edge_tree(group: str = "") -> dict[str, str]:
    return {
        **stack("30_app", "dev", main=DISTRIBUTION + group),
        "practice/deploy/30_app/modules/edge/main.tf": EDGE_MODULE,
    }


def test_a_lambda_at_edge_function_is_told_its_edge_log_group(tmp_path: Path) -> None:
    # NDR modules/lambda_edge: "Lambda writes to /aws/lambda/test_EdgePresignLambda" was the wrong group
    (finding,) = findings("TG302", tmp_path, edge_tree(log_group('"/aws/lambda/tt-practice-dev-edge-auth"')))

    assert "Lambda@Edge function tt-practice-dev-edge-auth" in finding.message
    assert '"/aws/lambda/us-east-1.tt-practice-dev-edge-auth" in each region' in finding.message
    assert 'writes to "/aws/lambda/tt-practice-dev-edge-auth"' not in finding.message


def test_a_managed_group_of_the_edge_name_is_accepted(tmp_path: Path) -> None:
    tree = edge_tree(log_group('"/aws/lambda/us-east-1.tt-practice-dev-edge-auth"'))

    assert findings("TG302", tmp_path, tree, tg001="with") == []
