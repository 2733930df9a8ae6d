"""TG503 stateful-destroy: a plan that destroys or replaces a resource holding data is an error, one per
resource (one per stack when the plan read another stack's state), naming the likely cause.

HCL alone first (nothing to say), then plans: which resources count, the causes the plan shows (state
key, replace paths, a missing moved block, a move between stacks, Terraform's reasons), where the
finding points and how it is acknowledged, then the real plans of tests/plans/merging.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import findings, stack, write_tree
from tests.plan_builder import Plan, sqs_arn
from ttgate.gate.engine import run_rules
from ttgate.gate.findings import Finding
from ttgate.gate.model import Model
from ttgate.gate.plan import PlanSpec, add_plans
from ttgate.gate.rules import RULES
from ttgate.policy import Severity, load_policy

REPO = Path(__file__).resolve().parents[3]
MERGING = REPO / "tests" / "plans" / "merging" / "dev"
ORDERS = {"name": "tt-practice-dev-orders", "hash_key": "id"}
BUCKET = {"bucket": "tt-practice-dev-uploads"}
TABLE_HCL = """
resource "aws_dynamodb_table" "orders" {
  name     = "tt-practice-dev-orders"
  hash_key = "id"
}
"""


def plan(*resources: tuple[str, dict[str, Any], str], **extra: Any) -> Plan:
    """A dev plan of (address, values, action); ``extra`` maps an address to fields of its change entry
    (``previous_address``, ``action_reason``) or, under ``change``, of its ``change`` object."""
    built = Plan(environment="dev")
    for address, values, action in resources:
        actions = {"replace_cbd": "replace"}.get(action, action)
        built.resource(address, values, action=actions)
        entry = built.changes[-1]
        if action == "replace_cbd":
            entry["change"]["actions"] = ["create", "delete"]
        for key, value in extra.get(address, {}).items():
            if key == "change":
                entry["change"].update(value)
            else:
                entry[key] = value
    return built


def tg503(tmp_path: Path, plans: dict[str, Plan], tree: dict[str, str] | None = None) -> list[Finding]:
    return findings("TG503", tmp_path, tree or {}, plans)


# -- HCL alone ------------------------------------------------------------------------------------


def test_hcl_alone_says_nothing_of_what_applying_does(tmp_path: Path) -> None:
    assert tg503(tmp_path, {}, stack("20_infra", "dev", TABLE_HCL)) == []


# -- which resources ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "values", "flagged"),
    [
        ("aws_s3_bucket", BUCKET, True),
        ("aws_dynamodb_table", ORDERS, True),
        ("aws_kms_key", {"description": "data"}, True),
        ("aws_cloudwatch_log_group", {"name": "/aws/lambda/x"}, True),
        ("aws_db_instance", {"identifier": "orders"}, True),
        ("aws_rds_cluster", {"cluster_identifier": "orders"}, True),
        ("aws_secretsmanager_secret", {"name": "tt-practice-dev-db"}, True),
        # An Aurora instance holds no data (the cluster's storage does); queues without a DLQ: below.
        ("aws_rds_cluster_instance", {"identifier": "orders-1"}, False),
        ("aws_sqs_queue", {"name": "tt-practice-dev-jobs-queue"}, False),
        ("aws_lambda_function", {"function_name": "api"}, False),
    ],
)
@pytest.mark.parametrize("action", ["delete", "replace", "replace_cbd"])
def test_destroy_or_replace_of_a_stateful_type(
    tmp_path: Path, kind: str, values: dict[str, Any], flagged: bool, action: str
) -> None:
    found = tg503(
        tmp_path, {"20_infra/dev": plan((f"{kind}.x", values, action), ("aws_sns_topic.t", {}, "no-op"))}
    )
    assert [f.address for f in found] == ([f"{kind}.x"] if flagged else [])
    assert all(f.severity is Severity.ERROR for f in found)
    verb = "destroys" if action == "delete" else "replaces"
    assert all(verb in f.message for f in found)


@pytest.mark.parametrize("action", ["create", "update", "no-op", "forget"])
def test_what_keeps_the_data_is_not_reported(tmp_path: Path, action: str) -> None:
    found = tg503(tmp_path, {"20_infra/dev": plan(("aws_dynamodb_table.orders", ORDERS, action))})
    assert found == []


def test_a_move_is_not_a_destroy(tmp_path: Path) -> None:
    moved = plan(
        ("module.data.aws_dynamodb_table.orders", ORDERS, "no-op"),
        **{"module.data.aws_dynamodb_table.orders": {"previous_address": "aws_dynamodb_table.orders"}},
    )
    assert tg503(tmp_path, {"20_infra/dev": moved}) == []


@pytest.mark.parametrize(
    ("queue", "other"),
    [
        (
            {"name": "jobs-queue", "redrive_policy": '{"deadLetterTargetArn":"arn:x","maxReceiveCount":3}'},
            None,
        ),
        ({"name": "jobs-dlq"}, None),  # the runbook's DLQ name
        ({"name": "jobs-failed", "redrive_allow_policy": '{"redrivePermission":"allowAll"}'}, None),
        # Another queue's redrive policy sends to it (by ARN), in the same plan or another stack's.
        (
            {"name": "jobs-failed", "arn": sqs_arn("jobs-failed")},
            {"name": "jobs-queue", "redrive_policy": f'{{"deadLetterTargetArn":"{sqs_arn("jobs-failed")}"}}'},
        ),
    ],
)
def test_a_queue_with_a_dlq_or_a_dlq_is_reported(tmp_path: Path, queue: dict, other: dict | None) -> None:
    infra = plan(("aws_sqs_queue.q", queue, "delete"), ("aws_sns_topic.t", {}, "no-op"))
    plans = {"20_infra/dev": infra}
    if other is not None:
        plans["30_app/dev"] = plan(("aws_sqs_queue.source", other, "no-op"))
    assert [f.address for f in tg503(tmp_path, plans)] == ["aws_sqs_queue.q"]


def test_the_resource_types_are_the_policys(tmp_path: Path) -> None:
    write_tree(tmp_path, {".ttgate.yml": "rules:\n  TG503:\n    resource_types: [aws_s3_bucket]\n"})
    both = plan(("aws_s3_bucket.b", BUCKET, "delete"), ("aws_dynamodb_table.t", ORDERS, "delete"))
    both.resource("aws_sns_topic.t", {}, action="no-op")
    assert [f.address for f in tg503(tmp_path, {"20_infra/dev": both})] == ["aws_s3_bucket.b"]


# -- the cause ------------------------------------------------------------------------------------


def test_a_name_that_forces_replacement_is_named(tmp_path: Path) -> None:
    renamed = plan(
        ("aws_dynamodb_table.orders", ORDERS, "replace"),
        **{"aws_dynamodb_table.orders": {"change": {"replace_paths": [["name"]]}}},
    )
    (finding,) = tg503(tmp_path, {"20_infra/dev": renamed})
    assert "Changing name forces the replacement: AWS cannot rename it" in finding.message
    assert finding.fix.startswith("Set name back to what it is now.")


def test_nested_replace_paths_read_as_hcl(tmp_path: Path) -> None:
    changed = plan(
        ("aws_dynamodb_table.orders", ORDERS, "replace"),
        **{
            "aws_dynamodb_table.orders": {
                "change": {"replace_paths": [["attribute", 0, "type"], ["hash_key"]]}
            }
        },
    )
    (finding,) = tg503(tmp_path, {"20_infra/dev": changed})
    assert "Changing attribute[0].type, hash_key forces the replacement." in finding.message
    assert "cannot rename" not in finding.message


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("replace_because_tainted", "it is tainted"),
        ("replace_by_request", "-replace"),
        ("replace_by_triggers", "replace_triggered_by"),
    ],
)
def test_terraforms_reason_for_a_replace(tmp_path: Path, reason: str, said: str) -> None:
    tainted = plan(("aws_s3_bucket.b", BUCKET, "replace"), **{"aws_s3_bucket.b": {"action_reason": reason}})
    (finding,) = tg503(tmp_path, {"20_infra/dev": tainted})
    assert said in finding.message


def test_a_rename_without_moved_suggests_the_block(tmp_path: Path) -> None:
    """Destroyed at one address, created at another in a module, same name in AWS: a moved block."""
    renamed = plan(
        ("aws_dynamodb_table.orders", ORDERS, "delete"),
        ("module.data.aws_dynamodb_table.orders", ORDERS, "create"),
        ("aws_sns_topic.t", {}, "no-op"),
    )
    (finding,) = tg503(tmp_path, {"20_infra/dev": renamed})
    assert "The plan also creates module.data.aws_dynamodb_table.orders" in finding.message
    assert finding.fix.startswith(
        "Add moved { from = aws_dynamodb_table.orders  to = module.data.aws_dynamodb_table.orders }"
    )


def test_the_same_name_in_aws_decides_between_two_creates(tmp_path: Path) -> None:
    renamed = plan(
        ("aws_s3_bucket.uploads", BUCKET, "delete"),
        ("aws_s3_bucket.reports", {"bucket": "tt-practice-dev-reports"}, "create"),
        ("aws_s3_bucket.incoming", BUCKET, "create"),
        ("aws_sns_topic.t", {}, "no-op"),
    )
    (finding,) = tg503(tmp_path, {"20_infra/dev": renamed})
    assert "to = aws_s3_bucket.incoming }" in finding.fix


def test_count_to_for_each_pairs_instances_of_the_same_block(tmp_path: Path) -> None:
    """A bucket name unknown until apply cannot pair; the block's address still does."""
    switched = plan(
        ("aws_s3_bucket.logs[0]", BUCKET, "delete"),
        ('aws_s3_bucket.logs["uploads"]', {}, "create"),
        ("aws_s3_bucket.other", {}, "create"),
        ("aws_sns_topic.t", {}, "no-op"),
        **{
            "aws_s3_bucket.logs[0]": {"action_reason": "delete_because_wrong_repetition"},
            'aws_s3_bucket.logs["uploads"]': {"change": {"after_unknown": {"bucket": True}}},
        },
    )
    (finding,) = tg503(tmp_path, {"20_infra/dev": switched})
    assert 'to = aws_s3_bucket.logs["uploads"] }' in finding.fix


def test_a_name_created_by_another_stack_is_a_move_between_states(tmp_path: Path) -> None:
    plans = {
        "20_infra/dev": plan(
            ("aws_dynamodb_table.orders", ORDERS, "delete"), ("aws_sns_topic.t", {}, "no-op")
        ),
        "10_core/dev": plan(("aws_dynamodb_table.orders", ORDERS, "create")),
    }
    (finding,) = tg503(tmp_path, plans)
    assert "The plan of 10_core/dev creates one with the same name" in finding.message
    assert "removed { from = aws_dynamodb_table.orders  lifecycle { destroy = false } }" in finding.fix
    assert "an import block for it in 10_core/dev" in finding.fix


@pytest.mark.parametrize(
    ("address", "reason", "said"),
    [
        ("aws_s3_bucket.b", "delete_because_no_resource_config", "its resource block is no longer"),
        ("module.store.aws_s3_bucket.b", "delete_because_no_module", "the module call"),
        ("aws_s3_bucket.b[2]", "delete_because_count_index", "count no longer reaches this index"),
        ('aws_s3_bucket.b["old"]', "delete_because_each_key", "for_each no longer has this key"),
    ],
)
def test_terraforms_reason_for_a_destroy(tmp_path: Path, address: str, reason: str, said: str) -> None:
    gone = plan(
        (address, BUCKET, "delete"), ("aws_sns_topic.t", {}, "no-op"), **{address: {"action_reason": reason}}
    )
    (finding,) = tg503(tmp_path, {"20_infra/dev": gone})
    assert said in finding.message
    unkeyed = address.split("[")[0]
    assert f"removed {{ from = {unkeyed}  lifecycle {{ destroy = false }} }}" in finding.fix


def test_a_plan_that_read_another_stacks_state_is_one_error_naming_the_key(tmp_path: Path) -> None:
    """The classic incident: 20_infra's backend key copied from 10_core. Its plan destroys the state
    bucket and the lock table 10_core built and creates 20_infra's queue."""
    tree = stack("20_infra", "dev", 'resource "aws_sqs_queue" "events" {\n  name = "events-queue"\n}\n')
    backend = "practice/deploy/20_infra/environments/dev/backend.tf"
    tree[backend] = tree[backend].replace("infra/terraform.tfstate", "core/terraform.tfstate")
    copied = plan(
        ("aws_s3_bucket.state", {"bucket": "tt-practice-tf-state-dev-057336397237"}, "delete"),
        ("aws_dynamodb_table.locks", {"name": "tt-practice-tf-locks", "hash_key": "LockID"}, "delete"),
        ("aws_sqs_queue.events", {"name": "events-queue"}, "create"),
    )
    (finding,) = tg503(tmp_path, {"20_infra/dev": copied}, tree)
    assert finding.message.startswith(
        "The plan of 20_infra/dev destroys DynamoDB table aws_dynamodb_table.locks, S3 bucket "
        "aws_s3_bucket.state. The plan destroys everything its state holds and creates everything the "
        "code declares"
    )
    assert (
        'key = "core/terraform.tfstate" is 10_core\'s state; 20_infra keeps its state at ' in finding.message
    )
    assert finding.location is not None and (finding.location.file, finding.location.line) == (backend, 3)
    assert finding.fix.startswith(
        'Set the backend key back to the state this stack was applied with ("infra/'
    )


def test_a_plan_with_something_that_stays_is_not_a_foreign_state(tmp_path: Path) -> None:
    partial = plan(
        ("aws_s3_bucket.state", BUCKET, "delete"),
        ("aws_dynamodb_table.locks", ORDERS, "delete"),
        ("aws_sqs_queue.events", {"name": "events-queue"}, "create"),
        ("aws_sns_topic.t", {}, "update"),
    )
    found = tg503(tmp_path, {"20_infra/dev": partial})
    assert sorted(f.address for f in found) == ["aws_dynamodb_table.locks", "aws_s3_bucket.state"]
    assert not any("backend key" in f.message for f in found)


# -- where it points, and the acknowledgement -----------------------------------------------------


def _lowered_count(tmp_path: Path, comment: str) -> list[Finding]:
    hcl = f"""
{comment}
resource "aws_s3_bucket" "b" {{
  count  = 2
  bucket = "tt-practice-dev-b-${{count.index}}"
}}
"""
    lowered = plan(
        ("aws_s3_bucket.b[0]", {"bucket": "tt-practice-dev-b-0"}, "no-op"),
        ("aws_s3_bucket.b[1]", {"bucket": "tt-practice-dev-b-1"}, "no-op"),
        ("aws_s3_bucket.b[2]", {"bucket": "tt-practice-dev-b-2"}, "delete"),
        **{"aws_s3_bucket.b[2]": {"action_reason": "delete_because_count_index"}},
    )
    return tg503(tmp_path, {"20_infra/dev": lowered}, stack("20_infra", "dev", hcl))


def test_a_lowered_count_points_at_the_block(tmp_path: Path) -> None:
    (finding,) = _lowered_count(tmp_path, "")
    assert finding.location is not None
    assert (finding.location.file, finding.location.line) == (
        "practice/deploy/20_infra/environments/dev/main.tf",
        1,
    )
    assert not finding.suppressed


def test_a_suppression_with_a_reason_above_the_block_acknowledges_it(tmp_path: Path) -> None:
    (finding,) = _lowered_count(tmp_path, "# ttgate:ignore TG503 b-2 emptied and archived, INC-812")
    assert finding.suppressed and finding.suppression_reason == "b-2 emptied and archived, INC-812"


def test_a_suppression_without_a_reason_does_not(tmp_path: Path) -> None:
    (finding,) = _lowered_count(tmp_path, "# ttgate:ignore TG503")
    assert not finding.suppressed


def test_a_removed_block_points_at_the_backend_block(tmp_path: Path) -> None:
    gone = plan(("aws_s3_bucket.gone", BUCKET, "delete"), ("aws_sns_topic.t", {}, "no-op"))
    (finding,) = tg503(tmp_path, {"20_infra/dev": gone}, stack("20_infra", "dev", ""))
    assert finding.location is not None
    assert finding.location.file.endswith("20_infra/environments/dev/backend.tf")
    assert "above the stack's backend block" in finding.fix


# -- the real plans (tests/plans/merging) ---------------------------------------------------------


def merging_findings() -> list[Finding]:
    policy = load_policy(RULES, search_dir=REPO)
    model = Model(root=REPO)
    add_plans(
        model,
        [PlanSpec(f"{layer}/dev", MERGING / f"{layer}.json") for layer in ("10_core", "20_infra", "30_app")],
        policy,
    )
    return [f for f in run_rules(model, policy) if f.rule == "TG503"]


def test_the_copied_key_destroying_a_table_and_a_bucket_is_an_error_naming_both() -> None:
    found = merging_findings()
    (infra,) = [f for f in found if f.stack is not None and f.stack.label == "20_infra/dev"]
    assert infra.severity is Severity.ERROR
    assert "DynamoDB table aws_dynamodb_table.locks" in infra.message
    assert "S3 bucket aws_s3_bucket.state_bucket" in infra.message
    assert "most likely because the backend key changed" in infra.message


def test_the_real_30_app_plan_names_each_cause() -> None:
    app = {f.address: f for f in merging_findings() if f.stack is not None and f.stack.label == "30_app/dev"}
    assert set(app) == {
        "aws_cloudwatch_log_group.api_logs",
        "aws_cloudwatch_log_group.worker_logs[2]",
        "aws_dynamodb_table.orders_table",
    }
    assert "to = aws_cloudwatch_log_group.api_log_group }" in app["aws_cloudwatch_log_group.api_logs"].fix
    assert "count no longer reaches this index" in app["aws_cloudwatch_log_group.worker_logs[2]"].message
    assert (
        "Changing triggers_replace forces the replacement." in app["aws_dynamodb_table.orders_table"].message
    )


def test_a_lowered_count_beside_a_rename_leaves_the_rename_paired(tmp_path: Path) -> None:
    """Found by a real plan: the instance a lowered count drops is no candidate for a renamed block."""
    both = plan(
        ("aws_s3_bucket.logs[2]", {"bucket": "logs-2"}, "delete"),
        ("aws_s3_bucket.bucket", {"bucket": "uploads-old"}, "delete"),
        ("aws_s3_bucket.uploads", {}, "create"),
        ("aws_s3_bucket.logs[0]", {"bucket": "logs-0"}, "no-op"),
        **{
            "aws_s3_bucket.logs[2]": {"action_reason": "delete_because_count_index"},
            "aws_s3_bucket.bucket": {"action_reason": "delete_because_no_resource_config"},
        },
    )
    found = {f.address: f for f in tg503(tmp_path, {"20_infra/dev": both})}
    assert "to = aws_s3_bucket.uploads }" in found["aws_s3_bucket.bucket"].fix
    assert "count no longer reaches this index" in found["aws_s3_bucket.logs[2]"].message


def test_a_removed_block_names_the_block_without_instance_keys(tmp_path: Path) -> None:
    """`removed { from = … }` takes no instance key, of the resource or of its modules."""
    address = 'module.tenant["a"].module.store.aws_s3_bucket.data[0]'
    gone = plan(
        (address, BUCKET, "delete"),
        ("aws_sns_topic.t", {}, "no-op"),
        **{address: {"action_reason": "delete_because_no_module"}},
    )
    (finding,) = tg503(tmp_path, {"20_infra/dev": gone})
    assert "removed { from = module.tenant.module.store.aws_s3_bucket.data  lifecycle" in finding.fix


def test_a_new_name_unknown_until_apply_still_names_the_attribute(tmp_path: Path) -> None:
    """name = "orders-${random_id.suffix.hex}": the plan knows only that name changes."""
    renamed = plan(
        ("aws_dynamodb_table.orders", ORDERS, "replace"),
        **{
            "aws_dynamodb_table.orders": {
                "change": {"replace_paths": [["name"]], "after_unknown": {"name": True, "arn": True}}
            }
        },
    )
    (finding,) = tg503(tmp_path, {"20_infra/dev": renamed})
    assert '("tt-practice-dev-orders")' in finding.message  # the table it deletes, by its name now
    assert "Changing name forces the replacement" in finding.message
