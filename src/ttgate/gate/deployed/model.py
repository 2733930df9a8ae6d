"""The deployed resources as the rules read them: one stack per audited environment, in the same model
the HCL and plan loaders build, each resource with the values its Terraform arguments would hold.

A deployed resource's address is its ARN (the log group's and the mapping's too): that is what a person
searches the console for. No resource has a file location; the stack's kind is ``deployed``, which is how
reports tell these findings from the code's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ttgate.gate.deployed.inventory import Inventory
from ttgate.gate.model import Model, Resource, Stack

KIND = "deployed"


def stack_name(env: str) -> str:
    return f"deployed/{env}"


def deployed_model(inventory: Inventory, env: str, root: Path) -> Model:
    """A model of one stack (kind ``deployed``, environment ``env``) holding what ``inventory`` read."""
    model = Model(root=root.resolve())
    stack = Stack(name=stack_name(env), directory=None, layer=None, env=env, kind=KIND)
    model.stacks.append(stack)

    def add(resource_type: str, address: str | None, values: dict[str, Any]) -> None:
        if not address:
            return
        name = address.rsplit(":", 1)[-1]
        stack.resources.append(
            Resource(stack, address, "managed", resource_type, name, "", values, location=None)
        )

    for queue in inventory.queues:
        attributes = queue["Attributes"]
        arn = attributes.get("QueueArn")
        add(
            "aws_sqs_queue",
            arn,
            {
                "name": str(arn).rsplit(":", 1)[-1],
                "arn": arn,
                "url": queue["QueueUrl"],
                "id": queue["QueueUrl"],
                "visibility_timeout_seconds": _number(attributes.get("VisibilityTimeout")),
                "message_retention_seconds": _number(attributes.get("MessageRetentionPeriod")),
                "delay_seconds": _number(attributes.get("DelaySeconds")),
                "fifo_queue": attributes.get("FifoQueue") == "true",
                "redrive_policy": attributes.get("RedrivePolicy") or None,
                "tags": {},
            },
        )
    for function in inventory.functions:
        add(
            "aws_lambda_function",
            function.get("FunctionArn"),
            {
                "function_name": function.get("FunctionName"),
                "arn": function.get("FunctionArn"),
                "timeout": function.get("Timeout", 3),
            },
        )
    for mapping in inventory.mappings:
        address = mapping.get("EventSourceMappingArn") or (
            f"event-source-mapping:{mapping['UUID']}" if mapping.get("UUID") else None
        )
        add(
            "aws_lambda_event_source_mapping",
            address,
            {
                "event_source_arn": mapping.get("EventSourceArn"),
                "function_name": mapping.get("FunctionArn"),
                "batch_size": mapping.get("BatchSize"),
                "maximum_batching_window_in_seconds": mapping.get("MaximumBatchingWindowInSeconds"),
                "enabled": mapping.get("State") not in ("Disabled", "Disabling"),
                "uuid": mapping.get("UUID"),
            },
        )
    for alarm in inventory.alarms:
        add(
            "aws_cloudwatch_metric_alarm",
            alarm.get("AlarmArn"),
            {
                "alarm_name": alarm.get("AlarmName"),
                "arn": alarm.get("AlarmArn"),
                "namespace": alarm.get("Namespace"),
                "metric_name": alarm.get("MetricName"),
                "statistic": alarm.get("Statistic"),
                "dimensions": {d.get("Name"): d.get("Value") for d in alarm.get("Dimensions") or []},
                "threshold": alarm.get("Threshold"),
                "period": alarm.get("Period"),
                "evaluation_periods": alarm.get("EvaluationPeriods"),
                "comparison_operator": alarm.get("ComparisonOperator"),
                "actions_enabled": alarm.get("ActionsEnabled", True),
            },
        )
    for group in inventory.log_groups:
        name = group.get("logGroupName")
        arn = str(group.get("arn") or "").removesuffix(":*") or None
        add(
            "aws_cloudwatch_log_group",
            arn or (f"log-group:{name}" if name else None),
            {"name": name, "arn": arn, "retention_in_days": group.get("retentionInDays")},
        )
    return model


def _number(text: Any) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def redrive_max_receive_count(queue: Resource) -> int | None:
    """The deployed queue's maxReceiveCount, when its redrive policy says."""
    text = queue.values.get("redrive_policy")
    if not isinstance(text, str):
        return None
    try:
        policy = json.loads(text)
    except ValueError:
        return None
    value = policy.get("maxReceiveCount") if isinstance(policy, dict) else None
    return _number(value)


__all__ = ["KIND", "deployed_model", "redrive_max_receive_count", "stack_name"]
