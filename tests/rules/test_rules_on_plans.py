"""Every rule on `terraform show -json` plans, each case beside its passing twin.

The HCL side of each rule is in tests/rules/test_tgNNN_*.py. Here the same rules read plans built with
tests/plan_builder.py: values unknown until apply, resources being deleted, module and count addresses,
remote state read at plan time, and joins across the plans of one environment.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers import load, stack, write_tree
from tests.plan_builder import RANDOM, Plan, ref, sqs_arn, sqs_url

from ttgate.errors import UserError
from ttgate.gate.engine import run_rules
from ttgate.gate.findings import Finding
from ttgate.gate.model import Model
from ttgate.gate.plan import PlanSpec, add_plans
from ttgate.gate.policy import Policy, load_policy
from ttgate.gate.rules import RULES

QUEUE = "tt-practice-dev-orders-queue"
DLQ = "tt-practice-dev-orders-dlq"
FUNCTION = "tt-practice-dev-order-processor"
LOG_GROUP = f"/aws/lambda/{FUNCTION}"
STATE_BUCKET = "tt-practice-tf-state-dev-057336397237"
APP_DEV = "practice/deploy/30_app/environments/dev"


def check(
    tmp_path: Path, plans: dict[str, Plan], model: Model | None = None, policy: Policy | None = None
) -> list[Finding]:
    """Write each plan, load them as LABEL=FILE (over ``model``'s HCL stacks if given), run every rule."""
    policy = policy or load_policy(RULES)
    model = model or Model(root=tmp_path)
    specs = []
    for label, plan in plans.items():
        specs.append(PlanSpec(label, plan.write(tmp_path / f"{label.replace('/', '_')}.json")))
    add_plans(model, specs, policy)
    return run_rules(model, policy)


def found(findings: list[Finding], *rules: str) -> list[tuple[str, str | None, str, str]]:
    """(rule, address, stack label, severity) of the findings of ``rules``."""
    return [
        (f.rule, f.address, f.stack.label if f.stack else "", f.severity.label)
        for f in findings
        if f.rule in rules
    ]


def queue(name: str, **attributes: object) -> dict[str, object]:
    """An existing standard queue's attributes, as the AWS provider reports them (unset: SQS defaults)."""
    return {
        "arn": sqs_arn(name),
        "fifo_queue": False,
        "id": sqs_url(name),
        "message_retention_seconds": 345600,
        "name": name,
        "redrive_policy": "",
        "url": sqs_url(name),
        "visibility_timeout_seconds": 30,
        **attributes,
    }


def redrive(dlq: str, count: int = 3) -> str:
    return json.dumps({"deadLetterTargetArn": sqs_arn(dlq), "maxReceiveCount": count})


def function(name: str = FUNCTION, timeout: int = 10) -> dict[str, object]:
    return {
        "arn": f"arn:aws:lambda:ap-southeast-1:057336397237:function:{name}",
        "function_name": name,
        "logging_config": [{"log_format": "Text", "log_group": f"/aws/lambda/{name}"}],
        "timeout": timeout,
    }


def app_plan(queue_arn: str, timeout: int = 10) -> Plan:
    """30_app/dev: order-processor (existing) consumes the queue whose ARN 20_infra's state outputs."""
    return (
        Plan(environment="dev")
        .remote_state("infra", "infra/terraform.tfstate", outputs={"orders_queue_arn": queue_arn})
        .resource("aws_lambda_function.order_processor", function(timeout=timeout), action="no-op")
        .resource(
            "aws_lambda_event_source_mapping.order_processor",
            {
                "event_source_arn": queue_arn,
                "function_name": FUNCTION,
                "maximum_batching_window_in_seconds": 0,
            },
            unknown=["uuid"],
            config={
                "event_source_arn": ref("data.terraform_remote_state.infra.outputs.orders_queue_arn"),
                "function_name": ref("aws_lambda_function.order_processor.function_name"),
            },
        )
    )


def alarm(dlq: str, **attributes: object) -> dict[str, object]:
    """The runbook's alarm on a DLQ."""
    return {
        "alarm_name": f"{dlq}-messages-alarm",
        "comparison_operator": "GreaterThanOrEqualToThreshold",
        "dimensions": {"QueueName": dlq},
        "evaluation_periods": 1,
        "metric_name": "ApproximateNumberOfMessagesVisible",
        "namespace": "AWS/SQS",
        "period": 60,
        "statistic": "Maximum",
        "threshold": 1,
        **attributes,
    }


# -- TG000 parse-error ------------------------------------------------------------------------------


def test_tg000_a_bad_plan_is_an_input_error_not_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "20_infra.json"
    path.write_text('{"format_version": "1.2", "planned_values": {', encoding="utf-8")
    with pytest.raises(UserError, match="invalid JSON"):
        add_plans(Model(root=tmp_path), [PlanSpec("20_infra/dev", path)], load_policy(RULES))


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(True, id="broken file"),
        pytest.param(False, id="no broken file"),
    ],
)
def test_tg000_broken_hcl_beside_a_plan_is_still_reported_and_the_plan_checked(
    tmp_path: Path, broken: bool
) -> None:
    extra = {"broken__tf": 'resource "aws_sqs_queue" "q" {\n  name = "q"\n'} if broken else {}
    write_tree(tmp_path, stack("30_app", "dev", **extra))
    plan = Plan(environment="dev").resource(
        "aws_cloudwatch_log_group.worker",
        {"name": "/aws/lambda/tt-practice-dev-worker", "retention_in_days": 10},
    )
    findings = check(tmp_path, {"30_app/dev": plan}, model=load(tmp_path))
    assert sorted(found(findings, "TG000", "TG301")) == [
        *([("TG000", None, "30_app/dev", "error")] if broken else []),
        ("TG301", "aws_cloudwatch_log_group.worker", "30_app/dev", "error"),
    ]
    if broken:
        [parse_error] = [f for f in findings if f.rule == "TG000"]
        assert parse_error.location is not None and parse_error.location.file == f"{APP_DEV}/broken.tf"


# -- TG001 unverifiable ------------------------------------------------------------------------------


@pytest.mark.parametrize("known", [False, True], ids=["timeout unknown", "timeout known"])
def test_tg001_a_new_functions_timeout_unknown_until_apply(tmp_path: Path, known: bool) -> None:
    infra = Plan(environment="dev").resource("aws_sqs_queue.orders", queue(QUEUE), action="no-op")
    # A new function whose timeout comes from a value created in the same apply (twin: a literal).
    new_function = function(timeout=5)
    del new_function["arn"]  # known after apply
    if not known:
        del new_function["timeout"]
    app = (
        Plan(environment="dev")
        .remote_state("infra", "infra/terraform.tfstate", outputs={"orders_queue_arn": sqs_arn(QUEUE)})
        .resource(
            "random_integer.timeout",
            {"max": 20, "min": 5},
            unknown=["result"],
            config={"max": 20, "min": 5},
            provider=RANDOM,
        )
        .resource(
            "aws_lambda_function.order_processor",
            new_function,
            unknown=[] if known else ["timeout"],
            config={
                "function_name": FUNCTION,
                "timeout": 5 if known else ref("random_integer.timeout.result"),
            },
        )
        .resource(
            "aws_lambda_event_source_mapping.order_processor",
            {"event_source_arn": sqs_arn(QUEUE), "function_name": FUNCTION},
            unknown=["uuid"],
            config={
                "event_source_arn": ref("data.terraform_remote_state.infra.outputs.orders_queue_arn"),
                "function_name": ref("aws_lambda_function.order_processor.function_name"),
            },
        )
    )
    findings = check(tmp_path, {"20_infra/dev": infra, "30_app/dev": app})
    if known:
        assert found(findings, "TG001", "TG201") == []  # 30 s >= 6 x 5 s
    else:
        assert found(findings, "TG001", "TG201") == [
            ("TG001", "aws_lambda_function.order_processor", "30_app/dev", "notice")
        ]
        [notice] = [f for f in findings if f.rule == "TG001"]
        assert notice.for_rule == "TG201"
        assert "random_integer.timeout.result" in notice.message


# -- TG101 layer-dependency ----------------------------------------------------------------------------


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
    plan = Plan(environment="dev").remote_state(
        "infra", "infra/terraform.tfstate", outputs={"orders_queue_arn": sqs_arn(QUEUE)}
    )
    plan.resource("aws_ssm_parameter.queue", {"name": "/dev/orders-queue", "value": sqs_arn(QUEUE)})
    findings = check(tmp_path, {label: plan})
    assert found(findings, "TG101") == expected


# -- TG102 backend-state-key ---------------------------------------------------------------------------


def test_tg102_a_plan_alone_carries_no_backend_and_gives_no_finding(tmp_path: Path) -> None:
    plans = {
        f"{layer}/dev": Plan(environment="dev").resource(
            "aws_ssm_parameter.marker", {"name": f"/dev/{layer}", "value": layer}
        )
        for layer in ("10_core", "20_infra", "30_app")
    }
    findings = check(tmp_path, plans)
    assert found(findings, "TG102") == []


@pytest.mark.parametrize(
    "key, expected",
    [
        ("core/terraform.tfstate", [("TG102", None, "30_app/dev", "error")]),
        ("app/terraform.tfstate", []),
    ],
)
def test_tg102_a_plan_over_its_hcl_stack_keeps_the_hcls_backend(
    tmp_path: Path, key: str, expected: list[tuple[str, None, str, str]]
) -> None:
    files = stack("30_app", "dev")
    files[f"{APP_DEV}/backend.tf"] = files[f"{APP_DEV}/backend.tf"].replace("app/terraform.tfstate", key)
    write_tree(tmp_path, files)
    plan = Plan(environment="dev").resource("aws_ssm_parameter.marker", {"name": "/dev/app", "value": "app"})
    findings = check(tmp_path, {"30_app/dev": plan}, model=load(tmp_path))
    assert found(findings, "TG102") == expected
    for finding in (f for f in findings if f.rule == "TG102"):
        assert finding.source == "plan"
        assert finding.location is not None
        assert (finding.location.file, finding.location.line) == (f"{APP_DEV}/backend.tf", 3)  # key =


# -- TG103 layer-placement -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label, expected",
    [
        ("20_infra/dev", [("TG103", "aws_lambda_function.order_processor", "20_infra/dev", "warning")]),
        ("30_app/dev", []),
    ],
)
def test_tg103_a_lambda_function_in_the_infra_plan(
    tmp_path: Path, label: str, expected: list[tuple[str, str, str, str]]
) -> None:
    plan = Plan(environment="dev").resource("aws_lambda_function.order_processor", function())
    assert found(check(tmp_path, {label: plan}), "TG103") == expected


# -- TG201 sqs-visibility-timeout ------------------------------------------------------------------------


@pytest.mark.parametrize("visibility, fails", [(30, True), (60, False)])
def test_tg201_cross_plan_consumer_joined_by_the_arn_from_remote_state(
    tmp_path: Path, visibility: int, fails: bool
) -> None:
    infra = Plan(environment="dev").resource(
        "aws_sqs_queue.orders",
        queue(QUEUE, visibility_timeout_seconds=visibility),
        action="no-op",
    )
    findings = check(tmp_path, {"20_infra/dev": infra, "30_app/dev": app_plan(sqs_arn(QUEUE), timeout=10)})
    assert found(findings, "TG201", "TG001") == (
        [("TG201", "aws_sqs_queue.orders", "20_infra/dev", "error")] if fails else []
    )
    if fails:
        [finding] = [f for f in findings if f.rule == "TG201"]
        assert f"{FUNCTION} (30_app/dev)" in finding.message


@pytest.mark.parametrize("visibility, fails", [(30, True), (360, False)])
def test_tg201_same_plan_new_queue_linked_through_the_configuration(
    tmp_path: Path, visibility: int, fails: bool
) -> None:
    plan = (
        Plan(environment="dev")
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
                "event_source_arn": ref("aws_sqs_queue.jobs.arn"),
                "function_name": ref("aws_lambda_function.jobs.function_name"),
            },
        )
    )
    findings = check(tmp_path, {"30_app/dev": plan})
    assert found(findings, "TG201", "TG001") == (
        [("TG201", "aws_sqs_queue.jobs", "30_app/dev", "error")] if fails else []
    )


@pytest.mark.parametrize("visibility, fails", [(30, True), (60, False)])
def test_tg201_module_addresses_in_both_plans(tmp_path: Path, visibility: int, fails: bool) -> None:
    infra = Plan(environment="dev").resource(
        "module.orders_queue.aws_sqs_queue.main",
        queue(QUEUE, visibility_timeout_seconds=visibility),
        action="no-op",
    )
    app = (
        Plan(environment="dev")
        .remote_state("infra", "infra/terraform.tfstate", outputs={"orders_queue_arn": sqs_arn(QUEUE)})
        .resource("module.order_processor.aws_lambda_function.this", function(), action="no-op")
        .resource(
            "module.order_processor.aws_lambda_event_source_mapping.this[0]",
            {"event_source_arn": sqs_arn(QUEUE), "function_name": FUNCTION},
            action="no-op",
        )
    )
    findings = check(tmp_path, {"20_infra/dev": infra, "30_app/dev": app})
    assert found(findings, "TG201", "TG001") == (
        [("TG201", "module.orders_queue.aws_sqs_queue.main", "20_infra/dev", "error")] if fails else []
    )


@pytest.mark.parametrize("visibility, fails", [(30, True), (60, False)])
def test_tg201_count_indexed_queue(tmp_path: Path, visibility: int, fails: bool) -> None:
    infra = Plan(environment="dev").resource(
        "aws_sqs_queue.q[0]", queue(QUEUE, visibility_timeout_seconds=visibility), action="no-op"
    )
    findings = check(tmp_path, {"20_infra/dev": infra, "30_app/dev": app_plan(sqs_arn(QUEUE), timeout=10)})
    assert found(findings, "TG201", "TG001") == (
        [("TG201", "aws_sqs_queue.q[0]", "20_infra/dev", "error")] if fails else []
    )


@pytest.mark.parametrize("known", [False, True], ids=["visibility unknown", "visibility known"])
def test_tg201_visibility_unknown_until_apply_is_tg001(tmp_path: Path, known: bool) -> None:
    values = queue(QUEUE, visibility_timeout_seconds=30)
    if not known:
        del values["visibility_timeout_seconds"]
    infra = (
        Plan(environment="dev")
        .resource(
            "random_integer.visibility",
            {"max": 900, "min": 60},
            unknown=["result"],
            provider=RANDOM,
            config={"max": 900, "min": 60},
        )
        .resource(
            "aws_sqs_queue.orders",
            values,
            action="update",
            before={"visibility_timeout_seconds": 120},
            unknown=[] if known else ["visibility_timeout_seconds"],
            config={"visibility_timeout_seconds": 30 if known else ref("random_integer.visibility.result")},
        )
    )
    findings = check(tmp_path, {"20_infra/dev": infra, "30_app/dev": app_plan(sqs_arn(QUEUE), timeout=10)})
    assert found(findings, "TG201", "TG001") == (
        [("TG201", "aws_sqs_queue.orders", "20_infra/dev", "error")]
        if known
        else [("TG001", "aws_sqs_queue.orders", "20_infra/dev", "notice")]
    )


# -- TG202 sqs-redrive ---------------------------------------------------------------------------------


@pytest.mark.parametrize("has_redrive", [False, True], ids=["no redrive policy", "redrive policy"])
def test_tg202_consumed_queue_without_redrive_policy(tmp_path: Path, has_redrive: bool) -> None:
    infra = (
        Plan(environment="dev")
        .resource("aws_sqs_queue.orders_dlq", queue(DLQ, message_retention_seconds=1209600), action="no-op")
        .resource(
            "aws_sqs_queue.orders",
            queue(QUEUE, visibility_timeout_seconds=60, redrive_policy=redrive(DLQ) if has_redrive else ""),
            action="no-op",
        )
    )
    findings = check(tmp_path, {"20_infra/dev": infra, "30_app/dev": app_plan(sqs_arn(QUEUE))})
    assert found(findings, "TG202", "TG001") == (
        [] if has_redrive else [("TG202", "aws_sqs_queue.orders", "20_infra/dev", "error")]
    )


@pytest.mark.parametrize(
    "count, expected", [(5, [("TG202", "aws_sqs_queue.orders", "20_infra/dev", "warning")]), (3, [])]
)
def test_tg202_max_receive_count(
    tmp_path: Path, count: int, expected: list[tuple[str, str, str, str]]
) -> None:
    infra = (
        Plan(environment="dev")
        .resource("aws_sqs_queue.orders_dlq", queue(DLQ, message_retention_seconds=1209600), action="no-op")
        .resource(
            "aws_sqs_queue.orders",
            queue(QUEUE, visibility_timeout_seconds=60, redrive_policy=redrive(DLQ, count)),
            action="no-op",
        )
    )
    findings = check(tmp_path, {"20_infra/dev": infra, "30_app/dev": app_plan(sqs_arn(QUEUE))})
    assert found(findings, "TG202", "TG001") == expected


@pytest.mark.parametrize("known", [False, True], ids=["redrive unknown", "redrive known"])
def test_tg202_redrive_policy_unknown_until_apply_still_finds_its_new_dlq(
    tmp_path: Path, known: bool
) -> None:
    """The existing queue gets a redrive policy to a new DLQ: the policy is unknown (it holds the new
    ARN), so maxReceiveCount cannot be read (TG001), but the configuration names the DLQ, which is checked."""
    orders = queue(QUEUE, visibility_timeout_seconds=60)
    if known:
        orders["redrive_policy"] = redrive(DLQ)
    else:
        del orders["redrive_policy"]
    infra = (
        Plan(environment="dev")
        .resource(
            "aws_sqs_queue.orders_dlq",
            {"name": DLQ, "message_retention_seconds": 345600},
            unknown=["url"],
            config={"name": ref("var.project", "var.environment"), "message_retention_seconds": 345600},
        )
        .resource(
            "aws_sqs_queue.orders",
            orders,
            action="update",
            before={"redrive_policy": ""},
            unknown=[] if known else ["redrive_policy"],
            config={"redrive_policy": ref("aws_sqs_queue.orders_dlq.arn")},
        )
    )
    findings = check(tmp_path, {"20_infra/dev": infra, "30_app/dev": app_plan(sqs_arn(QUEUE))})
    dlq_findings = [
        ("TG203", "aws_sqs_queue.orders_dlq", "20_infra/dev", "error"),
        ("TG204", "aws_sqs_queue.orders_dlq", "20_infra/dev", "error"),
    ]
    if known:
        assert found(findings, "TG001", "TG202", "TG203", "TG204") == dlq_findings
    else:
        assert found(findings, "TG001", "TG202", "TG203", "TG204") == [
            ("TG001", "aws_sqs_queue.orders", "20_infra/dev", "notice"),
            *dlq_findings,
        ]
        [notice] = [f for f in findings if f.rule == "TG001"]
        assert notice.for_rule == "TG202"


# -- TG203 dlq-retention -------------------------------------------------------------------------------


@pytest.mark.parametrize("retention, fails", [(345600, True), (1209600, False)])
def test_tg203_dlq_retention(tmp_path: Path, retention: int, fails: bool) -> None:
    infra = (
        Plan(environment="dev")
        .resource("aws_sqs_queue.orders_dlq", queue(DLQ, message_retention_seconds=retention), action="no-op")
        .resource("aws_sqs_queue.orders", queue(QUEUE, redrive_policy=redrive(DLQ)), action="no-op")
    )
    findings = check(tmp_path, {"20_infra/dev": infra})
    assert found(findings, "TG203", "TG001") == (
        [("TG203", "aws_sqs_queue.orders_dlq", "20_infra/dev", "error")] if fails else []
    )


@pytest.mark.parametrize("source_retention, fails", [(604800, True), (345600, False)])
def test_tg203_dlq_shorter_than_its_source(tmp_path: Path, source_retention: int, fails: bool) -> None:
    # A team that keeps DLQ messages 4 days: only the comparison with the source queue can fail.
    policy_file = tmp_path / ".ttgate.yml"
    policy_file.write_text("rules:\n  TG203: {retention_seconds: 345600}\n", encoding="utf-8")
    infra = (
        Plan(environment="dev")
        .resource("aws_sqs_queue.orders_dlq", queue(DLQ, message_retention_seconds=345600), action="no-op")
        .resource(
            "aws_sqs_queue.orders",
            queue(QUEUE, message_retention_seconds=source_retention, redrive_policy=redrive(DLQ)),
            action="no-op",
        )
    )
    findings = check(tmp_path, {"20_infra/dev": infra}, policy=load_policy(RULES, explicit=policy_file))
    assert found(findings, "TG203", "TG001") == (
        [("TG203", "aws_sqs_queue.orders_dlq", "20_infra/dev", "error")] if fails else []
    )
    if fails:
        [finding] = [f for f in findings if f.rule == "TG203"]
        assert f"shorter than its source queue {QUEUE}" in finding.message


@pytest.mark.parametrize("retention, fails", [(345600, True), (1209600, False)])
def test_tg203_new_dlq_in_a_module_reached_through_its_output(
    tmp_path: Path, retention: int, fails: bool
) -> None:
    orders = queue(QUEUE)
    del orders["redrive_policy"]  # unknown: it will hold the new DLQ's ARN
    infra = (
        Plan(environment="dev")
        .resource(
            "module.orders_dlq.aws_sqs_queue.this",
            {"name": DLQ, "message_retention_seconds": retention},
            unknown=["url"],
            config={"name": DLQ, "message_retention_seconds": retention},
        )
        .module_output("orders_dlq", "arn", ref("aws_sqs_queue.this.arn"))
        .resource(
            "aws_sqs_queue.orders",
            orders,
            action="update",
            before={"redrive_policy": ""},
            unknown=["redrive_policy"],
            config={"redrive_policy": ref("module.orders_dlq.arn")},
        )
    )
    findings = check(tmp_path, {"20_infra/dev": infra})
    assert found(findings, "TG203", "TG001") == (
        [("TG203", "module.orders_dlq.aws_sqs_queue.this", "20_infra/dev", "error")] if fails else []
    )


# -- TG204 dlq-alarm -----------------------------------------------------------------------------------


def infra_with_dlq() -> Plan:
    """20_infra/dev: the orders queue and its DLQ (14 days), both existing."""
    return (
        Plan(environment="dev")
        .resource("aws_sqs_queue.orders_dlq", queue(DLQ, message_retention_seconds=1209600), action="no-op")
        .resource("aws_sqs_queue.orders", queue(QUEUE, redrive_policy=redrive(DLQ)), action="no-op")
    )


NO_ALARM = [("TG204", "aws_sqs_queue.orders_dlq", "20_infra/dev", "error")]


@pytest.mark.parametrize(
    "queue_name, expected",
    [(DLQ, []), ("tt-practice-dev-orders-queue", NO_ALARM)],
    ids=["the DLQ", "the source"],
)
def test_tg204_alarm_on_the_dlqs_queue_name(
    tmp_path: Path, queue_name: str, expected: list[tuple[str, str, str, str]]
) -> None:
    infra = infra_with_dlq().resource(
        "aws_cloudwatch_metric_alarm.orders_dlq",
        alarm(DLQ, dimensions={"QueueName": queue_name}),
        action="no-op",
    )
    assert found(check(tmp_path, {"20_infra/dev": infra}), "TG204", "TG001") == expected


def test_tg204_dlq_without_any_alarm(tmp_path: Path) -> None:
    assert found(check(tmp_path, {"20_infra/dev": infra_with_dlq()}), "TG204", "TG001") == NO_ALARM


@pytest.mark.parametrize("label, expected", [("30_app/dev", []), ("30_app/prod", NO_ALARM)])
def test_tg204_alarm_in_another_plan_of_the_same_environment(
    tmp_path: Path, label: str, expected: list[tuple[str, str, str, str]]
) -> None:
    alarms = Plan(environment=label.split("/")[1]).resource(
        "aws_cloudwatch_metric_alarm.orders_dlq", alarm(DLQ), action="no-op"
    )
    findings = check(tmp_path, {"20_infra/dev": infra_with_dlq(), label: alarms})
    assert found(findings, "TG204", "TG001") == expected


@pytest.mark.parametrize("action, expected", [("delete", NO_ALARM), ("no-op", [])])
def test_tg204_an_alarm_being_deleted_does_not_watch_the_dlq(
    tmp_path: Path, action: str, expected: list[tuple[str, str, str, str]]
) -> None:
    infra = infra_with_dlq().resource("aws_cloudwatch_metric_alarm.orders_dlq", alarm(DLQ), action=action)
    assert found(check(tmp_path, {"20_infra/dev": infra}), "TG204", "TG001") == expected


# -- TG301 log-retention -------------------------------------------------------------------------------

GROUP = "aws_cloudwatch_log_group.order_processor"


def log_group(retention: int | None) -> dict[str, object]:
    return {"log_group_class": "STANDARD", "name": LOG_GROUP, "retention_in_days": retention}


@pytest.mark.parametrize(
    "retention, expected",
    [
        (10, [("TG301", GROUP, "30_app/dev", "error")]),
        (0, [("TG301", GROUP, "30_app/dev", "warning")]),
        (None, [("TG301", GROUP, "30_app/dev", "warning")]),
        (14, []),
    ],
)
def test_tg301_retention_of_a_new_log_group(
    tmp_path: Path, retention: int | None, expected: list[tuple[str, str, str, str]]
) -> None:
    plan = Plan(environment="dev").resource(GROUP, log_group(retention))
    assert found(check(tmp_path, {"30_app/dev": plan}), "TG301", "TG001") == expected


@pytest.mark.parametrize(
    "action, expected", [("delete", []), ("no-op", [("TG301", GROUP, "30_app/dev", "error")])]
)
def test_tg301_a_log_group_being_deleted_is_not_checked(
    tmp_path: Path, action: str, expected: list[tuple[str, str, str, str]]
) -> None:
    plan = Plan(environment="dev").resource(
        GROUP, log_group(2192), action=action
    )  # CloudWatch: yes; policy: no
    assert found(check(tmp_path, {"30_app/dev": plan}), "TG301", "TG001") == expected


@pytest.mark.parametrize(
    "before, after, expected",
    [(14, 10, [("TG301", GROUP, "30_app/dev", "error")]), (2192, 14, [])],
)
def test_tg301_an_update_is_checked_on_its_new_value(
    tmp_path: Path, before: int, after: int, expected: list[tuple[str, str, str, str]]
) -> None:
    plan = Plan(environment="dev").resource(
        GROUP, log_group(after), action="update", before={"retention_in_days": before}
    )
    assert found(check(tmp_path, {"30_app/dev": plan}), "TG301", "TG001") == expected


# -- TG302 lambda-log-group ----------------------------------------------------------------------------


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
    plan = Plan(environment="dev").resource("aws_lambda_function.order_processor", function(), action="no-op")
    if group_action is not None:
        plan.resource(GROUP, log_group(14), action=group_action)
    assert found(check(tmp_path, {"30_app/dev": plan}), "TG302", "TG001") == expected


# -- TG401 naming --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label, address, attribute, name, fails",
    [
        ("30_app/dev", "aws_lambda_function.order_processor", "function_name", "OrderProcessor", True),
        ("30_app/dev", "aws_lambda_function.order_processor", "function_name", FUNCTION, False),
        ("20_infra/dev", "aws_sqs_queue.orders", "name", "orders", True),
        ("20_infra/dev", "aws_sqs_queue.orders", "name", QUEUE, False),
        ("30_app/dev", GROUP, "name", "/aws/lambda/order_processor_dev", True),
        ("30_app/dev", GROUP, "name", LOG_GROUP, False),
    ],
)
def test_tg401_names_in_plans(
    tmp_path: Path, label: str, address: str, attribute: str, name: str, fails: bool
) -> None:
    plan = Plan(environment="dev").resource(address, {attribute: name}, config={attribute: name})
    findings = check(tmp_path, {label: plan})
    assert found(findings, "TG401", "TG001") == ([("TG401", address, label, "warning")] if fails else [])


@pytest.mark.parametrize("name, fails", [("orders-dead-letters", True), (DLQ, False)])
def test_tg401_a_redrive_target_is_named_as_a_dlq(tmp_path: Path, name: str, fails: bool) -> None:
    infra = (
        Plan(environment="dev")
        .resource("aws_sqs_queue.orders_dlq", queue(name, message_retention_seconds=1209600), action="no-op")
        .resource("aws_sqs_queue.orders", queue(QUEUE, redrive_policy=redrive(name)), action="no-op")
    )
    findings = check(tmp_path, {"20_infra/dev": infra})
    assert found(findings, "TG401", "TG001") == (
        [("TG401", "aws_sqs_queue.orders_dlq", "20_infra/dev", "warning")] if fails else []
    )
    if fails:
        [finding] = [f for f in findings if f.rule == "TG401"]
        assert finding.message.startswith('Dead-letter queue name "orders-dead-letters"')


# -- TG501 state-bucket-versioning -----------------------------------------------------------------------


@pytest.mark.parametrize("status, fails", [("Suspended", True), ("Enabled", False)])
def test_tg501_versioning_of_the_state_bucket_in_the_core_plan(
    tmp_path: Path, status: str, fails: bool
) -> None:
    core = (
        Plan(environment="dev")
        .resource(
            "module.state_backend.aws_s3_bucket.state",
            {"arn": f"arn:aws:s3:::{STATE_BUCKET}", "bucket": STATE_BUCKET, "id": STATE_BUCKET},
            action="no-op",
        )
        .resource(
            "module.state_backend.aws_s3_bucket_versioning.state",
            {
                "bucket": STATE_BUCKET,
                "id": STATE_BUCKET,
                "versioning_configuration": [{"mfa_delete": "", "status": status}],
            },
            action="update",
            before={"versioning_configuration": [{"mfa_delete": "", "status": "Enabled"}]},
            config={"bucket": ref("aws_s3_bucket.state.id")},
        )
    )
    findings = check(tmp_path, {"10_core/dev": core})
    assert found(findings, "TG501", "TG001") == (
        [("TG501", "module.state_backend.aws_s3_bucket_versioning.state", "10_core/dev", "error")]
        if fails
        else []
    )


@pytest.mark.parametrize("status, fails", [("Suspended", True), ("Enabled", False)])
def test_tg501_a_new_state_bucket_linked_to_its_versioning_by_the_configuration(
    tmp_path: Path, status: str, fails: bool
) -> None:
    core = (
        Plan(environment="dev")
        .resource("aws_s3_bucket.state", {"bucket": STATE_BUCKET}, config={"bucket": STATE_BUCKET})
        .resource(
            "aws_s3_bucket_versioning.state",
            {"versioning_configuration": [{"status": status}]},
            unknown=["bucket"],
            config={"bucket": ref("aws_s3_bucket.state.id")},
        )
    )
    findings = check(tmp_path, {"10_core/dev": core})
    assert found(findings, "TG501", "TG001") == (
        [("TG501", "aws_s3_bucket_versioning.state", "10_core/dev", "error")] if fails else []
    )


# -- TG502 lock-table ----------------------------------------------------------------------------------


@pytest.mark.parametrize("hash_key, fails", [("ID", True), ("LockID", False)])
def test_tg502_lock_table_hash_key(tmp_path: Path, hash_key: str, fails: bool) -> None:
    core = Plan(environment="dev").resource(
        "aws_dynamodb_table.locks",
        {
            "attribute": [{"name": hash_key, "type": "S"}],
            "billing_mode": "PAY_PER_REQUEST",
            "hash_key": hash_key,
            "name": "tt-practice-tf-locks",
            "range_key": None,
        },
        action="no-op",
    )
    findings = check(tmp_path, {"10_core/dev": core})
    assert found(findings, "TG502", "TG001") == (
        [("TG502", "aws_dynamodb_table.locks", "10_core/dev", "error")] if fails else []
    )
