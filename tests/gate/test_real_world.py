"""What public Terraform taught the gate: each case broke on code nobody here wrote (issue 9)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import check, load, stack, write_tree
from ttgate.gate.values import Unknown, decode_json_template

INFRA_DEV = "practice/deploy/20_infra/environments/dev"

# --- one expression never costs the report ---------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "jsonencode(aws_sqs_queue.each)",  # a for_each resource
        'jsonencode(aws_sqs_queue.each["a"])',  # one of its instances
        "jsonencode(module.outputs)",  # a whole module
        "jsonencode(data.terraform_remote_state.core.outputs)",  # a remote state's outputs
        "jsonencode({ queue = aws_sqs_queue.each })",  # nested in an object
        "tostring(module.outputs)",
    ],
)
def test_encoding_a_whole_object_is_unknown_not_a_crash(tmp_path: Path, expression: str) -> None:
    main = f"""
        resource "aws_sqs_queue" "each" {{
          for_each = toset(["a", "b"])
          name     = "tt-practice-dev-${{each.key}}-queue"
        }}
        module "outputs" {{
          source = "./outputs"
        }}
        data "terraform_remote_state" "core" {{
          backend = "s3"
          config  = {{ bucket = "tt-practice-tf-state-dev", key = "core/terraform.tfstate" }}
        }}
        resource "aws_cloudwatch_log_group" "logs" {{
          name              = "/aws/lambda/x"
          retention_in_days = length({expression}) > 0 ? 14 : 15
        }}
        resource "aws_sqs_queue" "plain" {{
          name = "tt-practice-dev-plain-queue"
          message_retention_seconds = 1
        }}
    """
    write_tree(
        tmp_path,
        {**stack("20_infra", "dev", main), f"{INFRA_DEV}/outputs/main.tf": 'output "o" {\n  value = 1\n}\n'},
    )
    model = load(tmp_path)
    logs = next(r for r in model.resources("aws_cloudwatch_log_group"))
    assert isinstance(logs.values["retention_in_days"], Unknown)
    check(tmp_path)  # every rule runs over the rest


# --- parse what Terraform parses ----------------------------------------------------------------


def test_a_heredoc_closing_marker_may_be_followed_by_spaces(tmp_path: Path) -> None:
    main = (
        'resource "aws_sqs_queue" "q" {\n  policy = <<EOF\n{"a": 1}\nEOF   \n'
        "  visibility_timeout_seconds = 5\n}\n"
    )
    write_tree(tmp_path, stack("20_infra", "dev", main=main))
    model = load(tmp_path)
    assert not model.problems
    queue = next(model.resources("aws_sqs_queue"))
    assert queue.values["policy"] == '{"a": 1}\n'
    assert queue.values["visibility_timeout_seconds"] == 5


def test_a_for_object_may_break_the_line_before_its_arrow(tmp_path: Path) -> None:
    main = """
        locals {
          names = { for key, value in { a = 1 } : key
            => value + 1 }
        }
        resource "aws_sqs_queue" "q" {
          visibility_timeout_seconds = local.names["a"]
        }
    """
    write_tree(tmp_path, stack("20_infra", "dev", main))
    model = load(tmp_path)
    assert not model.problems
    assert next(model.resources("aws_sqs_queue")).values["visibility_timeout_seconds"] == 2


# --- nothing skipped in silence ------------------------------------------------------------------

LIBRARY = {
    "modules/worker/main.tf": """
        variable "visibility" {
          type    = number
          default = 30
        }
        resource "aws_sqs_queue" "jobs" {
          name                       = "jobs"
          visibility_timeout_seconds = var.visibility
        }
        resource "aws_lambda_function" "worker" {
          function_name = "worker"
          timeout       = 30
        }
        resource "aws_lambda_event_source_mapping" "worker" {
          event_source_arn = aws_sqs_queue.jobs.arn
          function_name    = aws_lambda_function.worker.arn
        }
    """,
}


def test_a_module_library_is_checked_with_its_defaults(tmp_path: Path) -> None:
    write_tree(tmp_path, LIBRARY)
    model = load(tmp_path)
    assert [(s.name, s.role) for s in model.stacks] == [("modules/worker", "module")]
    assert model.directories == {"modules/worker": "module no root calls, checked as a root"}
    assert any("no root calls" in note for note in model.notes)
    assert [f.location.file for f in check(tmp_path, "TG201") if f.location] == ["modules/worker/main.tf"]


def test_a_module_called_only_by_another_uncalled_module_is_checked_once_through_it(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **LIBRARY,
            "modules/service/main.tf": 'module "worker" {\n  source = "../worker"\n}\n',
        },
    )
    model = load(tmp_path)
    assert [(s.name, s.role) for s in model.stacks] == [("modules/service", "module")]
    assert model.directories["modules/worker"] == "module called from modules/service"
    assert len(check(tmp_path, "TG201")) == 1


def test_a_stack_directory_with_only_required_providers_is_a_root(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            f"{INFRA_DEV}/versions.tf": """
                terraform {
                  required_providers {
                    aws = { source = "hashicorp/aws" }
                  }
                }
            """,
            f"{INFRA_DEV}/main.tf": 'resource "aws_sqs_queue" "q" {}\n',
        },
    )
    model = load(tmp_path)
    assert [(s.name, s.role, s.env) for s in model.stacks] == [(INFRA_DEV, "root", "dev")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads directories whatever their mode")
def test_an_unreadable_directory_is_named_and_the_rest_is_checked(tmp_path: Path) -> None:
    write_tree(
        tmp_path, {**stack("20_infra", "dev", 'resource "aws_sqs_queue" "q" {}\n'), "locked/main.tf": ""}
    )
    (tmp_path / "locked").chmod(0)
    try:
        model = load(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert [p.location.file for p in model.problems] == ["locked"]
    assert [s.name for s in model.stacks] == [INFRA_DEV]


def test_a_fifo_named_like_terraform_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    write_tree(tmp_path, stack("20_infra", "dev", 'resource "aws_sqs_queue" "q" {}\n'))
    os.mkfifo(tmp_path / INFRA_DEV / "pipe.tf")
    model = load(tmp_path)
    assert [(p.location.file, "not a regular file" in p.message) for p in model.problems] == [
        (f"{INFRA_DEV}/pipe.tf", True)
    ]
    assert len(next(iter(model.stacks)).resources) == 1


# --- evaluate closer to Terraform ----------------------------------------------------------------

OPTIONAL_QUEUES = """
    variable "queues" {
      type = map(object({
        visibility = optional(number, 360)
        alarm = optional(object({
          threshold = optional(number, 1)
          period    = optional(number, 300)
        }), {})
        tags = optional(list(object({ key = string, value = optional(string, "none") })), [])
      }))
    }
"""


def test_optional_attributes_take_their_defaults_at_every_depth(tmp_path: Path) -> None:
    main = """
        resource "aws_sqs_queue" "q" {
          for_each                   = var.queues
          name                       = each.key
          visibility_timeout_seconds = each.value.visibility
          delay_seconds              = each.value.alarm.threshold
          max_message_size           = each.value.alarm.period
          tags                       = { for tag in each.value.tags : tag.key => tag.value }
        }
    """
    tfvars = 'queues = {\n  jobs = { alarm = { period = 60 }, tags = [{ key = "team" }], extra = 1 }\n}\n'
    write_tree(tmp_path, stack("20_infra", "dev", main + OPTIONAL_QUEUES, terraform__tfvars=tfvars))
    queue = next(load(tmp_path).resources("aws_sqs_queue"))
    assert queue.values["visibility_timeout_seconds"] == 360
    assert queue.values["delay_seconds"] == 1
    assert queue.values["max_message_size"] == 60
    assert queue.values["tags"] == {"team": "none"}


def test_a_nested_unknown_does_not_make_a_value_null(tmp_path: Path) -> None:
    main = """
        resource "aws_sqs_queue" "dlq" {
          name = "tt-practice-dev-jobs-dlq"
        }
        locals {
          queues = { jobs = { dlq = { arn = aws_sqs_queue.dlq.arn } } }
        }
        resource "aws_sqs_queue" "jobs" {
          for_each = { for key, queue in local.queues : key => queue if queue.dlq != null }
          name     = "tt-practice-dev-${each.key}-queue"
        }
    """
    write_tree(tmp_path, stack("20_infra", "dev", main))
    names = [r.values["name"] for r in load(tmp_path).resources("aws_sqs_queue")]
    assert names == ["tt-practice-dev-jobs-dlq", "tt-practice-dev-jobs-queue"]


def test_a_template_keeps_its_known_prefix_and_the_links_of_its_pieces(tmp_path: Path) -> None:
    main = """
        variable "suffix" {}
        resource "aws_lambda_function" "f" {
          function_name = "worker-${var.suffix}"
        }
        resource "aws_cloudwatch_log_group" "g" {
          name = "/aws/lambda/${aws_lambda_function.f.function_name}"
        }
    """
    write_tree(tmp_path, stack("30_app", "dev", main))
    name = next(load(tmp_path).resources("aws_cloudwatch_log_group")).values["name"]
    assert isinstance(name, Unknown)
    assert name.prefix == "/aws/lambda/worker-"
    function_name = name.parts[-1] if name.parts else None
    assert isinstance(function_name, Unknown)
    assert (function_name.resource.address, function_name.attribute) == (
        "aws_lambda_function.f",
        "function_name",
    )


def test_a_json_heredoc_decodes_with_its_unknown_pieces_linked() -> None:
    arn = Unknown("known after apply", attribute="arn")
    policy = Unknown(
        "x", parts=('{"deadLetterTargetArn": "', arn, '", "maxReceiveCount": ', Unknown("n"), "}")
    )
    decoded = decode_json_template(policy)
    assert decoded["deadLetterTargetArn"] is arn
    assert isinstance(decoded["maxReceiveCount"], Unknown)
    assert decode_json_template(Unknown("x", parts=("not json ", arn))) is None


def test_remote_state_is_matched_by_bucket_before_environment(tmp_path: Path) -> None:
    def writer(env: str) -> str:
        return f"""
            terraform {{
              backend "s3" {{
                bucket = "acme-{env}-terraform"
                key    = "network/terraform.tfstate"
              }}
            }}
            output "vpc" {{
              value = "vpc-{env}"
            }}
        """

    reader = """
        terraform {
          backend "s3" {
            bucket = "acme-prod-terraform"
            key    = "app/terraform.tfstate"
          }
        }
        data "terraform_remote_state" "network" {
          backend = "s3"
          config  = { bucket = "acme-prod-terraform", key = "network/terraform.tfstate" }
        }
        resource "aws_sqs_queue" "q" {
          name = data.terraform_remote_state.network.outputs.vpc
        }
    """
    write_tree(
        tmp_path,
        {
            "dev/network/main.tf": writer("dev"),
            "prod/network/main.tf": writer("prod"),
            "prod/app/main.tf": reader,
        },
    )
    queue = next(load(tmp_path).resources("aws_sqs_queue"))
    assert queue.values["name"] == "vpc-prod"


def test_tf_json_files_are_read_as_terraform_reads_them(tmp_path: Path) -> None:
    config = {
        "//": "generated",
        "variable": {"visibility": {"type": "number", "default": "30"}},
        "locals": {"timeout": 30},
        "resource": {
            "aws_sqs_queue": {"jobs": {"name": "jobs", "visibility_timeout_seconds": "${var.visibility}"}},
            "aws_lambda_function": {"worker": {"function_name": "worker", "timeout": "${local.timeout}"}},
            "aws_lambda_event_source_mapping": {
                "worker": {
                    "event_source_arn": "${aws_sqs_queue.jobs.arn}",
                    "function_name": "${aws_lambda_function.worker.arn}",
                }
            },
            "aws_s3_bucket_versioning": {
                "state": {"bucket": "b", "versioning_configuration": {"status": "Enabled"}}
            },
        },
    }
    write_tree(tmp_path, {"modules/worker/main.tf.json": json.dumps(config, indent=2)})
    model = load(tmp_path)
    assert not model.problems
    queue = next(model.resources("aws_sqs_queue"))
    assert queue.values["visibility_timeout_seconds"] == 30  # the variable's type converts "30"
    assert queue.location is not None and queue.location.line == 14  # the line of "jobs"
    versioning = next(model.resources("aws_s3_bucket_versioning"))
    assert versioning.values["versioning_configuration"] == [{"status": "Enabled"}]
    assert [f.rule for f in check(tmp_path, "TG201")] == ["TG201"]


def test_a_broken_tf_json_file_is_tg000_with_its_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/main.tf.json": '{\n  "resource": {\n    "aws_sqs_queue": ]\n}\n'})
    problems = load(tmp_path).problems
    assert [(p.location.file, p.location.line) for p in problems] == [("app/main.tf.json", 3)]


@pytest.mark.parametrize(
    "collection", ["aws_sqs_queue.maybe", "5", '"text"'], ids=["unknown-count", "number", "string"]
)
def test_a_dynamic_block_over_what_is_not_a_collection_is_unknown(tmp_path: Path, collection: str) -> None:
    main = f"""
        variable "enabled" {{}}
        resource "aws_sqs_queue" "maybe" {{
          count = var.enabled ? 1 : 0
        }}
        resource "aws_cloudwatch_metric_alarm" "a" {{
          alarm_name = "a"
          dynamic "metric_query" {{
            for_each = {collection}
            content {{
              id = metric_query.key
            }}
          }}
        }}
    """
    write_tree(tmp_path, stack("20_infra", "dev", main))
    alarm = next(load(tmp_path).resources("aws_cloudwatch_metric_alarm"))
    assert isinstance(alarm.values["metric_query"], Unknown)
    check(tmp_path)


def test_the_json_report_accounts_for_every_directory(tmp_path: Path) -> None:
    from ttgate.cli import main

    write_tree(
        tmp_path,
        {
            **LIBRARY,
            "modules/service/main.tf": 'module "worker" {\n  source = "../worker"\n}\n',
            **stack("20_infra", "dev", 'module "q" {\n  source = "../../modules/q"\n}\n'),
            "practice/deploy/20_infra/modules/q/main.tf": 'resource "aws_sqs_queue" "q" {}\n',
        },
    )
    report = tmp_path / "report.json"
    with pytest.raises(SystemExit):
        main(["check", str(tmp_path), "--root", str(tmp_path), "--format", f"json:{report}"])
    assert json.loads(report.read_text())["directories"] == {
        "modules/service": "module no root calls, checked as a root",
        "modules/worker": "module called from modules/service",
        INFRA_DEV: "root",
        "practice/deploy/20_infra/modules/q": f"module called from {INFRA_DEV}",
    }


def test_a_null_argument_to_a_variable_that_is_not_nullable_takes_its_default(tmp_path: Path) -> None:
    main = """
        module "queue" {
          source     = "./queue"
          visibility = null
        }
    """
    queue_module = """
        variable "visibility" {
          type     = number
          default  = 360
          nullable = false
        }
        resource "aws_sqs_queue" "q" {
          visibility_timeout_seconds = var.visibility
        }
    """
    write_tree(tmp_path, {**stack("20_infra", "dev", main), f"{INFRA_DEV}/queue/main.tf": queue_module})
    assert next(load(tmp_path).resources("aws_sqs_queue")).values["visibility_timeout_seconds"] == 360


def test_jsondecode_of_a_template_keeps_its_known_structure(tmp_path: Path) -> None:
    main = """
        resource "aws_sqs_queue" "dlq" {
          name = "tt-practice-dev-jobs-dlq"
        }
        locals {
          redrive = jsondecode(<<EOF
        {"deadLetterTargetArn": "${aws_sqs_queue.dlq.arn}", "maxReceiveCount": 4}
        EOF
          )
        }
        resource "aws_sqs_queue" "jobs" {
          name                      = "tt-practice-dev-jobs-queue"
          max_message_size          = local.redrive.maxReceiveCount
          message_retention_seconds = length(local.redrive)
        }
    """
    write_tree(tmp_path, stack("20_infra", "dev", main))
    jobs = next(r for r in load(tmp_path).resources("aws_sqs_queue") if r.address == "aws_sqs_queue.jobs")
    assert (jobs.values["max_message_size"], jobs.values["message_retention_seconds"]) == (4, 2)
