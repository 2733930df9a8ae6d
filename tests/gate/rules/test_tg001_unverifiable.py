"""TG001 unverifiable: a value a rule needs is unknown, and the rule says which instead of passing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import by_address, findings


@pytest.mark.parametrize("known", [False, True], ids=["timeout unknown", "timeout known"])
def test_tg001_a_new_functions_timeout_unknown_until_apply(tmp_path: Path, known: bool) -> None:
    infra = plans.Plan(environment="dev").resource(
        "aws_sqs_queue.orders", plans.queue(plans.QUEUE), action="no-op"
    )
    # A new function whose timeout comes from a value created in the same apply (twin: a literal).
    new_function = plans.function(timeout=5)
    del new_function["arn"]  # known after apply
    if not known:
        del new_function["timeout"]
    app = (
        plans.Plan(environment="dev")
        .remote_state(
            "infra", "infra/terraform.tfstate", outputs={"orders_queue_arn": plans.sqs_arn(plans.QUEUE)}
        )
        .resource(
            "random_integer.timeout",
            {"max": 20, "min": 5},
            unknown=["result"],
            config={"max": 20, "min": 5},
            provider=plans.RANDOM,
        )
        .resource(
            "aws_lambda_function.order_processor",
            new_function,
            unknown=[] if known else ["timeout"],
            config={
                "function_name": plans.FUNCTION,
                "timeout": 5 if known else plans.ref("random_integer.timeout.result"),
            },
        )
        .resource(
            "aws_lambda_event_source_mapping.order_processor",
            {"event_source_arn": plans.sqs_arn(plans.QUEUE), "function_name": plans.FUNCTION},
            unknown=["uuid"],
            config={
                "event_source_arn": plans.ref("data.terraform_remote_state.infra.outputs.orders_queue_arn"),
                "function_name": plans.ref("aws_lambda_function.order_processor.function_name"),
            },
        )
    )
    by_label = {"20_infra/dev": infra, "30_app/dev": app}
    found = [f for rule in ("TG001", "TG201") for f in findings(rule, tmp_path, plans=by_label)]
    if known:
        assert by_address(found) == []  # 30 s >= 6 x 5 s
    else:
        assert by_address(found) == [("TG001", "aws_lambda_function.order_processor", "30_app/dev", "notice")]
        [notice] = [f for f in found if f.rule == "TG001"]
        assert notice.for_rule == "TG201"
        assert "random_integer.timeout.result" in notice.message
