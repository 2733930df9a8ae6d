"""Build small `terraform show -json` plan documents the way Terraform 1.9 writes them (format 1.2).

    plan = Plan(environment="dev")
    plan.resource("aws_sqs_queue.events", {"name": "tt-practice-dev-events-queue"}, action="no-op")
    plan.resource("aws_sqs_queue.dlq", {"name": "tt-practice-dev-events-dlq"}, unknown=["url"])
    plan.resource(
        "aws_sqs_queue.events",
        {...},
        action="update",
        before={"redrive_policy": ""},
        unknown=["redrive_policy"],
        config={"redrive_policy": ref("aws_sqs_queue.dlq.arn")},
    )
    plan.remote_state("infra", "infra/terraform.tfstate", outputs={"events_queue_arn": "arn:…"})
    path = plan.write(tmp_path / "20_infra.json")

What Terraform does, and so does this builder (tests/plans/README.md has the details):

- ``planned_values`` holds what exists after apply, module resources under ``child_modules``;
  ``resource_changes`` holds every change with ``before``/``after``; a deleted resource is only there
  (and in ``prior_state``), never in ``planned_values``.
- Values unknown until apply are left out of ``after``/``values`` and marked in ``after_unknown``; a new
  resource's ``arn`` and ``id`` are unknown unless the test gives them.
- Sensitive values are in clear in ``after``/``values``, marked in ``after_sensitive``/``sensitive_values``.
- ``configuration`` has one entry per resource block (no instance key), its ``expressions`` either
  ``constant_value`` or ``references`` unwrapped step by step (``aws_sqs_queue.q[0].arn``,
  ``aws_sqs_queue.q[0]``, ``aws_sqs_queue.q``); module resources sit under ``module_calls``.
- Data sources read at plan time (remote state) are only in ``prior_state``, with the existing resources.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

TERRAFORM_VERSION = "1.9.8"
AWS = "registry.terraform.io/hashicorp/aws"
BUILTIN = "terraform.io/builtin/terraform"
RANDOM = "registry.terraform.io/hashicorp/random"
ACCOUNT = "057336397237"
REGION = "ap-southeast-1"

_ADDRESS = re.compile(
    r"^(?P<module>(?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*)"
    r"(?P<data>data\.)?(?P<type>[A-Za-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)(?:\[(?P<index>[^\]]+)\])?$"
)


def ref(*traversals: str) -> dict[str, list[str]]:
    """A configuration expression referring to other objects, as Terraform lists it.

    ``ref("aws_sqs_queue.q[0].arn")`` -> ``aws_sqs_queue.q[0].arn``, ``aws_sqs_queue.q[0]``,
    ``aws_sqs_queue.q``; ``ref("var.timeout")`` -> ``var.timeout``.
    """
    references: list[str] = []
    for traversal in traversals:
        parts = re.split(r"\.(?![^\[]*\])", traversal)
        base = 3 if parts[0] == "data" else 2
        for end in range(len(parts), base - 1, -1):
            references.append(".".join(parts[:end]))
        if parts[base - 1].endswith("]"):
            references.append(".".join([*parts[: base - 1], parts[base - 1].split("[", 1)[0]]))
    return {"references": list(dict.fromkeys(references))}


def sqs_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def sqs_url(name: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"


def _expression(value: Any) -> dict[str, Any]:
    if isinstance(value, dict) and set(value) in ({"references"}, {"constant_value"}):
        return value
    return {"constant_value": value}


def _parse(address: str) -> dict[str, Any]:
    match = _ADDRESS.match(address)
    if match is None:
        raise ValueError(f"not a resource address: {address}")
    index: Any = match["index"]
    if index is not None:
        index = json.loads(index)  # 0 -> 0, "a" -> "a"
    module = match["module"].rstrip(".")
    return {
        "address": address,
        "module": module,
        "mode": "data" if match["data"] else "managed",
        "type": match["type"],
        "name": match["name"],
        "index": index,
    }


def _modules(module: str) -> list[str]:
    """``module.a[0].module.b`` -> ["module.a[0]", "module.a[0].module.b"]."""
    steps = re.findall(r"module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?", module)
    return [".".join(steps[: i + 1]) for i in range(len(steps))]


def _call_names(module: str) -> list[str]:
    return [step.split(".", 1)[1].split("[", 1)[0] for step in re.findall(r"module\.[^.]+", module)]


def _mask(keys: Any) -> dict[str, Any]:
    return {key: True for key in keys}


class Plan:
    """One stack's plan; ``variables`` are the root module's input variables."""

    def __init__(self, terraform_version: str = TERRAFORM_VERSION, **variables: Any) -> None:
        self.terraform_version = terraform_version
        self.variables = {name: {"value": value} for name, value in variables.items()}
        self.planned: list[dict[str, Any]] = []
        self.changes: list[dict[str, Any]] = []
        self.prior: list[dict[str, Any]] = []
        self.config: dict[str, Any] = {"resources": []}
        self.providers: set[str] = set()

    def resource(
        self,
        address: str,
        values: dict[str, Any],
        *,
        action: str = "create",
        before: dict[str, Any] | None = None,
        unknown: list[str] | tuple[str, ...] = (),
        sensitive: list[str] | tuple[str, ...] = (),
        config: dict[str, Any] | None = None,
        provider: str = AWS,
    ) -> Plan:
        """A managed resource and its change.

        ``values``: the known attributes after apply (for a delete: before it). ``action``: create,
        update, no-op, delete or replace. ``before``: for an update, the old values of what changes.
        ``unknown``: attributes known only after apply. ``config``: the block's arguments, each a plain
        value (``constant_value``) or ``ref(...)``; attributes not in it are the provider's choice.
        """
        parsed = _parse(address)
        actions = {"replace": ["delete", "create"]}.get(action, [action])
        unknown = list(unknown)
        if action in ("create", "replace"):
            unknown += [key for key in ("arn", "id") if key not in values and key not in unknown]
        after = {key: value for key, value in sorted(values.items()) if key not in unknown}
        old = None if action == "create" else dict(sorted({**values, **(before or {})}.items()))
        identity = {
            "address": address,
            **({"module_address": parsed["module"]} if parsed["module"] else {}),
            "mode": "managed",
            "type": parsed["type"],
            "name": parsed["name"],
            **({"index": parsed["index"]} if parsed["index"] is not None else {}),
            "provider_name": provider,
        }
        deleted = action == "delete"
        self.changes.append(
            identity
            | {
                "change": {
                    "actions": actions,
                    "before": old,
                    "after": None if deleted else after,
                    "after_unknown": {} if deleted else _mask(unknown),
                    "before_sensitive": False if old is None else _mask(sensitive),
                    "after_sensitive": False if deleted else _mask(sensitive),
                }
            }
        )
        instance = {key: value for key, value in identity.items() if key != "module_address"}
        instance["schema_version"] = 0
        if not deleted:
            self.planned.append(
                instance
                | {"values": after, "sensitive_values": _mask(sensitive), "_module": parsed["module"]}
            )
        if old is not None:
            self.prior.append(
                instance | {"values": old, "sensitive_values": _mask(sensitive), "_module": parsed["module"]}
            )
        if not deleted:  # deleted because its block was removed: the configuration no longer has it
            self._configure(parsed, config or {}, provider)
        return self

    def data(self, address: str, values: dict[str, Any], config: dict[str, Any] | None = None) -> Plan:
        """A data source read at plan time: in ``prior_state`` only (and its block in configuration)."""
        parsed = _parse(address)
        provider = BUILTIN if parsed["type"] == "terraform_remote_state" else AWS
        self.prior.append(
            {
                "address": address,
                "mode": "data",
                "type": parsed["type"],
                "name": parsed["name"],
                "provider_name": provider,
                "schema_version": 0,
                "values": values,
                "sensitive_values": {},
                "_module": parsed["module"],
            }
        )
        self._configure(parsed, config or {}, provider)
        return self

    def remote_state(self, name: str, key: str, outputs: dict[str, Any], env: str = "dev") -> Plan:
        """``data "terraform_remote_state" name`` reading the S3 state at ``key``, with its outputs."""
        bucket = f"tt-practice-tf-state-{env}-{ACCOUNT}"
        return self.data(
            f"data.terraform_remote_state.{name}",
            {
                "backend": "s3",
                "config": {"bucket": bucket, "key": key, "region": REGION},
                "defaults": None,
                "outputs": outputs,
                "workspace": None,
            },
            config={"backend": "s3", "config": ref("var.environment", "var.account_id")},
        )

    def module_output(self, call: str, output: str, expression: dict[str, Any]) -> Plan:
        """``output "output"`` of the module called ``call`` (for references like module.call.output)."""
        module = self._module_config(_call_names(f"module.{call}"))
        module.setdefault("outputs", {})[output] = {"expression": expression}
        return self

    def _module_config(self, names: list[str]) -> dict[str, Any]:
        config = self.config
        for name in names:
            calls = config.setdefault("module_calls", {})
            call = calls.setdefault(name, {"source": f"./modules/{name}", "module": {"resources": []}})
            config = call["module"]
        return config

    def _configure(self, parsed: dict[str, Any], arguments: dict[str, Any], provider: str) -> None:
        self.providers.add(provider)
        module = self._module_config(_call_names(parsed["module"]))
        prefix = "data." if parsed["mode"] == "data" else ""
        local = f"{prefix}{parsed['type']}.{parsed['name']}"
        if any(block["address"] == local for block in module["resources"]):
            return  # another instance of the same block (count/for_each)
        block: dict[str, Any] = {
            "address": local,
            "mode": parsed["mode"],
            "type": parsed["type"],
            "name": parsed["name"],
            "provider_config_key": provider.rsplit("/", 1)[1],
            "expressions": {key: _expression(value) for key, value in sorted(arguments.items())},
            "schema_version": 0,
        }
        if isinstance(parsed["index"], int):
            block["count_expression"] = {"constant_value": parsed["index"] + 1}
        module["resources"].append(block)

    def document(self) -> dict[str, Any]:
        applyable = any(change["change"]["actions"] != ["no-op"] for change in self.changes)
        return {
            "format_version": "1.2",
            "terraform_version": self.terraform_version,
            "variables": self.variables,
            "planned_values": {"root_module": _tree(self.planned)},
            "resource_changes": self.changes,
            "prior_state": {
                "format_version": "1.0",
                "terraform_version": self.terraform_version,
                "values": {"root_module": _tree(self.prior)},
            },
            "configuration": {
                "provider_config": {
                    name: {"name": name, "full_name": full}
                    for full in sorted(self.providers)
                    for name in [full.rsplit("/", 1)[1]]
                },
                "root_module": self.config,
            },
            "timestamp": "2025-05-14T09:41:27Z",
            "applyable": applyable,
            "complete": True,
            "errored": False,
        }

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.document(), indent=2), encoding="utf-8")
        return path


def _tree(instances: list[dict[str, Any]]) -> dict[str, Any]:
    """Resources of the root module, and of each module instance under nested ``child_modules``."""
    root: dict[str, Any] = {}
    children: dict[str, dict[str, Any]] = {"": root}
    for instance in instances:
        module = instance["_module"]
        parent = root
        for address in _modules(module):
            if address not in children:
                children[address] = {"address": address}
                parent.setdefault("child_modules", []).append(children[address])
            parent = children[address]
        parent.setdefault("resources", []).append(
            {key: value for key, value in instance.items() if key != "_module"}
        )
    return root


# --------------------------------------------------------------------------------------------------
# The runbook's order-processor as plans: what the rule tests build their plan cases from.

QUEUE = "tt-practice-dev-orders-queue"
DLQ = "tt-practice-dev-orders-dlq"
FUNCTION = "tt-practice-dev-order-processor"
LOG_GROUP = f"/aws/lambda/{FUNCTION}"
STATE_BUCKET = "tt-practice-tf-state-dev-057336397237"
APP_DEV = "practice/deploy/30_app/environments/dev"


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


def orders_with_dlq(dlq_retention: int = 1209600, **orders: object) -> Plan:
    """20_infra/dev: the orders queue (redriving to its DLQ unless told otherwise) and its DLQ, existing."""
    orders.setdefault("redrive_policy", redrive(DLQ))
    return (
        Plan(environment="dev")
        .resource(
            "aws_sqs_queue.orders_dlq", queue(DLQ, message_retention_seconds=dlq_retention), action="no-op"
        )
        .resource("aws_sqs_queue.orders", queue(QUEUE, **orders), action="no-op")
    )


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


LOG_GROUP_ADDRESS = "aws_cloudwatch_log_group.order_processor"


def planned_log_group(retention: int | None) -> dict[str, object]:
    return {"log_group_class": "STANDARD", "name": LOG_GROUP, "retention_in_days": retention}
