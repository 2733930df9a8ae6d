"""TG201: a Lambda-consumed queue's visibility timeout is at least 6 × the function's timeout (+ window)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import by_address, findings, stack, summary, write_tree
from tests.snippets import REMOTE_QUEUE_ARN, event_source_mapping, remote_state
from ttgate.gate.findings import Finding
from ttgate.policy import Severity

INFRA = "practice/deploy/20_infra/environments/dev"
APP = "practice/deploy/30_app/environments/dev"


def consumer(queue: str = "", function: str = "", mapping: str = "") -> str:
    """One queue, one function, one mapping in a stack; each part's extra lines are given."""
    return f"""
resource "aws_sqs_queue" "main" {{
  name = "tt-practice-dev-main-queue"
{queue}}}

resource "aws_lambda_function" "worker" {{
  function_name = "tt-practice-dev-worker"
{function}}}

resource "aws_lambda_event_source_mapping" "worker" {{
  event_source_arn = aws_sqs_queue.main.arn
  function_name    = aws_lambda_function.worker.arn
{mapping}}}
"""


FAIL_AT_LINE_3 = [("TG201", f"{APP}/main.tf", 3, "30_app/dev")]


def test_enough_visibility_passes(tmp_path: Path) -> None:
    assert (
        summary(
            findings(
                "TG201",
                tmp_path,
                stack("30_app", "dev", consumer("  visibility_timeout_seconds = 360\n", "  timeout = 60\n")),
                tg001="with",
            )
        )
        == []
    )


def test_too_short_visibility_is_reported_on_the_attribute(tmp_path: Path) -> None:
    main = consumer("  visibility_timeout_seconds = 359\n", "  timeout = 60\n")
    result = findings("TG201", tmp_path, stack("30_app", "dev", main))
    assert summary(result) == FAIL_AT_LINE_3
    assert "360 s" in result[0].message
    assert result[0].address == "aws_sqs_queue.main"


def test_defaults_lambda_3s_and_sqs_30s(tmp_path: Path) -> None:
    # 30 s (SQS default) >= 6 × 3 s (Lambda default): fine.
    assert summary(findings("TG201", tmp_path / "a", stack("30_app", "dev", consumer()), tg001="with")) == []
    # 30 s < 6 × 6 s: reported on the queue's block, since the attribute is unset.
    assert summary(
        findings(
            "TG201",
            tmp_path / "b",
            stack("30_app", "dev", consumer(function="  timeout = 6\n")),
            tg001="with",
        )
    ) == [("TG201", f"{APP}/main.tf", 1, "30_app/dev")]
    # 10 s < 6 × 3 s (default timeout).
    assert (
        summary(
            findings(
                "TG201",
                tmp_path / "c",
                stack("30_app", "dev", consumer("  visibility_timeout_seconds = 10\n")),
                tg001="with",
            )
        )
        == FAIL_AT_LINE_3
    )


def test_batching_window_is_counted(tmp_path: Path) -> None:
    window = "  maximum_batching_window_in_seconds = 5\n"
    assert (
        summary(
            findings(
                "TG201",
                tmp_path / "a",
                stack(
                    "30_app",
                    "dev",
                    consumer("  visibility_timeout_seconds = 64\n", "  timeout = 10\n", window),
                ),
                tg001="with",
            )
        )
        == FAIL_AT_LINE_3
    )
    assert (
        summary(
            findings(
                "TG201",
                tmp_path / "b",
                stack(
                    "30_app",
                    "dev",
                    consumer("  visibility_timeout_seconds = 65\n", "  timeout = 10\n", window),
                ),
                tg001="with",
            )
        )
        == []
    )


def test_multiplier_from_policy_override(tmp_path: Path) -> None:
    main = consumer("  visibility_timeout_seconds = 50\n", "  timeout = 10\n")
    assert (
        summary(findings("TG201", tmp_path / "six", stack("30_app", "dev", main), tg001="with"))
        == FAIL_AT_LINE_3
    )
    write_tree(tmp_path / "five", {".ttgate.yml": "rules:\n  TG201:\n    multiplier: 5\n"})
    assert summary(findings("TG201", tmp_path / "five", stack("30_app", "dev", main), tg001="with")) == []


def test_non_sqs_event_source_is_ignored(tmp_path: Path) -> None:
    main = consumer("  visibility_timeout_seconds = 1\n", "  timeout = 60\n").replace(
        "aws_sqs_queue.main.arn", '"arn:aws:kinesis:ap-southeast-1:123456789012:stream/clicks"'
    )
    assert summary(findings("TG201", tmp_path, stack("30_app", "dev", main), tg001="with")) == []


def test_function_by_name_string_or_arn(tmp_path: Path) -> None:
    base = consumer("  visibility_timeout_seconds = 100\n", "  timeout = 60\n")
    by_name = base.replace("aws_lambda_function.worker.arn", '"tt-practice-dev-worker"')
    by_arn = base.replace(
        "aws_lambda_function.worker.arn",
        '"arn:aws:lambda:ap-southeast-1:123456789012:function:tt-practice-dev-worker:live"',
    )
    by_reference_name = base.replace(
        "aws_lambda_function.worker.arn", "aws_lambda_function.worker.function_name"
    )
    assert (
        summary(findings("TG201", tmp_path / "ref", stack("30_app", "dev", base), tg001="with"))
        == FAIL_AT_LINE_3
    )
    assert (
        summary(findings("TG201", tmp_path / "name", stack("30_app", "dev", by_name), tg001="with"))
        == FAIL_AT_LINE_3
    )
    assert (
        summary(findings("TG201", tmp_path / "arn", stack("30_app", "dev", by_arn), tg001="with"))
        == FAIL_AT_LINE_3
    )
    assert (
        summary(
            findings("TG201", tmp_path / "refname", stack("30_app", "dev", by_reference_name), tg001="with")
        )
        == FAIL_AT_LINE_3
    )


def test_queue_by_literal_arn(tmp_path: Path) -> None:
    main = consumer("  visibility_timeout_seconds = 100\n", "  timeout = 60\n").replace(
        "aws_sqs_queue.main.arn", '"arn:aws:sqs:ap-southeast-1:123456789012:tt-practice-dev-main-queue"'
    )
    assert summary(findings("TG201", tmp_path, stack("30_app", "dev", main), tg001="with")) == FAIL_AT_LINE_3


def test_values_through_variables_tfvars_and_locals(tmp_path: Path) -> None:
    main = """
variable "timeout" { default = 10 }
variable "visibility" {
  type    = number
  default = 30
}
locals {
  visibility = var.visibility * 2
}
""" + consumer("  visibility_timeout_seconds = local.visibility\n", "  timeout = var.timeout\n")
    # 60 >= 6 × 10.
    assert summary(findings("TG201", tmp_path / "ok", stack("30_app", "dev", main), tg001="with")) == []
    # terraform.tfvars raises the timeout to 11: 60 < 66.
    assert summary(
        findings(
            "TG201",
            tmp_path / "bad",
            stack("30_app", "dev", main, terraform__tfvars="timeout = 11\n"),
            tg001="with",
        )
    ) == [("TG201", f"{APP}/main.tf", 12, "30_app/dev")]
    # An auto.tfvars string converted by type = number: 2 × 40 >= 66.
    assert (
        summary(
            findings(
                "TG201",
                tmp_path / "fixed",
                stack(
                    "30_app",
                    "dev",
                    main,
                    terraform__tfvars="timeout = 11\n",
                    z__auto__tfvars='visibility = "40"\n',
                ),
                tg001="with",
            )
        )
        == []
    )


def test_unknown_timeout_is_unverifiable_not_a_finding(tmp_path: Path) -> None:
    main = 'variable "timeout" {}\n' + consumer(
        "  visibility_timeout_seconds = 30\n", "  timeout = var.timeout\n"
    )
    result = findings("TG201", tmp_path, stack("30_app", "dev", main), tg001="with")
    assert summary(result) == [("TG001", f"{APP}/main.tf", 10, "30_app/dev")]
    assert "function's timeout" in result[0].message
    assert "var.timeout" in result[0].message


def test_unknown_function_is_unverifiable(tmp_path: Path) -> None:
    main = 'variable "fn" {}\n' + consumer("  visibility_timeout_seconds = 30\n").replace(
        "aws_lambda_function.worker.arn", "var.fn"
    )
    result = findings("TG201", write_tree(tmp_path, stack("30_app", "dev", main)), tg001="with")
    assert summary(result) == [("TG001", f"{APP}/main.tf", 14, "30_app/dev")]
    assert "the function that consumes the queue" in result[0].message


def test_count_and_for_each(tmp_path: Path) -> None:
    main = """
resource "aws_sqs_queue" "q" {
  for_each                   = { a = 60, b = 10 }
  name                       = "tt-practice-dev-${each.key}-queue"
  visibility_timeout_seconds = each.value
}

resource "aws_lambda_function" "fn" {
  count         = 2
  function_name = "tt-practice-dev-fn-${count.index}"
  timeout       = 10
}

resource "aws_lambda_event_source_mapping" "m" {
  for_each         = aws_sqs_queue.q
  event_source_arn = each.value.arn
  function_name    = aws_lambda_function.fn[1].function_name
}
"""
    result = findings("TG201", tmp_path, stack("30_app", "dev", main))
    assert summary(result) == [("TG201", f"{APP}/main.tf", 4, "30_app/dev")]
    assert result[0].address == 'aws_sqs_queue.q["b"]'


def test_legacy_splat_then_index_names_the_first_function(tmp_path: Path) -> None:
    # Terraform 0.11's `x.*.arn[0]` is the first instance's ARN, not an index into each ARN.
    main = """
resource "aws_sqs_queue" "q" {
  name                       = "tt-practice-dev-q-queue"
  visibility_timeout_seconds = 30
}

resource "aws_lambda_function" "fn" {
  count         = 1
  function_name = "tt-practice-dev-fn"
  timeout       = 300
}

resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn = aws_sqs_queue.q.arn
  function_name    = aws_lambda_function.fn.*.arn[0]
}
"""
    result = findings("TG201", tmp_path, stack("30_app", "dev", main), tg001="with")
    assert summary(result) == [("TG201", f"{APP}/main.tf", 3, "30_app/dev")]
    assert "= 1,800 s (30 minutes)" in result[0].message


QUEUE_MODULE = """
variable "name" {}
variable "visibility" {}

resource "aws_sqs_queue" "main" {
  name                       = "${var.name}-queue"
  visibility_timeout_seconds = var.visibility
}

output "arn" {
  value = aws_sqs_queue.main.arn
}
"""
MESSAGING_MODULE = """
variable "visibility" {}

module "queue" {
  source     = "../queue"
  name       = "tt-practice-dev-main"
  visibility = var.visibility
}

output "queue_arn" {
  value = module.queue.arn
}
"""
APP_CONSUMER = (
    '\nvariable "timeout" { default = 60 }\n'
    + remote_state()
    + '\nmodule "worker" {\n  source  = "../../../components/lambda_worker"\n  timeout = var.timeout\n}\n'
    + event_source_mapping(REMOTE_QUEUE_ARN, "module.worker.function_name")
)
WORKER_COMPONENT = """
variable "timeout" {}

resource "aws_lambda_function" "this" {
  function_name = "tt-practice-dev-worker"
  timeout       = var.timeout
}

output "function_name" {
  value = aws_lambda_function.this.function_name
}
"""


def cross_stack(tmp_path: Path, visibility: str, app_tfvars: str = "") -> Path:
    files = {
        "practice/deploy/20_infra/modules/queue/main.tf": QUEUE_MODULE,
        "practice/deploy/20_infra/modules/messaging/main.tf": MESSAGING_MODULE,
        "practice/deploy/components/lambda_worker/main.tf": WORKER_COMPONENT,
        **stack(
            "20_infra",
            "dev",
            f"""
module "messaging" {{
  source     = "../../modules/messaging"
  visibility = {visibility}
}}
""",
            outputs__tf='output "main_queue_arn" {\n  value = module.messaging.queue_arn\n}\n',
        ),
        **stack("30_app", "dev", APP_CONSUMER),
    }
    if app_tfvars:
        files[f"{APP}/terraform.tfvars"] = app_tfvars
    return write_tree(tmp_path, files)


def test_cross_stack_queue_in_infra_module_consumer_in_app(tmp_path: Path) -> None:
    assert summary(findings("TG201", cross_stack(tmp_path / "ok", "360"), tg001="with")) == []
    bad = cross_stack(tmp_path / "bad", "360", app_tfvars="timeout = 61\n")
    result = findings("TG201", bad)
    assert summary(result) == [("TG201", "practice/deploy/20_infra/modules/queue/main.tf", 6, "20_infra/dev")]
    assert result[0].address == "module.messaging.module.queue.aws_sqs_queue.main"
    assert "366 s" in result[0].message


def test_cross_stack_unknown_visibility_is_unverifiable(tmp_path: Path) -> None:
    root = cross_stack(tmp_path, "var.nothing")
    result = findings("TG201", root, {f"{INFRA}/variables.tf": 'variable "nothing" {}\n'}, tg001="with")
    assert summary(result) == [("TG001", "practice/deploy/20_infra/modules/queue/main.tf", 6, "20_infra/dev")]
    assert "visibility timeout" in result[0].message


def cross_plan_findings(root: Path, visibility: object, timeout: int = 10) -> list[Finding]:
    """TG201 and TG001 on 20_infra/dev's orders queue and the 30_app/dev function consuming it."""
    infra = plans.Plan(environment="dev").resource(
        "aws_sqs_queue.orders",
        plans.queue(plans.QUEUE, visibility_timeout_seconds=visibility),
        action="no-op",
    )
    app = plans.app_plan(plans.sqs_arn(plans.QUEUE), timeout=timeout)
    return findings("TG201", root, plans={"20_infra/dev": infra, "30_app/dev": app}, tg001="with")


@pytest.mark.parametrize("visibility, fails", [(30, True), (60, False)])
def test_tg201_cross_plan_consumer_joined_by_the_arn_from_remote_state(
    tmp_path: Path, visibility: int, fails: bool
) -> None:
    found = cross_plan_findings(tmp_path, visibility)
    assert by_address(found) == (
        [("TG201", "aws_sqs_queue.orders", "20_infra/dev", "error")] if fails else []
    )
    if fails:
        [finding] = [f for f in found if f.rule == "TG201"]
        assert f"{plans.FUNCTION} (30_app/dev)" in finding.message


@pytest.mark.parametrize("visibility, fails", [(30, True), (360, False)])
def test_tg201_same_plan_new_queue_linked_through_the_configuration(
    tmp_path: Path, visibility: int, fails: bool
) -> None:
    plan = (
        plans.Plan(environment="dev")
        .resource(
            "aws_sqs_queue.jobs",
            {"name": "tt-practice-dev-jobs-queue", "visibility_timeout_seconds": visibility},
            unknown=["url"],
            config={"name": "tt-practice-dev-jobs-queue", "visibility_timeout_seconds": visibility},
        )
        .resource("aws_lambda_function.jobs", {"function_name": "tt-practice-dev-jobs", "timeout": 60})
        .resource(
            "aws_lambda_event_source_mapping.jobs",
            {"function_name": "tt-practice-dev-jobs"},
            unknown=["event_source_arn", "uuid"],
            config={
                "event_source_arn": plans.ref("aws_sqs_queue.jobs.arn"),
                "function_name": plans.ref("aws_lambda_function.jobs.function_name"),
            },
        )
    )
    found = findings("TG201", tmp_path, plans={"30_app/dev": plan}, tg001="with")
    assert by_address(found) == ([("TG201", "aws_sqs_queue.jobs", "30_app/dev", "error")] if fails else [])


@pytest.mark.parametrize("visibility, fails", [(30, True), (60, False)])
def test_tg201_module_addresses_in_both_plans(tmp_path: Path, visibility: int, fails: bool) -> None:
    infra = plans.Plan(environment="dev").resource(
        "module.orders_queue.aws_sqs_queue.main",
        plans.queue(plans.QUEUE, visibility_timeout_seconds=visibility),
        action="no-op",
    )
    app = (
        plans.Plan(environment="dev")
        .remote_state(
            "infra", "infra/terraform.tfstate", outputs={"orders_queue_arn": plans.sqs_arn(plans.QUEUE)}
        )
        .resource("module.order_processor.aws_lambda_function.this", plans.function(), action="no-op")
        .resource(
            "module.order_processor.aws_lambda_event_source_mapping.this[0]",
            {"event_source_arn": plans.sqs_arn(plans.QUEUE), "function_name": plans.FUNCTION},
            action="no-op",
        )
    )
    found = findings("TG201", tmp_path, plans={"20_infra/dev": infra, "30_app/dev": app}, tg001="with")
    assert by_address(found) == (
        [("TG201", "module.orders_queue.aws_sqs_queue.main", "20_infra/dev", "error")] if fails else []
    )


@pytest.mark.parametrize("visibility, fails", [(30, True), (60, False)])
def test_tg201_count_indexed_queue(tmp_path: Path, visibility: int, fails: bool) -> None:
    infra = plans.Plan(environment="dev").resource(
        "aws_sqs_queue.q[0]", plans.queue(plans.QUEUE, visibility_timeout_seconds=visibility), action="no-op"
    )
    found = findings(
        "TG201",
        tmp_path,
        plans={"20_infra/dev": infra, "30_app/dev": plans.app_plan(plans.sqs_arn(plans.QUEUE), timeout=10)},
        tg001="with",
    )
    assert by_address(found) == ([("TG201", "aws_sqs_queue.q[0]", "20_infra/dev", "error")] if fails else [])


@pytest.mark.parametrize("known", [False, True], ids=["visibility unknown", "visibility known"])
def test_tg201_visibility_unknown_until_apply_is_tg001(tmp_path: Path, known: bool) -> None:
    values = plans.queue(plans.QUEUE, visibility_timeout_seconds=30)
    if not known:
        del values["visibility_timeout_seconds"]
    infra = (
        plans.Plan(environment="dev")
        .resource(
            "random_integer.visibility",
            {"max": 900, "min": 60},
            unknown=["result"],
            provider=plans.RANDOM,
            config={"max": 900, "min": 60},
        )
        .resource(
            "aws_sqs_queue.orders",
            values,
            action="update",
            before={"visibility_timeout_seconds": 120},
            unknown=[] if known else ["visibility_timeout_seconds"],
            config={
                "visibility_timeout_seconds": 30 if known else plans.ref("random_integer.visibility.result")
            },
        )
    )
    found = findings(
        "TG201",
        tmp_path,
        plans={"20_infra/dev": infra, "30_app/dev": plans.app_plan(plans.sqs_arn(plans.QUEUE), timeout=10)},
        tg001="with",
    )
    assert by_address(found) == (
        [("TG201", "aws_sqs_queue.orders", "20_infra/dev", "error")]
        if known
        else [("TG001", "aws_sqs_queue.orders", "20_infra/dev", "notice")]
    )


# Values AWS refuses: negative, not finite, fractional, huge. Before, "inf" passed as long enough.
REFUSED = ["-1", '"inf"', "1e309", '"nan"', "1" + "0" * 30, "30.5"]


@pytest.mark.parametrize("visibility", [*REFUSED, "43201"])
def test_visibility_aws_refuses_is_an_error_not_a_comparison(tmp_path: Path, visibility: str) -> None:
    main = consumer(f"  visibility_timeout_seconds = {visibility}\n", "  timeout = 60\n")
    result = findings("TG201", tmp_path, stack("30_app", "dev", main), tg001="with")
    assert summary(result) == FAIL_AT_LINE_3
    assert result[0].severity is Severity.ERROR
    assert "not a value AWS accepts (a whole number from 0 to 43200 s)" in result[0].message


@pytest.mark.parametrize("timeout", [*REFUSED, "0", "901"])
def test_function_timeout_aws_refuses_is_an_error_on_the_function(tmp_path: Path, timeout: str) -> None:
    main = consumer("  visibility_timeout_seconds = 360\n", f"  timeout = {timeout}\n")
    result = findings("TG201", tmp_path, stack("30_app", "dev", main), tg001="with")
    assert summary(result) == [("TG201", f"{APP}/main.tf", 8, "30_app/dev")]
    assert result[0].address == "aws_lambda_function.worker"
    assert "(a whole number from 1 to 900 s)" in result[0].message


def test_batching_window_above_300_s_is_refused(tmp_path: Path) -> None:
    main = consumer(
        "  visibility_timeout_seconds = 43200\n", mapping="  maximum_batching_window_in_seconds = 301\n"
    )
    result = findings("TG201", tmp_path, stack("30_app", "dev", main), tg001="with")
    assert summary(result) == [("TG201", f"{APP}/main.tf", 13, "30_app/dev")]
    assert "(a whole number from 0 to 300 s)" in result[0].message


@pytest.mark.parametrize("visibility", ["inf", "-5", 10**30, 43201, 1.5])
def test_tg201_plan_visibility_aws_refuses(tmp_path: Path, visibility: object) -> None:
    found = cross_plan_findings(tmp_path, visibility)
    assert by_address(found) == [("TG201", "aws_sqs_queue.orders", "20_infra/dev", "error")]
    assert "not a value AWS accepts" in found[0].message


@pytest.mark.parametrize("timeout", [0, -60, 901, 10**30])
def test_tg201_plan_function_timeout_aws_refuses(tmp_path: Path, timeout: int) -> None:
    found = cross_plan_findings(tmp_path, 900, timeout)
    assert by_address(found) == [("TG201", "aws_lambda_function.order_processor", "30_app/dev", "error")]


# Links stay in the mapping's scope (links.same_scope). envs/dev and envs/prod call one module that
# makes the function "orders-worker" (separate accounts, same name); ttgate knows neither environment.
WORKER_MODULE = """
variable "timeout" {}

resource "aws_lambda_function" "worker" {
  function_name = "orders-worker"
  timeout       = var.timeout
}
"""


def env_root(timeout: int, visibility: int, worker: bool = True) -> str:
    """A root of envs/<env>: the module's function (unless not ``worker``), the queue, a mapping by name."""
    module = f'module "worker" {{\n  source  = "../../modules/worker"\n  timeout = {timeout}\n}}\n'
    return f"""
provider "aws" {{
  region = "ap-southeast-1"
}}

{module if worker else ""}
resource "aws_sqs_queue" "orders" {{
  name                       = "orders"
  visibility_timeout_seconds = {visibility}
}}

resource "aws_lambda_event_source_mapping" "orders" {{
  event_source_arn = aws_sqs_queue.orders.arn
  function_name    = "orders-worker"
}}
"""


def lambda_root(timeout: int) -> str:
    """A root of envs/<env>/lambda: only the module's function."""
    module = f'module "worker" {{\n  source  = "../../../modules/worker"\n  timeout = {timeout}\n}}\n'
    return 'provider "aws" {}\n' + module


def test_each_environment_consumer_is_its_own_in_a_shared_module(tmp_path: Path) -> None:
    # dev: 30 s needs 180 s; prod: 300 s needs 1,800 s. 1,000 s is enough for dev's function only.
    tree = {
        "modules/worker/main.tf": WORKER_MODULE,
        "envs/dev/main.tf": env_root(timeout=30, visibility=1000),
        "envs/prod/main.tf": env_root(timeout=300, visibility=1000),
    }
    found = findings("TG201", tmp_path, tree, tg001="with")
    assert summary(found) == [("TG201", "envs/prod/main.tf", 12, "envs/prod")]
    assert "may run for 300 s" in found[0].message


def test_consumer_in_two_other_stacks_is_tg001_naming_both(tmp_path: Path) -> None:
    tree = {
        "modules/worker/main.tf": WORKER_MODULE,
        "envs/dev/lambda/main.tf": lambda_root(30),
        "envs/prod/lambda/main.tf": lambda_root(300),
        "envs/prod/queues/main.tf": env_root(timeout=0, visibility=1000, worker=False),
    }
    [found] = findings("TG201", tmp_path, tree, tg001="with")
    assert (found.rule, found.location.file if found.location else "") == (
        "TG001",
        "envs/prod/queues/main.tf",
    )
    assert "module.worker.aws_lambda_function.worker (envs/dev/lambda)" in found.message
    assert "module.worker.aws_lambda_function.worker (envs/prod/lambda)" in found.message
    assert "stack_path" in (found.fix or "")


def test_two_consumers_of_one_name_with_one_timeout_are_one_answer(tmp_path: Path) -> None:
    lambda_root = (
        'provider "aws" {}\nmodule "worker" {\n  source  = "../../../modules/worker"\n  timeout = 300\n}\n'
    )
    tree = {
        "modules/worker/main.tf": WORKER_MODULE,
        "envs/dev/lambda/main.tf": lambda_root,
        "envs/prod/lambda/main.tf": lambda_root,
        "envs/prod/queues/main.tf": env_root(timeout=0, visibility=1000, worker=False),
    }
    assert summary(findings("TG201", tmp_path, tree, tg001="with")) == [
        ("TG201", "envs/prod/queues/main.tf", 8, "envs/prod/queues")
    ]


def test_a_consumer_of_another_known_environment_is_not_linked(tmp_path: Path) -> None:
    tree = {
        **stack("30_app", "prod", env_root(timeout=0, visibility=1000, worker=False)),
        **stack("30_app", "dev", WORKER_MODULE.replace("var.timeout", "30")),
    }
    found = findings("TG201", tmp_path, tree, tg001="with")
    assert [(f.rule, f.stack.label if f.stack else "") for f in found] == [("TG001", "30_app/prod")]
    assert "names no Lambda function in the checked stacks of its environment" in found[0].message


def env_plan(function_timeout: int | None, *, consumer_of: int | None = None) -> plans.Plan:
    """A plan of an environment ttgate cannot tell (no LAYER/ENV, no environment variable): the
    function "orders-worker" with that timeout and, with ``consumer_of`` (a visibility), a queue
    whose mapping names the function."""
    plan = plans.Plan()
    if function_timeout is not None:
        plan.resource(
            "aws_lambda_function.worker", plans.function("orders-worker", function_timeout), action="no-op"
        )
    if consumer_of is not None:
        plan.resource(
            "aws_sqs_queue.orders",
            plans.queue("orders", visibility_timeout_seconds=consumer_of),
            action="no-op",
        ).resource(
            "aws_lambda_event_source_mapping.orders",
            {"event_source_arn": plans.sqs_arn("orders"), "function_name": "orders-worker"},
            action="no-op",
        )
    return plan


def test_tg201_plans_of_two_environments_with_one_function_name(tmp_path: Path) -> None:
    # 20_infra is dev's plan (read first), 30_app prod's: the 1,000 s queue needs 1,800 s there.
    dev, prod = env_plan(30), env_plan(300, consumer_of=1000)
    found = findings("TG201", tmp_path, plans={"20_infra": dev, "30_app": prod}, tg001="with")
    assert by_address(found) == [("TG201", "aws_sqs_queue.orders", "30_app", "error")]


def test_tg201_plan_consumer_in_two_other_plans_is_tg001(tmp_path: Path) -> None:
    found = findings(
        "TG201",
        tmp_path,
        plans={
            "10_core": env_plan(30),
            "20_infra": env_plan(300),
            "30_app": env_plan(None, consumer_of=1000),
        },
        tg001="with",
    )
    assert by_address(found) == [("TG001", "aws_lambda_event_source_mapping.orders", "30_app", "notice")]
    assert "(10_core) and aws_lambda_function.worker (20_infra)" in found[0].message
